// The role × permission matrix, generated from the registry and checked against expectations
// written here as data. Adding a permission to the registry, or a built-in role, fails this test
// until every role states what it should get.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AuthzObject,
  type CustomRoleIndex,
  can,
  canAssignRole,
  compileSubject,
  type MembershipInput,
  permissionsIn,
  type Subject,
  scopeOf,
  unassignableRoleChanges,
} from "../../src/authz/evaluator.js";
import {
  ACTIONS,
  type Action,
  ALL_PERMISSIONS,
  type Permission,
  type PermissionKey,
  permissionKey,
} from "../../src/authz/permissions.js";
import { BUILT_IN_ROLES, builtInRole, ORGANIZATION_RESOURCES } from "../../src/authz/roles.js";
import { storedPermissions } from "../../src/authz/subject-loader.js";

const ME = "00000000-0000-4000-8000-00000000000a";
const OTHER_USER = "00000000-0000-4000-8000-00000000000b";
const ORG_A = "00000000-0000-4000-8000-0000000000a1";
const ORG_B = "00000000-0000-4000-8000-0000000000b2";

// Where a permission applies, for a holder of the role (site roles: held by a user who is in no
// organization; organization roles: held in ORG_A, with the implicit organization-member role
// and the implicit site member role, as every real holder has them):
//   all  — everywhere: site-level objects, any organization, anyone's objects;
//   self — only the holder's own objects outside organizations (their user, their API tokens);
//   org  — every object in ORG_A (their own included), nothing in ORG_B;
//   own  — only the holder's own objects in ORG_A;
//   none — nowhere.
type Outcome = "all" | "self" | "org" | "own" | "none";

const CONTEXTS: Record<string, AuthzObject> = {
  site: { type: "USER" },
  self: { type: "USER", ownerId: ME },
  orgA: { type: "USER", organizationId: ORG_A, ownerId: OTHER_USER },
  ownA: { type: "USER", organizationId: ORG_A, ownerId: ME },
  orgB: { type: "USER", organizationId: ORG_B, ownerId: OTHER_USER },
  ownB: { type: "USER", organizationId: ORG_B, ownerId: ME },
};

const ALLOWED_IN: Record<Outcome, readonly string[]> = {
  all: ["site", "self", "orgA", "ownA", "orgB", "ownB"],
  self: ["self"],
  org: ["orgA", "ownA"],
  own: ["ownA"],
  none: [],
};

// Shared by every holder: the implicit site `member` role.
const MEMBER_SELF = `
  USER: CREATE=none READ=self UPDATE=none DELETE=none
  API_KEY: CREATE=self READ=self DELETE=self
  ASSIGN_ROLE: READ=all ASSIGN=none UNASSIGN=none`;

const EXPECTED: Record<string, string> = {
  owner: `
    USER: CREATE=all READ=all UPDATE=all DELETE=all
    API_KEY: CREATE=all READ=all DELETE=all
    ORGANIZATION: CREATE=all READ=all UPDATE=all DELETE=all
    ORGANIZATION_MEMBER: CREATE=all READ=all UPDATE=all DELETE=all
    ASSIGN_ROLE: READ=all ASSIGN=all UNASSIGN=all
    ASSIGN_ORG_ROLE: CREATE=all READ=all UPDATE=all DELETE=all ASSIGN=all UNASSIGN=all
    GROUP: CREATE=all READ=all UPDATE=all DELETE=all
    GROUP_MEMBER: READ=all
    TEMPLATE: CREATE=all READ=all UPDATE=all DELETE=all USE=all
    WORKSPACE: CREATE=all READ=all UPDATE=all DELETE=all START=all STOP=all
    PROVISIONER_DAEMON: CREATE=all READ=all UPDATE=all DELETE=all
    PROVISIONER_JOBS: READ=all UPDATE=all
    IDPSYNC_SETTINGS: READ=all UPDATE=all
    AUDIT_LOG: READ=all`,
  member: `${MEMBER_SELF}
    ORGANIZATION: CREATE=none READ=none UPDATE=none DELETE=none
    ORGANIZATION_MEMBER: CREATE=none READ=none UPDATE=none DELETE=none
    ASSIGN_ORG_ROLE: CREATE=none READ=none UPDATE=none DELETE=none ASSIGN=none UNASSIGN=none
    GROUP: CREATE=none READ=none UPDATE=none DELETE=none
    GROUP_MEMBER: READ=none
    TEMPLATE: CREATE=none READ=none UPDATE=none DELETE=none USE=none
    WORKSPACE: CREATE=none READ=none UPDATE=none DELETE=none START=none STOP=none
    PROVISIONER_DAEMON: CREATE=none READ=none UPDATE=none DELETE=none
    PROVISIONER_JOBS: READ=none UPDATE=none
    IDPSYNC_SETTINGS: READ=none UPDATE=none
    AUDIT_LOG: READ=none`,
  auditor: `
    USER: CREATE=none READ=all UPDATE=none DELETE=none
    API_KEY: CREATE=self READ=self DELETE=self
    ORGANIZATION: CREATE=none READ=all UPDATE=none DELETE=none
    ORGANIZATION_MEMBER: CREATE=none READ=all UPDATE=none DELETE=none
    ASSIGN_ROLE: READ=all ASSIGN=none UNASSIGN=none
    ASSIGN_ORG_ROLE: CREATE=none READ=all UPDATE=none DELETE=none ASSIGN=none UNASSIGN=none
    GROUP: CREATE=none READ=all UPDATE=none DELETE=none
    GROUP_MEMBER: READ=all
    TEMPLATE: CREATE=none READ=all UPDATE=none DELETE=none USE=none
    WORKSPACE: CREATE=none READ=none UPDATE=none DELETE=none START=none STOP=none
    PROVISIONER_DAEMON: CREATE=none READ=none UPDATE=none DELETE=none
    PROVISIONER_JOBS: READ=none UPDATE=none
    IDPSYNC_SETTINGS: READ=none UPDATE=none
    AUDIT_LOG: READ=all`,
  "user-admin": `
    USER: CREATE=all READ=all UPDATE=all DELETE=all
    API_KEY: CREATE=self READ=all DELETE=all
    ORGANIZATION: CREATE=none READ=all UPDATE=none DELETE=none
    ORGANIZATION_MEMBER: CREATE=all READ=all UPDATE=all DELETE=all
    ASSIGN_ROLE: READ=all ASSIGN=all UNASSIGN=all
    ASSIGN_ORG_ROLE: CREATE=none READ=all UPDATE=none DELETE=none ASSIGN=all UNASSIGN=all
    GROUP: CREATE=all READ=all UPDATE=all DELETE=all
    GROUP_MEMBER: READ=all
    TEMPLATE: CREATE=none READ=none UPDATE=none DELETE=none USE=none
    WORKSPACE: CREATE=none READ=none UPDATE=none DELETE=none START=none STOP=none
    PROVISIONER_DAEMON: CREATE=none READ=none UPDATE=none DELETE=none
    PROVISIONER_JOBS: READ=none UPDATE=none
    IDPSYNC_SETTINGS: READ=all UPDATE=all
    AUDIT_LOG: READ=none`,
  "template-admin": `
    USER: CREATE=none READ=all UPDATE=none DELETE=none
    API_KEY: CREATE=self READ=self DELETE=self
    ORGANIZATION: CREATE=none READ=all UPDATE=none DELETE=none
    ORGANIZATION_MEMBER: CREATE=none READ=all UPDATE=none DELETE=none
    ASSIGN_ROLE: READ=all ASSIGN=none UNASSIGN=none
    ASSIGN_ORG_ROLE: CREATE=none READ=none UPDATE=none DELETE=none ASSIGN=none UNASSIGN=none
    GROUP: CREATE=none READ=all UPDATE=none DELETE=none
    GROUP_MEMBER: READ=all
    TEMPLATE: CREATE=all READ=all UPDATE=all DELETE=all USE=all
    WORKSPACE: CREATE=none READ=all UPDATE=none DELETE=none START=none STOP=none
    PROVISIONER_DAEMON: CREATE=all READ=all UPDATE=all DELETE=all
    PROVISIONER_JOBS: READ=all UPDATE=all
    IDPSYNC_SETTINGS: READ=none UPDATE=none
    AUDIT_LOG: READ=none`,
  "organization-admin": `${MEMBER_SELF}
    ORGANIZATION: CREATE=none READ=org UPDATE=org DELETE=none
    ORGANIZATION_MEMBER: CREATE=org READ=org UPDATE=org DELETE=org
    ASSIGN_ORG_ROLE: CREATE=org READ=org UPDATE=org DELETE=org ASSIGN=org UNASSIGN=org
    GROUP: CREATE=org READ=org UPDATE=org DELETE=org
    GROUP_MEMBER: READ=org
    TEMPLATE: CREATE=org READ=org UPDATE=org DELETE=org USE=org
    WORKSPACE: CREATE=org READ=org UPDATE=org DELETE=org START=org STOP=org
    PROVISIONER_DAEMON: CREATE=org READ=org UPDATE=org DELETE=org
    PROVISIONER_JOBS: READ=org UPDATE=org
    IDPSYNC_SETTINGS: READ=org UPDATE=org
    AUDIT_LOG: READ=org`,
  "organization-member": `${MEMBER_SELF}
    ORGANIZATION: CREATE=none READ=org UPDATE=none DELETE=none
    ORGANIZATION_MEMBER: CREATE=none READ=org UPDATE=none DELETE=none
    ASSIGN_ORG_ROLE: CREATE=none READ=org UPDATE=none DELETE=none ASSIGN=none UNASSIGN=none
    GROUP: CREATE=none READ=none UPDATE=none DELETE=none
    GROUP_MEMBER: READ=none
    TEMPLATE: CREATE=none READ=none UPDATE=none DELETE=none USE=none
    WORKSPACE: CREATE=own READ=own UPDATE=none DELETE=own START=own STOP=own
    PROVISIONER_DAEMON: CREATE=none READ=org UPDATE=none DELETE=none
    PROVISIONER_JOBS: READ=none UPDATE=none
    IDPSYNC_SETTINGS: READ=none UPDATE=none
    AUDIT_LOG: READ=none`,
  "organization-auditor": `${MEMBER_SELF}
    ORGANIZATION: CREATE=none READ=org UPDATE=none DELETE=none
    ORGANIZATION_MEMBER: CREATE=none READ=org UPDATE=none DELETE=none
    ASSIGN_ORG_ROLE: CREATE=none READ=org UPDATE=none DELETE=none ASSIGN=none UNASSIGN=none
    GROUP: CREATE=none READ=org UPDATE=none DELETE=none
    GROUP_MEMBER: READ=org
    TEMPLATE: CREATE=none READ=org UPDATE=none DELETE=none USE=none
    WORKSPACE: CREATE=own READ=own UPDATE=none DELETE=own START=own STOP=own
    PROVISIONER_DAEMON: CREATE=none READ=org UPDATE=none DELETE=none
    PROVISIONER_JOBS: READ=none UPDATE=none
    IDPSYNC_SETTINGS: READ=none UPDATE=none
    AUDIT_LOG: READ=org`,
  "organization-user-admin": `${MEMBER_SELF}
    ORGANIZATION: CREATE=none READ=org UPDATE=none DELETE=none
    ORGANIZATION_MEMBER: CREATE=org READ=org UPDATE=org DELETE=org
    ASSIGN_ORG_ROLE: CREATE=none READ=org UPDATE=none DELETE=none ASSIGN=org UNASSIGN=org
    GROUP: CREATE=org READ=org UPDATE=org DELETE=org
    GROUP_MEMBER: READ=org
    TEMPLATE: CREATE=none READ=none UPDATE=none DELETE=none USE=none
    WORKSPACE: CREATE=own READ=own UPDATE=none DELETE=own START=own STOP=own
    PROVISIONER_DAEMON: CREATE=none READ=org UPDATE=none DELETE=none
    PROVISIONER_JOBS: READ=none UPDATE=none
    IDPSYNC_SETTINGS: READ=org UPDATE=org
    AUDIT_LOG: READ=none`,
  "organization-template-admin": `${MEMBER_SELF}
    ORGANIZATION: CREATE=none READ=org UPDATE=none DELETE=none
    ORGANIZATION_MEMBER: CREATE=none READ=org UPDATE=none DELETE=none
    ASSIGN_ORG_ROLE: CREATE=none READ=org UPDATE=none DELETE=none ASSIGN=none UNASSIGN=none
    GROUP: CREATE=none READ=org UPDATE=none DELETE=none
    GROUP_MEMBER: READ=org
    TEMPLATE: CREATE=org READ=org UPDATE=org DELETE=org USE=org
    WORKSPACE: CREATE=own READ=org UPDATE=none DELETE=own START=own STOP=own
    PROVISIONER_DAEMON: CREATE=org READ=org UPDATE=org DELETE=org
    PROVISIONER_JOBS: READ=org UPDATE=org
    IDPSYNC_SETTINGS: READ=none UPDATE=none
    AUDIT_LOG: READ=none`,
  "organization-workspace-creation-ban": `${MEMBER_SELF}
    ORGANIZATION: CREATE=none READ=org UPDATE=none DELETE=none
    ORGANIZATION_MEMBER: CREATE=none READ=org UPDATE=none DELETE=none
    ASSIGN_ORG_ROLE: CREATE=none READ=org UPDATE=none DELETE=none ASSIGN=none UNASSIGN=none
    GROUP: CREATE=none READ=none UPDATE=none DELETE=none
    GROUP_MEMBER: READ=none
    TEMPLATE: CREATE=none READ=none UPDATE=none DELETE=none USE=none
    WORKSPACE: CREATE=none READ=own UPDATE=none DELETE=none START=own STOP=own
    PROVISIONER_DAEMON: CREATE=none READ=org UPDATE=none DELETE=none
    PROVISIONER_JOBS: READ=none UPDATE=none
    IDPSYNC_SETTINGS: READ=none UPDATE=none
    AUDIT_LOG: READ=none`,
};

/** "RESOURCE: ACTION=outcome ..." lines into one entry per permission; duplicates are errors. */
function parseTable(role: string, table: string): Map<string, Outcome> {
  const entries = new Map<string, Outcome>();
  for (const line of table.trim().split("\n")) {
    const [resource, rest] = line.split(":").map((s) => s.trim());
    for (const cell of (rest ?? "").split(/\s+/).filter(Boolean)) {
      const [action, outcome] = cell.split("=");
      const key = `${resource}:${action}`;
      if (entries.has(key)) throw new Error(`${role}: ${key} listed twice`);
      if (!(outcome && outcome in ALLOWED_IN)) throw new Error(`${role}: ${key} has unknown outcome ${outcome}`);
      entries.set(key, outcome as Outcome);
    }
  }
  return entries;
}

const TABLES = new Map(Object.entries(EXPECTED).map(([role, table]) => [role, parseTable(role, table)]));
const REGISTRY_KEYS = ALL_PERMISSIONS.map((p) => permissionKey(p.resource, p.action));

function holderOf(roleName: string, customRoles?: CustomRoleIndex): Subject {
  const role = builtInRole(roleName);
  if (!role) throw new Error(`unknown role ${roleName}`);
  return role.scope === "site"
    ? compileSubject(ME, [roleName], [])
    : compileSubject(ME, [], [{ organizationId: ORG_A, roles: [roleName] }], customRoles);
}

function outcomesOf(subject: Subject, p: Permission): string[] {
  return Object.entries(CONTEXTS)
    .filter(([, object]) => can(subject, p.action, { ...object, type: p.resource }))
    .map(([name]) => name);
}

describe("the expectation tables", () => {
  it("cover exactly the built-in roles", () => {
    expect([...TABLES.keys()].sort()).toEqual(BUILT_IN_ROLES.map((r) => r.name).sort());
  });

  it.each(BUILT_IN_ROLES.map((r) => r.name))("state an outcome for every registry permission: %s", (role) => {
    const listed = [...(TABLES.get(role)?.keys() ?? [])];
    expect(
      REGISTRY_KEYS.filter((key) => !listed.includes(key)),
      "permissions without an expectation",
    ).toEqual([]);
    expect(
      listed.filter((key) => !REGISTRY_KEYS.includes(key as PermissionKey)),
      "unknown permissions",
    ).toEqual([]);
  });
});

describe.each(BUILT_IN_ROLES.map((r) => r.name))("role %s", (roleName) => {
  const subject = holderOf(roleName);
  it.each(ALL_PERMISSIONS.map((p) => [permissionKey(p.resource, p.action), p] as const))(
    "%s matches the table (site, own objects, own organization, other organization)",
    (key, permission) => {
      const expected = TABLES.get(roleName)?.get(key) ?? "none";
      expect(outcomesOf(subject, permission)).toEqual(ALLOWED_IN[expected]);
    },
  );
});

describe("site roles held by an organization member", () => {
  const orgMemberOnly = compileSubject(ME, [], [{ organizationId: ORG_A, roles: [] }]);
  it.each(BUILT_IN_ROLES.filter((r) => r.scope === "site").map((r) => r.name))(
    "%s: grants add up with the implicit organization-member role",
    (roleName) => {
      const siteOnly = holderOf(roleName);
      const both = compileSubject(ME, [roleName], [{ organizationId: ORG_A, roles: [] }]);
      for (const p of ALL_PERMISSIONS) {
        for (const object of Object.values(CONTEXTS)) {
          const o = { ...object, type: p.resource };
          expect(can(both, p.action, o), `${p.resource}:${p.action}`).toBe(
            can(siteOnly, p.action, o) || can(orgMemberOnly, p.action, o),
          );
        }
      }
    },
  );
});

describe("negation", () => {
  const ownA: AuthzObject = { type: "WORKSPACE", organizationId: ORG_A, ownerId: ME };
  const othersA: AuthzObject = { type: "WORKSPACE", organizationId: ORG_A, ownerId: OTHER_USER };

  it("workspace-creation-ban beats organization-admin grants in the same organization", () => {
    const s = compileSubject(
      ME,
      [],
      [{ organizationId: ORG_A, roles: ["organization-admin", "organization-workspace-creation-ban"] }],
    );
    for (const object of [ownA, othersA]) {
      expect(can(s, "CREATE", object)).toBe(false);
      expect(can(s, "DELETE", object)).toBe(false);
      expect(can(s, "START", object)).toBe(true);
      expect(can(s, "UPDATE", object)).toBe(true);
    }
    expect(scopeOf(s, "WORKSPACE", "CREATE")).toMatchObject({
      all: false,
      organizationIds: [],
      ownInOrganizationIds: [],
    });
    expect(
      permissionsIn(s, ORG_A)
        .filter((p) => p.resource === "WORKSPACE")
        .map((p) => p.action),
    ).toEqual(["READ", "UPDATE", "START", "STOP"]);
  });

  it("a banned member cannot create or delete their own workspace, but may start it", () => {
    const s = compileSubject(ME, [], [{ organizationId: ORG_A, roles: ["organization-workspace-creation-ban"] }]);
    expect(can(s, "CREATE", ownA)).toBe(false);
    expect(can(s, "DELETE", ownA)).toBe(false);
    expect(can(s, "START", ownA)).toBe(true);
  });

  it("is confined to the organization where it is held", () => {
    const s = compileSubject(
      ME,
      [],
      [
        { organizationId: ORG_A, roles: ["organization-workspace-creation-ban"] },
        { organizationId: ORG_B, roles: [] },
      ],
    );
    expect(can(s, "CREATE", { ...ownA, organizationId: ORG_B })).toBe(true);
  });

  it("does not reach a site owner: site grants are decided first", () => {
    const s = compileSubject(
      ME,
      ["owner"],
      [{ organizationId: ORG_A, roles: ["organization-workspace-creation-ban"] }],
    );
    expect(can(s, "CREATE", ownA)).toBe(true);
  });

  it("a custom role cannot undo a ban (denials win within the organization level)", () => {
    const custom: CustomRoleIndex = new Map([
      [ORG_A, new Map([["creator", [{ resource: "WORKSPACE" as const, action: "CREATE" as const }]]])],
    ]);
    const s = compileSubject(
      ME,
      [],
      [{ organizationId: ORG_A, roles: ["creator", "organization-workspace-creation-ban"] }],
      custom,
    );
    expect(can(s, "CREATE", othersA)).toBe(false);
  });
});

describe("custom roles", () => {
  const custom: CustomRoleIndex = new Map([
    [
      ORG_A,
      new Map<string, Permission[]>([
        [
          "template-editor",
          [
            { resource: "TEMPLATE", action: "READ" },
            { resource: "TEMPLATE", action: "UPDATE" },
          ],
        ],
      ]),
    ],
    [ORG_B, new Map<string, Permission[]>([["auditing", [{ resource: "AUDIT_LOG", action: "READ" }]]])],
  ]);
  const template = (organizationId: string): AuthzObject => ({ type: "TEMPLATE", organizationId });

  it("grant their permissions on every object of their organization only", () => {
    const s = compileSubject(
      ME,
      [],
      [
        { organizationId: ORG_A, roles: ["template-editor"] },
        { organizationId: ORG_B, roles: [] },
      ],
      custom,
    );
    expect(can(s, "UPDATE", template(ORG_A))).toBe(true);
    expect(can(s, "DELETE", template(ORG_A))).toBe(false);
    expect(can(s, "UPDATE", template(ORG_B))).toBe(false);
    expect(scopeOf(s, "TEMPLATE", "UPDATE").organizationIds).toEqual([ORG_A]);
    expect(permissionsIn(s, ORG_A)).toContainEqual({ resource: "TEMPLATE", action: "UPDATE", negate: false });
  });

  it("are looked up in the holder's organization: another organization's role of the same name grants nothing", () => {
    const s = compileSubject(ME, [], [{ organizationId: ORG_A, roles: ["auditing"] }], custom);
    expect(can(s, "READ", { type: "AUDIT_LOG", organizationId: ORG_A })).toBe(false);
    expect(can(s, "READ", { type: "AUDIT_LOG", organizationId: ORG_B })).toBe(false);
  });

  it("grant nothing once deleted (a stale name on a membership)", () => {
    const s = compileSubject(ME, [], [{ organizationId: ORG_A, roles: ["template-editor"] }], new Map());
    expect(can(s, "UPDATE", template(ORG_A))).toBe(false);
  });

  it("a site role name stored on a membership grants nothing there", () => {
    const s = compileSubject(ME, [], [{ organizationId: ORG_A, roles: ["owner"] }]);
    expect(can(s, "DELETE", { type: "ORGANIZATION", organizationId: ORG_A })).toBe(false);
    expect(canAssignRole(s, "organization-admin", ORG_A)).toBe(false);
  });

  it("an organization role name stored as a site role grants nothing", () => {
    const s = compileSubject(ME, ["organization-admin"], []);
    expect(can(s, "UPDATE", { type: "ORGANIZATION", organizationId: ORG_A })).toBe(false);
    expect(canAssignRole(s, "organization-admin", ORG_A)).toBe(false);
  });
});

describe("template ACL", () => {
  const member = compileSubject(ME, [], [{ organizationId: ORG_A, roles: [] }]);
  const template = (aclRole: "USE" | "ADMIN" | null, organizationId = ORG_A): AuthzObject => ({
    type: "TEMPLATE",
    organizationId,
    aclRole,
  });
  const allowed = (s: Subject, object: AuthzObject) =>
    (["CREATE", "READ", "UPDATE", "DELETE", "USE"] as Action[]).filter((a) => can(s, a, object));

  it("USE lets a member read and use the template", () => {
    expect(allowed(member, template("USE"))).toEqual(["READ", "USE"]);
  });
  it("ADMIN lets a member manage the template, but not create others", () => {
    expect(allowed(member, template("ADMIN"))).toEqual(["READ", "UPDATE", "DELETE", "USE"]);
  });
  it("no entry, no access", () => {
    expect(allowed(member, template(null))).toEqual([]);
  });
  it("an entry is worthless to someone who is not a member of the template's organization", () => {
    const outsider = compileSubject(ME, [], [{ organizationId: ORG_B, roles: [] }]);
    expect(allowed(outsider, template("ADMIN"))).toEqual([]);
  });
});

describe("canAssignRole", () => {
  const siteRoles = BUILT_IN_ROLES.filter((r) => r.scope === "site" && !r.implicit).map((r) => r.name);
  const orgRoles = BUILT_IN_ROLES.filter((r) => r.scope === "organization").map((r) => r.name);
  const assignable = (s: Subject, organizationId: string | null) =>
    [...(organizationId ? [...orgRoles, "my-custom"] : [...siteRoles, "member"])].filter((r) =>
      canAssignRole(s, r, organizationId),
    );

  it("owner: every site role, and every organization and custom role anywhere", () => {
    const owner = compileSubject(ME, ["owner"], []);
    expect(assignable(owner, null).sort()).toEqual([...siteRoles, "member"].sort());
    expect(assignable(owner, ORG_B)).toEqual([...orgRoles, "my-custom"]);
  });

  it("organization-admin: the organization roles and custom roles of its organization only", () => {
    const admin = compileSubject(ME, [], [{ organizationId: ORG_A, roles: ["organization-admin"] }]);
    expect(assignable(admin, ORG_A)).toEqual([...orgRoles, "my-custom"]);
    expect(canAssignRole(admin, "my-custom", ORG_A, true)).toBe(true);
    expect(assignable(admin, ORG_B)).toEqual([]);
    expect(assignable(admin, null)).toEqual([]);
  });

  it("user-admin: member-level roles only", () => {
    const userAdmin = compileSubject(ME, ["user-admin"], []);
    expect(assignable(userAdmin, null)).toEqual(["member"]);
    expect(assignable(userAdmin, ORG_A)).toEqual(["organization-member"]);
  });

  it("organization-user-admin: member-level roles of its organization only", () => {
    const orgUserAdmin = compileSubject(ME, [], [{ organizationId: ORG_A, roles: ["organization-user-admin"] }]);
    expect(assignable(orgUserAdmin, ORG_A)).toEqual(["organization-member"]);
    expect(assignable(orgUserAdmin, ORG_B)).toEqual([]);
    expect(assignable(orgUserAdmin, null)).toEqual([]);
  });

  it("everyone else: nothing", () => {
    for (const roles of [["auditor"], ["template-admin"], []]) {
      const s = compileSubject(ME, roles, [
        { organizationId: ORG_A, roles: ["organization-auditor", "organization-template-admin"] },
      ]);
      expect(assignable(s, null)).toEqual([]);
      expect(assignable(s, ORG_A)).toEqual([]);
    }
  });

  it("unassignableRoleChanges names only the added or removed roles the subject may not assign", () => {
    const admin = compileSubject(ME, [], [{ organizationId: ORG_A, roles: ["organization-admin"] }]);
    expect(unassignableRoleChanges(admin, ORG_A, ["organization-auditor"], ["organization-auditor", "ops"])).toEqual(
      [],
    );
    const orgUserAdmin = compileSubject(ME, [], [{ organizationId: ORG_A, roles: ["organization-user-admin"] }]);
    expect(
      unassignableRoleChanges(
        orgUserAdmin,
        ORG_A,
        ["organization-auditor", "ops"],
        ["organization-auditor", "organization-admin"],
      ),
    ).toEqual(["organization-admin", "ops"]);
    expect(unassignableRoleChanges(orgUserAdmin, ORG_B, [], ["organization-member"])).toEqual(["organization-member"]);
  });

  it("never across scopes: site roles inside an organization, organization roles at site level", () => {
    const owner = compileSubject(ME, ["owner"], []);
    expect(canAssignRole(owner, "auditor", ORG_A)).toBe(false);
    expect(canAssignRole(owner, "organization-admin", null)).toBe(false);
    expect(canAssignRole(owner, "my-custom", null, true)).toBe(false);
  });
});

// ---- scopeOf agrees with can, for random subjects and objects

const ORGS = [ORG_A, ORG_B, "00000000-0000-4000-8000-0000000000c3"];
const CUSTOM_INDEX: CustomRoleIndex = new Map(
  ORGS.map((org, i) => [
    org,
    new Map([
      ["custom-x", ALL_PERMISSIONS.filter((p, j) => ORGANIZATION_RESOURCES.includes(p.resource) && j % 3 === i)],
    ]),
  ]),
);

const arbSubject = fc
  .record({
    siteRoles: fc.subarray(BUILT_IN_ROLES.filter((r) => r.scope === "site").map((r) => r.name)),
    memberships: fc.uniqueArray(
      fc.record({
        organizationId: fc.constantFrom(...ORGS),
        roles: fc.subarray([
          ...BUILT_IN_ROLES.filter((r) => r.scope === "organization").map((r) => r.name),
          "custom-x",
        ]),
      }),
      { selector: (m) => m.organizationId, maxLength: ORGS.length },
    ),
  })
  .map(({ siteRoles, memberships }) => compileSubject(ME, siteRoles, memberships as MembershipInput[], CUSTOM_INDEX));

const arbObject = fc.record({
  permission: fc.constantFrom(...ALL_PERMISSIONS),
  organizationId: fc.option(fc.constantFrom(...ORGS), { nil: undefined }),
  ownerId: fc.option(fc.constantFrom(ME, OTHER_USER), { nil: undefined }),
});

describe("scopeOf", () => {
  it("allows exactly what can allows (random subjects and objects)", () => {
    fc.assert(
      fc.property(arbSubject, arbObject, (subject, { permission, organizationId, ownerId }) => {
        const scope = scopeOf(subject, permission.resource, permission.action);
        const own = ownerId === ME;
        const byScope =
          scope.all ||
          (organizationId !== undefined && scope.organizationIds.includes(organizationId)) ||
          (organizationId !== undefined && own && scope.ownInOrganizationIds.includes(organizationId)) ||
          (organizationId === undefined && own && scope.ownOutsideOrganizations);
        const object = { type: permission.resource, organizationId, ownerId };
        return byScope === can(subject, permission.action, object);
      }),
      { numRuns: 3000 },
    );
  });

  it("permissionsIn lists exactly the organization permissions can allows there", () => {
    fc.assert(
      fc.property(arbSubject, fc.constantFrom(...ORGS), (subject, organizationId) => {
        const listed = new Set(permissionsIn(subject, organizationId).map((p) => permissionKey(p.resource, p.action)));
        return ALL_PERMISSIONS.filter((p) => ORGANIZATION_RESOURCES.includes(p.resource)).every(
          (p) =>
            listed.has(permissionKey(p.resource, p.action)) ===
            (can(subject, p.action, { type: p.resource, organizationId }) ||
              can(subject, p.action, { type: p.resource, organizationId, ownerId: ME })),
        );
      }),
      { numRuns: 500 },
    );
  });
});

it("the registry only uses known actions", () => {
  for (const p of ALL_PERMISSIONS) expect(ACTIONS).toContain(p.action);
});

describe("stored custom role permissions", () => {
  it("keep only what a custom role may grant, whatever the row holds", () => {
    expect(storedPermissions({ resource: "GROUP", action: "READ" })).toEqual([]);
    expect(
      storedPermissions([
        { resource: "GROUP", action: "READ", extra: 1 },
        { resource: "USER", action: "CREATE" },
        { resource: "ORGANIZATION", action: "DELETE" },
        { resource: "GROUP", action: "constructor" },
        { resource: "__proto__", action: "READ" },
        { resource: "TEMPLATE", action: "UPDATE", negate: true },
        "GROUP:READ",
        null,
      ]),
    ).toEqual([
      { resource: "GROUP", action: "READ" },
      { resource: "TEMPLATE", action: "UPDATE", negate: true },
    ]);
  });
});
