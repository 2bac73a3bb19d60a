// Faults on a throwaway PostgreSQL cluster this file starts itself (never the shared server):
// terminated backends, a server stopped and started again, a frozen backend, a held lock, a
// storm on the last quota slot, an exhausted pool, SIGTERM under load. Every request must answer
// correct data or a clear coded error (SERVICE_UNAVAILABLE when the database is out of reach),
// never a 500 with internals; nothing half-written may remain; the same app keeps serving.
// Runs in the PostgreSQL pass only (TEST_DATABASE_URL set) and where initdb/pg_ctl exist.
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Database, openPostgres, type PostgresOptions } from "../../src/db/database.js";
import { ensureDefaultOrganization } from "../../src/db/default-organization.js";
import { migrate } from "../../src/db/migrate.js";
import { startCompiled } from "../support/child.js";
import { createTestAppOn, type GqlResult, type TestApp } from "../support/harness.js";
import { type Cluster, postgresBinaries, startCluster } from "../support/pg-cluster.js";
import { type OwnerScope, seed } from "../support/seed.js";
import { createWorkspace } from "../support/workloads.js";
import { snapshotCounts } from "./counts.js";

const DB = "faults";
const APP_NAME = "orgs-api-faults";
/** The app's bounds: short, so every fault resolves in seconds. */
const BOUNDS = { poolMax: 6, connectTimeoutMs: 3000, statementTimeoutMs: 1500, queryTimeoutMs: 2500 };
/** A second app on the same database with a pool of two, where one lost connection shows. */
const TINY_NAME = "orgs-api-tiny";
const TINY_BOUNDS = { poolMax: 2, connectTimeoutMs: 500, statementTimeoutMs: 10_000 };

let cluster: Cluster;
let app: TestApp;
let tiny: TestApp;
let owner: OwnerScope;
const poolErrors: Error[] = [];
const processFaults: unknown[] = [];
const onProcessFault = (reason: unknown) => processFaults.push(reason);
/** Measured durations, printed at the end. */
const figures: Record<string, number> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(25);
  }
}

async function openApp(applicationName: string, bounds: PostgresOptions): Promise<TestApp> {
  const url = `${cluster.url(DB)}?application_name=${applicationName}`;
  const db: Database = await openPostgres(url, { ...bounds, onPoolError: (error) => poolErrors.push(error) });
  return createTestAppOn(db);
}

/** Backends of one application (the app's pool, the child server) in the test database. */
async function backendsOf(applicationName: string, where = "true") {
  return cluster.sql<{ pid: number; state: string; wait_event_type: string | null }>(
    `SELECT pid, state, wait_event_type FROM pg_stat_activity
     WHERE datname = $1 AND application_name = $2 AND ${where}`,
    [DB, applicationName],
  );
}

/** Waits until `n` backends of the application are blocked on a lock; returns their pids. */
const lockWaiters = (applicationName: string, n: number) =>
  waitFor(async () => {
    const rows = await backendsOf(applicationName, "wait_event_type = 'Lock'");
    return rows.length >= n && rows.map((r) => r.pid);
  });

/** An admin session holding a table lock in an open transaction until `release`. */
async function holdTableLock(table: string) {
  const client = new pg.Client({ connectionString: cluster.url(DB), application_name: "faults-admin" });
  client.on("error", () => {}); // stopping the server kills this session too
  await client.connect();
  await client.query(`BEGIN; LOCK TABLE "${table}" IN EXCLUSIVE MODE`);
  return {
    release: async () => {
      await client.query("ROLLBACK").catch(() => {});
      await client.end().catch(() => {});
    },
  };
}

async function countRows(table: string, where: string, params: unknown[]): Promise<number> {
  const [row] = await cluster.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`,
    params,
    DB,
  );
  return row?.n ?? -1;
}

type Writes = { organizations: number; audits: number };

/** Per name: organization rows and their creation audit rows (both 0 or both 1 when consistent). */
async function writesByName(names: string[]): Promise<Map<string, Writes>> {
  const rows = await cluster.sql<Writes & { name: string }>(
    `SELECT n.name,
       (SELECT count(*) FROM "Organization" o WHERE o.name = n.name)::int AS organizations,
       (SELECT count(*) FROM "AuditLog" a
         WHERE a."resourceType" = 'ORGANIZATION' AND a.action = 'CREATE' AND a."resourceName" = n.name)::int AS audits
     FROM unnest($1::text[]) AS n(name)`,
    [names],
    DB,
  );
  return new Map(rows.map(({ name, ...writes }) => [name, writes]));
}

const organizationWrites = async (name: string) => (await writesByName([name])).get(name);

async function timed<T>(work: () => Promise<T>): Promise<T & { ms: number }> {
  const started = performance.now();
  const result = await work();
  return { ...result, ms: performance.now() - started };
}

const CREATE_ORGANIZATION = `mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { organization { name } userErrors { code } } }`;
const viewer = (on = app) => on.gql("{ viewer { username } }", {}, { token: owner.token });
const createOrganization = (name: string, on = app) =>
  on.gql(CREATE_ORGANIZATION, { input: { name } }, { token: owner.token });
const readyz = async (on = app) => (await on.request({ method: "GET", path: "/readyz" })).status;

function expectServed(result: GqlResult) {
  expect(result.errors).toBeUndefined();
  expect(result.status).toBe(200);
}

function expectCreated(result: GqlResult, name: string) {
  expectServed(result);
  expect(result.data?.createOrganization).toEqual({ organization: { name }, userErrors: [] });
}

/** A clear 503: coded, retryable, and nothing of the driver, the SQL or the stack in the body. */
function expectUnavailable(result: GqlResult) {
  expect(result.status).toBe(503);
  expect(result.headers.get("retry-after")).toBe("1");
  expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["SERVICE_UNAVAILABLE"]);
  expect(JSON.stringify(result.errors)).not.toMatch(/ECONN|127\.0\.0\.1|prisma|pg_|SELECT|INSERT|at \S+ \(/i);
}

const enabled = Boolean(process.env.TEST_DATABASE_URL) && postgresBinaries() !== null;

describe.runIf(enabled)("faults on a throwaway PostgreSQL cluster", () => {
  beforeAll(async () => {
    process.on("unhandledRejection", onProcessFault);
    process.on("uncaughtException", onProcessFault);
    cluster = await startCluster();
    await cluster.sql(`CREATE DATABASE ${DB}`);
    const setup = await openPostgres(cluster.url(DB), {
      poolMax: 1,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 30000,
    });
    await migrate(setup);
    await ensureDefaultOrganization(setup.prisma);
    await setup.close();
    app = await openApp(APP_NAME, BOUNDS);
    tiny = await openApp(TINY_NAME, TINY_BOUNDS);
    owner = await seed(app).owner();
  });

  afterAll(async () => {
    console.log("faults-cluster figures (ms):", JSON.stringify(figures));
    process.off("unhandledRejection", onProcessFault);
    process.off("uncaughtException", onProcessFault);
    // The cluster first: should closing an app hang (a leaked pool connection), no server is left behind.
    await cluster?.close();
    await app?.close().catch(() => {});
    await tiny?.close().catch(() => {});
  });

  afterEach(async () => {
    expect(await cluster.backends(DB, "idle in transaction")).toEqual([]);
  });

  it("replaces idle connections the server terminated; the next requests succeed", async () => {
    await Promise.all([viewer(), viewer(), viewer(), viewer()]);
    const killed = await cluster.terminateBackends(DB, `application_name = '${APP_NAME}' AND state = 'idle'`);
    expect(killed).toBeGreaterThan(1);
    for (const result of await Promise.all([viewer(), viewer(), viewer()])) expectServed(result);
    for (let i = 0; i < 5; i++) expect((await viewer()).data?.viewer.username).toBe("owner");
    expectCreated(await createOrganization("after-idle-kill"), "after-idle-kill");
  });

  it("sends a statement again when its pooled connection had been ended while idle", async () => {
    // Right after the kill, the pool still holds the ended connections: a statement sent on one
    // gets the backend's FATAL 57P01 and never ran, so it goes out again on another connection
    // (src/db/stale-connections.ts). Straight on the database layer, so no cache hides the reads.
    const name = "faults-stale";
    const db = await openPostgres(`${cluster.url(DB)}?application_name=${name}`, {
      poolMax: 4,
      connectTimeoutMs: 2000,
      statementTimeoutMs: 5000,
    });
    try {
      for (let round = 0; round < 12; round++) {
        await Promise.all([1, 2, 3, 4].map(() => db.prisma.$queryRaw`SELECT pg_sleep(0.01)::text AS slept`));
        expect(await cluster.terminateBackends(DB, `application_name = '${name}' AND state = 'idle'`)).toBe(4);
        const reads = [1, 2, 3].map(() => db.prisma.$queryRaw<{ one: number }[]>`SELECT 1 AS one`);
        const write = db.prisma.$executeRaw`UPDATE "Organization" SET "updatedAt" = "updatedAt" WHERE false`;
        const inTransaction = db.prisma.$transaction((tx) => tx.$queryRaw<{ one: number }[]>`SELECT 1 AS one`);
        expect(await Promise.all([...reads, inTransaction])).toEqual(Array(4).fill([{ one: 1 }]));
        expect(await write).toBe(0);
      }
    } finally {
      await db.close();
    }
  });

  it("backends terminated inside write transactions: a clear error, nothing half-written, no connection lost", async () => {
    const before = await snapshotCounts(tiny);
    // Three times on a pool of two: a connection not returned after the failed ROLLBACK would
    // leave the pool empty for good.
    for (let round = 0; round < 3; round++) {
      // The organization row is inserted, then the Everyone group waits for the lock.
      const lock = await holdTableLock("Group");
      const pending = createOrganization("half-written", tiny);
      try {
        const [pid] = await lockWaiters(TINY_NAME, 1);
        await cluster.sql("SELECT pg_terminate_backend($1)", [pid]);
        expectUnavailable(await pending);
      } finally {
        await lock.release();
      }
    }
    expect(await snapshotCounts(tiny)).toEqual(before);
    expect(await readyz(tiny)).toBe(200);
    expectCreated(await createOrganization("half-written", tiny), "half-written");
    expect(await organizationWrites("half-written")).toEqual({ organizations: 1, audits: 1 });
  });

  it("a connection held outside Prisma (migrations take one) and terminated fails its query, not the process", async () => {
    await app.db.withConnection(async (raw) => {
      const [own] = await raw.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      await cluster.sql("SELECT pg_terminate_backend($1)", [own?.pid]);
      await sleep(100); // the termination reaches the idle, held connection
      await expect(raw.query("SELECT 1")).rejects.toThrow();
    });
    expect(processFaults).toEqual([]);
    expectServed(await viewer());
  });

  it("server stopped: requests fail fast with SERVICE_UNAVAILABLE and /readyz 503; after start it serves again", async () => {
    const poolErrorsBefore = poolErrors.length;
    for (const mode of ["fast", "immediate"] as const) {
      await Promise.all([viewer(), viewer()]); // pooled connections that the stop will cut
      const lock = await holdTableLock("Group");
      const inFlight = createOrganization(`in-flight-${mode}`);
      await lockWaiters(APP_NAME, 1);
      await cluster.stop(mode);
      await lock.release();
      expectUnavailable(await inFlight);
      for (const attempt of [() => viewer(), () => createOrganization(`while-down-${mode}`)]) {
        const result = await timed(attempt);
        expectUnavailable(result);
        expect(result.ms).toBeLessThan(3000);
        figures[`down-${mode}-request`] = Math.max(figures[`down-${mode}-request`] ?? 0, Math.round(result.ms));
      }
      expect(await readyz()).toBe(503);

      const restart = performance.now();
      await cluster.start();
      figures[`restart-${mode}-pg_ctl`] = Math.round(performance.now() - restart);
      const back = performance.now();
      await waitFor(async () => (await readyz()) === 200);
      figures[`restart-${mode}-to-ready`] = Math.round(performance.now() - back);
      expect((await viewer()).data?.viewer.username).toBe("owner");
      expectCreated(await createOrganization(`after-${mode}`), `after-${mode}`);
      for (const name of [`in-flight-${mode}`, `while-down-${mode}`]) {
        expect(await organizationWrites(name)).toEqual({ organizations: 0, audits: 0 });
      }
    }
    expect(poolErrors.length).toBeGreaterThan(poolErrorsBefore); // idle connections were cut; the process lived
  });

  it("a frozen backend: the client-side query timeout bounds the request; other connections keep serving", async () => {
    const lock = await holdTableLock("Group");
    const pending = timed(() => createOrganization("frozen"));
    const [pid] = await lockWaiters(APP_NAME, 1);
    cluster.freeze(pid as number);
    try {
      await lock.release(); // the frozen backend cannot take the lock nor report lock_timeout
      for (const result of await Promise.all([viewer(), viewer(), viewer()])) expectServed(result);
      const result = await pending;
      expectUnavailable(result);
      expect(result.ms).toBeLessThan(BOUNDS.queryTimeoutMs + 2000); // one timeout, not one per statement
      figures["frozen-backend-answer"] = Math.round(result.ms);
      // The connection to the frozen backend is not handed to later requests.
      for (const r of await Promise.all(Array.from({ length: 8 }, () => viewer()))) expectServed(r);
    } finally {
      cluster.thaw(pid as number);
    }
    // Thawed, the backend finds its connection gone and ends, rolling its transaction back.
    await waitFor(async () => (await cluster.sql("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).length === 0);
    expect(await organizationWrites("frozen")).toEqual({ organizations: 0, audits: 0 });
    expectCreated(await createOrganization("frozen"), "frozen");
  });

  it("a held lock: lock_timeout answers a clear retryable error and writes nothing; a short hold just waits", async () => {
    const before = await snapshotCounts(app);
    const lock = await holdTableLock("Group");
    try {
      const result = await timed(() => createOrganization("locked-out"));
      expectUnavailable(result);
      figures["lock-timeout-answer"] = Math.round(result.ms);
    } finally {
      await lock.release();
    }
    expect(await snapshotCounts(app)).toEqual(before);

    const brief = await holdTableLock("Group");
    const pending = createOrganization("waited");
    await lockWaiters(APP_NAME, 1);
    await sleep(300);
    await brief.release();
    expectCreated(await pending, "waited");
    expect(await organizationWrites("waited")).toEqual({ organizations: 1, audits: 1 });
  });

  it("a storm of 24 concurrent creates on the last quota slot: exactly one wins", async () => {
    const org = await owner.org("storm");
    const racer = await org.member("racer");
    const templateId = await org.template("cost4", { dailyCost: 4 });
    await org.setEveryoneAllowance(4); // room for one workspace costing 4
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => createWorkspace(app, racer.token, { templateId, name: `storm-${i}` })),
    );
    for (const r of results) expect(r.errors).toBeUndefined();
    const codes = results.map((r) => r.payload.userErrors[0]?.code ?? "OK");
    expect(codes.filter((c) => c === "OK")).toHaveLength(1);
    expect(codes.filter((c) => c === "QUOTA_EXCEEDED")).toHaveLength(23);
    expect(await countRows("Workspace", `"organizationId" = $1::uuid`, [org.uuid])).toBe(1);
    const builds = `"workspaceId" IN (SELECT id FROM "Workspace" WHERE "organizationId" = $1::uuid)`;
    expect(await countRows("WorkspaceBuild", builds, [org.uuid])).toBe(1);
  });

  it("an exhausted pool: further requests fail fast after the bounded wait, and recover", async () => {
    expectServed(await viewer(tiny));
    const lock = await holdTableLock("Group");
    const holders = Promise.all([createOrganization("holder-1", tiny), createOrganization("holder-2", tiny)]);
    try {
      await lockWaiters(TINY_NAME, 2);
      const refused = await Promise.all([1, 2, 3].map(() => timed(() => viewer(tiny))));
      for (const result of refused) {
        expectUnavailable(result);
        expect(result.ms).toBeLessThan(2000);
      }
      figures["pool-exhausted-answer"] = Math.round(Math.max(...refused.map((r) => r.ms)));
      expect(await readyz(tiny)).toBe(503);
    } finally {
      await lock.release();
    }
    const [first, second] = await holders;
    expectCreated(first, "holder-1");
    expectCreated(second, "holder-2");
    expectServed(await viewer(tiny));
    expect(await readyz(tiny)).toBe(200);
  });

  it("the server process: survives PostgreSQL restarting; SIGTERM under load drains in-flight writes, exits 0", async () => {
    const childName = "orgs-api-child";
    const port = await freePort();
    const server = startCompiled("dist/server.js", [], {
      DATABASE_URL: `${cluster.url(DB)}?application_name=${childName}`,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      PASSWORD_HASH_COST: "1024",
      RATE_LIMIT_PER_MINUTE: "1000000",
      DB_POOL_MAX: "12",
    });
    try {
      await waitFor(async () => server.output().includes('"msg":"listening"'), 45_000);
      const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
      expect(await ready()).toBe(200);
      // Its pooled connections, reaper and live events lose the database and get it back.
      await cluster.stop("immediate");
      expect(await ready()).toBe(503);
      await cluster.start();
      await waitFor(async () => (await ready()) === 200);
      expect(server.proc.exitCode).toBeNull();

      const loadStarted = performance.now();
      const outcomes: { name: string; ok: boolean; error?: string; startedAt: number; endedAt: number }[] = [];
      // Each worker writes until the server stops answering.
      const worker = async (w: number) => {
        for (let i = 0; ; i++) {
          const name = `load-${w}-${i}`;
          const startedAt = performance.now();
          const answer = await post(port, CREATE_ORGANIZATION, { input: { name } }, owner.token);
          const ok = answer.status === 200 && answer.body?.data?.createOrganization?.userErrors?.length === 0;
          outcomes.push({
            name,
            ok,
            error: answer.error ?? (ok ? undefined : String(answer.status)),
            startedAt,
            endedAt: performance.now(),
          });
          if (!ok) return;
        }
      };
      const workers = Array.from({ length: 8 }, (_, w) => worker(w));
      await waitFor(async () => outcomes.length >= 16);
      // Catch writes in flight: they wait on a lock while SIGTERM arrives, then complete.
      const lock = await holdTableLock("Group");
      const inFlight = (await lockWaiters(childName, 4)).length;
      figures["sigterm-load-before"] = Math.round(performance.now() - loadStarted);
      const sigtermAt = performance.now();
      server.proc.kill("SIGTERM");
      await sleep(300);
      await lock.release();
      expect(await server.exited).toBe(0);
      figures["sigterm-to-exit"] = Math.round(performance.now() - sigtermAt);
      await Promise.all(workers);

      const drained = outcomes.filter((o) => o.ok && o.startedAt < sigtermAt && o.endedAt > sigtermAt);
      expect(drained.length).toBeGreaterThanOrEqual(inFlight);
      for (const o of outcomes.filter((x) => !x.ok)) {
        expect(o.endedAt).toBeGreaterThan(sigtermAt);
        expect(o.error).toMatch(/ECONNREFUSED|ECONNRESET|503/);
      }
      const writes = await writesByName(outcomes.map((o) => o.name));
      for (const o of outcomes) {
        const expected = o.ok ? 1 : 0;
        expect(writes.get(o.name), o.name).toEqual({ organizations: expected, audits: expected });
      }
      figures["sigterm-requests"] = outcomes.length;
      figures["sigterm-drained"] = drained.length;
      expect(server.output()).toContain('"msg":"stopped"');
      expect(server.output()).not.toMatch(/unhandled rejection|uncaught/i);
      await waitFor(async () => (await backendsOf(childName)).length === 0 || undefined);
    } finally {
      server.proc.kill("SIGKILL");
    }
  });

  it("let no rejection or exception go unhandled in this process", () => {
    expect(processFaults).toEqual([]);
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** One POST on a fresh connection (no keep-alive: a refused connection means "not sent"). */
function post(
  port: number,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<{ status: number; body?: any; error?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/graphql",
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || "null") }));
        res.on("error", (error: NodeJS.ErrnoException) => resolve({ status: 0, error: error.code ?? error.message }));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ status: 0, error: error.code ?? error.message }));
    req.end(JSON.stringify({ query, variables }));
  });
}
