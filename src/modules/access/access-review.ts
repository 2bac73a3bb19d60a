// `accessReview`: every user who may perform an action on an object, and through what. The list
// is filtered in SQL by `whoCan` (src/authz/who-can.ts: the evaluator's levels as one `where`),
// combined with the viewer's own user read filter; users the rule admits but the viewer may not
// read are counted (`hiddenCount`), never named. The grants of the page's rows come from one more
// statement. For organization admins and auditors of the object's organization (AUDIT_LOG READ
// there), owners and site auditors everywhere.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { forbiddenFor } from "../../authz/assert.js";
import { can, type Subject } from "../../authz/evaluator.js";
import { type Action, isValidPermission, type Permission, type ResourceType } from "../../authz/permissions.js";
import { LOCATORS } from "../../authz/policies/index.js";
import { userWhere } from "../../authz/policies/user.js";
import { storedPermissions } from "../../authz/subject-loader.js";
import { type AccessRule, type Grant, grantsOf, type WhoCanTarget, whoCan } from "../../authz/who-can.js";
import type { Context } from "../../context.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { perRequest } from "../../graphql/batch.js";
import { badUserInput, notFound } from "../../graphql/errors.js";
import { locateReadable } from "../roles/permission-checks.js";

export type AccessReviewInput = { action: Action; objectId: string };

/** The resource an object id's node type stands for (the first that LOCATORS lists it under). */
const RESOURCE_OF_TYPE: ReadonlyMap<string, ResourceType> = new Map(
  (Object.entries(LOCATORS) as [ResourceType, Record<string, unknown>][])
    .flatMap(([resource, locators]) => Object.keys(locators).map((typename) => [typename, resource] as const))
    .reverse(),
);

function typenameOf(id: string): string | null {
  try {
    return id.length > 200 ? null : decodeGlobalID(id).typename;
  } catch {
    return null;
  }
}

type Review = { rule: AccessRule; target: WhoCanTarget; readable: Prisma.UserWhereInput };

const reviews = perRequest(() => new Map<string, Promise<Review>>());
const NIL = "00000000-0000-0000-0000-000000000000";

/** The grants of each row of a page, by the row object (two reviews in one request never mix). */
const grantsByRow = new WeakMap<object, Grant[]>();

/** Whether the viewer may review access at this place: AUDIT_LOG READ there. */
export const mayReviewAccess = (subject: Subject, organizationId: string | undefined) =>
  can(subject, "READ", { type: "AUDIT_LOG", organizationId });

async function prepare(ctx: Context, input: AccessReviewInput): Promise<Review> {
  const { subject } = await ctx.viewer.require();
  const resource = RESOURCE_OF_TYPE.get(typenameOf(input.objectId) ?? "");
  if (!resource) throw notFound("object");
  if (!isValidPermission(resource, input.action)) {
    throw badUserInput(`${input.action} is not an action on ${resource}.`);
  }
  const located = await locateReadable(ctx.prisma, subject, resource, input.objectId);
  if (!located) throw notFound("object");
  const organizationId = located.organizationId ?? undefined;
  if (!mayReviewAccess(subject, organizationId))
    throw forbiddenFor(subject, "READ", { type: "AUDIT_LOG", organizationId });

  const customRoles = new Map<string, readonly Permission[]>();
  if (organizationId) {
    const rows = await ctx.prisma.customRole.findMany({
      where: { organizationId },
      select: { name: true, permissions: true },
    });
    for (const row of rows) customRoles.set(row.name, storedPermissions(row.permissions));
  }
  const target: WhoCanTarget = {
    type: resource,
    organizationId,
    ownerId: located.ownerId,
    templateId: resource === "TEMPLATE" ? located.id : undefined,
  };
  return { rule: whoCan(target, input.action, customRoles), target, readable: userWhere(subject) };
}

/** The review of this input, prepared once per request (the list, its counts and grants share it). */
export function review(ctx: Context, input: AccessReviewInput): Promise<Review> {
  const key = `${input.action}|${input.objectId}`;
  const cache = reviews(ctx);
  let found = cache.get(key);
  if (!found) {
    found = prepare(ctx, input);
    cache.set(key, found);
  }
  return found;
}

export const visibleWhere = ({ rule, readable }: Review): Prisma.UserWhereInput => ({ AND: [rule.where, readable] });

/** How many users the rule admits whom the viewer may not read (no statement for readers of all users). */
export async function hiddenCount(ctx: Context, { rule, readable }: Review): Promise<number> {
  if (Object.keys(readable).length === 0) return 0;
  return ctx.prisma.user.count({ where: { AND: [rule.where, { NOT: readable }] } });
}

/** Reads what the page's users hold that bears on the object (one statement) and keeps their grants. */
export async function loadGrants(
  ctx: Context,
  { rule, target }: Review,
  page: readonly { id: string }[],
): Promise<void> {
  if (page.length === 0) return;
  const userIds = page.map((row) => row.id);
  // An absent organization or template matches no row (the nil uuid), so one shape serves all.
  const organizationId = target.organizationId ?? NIL;
  const templateId = target.templateId ?? NIL;
  const acl = { where: { templateId }, select: { role: true } } as const;
  const rows = await ctx.prisma.user.findMany({
    where: { id: { in: userIds } },
    select: {
      id: true,
      siteRoles: true,
      templateAcls: acl,
      memberships: {
        where: { organizationId },
        select: {
          roles: true,
          groups: {
            where: { group: { templateAcls: { some: { templateId } } } },
            select: { group: { select: { id: true, name: true, templateAcls: acl } } },
          },
          organization: { select: { groups: { where: { isEveryone: true }, select: { templateAcls: acl } } } },
        },
      },
    },
  });
  const grants = new Map<string, Grant[]>();
  for (const row of rows) {
    const membership = row.memberships?.[0];
    const grantRow = {
      id: row.id,
      siteRoles: row.siteRoles,
      organizationRoles: membership?.roles,
      userAcl: membership ? row.templateAcls[0]?.role : null,
      groupAcls: (membership?.groups ?? []).flatMap(({ group }) =>
        group.templateAcls.map(({ role }) => ({ groupId: group.id, groupName: group.name, role })),
      ),
      everyoneAcl: membership?.organization.groups[0]?.templateAcls[0]?.role ?? null,
    };
    grants.set(row.id, grantsOf(rule, target, grantRow));
  }
  for (const row of page) grantsByRow.set(row, grants.get(row.id) ?? []);
}

export const grantsOfRow = (row: object): Grant[] => grantsByRow.get(row) ?? [];
