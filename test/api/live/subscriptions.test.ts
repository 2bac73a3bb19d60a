// Live updates over server-sent events: a job's status, a workspace's latest build, an
// organization's daemons. Authorized when subscribing, re-checked on every event, and carried
// between instances through Redis.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app.js";
import { loadConfig } from "../../../src/config.js";
import { createLogger } from "../../../src/logger.js";
import { type Actor, login } from "../../support/actors.js";
import { globalId } from "../../support/fixtures.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { acquire, complete, createKey, importJob, jobGlobalId, register } from "../../support/provisioners.js";
import { type OrgScope, type OwnerScope, type SeededUser, seed } from "../../support/seed.js";
import { type SseEvent, subscribe } from "../../support/sse.js";
import { createWorkspace, transition } from "../../support/workloads.js";

const JOB = `subscription($id: ID!) { provisionerJobUpdated(jobId: $id) { id status error } }`;
const BUILD = `subscription($id: ID!) { workspaceBuildUpdated(workspaceId: $id) { buildNumber transition job { status } } }`;
const DAEMONS = `subscription($id: ID!) { provisionerDaemonsUpdated(organizationId: $id) { name status } }`;

let app: TestApp;
let owner: OwnerScope;
let member: SeededUser;
let outsider: Actor;
let org: OrgScope;
let key: string;
let daemonId: string;

const open = (query: string, id: string, token: string | null, target: TestApp["yoga"] = app.yoga) =>
  subscribe(target.fetch, "http://test/graphql", query, { id }, token);

const nextData = async (events: { next(ms?: number): Promise<SseEvent> }) => {
  const event = await events.next();
  if (event.kind !== "next") throw new Error("the stream ended");
  expect(event.errors).toBeUndefined();
  return event.data as Record<string, any>;
};

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  org = await owner.org("acme");
  const other = await owner.org("globex");
  member = await org.member("member");
  outsider = await other.member("outsider");
  key = (await createKey(app, owner.token, org.id, "k")).key;
  daemonId = await register(app, key, "d1");
});

// Every test starts with an empty queue: `acquire` hands out the oldest pending job.
afterEach(async () => {
  await app.prisma.provisionerJob.updateMany({ where: { status: "PENDING" }, data: { status: "CANCELED" } });
});

afterAll(async () => {
  await app?.close();
});

describe("provisionerJobUpdated", () => {
  it("answers the job's status now and after each change", async () => {
    const { jobId } = await importJob(app, org.uuid);
    const events = await open(JOB, jobGlobalId(jobId), member.token);
    try {
      expect(events.status).toBe(200);
      expect((await nextData(events)).provisionerJobUpdated.status).toBe("PENDING");
      expect((await acquire(app, key, daemonId))?.job.id).toBe(jobGlobalId(jobId));
      expect((await nextData(events)).provisionerJobUpdated.status).toBe("RUNNING");
      await complete(app, key, { jobId: jobGlobalId(jobId), daemonId, error: "boom" });
      expect((await nextData(events)).provisionerJobUpdated).toMatchObject({ status: "FAILED", error: "boom" });
    } finally {
      await events.close();
    }
  });

  it("is NOT_FOUND for another tenant's job or a malformed id, UNAUTHENTICATED without credentials", async () => {
    const { jobId } = await importJob(app, org.uuid);
    for (const [id, token, code] of [
      [jobGlobalId(jobId), outsider.token, "NOT_FOUND"],
      [globalId("User", jobId), member.token, "NOT_FOUND"],
      [jobGlobalId(jobId), null, "UNAUTHENTICATED"],
    ] as const) {
      const events = await open(JOB, id, token);
      const event = await events.next();
      expect(event.kind === "next" && event.errors?.map((e) => e.extensions?.code)).toEqual([code]);
      expect(event.kind === "next" && event.data).toBeFalsy();
      expect((await events.next()).kind).toBe("complete");
    }
  });

  it("ends, without the event, once the subscriber is removed from the organization", async () => {
    const leaving = await org.member("leaving");
    const { jobId } = await importJob(app, org.uuid);
    const events = await open(JOB, jobGlobalId(jobId), leaving.token);
    try {
      expect((await nextData(events)).provisionerJobUpdated.status).toBe("PENDING");
      const removed = await app.gql(
        `mutation($input: OrganizationMemberInput!) { removeOrganizationMember(input: $input) { userErrors { code } } }`,
        { input: { organizationId: org.id, userId: leaving.id } },
        { token: owner.token },
      );
      expect(removed.data?.removeOrganizationMember.userErrors).toEqual([]);
      await acquire(app, key, daemonId);
      expect(await events.next()).toEqual({ kind: "complete" });
    } finally {
      await events.close();
      await complete(app, key, { jobId: jobGlobalId(jobId), daemonId });
    }
  });

  it("ends once the session is logged out or the API token is revoked", async () => {
    const session = await login(app, member.email);
    const apiToken = await member.apiToken("live-token");
    const { jobId } = await importJob(app, org.uuid);
    const bySession = await open(JOB, jobGlobalId(jobId), session);
    const byToken = await open(JOB, jobGlobalId(jobId), apiToken);
    const stays = await open(JOB, jobGlobalId(jobId), member.token);
    try {
      for (const events of [bySession, byToken, stays]) {
        expect((await nextData(events)).provisionerJobUpdated.status).toBe("PENDING");
      }
      expect((await app.gql("mutation { logout }", {}, { token: session })).data).toEqual({ logout: true });
      // There is no mutation to delete an API token; revoking one means its row is gone.
      await app.prisma.apiToken.deleteMany({ where: { name: "live-token" } });
      await acquire(app, key, daemonId);
      expect(await bySession.next()).toEqual({ kind: "complete" });
      expect(await byToken.next()).toEqual({ kind: "complete" });
      expect((await nextData(stays)).provisionerJobUpdated.status).toBe("RUNNING");
    } finally {
      await Promise.all([bySession.close(), byToken.close(), stays.close()]);
      await complete(app, key, { jobId: jobGlobalId(jobId), daemonId });
    }
  });
});

describe("workspaceBuildUpdated", () => {
  it("answers the latest build when a build is queued and when its job runs and finishes", async () => {
    const templateId = await org.template("live-tmpl");
    const { payload } = await createWorkspace(app, member.token, { templateId, name: "live-ws" });
    const workspaceId = payload?.workspace.id as string;
    const events = await open(BUILD, workspaceId, member.token);
    try {
      expect((await nextData(events)).workspaceBuildUpdated).toEqual({
        buildNumber: 1,
        transition: "START",
        job: { status: "PENDING" },
      });
      const acquired = await acquire(app, key, daemonId);
      expect((await nextData(events)).workspaceBuildUpdated.job.status).toBe("RUNNING");
      await complete(app, key, { jobId: acquired?.job.id as string, daemonId });
      expect((await nextData(events)).workspaceBuildUpdated.job.status).toBe("SUCCEEDED");
      expect((await transition(app, member.token, workspaceId, "DELETE")).payload?.userErrors).toEqual([]);
      expect((await nextData(events)).workspaceBuildUpdated).toEqual({
        buildNumber: 2,
        transition: "DELETE",
        job: { status: "PENDING" },
      });
    } finally {
      await events.close();
    }
    const outsiders = await open(BUILD, workspaceId, outsider.token);
    const refused = await outsiders.next();
    expect(refused.kind === "next" && refused.errors?.map((e) => e.extensions?.code)).toEqual(["NOT_FOUND"]);
    await outsiders.close();
  });
});

describe("provisionerDaemonsUpdated", () => {
  it("answers the organization's daemons when one registers, and refuses other tenants", async () => {
    const events = await open(DAEMONS, org.id, member.token);
    try {
      const before = (await nextData(events)).provisionerDaemonsUpdated as { name: string }[];
      expect(before.map((d) => d.name)).not.toContain("d2");
      await register(app, key, "d2");
      const after = (await nextData(events)).provisionerDaemonsUpdated as { name: string; status: string }[];
      expect(after.find((d) => d.name === "d2")).toEqual({ name: "d2", status: "IDLE" });
    } finally {
      await events.close();
    }
    const outsiders = await open(DAEMONS, org.id, outsider.token);
    const refused = await outsiders.next();
    expect(refused.kind === "next" && refused.errors?.map((e) => e.extensions?.code)).toEqual(["NOT_FOUND"]);
    await outsiders.close();
  });
});

describe("with REDIS_URL", () => {
  it("a subscriber on one instance sees a job completed through another", async () => {
    const config = loadConfig({
      PASSWORD_HASH_COST: "1024",
      LOG_LEVEL: "silent",
      RATE_LIMIT_PER_MINUTE: "1000000",
      REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    });
    const [one, two] = [1, 2].map(() => createApp({ db: app.db, config, log: createLogger("silent") }));
    if (!one || !two) throw new Error("unreachable");
    const { jobId } = await importJob(app, org.uuid);
    const events = await open(JOB, jobGlobalId(jobId), member.token, one.yoga);
    try {
      expect((await nextData(events)).provisionerJobUpdated.status).toBe("PENDING");
      const onTwo = { ...app, yoga: two.yoga, gql: gqlThrough(two.yoga) } as TestApp;
      await acquire(onTwo, key, daemonId);
      expect((await nextData(events)).provisionerJobUpdated.status).toBe("RUNNING");
      await complete(onTwo, key, { jobId: jobGlobalId(jobId), daemonId });
      expect((await nextData(events)).provisionerJobUpdated.status).toBe("SUCCEEDED");
    } finally {
      await events.close();
      await Promise.all([one.close(), two.close()]);
    }
  });
});

/** app.gql's shape, through another instance's yoga. */
function gqlThrough(yoga: TestApp["yoga"]): TestApp["gql"] {
  return async (query, variables = {}, options = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await yoga.fetch("http://test/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: any };
    return { status: response.status, data: body.data ?? null, errors: body.errors, headers: response.headers };
  };
}
