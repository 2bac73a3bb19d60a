import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSubject } from "../../../src/authz/subject-loader.js";
import type { Context } from "../../../src/context.js";
import { memberWorkspaceQuota } from "../../../src/modules/workspaces/quota.js";
import type { Actor } from "../../support/actors.js";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { finishLatestBuild } from "../../support/jobs.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { createWorkspace, transition } from "../../support/workloads.js";

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let globex: OrgScope;
let admin: Actor;
let alice: Actor;
let cost4: string; // acme template costing 4 per day
let free: string; // acme template costing nothing

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  globex = await owner.org("globex");
  admin = await acme.member("admin", ["organization-admin"]);
  alice = await owner.user("alice", { orgs: [acme, globex] });
  cost4 = await acme.template("cost4", { as: admin, input: { dailyCost: 1 }, dailyCost: 4 });
  free = await acme.template("free", { as: admin });
});
afterAll(async () => {
  await app?.close();
});

const QUOTA = `query($name: String!) { organization(name: $name) { viewerWorkspaceQuota { creditsConsumed budget } } }`;

async function quota(token: string, organization = "acme") {
  const result = await app.gql(QUOTA, { name: organization }, { token });
  expect(result.errors).toBeUndefined();
  return result.data?.organization.viewerWorkspaceQuota;
}

describe("budget and consumption", () => {
  it("budget sums the Everyone allowance and the allowances of the user's groups in that organization", async () => {
    expect(await quota(alice.token)).toEqual({ creditsConsumed: 0, budget: 0 });
    await acme.setEveryoneAllowance(2);
    await acme.group("devs", { quotaAllowance: 6, members: [alice] });
    await acme.group("others", { quotaAllowance: 100, members: [admin] });
    await globex.group("globex-devs", { quotaAllowance: 50, members: [alice] });
    expect(await quota(alice.token)).toEqual({ creditsConsumed: 0, budget: 8 });
    expect(await quota(alice.token, "globex")).toEqual({ creditsConsumed: 0, budget: 50 });
  });

  it("refuses a START that would exceed the budget with QUOTA_EXCEEDED, writing nothing", async () => {
    const first = await createWorkspace(app, alice.token, { templateId: cost4, name: "one" });
    expect(first.payload.userErrors).toEqual([]);
    expect(first.payload.workspace.latestBuild.dailyCost).toBe(4);
    const second = await createWorkspace(app, alice.token, { templateId: cost4, name: "two" });
    expect(second.payload.userErrors).toEqual([]);
    expect(await quota(alice.token)).toEqual({ creditsConsumed: 8, budget: 8 });

    const builds = await app.prisma.workspaceBuild.count();
    const third = await createWorkspace(app, alice.token, { templateId: cost4, name: "three" });
    expect(third.errors).toBeUndefined();
    expect(third.payload).toMatchObject({ workspace: null, userErrors: [{ code: "QUOTA_EXCEEDED" }] });
    expect(third.payload.userErrors[0].message).toContain("budget of 8");
    expect(await app.prisma.workspace.count({ where: { name: "three" } })).toBe(0);
    expect(await app.prisma.workspaceBuild.count()).toBe(builds);
  });

  it("always allows builds that do not raise the cost", async () => {
    const freeOne = await createWorkspace(app, alice.token, { templateId: free, name: "free-one" });
    expect(freeOne.payload.userErrors).toEqual([]);
    const two = await app.prisma.workspace.findFirstOrThrow({ where: { name: "two", ownerId: uuidOf(alice.id) } });
    const id = globalId("Workspace", two.id);
    await finishLatestBuild(app, id);
    const stopped = await transition(app, alice.token, id, "STOP");
    expect(stopped.payload.userErrors).toEqual([]);
    expect(await quota(alice.token)).toEqual({ creditsConsumed: 4, budget: 8 });

    // Another START fits again; a further one does not.
    await finishLatestBuild(app, id);
    const restarted = await transition(app, alice.token, id, "START");
    expect(restarted.payload.userErrors).toEqual([]);
    await finishLatestBuild(app, id);
    await transition(app, alice.token, id, "STOP");
    await finishLatestBuild(app, id);
    const three = await createWorkspace(app, alice.token, { templateId: cost4, name: "three" });
    expect(three.payload.userErrors).toEqual([]);
    const refused = await transition(app, alice.token, id, "START");
    expect(refused.payload.userErrors).toMatchObject([{ code: "QUOTA_EXCEEDED" }]);
    expect(refused.payload.workspace).toBeNull();

    // Deleting frees the quota at once (the DELETE build costs nothing), before the build runs.
    await finishLatestBuild(app, three.payload.workspace.id);
    const deleted = await transition(app, alice.token, three.payload.workspace.id, "DELETE");
    expect(deleted.payload.userErrors).toEqual([]);
    expect(await quota(alice.token)).toEqual({ creditsConsumed: 4, budget: 8 });
    const started = await transition(app, alice.token, id, "START");
    expect(started.payload.userErrors).toEqual([]);
  });

  it("quotas are per organization", async () => {
    expect(await quota(alice.token, "globex")).toEqual({ creditsConsumed: 0, budget: 50 });
    expect(await quota(admin.token)).toEqual({ creditsConsumed: 0, budget: 102 });
  });
});

describe("concurrency", () => {
  it("20 concurrent creates with room for 3 give exactly 3 workspaces", async () => {
    const racer = await acme.member("racer");
    await acme.group("racers", { quotaAllowance: 12 - 2, members: [racer] }); // + Everyone's 2
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createWorkspace(app, racer.token, { templateId: cost4, name: `race-${i}` })),
    );
    for (const r of results) expect(r.errors).toBeUndefined();
    const codes = results.map((r) => r.payload.userErrors[0]?.code ?? "OK");
    expect(codes.filter((c) => c === "OK")).toHaveLength(3);
    expect(codes.filter((c) => c === "QUOTA_EXCEEDED")).toHaveLength(17);
    expect(await app.prisma.workspace.count({ where: { ownerId: uuidOf(racer.id) } })).toBe(3);
    expect(await quota(racer.token)).toEqual({ creditsConsumed: 12, budget: 12 });
  });

  it("concurrent creates with one name give exactly one workspace", async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => createWorkspace(app, admin.token, { templateId: free, name: "same" })),
    );
    const codes = results.map((r) => r.payload.userErrors[0]?.code ?? "OK").sort();
    expect(codes).toEqual(["NAME_TAKEN", "NAME_TAKEN", "NAME_TAKEN", "NAME_TAKEN", "OK"]);
  });
});

describe("a member's quota as others see it (OrganizationMember.workspaceQuota)", () => {
  // The field lives on OrganizationMember (another module); this checks the rule it resolves with.
  async function asViewer(viewer: Actor): Promise<Context> {
    const user = await app.prisma.user.findUniqueOrThrow({ where: { id: uuidOf(viewer.id) } });
    const subject = await loadSubject(app.prisma, user);
    return { prisma: app.prisma, viewer: { subject: async () => subject } } as unknown as Context;
  }

  it("is shown to the member and to those who may manage members, and null to other members", async () => {
    const member = { userId: uuidOf(alice.id), organizationId: acme.uuid };
    const expected = await quota(alice.token);
    expect(await memberWorkspaceQuota(await asViewer(alice), member)).toEqual(expected);
    expect(await memberWorkspaceQuota(await asViewer(admin), member)).toEqual(expected);
    expect(await memberWorkspaceQuota(await asViewer(owner), member)).toEqual(expected);
    const peer = await acme.member("peer");
    expect(await memberWorkspaceQuota(await asViewer(peer), member)).toBeNull();
  });
});
