// API tokens: API_KEY on the owner's own tokens; a node lookup finds only the viewer's own.
import type { AuthzObject } from "../evaluator.js";
import type { Locator, NodeLoad } from "./policy.js";

export const apiTokenObject = (token: { userId: string }): AuthzObject => ({ type: "API_KEY", ownerId: token.userId });

export const loadApiToken: NodeLoad = (prisma, subject, id) =>
  prisma.apiToken.findFirst({ where: { id, userId: subject.userId } });

export const locateApiToken: Locator = async (prisma, _subject, id) => {
  const row = await prisma.apiToken.findUnique({ where: { id }, select: { userId: true } });
  return row && { ownerId: row.userId };
};
