// Users: all with site-level USER READ; otherwise oneself and the members of organizations whose
// members one may read (ORGANIZATION_MEMBER READ), which `can` alone cannot see.
import type { Prisma } from "../../generated/prisma/client.js";
import { type Subject, scopeOf } from "../evaluator.js";
import { allOf } from "../filters.js";
import type { Locator, NodeLoad } from "./policy.js";

/** Users the subject may read: `{}` or an OR, so that it spreads next to a caller's AND (e.g. a search). */
export function userWhere(subject: Subject): Prisma.UserWhereInput {
  if (scopeOf(subject, "USER", "READ").all) return {};
  const memberScope = scopeOf(subject, "ORGANIZATION_MEMBER", "READ");
  if (memberScope.all) return {};
  const branches: Prisma.UserWhereInput[] = [{ id: subject.userId }];
  if (memberScope.organizationIds.length > 0) {
    branches.push({ memberships: { some: { organizationId: { in: memberScope.organizationIds } } } });
  }
  return { OR: branches };
}

export const loadUser: NodeLoad = (prisma, subject, ids) =>
  prisma.user.findMany({ where: allOf({ id: { in: ids } }, userWhere(subject)) });

export const locateUser: Locator = async (prisma, subject, id) =>
  (await prisma.user.findFirst({ where: { id, ...userWhere(subject) }, select: { id: true } }))
    ? { ownerId: id, readable: true }
    : null;
