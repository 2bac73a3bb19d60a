// Writes schema.graphql from the Pothos schema, or with --check fails when the committed file
// is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printSchema } from "graphql";
import { schema } from "./schema.js";

const target = fileURLToPath(new URL("../../schema.graphql", import.meta.url));
const printed = `${printSchema(schema)}\n`;

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {
    // missing counts as stale
  }
  if (committed !== printed) {
    process.stderr.write("schema.graphql is stale: run `npm run schema:print` and commit the result\n");
    process.exit(1);
  }
  process.stdout.write("schema.graphql is current\n");
} else {
  writeFileSync(target, printed);
  process.stdout.write(`wrote ${target}\n`);
}
