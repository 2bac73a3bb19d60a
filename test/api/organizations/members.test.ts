import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { errorCodes, type TestApp } from "../../support/harness.js";
import { type Cast, castApp, runMatrix } from "../../support/matrix.js";
import type { SeededUser } from "../../support/seed.js";

let app: TestApp;
let cast: Cast;
beforeAll(async () => {
  ({ app, cast } = await castApp());
});
afterAll(() => app?.close());

const ADD = `mutation($input: OrganizationMemberInput!) {
  addOrganizationMember(input: $input) {
    member { user { id username } organization { name } roles { name } groups { name } createdAt }
    userErrors { code message field }
  }
}`;
const REMOVE = `mutation($input: OrganizationMemberInput!) {
  removeOrganizationMember(input: $input) { deletedId userErrors { code message field } }
}`;
const SET_ROLES = `mutation($input: UpdateOrganizationMemberRolesInput!) {
  updateOrganizationMemberRoles(input: $input) {
    member { user { username } roles { name displayName builtIn permissions { resource action } } }
    userErrors { code message field }
  }
}`;
const MEMBER = `query($org: String!, $userId: ID!) {
  organization(name: $org) { member(userId: $userId) { user { username } roles { name } groups { name isEveryone } } }
}`;

const RANDOM_USER = globalId("User", "0190d1b2-7c3e-7000-8000-0000000000aa");
let counter = 0;
/** A fresh user in the default organization only. */
const freshUser = (): Promise<SeededUser> => cast.owner.user(`fresh-${++counter}`);

async function membership(orgId: string, userId: string) {
  return app.prisma.organizationMember.findUnique({
    where: { organizationId_userId: { organizationId: uuidOf(orgId), userId: uuidOf(userId) } },
  });
}

describe("addOrganizationMember", () => {
  it("adds a user with no explicit roles, in Everyone, audited; the user sees the organization", async () => {
    const user = await freshUser();
    const result = await app.gql(
      ADD,
      { input: { organizationId: cast.org.id, userId: user.id } },
      {
        token: cast.orgAdmin.token,
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.addOrganizationMember).toMatchObject({
      member: {
        user: { id: user.id, username: user.username },
        organization: { name: "org-a" },
        roles: [],
        groups: [{ name: "Everyone" }],
      },
      userErrors: [],
    });
    expect((await membership(cast.org.id, user.id))?.roles).toEqual([]);
    const audit = await app.prisma.auditLog.findMany({ where: { action: "ADD_MEMBER", resourceId: uuidOf(user.id) } });
    expect(audit.map((a) => [a.resourceType, a.organizationId, a.actorId])).toEqual([
      ["ORGANIZATION_MEMBER", uuidOf(cast.org.id), uuidOf(cast.orgAdmin.id)],
    ]);
    const orgs = await app.gql("{ viewer { organizations { name } } }", {}, { token: user.token });
    expect(orgs.data?.viewer.organizations.map((o: { name: string }) => o.name)).toEqual(["default", "org-a"]);
  });

  it("answers ALREADY_MEMBER for a member and writes nothing", async () => {
    const audit = await app.prisma.auditLog.count();
    const result = await app.gql(
      ADD,
      { input: { organizationId: cast.org.id, userId: cast.member.id } },
      {
        token: cast.owner.token,
      },
    );
    expect(result.data?.addOrganizationMember).toEqual({
      member: null,
      userErrors: [{ code: "ALREADY_MEMBER", message: expect.any(String), field: ["input", "userId"] }],
    });
    expect(await app.prisma.auditLog.count()).toBe(audit);
  });

  it("lets exactly one of two concurrent additions win", async () => {
    const user = await freshUser();
    const results = await Promise.all(
      [cast.owner.token, cast.orgAdmin.token].map((token) =>
        app.gql(ADD, { input: { organizationId: cast.org.id, userId: user.id } }, { token }),
      ),
    );
    const codes = results.map((r) => r.data?.addOrganizationMember.userErrors.map((e: { code: string }) => e.code));
    expect(codes.sort()).toEqual([[], ["ALREADY_MEMBER"]]);
  });

  it("answers NOT_FOUND for a user that does not exist or that the viewer cannot see", async () => {
    // Only in org-b: the admin of org-a cannot see this user.
    const hidden = await cast.otherOrg.member("hidden");
    const missing = await app.gql(
      ADD,
      { input: { organizationId: cast.org.id, userId: RANDOM_USER } },
      {
        token: cast.orgAdmin.token,
      },
    );
    const invisible = await app.gql(
      ADD,
      { input: { organizationId: cast.org.id, userId: hidden.id } },
      {
        token: cast.orgAdmin.token,
      },
    );
    expect(errorCodes(missing)).toEqual(["NOT_FOUND"]);
    expect(invisible.errors).toEqual(missing.errors);
    expect(await membership(cast.org.id, hidden.id)).toBeNull();
    // The owner sees everyone.
    const byOwner = await app.gql(
      ADD,
      { input: { organizationId: cast.org.id, userId: hidden.id } },
      {
        token: cast.owner.token,
      },
    );
    expect(byOwner.data?.addOrganizationMember.userErrors).toEqual([]);
  });

  it("follows the authorization matrix", async () => {
    const users = new Map<string, Actor>();
    const outcomes = await runMatrix(app, cast, ADD, "addOrganizationMember", async (actor) => {
      const user = await freshUser();
      users.set(actor, user);
      return { organizationId: cast.org.id, userId: user.id };
    });
    expect(outcomes).toEqual({
      owner: "ok",
      orgAdmin: "ok",
      member: "FORBIDDEN:ORGANIZATION_MEMBER:CREATE",
      outsider: "NOT_FOUND",
      orgAuditor: "FORBIDDEN:ORGANIZATION_MEMBER:CREATE",
      userAdmin: "ok",
      anonymous: "UNAUTHENTICATED",
      memberApiToken: "FORBIDDEN:ORGANIZATION_MEMBER:CREATE",
    });
    for (const [actor, user] of users) {
      expect((await membership(cast.org.id, user.id)) !== null, actor).toBe(
        outcomes[actor as keyof typeof outcomes] === "ok",
      );
    }
  });
});

describe("reading members", () => {
  it("pages through Organization.members with an exact totalCount", async () => {
    const org = await cast.owner.org("paged", { throughApi: true });
    for (let i = 0; i < 4; i++) await org.add(await freshUser());
    const query = `query($first: Int, $after: String) { organization(name: "paged") {
      members(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { user { username } } } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const members: any = (await app.gql(query, { first: 2, after }, { token: cast.owner.token })).data?.organization
        .members;
      expect(members.totalCount).toBe(5);
      seen.push(...members.edges.map((e: any) => e.node.user.username));
      if (!members.pageInfo.hasNextPage) break;
      after = members.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(seen[0]).toBe("owner");
  });

  it("shows members to those who may read them, and to nobody else", async () => {
    const query = `query($id: ID!) { node(id: $id) { ... on Organization { members { totalCount edges { node { user { username } } } } } } }`;
    const count = await app.prisma.organizationMember.count({ where: { organizationId: uuidOf(cast.org.id) } });
    for (const token of [cast.member.token, cast.orgAuditor.token, cast.userAdmin.token, cast.memberApiToken]) {
      const result = await app.gql(query, { id: cast.org.id }, { token });
      expect(result.data?.node.members.totalCount).toBe(count);
      expect(result.data?.node.members.edges).toHaveLength(count);
    }
    const outsider = await app.gql(query, { id: cast.org.id }, { token: cast.outsider.token });
    expect(outsider.data?.node).toBeNull();
  });

  it("looks one member up by user id; a non-member or malformed id is null", async () => {
    const found = await app.gql(MEMBER, { org: "org-a", userId: cast.member.id }, { token: cast.member.token });
    expect(found.data?.organization.member).toEqual({
      user: { username: "plain-member" },
      roles: [],
      // A plain member may not read groups, so not even Everyone shows.
      groups: [],
    });
    for (const userId of [cast.outsider.id, RANDOM_USER, "garbage"]) {
      const result = await app.gql(MEMBER, { org: "org-a", userId }, { token: cast.owner.token });
      expect(result.errors).toBeUndefined();
      expect(result.data?.organization.member).toBeNull();
    }
  });

  it("shows a member's explicit groups the viewer may read, plus Everyone", async () => {
    const org = uuidOf(cast.org.id);
    const group = await app.prisma.group.create({ data: { organizationId: org, name: "devs" } });
    await app.prisma.group.create({ data: { organizationId: org, name: "others" } });
    await app.prisma.groupMember.create({
      data: { groupId: group.id, organizationId: org, userId: uuidOf(cast.member.id) },
    });
    const result = await app.gql(MEMBER, { org: "org-a", userId: cast.member.id }, { token: cast.orgAuditor.token });
    expect(result.data?.organization.member.groups).toEqual([
      { name: "Everyone", isEveryone: true },
      { name: "devs", isEveryone: false },
    ]);
  });
});

describe("updateOrganizationMemberRoles", () => {
  it("replaces the explicit role set, built-in and custom, audited", async () => {
    const user = await freshUser();
    await cast.org.add(user);
    await app.prisma.customRole.create({
      data: {
        organizationId: uuidOf(cast.org.id),
        name: "template-viewer",
        displayName: "Template Viewer",
        permissions: [{ resource: "TEMPLATE", action: "READ" }],
      },
    });
    const first = await app.gql(
      SET_ROLES,
      { input: { organizationId: cast.org.id, userId: user.id, roles: ["organization-auditor", "template-viewer"] } },
      { token: cast.orgAdmin.token },
    );
    expect(first.errors).toBeUndefined();
    expect(first.data?.updateOrganizationMemberRoles.userErrors).toEqual([]);
    expect(first.data?.updateOrganizationMemberRoles.member.roles).toEqual([
      expect.objectContaining({ name: "organization-auditor", displayName: "Organization Auditor", builtIn: true }),
      {
        name: "template-viewer",
        displayName: "Template Viewer",
        builtIn: false,
        permissions: [{ resource: "TEMPLATE", action: "READ" }],
      },
    ]);
    const second = await app.gql(
      SET_ROLES,
      { input: { organizationId: cast.org.id, userId: user.id, roles: ["organization-template-admin"] } },
      { token: cast.orgAdmin.token },
    );
    expect(second.data?.updateOrganizationMemberRoles.member.roles.map((r: { name: string }) => r.name)).toEqual([
      "organization-template-admin",
    ]);
    expect((await membership(cast.org.id, user.id))?.roles).toEqual(["organization-template-admin"]);
    const audit = await app.prisma.auditLog.findMany({
      where: { action: "ASSIGN_ROLES", resourceId: uuidOf(user.id), organizationId: uuidOf(cast.org.id) },
      orderBy: { time: "asc" },
    });
    expect(audit.map((a) => a.diff)).toEqual([
      { roles: { from: [], to: ["organization-auditor", "template-viewer"] } },
      { roles: { from: ["organization-auditor", "template-viewer"], to: ["organization-template-admin"] } },
    ]);
    // The new roles take effect for that user at once.
    const can = await app.gql(
      `mutation($input: CreateGroupInput!) { createGroup(input: $input) { userErrors { code } } }`,
      { input: { organizationId: cast.org.id, name: "nope" } },
      { token: user.token },
    );
    expect(can.errors?.[0]?.extensions).toEqual({
      code: "FORBIDDEN",
      resource: "GROUP",
      action: "CREATE",
      reason: "Missing CREATE on GROUP; organization-user-admin would grant it.",
      nearestRole: "organization-user-admin",
    });
  });

  it("refuses roles that are not this organization's, and writes nothing", async () => {
    const other = await app.prisma.customRole.create({
      data: { organizationId: uuidOf(cast.otherOrg.id), name: "b-only", displayName: "B", permissions: [] },
    });
    const before = await app.prisma.auditLog.count();
    for (const roles of [["owner"], ["organization-member"], ["no-such-role"], [other.name], ["user-admin"]]) {
      const result = await app.gql(
        SET_ROLES,
        { input: { organizationId: cast.org.id, userId: cast.member.id, roles } },
        { token: cast.owner.token },
      );
      expect(result.data?.updateOrganizationMemberRoles, roles.join()).toEqual({
        member: null,
        userErrors: [
          { code: "INVALID_INPUT", message: expect.stringContaining(roles[0] as string), field: ["input", "roles"] },
        ],
      });
    }
    expect((await membership(cast.org.id, cast.member.id))?.roles).toEqual([]);
    expect(await app.prisma.auditLog.count()).toBe(before);
  });

  it("refuses changing one's own roles", async () => {
    const result = await app.gql(
      SET_ROLES,
      { input: { organizationId: cast.org.id, userId: cast.orgAdmin.id, roles: [] } },
      { token: cast.orgAdmin.token },
    );
    expect(result.data?.updateOrganizationMemberRoles.userErrors).toEqual([
      { code: "CANNOT_CHANGE_OWN_ROLES", message: expect.any(String), field: ["input", "roles"] },
    ]);
    expect((await membership(cast.org.id, cast.orgAdmin.id))?.roles).toEqual(["organization-admin"]);
  });

  it("refuses roles the assigner may not give: ROLE_NOT_ASSIGNABLE", async () => {
    const orgUserAdmin = await freshUser();
    await cast.org.add(orgUserAdmin, ["organization-user-admin"]);
    const target = await freshUser();
    await cast.org.add(target);
    for (const token of [orgUserAdmin.token, cast.userAdmin.token]) {
      const result = await app.gql(
        SET_ROLES,
        { input: { organizationId: cast.org.id, userId: target.id, roles: ["organization-admin"] } },
        { token },
      );
      expect(result.data?.updateOrganizationMemberRoles.userErrors).toEqual([
        {
          code: "ROLE_NOT_ASSIGNABLE",
          message: expect.stringContaining("organization-admin"),
          field: ["input", "roles"],
        },
      ]);
    }
    expect((await membership(cast.org.id, target.id))?.roles).toEqual([]);
  });

  it("answers NOT_A_MEMBER for a user outside the organization", async () => {
    const result = await app.gql(
      SET_ROLES,
      { input: { organizationId: cast.org.id, userId: cast.outsider.id, roles: ["organization-auditor"] } },
      { token: cast.owner.token },
    );
    expect(result.data?.updateOrganizationMemberRoles.userErrors.map((e: { code: string }) => e.code)).toEqual([
      "NOT_A_MEMBER",
    ]);
  });

  it("follows the authorization matrix", async () => {
    const targets = new Map<string, Actor>();
    const outcomes = await runMatrix(app, cast, SET_ROLES, "updateOrganizationMemberRoles", async (actor) => {
      const user = await freshUser();
      await cast.org.add(user);
      targets.set(actor, user);
      return { organizationId: cast.org.id, userId: user.id, roles: ["organization-auditor"] };
    });
    expect(outcomes).toEqual({
      owner: "ok",
      orgAdmin: "ok",
      member: "FORBIDDEN:ASSIGN_ORG_ROLE:ASSIGN",
      outsider: "NOT_FOUND",
      orgAuditor: "FORBIDDEN:ASSIGN_ORG_ROLE:ASSIGN",
      // Site user-admins assign member-level roles only.
      userAdmin: "userError:ROLE_NOT_ASSIGNABLE",
      anonymous: "UNAUTHENTICATED",
      memberApiToken: "FORBIDDEN:ASSIGN_ORG_ROLE:ASSIGN",
    });
    for (const [actor, user] of targets) {
      const expected = outcomes[actor as keyof typeof outcomes] === "ok" ? ["organization-auditor"] : [];
      expect((await membership(cast.org.id, user.id))?.roles, actor).toEqual(expected);
    }
  });
});

describe("removeOrganizationMember", () => {
  it("removes membership, roles and group memberships in one go, audited; workspaces stay", async () => {
    const user = await freshUser();
    await cast.org.add(user, ["organization-auditor"]);
    const org = uuidOf(cast.org.id);
    const group = await app.prisma.group.create({ data: { organizationId: org, name: "leaving" } });
    await app.prisma.groupMember.create({ data: { groupId: group.id, organizationId: org, userId: uuidOf(user.id) } });
    const template = await app.prisma.template.create({ data: { organizationId: org, name: "kept" } });
    const workspace = await app.prisma.workspace.create({
      data: { organizationId: org, ownerId: uuidOf(user.id), templateId: template.id, name: "stays" },
    });

    const result = await app.gql(
      REMOVE,
      { input: { organizationId: cast.org.id, userId: user.id } },
      {
        token: cast.orgAdmin.token,
      },
    );
    expect(result.data?.removeOrganizationMember).toEqual({ deletedId: user.id, userErrors: [] });
    expect(await membership(cast.org.id, user.id)).toBeNull();
    expect(await app.prisma.groupMember.count({ where: { userId: uuidOf(user.id), organizationId: org } })).toBe(0);
    expect(await app.prisma.workspace.findUnique({ where: { id: workspace.id } })).not.toBeNull();
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { action: "REMOVE_MEMBER", resourceId: uuidOf(user.id) },
    });
    expect(audit).toMatchObject({ resourceType: "ORGANIZATION_MEMBER", organizationId: org });
    expect(audit.diff).toEqual({ roles: ["organization-auditor"], groups: ["leaving"] });
    const orgs = await app.gql("{ viewer { organizations { name } } }", {}, { token: user.token });
    expect(orgs.data?.viewer.organizations.map((o: { name: string }) => o.name)).toEqual(["default"]);
  });

  it("answers NOT_A_MEMBER for a non-member and refuses removing oneself", async () => {
    const before = await app.prisma.auditLog.count();
    const notMember = await app.gql(
      REMOVE,
      { input: { organizationId: cast.org.id, userId: cast.outsider.id } },
      {
        token: cast.owner.token,
      },
    );
    expect(notMember.data?.removeOrganizationMember).toEqual({
      deletedId: null,
      userErrors: [{ code: "NOT_A_MEMBER", message: expect.any(String), field: ["input", "userId"] }],
    });
    const self = await app.gql(
      REMOVE,
      { input: { organizationId: cast.org.id, userId: cast.orgAdmin.id } },
      {
        token: cast.orgAdmin.token,
      },
    );
    expect(self.data?.removeOrganizationMember.userErrors.map((e: { code: string }) => e.code)).toEqual([
      "CANNOT_REMOVE_SELF",
    ]);
    expect(await membership(cast.org.id, cast.orgAdmin.id)).not.toBeNull();
    expect(await app.prisma.auditLog.count()).toBe(before);
  });

  it("follows the authorization matrix", async () => {
    const victims = new Map<string, Actor>();
    const outcomes = await runMatrix(app, cast, REMOVE, "removeOrganizationMember", async (actor) => {
      const user = await freshUser();
      await cast.org.add(user);
      victims.set(actor, user);
      return { organizationId: cast.org.id, userId: user.id };
    });
    expect(outcomes).toEqual({
      owner: "ok",
      orgAdmin: "ok",
      member: "FORBIDDEN:ORGANIZATION_MEMBER:DELETE",
      outsider: "NOT_FOUND",
      orgAuditor: "FORBIDDEN:ORGANIZATION_MEMBER:DELETE",
      userAdmin: "ok",
      anonymous: "UNAUTHENTICATED",
      memberApiToken: "FORBIDDEN:ORGANIZATION_MEMBER:DELETE",
    });
    for (const [actor, user] of victims) {
      expect((await membership(cast.org.id, user.id)) === null, actor).toBe(
        outcomes[actor as keyof typeof outcomes] === "ok",
      );
    }
  });

  it("answers another tenant's organization like a missing one", async () => {
    const input = (organizationId: string) => ({ input: { organizationId, userId: cast.member.id } });
    const foreign = await app.gql(REMOVE, input(cast.org.id), { token: cast.outsider.token });
    const missing = await app.gql(REMOVE, input(globalId("Organization", "0190d1b2-7c3e-7000-8000-0000000000ff")), {
      token: cast.outsider.token,
    });
    expect(errorCodes(foreign)).toEqual(["NOT_FOUND"]);
    expect(foreign.errors).toEqual(missing.errors);
  });
});
