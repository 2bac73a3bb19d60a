// The CLI as a user runs it: a server process (dist/server.js) on a copy of the migrated test
// database (PGlite: the image unpacked into a data directory; PostgreSQL: a clone of the
// template), and the compiled CLI (dist/cli/main.js) as a child process per command, with its own
// config directory. `--json` output is parsed by the caller.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { type RunningChild, startCompiled } from "./child.js";

export type Ran = { code: number | null; stdout: string; stderr: string };

export type CliServer = {
  url: string;
  /** A config directory of its own for the CLI (profiles of this test file). */
  configDir: string;
  /** Runs `node dist/cli/main.js ...argv`; `env` adds to the server URL and config directory. */
  cli(argv: string[], options?: { env?: Record<string, string>; stdin?: string }): Promise<Ran>;
  /** Starts a long-running CLI command (provisionerd start). */
  spawnCli(argv: string[], env?: Record<string, string>): RunningChild;
  stop(): Promise<void>;
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function database(dir: string): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const template = inject("postgresTemplate");
  if (!template) {
    const dataDir = join(dir, "data");
    mkdirSync(dataDir);
    // GNU tar notes on stderr that it strips the leading "/": captured, not shown.
    execFileSync("tar", ["xzf", inject("pgliteImage"), "-C", dataDir], { stdio: "pipe" });
    return { env: { DATA_DIR: dataDir }, drop: async () => {} };
  }
  const url = inject("postgresUrl");
  const name = `orgs_api_test_${process.ppid}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: target.toString() },
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export async function startCliServer(env: Record<string, string> = {}): Promise<CliServer> {
  const dir = mkdtempSync(join(tmpdir(), "orgs-api-cli-"));
  const db = await database(dir);
  const port = await freePort();
  const server = startCompiled("dist/server.js", [], {
    ...db.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    PASSWORD_HASH_COST: "1024",
    RATE_LIMIT_PER_MINUTE: "1000000",
    RATE_LIMIT_SIGNIN_PER_MINUTE: "1000000",
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (server.proc.exitCode !== null) throw new Error(`the server exited: ${server.output()}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      server.proc.kill("SIGKILL");
      throw new Error(`the server did not start: ${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const configDir = join(dir, "config");
  const base = { ORGS_API_URL: url, ORGS_API_CONFIG_DIR: configDir, ORGS_API_POLL_MS: "100", LOG_LEVEL: "warn" };
  const children: RunningChild[] = [];
  const cleanEnv = () => {
    const copy = { ...process.env };
    for (const key of Object.keys(copy)) if (key.startsWith("ORGS_API_")) delete copy[key];
    return copy;
  };
  return {
    url,
    configDir,
    cli(argv, options = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["dist/cli/main.js", ...argv], {
          env: { ...cleanEnv(), ...base, ...options.env },
          stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => {
          stdout += chunk;
        });
        child.stderr.on("data", (chunk) => {
          stderr += chunk;
        });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(options.stdin ?? "");
      });
    },
    spawnCli(argv, extra = {}) {
      const child = startCompiled("dist/cli/main.js", argv, { ...base, ...extra });
      children.push(child);
      return child;
    },
    async stop() {
      for (const child of children) if (child.proc.exitCode === null) child.proc.kill("SIGKILL");
      server.proc.kill("SIGTERM");
      await server.exited;
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The JSON a `--json` command printed: stdout must be that JSON and nothing else. */
export function jsonOf(ran: Ran): any {
  if (ran.code !== 0) throw new Error(`exit ${ran.code}: ${ran.stderr}`);
  return JSON.parse(ran.stdout);
}
