// explainPermission through the API: the trail names the deciding roles and negations and says
// why nothing applied (not a member, someone else's object, Everyone's access disabled, the
// workspace-creation ban); who may ask (the user, user admins and auditors of the place) and that
// a user or object the viewer cannot read stays NOT_FOUND. checkPermissions' reason and the
// FORBIDDEN error's short reason come from the same trail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../support/actors.js";
import { globalId } from "../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../support/harness.js";
import { type OrgScope, seed } from "../support/seed.js";
import { createWorkspace } from "../support/workloads.js";

let app: TestApp;
let owner: Actor;
let org: OrgScope;
let other: OrgScope;
let banned: Actor;
let member: Actor;
let orgAuditor: Actor;
let orgUserAdmin: Actor;
let outsider: Actor;
let templateId: string;
let closedTemplateId: string;
let workspaceId: string;

const EXPLAIN = `query($input: ExplainPermissionInput!) {
  explainPermission(input: $input) {
    user { username }
    allowed decidedBy reasons summary nearestRole
    trail { level consulted verdict deciding reason aclRole roles { name custom effect permission { resource action negate } } }
  }
}`;

beforeAll(async () => {
  app = await createTestApp();
  const site = await seed(app).owner();
  owner = site;
  org = await site.org("explained");
  other = await site.org("elsewhere");
  banned = await org.member("banned", ["organization-workspace-creation-ban"]);
  member = await org.member("plain");
  orgAuditor = await org.member("auditing", ["organization-auditor"]);
  orgUserAdmin = await org.member("user-admining", ["organization-user-admin"]);
  outsider = await other.member("outside");
  templateId = await org.template("open");
  closedTemplateId = await org.template("closed");
  // "closed": Everyone's access removed.
  const everyone = await app.prisma.group.findFirstOrThrow({ where: { organizationId: org.uuid, isEveryone: true } });
  await app.prisma.templateGroupAcl.deleteMany({
    where: { groupId: everyone.id, templateId: Buffer.from(closedTemplateId, "base64").toString().split(":")[1] },
  });
  const workspace = await createWorkspace(app, member.token, { templateId, name: "mine" });
  expect(workspace.payload?.userErrors).toEqual([]);
  workspaceId = workspace.payload.workspace.id;
});

afterAll(async () => {
  await app?.close();
});

const explainAs = (token: string, input: Record<string, unknown>) => app.gql(EXPLAIN, { input }, { token });

describe("explainPermission", () => {
  it("names the workspace-creation ban as the negation that decided", async () => {
    const result = await explainAs(banned.token, {
      userId: banned.id,
      action: "CREATE",
      resource: "WORKSPACE",
      organizationId: org.id,
    });
    expect(result.errors).toBeUndefined();
    const explanation = result.data?.explainPermission;
    expect(explanation).toMatchObject({
      allowed: false,
      decidedBy: "ORGANIZATION",
      reasons: ["NO_ROLE_GRANTS", "WORKSPACE_CREATION_BAN"],
      summary: "Denied by organization-workspace-creation-ban (negates CREATE on WORKSPACE).",
      nearestRole: null,
    });
    expect(explanation.trail.map((e: { level: string }) => e.level)).toEqual([
      "SITE",
      "ORGANIZATION",
      "MEMBER",
      "TEMPLATE_ACL",
    ]);
    expect(explanation.trail[1].roles).toContainEqual({
      name: "organization-workspace-creation-ban",
      custom: false,
      effect: "DENY",
      permission: { resource: "WORKSPACE", action: "CREATE", negate: true },
    });
    expect(explanation.trail[2]).toMatchObject({ consulted: false, reason: "DECIDED_EARLIER" });
  });

  it("says why nothing applied: someone else's workspace, not a member, Everyone's access disabled", async () => {
    const theirs = await explainAs(owner.token, {
      userId: orgAuditor.id,
      action: "DELETE",
      resource: "WORKSPACE",
      objectId: workspaceId,
    });
    expect(theirs.data?.explainPermission).toMatchObject({ allowed: false, decidedBy: null });
    expect(theirs.data?.explainPermission.reasons).toContain("OWNED_BY_SOMEONE_ELSE");
    const mine = await explainAs(member.token, {
      userId: member.id,
      action: "DELETE",
      resource: "WORKSPACE",
      objectId: workspaceId,
    });
    expect(mine.data?.explainPermission).toMatchObject({
      allowed: true,
      decidedBy: "MEMBER",
      summary: "Allowed by own-object grant of organization-member.",
    });

    const away = await explainAs(owner.token, {
      userId: outsider.id,
      action: "USE",
      resource: "TEMPLATE",
      objectId: templateId,
    });
    expect(away.data?.explainPermission.allowed).toBe(false);
    expect(away.data?.explainPermission.reasons).toContain("NOT_A_MEMBER");

    const closed = await explainAs(orgAuditor.token, {
      userId: member.id,
      action: "USE",
      resource: "TEMPLATE",
      objectId: closedTemplateId,
    });
    expect(closed.errors).toBeUndefined();
    expect(closed.data?.explainPermission.reasons).toContain("EVERYONE_ACCESS_DISABLED");
    const open = await explainAs(orgAuditor.token, {
      userId: member.id,
      action: "USE",
      resource: "TEMPLATE",
      objectId: templateId,
    });
    expect(open.data?.explainPermission).toMatchObject({ allowed: true, decidedBy: "TEMPLATE_ACL" });
    expect(open.data?.explainPermission.trail[3]).toMatchObject({ aclRole: "USE", deciding: true, verdict: "ALLOW" });
  });

  it("answers the user, and user admins and auditors of the place; others FORBIDDEN, the unreadable NOT_FOUND", async () => {
    const about = { userId: member.id, action: "UPDATE", resource: "GROUP", organizationId: org.id };
    for (const asker of [member, orgAuditor, orgUserAdmin, owner]) {
      expect((await explainAs(asker.token, about)).errors, asker.username).toBeUndefined();
    }
    const peer = await explainAs(banned.token, about);
    expect(errorCodes(peer)).toEqual(["FORBIDDEN"]);
    expect(peer.errors?.[0]?.extensions).toMatchObject({ nearestRole: "organization-auditor" });
    // The outsider cannot read the organization, nor the member.
    expect(errorCodes(await explainAs(outsider.token, about))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await explainAs(outsider.token, { ...about, userId: outsider.id }))).toEqual(["NOT_FOUND"]);
    // An object the viewer cannot read stays NOT_FOUND, even about themself; malformed ids too.
    const closed = { userId: member.id, action: "USE", resource: "TEMPLATE", objectId: closedTemplateId };
    expect(errorCodes(await explainAs(member.token, closed))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await explainAs(member.token, { ...closed, objectId: "nonsense" }))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await explainAs(member.token, { ...about, userId: globalId("User", org.uuid) }))).toEqual([
      "NOT_FOUND",
    ]);
    expect(errorCodes(await explainAs(member.token, { ...about, action: "START" }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("short reasons", () => {
  it("checkPermissions explains each answer, and never an unreadable object", async () => {
    const result = await app.gql(
      `query($checks: [PermissionCheckInput!]!) { checkPermissions(checks: $checks) { key allowed reason } }`,
      {
        checks: [
          { key: "ban", resource: "WORKSPACE", action: "CREATE", organizationId: org.id, ownerId: banned.id },
          { key: "group", resource: "GROUP", action: "CREATE", organizationId: org.id },
          { key: "read", resource: "ORGANIZATION", action: "READ", resourceId: org.id },
          { key: "hidden", resource: "TEMPLATE", action: "USE", resourceId: closedTemplateId },
        ],
      },
      { token: banned.token },
    );
    expect(result.data?.checkPermissions).toEqual([
      {
        key: "ban",
        allowed: false,
        reason: "Denied by organization-workspace-creation-ban (negates CREATE on WORKSPACE).",
      },
      { key: "group", allowed: false, reason: "Missing CREATE on GROUP; organization-user-admin would grant it." },
      { key: "read", allowed: true, reason: "Allowed by organization role organization-member." },
      { key: "hidden", allowed: false, reason: "The object does not exist." },
    ]);
  });

  it("a FORBIDDEN error names the missing permission and the nearest role", async () => {
    const result = await app.gql(
      `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { userErrors { code } } }`,
      { input: { templateId, name: "refused" } },
      { token: banned.token },
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: "FORBIDDEN",
      resource: "WORKSPACE",
      action: "CREATE",
      reason: "Denied by organization-workspace-creation-ban (negates CREATE on WORKSPACE).",
      nearestRole: null,
    });
  });
});
