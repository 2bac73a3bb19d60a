import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { completeImport, finishLatestBuild } from "../../support/jobs.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { createTemplate, createWorkspace, transition } from "../../support/workloads.js";

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let globex: OrgScope;
let admin: Actor; // organization-admin of acme
let tmplAdmin: Actor; // organization-template-admin of acme
let auditor: Actor; // organization-auditor of acme
let alice: Actor;
let bob: Actor;
let gina: Actor; // globex only
let template: string; // acme, imported, Everyone may use it

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  globex = await owner.org("globex");
  admin = await acme.member("admin", ["organization-admin"]);
  tmplAdmin = await acme.member("tmpl-admin", ["organization-template-admin"]);
  auditor = await acme.member("auditor", ["organization-auditor"]);
  alice = await acme.member("alice");
  bob = await acme.member("bob");
  gina = await globex.member("gina");
  template = await acme.template("docker", { as: admin, input: { tags: [{ key: "os", value: "linux" }] } });
});
afterAll(async () => {
  await app?.close();
});

const WORKSPACES = `query($organizationId: ID, $ownerId: ID) {
  workspaces(organizationId: $organizationId, ownerId: $ownerId) {
    totalCount
    edges { node { name owner { username } organization { name } template { name } latestBuild { transition } } }
  }
}`;
const ORG_WORKSPACES = `query($name: String!) {
  organization(name: $name) { workspaces(first: 50) { totalCount edges { node { name } } } }
}`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Workspace { name } } }`;

async function workspaceNames(token: string, filter: { organizationId?: string; ownerId?: string } = {}) {
  const result = await app.gql(WORKSPACES, filter, { token });
  expect(result.errors).toBeUndefined();
  const list = result.data?.workspaces;
  expect(list.totalCount).toBe(list.edges.length);
  return list.edges
    .map((e: { node: { name: string; owner: { username: string } } }) => `${e.node.owner.username}/${e.node.name}`)
    .sort();
}

describe("template version readiness", () => {
  it("refuses TEMPLATE_VERSION_NOT_READY until the import succeeds, and says why a failed import failed", async () => {
    const pending = await createTemplate(
      app,
      admin.token,
      { organizationId: acme.id, name: "pending" },
      { ready: false },
    );
    const before = await createWorkspace(app, alice.token, { templateId: pending, name: "early" });
    expect(before.errors).toBeUndefined();
    expect(before.payload.userErrors).toMatchObject([
      { code: "TEMPLATE_VERSION_NOT_READY", field: ["input", "templateId"] },
    ]);
    expect(before.payload.userErrors[0].message).toContain("pending");

    const broken = await createTemplate(
      app,
      admin.token,
      { organizationId: acme.id, name: "broken" },
      { ready: false },
    );
    await completeImport(app, broken, { error: "terraform: invalid provider block" });
    const failed = await createWorkspace(app, alice.token, { templateId: broken, name: "early" });
    expect(failed.payload.userErrors[0].code).toBe("TEMPLATE_VERSION_NOT_READY");
    expect(failed.payload.userErrors[0].message).toContain("terraform: invalid provider block");

    await completeImport(app, pending);
    const after = await createWorkspace(app, alice.token, { templateId: pending, name: "early" });
    expect(after.payload.userErrors).toEqual([]);
    await finishLatestBuild(app, after.payload.workspace.id);
    await transition(app, alice.token, after.payload.workspace.id, "DELETE");
    await finishLatestBuild(app, after.payload.workspace.id);
  });
});

describe("createWorkspace", () => {
  it("creates the workspace, build 1 (START) and its build job carrying the template's tags", async () => {
    const { payload, errors } = await createWorkspace(app, alice.token, { templateId: template, name: "dev" });
    expect(errors).toBeUndefined();
    expect(payload.userErrors).toEqual([]);
    expect(payload.workspace).toMatchObject({
      name: "dev",
      deleted: false,
      owner: { id: alice.id },
      organization: { id: acme.id },
      template: { id: template },
      latestBuild: { buildNumber: 1, transition: "START", dailyCost: 0, initiator: { id: alice.id } },
    });
    const build = await app.prisma.workspaceBuild.findFirstOrThrow({
      where: { workspaceId: uuidOf(payload.workspace.id) },
      include: { job: true },
    });
    expect(build.job).toMatchObject({
      type: "WORKSPACE_BUILD",
      status: "PENDING",
      organizationId: acme.uuid,
      tags: { os: "linux" },
    });
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { resourceType: "WORKSPACE", resourceId: uuidOf(payload.workspace.id) },
    });
    expect(audit).toMatchObject({ action: "CREATE", actorId: uuidOf(alice.id), organizationId: acme.uuid });
  });

  it("enforces name rules and per-owner uniqueness", async () => {
    const bad = await createWorkspace(app, alice.token, { templateId: template, name: "no spaces" });
    expect(bad.payload.userErrors).toMatchObject([{ code: "INVALID_INPUT", field: ["input", "name"] }]);
    const taken = await createWorkspace(app, alice.token, { templateId: template, name: "DEV" });
    expect(taken.payload.userErrors).toMatchObject([{ code: "NAME_TAKEN", field: ["input", "name"] }]);
    const otherOwner = await createWorkspace(app, bob.token, { templateId: template, name: "dev" });
    expect(otherOwner.payload.userErrors).toEqual([]);
  });

  it("lets an organization admin create a workspace for another member, but not a plain member", async () => {
    const byAdmin = await createWorkspace(app, admin.token, {
      templateId: template,
      name: "for-alice",
      ownerId: alice.id,
    });
    expect(byAdmin.payload.userErrors).toEqual([]);
    expect(byAdmin.payload.workspace).toMatchObject({
      owner: { id: alice.id },
      latestBuild: { initiator: { id: admin.id } },
    });
    const byBob = await createWorkspace(app, bob.token, {
      templateId: template,
      name: "for-alice-2",
      ownerId: alice.id,
    });
    expect(errorCodes(byBob.result)).toEqual(["FORBIDDEN"]);
    expect(byBob.result.errors?.[0]?.extensions).toMatchObject({ resource: "WORKSPACE", action: "CREATE" });
  });

  it("refuses owners who are not members of the template's organization (NOT_FOUND)", async () => {
    const forGina = await createWorkspace(app, admin.token, { templateId: template, name: "x", ownerId: gina.id });
    expect(errorCodes(forGina.result)).toEqual(["NOT_FOUND"]);
    // The site owner sees the template but is not a member of acme.
    const byOwner = await createWorkspace(app, owner.token, { templateId: template, name: "x" });
    expect(errorCodes(byOwner.result)).toEqual(["NOT_FOUND"]);
  });

  it("does not show a template of another organization (NOT_FOUND)", async () => {
    const result = await createWorkspace(app, gina.token, { templateId: template, name: "x" });
    expect(errorCodes(result.result)).toEqual(["NOT_FOUND"]);
    const malformed = await createWorkspace(app, gina.token, { templateId: "nonsense", name: "x" });
    expect(errorCodes(malformed.result)).toEqual(["NOT_FOUND"]);
  });

  it("needs USE on the template: visible without it is FORBIDDEN", async () => {
    const restricted = await createTemplate(app, admin.token, {
      organizationId: acme.id,
      name: "restricted",
      disableEveryoneGroupAccess: true,
    });
    const byAlice = await createWorkspace(app, alice.token, { templateId: restricted, name: "x" });
    expect(errorCodes(byAlice.result)).toEqual(["NOT_FOUND"]);
    // The organization auditor reads every template but uses none.
    const byAuditor = await createWorkspace(app, auditor.token, { templateId: restricted, name: "x" });
    expect(errorCodes(byAuditor.result)).toEqual(["FORBIDDEN"]);
    expect(byAuditor.result.errors?.[0]?.extensions).toMatchObject({ resource: "TEMPLATE", action: "USE" });
  });

  it("is denied by organization-workspace-creation-ban", async () => {
    const banned = await acme.member("banned", ["organization-workspace-creation-ban"]);
    const result = await createWorkspace(app, banned.token, { templateId: template, name: "nope" });
    expect(errorCodes(result.result)).toEqual(["FORBIDDEN"]);
    expect(result.result.errors?.[0]?.extensions).toMatchObject({ resource: "WORKSPACE", action: "CREATE" });
    expect(await app.prisma.workspace.count({ where: { ownerId: uuidOf(banned.id) } })).toBe(0);
  });
});

describe("workspace lists", () => {
  it("members see their own workspaces; admins and template admins the organization's", async () => {
    expect(await workspaceNames(alice.token)).toEqual(["alice/dev", "alice/for-alice"]);
    expect(await workspaceNames(bob.token)).toEqual(["bob/dev"]);
    const all = ["alice/dev", "alice/for-alice", "bob/dev"];
    expect(await workspaceNames(admin.token)).toEqual(all);
    expect(await workspaceNames(tmplAdmin.token, { organizationId: acme.id })).toEqual(all);
    expect(await workspaceNames(admin.token, { ownerId: bob.id })).toEqual(["bob/dev"]);
    expect(await workspaceNames(owner.token, { organizationId: globex.id })).toEqual([]);
    const org = await app.gql(ORG_WORKSPACES, { name: "acme" }, { token: bob.token });
    expect(org.data?.organization.workspaces).toEqual({ totalCount: 1, edges: [{ node: { name: "dev" } }] });
  });

  it("shows a member of another organization nothing, not even by id", async () => {
    expect(await workspaceNames(gina.token)).toEqual([]);
    const ws = await app.prisma.workspace.findFirstOrThrow({ where: { ownerId: uuidOf(alice.id), name: "dev" } });
    const id = globalId("Workspace", ws.id);
    expect((await app.gql(NODE, { id }, { token: gina.token })).data?.node).toBeNull();
    expect((await app.gql(NODE, { id }, { token: bob.token })).data?.node).toBeNull();
    expect((await app.gql(NODE, { id }, { token: alice.token })).data?.node).toEqual({ id, name: "dev" });
    const build = await app.prisma.workspaceBuild.findFirstOrThrow({ where: { workspaceId: ws.id } });
    const BUILD = `query($id: ID!) { node(id: $id) { ... on WorkspaceBuild { buildNumber } } }`;
    const buildId = globalId("WorkspaceBuild", build.id);
    expect((await app.gql(BUILD, { id: buildId }, { token: alice.token })).data?.node).toEqual({ buildNumber: 1 });
    expect((await app.gql(BUILD, { id: buildId }, { token: bob.token })).data?.node).toBeNull();
    expect((await app.gql(BUILD, { id: buildId }, { token: admin.token })).data?.node).toEqual({ buildNumber: 1 });
    const stop = await transition(app, gina.token, id, "STOP");
    expect(errorCodes(stop.result)).toEqual(["NOT_FOUND"]);
  });
});

describe("transitionWorkspace", () => {
  let id: string;
  beforeAll(async () => {
    const priced = await acme.template("priced", { as: admin, dailyCost: 3 });
    await acme.setEveryoneAllowance(100);
    const { payload } = await createWorkspace(app, bob.token, { templateId: priced, name: "cycle" });
    expect(payload.userErrors).toEqual([]);
    id = payload.workspace.id;
    expect(payload.workspace.latestBuild).toMatchObject({ buildNumber: 1, transition: "START", dailyCost: 3 });
  });

  it("queues STOP and START builds with the next build number and their cost", async () => {
    await finishLatestBuild(app, id);
    const stopped = await transition(app, bob.token, id, "STOP");
    expect(stopped.payload).toMatchObject({
      userErrors: [],
      workspace: { latestBuild: { buildNumber: 2, transition: "STOP", dailyCost: 0 } },
    });
    await finishLatestBuild(app, id);
    const started = await transition(app, bob.token, id, "START");
    expect(started.payload.workspace.latestBuild).toEqual({ buildNumber: 3, transition: "START", dailyCost: 3 });
    await finishLatestBuild(app, id);
    const jobs = await app.prisma.workspaceBuild.findMany({
      where: { workspaceId: uuidOf(id) },
      include: { job: true },
    });
    expect(jobs.map((b) => b.job.type)).toEqual(["WORKSPACE_BUILD", "WORKSPACE_BUILD", "WORKSPACE_BUILD"]);
    const audit = await app.prisma.auditLog.findMany({ where: { resourceId: uuidOf(id) }, orderBy: { time: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["CREATE", "STOP", "START"]);
  });

  it("is FORBIDDEN to readers who may not act on the workspace", async () => {
    const refused = await transition(app, tmplAdmin.token, id, "STOP");
    expect(errorCodes(refused.result)).toEqual(["FORBIDDEN"]);
    expect(refused.result.errors?.[0]?.extensions).toMatchObject({ resource: "WORKSPACE", action: "STOP" });
  });

  it("DELETE removes the workspace from lists and lookups once its build succeeded, and frees its name", async () => {
    const deleted = await transition(app, bob.token, id, "DELETE");
    // As Coder: the workspace stays (PENDING, then DELETING) until the DELETE build succeeds.
    expect(deleted.payload.workspace).toMatchObject({
      deleted: false,
      latestBuild: { buildNumber: 4, transition: "DELETE", dailyCost: 0 },
    });
    expect(await workspaceNames(bob.token)).toContain("bob/cycle");
    await finishLatestBuild(app, id);
    expect(await workspaceNames(bob.token)).toEqual(["bob/dev"]);
    expect(await workspaceNames(admin.token)).not.toContain("bob/cycle");
    expect((await app.gql(NODE, { id }, { token: bob.token })).data?.node).toBeNull();
    const again = await transition(app, bob.token, id, "START");
    expect(errorCodes(again.result)).toEqual(["NOT_FOUND"]);
    const reuse = await createWorkspace(app, bob.token, { templateId: template, name: "cycle" });
    expect(reuse.payload.userErrors).toEqual([]);
  });
});

describe("templates seen through workspaces", () => {
  it("a workspace keeps showing its template after the owner's template access is revoked", async () => {
    const revocable = await createTemplate(app, admin.token, {
      organizationId: acme.id,
      name: "revocable",
      disableEveryoneGroupAccess: true,
    });
    await app.prisma.templateUserAcl.create({
      data: { templateId: uuidOf(revocable), userId: uuidOf(bob.id), role: "USE" },
    });
    const { payload } = await createWorkspace(app, bob.token, { templateId: revocable, name: "kept" });
    expect(payload.userErrors).toEqual([]);
    await app.prisma.templateUserAcl.deleteMany({ where: { templateId: uuidOf(revocable) } });
    const list = await app.gql(WORKSPACES, { ownerId: bob.id }, { token: bob.token });
    expect(list.errors).toBeUndefined();
    const names = list.data?.workspaces.edges.map(
      (e: { node: { template: { name: string } } }) => e.node.template.name,
    );
    expect(names).toContain("revocable");
    // The template itself is still hidden from bob elsewhere.
    expect((await app.gql(NODE, { id: revocable }, { token: bob.token })).data?.node).toBeNull();
    await finishLatestBuild(app, payload.workspace.id);
    await transition(app, bob.token, payload.workspace.id, "DELETE");
    await finishLatestBuild(app, payload.workspace.id);
  });
});

describe("removed members", () => {
  it("their workspaces stay visible to organization admins, not to them", async () => {
    const leaver = await acme.member("leaver");
    const { payload } = await createWorkspace(app, leaver.token, { templateId: template, name: "left-behind" });
    expect(payload.userErrors).toEqual([]);
    await app.prisma.organizationMember.delete({
      where: { organizationId_userId: { organizationId: acme.uuid, userId: uuidOf(leaver.id) } },
    });
    // A write outside the service: the leaver's remembered memberships go once its notification is read.
    await app.deps.credentials.settle();
    expect(await workspaceNames(admin.token, { ownerId: leaver.id })).toEqual(["leaver/left-behind"]);
    expect(await workspaceNames(leaver.token)).toEqual([]);
    await finishLatestBuild(app, payload.workspace.id);
    const stop = await transition(app, admin.token, payload.workspace.id, "STOP");
    expect(stop.payload.userErrors).toEqual([]);
  });
});
