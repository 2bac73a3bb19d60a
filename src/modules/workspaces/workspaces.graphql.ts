// Workspaces, their builds, and quotas. Lists use workspaceWhere: deleted workspaces and
// those the viewer may not read never reach pagination or counts.

import { PARENT_JOB_GRANT } from "../../authz/policies/provisioner.js";
import { canReadBuild as buildReadable, workspaceObject, workspaceWhere } from "../../authz/policies/workspace.js";
import type { Context } from "../../context.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { builder } from "../../graphql/builder.js";
import { filterId } from "../../graphql/ids.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { IDEMPOTENCY_KEY_DESCRIPTION } from "../idempotency/idempotency.js";
import { OrganizationMemberType } from "../members/members.graphql.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import { perRequest } from "../shared/batch.js";
import { payloadType, withUserErrors } from "../shared/shared.graphql.js";
import { WORKSPACE_TEMPLATE_GRANT } from "../templates/templates.graphql.js";
import { memberWorkspaceQuota, type WorkspaceQuota, workspaceQuota } from "./quota.js";
import * as workspaces from "./workspaces.service.js";

export const WorkspaceTransitionEnum = builder.enumType("WorkspaceTransition", {
  values: ["START", "STOP", "DELETE"] as const,
});

/** GraphQL's Int is 32-bit; sums beyond it are reported as its maximum (the quota check uses the real sums). */
const INT_MAX = 2 ** 31 - 1;

export const WorkspaceQuotaType = builder.objectRef<WorkspaceQuota>("WorkspaceQuota").implement({
  fields: (t) => ({
    creditsConsumed: t.int({
      description: "At most 2147483647 (GraphQL's largest Int), even when the real sum is larger.",
      resolve: (quota) => Math.min(quota.creditsConsumed, INT_MAX),
    }),
    budget: t.int({
      description:
        "Sum of the quota allowances of the member's groups in the organization, the Everyone group included; at most 2147483647 (GraphQL's largest Int), even when the real sum is larger.",
      resolve: (quota) => Math.min(quota.budget, INT_MAX),
    }),
  }),
});

/** Owners of the workspaces whose builds this request resolved, so checking a build costs no query. */
const knownOwners = perRequest(() => new Map<string, string>());

function rememberOwner(ctx: Context, workspace: { id: string; ownerId: string }): void {
  knownOwners(ctx).set(workspace.id, workspace.ownerId);
}

async function ownerOf(ctx: Context, workspaceId: string): Promise<string | null> {
  const known = knownOwners(ctx).get(workspaceId);
  if (known) return known;
  const workspace = await ctx.prisma.workspace.findUnique({ where: { id: workspaceId }, select: { ownerId: true } });
  return workspace?.ownerId ?? null;
}

/** A build is readable with its workspace; daemons read the builds of their own organization. */
async function canReadBuild(ctx: Context, build: { workspaceId: string; organizationId: string }): Promise<boolean> {
  if (ctx.actor.kind === "provisioner") return ctx.actor.organizationId === build.organizationId;
  const subject = await ctx.viewer.subject();
  return subject !== null && buildReadable(subject, build, (workspaceId) => ownerOf(ctx, workspaceId));
}

export const WorkspaceBuildType = builder.prismaNode("WorkspaceBuild", {
  id: { field: "id" },
  authScopes: (build, ctx) => canReadBuild(ctx, build),
  // Whoever may read a build may see the job that runs it (its job field).
  grantScopes: () => [PARENT_JOB_GRANT],
  fields: (t) => ({
    buildNumber: t.exposeInt("buildNumber"),
    transition: t.field({ type: WorkspaceTransitionEnum, resolve: (build) => build.transition }),
    dailyCost: t.exposeInt("dailyCost"),
    initiator: t.relation("initiator", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const WorkspaceType = builder.prismaNode("Workspace", {
  id: { field: "id" },
  // Granted once the workspace is readable; its template field's Template tests the grant.
  grantScopes: () => [WORKSPACE_TEMPLATE_GRANT],
  authScopes: (workspace, ctx) => permissionScopes(ctx, { action: "READ", ...workspaceObject(workspace) }),
  fields: (t) => ({
    name: t.exposeString("name"),
    owner: t.relation("owner"),
    organization: t.relation("organization"),
    template: t.relation("template"),
    latestBuild: t.prismaField({
      type: WorkspaceBuildType,
      resolve: (query, workspace, _args, ctx) => {
        rememberOwner(ctx, workspace);
        return ctx.prisma.workspaceBuild.findFirstOrThrow({
          ...query,
          where: { workspaceId: workspace.id },
          orderBy: { buildNumber: "desc" },
        });
      },
    }),
    deleted: t.exposeBoolean("deleted", {
      description: "True once a DELETE build was queued; deleted workspaces leave lists and quotas.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

/** One connection type for every list of workspaces; totalCount comes from the field's count query. */
export const WorkspaceConnection = builder.connectionObject(
  {
    type: WorkspaceType,
    name: "WorkspaceConnection",
  },
  { name: "WorkspaceEdge" },
);

async function workspaceListWhere(
  ctx: Context,
  filter: { organizationId?: string; ownerId?: string },
): Promise<Prisma.WorkspaceWhereInput> {
  const readable = await ctx.viewer.readWhere(workspaceWhere);
  const narrowed: Prisma.WorkspaceWhereInput = {
    ...(filter.organizationId ? { organizationId: filter.organizationId } : {}),
    ...(filter.ownerId ? { ownerId: filter.ownerId } : {}),
  };
  return { AND: [readable, narrowed] };
}

builder.queryField("workspaces", (t) =>
  t.prismaConnection(
    {
      type: "Workspace",
      cursor: "id",
      description: "Workspaces the viewer may read, across organizations.",
      authScopes: { authenticated: true },
      args: { organizationId: t.arg.id(), ownerId: t.arg.id() },
      totalCount: async (_root, args, ctx) =>
        ctx.prisma.workspace.count({ where: await workspaceListWhere(ctx, listFilter(args)) }),
      resolve: async (query, _root, args, ctx) =>
        ctx.prisma.workspace.findMany({ ...query, where: await workspaceListWhere(ctx, listFilter(args)) }),
    },
    WorkspaceConnection,
  ),
);

function listFilter(args: { organizationId?: string | null; ownerId?: string | null }) {
  return {
    organizationId: filterId("Organization", args.organizationId),
    ownerId: filterId("User", args.ownerId),
  };
}

builder.prismaObjectFields(OrganizationType, (t) => ({
  workspaces: t.prismaConnection(
    {
      type: "Workspace",
      cursor: "id",
      totalCount: async (org, _args, ctx) =>
        ctx.prisma.workspace.count({ where: await workspaceListWhere(ctx, { organizationId: org.id }) }),
      resolve: async (query, org, _args, ctx) =>
        ctx.prisma.workspace.findMany({ ...query, where: await workspaceListWhere(ctx, { organizationId: org.id }) }),
    },
    WorkspaceConnection,
  ),
  viewerWorkspaceQuota: t.field({
    type: WorkspaceQuotaType,
    description: "The viewer's quota in this organization.",
    resolve: async (org, _args, ctx) => {
      const { user } = await ctx.viewer.require();
      return workspaceQuota(ctx.prisma, user.id, org.id);
    },
  }),
}));

// ---- mutations

const CreateWorkspaceInput = builder.inputType("CreateWorkspaceInput", {
  fields: (t) => ({
    templateId: t.id({ required: true }),
    name: t.string({ required: true }),
    ownerId: t.id({ description: "Defaults to the viewer." }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
  }),
});

const WorkspaceTransitionInput = builder.inputType("WorkspaceTransitionInput", {
  fields: (t) => ({
    workspaceId: t.id({ required: true }),
    transition: t.field({ type: WorkspaceTransitionEnum, required: true }),
  }),
});

const WorkspacePayload = payloadType("WorkspacePayload", "workspace", WorkspaceType);

builder.mutationFields((t) => ({
  createWorkspace: t.field({
    type: WorkspacePayload,
    description:
      "Only members of the template's organization who may use the template; the quota is checked before the build is queued.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateWorkspaceInput, required: true }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => workspaces.createWorkspace(ctx, input)),
  }),
  transitionWorkspace: t.field({
    type: WorkspacePayload,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: WorkspaceTransitionInput, required: true }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => workspaces.transitionWorkspace(ctx, input)),
  }),
}));

builder.prismaObjectField(OrganizationMemberType, "workspaceQuota", (t) =>
  t.field({
    type: WorkspaceQuotaType,
    nullable: true,
    description: "Null unless the viewer is this member or may manage the organization's members.",
    resolve: (member, _args, ctx) => memberWorkspaceQuota(ctx, member),
  }),
);
