// The workspace lifecycle: one active build at a time (BUILD_IN_PROGRESS; DELETE with orphan
// cancels it), Workspace.status derived from the latest build and its job, Workspace.builds,
// a canceled DELETE build leaves the workspace, and failed or canceled builds cost nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { finishLatestBuild } from "../../support/jobs.js";
import { acquire, complete, createKey, jobGlobalId, register } from "../../support/provisioners.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { createWorkspace } from "../../support/workloads.js";

const TRANSITION = `mutation($input: WorkspaceTransitionInput!) {
  transitionWorkspace(input: $input) {
    workspace { id status deleted latestBuild { buildNumber transition } }
    userErrors { code message field }
  }
}`;
const CANCEL = `mutation($input: CancelProvisionerJobInput!) { cancelProvisionerJob(input: $input) { job { status } userErrors { code } } }`;
const STATUS = `query($id: ID!) { node(id: $id) { ... on Workspace { status deleted } } }`;
const BUILDS = `query($id: ID!) { node(id: $id) { ... on Workspace {
  builds(first: 10) { totalCount edges { node {
    buildNumber transition dailyCost createdAt startedAt completedAt
    initiator { username } templateVersion { name } job { status }
  } } }
} } }`;
const QUOTA = `query($name: String!) { organization(name: $name) { viewerWorkspaceQuota { creditsConsumed budget } } }`;

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let admin: Actor;
let alice: Actor;
let templateId: string;
let key: string;
let daemonId: string;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  admin = await acme.member("oadmin", ["organization-admin"]);
  alice = await acme.member("alice");
  await acme.setEveryoneAllowance(10);
  templateId = await acme.template("base", { dailyCost: 4, input: { tags: [{ key: "pool", value: "life" }] } });
  ({ key } = await createKey(app, owner.token, acme.id, "life", [{ key: "pool", value: "life" }]));
  daemonId = await register(app, key, "life-d");
});
afterAll(async () => {
  await app?.close();
});

function transition(token: string, workspaceId: string, to: string, extra: Record<string, unknown> = {}) {
  return app.gql(TRANSITION, { input: { workspaceId, transition: to, ...extra } }, { token });
}

async function status(workspaceId: string, token = alice.token) {
  return (await app.gql(STATUS, { id: workspaceId }, { token })).data?.node;
}

async function newWorkspace(name: string): Promise<string> {
  const { payload } = await createWorkspace(app, alice.token, { templateId, name });
  expect(payload.userErrors).toEqual([]);
  return payload.workspace.id;
}

async function latestJobId(workspaceId: string): Promise<string> {
  const build = await app.prisma.workspaceBuild.findFirstOrThrow({
    where: { workspaceId: uuidOf(workspaceId) },
    orderBy: { buildNumber: "desc" },
  });
  return build.jobId;
}

const quota = async () =>
  (await app.gql(QUOTA, { name: "acme" }, { token: alice.token })).data?.organization.viewerWorkspaceQuota;

describe("status through a build's life", () => {
  it("is PENDING, STARTING, RUNNING, then STOPPING, STOPPED, then DELETING and DELETED (through the daemon)", async () => {
    const id = await newWorkspace("life");
    expect(await status(id)).toEqual({ status: "PENDING", deleted: false });
    const acquired = await acquire(app, key, daemonId);
    expect(await status(id)).toEqual({ status: "STARTING", deleted: false });
    await complete(app, key, { jobId: acquired?.job.id as string, daemonId });
    expect(await status(id)).toEqual({ status: "RUNNING", deleted: false });

    expect((await transition(alice.token, id, "STOP")).data?.transitionWorkspace.workspace.status).toBe("PENDING");
    const stopping = await acquire(app, key, daemonId);
    expect(await status(id)).toEqual({ status: "STOPPING", deleted: false });
    await complete(app, key, { jobId: stopping?.job.id as string, daemonId });
    expect(await status(id)).toEqual({ status: "STOPPED", deleted: false });

    const deleting = await transition(alice.token, id, "DELETE");
    expect(deleting.data?.transitionWorkspace.workspace).toMatchObject({ status: "PENDING", deleted: false });
    const deleteJob = await acquire(app, key, daemonId);
    expect(await status(id)).toEqual({ status: "DELETING", deleted: false });
    await complete(app, key, { jobId: deleteJob?.job.id as string, daemonId });
    // Deleted: gone from lookups; the row says DELETED.
    expect(await status(id)).toBeNull();
    expect((await app.prisma.workspace.findUniqueOrThrow({ where: { id: uuidOf(id) } })).deleted).toBe(true);

    const builds = await app.gql(BUILDS, { id }, { token: alice.token });
    expect(builds.data?.node).toBeNull();
  });

  it("is FAILED, CANCELING and CANCELED from the latest job", async () => {
    const id = await newWorkspace("states");
    await finishLatestBuild(app, id, { error: "boom" });
    expect(await status(id)).toEqual({ status: "FAILED", deleted: false });
    expect((await transition(alice.token, id, "START")).data?.transitionWorkspace.userErrors).toEqual([]);
    const running = await acquire(app, key, daemonId);
    await app.gql(CANCEL, { input: { jobId: running?.job.id } }, { token: alice.token });
    expect(await status(id)).toEqual({ status: "CANCELING", deleted: false });
    await complete(app, key, { jobId: running?.job.id as string, daemonId });
    expect(await status(id)).toEqual({ status: "CANCELED", deleted: false });
  });
});

describe("Workspace.builds", () => {
  it("lists the builds newest first with version, initiator, job, cost and times", async () => {
    const id = await newWorkspace("history");
    await finishLatestBuild(app, id);
    expect((await transition(admin.token, id, "STOP")).data?.transitionWorkspace.userErrors).toEqual([]);
    const result = await app.gql(BUILDS, { id }, { token: alice.token });
    expect(result.errors).toBeUndefined();
    const { totalCount, edges } = result.data?.node?.builds ?? {};
    expect(totalCount).toBe(2);
    expect(edges.map((e: { node: unknown }) => e.node)).toEqual([
      expect.objectContaining({
        buildNumber: 2,
        transition: "STOP",
        dailyCost: 0,
        initiator: { username: "oadmin" },
        templateVersion: { name: "v1" },
        job: { status: "PENDING" },
        startedAt: null,
        completedAt: null,
      }),
      expect.objectContaining({
        buildNumber: 1,
        transition: "START",
        dailyCost: 4,
        initiator: { username: "alice" },
        templateVersion: { name: "v1" },
        job: { status: "SUCCEEDED" },
      }),
    ]);
    expect(edges[1].node.completedAt).not.toBeNull();
  });
});

describe("one active build at a time", () => {
  it("answers BUILD_IN_PROGRESS while the latest build is pending, running or canceling, and writes nothing", async () => {
    const id = await newWorkspace("busy");
    const pending = await transition(alice.token, id, "STOP");
    expect(pending.data?.transitionWorkspace).toMatchObject({
      workspace: null,
      userErrors: [{ code: "BUILD_IN_PROGRESS", field: ["input", "workspaceId"] }],
    });
    // Running (as a daemon would have it), then canceling: still in progress.
    for (const inProgress of ["RUNNING", "CANCELING"] as const) {
      await app.prisma.provisionerJob.update({ where: { id: await latestJobId(id) }, data: { status: inProgress } });
      expect((await transition(alice.token, id, "DELETE")).data?.transitionWorkspace.userErrors[0].code).toBe(
        "BUILD_IN_PROGRESS",
      );
    }
    expect(await app.prisma.workspaceBuild.count({ where: { workspaceId: uuidOf(id) } })).toBe(1);
    await finishLatestBuild(app, id);
    expect((await transition(alice.token, id, "STOP")).data?.transitionWorkspace.userErrors).toEqual([]);
  });

  it("lets exactly one of concurrent transitions through", async () => {
    const id = await newWorkspace("racing");
    await finishLatestBuild(app, id);
    const results = await Promise.all(
      ["STOP", "STOP", "DELETE", "START", "STOP", "DELETE"].map((to) => transition(alice.token, id, to)),
    );
    const codes = results.map((r) => r.data?.transitionWorkspace.userErrors[0]?.code ?? "OK");
    expect(codes.filter((c) => c === "OK")).toHaveLength(1);
    expect(codes.filter((c) => c === "BUILD_IN_PROGRESS")).toHaveLength(5);
    expect(await app.prisma.workspaceBuild.count({ where: { workspaceId: uuidOf(id) } })).toBe(2);
  });
});

describe("DELETE with orphan", () => {
  it("cancels the pending build and deletes at once, without a provisioner; owners and organization admins only", async () => {
    const id = await newWorkspace("orphaned");
    const startJob = await latestJobId(id);
    const member = await transition(alice.token, id, "DELETE", { orphan: true });
    expect(errorCodes(member)).toEqual(["FORBIDDEN"]);
    const notDelete = await transition(admin.token, id, "STOP", { orphan: true });
    expect(notDelete.data?.transitionWorkspace.userErrors).toEqual([
      expect.objectContaining({ code: "INVALID_INPUT", field: ["input", "orphan"] }),
    ]);
    const orphaned = await transition(admin.token, id, "DELETE", { orphan: true });
    expect(orphaned.data?.transitionWorkspace).toMatchObject({
      userErrors: [],
      workspace: { status: "DELETED", deleted: true, latestBuild: { buildNumber: 2, transition: "DELETE" } },
    });
    const job = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: startJob } });
    expect(job.status).toBe("CANCELED");
    const deleteJob = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: await latestJobId(id) } });
    expect(deleteJob).toMatchObject({ status: "SUCCEEDED", workerId: null });
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { resourceType: "WORKSPACE", action: "DELETE", resourceId: uuidOf(id) },
    });
    expect(audit.diff).toMatchObject({ orphan: true, canceledJobId: startJob });
    // The name is free at once.
    await newWorkspace("orphaned");
  });
});

describe("canceled and failed builds", () => {
  it("a canceled DELETE build leaves the workspace (as Coder), listed and deletable again", async () => {
    const id = await newWorkspace("keeper");
    await finishLatestBuild(app, id);
    expect((await transition(alice.token, id, "DELETE")).data?.transitionWorkspace.userErrors).toEqual([]);
    const canceled = await app.gql(
      CANCEL,
      { input: { jobId: jobGlobalId(await latestJobId(id)) } },
      { token: alice.token },
    );
    expect(canceled.data?.cancelProvisionerJob).toEqual({ job: { status: "CANCELED" }, userErrors: [] });
    expect(await status(id)).toEqual({ status: "CANCELED", deleted: false });
    const again = await transition(alice.token, id, "DELETE");
    expect(again.data?.transitionWorkspace.userErrors).toEqual([]);
    await finishLatestBuild(app, id);
    expect(await status(id)).toBeNull();
  });

  it("a canceled or failed START does not count toward the quota", async () => {
    const before = await quota();
    const id = await newWorkspace("costly");
    expect((await quota()).creditsConsumed).toBe(before.creditsConsumed + 4);
    await app.gql(CANCEL, { input: { jobId: jobGlobalId(await latestJobId(id)) } }, { token: alice.token });
    expect((await quota()).creditsConsumed).toBe(before.creditsConsumed);
    expect((await transition(alice.token, id, "START")).data?.transitionWorkspace.userErrors).toEqual([]);
    expect((await quota()).creditsConsumed).toBe(before.creditsConsumed + 4);
    await finishLatestBuild(app, id, { error: "apply failed" });
    expect((await quota()).creditsConsumed).toBe(before.creditsConsumed);
  });
});
