// Turns evaluator scopes into Prisma `where` fragments, so lists are filtered in SQL before
// pagination and counting.
import { type Subject, scopeOf } from "./evaluator.js";
import type { Action, ResourceType } from "./permissions.js";

type Where = Record<string, unknown>;

/**
 * Combines conditions so none can overwrite another. Always use this to add an authorization
 * filter to a query: spreading one into an object with the same key (`{ id, ...filter }`) would
 * silently replace the caller's condition.
 */
export function allOf<T extends Where>(...conditions: Where[]): T {
  const kept = conditions.filter((c) => Object.keys(c).length > 0);
  return (kept.length === 1 ? kept[0] : { AND: kept }) as T;
}

/** Matches nothing: an `in` over an empty list. */
const NOTHING = { id: { in: [] as string[] } };

/**
 * Rows of an organization-scoped table the subject may act on. `ownerField` names the column
 * holding the owner's user id, for resources the subject may act on only when they own them.
 */
export function organizationScopedWhere(
  subject: Subject,
  resource: ResourceType,
  action: Action,
  ownerField?: string,
): Record<string, unknown> {
  const scope = scopeOf(subject, resource, action);
  if (scope.all) return {};
  const branches: Record<string, unknown>[] = [];
  if (scope.organizationIds.length > 0) branches.push({ organizationId: { in: scope.organizationIds } });
  if (ownerField && scope.ownInOrganizationIds.length > 0) {
    branches.push({ organizationId: { in: scope.ownInOrganizationIds }, [ownerField]: subject.userId });
  }
  if (branches.length === 0) return NOTHING;
  return branches.length === 1 ? (branches[0] as Record<string, unknown>) : { OR: branches };
}

/** Organizations themselves, by id. */
export function organizationWhere(subject: Subject, action: Action = "READ"): Record<string, unknown> {
  const scope = scopeOf(subject, "ORGANIZATION", action);
  return scope.all ? {} : { id: { in: scope.organizationIds } };
}

/** Users: all with site-level USER READ; otherwise oneself and members of organizations whose members one may read. */
export function userWhere(subject: Subject): Record<string, unknown> {
  if (scopeOf(subject, "USER", "READ").all) return {};
  const memberScope = scopeOf(subject, "ORGANIZATION_MEMBER", "READ");
  if (memberScope.all) return {};
  const branches: Record<string, unknown>[] = [{ id: subject.userId }];
  if (memberScope.organizationIds.length > 0) {
    branches.push({ memberships: { some: { organizationId: { in: memberScope.organizationIds } } } });
  }
  return { OR: branches };
}
