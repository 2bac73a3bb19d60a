// Authors a migration offline: `npm run migrate:dev -- --name <what>` diffs the committed
// migrations (replayed on an in-memory PGlite shadow database by Prisma 6.19's CLI, kept as the
// prisma-migrate dev dependency: see prisma.migrate.config.ts) against
// prisma/schema.prisma and writes the SQL to prisma/migrations/<UTC timestamp>_<what>/.
// `prisma migrate dev` itself cannot run here: Prisma 7's needs a native schema engine, and
// 6.19's wasm engine evaluates data loss without the driver adapter's shadow database.
// The service applies pending migrations at start, so a migration is only ever created here
// (`--create-only` is accepted and implied). `--check` writes nothing and exits 1 when the
// migrations do not produce schema.prisma's database.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { name: { type: "string" }, "create-only": { type: "boolean" }, check: { type: "boolean" } },
});
if (!values.check && !/^[a-z0-9_]+$/.test(values.name ?? "")) {
  console.error("usage: npm run migrate:dev -- --name <lower_snake_case> [--create-only] | --check");
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), "orgs-api-migration-"));
const output = join(scratch, "migration.sql");
// The 6.19 CLI looks for a native query engine it does not use here and would download one.
const placeholder = join(scratch, "no-query-engine.so.node");
writeFileSync(placeholder, "");
// Prisma 7 refuses a datasource `url` in the schema, 6.19 requires one (never used: adapter).
const schema = join(scratch, "schema.prisma");
const datasource = /datasource db \{/;
writeFileSync(
  schema,
  readFileSync("prisma/schema.prisma", "utf8").replace(datasource, '$&\n  url = "postgresql://adapter"'),
);
const diff = spawnSync(
  process.execPath,
  [
    "node_modules/prisma-migrate/build/index.js",
    "migrate",
    "diff",
    "--from-migrations",
    "prisma/migrations",
    "--to-schema-datamodel",
    schema,
    "--script",
    "--output",
    output,
    "--config",
    "prisma.migrate.config.ts",
    ...(values.check ? ["--exit-code"] : []),
  ],
  {
    stdio: "inherit",
    env: { ...process.env, PRISMA_QUERY_ENGINE_LIBRARY: placeholder, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  },
);
if (values.check) {
  // --exit-code: 0 the same, 2 a difference, 1 an error.
  if (diff.status === 2)
    console.error(`The migrations do not match prisma/schema.prisma; missing:\n${readFileSync(output, "utf8")}`);
  process.exit(diff.status === 0 ? 0 : 1);
}
if (diff.status !== 0) process.exit(diff.status ?? 1);

const timestamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const folder = join("prisma", "migrations", `${timestamp}_${values.name}`);
mkdirSync(folder);
writeFileSync(join(folder, "migration.sql"), readFileSync(output, "utf8"));
console.log(`Created ${join(folder, "migration.sql")}; the service applies it at its next start.`);
