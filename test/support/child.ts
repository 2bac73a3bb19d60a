// A child process of the project's own code (server, daemon), its output collected for assertions.
import { type ChildProcess, spawn } from "node:child_process";

export type RunningChild = { proc: ChildProcess; exited: Promise<number | null>; output: () => string };

export function startTsx(script: string, args: string[], env: Record<string, string>): RunningChild {
  const proc = spawn(process.execPath, ["--import", "tsx", script, ...args], {
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
