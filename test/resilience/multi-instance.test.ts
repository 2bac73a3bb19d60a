// Two instances of the service (two apps in this process, each with its own connection pool)
// on one PostgreSQL database and one Redis behave as one service: credentials made through one
// work on the other, jobs are handed out once across both, and live updates cross over.
// Covered elsewhere: migrations run exactly once when instances start together
// (test/resilience/migrate.test.ts, "run exactly once when instances start together on PostgreSQL"), and
// rate-limit counts are shared through Redis (test/api/pipeline/security.test.ts, "share one count between
// instances through Redis"). PGlite is one embedded connection in one process: skipped there.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type App, createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { type Database, openPostgres } from "../../src/db/database.js";
import { createLogger } from "../../src/logger.js";
import type { GqlResult, TestApp } from "../support/harness.js";
import { acquire, bareJobs, COMPLETE, createKey, jobGlobalId, REGISTER, register } from "../support/provisioners.js";
import { type OwnerScope, seed } from "../support/seed.js";
import { subscribe } from "../support/sse.js";

const template = inject("postgresTemplate");
const baseUrl = inject("postgresUrl");

type Instance = { app: App; db: Database; api: TestApp };

/** The parts of TestApp the support helpers use, served by one instance. */
function apiOf(app: App, db: Database, name: string): TestApp {
  const gql: TestApp["gql"] = async (query, variables = {}, options = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await app.yoga.fetch(`http://${name}/graphql`, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: any };
    return { status: response.status, data: body.data ?? null, errors: body.errors, headers: response.headers };
  };
  return { gql, prisma: db.prisma, db, yoga: app.yoga } as unknown as TestApp;
}

describe.skipIf(!template)("two instances on one PostgreSQL database and Redis", () => {
  const name = `orgs_api_multi_${randomBytes(6).toString("hex")}`;
  let admin: pg.Client;
  let one: Instance;
  let two: Instance;
  let owner: OwnerScope;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    const config = loadConfig({
      PASSWORD_HASH_COST: "1024",
      LOG_LEVEL: "silent",
      RATE_LIMIT_PER_MINUTE: "1000000",
      RATE_LIMIT_SIGNIN_PER_MINUTE: "1000000",
      REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    });
    const start = async (host: string): Promise<Instance> => {
      const db = await openPostgres(url.toString(), { poolMax: 4, connectTimeoutMs: 5000, statementTimeoutMs: 30000 });
      const app = createApp({ db, config, log: createLogger("silent") });
      return { app, db, api: apiOf(app, db, host) };
    };
    [one, two] = await Promise.all([start("one"), start("two")]);
    owner = await seed(one.api).owner();
  });

  afterAll(async () => {
    for (const instance of [one, two]) {
      await instance?.app.close();
      await instance?.db.close();
    }
    await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.end();
  });

  const VIEWER = "{ viewer { id } }";

  /** Refused as UNAUTHENTICATED. */
  const refused = (result: GqlResult) => result.errors?.[0]?.extensions?.code === "UNAUTHENTICATED";

  /**
   * How long after `change` the other instance dropped what it remembered: each instance caches
   * credentials (src/auth/credential-cache.ts) and hears of changes made elsewhere through
   * PostgreSQL notifications. Measured on the cache itself, not through requests, so the figure is
   * the notification's delay, not a request's.
   */
  async function droppedAfterMs(instance: Instance, change: () => Promise<void>): Promise<number> {
    const before = instance.app.deps.credentials.size;
    expect(before).toBeGreaterThan(0);
    await change();
    const started = performance.now();
    while (instance.app.deps.credentials.size >= before && performance.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return performance.now() - started;
  }

  const listening = async (instance: Instance) => {
    for (let i = 0; i < 500 && !instance.app.deps.credentials.enabled; i++) await new Promise((r) => setTimeout(r, 10));
    expect(instance.app.deps.credentials.enabled).toBe(true);
  };

  it("accept a session from either, and a logout on one ends it on both", async () => {
    const login = await two.api.gql(`mutation($input: LoginInput!) { login(input: $input) { token } }`, {
      input: { email: owner.email, password: "correct-horse-battery" },
    });
    const session = login.data?.login.token as string;
    for (const instance of [one, two]) {
      expect((await instance.api.gql(VIEWER, {}, { token: owner.token })).data?.viewer.id).toBe(owner.id);
      expect((await instance.api.gql(VIEWER, {}, { token: session })).data?.viewer.id).toBe(owner.id);
    }
    const logout = async () => {
      expect((await one.api.gql("mutation { logout }", {}, { token: session })).data).toEqual({ logout: true });
      // At once where it happened.
      expect(refused(await one.api.gql(VIEWER, {}, { token: session }))).toBe(true);
    };
    // Within 100 ms on the other, which had the session cached.
    expect(await droppedAfterMs(two, logout)).toBeLessThan(100);
    expect(refused(await two.api.gql(VIEWER, {}, { token: session }))).toBe(true);
  });

  it("end a suspended user's cached credentials on both within 100 ms", async () => {
    await Promise.all([listening(one), listening(two)]);
    const user = await owner.user("roamer");
    for (const instance of [one, two, two]) {
      expect((await instance.api.gql(VIEWER, {}, { token: user.token })).data?.viewer.id).toBe(user.id);
    }
    const suspend = async () => {
      const suspended = await one.api.gql(
        `mutation($input: UserIdInput!) { suspendUser(input: $input) { userErrors { code } } }`,
        { input: { userId: user.id } },
        { token: owner.token },
      );
      expect(suspended.data?.suspendUser.userErrors).toEqual([]);
    };
    expect(await droppedAfterMs(two, suspend)).toBeLessThan(100);
    expect(refused(await two.api.gql(VIEWER, {}, { token: user.token }))).toBe(true);
  });

  it("stop remembering credentials while the notification connection is lost, and resume after", async () => {
    await listening(two);
    const user = await owner.user("wanderer");
    await two.api.gql(VIEWER, {}, { token: user.token });
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'orgs-api listener%'",
      [name],
    );
    for (let i = 0; i < 200 && two.app.deps.credentials.enabled; i++) await new Promise((r) => setTimeout(r, 5));
    expect(two.app.deps.credentials.enabled).toBe(false);
    // Meanwhile every request reads the database: a logout elsewhere is refused at once.
    expect((await two.api.gql(VIEWER, {}, { token: user.token })).data?.viewer.id).toBe(user.id);
    expect((await one.api.gql("mutation { logout }", {}, { token: user.token })).data).toEqual({ logout: true });
    expect(refused(await two.api.gql(VIEWER, {}, { token: user.token }))).toBe(true);
    await Promise.all([listening(one), listening(two)]);
  });

  it("accept an API token made on one on the other", async () => {
    const token = await owner.apiToken("multi");
    expect((await two.api.gql(VIEWER, {}, { token })).data?.viewer.id).toBe(owner.id);
  });

  it("accept a provisioner key on either, and refuse it on both once deleted on one", async () => {
    const org = await owner.org("keys");
    const { key, id } = await createKey(one.api, owner.token, org.id, "k");
    await Promise.all([listening(one), listening(two)]);
    await register(two.api, key, "on-two");
    await register(one.api, key, "on-one");
    const deleteKey = async () => {
      const deleted = await two.api.gql(
        `mutation($input: DeleteProvisionerKeyInput!) { deleteProvisionerKey(input: $input) { userErrors { code } } }`,
        { input: { provisionerKeyId: id } },
        { token: owner.token },
      );
      expect(deleted.data?.deleteProvisionerKey.userErrors).toEqual([]);
    };
    // At once on the instance that deleted it, within 100 ms on the other.
    expect(await droppedAfterMs(one, deleteKey)).toBeLessThan(100);
    for (const instance of [two, one]) {
      const again = await instance.api.gql(
        REGISTER,
        { input: { name: "again", version: "t" } },
        { headers: { "provisioner-key": key } },
      );
      expect(refused(again)).toBe(true);
    }
  });

  it("hand each job to exactly one daemon while daemons on both race for them", async () => {
    const org = await owner.org("queue");
    const { key } = await createKey(one.api, owner.token, org.id, "q");
    const daemonOne = await register(one.api, key, "d-one");
    const daemonTwo = await register(two.api, key, "d-two");
    const jobs = await bareJobs(one.api, org.uuid, 40);
    const drain = async (api: TestApp, daemonId: string) => {
      const ran: string[] = [];
      for (let job = await acquire(api, key, daemonId); job; job = await acquire(api, key, daemonId)) {
        ran.push(job.job.id);
        const done = await api.gql(
          COMPLETE,
          { input: { jobId: job.job.id, daemonId } },
          { headers: { "provisioner-key": key } },
        );
        expect(done.data?.completeProvisionerJob.userErrors).toEqual([]);
      }
      return ran;
    };
    const runs = await Promise.all([
      drain(one.api, daemonOne),
      drain(one.api, daemonOne),
      drain(two.api, daemonTwo),
      drain(two.api, daemonTwo),
    ]);
    const ran = runs.flat();
    expect(ran).toHaveLength(40);
    expect(new Set(ran)).toEqual(new Set(jobs.map(jobGlobalId)));
    // Both instances took part.
    expect(runs[0].length + runs[1].length).toBeGreaterThan(0);
    expect(runs[2].length + runs[3].length).toBeGreaterThan(0);
  });

  it("carry live updates from one to subscribers on the other", async () => {
    const org = await owner.org("live");
    const { key } = await createKey(one.api, owner.token, org.id, "l");
    const events = await subscribe(
      one.app.yoga.fetch,
      "http://one/graphql",
      `subscription($id: ID!) { provisionerDaemonsUpdated(organizationId: $id) { name } }`,
      { id: org.id },
      owner.token,
    );
    try {
      const first = await events.next();
      expect(first.kind === "next" && first.data).toEqual({ provisionerDaemonsUpdated: [] });
      await register(two.api, key, "far-away");
      const next = await events.next();
      expect(next.kind === "next" && next.data).toEqual({ provisionerDaemonsUpdated: [{ name: "far-away" }] });
    } finally {
      await events.close();
    }
  });
});
