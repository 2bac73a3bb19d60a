// Loads what the evaluator needs about a user: site roles (on the user row), memberships with
// their role names, and the definitions of any custom roles among them.
import type { PrismaClient, User } from "../generated/prisma/client.js";
import { type CustomRoleIndex, compileSubject, type Subject } from "./evaluator.js";
import type { Permission } from "./permissions.js";
import { builtInRole } from "./roles.js";

export async function loadSubject(prisma: PrismaClient, user: Pick<User, "id" | "siteRoles">): Promise<Subject> {
  const memberships = await prisma.organizationMember.findMany({
    where: { userId: user.id },
    select: { organizationId: true, roles: true },
  });
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
      byName.set(row.name, row.permissions as Permission[]);
      customRoles.set(row.organizationId, byName);
    }
  }
  return compileSubject(user.id, user.siteRoles, memberships, customRoles as CustomRoleIndex);
}
