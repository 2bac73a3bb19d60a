// npm run bench:memory: does the server's memory stay flat under steady load? Seeds the 1k scale
// point, serves it in this process, and runs a mixed workload at a fixed moderate rate (each
// workload from its own child process, every response checked) for BENCH_MEMORY_SECONDS (600).
// Every 5 s it forces a full GC (node --expose-gc) and samples heapUsed and RSS. Verdict: the
// least-squares slope of heapUsed over the last 80% of the run, and the first minute's mean
// against the last minute's; flat means a slope under 1 MB/min. Exits 1 if not flat or any
// response was wrong (requests timed out by an overloaded machine are counted, not failed).
// Env: BENCH_MEMORY_SECONDS, BENCH_MEMORY_DATABASE (postgres | pglite, default postgres),
// BENCH_DATABASE_URL.
import { databaseKinds, openScratchDatabase } from "../support/scratch-database.js";
import { startService } from "./service.js";
import { runLoad } from "./spawn-load.js";

const SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 600);
const [KIND = "postgres"] = databaseKinds(process.env.BENCH_MEMORY_DATABASE ?? "postgres");
const SAMPLE_MS = 5000;
const SLOPE_LIMIT_MB_PER_MIN = 1;
const USERS = 1000;
/** Requests per second of each workload (about a quarter of a core on the benchmark machine). */
const MIX = [
  { workload: "W1", rate: 5 },
  { workload: "W2/100", rate: 2 },
  { workload: "W3", rate: 2 },
  { workload: "W4", rate: 5 },
  { workload: "W5", rate: 5 },
] as const;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.warn("run with node --expose-gc (npm run bench:memory does): samples include garbage");

type Sample = { seconds: number; heapMb: number; rssMb: number; handled: number };
const MB = 2 ** 20;

const scratch = await openScratchDatabase(KIND, "bench_memory", { serverUrl: process.env.BENCH_DATABASE_URL });
let failed = false;
try {
  const service = await startService(scratch.db, USERS);
  try {
    const { checked, tokens, expectations } = service;
    const actorOf: Record<string, string | null> = {
      W1: tokens.member,
      "W2/100": tokens.admin,
      W3: tokens.creator,
      W4: null,
      W5: tokens.member,
    };
    console.log(
      `${KIND}, ${USERS} users seeded; ${SECONDS} s of ${MIX.map((m) => `${m.workload} ${m.rate}/s`).join(", ")}`,
    );
    const samples: Sample[] = [];
    let started = performance.now();
    const sample = () => {
      gc?.();
      const usage = process.memoryUsage();
      const s: Sample = {
        seconds: (performance.now() - started) / 1000,
        heapMb: usage.heapUsed / MB,
        rssMb: usage.rss / MB,
        handled: checked.traffic.handled,
      };
      samples.push(s);
      console.log(
        `${s.seconds.toFixed(0).padStart(5)} s  heapUsed ${s.heapMb.toFixed(1).padStart(7)} MB  rss ${s.rssMb.toFixed(1).padStart(7)} MB  handled ${s.handled}`,
      );
    };
    const logins = checked.traffic.handled;
    const loads = Promise.all(
      MIX.map((m) =>
        runLoad({
          url: checked.url,
          workload: m.workload,
          token: actorOf[m.workload] ?? null,
          expectations,
          connections: 4,
          seconds: SECONDS,
          rate: m.rate,
        }),
      ),
    );
    // The clock starts with the first answer: the load processes take seconds to start.
    while (checked.traffic.handled === logins) await new Promise((r) => setTimeout(r, 50));
    started = performance.now();
    console.log("    t  sample (after a full GC)");
    sample();
    const timer = setInterval(sample, SAMPLE_MS);
    const results = await loads;
    clearInterval(timer);
    sample();

    for (const [i, r] of results.entries()) {
      const wrong = r.wrong + r.errors;
      console.log(
        `${MIX[i]?.workload}: ${r.requests} requests, ${r.rps.toFixed(1)}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${wrong} wrong${r.firstProblem ? ` (${r.firstProblem})` : ""}, ${r.timeouts} timed out`,
      );
      if (wrong > 0) failed = true;
    }
    const verdict = judge(samples);
    console.log(verdict.text);
    if (!verdict.flat) failed = true;
  } finally {
    await service.close();
  }
} finally {
  await scratch.drop();
}
// Explicitly: a connection the pool never got back would keep the process alive.
process.exit(failed ? 1 : 0);

function judge(samples: Sample[]): { flat: boolean; text: string } {
  const end = samples.at(-1)?.seconds ?? 0;
  const tail = samples.filter((s) => s.seconds >= end * 0.2);
  const heapSlope = slopePerMinute(tail.map((s) => [s.seconds, s.heapMb]));
  const rssSlope = slopePerMinute(tail.map((s) => [s.seconds, s.rssMb]));
  const mean = (xs: Sample[], pick: (s: Sample) => number) => xs.reduce((sum, s) => sum + pick(s), 0) / xs.length;
  const first = samples.filter((s) => s.seconds <= 60);
  const last = samples.filter((s) => s.seconds >= end - 60);
  const flat = heapSlope < SLOPE_LIMIT_MB_PER_MIN;
  return {
    flat,
    text: [
      `heapUsed slope over the last 80%: ${heapSlope.toFixed(3)} MB/min (rss ${rssSlope.toFixed(3)} MB/min)`,
      `first minute vs last minute: heapUsed ${mean(first, (s) => s.heapMb).toFixed(1)} -> ${mean(last, (s) => s.heapMb).toFixed(1)} MB, ` +
        `rss ${mean(first, (s) => s.rssMb).toFixed(1)} -> ${mean(last, (s) => s.rssMb).toFixed(1)} MB`,
      `verdict: ${flat ? "FLAT" : "GROWING"} (limit ${SLOPE_LIMIT_MB_PER_MIN} MB/min)`,
    ].join("\n"),
  };
}

/** Least-squares slope of [seconds, MB] points, in MB per minute. */
function slopePerMinute(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return (sxy / sxx) * 60;
}
