// The ACL role a user holds on templates, directly or through a group (the Everyone group's
// membership being every member of its organization), for the evaluator's `aclRole`.
import type { Prisma } from "../generated/prisma/client.js";
import type { TemplateAclRole } from "./evaluator.js";

type Db = Pick<Prisma.TransactionClient, "templateUserAcl" | "templateGroupAcl">;

const RANK: Record<TemplateAclRole, number> = { USE: 1, ADMIN: 2 };

/** The best ACL role per template id, for the templates where the user has an entry. */
export async function templateAclRoles(
  db: Db,
  userId: string,
  templateIds: readonly string[],
): Promise<Map<string, TemplateAclRole>> {
  const best = new Map<string, TemplateAclRole>();
  if (templateIds.length === 0) return best;
  const ids = [...new Set(templateIds)];
  // Sequential on purpose: `db` may be a transaction, which runs one statement at a time.
  const direct = await db.templateUserAcl.findMany({
    where: { templateId: { in: ids }, userId },
    select: { templateId: true, role: true },
  });
  const viaGroups = await db.templateGroupAcl.findMany({
    where: {
      templateId: { in: ids },
      group: {
        OR: [{ members: { some: { userId } } }, { isEveryone: true, organization: { members: { some: { userId } } } }],
      },
    },
    select: { templateId: true, role: true },
  });
  for (const { templateId, role } of [...direct, ...viaGroups]) {
    const current = best.get(templateId);
    if (!current || RANK[role] > RANK[current]) best.set(templateId, role);
  }
  return best;
}
