// The ACL role a user holds on templates, directly or through a group, for the evaluator's
// `aclRole`. The Everyone group's members are its organization's members (Coder: implicitly
// every member), so its entries apply to a user only while they are a member there. Every
// reader of the ACL (role lookups, template reads with their entries, the list filter) uses
// these conditions.
import type { Prisma } from "../generated/prisma/client.js";
import type { TemplateAclRole } from "./evaluator.js";

type Db = Pick<Prisma.TransactionClient, "templateUserAcl" | "templateGroupAcl">;

/** The user's own ACL entries. */
export function userAclWhere(userId: string) {
  return { userId };
}

/** Entries of the groups the user is in: explicitly, or the Everyone group of an organization they are a member of. */
export function groupAclWhere(userId: string) {
  return {
    group: {
      OR: [{ members: { some: { userId } } }, { isEveryone: true, organization: { members: { some: { userId } } } }],
    },
  };
}

/** The best of some ACL roles (ADMIN over USE), or null for none. */
export function bestOf(roles: Iterable<TemplateAclRole>): TemplateAclRole | null {
  let result: TemplateAclRole | null = null;
  for (const role of roles) {
    if (role === "ADMIN") return "ADMIN";
    result = role;
  }
  return result;
}

/** The best ACL role per template id, for the templates where the user has an entry. */
export async function templateAclRoles(
  db: Db,
  userId: string,
  templateIds: readonly string[],
): Promise<Map<string, TemplateAclRole>> {
  const best = new Map<string, TemplateAclRole>();
  if (templateIds.length === 0) return best;
  const where = { templateId: { in: [...new Set(templateIds)] } };
  // Sequential on purpose: `db` may be a transaction, which runs one statement at a time.
  const direct = await db.templateUserAcl.findMany({
    where: { ...where, ...userAclWhere(userId) },
    select: { templateId: true, role: true },
  });
  const viaGroups = await db.templateGroupAcl.findMany({
    where: { ...where, ...groupAclWhere(userId) },
    select: { templateId: true, role: true },
  });
  const held = new Map<string, TemplateAclRole[]>();
  for (const { templateId, role } of [...direct, ...viaGroups]) {
    held.set(templateId, [...(held.get(templateId) ?? []), role]);
  }
  for (const [templateId, roles] of held) {
    const role = bestOf(roles);
    if (role) best.set(templateId, role);
  }
  return best;
}
