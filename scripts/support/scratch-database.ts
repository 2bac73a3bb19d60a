// The one way scripts get a throwaway database, migrated and holding the default organization:
// a PostgreSQL database created on a server (default the local one; dropped WITH FORCE by
// `drop`), or an in-memory PGlite inside the script's process (nothing to drop).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Database, openPglite, openPostgres, type PostgresOptions } from "../../src/db/database.js";
import { ensureDefaultOrganization } from "../../src/db/default-organization.js";
import { migrate } from "../../src/db/migrate.js";

export type DatabaseKind = "postgres" | "pglite";

export const LOCAL_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export function databaseKinds(value: string): DatabaseKind[] {
  const kinds = value.split(",").map((kind) => kind.trim());
  for (const kind of kinds) {
    if (kind !== "postgres" && kind !== "pglite") throw new Error(`unknown database "${kind}" (postgres, pglite)`);
  }
  return kinds as DatabaseKind[];
}

export type ScratchDatabase = { db: Database; drop(): Promise<void> };

export type ScratchOptions = Partial<PostgresOptions> & {
  /** The PostgreSQL server the scratch database is created on (default: the local server). */
  serverUrl?: string;
};

/** A migrated, empty database; `label` names it on the server (orgs_api_<label>_<pid>_<random>). */
export async function openScratchDatabase(
  kind: DatabaseKind,
  label: string,
  options: ScratchOptions = {},
): Promise<ScratchDatabase> {
  if (kind === "pglite") {
    // No data directory: PGlite keeps the database in memory.
    const db = await openPglite(undefined);
    return prepared(db, () => db.close());
  }
  const { serverUrl = LOCAL_SERVER_URL, ...poolOptions } = options;
  const name = `orgs_api_${label.replace(/[^a-z0-9_]/gi, "_")}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const dropDatabase = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const db = await openPostgres(url.toString(), {
      poolMax: 10,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 60000,
      ...poolOptions,
    });
    return prepared(db, async () => {
      await closeWithin(db, 10_000);
      await dropDatabase();
    });
  } catch (error) {
    await dropDatabase();
    throw error;
  }
}

async function prepared(db: Database, drop: () => Promise<void>): Promise<ScratchDatabase> {
  try {
    await migrate(db);
    await ensureDefaultOrganization(db.prisma);
  } catch (error) {
    await drop();
    throw error;
  }
  return { db, drop };
}

/**
 * Closing waits for every pooled connection to come back. After an overloaded run one may not
 * (a Prisma interactive transaction that hit its maxWait or timeout): the database is dropped
 * with FORCE anyway, and the caller exits the process explicitly.
 */
async function closeWithin(db: Database, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<"gave up">((resolve) => {
    timer = setTimeout(() => resolve("gave up"), ms);
  });
  const outcome = await Promise.race([db.close().then(() => "closed" as const), gaveUp]);
  clearTimeout(timer);
  if (outcome === "gave up")
    console.warn(`the PostgreSQL pool did not close within ${ms} ms: a connection was not released`);
}
