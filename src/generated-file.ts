// Files generated from the code and committed (schema.graphql, docs/permissions.md): written by
// their command, or with --check compared, failing when the committed file is stale (CI).
import { readFileSync, writeFileSync } from "node:fs";

/** Writes `content` to `target`, or with `--check` in argv exits 1 when `target` differs. */
export function writeOrCheck(target: string, content: string, name: string, command: string): void {
  if (process.argv.includes("--check")) {
    let committed = "";
    try {
      committed = readFileSync(target, "utf8");
    } catch {
      // missing counts as stale
    }
    if (committed !== content) {
      process.stderr.write(`${name} is stale: run \`${command}\` and commit the result\n`);
      process.exit(1);
    }
    process.stdout.write(`${name} is current\n`);
  } else {
    writeFileSync(target, content);
    process.stdout.write(`wrote ${target}\n`);
  }
}
