// Template versions: createTemplateVersion queues an import with the template's organization and
// tags; promote needs a SUCCEEDED import; the active version cannot be archived and archived ones
// cannot be promoted or built; Template.versions lists them newest first. Workspaces build the
// active version when created, and START with templateVersionId updates them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { completeJob, finishLatestBuild } from "../../support/jobs.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { createWorkspace } from "../../support/workloads.js";

const CREATE_VERSION = `mutation($input: CreateTemplateVersionInput!) {
  createTemplateVersion(input: $input) {
    templateVersion { id name message dailyCost archived active createdBy { id } template { id } job { id type status tags { key value } organization { id } } }
    userErrors { code message field }
  }
}`;
const versionMutation = (name: string) => `mutation($input: TemplateVersionIdInput!) {
  ${name}(input: $input) { templateVersion { id name archived active } userErrors { code message field } }
}`;
const PROMOTE = versionMutation("promoteTemplateVersion");
const ARCHIVE = versionMutation("archiveTemplateVersion");
const UNARCHIVE = versionMutation("unarchiveTemplateVersion");
const VERSIONS = `query($id: ID!) { node(id: $id) { ... on Template {
  activeVersion { name }
  versions(first: 10) { totalCount edges { node { name active archived createdBy { username } job { status } } } }
} } }`;
const START = `mutation($input: WorkspaceTransitionInput!) {
  transitionWorkspace(input: $input) {
    workspace { id outdated latestBuild { buildNumber dailyCost templateVersion { name } } }
    userErrors { code message field }
  }
}`;
const UPDATE_TEMPLATE = `mutation($input: UpdateTemplateInput!) {
  updateTemplate(input: $input) { template { requireActiveVersion } userErrors { code } }
}`;

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let admin: Actor;
let alice: Actor;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  admin = await acme.member("tadmin", ["organization-template-admin"]);
  alice = await acme.member("alice");
  await acme.setEveryoneAllowance(10);
});
afterAll(async () => {
  await app?.close();
});

async function createVersion(token: string, input: Record<string, unknown>) {
  const result = await app.gql(CREATE_VERSION, { input }, { token });
  expect(result.errors).toBeUndefined();
  return result.data?.createTemplateVersion;
}

async function versionMutate(query: string, token: string, templateVersionId: string) {
  const result = await app.gql(query, { input: { templateVersionId } }, { token });
  expect(result.errors).toBeUndefined();
  return Object.values(result.data ?? {})[0] as {
    templateVersion: Record<string, unknown> | null;
    userErrors: { code: string }[];
  };
}

/** A new version whose import succeeded (reporting `dailyCost`); answers its global id. */
async function importedVersion(templateId: string, dailyCost = 0, name?: string): Promise<string> {
  const created = await createVersion(admin.token, { templateId, dailyCost, ...(name ? { name } : {}) });
  expect(created.userErrors).toEqual([]);
  await completeJob(app, uuidOf(created.templateVersion.job.id));
  return created.templateVersion.id;
}

describe("createTemplateVersion", () => {
  it("queues an import with the template's organization and tags, names it v2, and audits it", async () => {
    const templateId = await acme.template("tagged", { input: { tags: [{ key: "zone", value: "eu" }] } });
    const created = await createVersion(admin.token, { templateId, message: "bump image", dailyCost: 2 });
    expect(created).toMatchObject({
      userErrors: [],
      templateVersion: {
        name: "v2",
        message: "bump image",
        dailyCost: 2,
        archived: false,
        active: false,
        createdBy: { id: admin.id },
        template: { id: templateId },
        job: {
          type: "TEMPLATE_VERSION_IMPORT",
          status: "PENDING",
          tags: [{ key: "zone", value: "eu" }],
          organization: { id: acme.id },
        },
      },
    });
    const job = await app.prisma.provisionerJob.findUniqueOrThrow({
      where: { id: uuidOf(created.templateVersion.job.id) },
    });
    expect(job.initiatorId).toBe(uuidOf(admin.id));
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { resourceType: "TEMPLATE_VERSION", action: "CREATE", resourceId: uuidOf(created.templateVersion.id) },
    });
    expect(audit).toMatchObject({ actorId: uuidOf(admin.id), organizationId: acme.uuid, resourceName: "v2" });

    // Given tags replace the template's; a taken name (any case) is refused.
    const own = await createVersion(admin.token, { templateId, name: "Custom", tags: [{ key: "zone", value: "us" }] });
    expect(own.templateVersion.job.tags).toEqual([{ key: "zone", value: "us" }]);
    const taken = await createVersion(admin.token, { templateId, name: "custom" });
    expect(taken).toEqual({ templateVersion: null, userErrors: [expect.objectContaining({ code: "NAME_TAKEN" })] });
    const next = await createVersion(admin.token, { templateId });
    expect(next.templateVersion.name).toBe("v4");

    const listed = await app.gql(VERSIONS, { id: templateId }, { token: admin.token });
    expect(listed.data?.node.versions.totalCount).toBe(4);
    expect(listed.data?.node.versions.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([
      "v4",
      "Custom",
      "v2",
      "v1",
    ]);
    expect(listed.data?.node.versions.edges[3].node).toEqual({
      name: "v1",
      active: true,
      archived: false,
      createdBy: { username: "owner" },
      job: { status: "SUCCEEDED" },
    });
  });

  it("is for template admins only: members who use the template are FORBIDDEN, outsiders NOT_FOUND", async () => {
    const templateId = await acme.template("guarded");
    const refused = await app.gql(CREATE_VERSION, { input: { templateId } }, { token: alice.token });
    expect(errorCodes(refused)).toEqual(["FORBIDDEN"]);
    const stranger = await (await owner.org("globex")).member("gina");
    expect(errorCodes(await app.gql(CREATE_VERSION, { input: { templateId } }, { token: stranger.token }))).toEqual([
      "NOT_FOUND",
    ]);
    expect(await app.prisma.templateVersion.count({ where: { templateId: uuidOf(templateId) } })).toBe(1);
  });
});

describe("promote, archive, unarchive", () => {
  it("promotes only an imported version; new workspaces build it and older ones are outdated", async () => {
    const templateId = await acme.template("promoted", { dailyCost: 1 });
    const old = await createWorkspace(app, alice.token, { templateId, name: "old" });
    expect(old.payload.userErrors).toEqual([]);
    await finishLatestBuild(app, old.payload.workspace.id);

    const pending = await createVersion(admin.token, { templateId, dailyCost: 3 });
    const notReady = await versionMutate(PROMOTE, admin.token, pending.templateVersion.id);
    expect(notReady.userErrors).toEqual([expect.objectContaining({ code: "TEMPLATE_VERSION_NOT_READY" })]);
    await completeJob(app, uuidOf(pending.templateVersion.job.id), { error: "bad module" });
    expect((await versionMutate(PROMOTE, admin.token, pending.templateVersion.id)).userErrors[0]?.code).toBe(
      "TEMPLATE_VERSION_NOT_READY",
    );

    const v3 = await importedVersion(templateId, 3);
    const promoted = await versionMutate(PROMOTE, admin.token, v3);
    expect(promoted).toEqual({
      templateVersion: { id: v3, name: "v3", archived: false, active: true },
      userErrors: [],
    });
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { resourceType: "TEMPLATE_VERSION", action: "PROMOTE", resourceId: uuidOf(v3) },
    });
    expect(audit.actorId).toBe(uuidOf(admin.id));

    const fresh = await createWorkspace(app, alice.token, { templateId, name: "fresh" });
    expect(fresh.payload.workspace.latestBuild.dailyCost).toBe(3);
    const OUTDATED = `query($id: ID!) { node(id: $id) { ... on Workspace { outdated latestBuild { templateVersion { name } } } } }`;
    const oldNow = await app.gql(OUTDATED, { id: old.payload.workspace.id }, { token: alice.token });
    expect(oldNow.data?.node).toEqual({ outdated: true, latestBuild: { templateVersion: { name: "v1" } } });
    const freshNow = await app.gql(OUTDATED, { id: fresh.payload.workspace.id }, { token: alice.token });
    expect(freshNow.data?.node).toEqual({ outdated: false, latestBuild: { templateVersion: { name: "v3" } } });

    // A member who may use the template may not promote.
    const refused = await app.gql(PROMOTE, { input: { templateVersionId: v3 } }, { token: alice.token });
    expect(errorCodes(refused)).toEqual(["FORBIDDEN"]);
  });

  it("never archives the active version; an archived one cannot be promoted or built until unarchived", async () => {
    const templateId = await acme.template("archival");
    const ACTIVE = `query($id: ID!) { node(id: $id) { ... on Template { activeVersion { id name } } } }`;
    const active = (await app.gql(ACTIVE, { id: templateId }, { token: admin.token })).data?.node.activeVersion;
    expect(active.name).toBe("v1");
    const v1Id: string = active.id;
    const refused = await versionMutate(ARCHIVE, admin.token, v1Id);
    expect(refused.userErrors).toEqual([expect.objectContaining({ code: "TEMPLATE_VERSION_ACTIVE" })]);

    const ws = await createWorkspace(app, alice.token, { templateId, name: "on-v1" });
    await finishLatestBuild(app, ws.payload.workspace.id);
    const v2 = await importedVersion(templateId);
    const archived = await versionMutate(ARCHIVE, admin.token, v2);
    expect(archived).toMatchObject({ templateVersion: { archived: true, active: false }, userErrors: [] });
    expect((await versionMutate(PROMOTE, admin.token, v2)).userErrors).toEqual([
      expect.objectContaining({ code: "TEMPLATE_VERSION_ARCHIVED" }),
    ]);
    const start = await app.gql(
      START,
      { input: { workspaceId: ws.payload.workspace.id, transition: "START", templateVersionId: v2 } },
      { token: alice.token },
    );
    expect(start.data?.transitionWorkspace.userErrors).toEqual([
      expect.objectContaining({ code: "TEMPLATE_VERSION_ARCHIVED", field: ["input", "templateVersionId"] }),
    ]);

    expect((await versionMutate(UNARCHIVE, admin.token, v2)).templateVersion).toMatchObject({ archived: false });
    expect((await versionMutate(PROMOTE, admin.token, v2)).templateVersion).toMatchObject({ active: true });
    // Now v1 is not active and may be archived; the workspace on it may still stop.
    expect((await versionMutate(ARCHIVE, admin.token, v1Id)).userErrors).toEqual([]);
    const actions = await app.prisma.auditLog.findMany({
      where: { resourceType: "TEMPLATE_VERSION", resourceId: { in: [uuidOf(v2), uuidOf(v1Id)] } },
      orderBy: { time: "asc" },
      select: { action: true },
    });
    expect(actions.map((a) => a.action)).toEqual(["CREATE", "ARCHIVE", "UNARCHIVE", "PROMOTE", "ARCHIVE"]);
  });
});

describe("transitionWorkspace(START, templateVersionId)", () => {
  it("updates the workspace to the given version, with the quota checked against its cost", async () => {
    const templateId = await acme.template("updatable", { dailyCost: 2 });
    const ws = await createWorkspace(app, alice.token, { templateId, name: "upd" });
    const id = ws.payload.workspace.id;
    await finishLatestBuild(app, id);
    const costly = await importedVersion(templateId, 50);
    await versionMutate(PROMOTE, admin.token, costly);
    const over = await app.gql(
      START,
      { input: { workspaceId: id, transition: "START", templateVersionId: costly } },
      { token: alice.token },
    );
    expect(over.data?.transitionWorkspace.userErrors).toEqual([expect.objectContaining({ code: "QUOTA_EXCEEDED" })]);
    // Without a version, START rebuilds the workspace's own version (v1, cost 2).
    const same = await app.gql(START, { input: { workspaceId: id, transition: "START" } }, { token: alice.token });
    expect(same.data?.transitionWorkspace).toMatchObject({
      userErrors: [],
      workspace: { outdated: true, latestBuild: { buildNumber: 2, dailyCost: 2, templateVersion: { name: "v1" } } },
    });
    await finishLatestBuild(app, id);
    const cheap = await importedVersion(templateId, 4);
    await versionMutate(PROMOTE, admin.token, cheap);
    const updated = await app.gql(
      START,
      { input: { workspaceId: id, transition: "START", templateVersionId: cheap } },
      { token: alice.token },
    );
    expect(updated.data?.transitionWorkspace).toMatchObject({
      userErrors: [],
      workspace: { outdated: false, latestBuild: { buildNumber: 3, dailyCost: 4, templateVersion: { name: "v3" } } },
    });
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { resourceType: "WORKSPACE", action: "START", resourceId: uuidOf(id) },
      orderBy: { time: "desc" },
    });
    expect(audit.diff).toMatchObject({ buildNumber: 3, templateVersionId: uuidOf(cheap) });
  });

  it("with requireActiveVersion, starts always build the active version and another one is refused", async () => {
    const templateId = await acme.template("strict");
    const ws = await createWorkspace(app, alice.token, { templateId, name: "strict" });
    const id = ws.payload.workspace.id;
    await finishLatestBuild(app, id);
    const v1 = (await app.gql(VERSIONS, { id: templateId }, { token: admin.token })).data?.node;
    expect(v1.activeVersion.name).toBe("v1");
    const v2 = await importedVersion(templateId);
    await versionMutate(PROMOTE, admin.token, v2);
    const set = await app.gql(
      UPDATE_TEMPLATE,
      { input: { templateId, requireActiveVersion: true } },
      { token: admin.token },
    );
    expect(set.data?.updateTemplate).toEqual({ template: { requireActiveVersion: true }, userErrors: [] });
    const v1Global = (
      await app.gql(
        `query($id: ID!) { node(id: $id) { ... on Workspace { latestBuild { templateVersion { id } } } } }`,
        { id },
        { token: alice.token },
      )
    ).data?.node.latestBuild.templateVersion.id;
    const rule = await app.gql(
      START,
      { input: { workspaceId: id, transition: "START", templateVersionId: v1Global } },
      { token: alice.token },
    );
    expect(rule.data?.transitionWorkspace.userErrors).toEqual([
      expect.objectContaining({ code: "ACTIVE_VERSION_REQUIRED" }),
    ]);
    const started = await app.gql(START, { input: { workspaceId: id, transition: "START" } }, { token: alice.token });
    expect(started.data?.transitionWorkspace.workspace.latestBuild.templateVersion.name).toBe("v2");
  });
});

describe("promote racing archive", () => {
  it("never leaves a version both active and archived", async () => {
    const templateId = await acme.template("racy");
    for (let round = 0; round < 10; round++) {
      const version = await importedVersion(templateId, 0, `r${round}`);
      const [promoted, archived] = await Promise.all([
        versionMutate(PROMOTE, admin.token, version),
        versionMutate(ARCHIVE, admin.token, version),
      ]);
      const row = await app.prisma.templateVersion.findUniqueOrThrow({
        where: { id: uuidOf(version) },
        include: { activeFor: true },
      });
      expect(row.archived && row.activeFor !== null).toBe(false);
      // Exactly one of them won; the other was refused by the winner's state.
      const codes = [promoted.userErrors[0]?.code ?? "OK", archived.userErrors[0]?.code ?? "OK"].sort();
      expect([
        ["OK", "TEMPLATE_VERSION_ACTIVE"],
        ["OK", "TEMPLATE_VERSION_ARCHIVED"],
      ]).toContainEqual(codes);
      expect(row.archived).toBe(codes.includes("TEMPLATE_VERSION_ACTIVE") === false);
    }
  });
});
