// `npm run cli -- <command>` (or the `orgs-api` bin): the CLI in this process.
import { nodeFetch } from "./http.js";
import { runCli } from "./run.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const stop = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => stop.abort());

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: { write: (text) => process.stdout.write(text) },
  stderr: { write: (text) => process.stderr.write(text) },
  fetch: nodeFetch,
  readStdin,
  signal: stop.signal,
});
// Exit explicitly: idle keep-alive sockets must not hold the process open.
process.exit(code);
