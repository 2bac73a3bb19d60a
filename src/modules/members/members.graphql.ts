// Organization members: the membership type, Organization.members/member, and the member writes.

import { allOf } from "../../authz/filters.js";
import { groupWhere } from "../../authz/policies/group.js";
import { memberObject } from "../../authz/policies/member.js";
import { builtInRole, isImplicitRole } from "../../authz/roles.js";
import type { Context } from "../../context.js";
import type { CustomRole, Group, OrganizationMember } from "../../generated/prisma/client.js";
import { groupBy, requestBatch } from "../../graphql/batch.js";
import { builder } from "../../graphql/builder.js";
import { compositeGlobalId, parseId, uuidParts } from "../../graphql/ids.js";
import { registerNodeLoader } from "../../graphql/node-loaders.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { GroupType } from "../groups/groups.graphql.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import { builtInRoleView, customRoleView, RoleType, type RoleView } from "../roles/roles.graphql.js";
import {
  orderByInput,
  type SortKey,
  searchDescription,
  searchWhere,
  sortedConnection,
} from "../shared/order.graphql.js";
import { DeletePayload, emptyConnection, payloadType, withUserErrors } from "../shared/shared.graphql.js";
import * as members from "./members.service.js";

type MemberKey = Pick<OrganizationMember, "organizationId" | "userId">;
type CustomRoleRow = Pick<CustomRole, "name" | "displayName" | "permissions" | "organizationId">;

const memberKey = (m: MemberKey) => `${m.organizationId}:${m.userId}`;

/** Rows grouped by organization, for loads that run one query per organization of a batch. */
const byOrganization = <T extends { organizationId: string }>(items: readonly T[]) =>
  groupBy(items, (item) => item.organizationId);

/** The custom role definitions a list of members refers to: one query for the whole list. */
const customRolesOf = requestBatch<{ organizationId: string; name: string }, CustomRoleRow | null>(
  (role) => `${role.organizationId}:${role.name}`,
  async (ctx, roles) => {
    const rows = await ctx.prisma.customRole.findMany({
      where: {
        OR: [...byOrganization(roles)].map(([organizationId, named]) => ({
          organizationId,
          name: { in: named.map((r) => r.name) },
        })),
      },
      select: { name: true, displayName: true, permissions: true, organizationId: true },
    });
    return new Map(rows.map((row) => [`${row.organizationId}:${row.name}`, row]));
  },
  null,
);

/**
 * The views of a member's explicit roles: built-in ones from src/authz, custom ones from the table.
 * Synchronous when every role is built-in (most members), so a page costs no promise per member.
 */
function explicitRoleViews(
  ctx: Context,
  member: Pick<OrganizationMember, "organizationId" | "roles">,
): RoleView[] | Promise<RoleView[]> {
  const customNames = member.roles.filter((name) => !builtInRole(name));
  const views = (customByName: ReadonlyMap<string, CustomRoleRow>) =>
    member.roles.flatMap((name): RoleView[] => {
      const role = builtInRole(name);
      if (role) return [builtInRoleView(role, member.organizationId)];
      const row = customByName.get(name);
      return row ? [customRoleView(row)] : [];
    });
  if (customNames.length === 0) return views(new Map());
  return Promise.all(
    customNames.map((name) => customRolesOf(ctx, { organizationId: member.organizationId, name })),
  ).then((rows) => views(new Map(rows.flatMap((row) => (row ? [[row.name, row] as const] : [])))));
}

/**
 * The groups of a list of members that the viewer may read, the Everyone group included: one
 * query per organization for the whole list.
 */
const groupsOfMember = requestBatch<MemberKey, Group[]>(
  memberKey,
  async (ctx, members) => {
    const readable = await ctx.viewer.readWhere(groupWhere);
    const result = new Map<string, Group[]>();
    for (const [organizationId, inOrganization] of byOrganization(members)) {
      const userIds = inOrganization.map((m) => m.userId);
      const rows = await ctx.prisma.group.findMany({
        where: allOf({ organizationId }, readable, {
          OR: [{ isEveryone: true }, { members: { some: { userId: { in: userIds } } } }],
        }),
        include: { members: { where: { userId: { in: userIds } }, select: { userId: true } } },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      });
      // One object per group for the whole list: scope-auth checks a group once, not once per member.
      const groups = rows.map(({ members: groupMembers, ...group }) => ({
        group,
        userIds: new Set(groupMembers.map((m) => m.userId)),
      }));
      for (const userId of userIds) {
        const ofUser = groups.filter((g) => g.group.isEveryone || g.userIds.has(userId)).map((g) => g.group);
        result.set(memberKey({ organizationId, userId }), ofUser);
      }
    }
    return result;
  },
  [],
);

export const OrganizationMemberType = builder.prismaObject("OrganizationMember", {
  description: "A user's membership of an organization, with its explicit roles.",
  interfaces: [builder.nodeInterfaceRef()],
  // Include mode (no type-level select): every query that loads a membership reads all its
  // columns, so its fields declare no `select` (one would make plugin-prisma wrap the field's
  // resolver with a loader-mapping lookup on every row of a members page).
  authScopes: (member, ctx) => permissionScopes(ctx, { action: "READ", ...memberObject(member) }),
  fields: (t) => ({
    id: t.id({
      description:
        "Global id of the membership (organization and user): stable while the user stays a member, so a normalized client cache updates the member's roles in place.",
      resolve: (member) => compositeGlobalId("OrganizationMember", [member.organizationId, member.userId]),
    }),
    user: t.relation("user", { description: "The member." }),
    organization: t.relation("organization", { description: "The organization." }),
    roles: t.field({
      type: [RoleType],
      description: "Explicitly granted organization roles; organization-member is implied and not listed.",
      resolve: (member, _args, ctx) => explicitRoleViews(ctx, member),
    }),
    groups: t.field({
      type: [GroupType],
      description: "The member's groups the viewer may read, the Everyone group included.",
      // Batched across the list; relations below a group are loaded by plugin-prisma's fallback. A
      // plain field: a prismaField would plan a query from the selection for every member (8 % of a
      // members page's CPU) that this batch never uses.
      resolve: (member, _args, ctx) => groupsOfMember(ctx, member),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the user joined." }),
  }),
});

/** The viewer sees the members of an organization: all of them, or none. */
const membersGuard = (org: { id: string }, _args: unknown, ctx: Context) =>
  permissionScopes(ctx, { action: "READ", ...memberObject({ organizationId: org.id }) });

const MemberOrderBy = orderByInput("Member", "organization members", {
  USERNAME: { description: "The user's username." },
  NAME: { description: "The user's name (unset names are empty and sort first in ascending order)." },
  CREATED_AT: { description: "When the user joined the organization; the default order." },
});

const MEMBER_SORT_KEYS: Record<"USERNAME" | "NAME" | "CREATED_AT", SortKey> = {
  USERNAME: { name: "username", column: "username", kind: "text", via: "user" },
  NAME: { name: "name", column: "name", kind: "text", via: "user" },
  CREATED_AT: { name: "joined", column: "createdAt", kind: "date" },
};

/** The members a list shows: of one organization, filtered by search (username or name) and role. */
function memberListWhere(organizationId: string, args: { search?: string | null; role?: string | null }) {
  // organization-member is implied for every member and never stored.
  const role = args.role && !isImplicitRole(args.role) ? { roles: { has: args.role } } : {};
  const search = searchWhere(args.search, ["username", "name"]);
  return allOf({ organizationId }, role, Object.keys(search).length > 0 ? { user: search } : {});
}

builder.prismaObjectFields(OrganizationType, (t) => ({
  members: t.connection(
    {
      type: OrganizationMemberType,
      description:
        "The organization's members. Empty (not an error) unless the viewer may read this organization's members (ORGANIZATION_MEMBER READ; every member may).",
      args: {
        search: t.arg.string({ description: searchDescription("username or name") }),
        role: t.arg.string({
          description:
            "Keeps the members holding this organization role (built-in or custom name); organization-member matches every member.",
        }),
        orderBy: t.arg({
          type: MemberOrderBy,
          description: "Default: CREATED_AT ascending. Ties are ordered by the user's id.",
        }),
      },
      authScopes: membersGuard,
      unauthorizedResolver: emptyConnection,
      resolve: (org, args, ctx, info) => {
        return sortedConnection({
          ctx,
          info,
          args,
          keys: MEMBER_SORT_KEYS,
          defaultField: "CREATED_AT",
          tieBreak: "userId",
          where: memberListWhere(org.id, args),
          findMany: (query) => ctx.prisma.organizationMember.findMany(query),
          count: (where) => ctx.prisma.organizationMember.count({ where }),
        });
      },
    },
    { name: "OrganizationMemberConnection", description: "A page of organization members." },
    { name: "OrganizationMemberEdge", description: "A member in a page, with its cursor." },
  ),
  member: t.prismaField({
    type: OrganizationMemberType,
    nullable: true,
    description:
      "The membership of this user; null when the user is not a member, or the viewer may not read this organization's members.",
    args: { userId: t.arg.id({ required: true, description: "Global id of the user." }) },
    authScopes: membersGuard,
    unauthorizedResolver: () => null,
    resolve: async (query, org, args, ctx) => {
      const userId = parseId("User", String(args.userId));
      if (userId === null) return null;
      return ctx.prisma.organizationMember.findUnique({
        ...query,
        where: { organizationId_userId: { organizationId: org.id, userId } },
      });
    },
  }),
}));

registerNodeLoader("OrganizationMember", async (id, ctx) => {
  const [organizationId, userId] = uuidParts(id, 2) ?? [];
  if (!organizationId || !userId || !(await ctx.viewer.can("READ", memberObject({ organizationId })))) return null;
  return ctx.prisma.organizationMember.findUnique({ where: { organizationId_userId: { organizationId, userId } } });
});

// ---- mutations

const OrganizationMemberInput = builder.inputType("OrganizationMemberInput", {
  description: "A user and an organization.",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    userId: t.id({ required: true, description: "Global id of the user." }),
  }),
});

const UpdateOrganizationMemberRolesInput = builder.inputType("UpdateOrganizationMemberRolesInput", {
  description: "The complete set of explicit organization roles of a member.",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    userId: t.id({ required: true, description: "Global id of the member's user." }),
    roles: t.stringList({
      required: true,
      description: "Organization role names, built-in or custom (see Organization.roles); replaces the member's roles.",
    }),
  }),
});

const OrganizationMemberPayload = payloadType("OrganizationMemberPayload", "member", OrganizationMemberType);

builder.mutationFields((t) => ({
  addOrganizationMember: t.field({
    nullable: true,
    type: OrganizationMemberPayload,
    description:
      "Adds an existing user to the organization with no explicit roles (ORGANIZATION_MEMBER CREATE there: organization admins and user admins, owners).",
    authScopes: { authenticated: true },
    args: {
      input: t.arg({ type: OrganizationMemberInput, required: true, description: "The user and organization." }),
    },
    resolve: (_root, { input }, ctx) => withUserErrors(() => members.addOrganizationMember(ctx, input)),
  }),
  removeOrganizationMember: t.field({
    nullable: true,
    type: DeletePayload,
    description:
      "Removes the membership with its roles and group memberships; the user's workspaces stay. deletedId is the user's id.",
    authScopes: { authenticated: true },
    args: {
      input: t.arg({ type: OrganizationMemberInput, required: true, description: "The user and organization." }),
    },
    resolve: (_root, { input }, ctx) => withUserErrors(() => members.removeOrganizationMember(ctx, input)),
  }),
  updateOrganizationMemberRoles: t.field({
    nullable: true,
    type: OrganizationMemberPayload,
    description: "Replaces the member's explicit organization roles.",
    authScopes: { authenticated: true },
    args: {
      input: t.arg({ type: UpdateOrganizationMemberRolesInput, required: true, description: "The member and roles." }),
    },
    resolve: (_root, { input }, ctx) => withUserErrors(() => members.updateOrganizationMemberRoles(ctx, input)),
  }),
}));
