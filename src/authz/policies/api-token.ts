// API tokens: API_KEY on the owner's own tokens; site API_KEY (user admins, owners) on anyone's.
import type { Prisma } from "../../generated/prisma/client.js";
import { type AuthzObject, type Subject, scopeOf } from "../evaluator.js";
import type { Locator, NodeLoad } from "./policy.js";

export const apiTokenObject = (token: { userId: string }): AuthzObject => ({ type: "API_KEY", ownerId: token.userId });

/** Tokens the subject may list: everyone's with site API_KEY READ, otherwise its own. */
export function apiTokenWhere(subject: Subject): Prisma.ApiTokenWhereInput {
  return scopeOf(subject, "API_KEY", "READ").all ? {} : { userId: subject.userId };
}

export const loadApiToken: NodeLoad = (prisma, subject, ids) =>
  prisma.apiToken.findMany({ where: { id: { in: ids }, ...apiTokenWhere(subject) } });

export const locateApiToken: Locator = async (prisma, _subject, id) => {
  const row = await prisma.apiToken.findUnique({ where: { id }, select: { userId: true } });
  return row && { ownerId: row.userId };
};
