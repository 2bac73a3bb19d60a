// The one evaluator. A Subject is compiled once per request from the actor's roles; `can`
// answers single checks, `scopeOf` answers "where" for list queries (turned into Prisma filters
// by the modules), and both read the same grants, so a list never shows what `can` would refuse.
//
// Levels are checked from the widest to the narrowest: site, then organization, then the
// subject's own objects. At each level a denial refuses and a grant allows; otherwise the next
// level decides. Template ACL entries are consulted last.
import {
  type Action,
  ALL_PERMISSIONS,
  type Permission,
  type PermissionKey,
  permissionKey,
  type ResourceType,
} from "./permissions.js";
import {
  ASSIGNABLE_SITE_ROLE_NAMES,
  type BuiltInRole,
  builtInRole,
  CUSTOM,
  isImplicitRole,
  ORGANIZATION_RESOURCES,
} from "./roles.js";

type Grants = { allow: Set<PermissionKey>; deny: Set<PermissionKey> };
type OrganizationGrants = { roles: readonly string[]; org: Grants; member: Grants };

export type Subject = Readonly<{
  userId: string;
  /** Site roles, the implicit `member` included. */
  siteRoles: readonly string[];
  site: Grants;
  member: Grants;
  /** One entry per organization the subject is a member of. */
  organizations: ReadonlyMap<string, OrganizationGrants>;
  /** The custom role definitions the grants were compiled from (for `explain`). */
  customRoles: CustomRoleIndex;
}>;

export type TemplateAclRole = "USE" | "ADMIN";

export type AuthzObject = {
  type: ResourceType;
  organizationId?: string | null;
  ownerId?: string | null;
  /** For templates: the best ACL role the subject holds on it, directly or through a group. */
  aclRole?: TemplateAclRole | null;
};

export type MembershipInput = { organizationId: string; roles: readonly string[] };
/** Custom role permissions by organization id, then role name. */
export type CustomRoleIndex = ReadonlyMap<string, ReadonlyMap<string, readonly Permission[]>>;

const emptyGrants = (): Grants => ({ allow: new Set(), deny: new Set() });

type KeyLists = { allow: PermissionKey[]; deny: PermissionKey[] };
// Role permission lists are long-lived (built-in roles, loaded custom roles): their keys are
// computed once per list, which makes compiling a subject several times cheaper.
const keyLists = new WeakMap<readonly Permission[], KeyLists>();

function keysOf(permissions: readonly Permission[]): KeyLists {
  let lists = keyLists.get(permissions);
  if (!lists) {
    lists = { allow: [], deny: [] };
    for (const p of permissions) (p.negate ? lists.deny : lists.allow).push(permissionKey(p.resource, p.action));
    keyLists.set(permissions, lists);
  }
  return lists;
}

function add(grants: Grants, permissions: readonly Permission[] | undefined): void {
  if (!permissions) return;
  const { allow, deny } = keysOf(permissions);
  for (const key of allow) grants.allow.add(key);
  for (const key of deny) grants.deny.add(key);
}

export function compileSubject(
  userId: string,
  storedSiteRoles: readonly string[],
  memberships: readonly MembershipInput[],
  customRoles: CustomRoleIndex = new Map(),
): Subject {
  // Only site role names count at site level: anything else stored there grants nothing.
  const stored = storedSiteRoles.filter((r) => r !== "member" && builtInRole(r)?.scope === "site");
  const siteRoles = ["member", ...new Set(stored)];
  const site = emptyGrants();
  const member = emptyGrants();
  for (const name of siteRoles) {
    const role = builtInRole(name);
    add(site, role?.site);
    add(member, role?.member);
  }
  const organizations = new Map<string, OrganizationGrants>();
  for (const m of memberships) {
    // A site role name stored on a membership grants nothing there (nor the right to assign).
    const explicit = m.roles.filter((r) => r !== "organization-member" && builtInRole(r)?.scope !== "site");
    const roles = ["organization-member", ...explicit];
    const org = emptyGrants();
    const own = emptyGrants();
    for (const name of roles) {
      const role = builtInRole(name);
      if (role) {
        add(org, role.org);
        add(own, role.member);
      } else {
        add(org, customRoles.get(m.organizationId)?.get(name));
      }
    }
    organizations.set(m.organizationId, { roles, org, member: own });
  }
  return { userId, siteRoles, site, member, organizations, customRoles };
}

/**
 * The user id of a subject that is no user (SCIM): the nil UUID, which no row has (user ids are
 * version 7 UUIDs), so "own object" checks and filters by owner match nothing.
 */
export const NO_USER_ID = "00000000-0000-0000-0000-000000000000";

/**
 * The subject of a built-in actor without a user (SCIM): the role's site grants, and its `org`
 * grants in `organizationIds` only. No implicit roles, nothing of its own.
 */
export function compileSystemSubject(role: BuiltInRole, organizationIds: readonly string[]): Subject {
  const site = emptyGrants();
  add(site, role.site);
  const organizations = new Map<string, OrganizationGrants>();
  for (const organizationId of organizationIds) {
    const org = emptyGrants();
    add(org, role.org);
    organizations.set(organizationId, { roles: [role.name], org, member: emptyGrants() });
  }
  return {
    userId: NO_USER_ID,
    siteRoles: [role.name],
    site,
    member: emptyGrants(),
    organizations,
    customRoles: new Map(),
  };
}

type Verdict = "allow" | "deny" | undefined;

function decide(grants: Grants, key: PermissionKey): Verdict {
  if (grants.deny.has(key)) return "deny";
  if (grants.allow.has(key)) return "allow";
  return undefined;
}

export const ACL_ACTIONS: Readonly<Record<TemplateAclRole, readonly Action[]>> = {
  USE: ["READ", "USE"],
  ADMIN: ["READ", "USE", "UPDATE", "DELETE"],
};

/**
 * The levels of an evaluation, in order. `verdictOf` answers which one decided: +level for a
 * grant, -level for a denial, 0 when none did (refused). `explain` (explain.ts) reports the same
 * level with the roles behind it.
 */
export const LEVELS = ["SITE", "ORGANIZATION", "MEMBER", "TEMPLATE_ACL"] as const;
export type Level = (typeof LEVELS)[number];
export const SITE = 1;
export const ORGANIZATION = 2;
export const MEMBER = 3;
export const TEMPLATE_ACL = 4;

/** Which level decided and how, as a small integer (no allocation on the hot path of `can`). */
export function verdictOf(subject: Subject, action: Action, object: AuthzObject): number {
  const key = permissionKey(object.type, action);
  const siteVerdict = decide(subject.site, key);
  if (siteVerdict) return siteVerdict === "allow" ? SITE : -SITE;

  const orgId = object.organizationId ?? undefined;
  const membership = orgId === undefined ? undefined : subject.organizations.get(orgId);
  if (membership) {
    const orgVerdict = decide(membership.org, key);
    if (orgVerdict) return orgVerdict === "allow" ? ORGANIZATION : -ORGANIZATION;
  }

  if (object.ownerId && object.ownerId === subject.userId) {
    // Organization objects count as "own" only while their owner is a member there.
    const ownVerdict = orgId === undefined ? decide(subject.member, key) : membership && decide(membership.member, key);
    if (ownVerdict) return ownVerdict === "allow" ? MEMBER : -MEMBER;
  }

  if (object.type === "TEMPLATE" && object.aclRole && membership) {
    return aclAllows(object.aclRole, action) ? TEMPLATE_ACL : -TEMPLATE_ACL;
  }
  return 0;
}

/** Whether a template ACL role allows the action. */
export const aclAllows = (role: TemplateAclRole, action: Action): boolean => ACL_ACTIONS[role].includes(action);

/** Whether the subject may perform `action` on `object`. */
export function can(subject: Subject, action: Action, object: AuthzObject): boolean {
  return verdictOf(subject, action, object) > 0;
}

/**
 * Whether the subject may read a user's account details (email, status, login type, site roles,
 * organizations): USER READ (at site level, or on one's own user), or ORGANIZATION_MEMBER READ
 * everywhere or in an organization the user belongs to. The users list filter (`userWhere`)
 * applies the same rule in SQL.
 */
export function canReadUser(subject: Subject, user: { id: string; organizationIds: readonly string[] }): boolean {
  if (can(subject, "READ", { type: "USER", ownerId: user.id })) return true;
  if (can(subject, "READ", { type: "ORGANIZATION_MEMBER" })) return true;
  return user.organizationIds.some((organizationId) =>
    can(subject, "READ", { type: "ORGANIZATION_MEMBER", organizationId }),
  );
}

/** Where a subject may perform an action, for building list filters. */
export type Scope = {
  /** Everywhere: no filter needed. */
  all: boolean;
  /** Organizations where every object of the type is allowed. */
  organizationIds: string[];
  /** Organizations where the subject's own objects are allowed. */
  ownInOrganizationIds: string[];
  /** The subject's own objects outside organizations (users, API tokens). */
  ownOutsideOrganizations: boolean;
};

export function scopeOf(subject: Subject, resource: ResourceType, action: Action): Scope {
  const key = permissionKey(resource, action);
  const siteVerdict = decide(subject.site, key);
  const scope: Scope = {
    all: siteVerdict === "allow",
    organizationIds: [],
    ownInOrganizationIds: [],
    ownOutsideOrganizations: false,
  };
  if (siteVerdict) return scope;
  scope.ownOutsideOrganizations = decide(subject.member, key) === "allow";
  for (const [orgId, grants] of subject.organizations) {
    const orgVerdict = decide(grants.org, key);
    if (orgVerdict === "allow") scope.organizationIds.push(orgId);
    else if (orgVerdict === undefined && decide(grants.member, key) === "allow") {
      scope.ownInOrganizationIds.push(orgId);
    }
  }
  return scope;
}

const ORGANIZATION_PERMISSIONS = ALL_PERMISSIONS.filter((p) => ORGANIZATION_RESOURCES.includes(p.resource));

/**
 * Every permission on organization resources the subject holds in an organization, on all its
 * objects or on its own ones, after denials. Site-only resources (users, API keys, site role
 * assignment) are left out: they are not "in" an organization.
 */
export function permissionsIn(subject: Subject, organizationId: string): Permission[] {
  return ORGANIZATION_PERMISSIONS.filter(
    (p) =>
      can(subject, p.action, { type: p.resource, organizationId }) ||
      can(subject, p.action, { type: p.resource, organizationId, ownerId: subject.userId }),
  ).map((p) => ({ resource: p.resource, action: p.action, negate: false }));
}

/**
 * Whether the subject may give or take away a role. `organizationId` is null for site roles and
 * names the organization for organization roles; a name that is not built in is a custom role of
 * that organization (`custom` forces that reading). A site role is never assignable inside an
 * organization, nor an organization role at site level.
 */
export function canAssignRole(
  subject: Subject,
  roleName: string,
  organizationId: string | null,
  custom = false,
): boolean {
  const builtIn = custom ? undefined : builtInRole(roleName);
  const scope = builtIn ? builtIn.scope : "organization";
  if ((organizationId === null) !== (scope === "site")) return false;
  const target = builtIn ? roleName : CUSTOM;
  const held = [
    ...subject.siteRoles,
    ...(organizationId ? (subject.organizations.get(organizationId)?.roles ?? []) : []),
  ];
  return held.some((name) => builtInRole(name)?.assigns.includes(target));
}

/**
 * Whether the subject may change, suspend or delete a user holding these site roles: only if it
 * could assign each of them itself, so nobody acts on a user with powers they cannot grant.
 */
export function mayManageUserWithRoles(subject: Subject, siteRoles: readonly string[]): boolean {
  return siteRoles.every((role) => isImplicitRole(role) || canAssignRole(subject, role, null));
}

/**
 * Whether the subject may change another user's email: only who may assign every site role (the
 * owner). OIDC and SCIM link accounts by email, so an address set by anyone else could route
 * another person's identity into an account.
 */
export function mayChangeEmails(subject: Subject): boolean {
  return ASSIGNABLE_SITE_ROLE_NAMES.every((role) => canAssignRole(subject, role, null));
}

export function isOrganizationMember(subject: Subject, organizationId: string): boolean {
  return subject.organizations.has(organizationId);
}

/**
 * The roles a change of role set (from → to) adds or removes that the subject may not assign,
 * for role-assignment services: empty when the whole change is allowed.
 */
export function unassignableRoleChanges(
  subject: Subject,
  organizationId: string | null,
  from: readonly string[],
  to: readonly string[],
): string[] {
  const changed = [...to.filter((r) => !from.includes(r)), ...from.filter((r) => !to.includes(r))];
  return [...new Set(changed)].filter((role) => !canAssignRole(subject, role, organizationId));
}
