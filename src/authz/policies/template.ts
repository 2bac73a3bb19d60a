// Who may see and use a template. Roles grant template permissions at site or organization
// level; everyone else needs an ACL entry (for them, or for a group they are in, the Everyone
// group included). The evaluator decides; this policy finds the viewer's best ACL role (batched
// per request for type checks), turns the same rule into a Prisma `where` for lists, and loads or
// locates a template (and a version, readable with its template) by id.
import type { Context } from "../../context.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { perRequest, requestBatch } from "../../graphql/batch.js";
import { type AuthzObject, can, type Subject, type TemplateAclRole } from "../evaluator.js";
import { organizationScopedWhere } from "../filters.js";
import type { Action } from "../permissions.js";
import { bestOf, groupAclWhere, templateAclRoles, userAclWhere } from "../template-acl.js";
import type { Locator, NodeLoad } from "./policy.js";

type TemplateRef = { id: string; organizationId: string };

/** The ACL entries that apply to a user, to include in a template read (the same statement). */
export function applicableAclEntries(userId: string) {
  return {
    userAcl: { where: userAclWhere(userId), select: { role: true } },
    groupAcl: { where: groupAclWhere(userId), select: { role: true } },
  } as const;
}

/** The best role among the entries read with `applicableAclEntries`. */
export function bestAclRole(entries: {
  userAcl: readonly { role: TemplateAclRole }[];
  groupAcl: readonly { role: TemplateAclRole }[];
}): TemplateAclRole | null {
  return bestOf([...entries.userAcl, ...entries.groupAcl].map((entry) => entry.role));
}

type AclKey = { userId: string; templateId: string };

/** ACL lookups of a batch: the type-level checks of a list of templates ask in the same tick; one pair of queries answers them. */
const aclRoleBatch = requestBatch<AclKey, TemplateAclRole | null>(
  (key) => `${key.userId}:${key.templateId}`,
  async (ctx, keys) => {
    const roles = new Map<string, TemplateAclRole>();
    for (const userId of new Set(keys.map((key) => key.userId))) {
      const templateIds = keys.filter((key) => key.userId === userId).map((key) => key.templateId);
      for (const [templateId, role] of await templateAclRoles(ctx.prisma, userId, templateIds)) {
        roles.set(`${userId}:${templateId}`, role);
      }
    }
    return roles;
  },
  null,
);

/** The ACL roles this request looked up, so a template checked again costs no query. */
const knownAclRoles = perRequest(() => new Map<string, Promise<TemplateAclRole | null>>());

function aclRoleOf(ctx: Context, key: AclKey): Promise<TemplateAclRole | null> {
  const known = knownAclRoles(ctx);
  const id = `${key.userId}:${key.templateId}`;
  let role = known.get(id);
  if (!role) {
    role = aclRoleBatch(ctx, key);
    known.set(id, role);
  }
  return role;
}

/**
 * The template as the evaluator sees it for `action`. The ACL is read only when roles alone do
 * not allow the action, so administrators never pay for the lookup.
 */
export async function templateObjectFor(
  ctx: Context,
  subject: Subject,
  template: TemplateRef,
  action: Action,
): Promise<AuthzObject> {
  const object: AuthzObject = { type: "TEMPLATE", organizationId: template.organizationId };
  if (can(subject, action, object)) return object;
  return { ...object, aclRole: await aclRoleOf(ctx, { userId: subject.userId, templateId: template.id }) };
}

/** Whether the request's viewer may do `action` on the template (false for non-users). */
export async function viewerCanOnTemplate(ctx: Context, template: TemplateRef, action: Action): Promise<boolean> {
  const subject = await ctx.viewer.subject();
  if (!subject) return false;
  return can(subject, action, await templateObjectFor(ctx, subject, template, action));
}

/** Organizations where an ACL entry would let the subject read a template (they are a member there). */
function aclOrganizationIds(subject: Subject): string[] {
  return [...subject.organizations.keys()].filter((organizationId) =>
    can(subject, "READ", { type: "TEMPLATE", organizationId, aclRole: "USE" }),
  );
}

/** Templates the subject may read: by role, or by an ACL entry in an organization they are a member of. */
export function templateWhere(subject: Subject): Prisma.TemplateWhereInput {
  const byRole = organizationScopedWhere(subject, "TEMPLATE", "READ") as Prisma.TemplateWhereInput;
  const aclOrganizations = aclOrganizationIds(subject);
  // `{}` reads everything (a site-wide reader); Prisma does not treat `{ OR: [{}, ...] }` as such.
  if (aclOrganizations.length === 0 || Object.keys(byRole).length === 0) return byRole;
  const byAcl: Prisma.TemplateWhereInput = {
    organizationId: { in: aclOrganizations },
    OR: [{ userAcl: { some: userAclWhere(subject.userId) } }, { groupAcl: { some: groupAclWhere(subject.userId) } }],
  };
  return { OR: [byRole, byAcl] };
}

export const loadTemplate: NodeLoad = (prisma, subject, ids) =>
  prisma.template.findMany({ where: { AND: [{ id: { in: ids } }, templateWhere(subject)] } });

export const loadTemplateVersion: NodeLoad = (prisma, subject, ids) =>
  prisma.templateVersion.findMany({ where: { id: { in: ids }, template: templateWhere(subject) } });

export const locateTemplate: Locator = async (prisma, subject, id) => {
  const row = await prisma.template.findUnique({ where: { id }, select: { organizationId: true } });
  if (!row) return null;
  const aclRole = (await templateAclRoles(prisma, subject.userId, [id])).get(id) ?? null;
  return { organizationId: row.organizationId, aclRole };
};
