// What authorization costs. Part 1 times the evaluator alone (compiling a subject, `can` over
// 1,000 member objects, list filters). Part 2 reads 1,000 members' users through the HTTP
// pipeline on an in-memory PGlite: as the owner (site-wide grant: no tenant filter) and as an
// organization member (tenant filter in SQL), next to the raw Prisma query and the per-request
// subject load. Run: npm run bench:authz [-- --iterations 30]; with BENCH_DATABASE_URL set
// (a PostgreSQL server URL), part 2 runs on a scratch database there instead.

import { performance } from "node:perf_hooks";
import { createApp } from "../../src/app.js";
import { type AuthzObject, can, compileSubject, permissionsIn, scopeOf } from "../../src/authz/evaluator.js";
import { organizationScopedWhere } from "../../src/authz/filters.js";
import type { Permission } from "../../src/authz/permissions.js";
import { userWhere } from "../../src/authz/policies/user.js";
import { loadSubject } from "../../src/authz/subject-loader.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { openScratchDatabase } from "../support/scratch-database.js";

const MEMBERS = 1000;
const iterationsArg = process.argv.indexOf("--iterations");
const ITERATIONS = iterationsArg > 0 ? Number(process.argv[iterationsArg + 1]) : 30;

/** Mean time per call in microseconds, after a warm-up. */
function timeUs(label: string, calls: number, work: () => void): number {
  for (let i = 0; i < Math.min(calls, 1000); i++) work();
  const start = performance.now();
  for (let i = 0; i < calls; i++) work();
  const us = ((performance.now() - start) * 1000) / calls;
  console.log(`  ${label.padEnd(58)} ${us.toFixed(3).padStart(10)} µs`);
  return us;
}

type Case = [label: string, work: () => Promise<unknown>];

/**
 * Median milliseconds per case. The cases run interleaved, round after round, so that noise
 * from other processes on the machine hits them alike.
 */
async function timeMs(...cases: Case[]): Promise<number[]> {
  for (let i = 0; i < 3; i++) for (const [, work] of cases) await work();
  const samples = cases.map(() => [] as number[]);
  for (let i = 0; i < ITERATIONS; i++) {
    for (const [index, [, work]] of cases.entries()) {
      const start = performance.now();
      await work();
      samples[index]?.push(performance.now() - start);
    }
  }
  return cases.map(([label], index) => {
    const sorted = (samples[index] ?? []).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    console.log(`  ${label.padEnd(58)} ${median.toFixed(2).padStart(10)} ms (median of ${ITERATIONS})`);
    return median;
  });
}

function evaluatorBenchmarks(): void {
  console.log("evaluator (pure, no I/O)");
  const me = "00000000-0000-4000-8000-000000000001";
  const orgs = Array.from({ length: 5 }, (_, i) => `00000000-0000-4000-8000-00000000010${i}`);
  const custom = new Map([
    [orgs[0] as string, new Map<string, Permission[]>([["ops", [{ resource: "TEMPLATE", action: "UPDATE" }]]])],
  ]);
  const memberships = orgs.map((organizationId, i) => ({
    organizationId,
    roles: i === 0 ? ["organization-auditor", "ops"] : i === 1 ? ["organization-workspace-creation-ban"] : [],
  }));
  timeUs("compileSubject (5 memberships, 1 custom role)", 20_000, () => {
    compileSubject(me, ["template-admin"], memberships, custom);
  });
  const subject = compileSubject(me, [], memberships, custom);
  const objects: AuthzObject[] = Array.from({ length: MEMBERS }, (_, i) => ({
    type: i % 2 === 0 ? "WORKSPACE" : "ORGANIZATION_MEMBER",
    organizationId: orgs[i % orgs.length] as string,
    ownerId: i % 7 === 0 ? me : `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  }));
  let allowed = 0;
  const perSweep = timeUs(`can × ${MEMBERS} member objects (one sweep)`, 500, () => {
    allowed = 0;
    for (const object of objects) if (can(subject, "READ", object)) allowed++;
  });
  console.log(
    `  ${"  → per check".padEnd(58)} ${(perSweep / MEMBERS).toFixed(3).padStart(10)} µs  (${allowed} allowed)`,
  );
  timeUs("scopeOf + organizationScopedWhere (WORKSPACE READ)", 50_000, () => {
    organizationScopedWhere(subject, "WORKSPACE", "READ", "ownerId");
  });
  timeUs("scopeOf (ORGANIZATION_MEMBER READ)", 50_000, () => {
    scopeOf(subject, "ORGANIZATION_MEMBER", "READ");
  });
  timeUs("userWhere", 50_000, () => {
    userWhere(subject);
  });
  timeUs("permissionsIn (viewerPermissions)", 20_000, () => {
    permissionsIn(subject, orgs[0] as string);
  });
}

async function httpBenchmarks(): Promise<void> {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  const { db, drop } = await openScratchDatabase(serverUrl ? "postgres" : "pglite", "bench_authz", {
    serverUrl,
    poolMax: 5,
  });
  console.log(`\nthrough HTTP (yoga.fetch, ${db.kind}), ${MEMBERS} members`);
  // One page of 1,000 users costs about 21,000, above the default query cost limit (20,000).
  const config = loadConfig({
    PASSWORD_HASH_COST: "1024",
    LOG_LEVEL: "silent",
    GRAPHIQL: "false",
    MAX_QUERY_COST: "100000",
  });
  const { yoga } = createApp({ db, config, log: createLogger("silent") });
  const gql = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
    const response = await yoga.fetch("http://bench/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data ?? {};
  };

  const first = await gql("mutation($i: CreateFirstUserInput!) { createFirstUser(input: $i) { token } }", {
    i: { email: "owner@example.com", username: "owner", password: "correct-horse-battery" },
  });
  const ownerToken = first.createFirstUser.token as string;
  const org = await db.prisma.organization.create({ data: { name: "bench", displayName: "Bench" } });
  // Users outside the organization too, so the member's filter has something to leave out.
  await db.prisma.user.createMany({
    data: Array.from({ length: MEMBERS * 2 }, (_, i) => ({ email: `u${i}@example.com`, username: `u${i}` })),
  });
  const users = await db.prisma.user.findMany({ where: { username: { startsWith: "u" } }, select: { id: true } });
  await db.prisma.organizationMember.createMany({
    data: users.slice(0, MEMBERS).map((u) => ({ organizationId: org.id, userId: u.id })),
  });
  const orgGlobalId = Buffer.from(`Organization:${org.id}`).toString("base64");
  await gql(
    "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }",
    {
      i: {
        email: "viewer@example.com",
        username: "viewer",
        password: "correct-horse-battery",
        organizationIds: [orgGlobalId],
      },
    },
    ownerToken,
  );
  const login = await gql("mutation($i: LoginInput!) { login(input: $i) { token } }", {
    i: { email: "viewer@example.com", password: "correct-horse-battery" },
  });
  const memberToken = login.login.token as string;

  const READ = `{ users(first: ${MEMBERS}) { totalCount edges { node { id username email } } } }`;
  const count = async (token: string) => (await gql(READ, {}, token)).users.totalCount as number;
  console.log(`  owner sees ${await count(ownerToken)} users; member sees ${await count(memberToken)}`);

  const viewer = await db.prisma.user.findUniqueOrThrow({ where: { username: "viewer" } });
  const subject = await loadSubject(db.prisma, viewer);
  const rawSelect = { id: true, username: true, email: true } as const;
  const [rawDb = 0, rawFiltered = 0, load = 0] = await timeMs(
    [
      "raw Prisma: findMany + count, no authorization",
      async () => {
        await db.prisma.user.findMany({ take: MEMBERS + 1, orderBy: { id: "asc" }, select: rawSelect });
        await db.prisma.user.count();
      },
    ],
    [
      "raw Prisma: findMany + count, member's tenant filter",
      async () => {
        const where = userWhere(subject);
        await db.prisma.user.findMany({ where, take: MEMBERS + 1, orderBy: { id: "asc" }, select: rawSelect });
        await db.prisma.user.count({ where });
      },
    ],
    ["loadSubject (once per request)", () => loadSubject(db.prisma, viewer)],
  );
  const [asOwner = 0, asMember = 0] = await timeMs(
    ["HTTP users(first: 1000) as owner (no tenant filter)", () => gql(READ, {}, ownerToken)],
    ["HTTP users(first: 1000) as member (tenant filter)", () => gql(READ, {}, memberToken)],
  );
  const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;
  console.log("\nsummary");
  console.log(`  subject load share of the member's request: ${pct(load, asMember)}`);
  console.log(`  tenant filter in SQL vs none (raw Prisma): ${pct(rawFiltered - rawDb, rawDb)} extra`);
  console.log(`  member (filtered) vs owner (unfiltered) over HTTP: ${pct(asMember - asOwner, asOwner)} extra`);
  console.log("  (the member's request also returns fewer rows; the owner's is the same read without a filter)");
  await drop();
}

evaluatorBenchmarks();
await httpBenchmarks();
