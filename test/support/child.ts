// A child process of the project's own code (server, daemon), its output collected for assertions.
// It runs the compiled JavaScript in dist/, as `npm start` does: the global set-up builds it when
// a source changed (scripts/build/build.mjs --if-changed).
import { type ChildProcess, spawn } from "node:child_process";

export type RunningChild = { proc: ChildProcess; exited: Promise<number | null>; output: () => string };

/** `script`: a file under dist/, e.g. "dist/server.js". */
export function startCompiled(script: string, args: string[], env: Record<string, string>): RunningChild {
  const proc = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (chunk) => {
    out += chunk;
  });
  proc.stderr?.on("data", (chunk) => {
    out += chunk;
  });
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, exited, output: () => out };
}
