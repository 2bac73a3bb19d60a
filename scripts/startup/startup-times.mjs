// Wall times of what a user waits for, compiled JavaScript (dist/) against tsx on the sources:
// the service's warm start (process spawned until /readyz answers, embedded PGlite database that
// a first start already created and migrated) and a few CLI commands against a running server.
// Prints a table; figures of a run on this machine are in startup-times.txt beside this script.
//
//   node scripts/startup/startup-times.mjs [--runs N]     (npm run startup-times)
//
// CPU is the process's own user+system time (Linux /proc), steadier than wall time when other
// work shares the machine; the load average is printed for the same reason.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuTicks, freePort, TICK_MS } from "./measure.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const NODE = process.execPath;

const SERVERS = {
  compiled: [NODE, "dist/server.js"],
  tsx: [NODE, "--import", "tsx", "src/server.ts"],
};
const CLIS = {
  "compiled (bin/orgs-api.mjs)": [NODE, "bin/orgs-api.mjs"],
  "compiled (npm run --silent cli)": ["npm", "run", "--silent", "cli", "--"],
  tsx: [NODE, "--import", "tsx", "src/cli/main.ts"],
};
const COMMANDS = [["--help"], ["organizations", "list", "--json"]];
// The request `organizations list` sends, by curl: the floor a CLI command can approach.
const LIST_QUERY =
  "query($first: Int) { organizations(first: $first) { edges { node { id name displayName description isDefault createdAt } } } }";

async function answers(url) {
  try {
    return (await fetch(url)).status === 200;
  } catch {
    return false;
  }
}

/** Spawns a server and resolves when /readyz answers 200: wall ms, CPU ms until then, and a stop function. */
async function startServer(command, dataDir) {
  const port = await freePort();
  const begin = performance.now();
  const child = spawn(command[0], command.slice(1), {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  let gone = false;
  exited.then(() => {
    gone = true;
  });
  while (!(await answers(`http://127.0.0.1:${port}/readyz`))) {
    if (gone) throw new Error(`${command.join(" ")} exited before it was ready`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const wallMs = performance.now() - begin;
  const cpuMs = cpuTicks(child.pid) * TICK_MS;
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
  };
  return { wallMs, cpuMs, stop, url: `http://127.0.0.1:${port}` };
}

function runCommand(command, args, env) {
  const before = cpuTicks("self", true);
  const begin = performance.now();
  const result = spawnSync(command[0], [...command.slice(1), ...args], { cwd: root, env, encoding: "utf8" });
  const wallMs = performance.now() - begin;
  if (result.status !== 0) throw new Error(`${[...command, ...args].join(" ")} failed: ${result.stderr}`);
  return { wallMs, cpuMs: (cpuTicks("self", true) - before) * TICK_MS, stdout: result.stdout };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const seconds = (ms) => (Number.isNaN(ms) ? "n/a" : (ms / 1000).toFixed(2));

function row(cells) {
  console.log(`| ${cells.join(" | ")} |`);
}

async function createFirstUser(url) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query:
        "mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token userErrors { message } } }",
      variables: { input: { email: "owner@example.com", username: "owner", password: "correct-horse-battery" } },
    }),
  });
  const { data } = await response.json();
  if (!data?.createFirstUser?.token) throw new Error(`createFirstUser: ${JSON.stringify(data)}`);
  return data.createFirstUser.token;
}

async function main() {
  const build = spawnSync(NODE, ["scripts/build/build.mjs", "--if-changed"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(1);
  const dataDir = mkdtempSync(join(tmpdir(), "orgs-api-startup-"));
  try {
    console.log(
      `node ${process.version}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}, median of ${RUNS} runs`,
    );
    console.log();
    // The first start creates and migrates the database; every start after it is warm.
    const first = await startServer(SERVERS.compiled, dataDir);
    const token = await createFirstUser(first.url);
    await first.stop();
    row(["service warm start until /readyz answers", "wall s", "CPU s"]);
    row(["---", "---:", "---:"]);
    for (const [name, command] of Object.entries(SERVERS)) {
      const samples = [];
      for (let i = 0; i < RUNS; i++) {
        const started = await startServer(command, dataDir);
        samples.push(started);
        await started.stop();
      }
      row([name, seconds(median(samples.map((s) => s.wallMs))), seconds(median(samples.map((s) => s.cpuMs)))]);
    }

    const server = await startServer(SERVERS.compiled, dataDir);
    const env = {
      ...process.env,
      ORGS_API_URL: server.url,
      ORGS_API_TOKEN: token,
      ORGS_API_CONFIG: join(dataDir, "cli.json"),
    };
    console.log();
    row(["CLI command (server running)", "runner", "wall s", "CPU s", "stdout"]);
    row(["---", "---", "---:", "---:", "---"]);
    try {
      for (const args of COMMANDS) {
        for (const [name, command] of Object.entries(CLIS)) {
          const samples = [];
          for (let i = 0; i < RUNS; i++) samples.push(runCommand(command, args, env));
          const { stdout } = samples[0];
          let shape = "text";
          if (args.includes("--json")) {
            try {
              JSON.parse(stdout);
              shape = "JSON only";
            } catch {
              shape = "NOT clean JSON";
            }
          }
          row([
            args.join(" "),
            name,
            seconds(median(samples.map((s) => s.wallMs))),
            seconds(median(samples.map((s) => s.cpuMs))),
            shape,
          ]);
        }
      }
      const curl = ["curl", "-sf", "-H", "content-type: application/json", "-H", `authorization: Bearer ${token}`];
      const body = JSON.stringify({ query: LIST_QUERY, variables: { first: 100 } });
      const samples = [];
      for (let i = 0; i < RUNS; i++) samples.push(runCommand(curl, ["--data", body, `${server.url}/graphql`], env));
      const cells = [median(samples.map((s) => s.wallMs)), median(samples.map((s) => s.cpuMs))].map(seconds);
      row(["the same request by curl", "curl", ...cells, "JSON"]);
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
