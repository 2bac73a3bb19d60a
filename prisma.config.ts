// Prisma CLI configuration. `prisma migrate dev` runs offline against an embedded PGlite
// database (the JS schema engine), so authoring migrations needs no server and no binary.
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, SqlQuery } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { defineConfig } from "prisma/config";
import { override } from "./src/db/adapter-proxy.js";

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

// pglite-prisma-adapter pins an older @prisma/driver-adapter-utils: same protocol, other type names.
const factory = (client: PGlite) => new PrismaPGlite(client) as unknown as SqlMigrationAwareDriverAdapterFactory;

const connected = (client: PGlite) =>
  factory(client)
    .connect()
    .then((adapter) => runningScripts(adapter, client));

/** The database in `dataDir` (in memory by default: authoring diffs only against shadows), opened lazily. */
function pgliteForMigrations(dataDir: string): SqlMigrationAwareDriverAdapterFactory {
  return override(factory(new PGlite("memory://unused")), {
    connect: () => connected(new PGlite(dataDir)),
    connectToShadowDb: () => connected(new PGlite("memory://shadow")),
  });
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => pgliteForMigrations(process.env.MIGRATE_DATA_DIR ?? "memory://dev"),
});
