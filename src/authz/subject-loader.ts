// Loads what the evaluator needs about a user: site roles (on the user row), memberships with
// their role names, and the definitions of any custom roles among them.
import type { MembershipRoles } from "../auth/actor.js";
import type { PrismaClient, User } from "../generated/prisma/client.js";
import { type CustomRoleIndex, compileSubject, type Subject } from "./evaluator.js";
import type { Permission } from "./permissions.js";
import { builtInRole, customRolePermissionProblem } from "./roles.js";

/**
 * A custom role's stored permissions, keeping only grants a custom role may hold: a row written
 * by hand or by an older version can never widen what the role grants.
 */
export function storedPermissions(json: unknown): Permission[] {
  if (!Array.isArray(json)) return [];
  return (
    json
      .filter(
        (p): p is Permission =>
          typeof p === "object" &&
          p !== null &&
          typeof p.resource === "string" &&
          typeof p.action === "string" &&
          customRolePermissionProblem(p.resource, p.action) === undefined,
      )
      // A stored denial stays a denial (it can only narrow); nothing else of the entry is kept.
      .map(({ resource, action, negate }) => (negate === true ? { resource, action, negate } : { resource, action }))
  );
}

/** `known` memberships (read with the credential) spare the query. */
export async function loadSubject(
  prisma: PrismaClient,
  user: Pick<User, "id" | "siteRoles">,
  known?: readonly MembershipRoles[],
): Promise<Subject> {
  const memberships =
    known ??
    (await prisma.organizationMember.findMany({
      where: { userId: user.id },
      select: { organizationId: true, roles: true },
    }));
  const customNames = memberships.flatMap((m) =>
    m.roles.filter((r) => !builtInRole(r)).map((name) => ({ organizationId: m.organizationId, name })),
  );
  const customRoles = new Map<string, Map<string, readonly Permission[]>>();
  if (customNames.length > 0) {
    const rows = await prisma.customRole.findMany({
      where: { OR: customNames },
      select: { organizationId: true, name: true, permissions: true },
    });
    for (const row of rows) {
      const byName = customRoles.get(row.organizationId) ?? new Map<string, readonly Permission[]>();
      byName.set(row.name, storedPermissions(row.permissions));
      customRoles.set(row.organizationId, byName);
    }
  }
  return compileSubject(user.id, user.siteRoles, memberships, customRoles as CustomRoleIndex);
}
