// Why the evaluator decided what it did. `explain` walks the same levels as `verdictOf`
// (evaluator.ts) in the same order, but from the role data (roles.ts, the subject's custom role
// definitions) rather than from the compiled grant sets, naming at each level the roles held, what
// each says about the permission (a negation named as such), which level decided and, when a level
// did not apply, why. `can` never builds a trail: this runs only when an explanation is asked for
// (explainPermission, checkPermissions' reason, a FORBIDDEN error's reason).
// test/unit/authz-explain.test.ts proves it agrees with `verdictOf`, deciding level included.
import {
  type AuthzObject,
  aclAllows,
  LEVELS,
  type Level,
  type Subject,
  type TemplateAclRole,
  verdictOf,
} from "./evaluator.js";
import type { Action, Permission, ResourceType } from "./permissions.js";
import { type BuiltInRole, builtInRole, ORGANIZATION_ROLES, SITE_ROLES } from "./roles.js";

export type Effect = "ALLOW" | "DENY";

/** Why a level did not allow, or was not consulted. */
export const ACCESS_REASONS = [
  "DECIDED_EARLIER",
  "NO_ROLE_GRANTS",
  "NEGATED",
  "WORKSPACE_CREATION_BAN",
  "NOT_IN_AN_ORGANIZATION",
  "NOT_A_MEMBER",
  "NO_OWNER",
  "OWNED_BY_SOMEONE_ELSE",
  "NOT_A_TEMPLATE",
  "NO_ACL_ENTRY",
  "EVERYONE_ACCESS_DISABLED",
  "ACL_ROLE_INSUFFICIENT",
] as const;
export type AccessReason = (typeof ACCESS_REASONS)[number];

/** A role held at a level, and what it says about the permission asked. */
export type HeldRole = {
  name: string;
  custom: boolean;
  /** Null when the role says nothing about the permission. */
  effect: Effect | null;
  /** The role's entry that decided its effect (negate: true for a denial). */
  permission: Permission | null;
};

export type TrailEntry = {
  level: Level;
  /** False when an earlier level decided, or the level does not apply to the object. */
  consulted: boolean;
  roles: HeldRole[];
  /** The ACL role held on the template (TEMPLATE_ACL level only). */
  aclRole: TemplateAclRole | null;
  verdict: Effect | null;
  deciding: boolean;
  /** Why the level did not allow (null when it allowed). */
  reason: AccessReason | null;
};

export type Explanation = {
  allowed: boolean;
  resource: ResourceType;
  action: Action;
  /** The level whose verdict was final; null when no level decided (refused). */
  decidedBy: Level | null;
  trail: TrailEntry[];
  /** Every reason of the trail, in trail order, without DECIDED_EARLIER. */
  reasons: AccessReason[];
};

/** What the object's rows tell beyond the authorization object. */
export type ExplainContext = {
  /** Templates: whether the organization's Everyone group has an ACL entry on it. */
  everyoneAccess?: boolean;
};

const BAN_ROLE = "organization-workspace-creation-ban";

function effectOf(permissions: readonly Permission[] | undefined, resource: ResourceType, action: Action) {
  let granted: Permission | null = null;
  for (const p of permissions ?? []) {
    if (p.resource !== resource || p.action !== action) continue;
    if (p.negate) return { effect: "DENY" as const, permission: { resource, action, negate: true } };
    granted = { resource, action, negate: false };
  }
  return granted ? { effect: "ALLOW" as const, permission: granted } : { effect: null, permission: null };
}

type LevelOf = (role: BuiltInRole) => readonly Permission[] | undefined;

function held(
  names: readonly string[],
  resource: ResourceType,
  action: Action,
  levelOf: LevelOf,
  custom?: ReadonlyMap<string, readonly Permission[]>,
): HeldRole[] {
  return names.map((name) => {
    const role = builtInRole(name);
    if (role) return { name, custom: false, ...effectOf(levelOf(role), resource, action) };
    // Custom roles grant at organization level only; a deleted one grants nothing.
    return { name, custom: true, ...effectOf(custom?.get(name), resource, action) };
  });
}

function verdictOfRoles(roles: readonly HeldRole[]): Effect | null {
  if (roles.some((r) => r.effect === "DENY")) return "DENY";
  return roles.some((r) => r.effect === "ALLOW") ? "ALLOW" : null;
}

function denialReason(roles: readonly HeldRole[]): AccessReason {
  return roles.some((r) => r.effect === "DENY" && r.name === BAN_ROLE) ? "WORKSPACE_CREATION_BAN" : "NEGATED";
}

const entry = (level: Level, fields: Partial<TrailEntry> = {}): TrailEntry => ({
  level,
  consulted: false,
  roles: [],
  aclRole: null,
  verdict: null,
  deciding: false,
  reason: null,
  ...fields,
});

/** A consulted level's entry from the roles held there. */
function fromRoles(level: Level, roles: HeldRole[]): TrailEntry {
  const verdict = verdictOfRoles(roles);
  const reason = verdict === "ALLOW" ? null : verdict === "DENY" ? denialReason(roles) : "NO_ROLE_GRANTS";
  return entry(level, { consulted: true, roles, verdict, deciding: verdict !== null, reason });
}

/** The decision trail of `can(subject, action, object)`, level by level, in evaluation order. */
export function explain(
  subject: Subject,
  action: Action,
  object: AuthzObject,
  context: ExplainContext = {},
): Explanation {
  const resource = object.type;
  const orgId = object.organizationId ?? undefined;
  const membership = orgId === undefined ? undefined : subject.organizations.get(orgId);
  const trail: TrailEntry[] = [];
  let decided = false;
  const push = (next: TrailEntry): void => {
    trail.push(next);
    decided ||= next.deciding;
  };
  const skipped = (level: Level, reason: AccessReason) => push(entry(level, { reason }));

  // Site: the site roles (the implicit member included), at site level.
  push(
    fromRoles(
      "SITE",
      held(subject.siteRoles, resource, action, (r) => r.site),
    ),
  );

  // Organization: the roles of the membership in the object's organization.
  if (decided) skipped("ORGANIZATION", "DECIDED_EARLIER");
  else if (orgId === undefined) skipped("ORGANIZATION", "NOT_IN_AN_ORGANIZATION");
  else if (!membership) skipped("ORGANIZATION", "NOT_A_MEMBER");
  else {
    const custom = subject.customRoles.get(orgId);
    push(
      fromRoles(
        "ORGANIZATION",
        held(membership.roles, resource, action, (r) => r.org, custom),
      ),
    );
  }

  // Member: the holder's own objects, in that organization while a member (outside organizations
  // for users and API tokens).
  if (decided) skipped("MEMBER", "DECIDED_EARLIER");
  else if (!object.ownerId) skipped("MEMBER", "NO_OWNER");
  else if (object.ownerId !== subject.userId) skipped("MEMBER", "OWNED_BY_SOMEONE_ELSE");
  else if (orgId === undefined)
    push(
      fromRoles(
        "MEMBER",
        held(subject.siteRoles, resource, action, (r) => r.member),
      ),
    );
  else if (!membership) skipped("MEMBER", "NOT_A_MEMBER");
  else
    push(
      fromRoles(
        "MEMBER",
        held(membership.roles, resource, action, (r) => r.member, new Map()),
      ),
    );

  // Template ACL: members of the template's organization only.
  if (decided) skipped("TEMPLATE_ACL", "DECIDED_EARLIER");
  else if (resource !== "TEMPLATE") skipped("TEMPLATE_ACL", "NOT_A_TEMPLATE");
  else if (!membership) skipped("TEMPLATE_ACL", orgId === undefined ? "NOT_IN_AN_ORGANIZATION" : "NOT_A_MEMBER");
  else if (!object.aclRole) {
    skipped("TEMPLATE_ACL", context.everyoneAccess === false ? "EVERYONE_ACCESS_DISABLED" : "NO_ACL_ENTRY");
  } else {
    const allows = aclAllows(object.aclRole, action);
    push(
      entry("TEMPLATE_ACL", {
        consulted: true,
        aclRole: object.aclRole,
        verdict: allows ? "ALLOW" : "DENY",
        deciding: true,
        reason: allows ? null : "ACL_ROLE_INSUFFICIENT",
      }),
    );
  }

  const deciding = trail.find((e) => e.deciding);
  return {
    allowed: deciding?.verdict === "ALLOW",
    resource,
    action,
    decidedBy: deciding?.level ?? null,
    trail,
    reasons: [...new Set(trail.flatMap((e) => (e.reason && e.reason !== "DECIDED_EARLIER" ? [e.reason] : [])))],
  };
}

/** The level `verdictOf` reports as deciding, by name (null: none decided). */
export function decidingLevel(subject: Subject, action: Action, object: AuthzObject): Level | null {
  const verdict = verdictOf(subject, action, object);
  return verdict === 0 ? null : (LEVELS[Math.abs(verdict) - 1] ?? null);
}

const permissionCount = (role: BuiltInRole) =>
  (role.site?.length ?? 0) + (role.org?.length ?? 0) + (role.member?.length ?? 0);

/**
 * The built-in role with the fewest permissions that would grant the permission on the object:
 * an organization role for objects in an organization (granting there, or on one's own objects
 * when the object is the holder's), else a site role; null when none would.
 */
export function nearestRole(subject: Subject, action: Action, object: AuthzObject): BuiltInRole | null {
  const grants = (permissions: readonly Permission[] | undefined) =>
    effectOf(permissions, object.type, action).effect === "ALLOW";
  const own = !!object.ownerId && object.ownerId === subject.userId;
  const candidates = [
    ...(object.organizationId
      ? ORGANIZATION_ROLES.filter((r) => !r.implicit && (grants(r.org) || (own && grants(r.member))))
      : []),
    ...SITE_ROLES.filter((r) => !r.implicit && (grants(r.site) || (own && !object.organizationId && grants(r.member)))),
  ];
  const scoped = candidates.filter((r) => r.scope === candidates[0]?.scope);
  return scoped.sort((a, b) => permissionCount(a) - permissionCount(b))[0] ?? null;
}

const LEVEL_WORDS: Record<Level, string> = {
  SITE: "site role",
  ORGANIZATION: "organization role",
  MEMBER: "own-object grant of",
  TEMPLATE_ACL: "template ACL role",
};

const REASON_WORDS: Partial<Record<AccessReason, string>> = {
  NOT_A_MEMBER: "not a member of the organization",
  OWNED_BY_SOMEONE_ELSE: "owned by someone else",
  NO_ACL_ENTRY: "no template ACL entry",
  EVERYONE_ACCESS_DISABLED: "Everyone's access to the template is disabled",
};

/** The level that denied by a role's negation, if any: no role added would lift it. */
const negatedBy = (explanation: Explanation) =>
  explanation.trail.find((e) => e.deciding && e.verdict === "DENY" && e.level !== "TEMPLATE_ACL");

/**
 * One sentence: what allowed, or what denied (the negating role), or the missing permission and
 * the nearest role that would grant it; with that role's name (null when allowed, negated, or no
 * role would). Names only the subject's own roles and built-in role names.
 */
export function shortReason(
  subject: Subject,
  action: Action,
  object: AuthzObject,
  explanation = explain(subject, action, object),
): { reason: string; nearestRole: string | null } {
  const { resource } = explanation;
  const deciding = explanation.trail.find((e) => e.deciding);
  if (explanation.allowed && deciding) {
    if (deciding.level === "TEMPLATE_ACL")
      return { reason: `Allowed by template ACL role ${deciding.aclRole}.`, nearestRole: null };
    const roles = deciding.roles.filter((r) => r.effect === "ALLOW").map((r) => r.name);
    return { reason: `Allowed by ${LEVEL_WORDS[deciding.level]} ${roles.join(", ")}.`, nearestRole: null };
  }
  const negated = negatedBy(explanation);
  if (negated) {
    const roles = negated.roles.filter((r) => r.effect === "DENY").map((r) => r.name);
    return { reason: `Denied by ${roles.join(", ")} (negates ${action} on ${resource}).`, nearestRole: null };
  }
  const why = explanation.reasons.flatMap((r) => REASON_WORDS[r] ?? []);
  if (deciding?.level === "TEMPLATE_ACL") why.unshift(`template ACL role ${deciding.aclRole} does not allow it`);
  const nearest = nearestRole(subject, action, object)?.name ?? null;
  const reason = [
    `Missing ${action} on ${resource}`,
    why.length > 0 ? ` (${why.join("; ")})` : "",
    nearest ? `; ${nearest} would grant it.` : ".",
  ].join("");
  return { reason, nearestRole: nearest };
}
