// Runs `prisma generate` offline. The prisma-pothos-types generator makes the CLI look for a
// query engine it never uses (we run engineType "client"); pointing PRISMA_QUERY_ENGINE_LIBRARY
// at any existing file stops it from trying to download one.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const placeholder = join(mkdtempSync(join(tmpdir(), "orgs-api-")), "no-query-engine.so.node");
writeFileSync(placeholder, "");
const result = spawnSync("npx", ["prisma", "generate", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, PRISMA_QUERY_ENGINE_LIBRARY: placeholder, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
});
process.exit(result.status ?? 1);
