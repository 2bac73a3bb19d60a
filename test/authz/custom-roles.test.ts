// Custom organization roles, organization roles and permissions, and checkPermissions, through
// the API, for each actor of the authorization matrix.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSubject } from "../../src/authz/evaluator.js";
import { organizationScopedWhere } from "../../src/authz/filters.js";
import type { Actor } from "../support/actors.js";
import { globalId, uuidOf } from "../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../support/harness.js";
import { type OrgScope, type OwnerScope, seed } from "../support/seed.js";

let app: TestApp;
let owner: OwnerScope;
let admin: Actor; // organization-admin of alpha
let member: Actor; // plain member of alpha
let outsider: Actor; // member of beta only
let manager: Actor; // alpha member holding the custom role "role-manager"
let templateAdmin: Actor; // site template-admin, member of no organization
let alpha: OrgScope;
let beta: OrgScope;

const CREATE = `mutation($input: CustomRoleInput!) {
  createCustomRole(input: $input) {
    role { name displayName builtIn assignable organization { name } permissions { resource action negate } }
    userErrors { code message field }
  }
}`;
const UPDATE = `mutation($input: CustomRoleInput!) {
  updateCustomRole(input: $input) {
    role { name displayName permissions { resource action } }
    userErrors { code message field }
  }
}`;
const DELETE = `mutation($input: DeleteCustomRoleInput!) {
  deleteCustomRole(input: $input) { deletedId userErrors { code message field } }
}`;
const ORG = `query($name: String!) {
  organization(name: $name) {
    roles { name builtIn assignable organization { name } permissions { resource action negate } }
    viewerPermissions { resource action negate }
  }
}`;
const CHECK = `query($checks: [PermissionCheckInput!]!) { checkPermissions(checks: $checks) { key allowed } }`;

type Perm = { resource: string; action: string };
const p = (resource: string, action: string): Perm => ({ resource, action });

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  alpha = await owner.org("alpha");
  beta = await owner.org("beta");
  admin = await alpha.member("admin", ["organization-admin"]);
  member = await alpha.member("member");
  outsider = await beta.member("outsider");
  manager = await alpha.member("manager");
  templateAdmin = await owner.user("tadmin", { orgs: [], siteRoles: ["template-admin"] });
  const created = await app.gql(
    CREATE,
    {
      input: {
        organizationId: alpha.id,
        name: "role-manager",
        permissions: [
          ...["CREATE", "READ", "UPDATE", "DELETE"].map((a) => p("ASSIGN_ORG_ROLE", a)),
          p("GROUP", "READ"),
        ],
      },
    },
    { token: owner.token },
  );
  expect(created.data?.createCustomRole.userErrors).toEqual([]);
  await alpha.add(manager, ["role-manager"]);
});

afterAll(async () => {
  await app?.close();
});

const createRole = (token: string | null, input: Record<string, unknown>) =>
  app.gql(CREATE, { input: { organizationId: alpha.id, ...input } }, { token });

describe("createCustomRole", () => {
  it("creates a role an organization admin describes, with an audit event", async () => {
    const result = await createRole(admin.token, {
      name: "template-editor",
      displayName: "Template editor",
      permissions: [p("TEMPLATE", "READ"), p("TEMPLATE", "UPDATE"), p("TEMPLATE", "READ")],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.createCustomRole).toEqual({
      role: {
        name: "template-editor",
        displayName: "Template editor",
        builtIn: false,
        assignable: true,
        organization: { name: "alpha" },
        permissions: [
          { resource: "TEMPLATE", action: "READ", negate: false },
          { resource: "TEMPLATE", action: "UPDATE", negate: false },
        ],
      },
      userErrors: [],
    });
    const audit = await app.prisma.auditLog.findFirst({
      where: { resourceType: "CUSTOM_ROLE", resourceName: "template-editor", action: "CREATE" },
    });
    expect(audit).toMatchObject({ organizationId: alpha.uuid, actorId: expect.any(String) });
  });

  it("defaults the display name to the name", async () => {
    const result = await createRole(owner.token, { name: "plain", permissions: [] });
    expect(result.data?.createCustomRole.role).toMatchObject({ name: "plain", displayName: "plain", permissions: [] });
  });

  it("answers bad input with userErrors naming the field, and writes nothing", async () => {
    const before = await app.prisma.customRole.count();
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ name: "", permissions: [] }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "bad name", permissions: [] }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "x".repeat(33), permissions: [] }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "organization-admin", permissions: [] }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "Owner", permissions: [] }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "template-editor", permissions: [] }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "Template-Editor", permissions: [] }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "ok", displayName: " padded", permissions: [] }, "INVALID_INPUT", ["input", "displayName"]],
      [
        { name: "ok", permissions: [p("GROUP", "READ"), p("AUDIT_LOG", "UPDATE")] },
        "INVALID_INPUT",
        ["input", "permissions", "1"],
      ],
      [{ name: "ok", permissions: [p("USER", "READ")] }, "INVALID_INPUT", ["input", "permissions", "0"]],
      [{ name: "ok", permissions: [p("ASSIGN_ROLE", "ASSIGN")] }, "INVALID_INPUT", ["input", "permissions", "0"]],
      [{ name: "ok", permissions: [p("ORGANIZATION", "DELETE")] }, "INVALID_INPUT", ["input", "permissions", "0"]],
      [{ name: "ok", permissions: [p("ORGANIZATION", "CREATE")] }, "INVALID_INPUT", ["input", "permissions", "0"]],
    ];
    for (const [input, code, field] of cases) {
      const result = await createRole(owner.token, input);
      expect(result.errors, JSON.stringify(input)).toBeUndefined();
      expect(result.data?.createCustomRole.role, JSON.stringify(input)).toBeNull();
      expect(result.data?.createCustomRole.userErrors[0], JSON.stringify(input)).toMatchObject({ code, field });
    }
    expect(await app.prisma.customRole.count()).toBe(before);
  });

  it("refuses permissions the creator does not hold there (PERMISSION_ESCALATION)", async () => {
    const result = await createRole(manager.token, {
      name: "sneaky",
      permissions: [p("GROUP", "READ"), p("TEMPLATE", "UPDATE"), p("WORKSPACE", "READ")],
    });
    expect(result.data?.createCustomRole.userErrors).toEqual([
      expect.objectContaining({ code: "PERMISSION_ESCALATION", field: ["input", "permissions", "1"] }),
      // Members read their own workspaces only: not every workspace of the organization.
      expect.objectContaining({ code: "PERMISSION_ESCALATION", field: ["input", "permissions", "2"] }),
    ]);
    const ok = await createRole(manager.token, { name: "group-reader", permissions: [p("GROUP", "READ")] });
    expect(ok.data?.createCustomRole.userErrors).toEqual([]);
    // Holding ASSIGN_ORG_ROLE CREATE through a custom role does not make other roles assignable.
    expect(ok.data?.createCustomRole.role.assignable).toBe(false);
    expect(await app.prisma.customRole.findFirst({ where: { name: "sneaky" } })).toBeNull();
  });

  it("is FORBIDDEN to a member, NOT_FOUND to other organizations' members, UNAUTHENTICATED to anonymous", async () => {
    const input = { name: "nope", permissions: [] };
    const byMember = await createRole(member.token, input);
    expect(errorCodes(byMember)).toEqual(["FORBIDDEN"]);
    expect(byMember.errors?.[0]?.extensions).toMatchObject({ resource: "ASSIGN_ORG_ROLE", action: "CREATE" });
    expect(errorCodes(await createRole(outsider.token, input))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await createRole(null, input))).toEqual(["UNAUTHENTICATED"]);
    const malformed = await app.gql(CREATE, { input: { ...input, organizationId: "nope" } }, { token: owner.token });
    expect(errorCodes(malformed)).toEqual(["NOT_FOUND"]);
    const wrongType = await app.gql(
      CREATE,
      { input: { ...input, organizationId: globalId("User", alpha.uuid) } },
      { token: owner.token },
    );
    expect(errorCodes(wrongType)).toEqual(["NOT_FOUND"]);
    expect(await app.prisma.customRole.findFirst({ where: { name: "nope" } })).toBeNull();
  });
});

describe("createCustomRole for each actor of the matrix", () => {
  it("answers data, FORBIDDEN, NOT_FOUND or UNAUTHENTICATED by what the actor may do in the organization", async () => {
    const orgAuditor = await alpha.member("org-auditor", ["organization-auditor"]);
    const siteAuditor = await owner.user("site-auditor", { orgs: [], siteRoles: ["auditor"] });
    const token = await app.gql(
      `mutation { createApiToken(input: { name: "bench" }) { token userErrors { code } } }`,
      {},
      { token: admin.token },
    );
    const adminApiToken = token.data?.createApiToken.token as string;
    const actors: [string, string | null, string][] = [
      ["owner", owner.token, "created"],
      ["organization admin", admin.token, "created"],
      ["organization admin's API token", adminApiToken, "created"],
      ["custom role holder with ASSIGN_ORG_ROLE CREATE", manager.token, "created"],
      ["organization auditor", orgAuditor.token, "FORBIDDEN"],
      ["organization member", member.token, "FORBIDDEN"],
      ["site auditor (reads every organization's roles)", siteAuditor.token, "FORBIDDEN"],
      ["site template admin (reads the organization)", templateAdmin.token, "FORBIDDEN"],
      ["member of another organization", outsider.token, "NOT_FOUND"],
      ["anonymous", null, "UNAUTHENTICATED"],
      ["garbage credentials", "not-a-token", "UNAUTHENTICATED"],
    ];
    for (const [index, [who, actorToken, expected]] of actors.entries()) {
      const name = `matrix-${index}`;
      const result = await createRole(actorToken, { name, permissions: [p("GROUP", "READ")] });
      if (expected === "created") {
        expect(result.data?.createCustomRole, who).toMatchObject({ role: { name }, userErrors: [] });
      } else {
        expect(errorCodes(result), who).toEqual([expected]);
        // Mutation root fields are nullable: the refused one answers null, not the whole data.
        expect(result.data?.createCustomRole ?? null, who).toBeNull();
        expect(await app.prisma.customRole.findFirst({ where: { name } }), who).toBeNull();
      }
    }
  });
});

describe("a custom role held by a member", () => {
  let holder: Actor;
  beforeAll(async () => {
    holder = await alpha.member("holder");
    const created = await createRole(admin.token, {
      name: "ops",
      permissions: [p("TEMPLATE", "READ"), p("TEMPLATE", "UPDATE"), p("AUDIT_LOG", "READ")],
    });
    expect(created.data?.createCustomRole.userErrors).toEqual([]);
    await alpha.add(holder, ["ops"]);
  });

  const viewerPermissions = async (token: string) => {
    const result = await app.gql(ORG, { name: "alpha" }, { token });
    expect(result.errors).toBeUndefined();
    return ((result.data?.organization.viewerPermissions ?? []) as Perm[]).map((x) => `${x.resource}:${x.action}`);
  };

  it("shows in viewerPermissions, next to the implicit member permissions", async () => {
    const held = await viewerPermissions(holder.token);
    expect(held).toEqual(
      expect.arrayContaining([
        "TEMPLATE:READ",
        "TEMPLATE:UPDATE",
        "AUDIT_LOG:READ",
        "ORGANIZATION:READ",
        "WORKSPACE:CREATE",
      ]),
    );
    expect(held).not.toContain("TEMPLATE:DELETE");
    expect(held).not.toContain("USER:CREATE");
    expect(await viewerPermissions(member.token)).not.toContain("TEMPLATE:UPDATE");
  });

  it("updating it changes what holders may do; the display name stays unless given", async () => {
    const result = await app.gql(
      UPDATE,
      { input: { organizationId: alpha.id, name: "ops", permissions: [p("TEMPLATE", "READ"), p("GROUP", "READ")] } },
      { token: admin.token },
    );
    expect(result.data?.updateCustomRole).toEqual({
      role: {
        name: "ops",
        displayName: "ops",
        permissions: [
          { resource: "TEMPLATE", action: "READ" },
          { resource: "GROUP", action: "READ" },
        ],
      },
      userErrors: [],
    });
    const held = await viewerPermissions(holder.token);
    expect(held).toContain("GROUP:READ");
    expect(held).not.toContain("TEMPLATE:UPDATE");
    const audit = await app.prisma.auditLog.findFirst({ where: { resourceName: "ops", action: "UPDATE" } });
    expect(audit?.organizationId).toBe(alpha.uuid);
  });

  it("update: escalation, bad input, built-in names, missing roles and actors", async () => {
    const update = (token: string | null, input: Record<string, unknown>) =>
      app.gql(UPDATE, { input: { organizationId: alpha.id, name: "ops", permissions: [], ...input } }, { token });
    const escalation = await update(manager.token, { name: "group-reader", permissions: [p("AUDIT_LOG", "READ")] });
    expect(escalation.data?.updateCustomRole.userErrors[0]).toMatchObject({
      code: "PERMISSION_ESCALATION",
      field: ["input", "permissions", "0"],
    });
    const invalid = await update(admin.token, { permissions: [p("API_KEY", "READ")] });
    expect(invalid.data?.updateCustomRole.userErrors[0]).toMatchObject({ code: "INVALID_INPUT" });
    const builtIn = await update(admin.token, { name: "organization-auditor" });
    expect(builtIn.data?.updateCustomRole.userErrors[0]).toMatchObject({
      code: "RESERVED_NAME",
      field: ["input", "name"],
    });
    expect(errorCodes(await update(admin.token, { name: "no-such-role" }))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await update(member.token, {}))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await update(outsider.token, {}))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await update(null, {}))).toEqual(["UNAUTHENTICATED"]);
    // Reading the organization without reading its roles: the role does not exist for them.
    expect(errorCodes(await update(templateAdmin.token, {}))).toEqual(["NOT_FOUND"]);
    const stored = await app.prisma.customRole.findFirstOrThrow({ where: { organizationId: alpha.uuid, name: "ops" } });
    expect(stored.permissions).toEqual([p("TEMPLATE", "READ"), p("GROUP", "READ")]);
  });

  it("deleting it removes it from every member in the same transaction, with an audit event", async () => {
    await alpha.add(member, ["ops", "organization-auditor"]);
    // Same name in another organization: untouched.
    await app.gql(CREATE, { input: { organizationId: beta.id, name: "ops", permissions: [] } }, { token: owner.token });
    await beta.add(outsider, ["ops"]);

    expect(
      errorCodes(await app.gql(DELETE, { input: { organizationId: alpha.id, name: "ops" } }, { token: member.token })),
    ).toEqual(["FORBIDDEN"]);
    expect(
      errorCodes(
        await app.gql(DELETE, { input: { organizationId: alpha.id, name: "ops" } }, { token: outsider.token }),
      ),
    ).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await app.gql(DELETE, { input: { organizationId: alpha.id, name: "ops" } }))).toEqual([
      "UNAUTHENTICATED",
    ]);

    const result = await app.gql(DELETE, { input: { organizationId: alpha.id, name: "ops" } }, { token: admin.token });
    expect(result.data?.deleteCustomRole.userErrors).toEqual([]);
    expect(result.data?.deleteCustomRole.deletedId).toBe("ops");

    const memberships = await app.prisma.organizationMember.findMany({
      where: {
        userId: {
          in: [holder, member, outsider].map((a) => uuidOf(a.id)),
        },
      },
      select: { organizationId: true, roles: true },
    });
    const rolesIn = (orgUuid: string) => memberships.filter((m) => m.organizationId === orgUuid).map((m) => m.roles);
    expect(rolesIn(alpha.uuid).sort()).toEqual([[], ["organization-auditor"]]);
    expect(rolesIn(beta.uuid)).toEqual([["ops"]]);
    expect(await viewerPermissions(holder.token)).not.toContain("GROUP:READ");
    const audit = await app.prisma.auditLog.findFirst({ where: { resourceName: "ops", action: "DELETE" } });
    expect(audit).toMatchObject({
      organizationId: alpha.uuid,
      diff: expect.objectContaining({ removedFromMembers: 2 }),
    });

    const again = await app.gql(DELETE, { input: { organizationId: alpha.id, name: "ops" } }, { token: admin.token });
    expect(errorCodes(again)).toEqual(["NOT_FOUND"]);
    const builtIn = await app.gql(
      DELETE,
      { input: { organizationId: alpha.id, name: "organization-member" } },
      { token: owner.token },
    );
    expect(builtIn.data?.deleteCustomRole.userErrors[0]).toMatchObject({ code: "RESERVED_NAME" });
  });
});

describe("Organization.roles and Role fields", () => {
  const rolesOf = async (token: string) => {
    const result = await app.gql(ORG, { name: "alpha" }, { token });
    expect(result.errors).toBeUndefined();
    return result.data?.organization?.roles as {
      name: string;
      builtIn: boolean;
      assignable: boolean;
      organization: { name: string };
    }[];
  };

  it("lists the built-in organization roles, then the organization's custom roles", async () => {
    const roles = await rolesOf(member.token);
    expect(roles.filter((r) => r.builtIn).map((r) => r.name)).toEqual([
      "organization-admin",
      "organization-member",
      "organization-auditor",
      "organization-user-admin",
      "organization-template-admin",
      "organization-workspace-creation-ban",
    ]);
    const stored = await app.prisma.customRole.findMany({
      where: { organizationId: alpha.uuid },
      orderBy: { name: "asc" },
    });
    expect(stored.length).toBeGreaterThan(3);
    expect(roles.filter((r) => !r.builtIn).map((r) => r.name)).toEqual(
      stored.map((r) => r.name).sort((a, b) => a.localeCompare(b)),
    );
    expect(new Set(roles.map((r) => r.organization.name))).toEqual(new Set(["alpha"]));
    const ban = (await rolesOf(owner.token)).find((r) => r.name === "organization-workspace-creation-ban");
    expect(ban).toMatchObject({
      permissions: [
        { resource: "WORKSPACE", action: "CREATE", negate: true },
        { resource: "WORKSPACE", action: "DELETE", negate: true },
      ],
    });
  });

  it("says what the viewer may assign", async () => {
    const assignable = async (token: string) => (await rolesOf(token)).filter((r) => r.assignable).map((r) => r.name);
    expect(await assignable(member.token)).toEqual([]);
    // organization-member is implied: listed, never assignable.
    const all = (await rolesOf(owner.token)).map((r) => r.name).filter((name) => name !== "organization-member");
    expect(await assignable(owner.token)).toEqual(all);
    expect(await assignable(admin.token)).toEqual(all);
  });

  it("is empty for a viewer who may read the organization but not its roles", async () => {
    expect(await rolesOf(templateAdmin.token)).toEqual([]);
  });

  it("site roles have no organization", async () => {
    const result = await app.gql("{ siteRoles { name organization { id } assignable } }", {}, { token: owner.token });
    expect(result.data?.siteRoles.map((r: { organization: unknown }) => r.organization)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    // member is implied: listed, never assignable; the owner may assign every other site role.
    const assignable = (r: { name: string; assignable: boolean }) => r.assignable === (r.name !== "member");
    expect(result.data?.siteRoles.every(assignable)).toBe(true);
  });

  it("are the same when the organization is reached through node(id:)", async () => {
    const query = `query($id: ID!) { node(id: $id) { ... on Organization { roles { name } viewerPermissions { resource action } } } }`;
    const asMember = await app.gql(query, { id: alpha.id }, { token: member.token });
    expect(asMember.errors).toBeUndefined();
    expect(asMember.data?.node.roles.map((r: { name: string }) => r.name)).toEqual(
      (await rolesOf(member.token)).map((r) => r.name),
    );
    expect(asMember.data?.node.viewerPermissions).toContainEqual({ resource: "ORGANIZATION", action: "READ" });
    const asOutsider = await app.gql(query, { id: alpha.id }, { token: outsider.token });
    expect(asOutsider.data?.node).toBeNull();
  });

  it("the organization is invisible to other organizations' members", async () => {
    const result = await app.gql(ORG, { name: "alpha" }, { token: outsider.token });
    expect(result.data?.organization).toBeNull();
  });
});

describe("checkPermissions", () => {
  let templateId: string;
  let everyoneTemplateId: string;

  beforeAll(async () => {
    const template = await app.prisma.template.create({ data: { organizationId: alpha.uuid, name: "acl-template" } });
    templateId = globalId("Template", template.id);
    await app.prisma.templateUserAcl.create({
      data: {
        templateId: template.id,
        userId: uuidOf(member.id),
        role: "USE",
      },
    });
    const everyone = await app.prisma.group.findFirstOrThrow({
      where: { organizationId: alpha.uuid, isEveryone: true },
    });
    const shared = await app.prisma.template.create({ data: { organizationId: alpha.uuid, name: "shared" } });
    everyoneTemplateId = globalId("Template", shared.id);
    await app.prisma.templateGroupAcl.create({ data: { templateId: shared.id, groupId: everyone.id, role: "ADMIN" } });
  });

  const checks = () => [
    { key: "updateTemplatesInAlpha", resource: "TEMPLATE", action: "UPDATE", organizationId: alpha.id },
    {
      key: "createOwnWorkspaceInAlpha",
      resource: "WORKSPACE",
      action: "CREATE",
      organizationId: alpha.id,
      ownerId: member.id,
    },
    { key: "readBeta", resource: "ORGANIZATION", action: "READ", organizationId: beta.id },
    { key: "createUsers", resource: "USER", action: "CREATE" },
    { key: "malformedOrg", resource: "ORGANIZATION", action: "READ", organizationId: "nope" },
    { key: "useAclTemplate", resource: "TEMPLATE", action: "USE", resourceId: templateId },
    { key: "updateAclTemplate", resource: "TEMPLATE", action: "UPDATE", resourceId: templateId },
    { key: "updateEveryoneTemplate", resource: "TEMPLATE", action: "UPDATE", resourceId: everyoneTemplateId },
    { key: "wrongIdType", resource: "TEMPLATE", action: "READ", resourceId: alpha.id },
    { key: "readAlphaById", resource: "ORGANIZATION", action: "READ", resourceId: alpha.id },
    // Users are readable through a shared organization, as in the users list.
    { key: "readCoMember", resource: "USER", action: "READ", resourceId: admin.id },
    { key: "updateCoMember", resource: "USER", action: "UPDATE", resourceId: admin.id },
  ];

  const answers = async (token: string) => {
    const result = await app.gql(CHECK, { checks: checks() }, { token });
    expect(result.errors).toBeUndefined();
    return Object.fromEntries(
      ((result.data?.checkPermissions ?? []) as { key: string; allowed: boolean }[]).map((r) => [r.key, r.allowed]),
    );
  };

  it("answers each actor from the same evaluator", async () => {
    expect(await answers(owner.token)).toEqual({
      updateTemplatesInAlpha: true,
      createOwnWorkspaceInAlpha: true,
      readBeta: true,
      createUsers: true,
      malformedOrg: false,
      useAclTemplate: true,
      updateAclTemplate: true,
      updateEveryoneTemplate: true,
      wrongIdType: false,
      readAlphaById: true,
      readCoMember: true,
      updateCoMember: true,
    });
    expect(await answers(admin.token)).toMatchObject({
      updateTemplatesInAlpha: true,
      createOwnWorkspaceInAlpha: true,
      readBeta: false,
      createUsers: false,
      malformedOrg: false,
      updateAclTemplate: true,
      readAlphaById: true,
      readCoMember: true,
      updateCoMember: false,
    });
    expect(await answers(member.token)).toEqual({
      updateTemplatesInAlpha: false,
      createOwnWorkspaceInAlpha: true,
      readBeta: false,
      createUsers: false,
      malformedOrg: false,
      useAclTemplate: true,
      updateAclTemplate: false,
      updateEveryoneTemplate: true,
      wrongIdType: false,
      readAlphaById: true,
      readCoMember: true,
      updateCoMember: false,
    });
    expect(await answers(outsider.token)).toEqual({
      updateTemplatesInAlpha: false,
      createOwnWorkspaceInAlpha: false,
      readBeta: true,
      createUsers: false,
      malformedOrg: false,
      useAclTemplate: false,
      updateAclTemplate: false,
      updateEveryoneTemplate: false,
      wrongIdType: false,
      readAlphaById: false,
      readCoMember: false,
      updateCoMember: false,
    });
  });

  it("a banned member may not create workspaces", async () => {
    const banned = await alpha.member("banned", ["organization-workspace-creation-ban"]);
    const result = await app.gql(
      CHECK,
      { checks: [{ key: "k", resource: "WORKSPACE", action: "CREATE", organizationId: alpha.id, ownerId: banned.id }] },
      { token: banned.token },
    );
    expect(result.data?.checkPermissions).toEqual([{ key: "k", allowed: false }]);
  });

  it("needs credentials and bounds the batch", async () => {
    expect(errorCodes(await app.gql(CHECK, { checks: [] }))).toEqual(["UNAUTHENTICATED"]);
    const many = Array.from({ length: 201 }, (_, i) => ({ key: String(i), resource: "USER", action: "READ" }));
    expect(errorCodes(await app.gql(CHECK, { checks: many }, { token: member.token }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("list filters on tables without an id column", () => {
  it("match nothing for a subject with no grant, instead of failing", async () => {
    const nobody = compileSubject(uuidOf(outsider.id), [], []);
    const where = organizationScopedWhere(nobody, "ORGANIZATION_MEMBER", "READ");
    expect(await app.prisma.organizationMember.count({ where })).toBe(0);
    expect(await app.prisma.groupMember.count({ where: organizationScopedWhere(nobody, "GROUP_MEMBER", "READ") })).toBe(
      0,
    );
  });
});
