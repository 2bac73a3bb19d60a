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

export const GroupSourceEnum = builder.enumType("GroupSource", {
  description: "Who manages a group's membership.",
  values: {
    USER: { description: "Made and managed through the API." },
    OIDC: { description: "Created by IdP group sync; its membership follows the ID token's claims at each sign-in." },
  } as const,
});

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
  description:
    "A group of an organization's members: template ACL entries and quota allowances are given to groups. Readable with GROUP READ in the organization (organization admins and user admins, auditors, owners); plain members see none.",
  id: { field: "id" },
  authScopes: (group, ctx) => permissionScopes(ctx, { action: "READ", ...groupObject(group) }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique in its organization; the Everyone group's is `Everyone`." }),
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
    quotaAllowance: t.exposeInt("quotaAllowance", {
      description: "Quota credits per day each member gets from this group (a member's budget sums their groups').",
    }),
    source: t.field({ type: GroupSourceEnum, description: "Who manages its membership.", resolve: (g) => g.source }),
    isEveryone: t.exposeBoolean("isEveryone", {
      description:
        "The Everyone group: every organization has one, its membership is every member, it cannot be renamed, deleted or edited by hand.",
    }),
    organization: t.relation("organization", { description: "The organization it belongs to." }),
    members: t.prismaConnection(
      {
        type: "User",
        cursor: "id",
        description:
          "The group's members (for Everyone: every organization member), oldest first. Empty (totalCount 0) unless the viewer may read this organization's group members (GROUP_MEMBER READ).",
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
      description: "0 unless the viewer may read this organization's group members (GROUP_MEMBER READ).",
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
      description:
        "The organization's groups the viewer may read, oldest first. Empty unless the viewer may read groups here (GROUP READ: organization admins and user admins, auditors, owners).",
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
    { name: "GroupConnection", description: "A page of groups." },
    { name: "GroupEdge", description: "A group in a page, with its cursor." },
  ),
}));

// ---- mutations

const CreateGroupInput = builder.inputType("CreateGroupInput", {
  description: "A new group (source USER), with no members.",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    name: t.string({ required: true, description: "Unique in the organization." }),
    displayName: t.string({ description: "Human-readable name; unset when left out." }),
    avatarUrl: t.string({ description: "An image URL; unset when left out." }),
    quotaAllowance: t.int({ description: "Quota credits per day per member; 0 when left out." }),
  }),
});

const UpdateGroupInput = builder.inputType("UpdateGroupInput", {
  description: "Changes to a group: only the fields given change.",
  fields: (t) => ({
    groupId: t.id({ required: true, description: "Global id of the group." }),
    name: t.string({ description: "New unique name." }),
    displayName: t.string({ description: 'New display name; "" unsets it.' }),
    avatarUrl: t.string({ description: 'New image URL; "" unsets it.' }),
    quotaAllowance: t.int({ description: "New quota credits per day per member." }),
    addUserIds: t.idList({ description: "Global ids of organization members to add." }),
    removeUserIds: t.idList({ description: "Global ids of users to remove." }),
  }),
});

const DeleteGroupInput = builder.inputType("DeleteGroupInput", {
  description: "The group to delete.",
  fields: (t) => ({ groupId: t.id({ required: true, description: "Global id of the group." }) }),
});

const GroupPayload = payloadType("GroupPayload", "group", GroupType);

builder.mutationFields((t) => ({
  createGroup: t.field({
    nullable: true,
    type: GroupPayload,
    description: "Needs GROUP CREATE in the organization (organization admins and user admins, owners).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateGroupInput, required: true, description: "The group." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => groups.createGroup(ctx, input)),
  }),
  updateGroup: t.field({
    nullable: true,
    type: GroupPayload,
    description: "The Everyone group accepts only quotaAllowance and avatarUrl.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateGroupInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => groups.updateGroup(ctx, input)),
  }),
  deleteGroup: t.field({
    nullable: true,
    type: DeletePayload,
    description: "Deletes the group and its template ACL entries; never the Everyone group.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: DeleteGroupInput, required: true, description: "The group." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => groups.deleteGroup(ctx, input)),
  }),
}));
