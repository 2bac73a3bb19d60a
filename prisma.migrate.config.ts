// Configuration of the Prisma 6.19 CLI kept to author migrations (the `prisma-migrate` dev
// dependency, run by scripts/prisma-migrate-dev.mjs): its wasm schema engine works through a
// driver adapter, here PGlite, so authoring needs no server and no native engine. Prisma 7's
// CLI (prisma.config.ts) dropped driver adapters for migrate commands.
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, SqlQuery } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { defineConfig } from "prisma-migrate/config";
import { override } from "./src/db/adapter-proxy.js";
import { PGLITE_EXTENSIONS } from "./src/db/pglite-extensions.js";

/**
 * The schema engine applies each migration to the shadow database as one `executeRaw` without
 * parameters, which pglite-prisma-adapter sends as a prepared statement: PostgreSQL refuses a
 * script of several commands there. Scripts go through PGlite's `exec` (simple protocol) instead,
 * and `executeScript` is awaited (the adapter drops its promise and its errors).
 */
function runningScripts(adapter: SqlDriverAdapter, client: PGlite): SqlDriverAdapter {
  const runScript = async (sql: string) => {
    const results = await client.exec(sql);
    return results.reduce((rows, result) => rows + (result.affectedRows ?? 0), 0);
  };
  return override(adapter, {
    executeRaw: (query: SqlQuery) => (query.args.length === 0 ? runScript(query.sql) : adapter.executeRaw(query)),
    executeScript: async (script: string) => {
      await runScript(script);
    },
  });
}

const connected = async (client: PGlite) =>
  // pglite-prisma-adapter pins another @prisma/driver-adapter-utils: same protocol, other type names.
  runningScripts((await new PrismaPGlite(client).connect()) as unknown as SqlDriverAdapter, client);

/** The database in `dataDir` (in memory by default: authoring diffs only against shadows), opened lazily. */
function pgliteForMigrations(dataDir: string): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: "postgres",
    adapterName: "pglite-prisma-adapter",
    connect: () => connected(new PGlite(dataDir, { extensions: PGLITE_EXTENSIONS })),
    connectToShadowDb: () => connected(new PGlite("memory://shadow", { extensions: PGLITE_EXTENSIONS })),
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => pgliteForMigrations(process.env.MIGRATE_DATA_DIR ?? "memory://dev"),
});
