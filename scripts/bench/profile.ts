// npm run bench:profile: where a request's CPU goes. Seeds a scratch PostgreSQL database
// (created and dropped here), then sends each workload through app.yoga.fetch in this process —
// no sockets, no load generator — and reports:
// - CPU ms per request (process.cpuUsage over many sequential requests: far less sensitive to
//   other load on the machine than throughput), and SQL statements per request;
// - a V8 CPU profile (node:inspector) of the same requests: top functions by self time, and time
//   per package, both self and inclusive (a sample counts once for every package on its stack).
// Env: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
// PROFILE_USERS (default 1000), PROFILE_WORKLOADS (default "W0,W1,W3"), PROFILE_ROUNDS and
// PROFILE_REQUESTS (measured rounds, and requests per workload and round: default 5 × 500; the
// profile sends twice PROFILE_REQUESTS), PROFILE_CONCURRENCY (in flight at once, default 1),
// PROFILE_CPU=0 (measure only), PROFILE_TOP (functions listed, default 25), PROFILE_OUT (a
// directory for the .cpuprofile files, to open in Chrome DevTools).

import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openScratchDatabase } from "../support/scratch-database.js";
import { type Service, sendInProcess, startService } from "./service.js";
import { type Workload, workloads } from "./workloads.js";

const USERS = Number(process.env.PROFILE_USERS ?? 1000);
const REQUESTS = Number(process.env.PROFILE_REQUESTS ?? 500);
const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 5);
const PROFILED = process.env.PROFILE_CPU !== "0";
const NAMES = (process.env.PROFILE_WORKLOADS ?? "W0,W1,W3").split(",");
const CONCURRENCY = Number(process.env.PROFILE_CONCURRENCY ?? 1);
const TOP = Number(process.env.PROFILE_TOP ?? 25);
const OUT = process.env.PROFILE_OUT;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

type Send = (body: string, token: string | null) => Promise<any>;

/** The package (or part of this project) a script belongs to, from its URL. */
function bucketOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName.startsWith("(")) return functionName; // (garbage collector), (program), (idle)
    return "V8/native builtins";
  }
  if (url.startsWith("node:")) return "node internals";
  if (url.startsWith("wasm://")) return "prisma query compiler (wasm)";
  const file = url.startsWith("file://") ? fileURLToPath(url) : url;
  const inModules = file.lastIndexOf("node_modules/");
  if (inModules >= 0) {
    const rest = file.slice(inModules + "node_modules/".length).split("/");
    const name = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? "?");
    if (name === "@prisma/client") {
      return file.includes("query_compiler") ? "prisma query compiler (wasm glue)" : "@prisma/client runtime";
    }
    if (name.startsWith("@envelop/") || name.startsWith("@whatwg-node/") || name.startsWith("@graphql-tools/")) {
      return `yoga stack: ${name}`;
    }
    if (["pg", "pg-protocol", "pg-types", "pg-pool", "postgres-array", "postgres-date"].includes(name)) {
      return `pg driver: ${name}`;
    }
    return name;
  }
  const relative = path.relative(ROOT, file);
  if (relative.startsWith("src/generated/")) return "prisma generated client (src/generated)";
  if (relative.startsWith("src/") || relative.startsWith("scripts/")) {
    const parts = relative.split("/");
    return `ours: ${parts.slice(0, 2).join("/")}`;
  }
  return relative;
}

const UNOWNED = new Set(["V8/native builtins", "node internals"]);

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

/**
 * Steps of a request, each recognised by a function on the stack (by name and script). A sample
 * only has its synchronous stack: what runs after an await is not counted under its caller.
 */
const PHASES: [label: string, functionName: RegExp, url: RegExp][] = [
  ["context: buildContext (credential, actor)", /^buildContext$/, /src\/context/],
  ["auth: jose JWT verification", /^jwtVerify$/, /jose/],
  ["graphql: parse", /^parse$/, /graphql\/language\/parser/],
  ["graphql: validate", /^validate$/, /graphql\/validation\/validate/],
  ["graphql: execute", /^execute$/, /@graphql-tools\/executor|graphql\/execution/],
  ["scope-auth: field/type checks", /./, /plugin-scope-auth/],
  ["authz: subject loading and evaluator", /./, /src\/authz/],
  ["prisma: query compile (wasm)", /./, /query_compiler_bg|^wasm:/],
  ["prisma: client runtime (any)", /./, /@prisma\/client\/runtime\/client/],
  ["pg driver (any)", /./, /node_modules\/pg(-protocol|-pool|-types)?\//],
  ["yoga: result JSON", /^jsonStringifyResultWithoutInternals$/, /graphql-yoga/],
  ["JSON.parse (any caller)", /^parse$/, /^$/],
];

function phases(
  profile: Profile,
  byId: Map<number, ProfileNode>,
  parent: Map<number, number>,
  selfMs: Map<number, number>,
): [string, number][] {
  const matches = new Map<number, Set<number>>();
  for (const node of profile.nodes) {
    const { functionName, url } = node.callFrame;
    const hit = new Set<number>();
    PHASES.forEach(([, name, script], i) => {
      if (name.test(functionName) && script.test(url)) hit.add(i);
    });
    matches.set(node.id, hit);
  }
  const totals = PHASES.map(() => 0);
  for (const [id, ms] of selfMs) {
    if (byId.get(id)?.callFrame.functionName === "(idle)") continue;
    const seen = new Set<number>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      for (const i of matches.get(at) ?? []) seen.add(i);
    }
    for (const i of seen) totals[i] = (totals[i] ?? 0) + ms;
  }
  return PHASES.map(([label], i) => [label, totals[i] ?? 0]);
}

function summarize(profile: Profile, requests: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    const delta = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    selfMs.set(id, (selfMs.get(id) ?? 0) + delta);
  });
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfMs].filter(([id]) => byId.get(id)?.callFrame.functionName === "(idle)");
  const busy = total - idle.reduce((a, [, ms]) => a + ms, 0);

  const functionSelf = new Map<string, number>();
  const bucketSelf = new Map<string, number>();
  const bucketAttributed = new Map<string, number>();
  const bucketInclusive = new Map<string, number>();
  const bucketOfNode = new Map<number, string>();
  const nodeBucket = (id: number) => {
    let bucket = bucketOfNode.get(id);
    if (bucket === undefined) {
      const { url, functionName } = (byId.get(id) as ProfileNode).callFrame;
      bucket = bucketOf(url, functionName);
      bucketOfNode.set(id, bucket);
    }
    return bucket;
  };
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    if (functionName === "(idle)") continue;
    const where = url
      ? `${path.relative(ROOT, url.startsWith("file://") ? fileURLToPath(url) : url)}:${lineNumber + 1}`
      : "";
    const key = `${functionName || "(anonymous)"} ${where}`;
    functionSelf.set(key, (functionSelf.get(key) ?? 0) + ms);
    bucketSelf.set(nodeBucket(id), (bucketSelf.get(nodeBucket(id)) ?? 0) + ms);
    // Builtins and node internals are charged to the package that called them.
    let caller: number | undefined = id;
    while (caller !== undefined && UNOWNED.has(nodeBucket(caller))) caller = parent.get(caller);
    const owner =
      caller === undefined || byId.get(caller)?.callFrame.functionName === "(root)"
        ? nodeBucket(id)
        : nodeBucket(caller);
    bucketAttributed.set(owner, (bucketAttributed.get(owner) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(nodeBucket(at));
    for (const bucket of seen) bucketInclusive.set(bucket, (bucketInclusive.get(bucket) ?? 0) + ms);
  }
  const perRequest = (ms: number) => `${((ms / requests) * 1000).toFixed(0).padStart(6)} µs/req`;
  const share = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`  profiled ${busy.toFixed(0)} ms busy over ${requests} requests (${perRequest(busy)})`];
  lines.push(
    "  time per package: self, with builtins and node internals charged to their caller; [own self]; (inclusive: a sample counts for every package on its stack):",
  );
  const sorted = [...bucketAttributed].sort((a, b) => b[1] - a[1]);
  for (const [bucket, ms] of sorted) {
    if (ms / busy < 0.003) continue;
    const own = bucketSelf.get(bucket) ?? 0;
    const inclusive = bucketInclusive.get(bucket) ?? ms;
    lines.push(`    ${share(ms)} ${perRequest(ms)}  [${share(own)}]  (incl. ${share(inclusive)})  ${bucket}`);
  }
  lines.push("  phases (inclusive):");
  for (const [label, ms] of phases(profile, byId, parent, selfMs)) {
    lines.push(`    ${share(ms)} ${perRequest(ms)}  ${label}`);
  }
  lines.push(`  top ${TOP} functions by self time:`);
  for (const [key, ms] of [...functionSelf].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    lines.push(`    ${share(ms)} ${perRequest(ms)}  ${key}`);
  }
  return lines.join("\n");
}

/** Sends `count` requests, `CONCURRENCY` at a time; every body is checked. */
let unique = 0;

async function drive(send: Send, workload: Workload, token: string | null, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const variables =
        workload.name === "W3"
          ? { input: { ...(workload.variables.input as object), name: `p-${process.pid}-${unique++}` } }
          : workload.variables;
      const body = await send(JSON.stringify({ query: workload.query, variables }), token);
      const problem = workload.check(body);
      if (problem) throw new Error(`${workload.name}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function main(): Promise<void> {
  const scratch = await openScratchDatabase("postgres", "bench_profile", { serverUrl: process.env.BENCH_DATABASE_URL });
  const { db } = scratch;
  let service: Service | undefined;
  try {
    service = await startService(db, USERS);
    const { app } = service.checked;
    const { tokens, expectations } = service;
    const send: Send = (body, token) => sendInProcess(app, body, token);

    console.log(
      `${USERS} users; ${ROUNDS} rounds of ${REQUESTS} requests per workload, ${CONCURRENCY} in flight; node ${process.version}\n`,
    );
    const tokenOf = (w: Workload) => (w.actor ? tokens[w.actor] : null);
    // W3 adds workspaces to the W1 actor's list: it is measured and profiled after the reads.
    const selected = workloads(expectations).filter((w) => NAMES.includes(w.name));
    const groups = [selected.filter((w) => w.name !== "W3"), selected.filter((w) => w.name === "W3")];
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    const rounds = new Map<string, { cpuMs: number; userMs: number; wallMs: number; statements: number }[]>();
    const profiles: string[] = [];
    for (const group of groups) {
      for (const workload of group) await drive(send, workload, tokenOf(workload), 300); // JIT, caches, pool
      // Rounds alternate the workloads, so a burst of load from elsewhere hits all of them alike;
      // the fastest round is the least disturbed. Measured without the profiler attached.
      for (let round = 0; round < ROUNDS; round++) {
        for (const workload of group) {
          const statementsBefore = db.statements.total;
          const cpuBefore = process.cpuUsage();
          const wallBefore = performance.now();
          await drive(send, workload, tokenOf(workload), REQUESTS);
          const cpu = process.cpuUsage(cpuBefore);
          const list = rounds.get(workload.name) ?? [];
          list.push({
            cpuMs: (cpu.user + cpu.system) / 1000 / REQUESTS,
            userMs: cpu.user / 1000 / REQUESTS,
            wallMs: (performance.now() - wallBefore) / REQUESTS,
            statements: (db.statements.total - statementsBefore) / REQUESTS,
          });
          rounds.set(workload.name, list);
        }
      }
      for (const workload of PROFILED ? group : []) {
        await session.post("Profiler.start");
        await drive(send, workload, tokenOf(workload), REQUESTS * 2);
        const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
        if (OUT)
          writeFileSync(path.join(OUT, `${workload.name.replace("/", "-")}.cpuprofile`), JSON.stringify(profile));
        profiles.push(`${workload.name} profile\n${summarize(profile, REQUESTS * 2)}\n`);
      }
    }
    session.disconnect();
    const summary: string[] = [];
    const best = new Map<string, number>();
    for (const [name, list] of rounds) {
      const cpu = list.map((r) => r.cpuMs).sort((a, b) => a - b);
      const fastest = list.find((r) => r.cpuMs === cpu[0]) as (typeof list)[number];
      best.set(name, fastest.cpuMs);
      summary.push(
        `${name.padEnd(8)} CPU ms/req: best ${fastest.cpuMs.toFixed(3)} (user ${fastest.userMs.toFixed(3)}), median ${(cpu[Math.floor(cpu.length / 2)] as number).toFixed(3)}, worst ${(cpu[cpu.length - 1] as number).toFixed(3)}; wall ${fastest.wallMs.toFixed(3)} ms/req; SQL ${fastest.statements.toFixed(2)}/req`,
      );
    }
    if (profiles.length > 0) console.log(profiles.join("\n"));
    console.log(summary.join("\n"));
    const [w0, w1] = [best.get("W0"), best.get("W1")];
    if (w0 && w1) {
      console.log(
        `W1/W0 CPU per request ${(w1 / w0).toFixed(2)}: W1 throughput ≈ ${(w0 / w1).toFixed(2)} × W0's when CPU-bound`,
      );
    }
  } finally {
    await service?.close();
    await scratch.drop();
  }
}

await main();
