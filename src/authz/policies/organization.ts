// Organizations: readable by their members and by site-wide readers (ORGANIZATION READ).
import type { Prisma } from "../../generated/prisma/client.js";
import { type AuthzObject, type Subject, scopeOf } from "../evaluator.js";
import { allOf } from "../filters.js";
import type { Action } from "../permissions.js";
import type { Locator, NodeLoad } from "./policy.js";

export const organizationObject = (organization: { id: string }): AuthzObject => ({
  type: "ORGANIZATION",
  organizationId: organization.id,
});

/** Organizations themselves, by id: `{}` or one top-level AND. */
export function organizationWhere(subject: Subject, action: Action = "READ"): Prisma.OrganizationWhereInput {
  const scope = scopeOf(subject, "ORGANIZATION", action);
  return scope.all ? {} : { AND: [{ id: { in: scope.organizationIds } }] };
}

export const loadOrganization: NodeLoad = (prisma, subject, ids) =>
  prisma.organization.findMany({ where: allOf({ id: { in: ids } }, organizationWhere(subject)) });

export const locateOrganization: Locator = async (prisma, _subject, id) =>
  (await prisma.organization.findUnique({ where: { id }, select: { id: true } })) ? { organizationId: id } : null;
