// The dependency patches (scripts/build/patch-dependencies.mjs) are in place: `npm ci` applies them
// through this package's postinstall. They change speed only; test/perf/query-counts.test.ts
// proves that nested relations still answer from the planned query (a wrong lookup would fall back
// and add statements).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const script = fileURLToPath(new URL("../../scripts/build/patch-dependencies.mjs", import.meta.url));

it("every dependency patch is applied to the installed packages", () => {
  const check = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
  expect(check.stderr).toBe("");
  expect(check.status).toBe(0);
});
