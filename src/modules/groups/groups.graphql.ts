// Groups: the Group type with its members, Organization.groups, and the group writes.
import { allOf } from "../../authz/filters.js";
import { groupObject, groupWhere } from "../../authz/policies/group.js";
import type { Context } from "../../context.js";
import type { Group, Prisma } from "../../generated/prisma/client.js";
import { builder } from "../../graphql/builder.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import { searchDescription, searchWhere } from "../shared/order.graphql.js";
import { DeletePayload, emptyConnection, payloadType, unsetAsNull, withUserErrors } from "../shared/shared.graphql.js";
import { UserConnection } from "../users/users.graphql.js";
import * as groups from "./groups.service.js";

export const GroupSourceEnum = builder.enumType("GroupSource", { values: ["USER", "OIDC"] as const });

/** Who is in a group: its explicit members, or every member of the organization for Everyone. */
function groupMembersWhere(group: Pick<Group, "id" | "organizationId" | "isEveryone">) {
  return group.isEveryone
    ? { memberships: { some: { organizationId: group.organizationId } } }
    : { groupMemberships: { some: { groupId: group.id } } };
}

/** Who is in a group is visible to those who may read the organization's group members. */
const groupMembersGuard = (group: Group, _args: unknown, ctx: Context) =>
  permissionScopes(ctx, { action: "READ", type: "GROUP_MEMBER", organizationId: group.organizationId });

const countGroupMembers = (ctx: Context, group: Group) => ctx.prisma.user.count({ where: groupMembersWhere(group) });

export const GroupType = builder.prismaNode("Group", {
  id: { field: "id" },
  authScopes: (group, ctx) => permissionScopes(ctx, { action: "READ", ...groupObject(group) }),
  fields: (t) => ({
    name: t.exposeString("name"),
    displayName: t.string({
      nullable: true,
      description: "Null when unset.",
      resolve: (group) => unsetAsNull(group.displayName),
    }),
    avatarUrl: t.string({
      nullable: true,
      description: "Null when unset.",
      resolve: (group) => unsetAsNull(group.avatarUrl),
    }),
    quotaAllowance: t.exposeInt("quotaAllowance"),
    source: t.field({ type: GroupSourceEnum, resolve: (g) => g.source }),
    isEveryone: t.exposeBoolean("isEveryone", {
      description:
        "The Everyone group: every organization has one, its membership is every member, it cannot be renamed, deleted or edited by hand.",
    }),
    organization: t.relation("organization"),
    members: t.prismaConnection(
      {
        type: "User",
        cursor: "id",
        description: "Empty unless the viewer may read this organization's group members.",
        authScopes: groupMembersGuard,
        unauthorizedResolver: emptyConnection,
        totalCount: (group, _args, ctx) => countGroupMembers(ctx, group),
        resolve: (query, group, _args, ctx) =>
          ctx.prisma.user.findMany({
            ...query,
            where: groupMembersWhere(group),
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          }),
      },
      UserConnection,
    ),
    totalMemberCount: t.int({
      description: "0 unless the viewer may read this organization's group members.",
      authScopes: groupMembersGuard,
      unauthorizedResolver: () => 0,
      resolve: (group, _args, ctx) => countGroupMembers(ctx, group),
    }),
  }),
});

/** The groups a list shows: readable ones of the organization (the read rule in SQL), matching the search. */
async function groupListWhere(ctx: Context, organizationId: string, args: { search?: string | null }) {
  const readable = await ctx.viewer.readWhere(groupWhere);
  return allOf<Prisma.GroupWhereInput>({ organizationId }, readable, searchWhere(args.search, ["name"]));
}

builder.prismaObjectFields(OrganizationType, (t) => ({
  groups: t.prismaConnection(
    {
      type: "Group",
      cursor: "id",
      description: "The organization's groups the viewer may read, oldest first.",
      args: { search: t.arg.string({ description: searchDescription("name") }) },
      totalCount: async (org, args, ctx) => ctx.prisma.group.count({ where: await groupListWhere(ctx, org.id, args) }),
      resolve: async (query, org, args, ctx) => {
        return ctx.prisma.group.findMany({
          ...query,
          where: await groupListWhere(ctx, org.id, args),
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        });
      },
    },
    { name: "GroupConnection" },
    { name: "GroupEdge" },
  ),
}));

// ---- mutations

const CreateGroupInput = builder.inputType("CreateGroupInput", {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    name: t.string({ required: true }),
    displayName: t.string(),
    avatarUrl: t.string(),
    quotaAllowance: t.int(),
  }),
});

const UpdateGroupInput = builder.inputType("UpdateGroupInput", {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    name: t.string(),
    displayName: t.string(),
    avatarUrl: t.string(),
    quotaAllowance: t.int(),
    addUserIds: t.idList(),
    removeUserIds: t.idList(),
  }),
});

const DeleteGroupInput = builder.inputType("DeleteGroupInput", {
  fields: (t) => ({ groupId: t.id({ required: true }) }),
});

const GroupPayload = payloadType("GroupPayload", "group", GroupType);

builder.mutationFields((t) => ({
  createGroup: t.field({
    nullable: true,
    type: GroupPayload,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateGroupInput, required: true }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => groups.createGroup(ctx, input)),
  }),
  updateGroup: t.field({
    nullable: true,
    type: GroupPayload,
    description: "The Everyone group accepts only quotaAllowance and avatarUrl.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateGroupInput, required: true }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => groups.updateGroup(ctx, input)),
  }),
  deleteGroup: t.field({
    nullable: true,
    type: DeletePayload,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: DeleteGroupInput, required: true }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => groups.deleteGroup(ctx, input)),
  }),
}));
