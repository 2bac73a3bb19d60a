#!/usr/bin/env node
// The `orgs-api` command: the compiled CLI (dist/, made by `npm run build`).
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
try {
  await import(main.href);
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(fileURLToPath(main))) throw error;
  process.stderr.write(`orgs-api: ${fileURLToPath(main)} is missing; run \`npm run build\` in the package first.\n`);
  process.exit(1);
}
