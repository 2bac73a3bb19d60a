// "Who can?": the users for whom `can(subject, action, object)` is true, as one Prisma `where` on
// User, built from the same role data as the evaluator (roles.ts and the organization's custom
// role definitions), level by level in the evaluator's order: site roles, then the membership's
// roles in the object's organization, then ownership, then template ACL entries (direct, through
// a group, through the Everyone group). A denial at a level refuses; a grant allows; otherwise the
// next level decides. `grantsOf` names, for a row of the answer, what allowed it, from the same
// sets. test/authz/access-review.test.ts proves the answer equals `can` for every seeded user.
import type { Prisma } from "../generated/prisma/client.js";
import { ACL_ACTIONS, type AuthzObject, type TemplateAclRole } from "./evaluator.js";
import type { Action, Permission } from "./permissions.js";
import { BUILT_IN_ROLES, type BuiltInRole, builtInRole } from "./roles.js";

type Where = Prisma.UserWhereInput;
type MemberWhere = Prisma.OrganizationMemberWhereInput;
/** A condition, simplified while built: true and false never reach Prisma. */
type Cond<W> = boolean | W;

function and<W>(...conditions: Cond<W>[]): Cond<W> {
  if (conditions.includes(false)) return false;
  const kept = conditions.filter((c): c is W => c !== true);
  return kept.length === 0 ? true : kept.length === 1 ? (kept[0] as W) : ({ AND: kept } as W);
}
function or<W>(...conditions: Cond<W>[]): Cond<W> {
  if (conditions.includes(true)) return true;
  const kept = conditions.filter((c): c is W => c !== false);
  return kept.length === 0 ? false : kept.length === 1 ? (kept[0] as W) : ({ OR: kept } as W);
}
function not<W>(condition: Cond<W>): Cond<W> {
  return typeof condition === "boolean" ? !condition : ({ NOT: condition } as W);
}

type Effects = { allow: string[]; deny: string[] };

/** Which of the named roles grant or deny `resource action` at a level. */
function effects(
  roles: readonly { name: string; permissions: readonly Permission[] | undefined }[],
  resource: AuthzObject["type"],
  action: Action,
): Effects {
  const result: Effects = { allow: [], deny: [] };
  for (const { name, permissions } of roles) {
    const matching = (permissions ?? []).filter((p) => p.resource === resource && p.action === action);
    if (matching.some((p) => p.negate)) result.deny.push(name);
    else if (matching.length > 0) result.allow.push(name);
  }
  return result;
}

const byLevel = (roles: readonly BuiltInRole[], level: "site" | "org" | "member") =>
  roles.map((role) => ({ name: role.name, permissions: role[level] }));

/**
 * Verdict of a level as conditions on a role-name column: `implicit` is the role every holder has
 * (member, organization-member), the others count when the column holds them.
 */
function levelConditions<W>(found: Effects, implicit: string, has: (names: string[]) => W) {
  const explicit = (names: string[]) => names.filter((n) => n !== implicit);
  const deny = or<W>(found.deny.includes(implicit), explicit(found.deny).length > 0 && has(explicit(found.deny)));
  const allow = or<W>(found.allow.includes(implicit), explicit(found.allow).length > 0 && has(explicit(found.allow)));
  return { allowed: and(not(deny), allow), undecided: and(not(deny), not(allow)) };
}

/** The template ACL roles that allow the action. */
const aclRolesAllowing = (action: Action) =>
  (Object.keys(ACL_ACTIONS) as TemplateAclRole[]).filter((role) => ACL_ACTIONS[role].includes(action));

export type WhoCanTarget = AuthzObject & {
  /** The template's id, for its ACL entries (templates only). */
  templateId?: string;
};

export type AccessRule = {
  /** The users who may perform the action on the object. */
  where: Where;
  /** Role names by level that allow (for `grantsOf`). */
  siteAllow: string[];
  orgAllow: string[];
  memberAllow: string[];
  aclRoles: TemplateAclRole[];
};

const SITE = BUILT_IN_ROLES.filter((r) => r.scope === "site");
const ORGANIZATION = BUILT_IN_ROLES.filter((r) => r.scope === "organization");

/**
 * Who may perform `action` on `object`. `customRoles` are the custom role definitions of the
 * object's organization (name → permissions), as stored (after `storedPermissions`).
 */
export function whoCan(
  object: WhoCanTarget,
  action: Action,
  customRoles: ReadonlyMap<string, readonly Permission[]> = new Map(),
): AccessRule {
  const { type } = object;
  const site = effects(byLevel(SITE, "site"), type, action);
  const siteLevel = levelConditions<Where>(site, "member", (names) => ({ siteRoles: { hasSome: names } }));
  const aclRoles = type === "TEMPLATE" && object.templateId ? aclRolesAllowing(action) : [];
  let below: Cond<Where>;
  let orgAllow: string[] = [];
  let memberAllow: string[] = [];

  if (object.organizationId) {
    const custom = [...customRoles].map(([name, permissions]) => ({ name, permissions }));
    // Custom role names never equal built-in ones (RESERVED_NAME), so one list serves both.
    const org = effects([...byLevel(ORGANIZATION, "org"), ...custom], type, action);
    const own = effects(byLevel(ORGANIZATION, "member"), type, action);
    const hasRoles = (names: string[]): MemberWhere => ({ roles: { hasSome: names } });
    const orgLevel = levelConditions<MemberWhere>(org, "organization-member", hasRoles);
    const ownLevel = levelConditions<MemberWhere>(own, "organization-member", hasRoles);
    const isOwner: Cond<MemberWhere> = object.ownerId ? { userId: object.ownerId } : false;
    const acl: Cond<MemberWhere> =
      aclRoles.length === 0
        ? false
        : or<MemberWhere>(
            { user: { templateAcls: { some: { templateId: object.templateId, role: { in: aclRoles } } } } },
            {
              groups: {
                some: { group: { templateAcls: { some: { templateId: object.templateId, role: { in: aclRoles } } } } },
              },
            },
            {
              organization: {
                groups: {
                  some: {
                    isEveryone: true,
                    templateAcls: { some: { templateId: object.templateId, role: { in: aclRoles } } },
                  },
                },
              },
            },
          );
    const afterOrg = or(and(isOwner, ownLevel.allowed), and(or(not(isOwner), ownLevel.undecided), acl));
    const membership = or(orgLevel.allowed, and(orgLevel.undecided, afterOrg));
    below =
      membership === false
        ? false
        : {
            memberships: {
              some: and<MemberWhere>({ organizationId: object.organizationId }, membership) as MemberWhere,
            },
          };
    orgAllow = org.allow;
    memberAllow = own.allow;
  } else {
    // Outside organizations: the owner's own objects, by the site roles' own-object grants.
    const own = effects(byLevel(SITE, "member"), type, action);
    const ownLevel = levelConditions<Where>(own, "member", (names) => ({ siteRoles: { hasSome: names } }));
    below = object.ownerId ? and<Where>({ id: object.ownerId }, ownLevel.allowed) : false;
    memberAllow = own.allow;
  }

  const where = or(siteLevel.allowed, and(siteLevel.undecided, below));
  return {
    where: where === true ? {} : where === false ? { id: { in: [] } } : where,
    siteAllow: site.allow,
    orgAllow,
    memberAllow,
    aclRoles,
  };
}

/** What one user's rows say about them, read for the rows of an answer (see `grantsOf`). */
export type GrantRow = {
  id: string;
  siteRoles: readonly string[];
  /** Roles of the membership in the object's organization (absent: not a member). */
  organizationRoles?: readonly string[];
  /** The user's own ACL entry on the template. */
  userAcl?: TemplateAclRole | null;
  /** Groups (the user is in) with an ACL entry on the template. */
  groupAcls?: readonly { groupId: string; groupName: string; role: TemplateAclRole }[];
  /** The Everyone group's ACL entry on the template. */
  everyoneAcl?: TemplateAclRole | null;
};

export type GrantKind = "SITE_ROLE" | "ORGANIZATION_ROLE" | "CUSTOM_ROLE" | "OWNERSHIP" | "USER_ACL" | "GROUP_ACL";
export type Grant = { kind: GrantKind; role: string; groupId?: string; groupName?: string };

/**
 * For a user of the answer: the grants at the level that allowed them (site roles, else
 * organization roles, else ownership, else ACL entries). Set intersections of the row with the
 * rule's sets: no evaluation of the user.
 */
export function grantsOf(rule: AccessRule, object: WhoCanTarget, row: GrantRow): Grant[] {
  const site = rule.siteAllow.filter((name) => name === "member" || row.siteRoles.includes(name));
  if (site.length > 0) return site.map((role) => ({ kind: "SITE_ROLE", role }));
  const held = row.organizationRoles ? ["organization-member", ...row.organizationRoles] : [];
  const org = rule.orgAllow.filter((name) => held.includes(name));
  if (org.length > 0) {
    return org.map((role) => ({ kind: builtInRole(role) ? "ORGANIZATION_ROLE" : "CUSTOM_ROLE", role }));
  }
  if (object.ownerId === row.id) {
    const ownHeld = row.organizationRoles ? held : ["member", ...row.siteRoles];
    const own = rule.memberAllow.filter((name) => ownHeld.includes(name));
    if (own.length > 0) return own.map((role) => ({ kind: "OWNERSHIP", role }));
  }
  const allowing = (role: TemplateAclRole | null | undefined): role is TemplateAclRole =>
    !!role && rule.aclRoles.includes(role);
  return [
    ...(allowing(row.userAcl) ? [{ kind: "USER_ACL" as const, role: row.userAcl }] : []),
    ...(row.groupAcls ?? [])
      .filter((g) => allowing(g.role))
      .map((g) => ({ kind: "GROUP_ACL" as const, role: g.role, groupId: g.groupId, groupName: g.groupName })),
    ...(allowing(row.everyoneAcl)
      ? [{ kind: "GROUP_ACL" as const, role: row.everyoneAcl, groupName: "Everyone" }]
      : []),
  ];
}
