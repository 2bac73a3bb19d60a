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
import { type Actor, createApiToken, setupOwner } from "../support/actors.js";
import { makeOrganization } from "../support/fixtures.js";
import type { TestApp } from "../support/harness.js";
import { acquire, bareJobs, COMPLETE, createKey, jobGlobalId, REGISTER, register } from "../support/provisioners.js";
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
  let owner: Actor;

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
    owner = await setupOwner(one.api);
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

  it("accept a session from either, and a logout on one ends it on both", async () => {
    const login = await two.api.gql(`mutation($input: LoginInput!) { login(input: $input) { token } }`, {
      input: { email: owner.email, password: "correct-horse-battery" },
    });
    const session = login.data?.login.token as string;
    for (const instance of [one, two]) {
      expect((await instance.api.gql(VIEWER, {}, { token: owner.token })).data?.viewer.id).toBe(owner.id);
      expect((await instance.api.gql(VIEWER, {}, { token: session })).data?.viewer.id).toBe(owner.id);
    }
    expect((await one.api.gql("mutation { logout }", {}, { token: session })).data).toEqual({ logout: true });
    for (const instance of [one, two]) {
      const refused = await instance.api.gql(VIEWER, {}, { token: session });
      expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
  });

  it("accept an API token made on one on the other", async () => {
    const token = await createApiToken(one.api, owner.token, "multi");
    expect((await two.api.gql(VIEWER, {}, { token })).data?.viewer.id).toBe(owner.id);
  });

  it("accept a provisioner key on either, and refuse it on both once deleted on one", async () => {
    const org = await makeOrganization(one.api, "keys");
    const { key, id } = await createKey(one.api, owner.token, org.id, "k");
    await register(two.api, key, "on-two");
    await register(one.api, key, "on-one");
    const deleted = await two.api.gql(
      `mutation($input: DeleteProvisionerKeyInput!) { deleteProvisionerKey(input: $input) { userErrors { code } } }`,
      { input: { provisionerKeyId: id } },
      { token: owner.token },
    );
    expect(deleted.data?.deleteProvisionerKey.userErrors).toEqual([]);
    for (const instance of [one, two]) {
      const refused = await instance.api.gql(
        REGISTER,
        { input: { name: "again", version: "t" } },
        { headers: { "provisioner-key": key } },
      );
      expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
  });

  it("hand each job to exactly one daemon while daemons on both race for them", async () => {
    const org = await makeOrganization(one.api, "queue");
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
    const org = await makeOrganization(one.api, "live");
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
