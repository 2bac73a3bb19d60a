// `explainPermission`: the decision trail of one user's permission on an object (or in an
// organization, or site-wide), for the user themself, and for user admins and auditors of the
// place in question. What the viewer may not read stays unknown: an unreadable user, object or
// organization is NOT_FOUND, whoever asks.
import { forbiddenFor } from "../../authz/assert.js";
import { type AuthzObject, can, type Subject } from "../../authz/evaluator.js";
import { type Explanation, explain, shortReason } from "../../authz/explain.js";
import { type Action, isValidPermission, type ResourceType } from "../../authz/permissions.js";
import { userWhere } from "../../authz/policies/user.js";
import { loadSubject } from "../../authz/subject-loader.js";
import { templateAclRoles } from "../../authz/template-acl.js";
import type { Context } from "../../context.js";
import type { PrismaClient } from "../../generated/prisma/client.js";
import { badUserInput, notFound } from "../../graphql/errors.js";
import { decodeId, parseId } from "../../graphql/ids.js";
import { locateReadable } from "../roles/permission-checks.js";

export type ExplainInput = {
  userId: string;
  action: Action;
  resource: ResourceType;
  objectId?: string | null;
  organizationId?: string | null;
};

export type PermissionExplanation = Explanation & {
  userId: string;
  organizationId: string | null;
  /** One sentence, as checkPermissions' reason. */
  summary: string;
  nearestRole: string | null;
};

/**
 * Whether the viewer may see another user's decisions at this place (an organization, or the site
 * when null): user admins (ORGANIZATION_MEMBER UPDATE there; USER UPDATE site-wide) and auditors
 * (AUDIT_LOG READ there). Owners and site user admins and auditors qualify everywhere.
 */
export function mayExplainFor(viewer: Subject, organizationId: string | null): boolean {
  const place = organizationId ?? undefined;
  if (can(viewer, "READ", { type: "AUDIT_LOG", organizationId: place })) return true;
  return place
    ? can(viewer, "UPDATE", { type: "ORGANIZATION_MEMBER", organizationId: place })
    : can(viewer, "UPDATE", { type: "USER" });
}

/** The object as the evaluator sees it for the viewer, NOT_FOUND when the viewer cannot read it. */
async function placeOf(prisma: PrismaClient, viewer: Subject, input: ExplainInput) {
  if (input.objectId != null) {
    const located = await locateReadable(prisma, viewer, input.resource, input.objectId);
    if (!located) throw notFound("object");
    return located;
  }
  if (input.organizationId != null) {
    const organizationId = parseId("Organization", input.organizationId);
    const exists =
      organizationId !== null &&
      (await prisma.organization.findUnique({ where: { id: organizationId }, select: { id: true } }));
    if (!exists || !can(viewer, "READ", { type: "ORGANIZATION", organizationId })) throw notFound("organization");
    return { type: input.resource, organizationId, id: undefined };
  }
  return { type: input.resource, id: undefined };
}

export async function explainPermission(ctx: Context, input: ExplainInput): Promise<PermissionExplanation> {
  const { user: me, subject: viewer } = await ctx.viewer.require();
  if (!isValidPermission(input.resource, input.action)) {
    throw badUserInput(`${input.action} is not an action on ${input.resource}.`);
  }
  const userId = decodeId("User", input.userId, "user");
  const user = await ctx.prisma.user.findFirst({
    where: { AND: [{ id: userId }, userWhere(viewer)] },
    select: { id: true, siteRoles: true },
  });
  if (!user) throw notFound("user");
  const { id: objectId, ...seen } = await placeOf(ctx.prisma, viewer, input);
  const organizationId = seen.organizationId ?? null;
  if (user.id !== me.id && !mayExplainFor(viewer, organizationId)) {
    throw forbiddenFor(viewer, "READ", { type: "AUDIT_LOG", organizationId: organizationId ?? undefined });
  }

  const subject = user.id === me.id ? viewer : await loadSubject(ctx.prisma, user);
  // The object as the user sees it: their own template ACL role, and whether Everyone has access.
  const object: AuthzObject = { ...seen };
  let everyoneAccess: boolean | undefined;
  if (input.resource === "TEMPLATE" && objectId) {
    object.aclRole = (await templateAclRoles(ctx.prisma, user.id, [objectId])).get(objectId) ?? null;
    everyoneAccess =
      (await ctx.prisma.templateGroupAcl.count({ where: { templateId: objectId, group: { isEveryone: true } } })) > 0;
  }
  const explanation = explain(subject, input.action, object, { everyoneAccess });
  const short = shortReason(subject, input.action, object, explanation);
  return { ...explanation, userId: user.id, organizationId, summary: short.reason, nearestRole: short.nearestRole };
}
