// Wall times of the CLI as a user runs it (the compiled bin, node bin/orgs-api.mjs), one command of
// each kind against a server, and of the server's start. Prints; asserts nothing.
//
//   node scripts/startup/cli-timing.mjs [--runs N]
//
// It starts dist/server.js on a new PGlite data directory (the first start creates and migrates
// it: "cold"), stops it and starts it again ("warm", what a restart costs), creates the first user
// with `login`, a provisioner daemon with `provisionerd start`, and times each command N times
// (median and slowest). Run `npm run build` first. The load average is printed: the machine is
// shared, and wall times follow it.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuTicks, freePort, TICK_MS } from "./measure.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const dir = mkdtempSync(join(tmpdir(), "orgs-api-cli-timing-"));

async function startServer(port) {
  const started = performance.now();
  const child = spawn(process.execPath, ["dist/server.js"], {
    cwd: root,
    env: { ...process.env, DATA_DIR: join(dir, "data"), PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn" },
    stdio: "ignore",
  });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, seconds: (performance.now() - started) / 1000 };
    if (child.exitCode !== null) throw new Error("the server exited");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stop(child) {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const env = { ...process.env, ORGS_API_URL: url, ORGS_API_CONFIG_DIR: join(dir, "config") };
delete env.ORGS_API_TOKEN;
delete env.ORGS_API_ORGANIZATION;

function cli(args, input) {
  const started = performance.now();
  const ticks = cpuTicks("self", true);
  const ran = spawnSync(process.execPath, ["bin/orgs-api.mjs", ...args], { cwd: root, env, input, encoding: "utf8" });
  const seconds = (performance.now() - started) / 1000;
  const cpu = ((cpuTicks("self", true) - ticks) * TICK_MS) / 1000;
  if (ran.status !== 0) throw new Error(`orgs-api ${args.join(" ")}: ${ran.stderr}`);
  return { seconds, cpu, stdout: ran.stdout };
}

const cold = await startServer(port);
await stop(cold.child);
const warm = await startServer(port);
let daemon;
try {
  const setup = [
    ["login", url, "--first-user-email", "admin@example.com", "--first-user-username", "admin"],
    ["organizations", "create", "data-platform"],
    ["organizations", "select", "data-platform"],
  ];
  cli([...setup[0], "--first-user-password-stdin"], "timing-password-123");
  for (const args of setup.slice(1)) cli(args);
  const key = JSON.parse(cli(["provisioner", "keys", "create", "timing-key", "--json"]).stdout).key;
  daemon = spawn(process.execPath, ["bin/orgs-api.mjs", "provisionerd", "start", "--name", "timing"], {
    cwd: root,
    env: { ...env, PROVISIONER_DAEMON_KEY: key, PROVISIONER_POLL_INTERVAL_MS: "50", LOG_LEVEL: "warn" },
    stdio: "ignore",
  });
  cli(["templates", "create", "docker"]);

  let n = 0;
  const commands = [
    ["--help"],
    ["whoami", "--json"],
    ["organizations", "list", "--json"],
    ["members", "list"],
    ["users", "list"],
    ["templates", "list"],
    ["provisioner", "list"],
    ["groups", "create", () => `g${n++}`],
    ["workspaces", "list", "--all"],
    ["workspaces", "create", () => `w${n++}`, "--template", "docker"],
  ];
  const rows = [];
  for (const command of commands) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(cli(command.map((a) => (typeof a === "function" ? a() : a))));
    const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const label = command.map((a) => (typeof a === "function" ? "NAME" : a)).join(" ");
    const walls = runs.map((r) => r.seconds);
    rows.push([label, median(walls), Math.max(...walls), median(runs.map((r) => r.cpu))]);
  }
  const width = Math.max(...rows.map((r) => r[0].length), 20);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; ${RUNS} runs each; seconds of wall time`,
  );
  console.log(`${"server start, cold (new data directory)".padEnd(width)}  ${cold.seconds.toFixed(2)}`);
  console.log(`${"server start, warm".padEnd(width)}  ${warm.seconds.toFixed(2)}`);
  console.log(`${"orgs-api <command>".padEnd(width)}  median  slowest  CPU (median; the CLI process only)`);
  for (const [label, median, slowest, cpu] of rows) {
    console.log(`${label.padEnd(width)}  ${median.toFixed(2)}    ${slowest.toFixed(2)}     ${cpu.toFixed(2)}`);
  }
  console.log("(workspaces create includes waiting for the build on the daemon)");
} finally {
  daemon?.kill("SIGTERM");
  await stop(warm.child);
  rmSync(dir, { recursive: true, force: true });
}
