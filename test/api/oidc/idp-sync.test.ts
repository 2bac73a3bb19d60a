// IdP sync: the settings (permissions, validation, audit) and what each sync does at login.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { errorCodes, type TestApp } from "../../support/harness.js";
import type { OidcProvider } from "../../support/oidc-provider.js";
import { oidcUserUuid, startOidcWorld, stopOidcWorld } from "../../support/oidc-suite.js";
import type { OrgScope, OwnerScope } from "../../support/seed.js";

const ORG_SYNC = "{ organizationSyncSettings { field mapping { claimValue targets } assignDefault } }";
const ORG_SETTINGS = `query($name: String!) { organization(name: $name) {
  groupSyncSettings { field mapping { claimValue targets } regexFilter autoCreateMissingGroups }
  roleSyncSettings { field mapping { claimValue targets } }
} }`;
const UPDATE_ORG_SYNC = `mutation($input: UpdateOrganizationSyncSettingsInput!) {
  updateOrganizationSyncSettings(input: $input) { settings { field mapping { claimValue targets } assignDefault } userErrors { code message field } }
}`;
const UPDATE_GROUP_SYNC = `mutation($input: UpdateGroupSyncSettingsInput!) {
  updateGroupSyncSettings(input: $input) { settings { field mapping { claimValue targets } regexFilter autoCreateMissingGroups } userErrors { code message field } }
}`;
const UPDATE_ROLE_SYNC = `mutation($input: UpdateRoleSyncSettingsInput!) {
  updateRoleSyncSettings(input: $input) { settings { field mapping { claimValue targets } } userErrors { code message field } }
}`;

type Mapping = { claimValue: string; targets: string[] }[];

let provider: OidcProvider;
let app: TestApp;
let owner: OwnerScope;
let userAdmin: Actor;
let orgAdmin: Actor;
let member: Actor;
let alpha: OrgScope;
let beta: OrgScope;
let devs: string;
let manual: string;
let ops: string;

beforeAll(async () => {
  ({ provider, app, owner } = await startOidcWorld());
  alpha = await owner.org("alpha");
  beta = await owner.org("beta");
  userAdmin = await owner.user("useradmin", { siteRoles: ["user-admin"] });
  orgAdmin = await alpha.add(await owner.user("alphaadmin"), ["organization-admin"]);
  member = await alpha.add(await owner.user("alphamember"));
  devs = (await alpha.group("Devs")).id;
  manual = (await alpha.group("Manual")).id;
  ops = (await beta.group("Ops")).id;
  await app.prisma.customRole.create({
    data: { organizationId: alpha.uuid, name: "deployer", displayName: "Deployer", permissions: [] },
  });
});
afterAll(() => stopOidcWorld({ app, provider }));

async function update(query: string, key: string, input: Record<string, unknown>, token = owner.token) {
  const result = await app.gql(query, { input }, { token });
  expect(result.errors).toBeUndefined();
  return result.data?.[key] as {
    settings: Record<string, unknown> | null;
    userErrors: { code: string; field: string[] }[];
  };
}

async function setOrgSync(field: string, mapping: Mapping, assignDefault = true) {
  const payload = await update(UPDATE_ORG_SYNC, "updateOrganizationSyncSettings", { field, mapping, assignDefault });
  expect(payload.userErrors).toEqual([]);
}

async function setGroupSync(org: OrgScope, input: Record<string, unknown>) {
  const payload = await update(UPDATE_GROUP_SYNC, "updateGroupSyncSettings", {
    organizationId: org.id,
    autoCreateMissingGroups: false,
    mapping: [],
    ...input,
  });
  expect(payload.userErrors).toEqual([]);
}

async function setRoleSync(org: OrgScope, field: string, mapping: Mapping) {
  const payload = await update(UPDATE_ROLE_SYNC, "updateRoleSyncSettings", { organizationId: org.id, field, mapping });
  expect(payload.userErrors).toEqual([]);
}

const oidcLogin = (sub: string, claims?: Record<string, unknown>) => oidcUserUuid({ app, provider }, sub, claims);

async function organizationsOf(userId: string): Promise<string[]> {
  const rows = await app.prisma.organizationMember.findMany({ where: { userId }, include: { organization: true } });
  return rows.map((r) => r.organization.name).sort();
}

async function groupsOf(userId: string, org: OrgScope): Promise<string[]> {
  const rows = await app.prisma.groupMember.findMany({
    where: { userId, organizationId: org.uuid },
    include: { group: true },
  });
  return rows.map((r) => r.group.name).sort();
}

async function rolesOf(userId: string, org: OrgScope): Promise<string[] | undefined> {
  const row = await app.prisma.organizationMember.findUnique({
    where: { organizationId_userId: { organizationId: org.uuid, userId } },
  });
  return row ? [...row.roles].sort() : undefined;
}

describe("settings permissions", () => {
  it("shows organization sync settings to owners and user-admins only", async () => {
    const defaults = { field: "", mapping: [], assignDefault: true };
    expect((await app.gql(ORG_SYNC, {}, { token: owner.token })).data?.organizationSyncSettings).toEqual(defaults);
    expect((await app.gql(ORG_SYNC, {}, { token: userAdmin.token })).data?.organizationSyncSettings).toEqual(defaults);
    expect((await app.gql(ORG_SYNC, {}, { token: orgAdmin.token })).data?.organizationSyncSettings).toBeNull();
    expect((await app.gql(ORG_SYNC, {}, { token: member.token })).data?.organizationSyncSettings).toBeNull();
    expect(errorCodes(await app.gql(ORG_SYNC))).toEqual(["UNAUTHENTICATED"]);
  });

  it("lets owners and user-admins change organization sync, nobody else", async () => {
    const input = { field: "", mapping: [], assignDefault: true };
    expect(
      (await update(UPDATE_ORG_SYNC, "updateOrganizationSyncSettings", input, userAdmin.token)).userErrors,
    ).toEqual([]);
    for (const actor of [orgAdmin, member]) {
      const result = await app.gql(UPDATE_ORG_SYNC, { input }, { token: actor.token });
      expect(errorCodes(result)).toEqual(["FORBIDDEN"]);
      expect(result.errors?.[0]?.extensions).toMatchObject({ resource: "IDPSYNC_SETTINGS", action: "UPDATE" });
    }
    expect(errorCodes(await app.gql(UPDATE_ORG_SYNC, { input }))).toEqual(["UNAUTHENTICATED"]);
    const audit = await app.prisma.auditLog.findMany({ where: { resourceType: "IDPSYNC_SETTINGS" } });
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([["UPDATE", uuidOf(userAdmin.id)]]);
  });

  it("shows and changes group and role sync settings for the organization's admins", async () => {
    const emptyGroup = { field: "", mapping: [], regexFilter: null, autoCreateMissingGroups: false };
    const emptyRole = { field: "", mapping: [] };
    for (const actor of [owner, userAdmin, orgAdmin]) {
      const read = await app.gql(ORG_SETTINGS, { name: "alpha" }, { token: actor.token });
      expect(read.data?.organization).toEqual({ groupSyncSettings: emptyGroup, roleSyncSettings: emptyRole });
    }
    const asMember = await app.gql(ORG_SETTINGS, { name: "alpha" }, { token: member.token });
    expect(asMember.data?.organization).toEqual({ groupSyncSettings: null, roleSyncSettings: null });
    // The alpha admin cannot see beta at all.
    expect((await app.gql(ORG_SETTINGS, { name: "beta" }, { token: orgAdmin.token })).data?.organization).toBeNull();

    const groupInput = { organizationId: alpha.id, field: "groups", mapping: [], autoCreateMissingGroups: false };
    const roleInput = { organizationId: alpha.id, field: "roles", mapping: [] };
    for (const actor of [userAdmin, orgAdmin]) {
      expect((await update(UPDATE_GROUP_SYNC, "updateGroupSyncSettings", groupInput, actor.token)).userErrors).toEqual(
        [],
      );
      // A user-admin may not assign organization-admin, so may only keep role sync off.
      const input = actor === userAdmin ? { ...roleInput, field: "" } : roleInput;
      expect((await update(UPDATE_ROLE_SYNC, "updateRoleSyncSettings", input, actor.token)).userErrors).toEqual([]);
    }
    expect(errorCodes(await app.gql(UPDATE_GROUP_SYNC, { input: groupInput }, { token: member.token }))).toEqual([
      "FORBIDDEN",
    ]);
    expect(errorCodes(await app.gql(UPDATE_ROLE_SYNC, { input: roleInput }, { token: member.token }))).toEqual([
      "FORBIDDEN",
    ]);
    const onBeta = { ...groupInput, organizationId: beta.id };
    expect(errorCodes(await app.gql(UPDATE_GROUP_SYNC, { input: onBeta }, { token: orgAdmin.token }))).toEqual([
      "NOT_FOUND",
    ]);
    expect(errorCodes(await app.gql(UPDATE_GROUP_SYNC, { input: groupInput }))).toEqual(["UNAUTHENTICATED"]);
    const audit = await app.prisma.auditLog.findMany({
      where: { resourceType: "IDPSYNC_SETTINGS", organizationId: alpha.uuid },
    });
    expect(audit).toHaveLength(4);
    // Back to off for the sync tests below.
    await setGroupSync(alpha, { field: "" });
    await setRoleSync(alpha, "", []);
  });
});

describe("settings validation", () => {
  const fieldsOf = (payload: { userErrors: { field: string[] }[] }) => payload.userErrors.map((e) => e.field);

  it("keeps mapping targets as the client gave them", async () => {
    const payload = await update(UPDATE_ORG_SYNC, "updateOrganizationSyncSettings", {
      field: "orgs",
      mapping: [{ claimValue: "eng", targets: [alpha.id, alpha.id, beta.id] }],
      assignDefault: false,
    });
    expect(payload.settings).toEqual({
      field: "orgs",
      mapping: [{ claimValue: "eng", targets: [alpha.id, beta.id] }],
      assignDefault: false,
    });
    expect((await app.gql(ORG_SYNC, {}, { token: owner.token })).data?.organizationSyncSettings).toEqual(
      payload.settings,
    );
    await setOrgSync("", []);
  });

  it("refuses unknown organizations and duplicate claim values, writing nothing", async () => {
    const before = await app.prisma.auditLog.count();
    const payload = await update(UPDATE_ORG_SYNC, "updateOrganizationSyncSettings", {
      field: "orgs",
      mapping: [
        { claimValue: "a", targets: [alpha.id, globalId("Organization", "00000000-0000-4000-8000-000000000000")] },
        { claimValue: "b", targets: [devs] },
        { claimValue: "a", targets: [] },
      ],
      assignDefault: true,
    });
    expect(payload.settings).toBeNull();
    expect(fieldsOf(payload)).toEqual([["input", "mapping", "2", "claimValue"]]);
    const again = await update(UPDATE_ORG_SYNC, "updateOrganizationSyncSettings", {
      field: "orgs",
      mapping: [
        { claimValue: "a", targets: [alpha.id, globalId("Organization", "00000000-0000-4000-8000-000000000000")] },
        { claimValue: "b", targets: [devs] },
      ],
      assignDefault: true,
    });
    expect(again.userErrors.map((e) => e.code)).toEqual(["INVALID_INPUT", "INVALID_INPUT"]);
    expect(fieldsOf(again)).toEqual([
      ["input", "mapping", "0", "targets", "1"],
      ["input", "mapping", "1", "targets", "0"],
    ]);
    expect(await app.prisma.auditLog.count()).toBe(before);
    expect((await app.gql(ORG_SYNC, {}, { token: owner.token })).data?.organizationSyncSettings.field).toBe("");
  });

  it("refuses groups of other organizations, Everyone, and bad regex filters", async () => {
    const everyone = await app.prisma.group.findFirstOrThrow({
      where: { organizationId: alpha.uuid, isEveryone: true },
    });
    const payload = await update(UPDATE_GROUP_SYNC, "updateGroupSyncSettings", {
      organizationId: alpha.id,
      field: "groups",
      mapping: [{ claimValue: "x", targets: [devs, ops, globalId("Group", everyone.id), alpha.id] }],
      autoCreateMissingGroups: false,
    });
    expect(fieldsOf(payload)).toEqual([
      ["input", "mapping", "0", "targets", "1"],
      ["input", "mapping", "0", "targets", "2"],
      ["input", "mapping", "0", "targets", "3"],
    ]);
    // RE2 syntax: no lookarounds nor backreferences.
    for (const regexFilter of ["([a-z]", "(?=a)", "(a)\\1", "x".repeat(300)]) {
      const bad = await update(UPDATE_GROUP_SYNC, "updateGroupSyncSettings", {
        organizationId: alpha.id,
        field: "groups",
        mapping: [],
        regexFilter,
        autoCreateMissingGroups: false,
      });
      expect(fieldsOf(bad), regexFilter).toEqual([["input", "regexFilter"]]);
    }
  });

  it("accepts only the organization's roles in role mappings", async () => {
    const ok = await update(UPDATE_ROLE_SYNC, "updateRoleSyncSettings", {
      organizationId: alpha.id,
      field: "roles",
      mapping: [{ claimValue: "admins", targets: ["organization-admin", "deployer"] }],
    });
    expect(ok.userErrors).toEqual([]);
    const bad = await update(UPDATE_ROLE_SYNC, "updateRoleSyncSettings", {
      organizationId: beta.id,
      field: "roles",
      mapping: [
        { claimValue: "admins", targets: ["deployer", "owner", "organization-member", "organization-auditor"] },
      ],
    });
    expect(fieldsOf(bad)).toEqual([
      ["input", "mapping", "0", "targets", "0"],
      ["input", "mapping", "0", "targets", "1"],
      ["input", "mapping", "0", "targets", "2"],
    ]);
    await setRoleSync(alpha, "", []);
  });
});

describe("organization sync at login", () => {
  it("makes memberships exactly the mapped organizations plus the default", async () => {
    const doomed = await owner.org("doomed");
    await setOrgSync("orgs", [
      { claimValue: "eng", targets: [alpha.id] },
      { claimValue: "ops", targets: [beta.id] },
      { claimValue: "gone", targets: [doomed.id] },
    ]);
    await app.prisma.organization.delete({ where: { id: doomed.uuid } });

    const userId = await oidcLogin("carol", { orgs: ["eng", "gone", "unmapped"] });
    expect(await organizationsOf(userId)).toEqual(["alpha", "default"]);
    const added = await app.prisma.auditLog.findMany({
      where: { action: "ADD_MEMBER", resourceType: "ORGANIZATION_MEMBER", resourceId: userId },
    });
    expect(added.map((a) => a.actorId)).toEqual([null, null]);

    // A manual membership in beta (with a group) goes, group membership and all.
    await beta.add({ id: globalId("User", userId) });
    await app.prisma.groupMember.create({ data: { groupId: uuidOf(ops), userId, organizationId: beta.uuid } });
    await oidcLogin("carol", { orgs: ["eng"] });
    expect(await organizationsOf(userId)).toEqual(["alpha", "default"]);
    expect(await app.prisma.groupMember.count({ where: { userId } })).toBe(0);

    await oidcLogin("carol", { orgs: "ops" });
    expect(await organizationsOf(userId)).toEqual(["beta", "default"]);

    await oidcLogin("carol");
    expect(await organizationsOf(userId)).toEqual(["default"]);
  });

  it("leaves memberships alone on a malformed claim, and drops the default when not assigned", async () => {
    const userId = await oidcLogin("carol", { orgs: ["eng"] });
    await oidcLogin("carol", { orgs: 42 });
    expect(await organizationsOf(userId)).toEqual(["alpha", "default"]);
    await oidcLogin("carol", { orgs: ["eng", { nested: true }] });
    expect(await organizationsOf(userId)).toEqual(["alpha", "default"]);

    await setOrgSync("orgs", [{ claimValue: "eng", targets: [alpha.id] }], false);
    await oidcLogin("carol", { orgs: ["eng"] });
    expect(await organizationsOf(userId)).toEqual(["alpha"]);
  });

  it("is off when the field is empty: memberships are manual", async () => {
    await setOrgSync("", [{ claimValue: "ops", targets: [beta.id] }]);
    const userId = await oidcLogin("carol", { orgs: ["ops"] });
    expect(await organizationsOf(userId)).toEqual(["alpha"]);
  });

  it("records what sync changed in the login's audit event", async () => {
    await setOrgSync("orgs", [{ claimValue: "ops", targets: [beta.id] }], false);
    const userId = await oidcLogin("carol", { orgs: ["ops"] });
    const login = await app.prisma.auditLog.findFirstOrThrow({
      where: { action: "LOGIN", resourceId: userId },
      orderBy: { time: "desc" },
    });
    expect(login.actorId).toBe(userId);
    expect(login.diff).toMatchObject({
      loginType: "OIDC",
      sync: { organizations: { added: [beta.uuid], removed: [alpha.uuid] } },
    });
    await setOrgSync("", []);
  });
});

describe("group sync at login", () => {
  let userId: string;

  beforeAll(async () => {
    userId = await oidcLogin("dave");
    await alpha.add({ id: globalId("User", userId) });
    await beta.add({ id: globalId("User", userId) });
  });

  it("sets the groups to mapped, name-matched and auto-created ones, filtered by the regex", async () => {
    await app.prisma.groupMember.createMany({
      data: [
        { groupId: uuidOf(manual), userId, organizationId: alpha.uuid },
        { groupId: uuidOf(ops), userId, organizationId: beta.uuid },
      ],
    });
    await setGroupSync(alpha, {
      field: "groups",
      mapping: [{ claimValue: "dev-team", targets: [devs] }],
      regexFilter: "^(dev|qa|Every)",
      autoCreateMissingGroups: true,
    });
    await oidcLogin("dave", { groups: ["dev-team", "qa", "sales", "Everyone"] });
    expect(await groupsOf(userId, alpha)).toEqual(["Devs", "qa"]);
    const created = await app.prisma.group.findFirstOrThrow({ where: { organizationId: alpha.uuid, name: "qa" } });
    expect(created.source).toBe("OIDC");
    expect(await app.prisma.group.count({ where: { name: "sales" } })).toBe(0);
    expect(await app.prisma.group.count({ where: { organizationId: alpha.uuid, name: "Everyone" } })).toBe(1);
    // Beta has no group sync: its manual group stays.
    expect(await groupsOf(userId, beta)).toEqual(["Ops"]);
    const audit = await app.prisma.auditLog.findMany({ where: { resourceType: "GROUP", organizationId: alpha.uuid } });
    expect(audit.map((a) => a.action).sort()).toEqual(["ADD_MEMBER", "ADD_MEMBER", "CREATE", "REMOVE_MEMBER"]);
    expect(audit.every((a) => a.actorId === null)).toBe(true);
  });

  it("matches unmapped values by group name and creates nothing without auto-create", async () => {
    await setGroupSync(alpha, { field: "groups", mapping: [] });
    await oidcLogin("dave", { groups: ["Manual", "brand-new"] });
    expect(await groupsOf(userId, alpha)).toEqual(["Manual"]);
    expect(await app.prisma.group.count({ where: { name: "brand-new" } })).toBe(0);
  });

  it("skips the organization on a malformed claim and clears groups on an absent one", async () => {
    await oidcLogin("dave", { groups: { Manual: true } });
    expect(await groupsOf(userId, alpha)).toEqual(["Manual"]);
    await oidcLogin("dave");
    expect(await groupsOf(userId, alpha)).toEqual([]);
    await setGroupSync(alpha, { field: "" });
  });
});

describe("role sync at login", () => {
  it("runs after organization and group sync, in the same login", async () => {
    await setOrgSync("orgs", [{ claimValue: "eng", targets: [alpha.id] }], false);
    await setGroupSync(alpha, { field: "groups", mapping: [{ claimValue: "dev-team", targets: [devs] }] });
    await setRoleSync(alpha, "roles", [{ claimValue: "admins", targets: ["organization-admin"] }]);
    const userId = await oidcLogin("erin", {
      orgs: ["eng"],
      groups: ["dev-team"],
      roles: ["admins", "organization-auditor", "bogus", "deployer", "organization-member"],
    });
    expect(await organizationsOf(userId)).toEqual(["alpha"]);
    expect(await groupsOf(userId, alpha)).toEqual(["Devs"]);
    expect(await rolesOf(userId, alpha)).toEqual(["deployer", "organization-admin", "organization-auditor"]);
    const assigned = await app.prisma.auditLog.findFirstOrThrow({
      where: { action: "ASSIGN_ROLES", resourceId: userId },
    });
    expect(assigned).toMatchObject({ actorId: null, organizationId: alpha.uuid });
  });

  it("leaves roles alone on a malformed claim and clears them on an absent one", async () => {
    const userId = await oidcLogin("erin", { orgs: ["eng"], roles: true });
    expect(await rolesOf(userId, alpha)).toEqual(["deployer", "organization-admin", "organization-auditor"]);
    await oidcLogin("erin", { orgs: ["eng"] });
    expect(await rolesOf(userId, alpha)).toEqual([]);
  });
});
