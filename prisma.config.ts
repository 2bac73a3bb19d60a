// Prisma CLI configuration. `prisma migrate dev` runs offline against an embedded PGlite
// database (the JS schema engine), so authoring migrations needs no server and no binary.
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    // pglite-prisma-adapter pins an older @prisma/driver-adapter-utils: same protocol, other type names.
    const adapter = new PrismaPGlite(new PGlite(process.env.MIGRATE_DATA_DIR ?? ".data/migrate-dev"));
    return adapter as unknown as SqlMigrationAwareDriverAdapterFactory;
  },
});
