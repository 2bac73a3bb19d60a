// The soak (npm run soak): the real server process on a throwaway PostgreSQL cluster, four
// tenants, a mix of reads and writes. First a closed-loop burst measures peak throughput; then
// half of it is held as a fixed arrival rate for SOAK_SECONDS while every app backend is
// terminated (at 1/3) and the cluster is restarted (at 2/3). Afterwards: every acknowledged
// write exists exactly once, no quota is exceeded, no answer carried another tenant's data,
// the server's heap is flat, no connection was left idle in transaction. Exits 1 on any failure.
//
//   npm run soak                                  (120 s at half of the measured peak)
//   SOAK_SECONDS=30 SOAK_RATE=20 npm run soak     (shorter, fixed rate)
//   env: SOAK_SECONDS (120), SOAK_PEAK_SECONDS (10), SOAK_CLIENTS (closed-loop clients of the burst, 16),
//        SOAK_RATE (operations/s; default half the peak), SOAK_MAX_IN_FLIGHT (64), SOAK_TENANTS (4),
//        SOAK_MEMBERS (members per tenant, 6), SOAK_SERVER_LOG (a file to copy the server's output to)
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import pg from "pg";
import { hashPassword } from "../../src/auth/passwords.js";
import { type Cluster, freePort, startCluster } from "../../test/support/pg-cluster.js";
import { type Seeded, seedTenants } from "./seed.js";
import { QUOTA_SQL, type Verdict, verify } from "./verify.js";
import { type Actor, type Attempt, Workload, WRITE_KINDS } from "./workload.js";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SECONDS = env("SOAK_SECONDS", 120);
const PEAK_SECONDS = env("SOAK_PEAK_SECONDS", 10);
const CLIENTS = env("SOAK_CLIENTS", 16);
const MAX_IN_FLIGHT = env("SOAK_MAX_IN_FLIGHT", 64);
const TENANTS = env("SOAK_TENANTS", 4);
const MEMBERS = env("SOAK_MEMBERS", 6);
const DATABASE = "soak";
const PASSWORD = "soak-password-123";
const MEMORY_INTERVAL_MS = 5000;
/** A backend idle in transaction for longer than this is a leaked transaction, not a slow request. */
const IDLE_IN_TRANSACTION_LIMIT_S = 5;
/** A 503 this long after a fault's first success no longer belongs to the fault. */
const FAULT_TAIL_MS = 2000;

const t0 = performance.now();
const now = () => performance.now() - t0;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Injection = { name: string; at: number; done: number; detail: string };
type MemorySample = { t: number; heapUsed: number; rss: number };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
const median = (values: number[]) => percentile(values, 50);

/** The real server (src/server.ts) with a memory probe, as its own process. */
function startServer(databaseUrl: string, port: number, memory: MemorySample[]) {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "scripts/soak/server-child.ts"], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      PASSWORD_HASH_COST: "1024",
      // The soak measures the service, not its rate limiter.
      RATE_LIMIT_PER_MINUTE: "10000000",
      RATE_LIMIT_SIGNIN_PER_MINUTE: "100000",
      SOAK_MEMORY_INTERVAL_MS: String(MEMORY_INTERVAL_MS),
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const logs = new Map<string, number>();
  let output = "";
  const collect = (chunk: Buffer) => {
    if (process.env.SOAK_SERVER_LOG) appendFileSync(process.env.SOAK_SERVER_LOG, chunk);
    output += chunk;
    const lines = output.split("\n");
    output = lines.pop() ?? "";
    for (const line of lines) {
      let key = line.slice(0, 120);
      try {
        const entry = JSON.parse(line);
        key = `${entry.level} ${entry.msg}`;
      } catch {}
      logs.set(key, (logs.get(key) ?? 0) + 1);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  child.on("message", (m: { heapUsed: number; rss: number }) => memory.push({ t: now(), ...m }));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, logs, exited };
}

async function waitForServer(url: string, exited: Promise<number | null>): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (const deadline = Date.now() + 60_000; Date.now() < deadline && !gone; ) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await sleep(200);
  }
  throw new Error("the server did not become ready");
}

async function login(endpoint: string, email: string): Promise<string> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`,
      variables: { input: { email, password: PASSWORD } },
    }),
  });
  const body = (await response.json()) as any;
  const token = body.data?.login?.token;
  if (!token) throw new Error(`login of ${email} failed: ${JSON.stringify(body)}`);
  return token;
}

/** Every second: backends idle in transaction for longer than the limit (the run's leaked transactions). */
function sampleIdleTransactions(
  cluster: Cluster,
  stats: { samples: number; missed: number; bad: number; worst: string },
) {
  return setInterval(() => {
    cluster
      .sql<{ pid: number; age: number; query: string }>(
        `SELECT pid, extract(epoch FROM now() - state_change)::float AS age, query FROM pg_stat_activity
         WHERE datname = $1 AND state LIKE 'idle in transaction%' AND now() - state_change > make_interval(secs => $2)`,
        [DATABASE, IDLE_IN_TRANSACTION_LIMIT_S],
      )
      .then((rows) => {
        stats.samples++;
        if (rows.length > 0) {
          stats.bad++;
          stats.worst = `pid ${rows[0]?.pid} for ${rows[0]?.age.toFixed(1)} s: ${rows[0]?.query.slice(0, 80)}`;
        }
      })
      .catch(() => {
        stats.missed++; // the cluster is being restarted
      });
  }, 1000);
}

/** Every 5 s: a consistent snapshot of every member's consumption against their budget. */
function sampleQuota(cluster: Cluster, stats: { samples: number; over: string[] }) {
  return setInterval(() => {
    cluster
      .sql<{ username: string; organization: string; consumed: number; budget: number }>(QUOTA_SQL, [], DATABASE)
      .then((rows) => {
        stats.samples++;
        for (const r of rows) {
          if (r.consumed > r.budget && stats.over.length < 10)
            stats.over.push(`${r.username}/${r.organization} ${r.consumed}>${r.budget}`);
        }
      })
      .catch(() => {});
  }, 5000);
}

/** Closed loop: `clients` workers, each starting its next operation when the last one ends. */
async function measurePeak(workload: Workload, clients: number, ms: number): Promise<number> {
  const start = now();
  const before = workload.ops.length;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (now() - start < ms) await workload.runOne("peak");
    }),
  );
  return ((workload.ops.length - before) * 1000) / (now() - start);
}

/** Open loop: operations start on a fixed schedule whatever the answers do; at most MAX_IN_FLIGHT at once. */
async function hold(workload: Workload, rate: number, ms: number, faults: { at: number; run: () => Promise<void> }[]) {
  const start = now();
  const pending = new Set<Promise<void>>();
  let launched = 0;
  let skipped = 0;
  let maxInFlight = 0;
  const faultRuns: Promise<void>[] = [];
  const scheduled = [...faults];
  while (now() - start < ms) {
    const due = Math.floor(((now() - start) * rate) / 1000);
    for (; launched < due; launched++) {
      if (pending.size >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      const op = workload.runOne("soak").finally(() => pending.delete(op));
      pending.add(op);
      maxInFlight = Math.max(maxInFlight, pending.size);
    }
    while (scheduled[0] && now() - start >= scheduled[0].at)
      faultRuns.push((scheduled.shift() as (typeof faults)[0]).run());
    await sleep(5);
  }
  const drainStart = now();
  await Promise.all([...pending, ...faultRuns]);
  return { launched, skipped, maxInFlight, drainMs: now() - drainStart };
}

/** The fault's effect as clients saw it: failures from its start until the first success after it ended (+ a tail). */
function recovery(attempts: Attempt[], injection: Injection) {
  const firstOk = attempts
    .filter((a) => a.code === "OK" && a.start >= injection.done)
    .sort((a, b) => a.start + a.ms - (b.start + b.ms))[0];
  const recoveredAt = firstOk ? firstOk.start + firstOk.ms : Number.POSITIVE_INFINITY;
  const failed = attempts.filter(
    (a) =>
      (a.code === "SERVICE_UNAVAILABLE" || a.code === "NETWORK") &&
      a.start + a.ms >= injection.at &&
      a.start <= recoveredAt + FAULT_TAIL_MS,
  );
  return { firstOkMs: recoveredAt - injection.done, windowEnd: recoveredAt + FAULT_TAIL_MS, failed };
}

function memoryVerdict(samples: MemorySample[], from: number, to: number): { verdict: Verdict; lines: string[] } {
  const inRun = samples.filter((s) => s.t >= from && s.t <= to);
  const third = (to - from) / 3;
  const middle = inRun.filter((s) => s.t >= from + third && s.t < from + 2 * third).map((s) => s.heapUsed);
  const last = inRun.filter((s) => s.t >= from + 2 * third).map((s) => s.heapUsed);
  const mb = (b: number) => b / 1024 / 1024;
  // Least-squares slope of heap over the hold, MB per minute.
  const n = inRun.length;
  const mx = inRun.reduce((s, p) => s + p.t, 0) / n;
  const my = inRun.reduce((s, p) => s + mb(p.heapUsed), 0) / n;
  const slope =
    (inRun.reduce((s, p) => s + (p.t - mx) * (mb(p.heapUsed) - my), 0) /
      Math.max(
        inRun.reduce((s, p) => s + (p.t - mx) ** 2, 0),
        1,
      )) *
    60_000;
  const growth = mb(median(last)) - mb(median(middle));
  const allowed = Math.max(5, 0.1 * mb(median(middle)));
  const ok = middle.length > 0 && last.length > 0 && growth <= allowed;
  const rss = inRun.map((s) => mb(s.rss));
  return {
    verdict: {
      name: "memory flat: heap after GC, median of the last third within max(5 MB, 10%) of the middle third",
      ok,
      detail: `middle ${mb(median(middle)).toFixed(1)} MB, last ${mb(median(last)).toFixed(1)} MB (${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB), slope ${slope.toFixed(2)} MB/min over ${n} samples`,
    },
    lines: [
      `heap after GC (MB, every ${MEMORY_INTERVAL_MS / 1000} s of the hold): ${inRun.map((s) => mb(s.heapUsed).toFixed(0)).join(" ")}`,
      `server RSS: min ${Math.min(...rss).toFixed(0)} MB, median ${median(rss).toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB`,
    ],
  };
}

function latencyLine(label: string, attempts: Attempt[]): string {
  const ms = attempts.map((a) => a.ms);
  return `${label.padEnd(28)} ${String(attempts.length).padStart(6)}  p50 ${percentile(ms, 50).toFixed(0).padStart(5)} ms  p99 ${percentile(ms, 99).toFixed(0).padStart(5)} ms  max ${Math.max(
    0,
    ...ms,
  )
    .toFixed(0)
    .padStart(5)} ms`;
}

async function main(): Promise<void> {
  const cluster = await startCluster({ max_connections: "50" });
  let server: ReturnType<typeof startServer> | null = null;
  const cleanUp = async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await Promise.race([server.exited, sleep(15_000)]);
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
    await cluster.close();
  };
  const onSignal = () => {
    void cleanUp().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    process.exitCode = await soak(cluster, (s) => {
      server = s;
    });
  } finally {
    const running = server as ReturnType<typeof startServer> | null;
    if (running && running.child.exitCode === null) {
      running.child.kill("SIGTERM");
      const code = await Promise.race([running.exited, sleep(15_000).then(() => "timeout")]);
      console.log(`server stopped on SIGTERM: exit ${code}`);
      if (code !== 0 && process.exitCode === 0) process.exitCode = 1;
    }
    await cleanUp();
  }
}

async function soak(cluster: Cluster, started: (server: ReturnType<typeof startServer>) => void): Promise<number> {
  await cluster.sql(`CREATE DATABASE ${DATABASE}`);
  const memory: MemorySample[] = [];
  const port = await freePort();
  const server = startServer(cluster.url(DATABASE), port, memory);
  started(server);
  const base = `http://127.0.0.1:${port}`;
  await waitForServer(base, server.exited);
  const endpoint = `${base}/graphql`;

  const client = new pg.Client({ connectionString: cluster.url(DATABASE) });
  await client.connect();
  let seeded: Seeded;
  try {
    seeded = await seedTenants(client, TENANTS, MEMBERS, await hashPassword(PASSWORD, 1024));
  } finally {
    await client.end();
  }
  const actors: Actor[] = [];
  for (const [index, user] of seeded.users.entries())
    actors.push({ ...user, index, token: await login(endpoint, user.email) });
  // The server's first failed request loads the source maps its stack trace needs (tsx, ~5 MB,
  // once): one outage before measuring, so the memory figures compare like with like.
  await cluster.stop("fast");
  const primed = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${actors[0]?.token}` },
    body: JSON.stringify({ query: "{ viewer { id } }" }),
  }).then((r) => r.status);
  await cluster.start();
  await waitForServer(base, server.exited);
  if (primed !== 503) throw new Error(`a query answered ${primed} while the cluster was down`);
  const workload = new Workload(endpoint, seeded, actors, now);
  console.log(
    `soak: ${TENANTS} tenants, ${actors.length} users, server pid ${server.child.pid} on ${endpoint}, PostgreSQL 15 on port ${cluster.port}`,
  );

  const idle = { samples: 0, missed: 0, bad: 0, worst: "" };
  const quota = { samples: 0, over: [] as string[] };
  const idleTimer = sampleIdleTransactions(cluster, idle);
  const quotaTimer = sampleQuota(cluster, quota);
  const injections: Injection[] = [];
  let soakStart = 0;
  let soakEnd = 0;
  let held: Awaited<ReturnType<typeof hold>>;
  let peak: number;
  let rate: number;
  try {
    peak = await measurePeak(workload, CLIENTS, PEAK_SECONDS * 1000);
    rate = process.env.SOAK_RATE ? Number(process.env.SOAK_RATE) : peak / 2;
    console.log(
      `peak: ${peak.toFixed(1)} operations/s with ${CLIENTS} closed-loop clients; holding ${rate.toFixed(1)}/s for ${SECONDS} s`,
    );
    soakStart = now();
    const faults = [
      {
        at: (SECONDS * 1000) / 3,
        run: async () => {
          const at = now();
          const n = await cluster.terminateBackends(DATABASE);
          injections.push({ name: "terminate every app backend", at, done: now(), detail: `${n} backends terminated` });
          console.log(`  ${seconds(at - soakStart)}: terminated ${n} backends`);
        },
      },
      {
        at: (SECONDS * 2000) / 3,
        run: async () => {
          const at = now();
          await cluster.stop("fast");
          const stopped = now();
          await cluster.start();
          injections.push({
            name: "restart the cluster (stop fast, start)",
            at,
            done: now(),
            detail: `down for ${seconds(now() - at)} (stop ${seconds(stopped - at)})`,
          });
          console.log(`  ${seconds(at - soakStart)}: cluster restarted, down for ${seconds(now() - at)}`);
        },
      },
    ];
    held = await hold(workload, rate, SECONDS * 1000, faults);
    soakEnd = now();
  } finally {
    clearInterval(idleTimer);
    clearInterval(quotaTimer);
  }
  await sleep(1000);

  // The end state: nothing idle in transaction, no more connections than the pool allows.
  const leftIdle = await cluster.backends(DATABASE, "idle in transaction");
  const connections = await cluster.backends(DATABASE);
  const check = new pg.Client({ connectionString: cluster.url(DATABASE) });
  await check.connect();
  let verdicts: Verdict[];
  try {
    verdicts = await verify(check, seeded, workload);
  } finally {
    await check.end();
  }

  // Report.
  const soakAttempts = workload.attempts.filter((a) => a.start >= soakStart);
  const soakOps = workload.ops.filter((o) => o.phase === "soak");
  const windows = injections.map((i) => ({ injection: i, ...recovery(workload.attempts, i) }));
  // In flight when the fault began, or started before its first success + the tail.
  const inWindow = (a: Attempt) => windows.some((w) => a.start + a.ms >= w.injection.at && a.start <= w.windowEnd);
  const unavailable = soakAttempts.filter((a) => a.code === "SERVICE_UNAVAILABLE" || a.code === "NETWORK");
  const outsideFaults = unavailable.filter((a) => !inWindow(a));
  const byCode = new Map<string, number>();
  for (const a of workload.attempts) {
    const key = `${a.status || "-"} ${a.code}`;
    byCode.set(key, (byCode.get(key) ?? 0) + 1);
  }
  const outcomes = new Map<string, number>();
  for (const o of workload.ops)
    outcomes.set(`${o.kind} ${o.outcome}`, (outcomes.get(`${o.kind} ${o.outcome}`) ?? 0) + 1);
  const expectedCodes = new Set(["OK", "QUOTA_EXCEEDED", "SERVICE_UNAVAILABLE", "NAME_TAKEN", "NOT_FOUND"]);
  const unexpectedAttempts = workload.attempts.filter((a) => !expectedCodes.has(a.code));
  const memoryResult = memoryVerdict(memory, soakStart, soakEnd);
  const failFast = unavailable.map((a) => a.ms);
  const holdSeconds = (soakEnd - soakStart) / 1000;

  console.log("\n== soak report ==");
  console.log(
    `peak (closed loop, ${CLIENTS} clients, ${PEAK_SECONDS} s): ${peak.toFixed(1)} ops/s; held ${rate.toFixed(1)} ops/s for ${holdSeconds.toFixed(0)} s: ${held.launched} scheduled, ${held.skipped} skipped (in-flight cap ${MAX_IN_FLIGHT}), max in flight ${held.maxInFlight}, drain ${seconds(held.drainMs)}`,
  );
  console.log(
    `achieved ${(soakOps.length / holdSeconds).toFixed(1)} ops/s, ${(soakAttempts.length / holdSeconds).toFixed(1)} requests/s (${soakAttempts.filter((a) => WRITE_KINDS.has(a.kind)).length} writes)`,
  );
  console.log("\nlatency per request (hold phase):");
  console.log(latencyLine("all", soakAttempts));
  console.log(
    latencyLine(
      "ok reads",
      soakAttempts.filter((a) => a.code === "OK" && !WRITE_KINDS.has(a.kind)),
    ),
  );
  console.log(
    latencyLine(
      "ok writes",
      soakAttempts.filter((a) => a.code === "OK" && WRITE_KINDS.has(a.kind)),
    ),
  );
  console.log(latencyLine("503 / network error", unavailable));
  for (const kind of new Set(soakAttempts.map((a) => a.kind))) {
    console.log(
      latencyLine(
        `  ${kind}`,
        soakAttempts.filter((a) => a.kind === kind),
      ),
    );
  }
  console.log("\nrequests by status and code (whole run):");
  for (const [key, n] of [...byCode].sort((a, b) => b[1] - a[1])) console.log(`  ${key.padEnd(34)} ${n}`);
  console.log("\noperations by outcome (whole run; retries included in one operation):");
  for (const [key, n] of [...outcomes].sort()) console.log(`  ${key.padEnd(34)} ${n}`);
  for (const [key, { count, sample }] of workload.unexpected)
    console.log(`  unexpected ${key}: ${count}, e.g. ${sample}`);
  console.log("\nfault injections:");
  for (const w of windows) {
    console.log(
      `  ${seconds(w.injection.at - soakStart)} ${w.injection.name} (${w.injection.detail}): first success ${w.firstOkMs.toFixed(0)} ms after it ended; ${w.failed.length} requests answered 503/network error and were retried`,
    );
    const failures = w.failed.map((a) => `+${(a.start - w.injection.at).toFixed(0)}:${a.ms.toFixed(0)}`);
    if (failures.length > 0)
      console.log(`    failed requests (ms after the fault began : ms to answer): ${failures.join(" ")}`);
  }
  for (const a of outsideFaults.slice(0, 5)) {
    console.log(
      `  503 outside a fault: ${a.kind} at ${seconds(a.start - soakStart)} (${a.ms.toFixed(0)} ms), request ${a.requestId}`,
    );
  }
  console.log(`\nmemory (server process):\n  ${memoryResult.lines.join("\n  ")}`);
  console.log(
    `\nidle in transaction > ${IDLE_IN_TRANSACTION_LIMIT_S} s: ${idle.bad} of ${idle.samples} one-second samples (${idle.missed} missed during the restart)${idle.worst ? `; e.g. ${idle.worst}` : ""}`,
  );
  console.log(`server log lines by level and message: ${JSON.stringify(Object.fromEntries(server.logs))}`);

  verdicts.push(
    {
      name: "quota: no member over budget in any sample during the run",
      ok: quota.over.length === 0 && quota.samples > 0,
      detail: quota.over.length > 0 ? quota.over.join(", ") : `${quota.samples} snapshots`,
    },
    memoryResult.verdict,
    {
      name: `no backend idle in transaction for more than ${IDLE_IN_TRANSACTION_LIMIT_S} s during the run`,
      ok: idle.bad === 0 && idle.samples > 0,
      detail: idle.worst || `${idle.samples} samples`,
    },
    {
      name: "no backend idle in transaction at the end; no more connections than the pool's 10",
      ok: leftIdle.length === 0 && connections.length <= 10,
      detail: `${leftIdle.length} idle in transaction, ${connections.length} connections`,
    },
    {
      name: "every request answered with an expected code (no 500, no unexpected error)",
      ok: unexpectedAttempts.length === 0 && workload.unexpected.size === 0,
      detail:
        unexpectedAttempts.length === 0
          ? "none"
          : `${unexpectedAttempts.length}: ${[...workload.unexpected.keys()].join(", ")}`,
    },
    {
      name: "503s only during a fault (until its first success + 2 s), answered fast (p99 < 1 s)",
      ok: outsideFaults.length === 0 && percentile(failFast, 99) < 1000,
      detail: `${unavailable.length} during faults, ${outsideFaults.length} outside; p50 ${percentile(failFast, 50).toFixed(0)} ms, p99 ${percentile(failFast, 99).toFixed(0)} ms`,
    },
    {
      name: "the service recovered after each fault (a success within 10 s of its end)",
      ok: windows.length === 2 && windows.every((w) => w.firstOkMs < 10_000),
      detail: windows.map((w) => `${w.firstOkMs.toFixed(0)} ms`).join(", "),
    },
    {
      name: "the held rate was delivered (no arrivals skipped for the in-flight cap)",
      ok: held.skipped === 0,
      detail: `${held.skipped} skipped`,
    },
    {
      name: "the server process stayed up",
      ok: server.child.exitCode === null && server.child.signalCode === null,
      detail: server.child.exitCode === null ? `pid ${server.child.pid}` : `exited with ${server.child.exitCode}`,
    },
    {
      name: "no unhandled rejection in the server",
      ok: ![...server.logs.keys()].some((k) => k.includes("unhandled")),
      detail: "",
    },
  );
  console.log("\nverdicts:");
  for (const v of verdicts) console.log(`  ${v.ok ? "PASS" : "FAIL"}  ${v.name}${v.detail ? `: ${v.detail}` : ""}`);
  const failed = verdicts.filter((v) => !v.ok).length;
  console.log(failed === 0 ? "\nsoak passed" : `\nsoak FAILED: ${failed} verdicts`);
  return failed === 0 ? 0 : 1;
}

await main();
