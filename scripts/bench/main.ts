// npm run bench: seeds a scratch PostgreSQL database (created and dropped here) at each scale
// point, serves it in this process on 127.0.0.1, and loads each workload from a child process
// (autocannon): first as fast as 8 connections go (requests/s, CPU ms and SQL statements per
// request), then at a fixed rate of half that (p50/p99 latency without coordinated omission).
// Env: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
// BENCH_SCALES (default "1000,10000"), BENCH_SECONDS (per run, default 5).

import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import pg from "pg";
import { createApp } from "../../src/app.js";
import { hashPassword } from "../../src/auth/passwords.js";
import { loadConfig } from "../../src/config.js";
import { type Database, openPostgres } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrate.js";
import { builder } from "../../src/graphql/builder.js";
import { globalId } from "../../src/graphql/ids.js";
// Registers every type on the builder before it is built a second time.
import "../../src/graphql/schema.js";
import { createLogger } from "../../src/logger.js";
import { ensureDefaultOrganization } from "../../src/modules/organizations/organizations.service.js";
import { BIG_ORGANIZATION_MEMBERS, idOf, seed, W1_ORGANIZATIONS, W1_WORKSPACES } from "./seed.js";
import { type Actors, type Expectations, workloads } from "./workloads.js";

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const SCALES = (process.env.BENCH_SCALES ?? "1000,10000").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 8;
const PASSWORD = "bench-password-123";

type LoadResult = {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  checked: number;
  wrong: number;
  firstProblem: string | null;
};

type Row = {
  scale: number;
  workload: string;
  rps: number;
  p50: number;
  p99: number;
  rate: number;
  statements: number;
  cpuMs: number;
  wrong: number;
};

/** Asynchronous: the server under test runs on this process's event loop meanwhile. */
async function load(
  url: string,
  workload: string,
  token: string | null,
  e: Expectations,
  rate?: number,
): Promise<LoadResult> {
  const args = { url, workload, token, expectations: e, connections: CONNECTIONS, seconds: SECONDS, rate };
  const { stdout } = await promisify(execFile)("node", [
    "--import",
    "tsx",
    "scripts/bench/load.ts",
    JSON.stringify(args),
  ]);
  return JSON.parse(stdout) as LoadResult;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

async function login(url: string, email: string): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: "mutation($input: LoginInput!) { login(input: $input) { token userErrors { message } } }",
      variables: { input: { email, password: PASSWORD } },
    }),
  });
  const body = (await response.json()) as any;
  const token = body.data?.login?.token;
  if (!token) throw new Error(`login of ${email} failed: ${JSON.stringify(body)}`);
  return token;
}

/** Requests the servers received and answered: per-request figures divide by what the server did. */
const traffic = { received: 0, answered: 0 };

function counted(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    traffic.received++;
    res.on("close", () => traffic.answered++);
    handler(req, res);
  };
}

/** Waits for the requests still in flight when the load generator stopped. */
async function settled(): Promise<void> {
  for (let i = 0; i < 500 && traffic.answered < traffic.received; i++) await new Promise((r) => setTimeout(r, 10));
}

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

async function runScale(admin: pg.Client, users: number): Promise<Row[]> {
  const name = `orgs_api_bench_${process.pid}_${users}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  let db: Database | undefined;
  const servers: Server[] = [];
  try {
    db = await openPostgres(url.toString(), { poolMax: 10, connectTimeoutMs: 5000, statementTimeoutMs: 30000 });
    await migrate(db);
    await ensureDefaultOrganization(db.prisma);
    const config = loadConfig({
      LOG_LEVEL: "silent",
      PASSWORD_HASH_COST: "1024",
      RATE_LIMIT_PER_MINUTE: "100000000",
      RATE_LIMIT_SIGNIN_PER_MINUTE: "100000000",
    });
    const hash = await hashPassword(PASSWORD, config.passwordHashCost);
    const seeded = performance.now();
    await db.withConnection((raw) => seed(raw, users, hash));
    console.log(`seeded ${users} users in ${Math.round(performance.now() - seeded)} ms`);

    const log = createLogger("silent");
    const app = createApp({ db, config, log });
    // The same service with scope-auth switched off: Pothos type and field checks are skipped;
    // SQL tenant filters and the viewer lookup still run. Used only for the W2 comparison.
    const unchecked = createApp({
      db,
      config,
      log,
      schema: builder.toSchema({ sortSchema: false, disableScopeAuth: true }),
    });
    const server = createServer(counted(app.yoga));
    const uncheckedServer = createServer(counted(unchecked.yoga));
    servers.push(server, uncheckedServer);
    const endpoint = await listen(server);
    const uncheckedEndpoint = await listen(uncheckedServer);

    const tokens: Actors = {
      member: await login(endpoint, "bench-member@bench.test"),
      admin: await login(endpoint, "bench-admin@bench.test"),
      owner: await login(endpoint, "bench-owner@bench.test"),
    };
    const raw = {
      query: async <T>(sql: string, params?: unknown[]) =>
        (await db?.withConnection((r) => r.query<T>(sql, params))) ?? [],
    };
    const expectations: Expectations = {
      w1Workspaces: W1_WORKSPACES,
      w1Organizations: W1_ORGANIZATIONS,
      bigOrganization: "org-000",
      bigMembers: BIG_ORGANIZATION_MEMBERS + 1,
      templateId: globalId("Template", await idOf(raw as never, "template", "1")),
      foreignWorkspaceId: globalId("Workspace", await idOf(raw as never, "ws", "50")),
    };

    const rows: Row[] = [];
    const measure = async (label: string, target: string, workload: string, token: string | null) => {
      const database = db as Database;
      await settled();
      const statementsBefore = database.statements.total;
      const answeredBefore = traffic.answered;
      const cpuBefore = process.cpuUsage();
      const fast = await load(target, workload, token, expectations);
      await settled();
      const cpu = process.cpuUsage(cpuBefore);
      const statements = database.statements.total - statementsBefore;
      const answered = traffic.answered - answeredBefore;
      sampleRss();
      const rate = Math.max(1, Math.floor(fast.rps / 2));
      const paced = await load(target, workload, token, expectations, rate);
      sampleRss();
      const row: Row = {
        scale: users,
        workload: label,
        rps: fast.rps,
        p50: paced.p50,
        p99: paced.p99,
        rate,
        statements: statements / Math.max(1, answered),
        cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(1, answered),
        wrong: fast.wrong + paced.wrong + fast.errors + paced.errors,
      };
      if (row.wrong > 0) console.error(`${label}: ${fast.firstProblem ?? paced.firstProblem ?? "HTTP errors"}`);
      console.log(format(row));
      rows.push(row);
    };

    for (const workload of workloads(expectations)) {
      await measure(workload.name, endpoint, workload.name, workload.actor ? tokens[workload.actor] : null);
    }
    await measure("W2/100 no-scope-auth", uncheckedEndpoint, "W2/100", tokens.admin);
    await measure("W2/1000 no-scope-auth", uncheckedEndpoint, "W2/1000", tokens.admin);
    return rows;
  } finally {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await db?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

const HEADER = `${"scale".padStart(6)} ${"workload".padEnd(22)} ${"req/s".padStart(8)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)} ${"@rate".padStart(6)} ${"SQL/req".padStart(8)} ${"CPU ms/req".padStart(10)} wrong`;

function format(r: Row): string {
  return `${String(r.scale).padStart(6)} ${r.workload.padEnd(22)} ${r.rps.toFixed(0).padStart(8)} ${r.p50.toFixed(1).padStart(7)} ${r.p99.toFixed(1).padStart(7)} ${String(r.rate).padStart(6)} ${r.statements.toFixed(2).padStart(8)} ${r.cpuMs.toFixed(2).padStart(10)} ${r.wrong}`;
}

const admin = new pg.Client({ connectionString: SERVER_URL });
await admin.connect();
const started = performance.now();
const all: Row[] = [];
try {
  console.log(HEADER);
  for (const scale of SCALES) all.push(...(await runScale(admin, scale)));
} finally {
  await admin.end();
}
console.log(`\n${HEADER}`);
for (const row of all) console.log(format(row));
for (const scale of SCALES) {
  const rps = (name: string) => all.find((r) => r.scale === scale && r.workload === name)?.rps ?? Number.NaN;
  const cpu = (name: string) => all.find((r) => r.scale === scale && r.workload === name)?.cpuMs ?? Number.NaN;
  console.log(
    `scale ${scale}: W1/W0 throughput ${(rps("W1") / rps("W0")).toFixed(2)}; ` +
      `W2 scope-auth overhead: page of 100 ${pct(rps("W2/100 no-scope-auth"), rps("W2/100"))} throughput, ` +
      `${pct(cpu("W2/100"), cpu("W2/100 no-scope-auth"))} CPU/req; all 1000 ${pct(rps("W2/1000 no-scope-auth"), rps("W2/1000"))} throughput, ` +
      `${pct(cpu("W2/1000"), cpu("W2/1000 no-scope-auth"))} CPU/req`,
  );
}
const wrong = all.reduce((sum, r) => sum + r.wrong, 0);
console.log(
  `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB; ${wrong} wrong responses; ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
if (wrong > 0) process.exitCode = 1;

/** How much more `a` is than `b`, in percent. */
function pct(a: number, b: number): string {
  return `${(((a - b) / b) * 100).toFixed(1)}%`;
}
