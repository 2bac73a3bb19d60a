// Turns evaluator scopes into Prisma `where` fragments, so lists are filtered in SQL before
// pagination and counting.
//
// Every fragment is {} (no restriction) or a single top-level AND (organizations, organization
// rows) or OR (users) condition, never a field key: spreading one next to a caller's own field
// conditions (`{ id, ...scoped }`, `{ organizationId, ...scoped }`) can
// then never override them. Still, prefer `allOf(a, b)` to combine conditions.
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

/** Matches no row of an organization-scoped table (all have organizationId; not all have id). */
const NOTHING: Where = { AND: [{ organizationId: { in: [] as string[] } }] };

const all = (...conditions: Where[]): Where => ({ AND: conditions });

/**
 * Rows of an organization-scoped table the subject may act on. `ownerField` names the column
 * holding the owner's user id, for resources the subject may act on only when they own them.
 */
export function organizationScopedWhere(
  subject: Subject,
  resource: ResourceType,
  action: Action,
  ownerField?: string,
): Where {
  const scope = scopeOf(subject, resource, action);
  if (scope.all) return {};
  const branches: Where[] = [];
  if (scope.organizationIds.length > 0) branches.push({ organizationId: { in: scope.organizationIds } });
  if (ownerField && scope.ownInOrganizationIds.length > 0) {
    branches.push({ organizationId: { in: scope.ownInOrganizationIds }, [ownerField]: subject.userId });
  }
  if (branches.length === 0) return NOTHING;
  return all(branches.length === 1 ? (branches[0] as Where) : { OR: branches });
}
