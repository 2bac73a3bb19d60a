// npm run bench: for each database (PostgreSQL, PGlite) and scale point, seeds a scratch database
// (seed.ts), serves it in this process on 127.0.0.1 (service.ts), and loads each workload from a
// child process (autocannon, every response checked): first as fast as 8 connections go
// (requests/s, CPU ms and SQL statements per request, peak RSS), then at a fixed rate of half
// that (p50/p99 latency without coordinated omission). Then measures scope-auth's cost on W2
// (auth-overhead.ts), and the pipeline floor: signed-in `{ __typename }` against a bare
// `createYoga` on the same set-up, in alternating rounds. Prints the table and the ratios; exits 1
// if any response was wrong or any request never finished. The comparison with PostGraphile on the
// same data is `npm run bench:peer` (../shared/bench-peer).
// Env: BENCH_DATABASES (default "postgres,pglite"), BENCH_SCALES (default "1000,10000,100000"),
// BENCH_SECONDS (per load run, default 5), BENCH_AUTH_ROUNDS (default 6), BENCH_WORKLOADS (default
// all: W0,W1,W2/100,W2/1000,W3,W4,W5), BENCH_DATABASE_URL.

import type { Database } from "../../src/db/database.js";
import { type DatabaseKind, databaseKinds, openScratchDatabase } from "../support/scratch-database.js";
import { inProcess, type OverheadRatios, overHttp } from "./auth-overhead.js";
import { measure } from "./measure.js";
import { format, HEADER, median, overhead, type Row } from "./report.js";
import { type Service, startService } from "./service.js";
import { workloads } from "./workloads.js";

const DATABASES = databaseKinds(process.env.BENCH_DATABASES ?? "postgres,pglite");
const SCALES = (process.env.BENCH_SCALES ?? "1000,10000,100000").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const AUTH_ROUNDS = Number(process.env.BENCH_AUTH_ROUNDS ?? 6);
/** A subset of the workloads' names (the scope-auth comparison always runs). */
const ONLY = process.env.BENCH_WORKLOADS?.split(",");
const CONNECTIONS = 8;

type ScaleResult = {
  database: DatabaseKind;
  scale: number;
  seedMs: number;
  rows: Row[];
  overheads: OverheadRatios[];
  /** Signed-in W0 req/s over the bare Yoga's, one ratio per alternating round. */
  floor: number[];
  /** Requests the service never finished handling (see settled). */
  stuck: number;
};

async function runScale(database: DatabaseKind, users: number): Promise<ScaleResult> {
  const scratch = await openScratchDatabase(database, `bench_${users}`, { serverUrl: process.env.BENCH_DATABASE_URL });
  try {
    const service = await startService(scratch.db, users);
    try {
      const { db } = scratch;
      const { checked, tokens, expectations } = service;
      console.log(`${database} ${users}: seeded in ${(service.seedMs / 1000).toFixed(1)} s`);
      const rows: Row[] = [];
      for (const workload of workloads(expectations).filter((w) => !ONLY || ONLY.includes(w.name))) {
        const base = { endpoint: checked, db, workload: workload.name, expectations, connections: CONNECTIONS };
        const token = workload.actor ? tokens[workload.actor] : null;
        const fast = await measure({ ...base, token, seconds: SECONDS });
        const rate = Math.max(1, Math.floor(fast.rps / 2));
        const paced = await measure({ ...base, token, seconds: SECONDS, rate });
        const row: Row = {
          database,
          scale: users,
          workload: workload.name,
          rps: fast.rps,
          p50: paced.p50,
          p99: paced.p99,
          rate,
          statements: fast.statementsPerRequest,
          cpuMs: fast.cpuMsPerRequest,
          peakRssMb: Math.max(fast.peakRssMb, paced.peakRssMb),
          wrong: fast.wrong + paced.wrong + fast.errors + paced.errors,
          timeouts: fast.timeouts + paced.timeouts,
        };
        if (row.wrong > 0)
          console.error(`${workload.name}: ${fast.firstProblem ?? paced.firstProblem ?? "HTTP errors"}`);
        console.log(format(row));
        rows.push(row);
      }
      const overheads = [
        await overHttp(service, db, { workload: "W2/100", rounds: AUTH_ROUNDS, seconds: 3, connections: CONNECTIONS }),
        await inProcess(service, { workload: "W2/100", blocks: AUTH_ROUNDS * 2, requestsPerBlock: 10 }),
        await inProcess(service, { workload: "W2/1000", blocks: AUTH_ROUNDS, requestsPerBlock: 2 }),
      ];
      const floor = await pipelineFloor(service, db);
      const stuck = service.checked.traffic.stuck + service.unchecked.traffic.stuck;
      return { database, scale: users, seedMs: service.seedMs, rows, overheads, floor, stuck };
    } finally {
      await service.close();
    }
  } finally {
    await scratch.drop();
  }
}

/** Alternating rounds of W0 on our server (signed in) and on the bare Yoga; ratios of req/s. */
async function pipelineFloor(service: Service, db: Database): Promise<number[]> {
  const w0 = workloads(service.expectations).find((w) => w.name === "W0");
  if (!w0 || (ONLY && !ONLY.includes("W0"))) return [];
  const ratios: number[] = [];
  for (let round = 0; round < AUTH_ROUNDS; round++) {
    const load = { db, workload: "W0", expectations: service.expectations, connections: CONNECTIONS, seconds: 3 };
    const bare = await measure({ ...load, endpoint: service.bare, token: null });
    const ours = await measure({ ...load, endpoint: service.checked, token: service.tokens.member });
    ratios.push(ours.rps / bare.rps);
  }
  return ratios;
}

/** The ratios of one scale point (printed as soon as it is done, and again at the end). */
function summary({ database, scale, seedMs, rows, overheads, floor, stuck }: ScaleResult): string {
  const rps = (name: string) => rows.find((r) => r.workload === name)?.rps ?? Number.NaN;
  return [
    `${database} ${scale}: seeded in ${(seedMs / 1000).toFixed(1)} s; W1/W0 throughput ${(rps("W1") / rps("W0")).toFixed(2)}; ` +
      `${stuck} request(s) never finished; ` +
      "scope-auth overhead on W2, median (range) of the per-round ratios:",
    ...overheads.map((o) => `  ${o.label}: CPU/req ${overhead(o.cpu)}, throughput ${overhead(o.throughput)}`),
    ...(floor.length > 0
      ? [
          `pipeline floor: signed-in { __typename } at ${median(floor).toFixed(2)} × a bare createYoga's req/s ` +
            `(${Math.min(...floor).toFixed(2)} .. ${Math.max(...floor).toFixed(2)}, n=${floor.length}; goal ≥ 0.5)`,
        ]
      : []),
  ].join("\n");
}

const started = performance.now();
const results: ScaleResult[] = [];
console.log(HEADER);
for (const database of DATABASES) {
  for (const scale of SCALES) {
    const result = await runScale(database, scale);
    console.log(summary(result));
    results.push(result);
  }
}

console.log(`\n${HEADER}`);
for (const result of results) for (const row of result.rows) console.log(format(row));
console.log("");
for (const result of results) console.log(summary(result));
const wrong = results.reduce(
  (sum, { rows, overheads }) =>
    sum + rows.reduce((n, r) => n + r.wrong, 0) + overheads.reduce((n, o) => n + o.wrong, 0),
  0,
);
const timeouts = results.reduce((sum, { rows }) => sum + rows.reduce((n, r) => n + r.timeouts, 0), 0);
const stuck = results.reduce((sum, result) => sum + result.stuck, 0);
console.log(
  `${wrong} wrong responses, ${timeouts} timed out, ${stuck} never finished; ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
// Explicitly: a connection a pool never got back would keep the process alive.
process.exit(wrong > 0 || stuck > 0 ? 1 : 0);
