// Prisma 7 CLI configuration: only `prisma generate` runs here (scripts/prisma-generate.mjs).
// Prisma 7's migrate commands need a native schema engine this machine cannot download;
// migrations are authored with Prisma 6.19's wasm engine on PGlite (prisma.migrate.config.ts).
import path from "node:path";
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
});
