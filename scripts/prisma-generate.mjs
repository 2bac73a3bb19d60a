// Runs `prisma generate` offline. Prisma 7's CLI first makes sure a native schema engine is
// present, which generate never uses, and would download one; pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file stops it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const placeholder = join(mkdtempSync(join(tmpdir(), "orgs-api-")), "no-schema-engine");
writeFileSync(placeholder, "");
const result = spawnSync("npx", ["prisma", "generate", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: placeholder, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
});
process.exit(result.status ?? 1);
