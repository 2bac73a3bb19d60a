// Groups: GROUP READ in their organization. Group membership (GROUP_MEMBER) is located by the group.
import type { Prisma } from "../../generated/prisma/client.js";
import type { AuthzObject, Subject } from "../evaluator.js";
import { organizationScopedWhere } from "../filters.js";
import type { Locator, NodeLoad } from "./policy.js";

export const groupObject = (group: { organizationId: string }): AuthzObject => ({
  type: "GROUP",
  organizationId: group.organizationId,
});

export const groupWhere = (subject: Subject) =>
  organizationScopedWhere(subject, "GROUP", "READ") as Prisma.GroupWhereInput;

export const loadGroup: NodeLoad = (prisma, subject, ids) =>
  prisma.group.findMany({ where: { AND: [{ id: { in: ids } }, groupWhere(subject)] } });

export const locateGroup: Locator = (prisma, _subject, id) =>
  prisma.group.findUnique({ where: { id }, select: { organizationId: true } });
