// Runs once per test run: builds one migrated database that every test file copies, instead of
// migrating per file. PGlite: a dumped data directory. PostgreSQL (TEST_DATABASE_URL): a
// template database that files clone with CREATE DATABASE ... TEMPLATE. It also brings dist/ up to
// date: tests that start the server or the daemon as a child process run the compiled code.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { type Database, openPglite, openPostgres } from "../../src/db/database.js";
import { ensureDefaultOrganization } from "../../src/db/default-organization.js";
import { migrate } from "../../src/db/migrate.js";
import { PGLITE_EXTENSIONS } from "../../src/db/pglite-extensions.js";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteImage: string;
    postgresTemplate: string;
    postgresUrl: string;
  }
}

async function prepare(db: Database): Promise<void> {
  await migrate(db);
  await ensureDefaultOrganization(db.prisma);
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Compiles src/ to dist/ unless dist/ was built from these very sources (~0.1 s then). */
function buildIfChanged(): void {
  const build = spawnSync(process.execPath, ["scripts/build/build.mjs", "--if-changed"], { stdio: "inherit" });
  if (build.status !== 0) throw new Error("scripts/build/build.mjs failed (output above)");
}

export default async function setup(project: TestProject) {
  buildIfChanged();
  const postgresUrl = process.env.TEST_DATABASE_URL;
  if (postgresUrl) {
    const template = `orgs_api_template_${process.pid}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
    const db = await openPostgres(withDatabase(postgresUrl, template), {
      poolMax: 2,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 30000,
    });
    await prepare(db);
    await db.close();
    project.provide("postgresTemplate", template);
    project.provide("postgresUrl", postgresUrl);
    project.provide("pgliteImage", "");
    return async () => {
      // Test files drop their own databases; the template goes last.
      const leftovers = await admin.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE $1",
        [`orgs_api_test_${process.pid}_%`],
      );
      for (const { datname } of leftovers.rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await admin.end();
    };
  }
  const client = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
  const db = await openPglite(client);
  await prepare(db);
  const dir = mkdtempSync(join(tmpdir(), "orgs-api-test-"));
  const image = join(dir, "migrated.tar.gz");
  const dump = await client.dumpDataDir("gzip");
  writeFileSync(image, Buffer.from(await dump.arrayBuffer()));
  await db.close();
  project.provide("pgliteImage", image);
  project.provide("postgresTemplate", "");
  project.provide("postgresUrl", "");
  return () => rmSync(dir, { recursive: true, force: true });
}
