// IdP sync guards: who may save which sync settings (no escalation through a later login),
// regex filters on a linear-time engine, and auto-created groups following the name rules.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { globalId } from "../../support/fixtures.js";
import type { TestApp } from "../../support/harness.js";
import type { OidcProvider } from "../../support/oidc-provider.js";
import { oidcUserUuid, startOidcWorld, stopOidcWorld } from "../../support/oidc-suite.js";
import type { OrgScope, OwnerScope } from "../../support/seed.js";

const UPDATE_GROUP_SYNC = `mutation($input: UpdateGroupSyncSettingsInput!) {
  updateGroupSyncSettings(input: $input) { settings { field regexFilter } userErrors { code message field } }
}`;
const UPDATE_ROLE_SYNC = `mutation($input: UpdateRoleSyncSettingsInput!) {
  updateRoleSyncSettings(input: $input) { settings { field mapping { claimValue targets } } userErrors { code message field } }
}`;
const SETTINGS = `query($name: String!) { organization(name: $name) {
  groupSyncSettings { field mapping { claimValue targets } regexFilter autoCreateMissingGroups }
  roleSyncSettings { field mapping { claimValue targets } }
} }`;

type Payload = { settings: Record<string, unknown> | null; userErrors: { code: string; field: string[] }[] };

let provider: OidcProvider;
let app: TestApp;
let owner: OwnerScope;
let userAdmin: Actor;
let orgUserAdmin: Actor;
let orgAdmin: Actor;
let syncEditor: Actor;
let alpha: OrgScope;
let admins: string;

beforeAll(async () => {
  ({ provider, app, owner } = await startOidcWorld());
  alpha = await owner.org("alpha");
  userAdmin = await owner.user("useradmin", { siteRoles: ["user-admin"] });
  orgUserAdmin = await alpha.add(await owner.user("orguseradmin"), ["organization-user-admin"]);
  orgAdmin = await alpha.add(await owner.user("orgadmin"), ["organization-admin"]);
  // A custom role that may edit IdP sync settings and nothing about groups or roles.
  await app.prisma.customRole.create({
    data: {
      organizationId: alpha.uuid,
      name: "sync-editor",
      displayName: "Sync editor",
      permissions: [
        { resource: "IDPSYNC_SETTINGS", action: "READ" },
        { resource: "IDPSYNC_SETTINGS", action: "UPDATE" },
      ],
    },
  });
  syncEditor = await alpha.add(await owner.user("synceditor"), ["sync-editor"]);
  const group = await app.prisma.group.create({ data: { organizationId: alpha.uuid, name: "admins" } });
  admins = globalId("Group", group.id);
});
afterAll(() => stopOidcWorld({ app, provider }));

async function save(query: string, key: string, input: Record<string, unknown>, actor: Actor): Promise<Payload> {
  const result = await app.gql(query, { input: { organizationId: alpha.id, ...input } }, { token: actor.token });
  expect(result.errors).toBeUndefined();
  return result.data?.[key] as Payload;
}

const saveRoleSync = (actor: Actor, field: string, mapping: { claimValue: string; targets: string[] }[]) =>
  save(UPDATE_ROLE_SYNC, "updateRoleSyncSettings", { field, mapping }, actor);

const saveGroupSync = (actor: Actor, input: Record<string, unknown>) =>
  save(UPDATE_GROUP_SYNC, "updateGroupSyncSettings", { mapping: [], autoCreateMissingGroups: false, ...input }, actor);

const problems = (payload: Payload) => payload.userErrors.map((e) => [e.code, e.field.join(".")]);

async function storedSettings() {
  const result = await app.gql(SETTINGS, { name: "alpha" }, { token: owner.token });
  return result.data?.organization;
}

const oidcLogin = (sub: string, claims?: Record<string, unknown>) => oidcUserUuid({ app, provider }, sub, claims);

/** A user who signed in once and was then added to alpha. */
async function alphaMemberByOidc(sub: string): Promise<string> {
  const userId = await oidcLogin(sub);
  await alpha.add({ id: globalId("User", userId) });
  return userId;
}

async function rolesOf(userId: string): Promise<string[]> {
  const row = await app.prisma.organizationMember.findUniqueOrThrow({
    where: { organizationId_userId: { organizationId: alpha.uuid, userId } },
  });
  return [...row.roles].sort();
}

async function groupsOf(userId: string): Promise<string[]> {
  const rows = await app.prisma.groupMember.findMany({ where: { userId }, include: { group: true } });
  return rows.map((r) => r.group.name).sort();
}

async function groupNames(): Promise<string[]> {
  const rows = await app.prisma.group.findMany({ where: { organizationId: alpha.uuid }, select: { name: true } });
  return rows.map((r) => r.name).sort();
}

describe("role sync settings: only who may assign every role they can grant", () => {
  it("refuses user-admins a mapping to organization-admin, so a login cannot grant it", async () => {
    const off = await storedSettings();
    for (const actor of [orgUserAdmin, userAdmin]) {
      const mapped = await saveRoleSync(actor, "roles", [{ claimValue: "x", targets: ["organization-admin"] }]);
      expect(mapped.settings).toBeNull();
      expect(problems(mapped)).toEqual([
        ["ROLE_NOT_ASSIGNABLE", "input.mapping.0.targets.0"],
        ["ROLE_NOT_ASSIGNABLE", "input.field"],
      ]);
      // Even without a mapping: the claim value "organization-admin" would be taken as the role.
      const unmapped = await saveRoleSync(actor, "roles", []);
      expect(problems(unmapped)).toEqual([["ROLE_NOT_ASSIGNABLE", "input.field"]]);
      // A mapping kept while sync is off is still checked.
      const inert = await saveRoleSync(actor, "", [{ claimValue: "x", targets: ["organization-auditor"] }]);
      expect(problems(inert)).toEqual([["ROLE_NOT_ASSIGNABLE", "input.mapping.0.targets.0"]]);
    }
    expect(await storedSettings()).toEqual(off);

    const userId = await alphaMemberByOidc("mallory");
    await oidcLogin("mallory", { roles: ["x", "organization-admin"] });
    expect(await rolesOf(userId)).toEqual([]);
  });

  it("lets user-admins keep role sync off", async () => {
    expect(problems(await saveRoleSync(orgUserAdmin, "", []))).toEqual([]);
    expect(problems(await saveRoleSync(userAdmin, "", []))).toEqual([]);
  });

  it("refuses custom roles, which confer no assignment rights, even for custom role targets", async () => {
    const payload = await saveRoleSync(syncEditor, "", [{ claimValue: "x", targets: ["sync-editor"] }]);
    expect(problems(payload)).toEqual([["ROLE_NOT_ASSIGNABLE", "input.mapping.0.targets.0"]]);
  });

  it("lets organization admins turn it on, and the login grants what they mapped", async () => {
    const payload = await saveRoleSync(orgAdmin, "roles", [{ claimValue: "x", targets: ["organization-admin"] }]);
    expect(problems(payload)).toEqual([]);
    const userId = await alphaMemberByOidc("trent");
    await oidcLogin("trent", { roles: ["x", "sync-editor"] });
    expect(await rolesOf(userId)).toEqual(["organization-admin", "sync-editor"]);
    expect(problems(await saveRoleSync(orgAdmin, "", []))).toEqual([]);
  });
});

describe("group sync settings: only who may manage the groups they sync", () => {
  it("refuses an editor without group rights, so a login cannot join the group", async () => {
    const off = await storedSettings();
    const payload = await saveGroupSync(syncEditor, {
      field: "groups",
      mapping: [{ claimValue: "x", targets: [admins] }],
      autoCreateMissingGroups: true,
    });
    expect(payload.settings).toBeNull();
    expect(problems(payload)).toEqual([
      ["FORBIDDEN", "input.mapping.0.targets.0"],
      ["FORBIDDEN", "input.field"],
      ["FORBIDDEN", "input.autoCreateMissingGroups"],
    ]);
    expect(problems(await saveGroupSync(syncEditor, { field: "groups" }))).toEqual([["FORBIDDEN", "input.field"]]);
    expect(await storedSettings()).toEqual(off);

    const userId = await alphaMemberByOidc("oscar");
    await oidcLogin("oscar", { groups: ["x", "admins"] });
    expect(await groupsOf(userId)).toEqual([]);
    // Keeping sync off is allowed.
    expect(problems(await saveGroupSync(syncEditor, { field: "" }))).toEqual([]);
  });

  it("lets organization user-admins, who manage groups, save it", async () => {
    const payload = await saveGroupSync(orgUserAdmin, {
      field: "groups",
      mapping: [{ claimValue: "x", targets: [admins] }],
      autoCreateMissingGroups: true,
    });
    expect(problems(payload)).toEqual([]);
    expect(problems(await saveGroupSync(orgUserAdmin, { field: "" }))).toEqual([]);
  });
});

describe("group sync regex filters run in linear time", () => {
  it("refuses patterns RE2 cannot compile, too long or too large", async () => {
    for (const regexFilter of ["(?=a)", "(a)\\1", "([a-z]", "x".repeat(257), "(.|x){300}y"]) {
      const payload = await saveGroupSync(owner, { field: "groups", regexFilter });
      expect(problems(payload), regexFilter).toEqual([["INVALID_INPUT", "input.regexFilter"]]);
    }
  });

  for (const [i, regexFilter] of ["^(a|a)*$", "^((a+))+$", "(a|a?)+$"].entries()) {
    it(`filters with ${regexFilter} without backtracking`, async () => {
      const saved = await saveGroupSync(owner, { field: "groups", regexFilter, autoCreateMissingGroups: true });
      expect(problems(saved)).toEqual([]);
      const userId = await alphaMemberByOidc(`regex-${i}`);
      const started = performance.now();
      // A backtracking engine takes seconds on the first value, holding every other request.
      await oidcLogin(`regex-${i}`, { groups: [`${"a".repeat(30)}!`, "aaaa"] });
      expect(performance.now() - started).toBeLessThan(2000);
      // The filter still filters ("(a|a?)+$" also matches the first value, not a valid group name).
      expect(await groupsOf(userId)).toEqual(["aaaa"]);
    });
  }
});

describe("groups auto-created by group sync follow the group name rules", () => {
  it("matches existing groups without regard to case, never makes a second Everyone, skips bad names", async () => {
    const saved = await saveGroupSync(owner, { field: "groups", regexFilter: null, autoCreateMissingGroups: true });
    expect(problems(saved)).toEqual([]);
    const before = await groupNames();
    const userId = await alphaMemberByOidc("grace");
    const claims = ["ADMINS", "Admins", "everyone", "EVERYONE", "Dev-Ops", "dev-ops", "not a name", "x".repeat(37)];
    await oidcLogin("grace", { groups: claims });
    expect(await groupsOf(userId)).toEqual(["Dev-Ops", "admins"]);
    expect(await groupNames()).toEqual([...before, "Dev-Ops"].sort());
    const created = await app.prisma.auditLog.findMany({
      where: { action: "CREATE", resourceType: "GROUP", organizationId: alpha.uuid, resourceName: "Dev-Ops" },
    });
    expect(created).toHaveLength(1);

    // Another spelling later joins the same group and creates nothing.
    await oidcLogin("grace", { groups: ["DEV-OPS"] });
    expect(await groupsOf(userId)).toEqual(["Dev-Ops"]);
    expect(await groupNames()).toEqual([...before, "Dev-Ops"].sort());
    await saveGroupSync(owner, { field: "" });
  });
});
