// Workspaces, their builds, and quotas. Lists use workspaceWhere: deleted workspaces and
// those the viewer may not read never reach pagination or counts.

import type { GraphQLResolveInfo } from "graphql";
import { allOf } from "../../authz/filters.js";
import { memberObject } from "../../authz/policies/member.js";
import { PARENT_JOB_GRANT } from "../../authz/policies/provisioner.js";
import { canReadBuild as buildReadable, workspaceObject, workspaceWhere } from "../../authz/policies/workspace.js";
import type { Context } from "../../context.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { perRequest } from "../../graphql/batch.js";
import { builder } from "../../graphql/builder.js";
import { compositeGlobalId, filterId, uuidParts } from "../../graphql/ids.js";
import { registerNodeLoader } from "../../graphql/node-loaders.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { IDEMPOTENCY_KEY_DESCRIPTION } from "../idempotency/idempotency.js";
import { OrganizationMemberType } from "../members/members.graphql.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import {
  type Direction,
  type NameOrCreated,
  nameOrCreatedConnection,
  nameOrCreatedListArgs,
  type PageArgs,
  searchWhere,
} from "../shared/order.graphql.js";
import { payloadType, withUserErrors } from "../shared/shared.graphql.js";
import { BUILD_VERSION_GRANT, WORKSPACE_TEMPLATE_GRANT } from "../templates/templates.graphql.js";
import { memberWorkspaceQuota, type WorkspaceQuota, workspaceQuota } from "./quota.js";
import { isOutdated, outdatedWhere, type WorkspaceStatus, workspaceStatus, workspaceStatusWhere } from "./status.js";
import * as workspaces from "./workspaces.service.js";

export const WorkspaceTransitionEnum = builder.enumType("WorkspaceTransition", {
  description: "What a workspace build does.",
  values: {
    START: { description: "Start the workspace (create or resume its resources)." },
    STOP: { description: "Stop the workspace (its resources stop costing, its data stays)." },
    DELETE: { description: "Delete the workspace's resources; the workspace leaves lists." },
  } as const,
});

export const WorkspaceStatusEnum = builder.enumType("WorkspaceStatus", {
  description: "A workspace's state, from its latest build's transition and job (Coder's workspace status).",
  values: {
    PENDING: { description: "The latest build's job waits for a provisioner." },
    STARTING: { description: "A START build is running." },
    RUNNING: { description: "The latest START build succeeded." },
    STOPPING: { description: "A STOP build is running." },
    STOPPED: { description: "The latest STOP build succeeded." },
    FAILED: { description: "The latest build failed." },
    CANCELING: { description: "The latest build's job is being canceled." },
    CANCELED: { description: "The latest build's job was canceled." },
    DELETING: { description: "A DELETE build is running." },
    DELETED: { description: "The DELETE build succeeded." },
  } as const satisfies Record<WorkspaceStatus, { description: string }>,
});

/** GraphQL's Int is 32-bit; sums beyond it are reported as its maximum (the quota check uses the real sums). */
const INT_MAX = 2 ** 31 - 1;

/** A quota as the API shows it: whose, and where. */
type QuotaView = WorkspaceQuota & { organizationId: string; userId: string };

/** The quota of a member, when the viewer may see it (the member themself, or a member manager). */
async function quotaView(ctx: Context, member: { organizationId: string; userId: string }): Promise<QuotaView | null> {
  const quota = await memberWorkspaceQuota(ctx, member);
  return quota && { ...quota, organizationId: member.organizationId, userId: member.userId };
}

export const WorkspaceQuotaType = builder.objectRef<QuotaView>("WorkspaceQuota").implement({
  description:
    "A member's workspace quota in one organization: the credits their workspaces consume, and their budget.",
  interfaces: [builder.nodeInterfaceRef()],
  fields: (t) => ({
    id: t.id({
      description: "Global id of the quota (organization and user), for normalized client caches.",
      resolve: (quota) => compositeGlobalId("WorkspaceQuota", [quota.organizationId, quota.userId]),
    }),
    creditsConsumed: t.int({
      description:
        "Daily cost of the member's workspaces in the organization that are not deleted (their latest builds); at most 2147483647 (GraphQL's largest Int), even when the real sum is larger.",
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
  description: "One start, stop or delete of a workspace, run by a provisioner job. Readable with its workspace.",
  id: { field: "id" },
  authScopes: (build, ctx) => canReadBuild(ctx, build),
  // Whoever may read a build may see the job that runs it and the version it built.
  grantScopes: () => [PARENT_JOB_GRANT, BUILD_VERSION_GRANT],
  fields: (t) => ({
    buildNumber: t.exposeInt("buildNumber", { description: "1 for the workspace's first build, then counting up." }),
    transition: t.field({
      type: WorkspaceTransitionEnum,
      description: "What the build does.",
      resolve: (build) => build.transition,
    }),
    dailyCost: t.exposeInt("dailyCost", {
      description:
        "What the build costs per day, in quota credits; counted toward the quota unless its job failed or was canceled.",
    }),
    initiator: t.relation("initiator", {
      nullable: true,
      description: "The user who queued the build; null when that user was deleted.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was queued." }),
    startedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When a provisioner acquired the build's job.",
      select: { job: { select: { startedAt: true } } },
      resolve: (build) => build.job.startedAt,
    }),
    completedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the build's job finished (succeeded, failed or canceled).",
      select: { job: { select: { completedAt: true } } },
      resolve: (build) => build.job.completedAt,
    }),
  }),
});

export const WorkspaceType = builder.prismaNode("Workspace", {
  description:
    "A user's workspace, built from a template in an organization. Readable by its owner and by whoever holds WORKSPACE READ in the organization (e.g. organization admins, owners).",
  id: { field: "id" },
  // Granted once the workspace is readable; its template field's Template tests the grant.
  grantScopes: () => [WORKSPACE_TEMPLATE_GRANT],
  authScopes: (workspace, ctx) => permissionScopes(ctx, { action: "READ", ...workspaceObject(workspace) }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique among its owner's workspaces." }),
    owner: t.relation("owner", { description: "The user who owns it." }),
    organization: t.relation("organization", { description: "The organization it belongs to." }),
    template: t.relation("template", {
      description: "The template it was built from (readable with the workspace, without template access).",
    }),
    latestBuild: t.field({
      type: WorkspaceBuildType,
      description: "The most recent build (highest buildNumber); its job tells whether it is still running.",
      // Joined through latestBuildId (set by a trigger on every build insert) with what is selected
      // below it: a list of workspaces reads their builds in its own statement, not one per row.
      select: (_args, _ctx, nestedSelection) => ({ latestBuild: nestedSelection(true) }),
      resolve: (workspace, _args, ctx) => {
        rememberOwner(ctx, workspace);
        return (
          workspace.latestBuild ??
          ctx.prisma.workspaceBuild.findFirstOrThrow({
            where: { workspaceId: workspace.id },
            orderBy: { buildNumber: "desc" },
          })
        );
      },
    }),
    deleted: t.exposeBoolean("deleted", {
      description:
        "True once a DELETE build succeeded (or an orphan delete); deleted workspaces leave lists and quotas, and their name is free.",
    }),
    status: t.field({
      type: WorkspaceStatusEnum,
      description: "Derived from the latest build's transition and its job's status.",
      select: { latestBuild: { select: { transition: true, job: { select: { status: true } } } } },
      resolve: (workspace) => {
        const latest = workspace.latestBuild;
        if (!latest) throw new Error(`workspace ${workspace.id} has no build`);
        return workspaceStatus(latest.transition, latest.job.status);
      },
    }),
    outdated: t.boolean({
      description: "Whether the latest build used another version than the template's active one.",
      select: {
        template: { select: { activeVersionId: true } },
        latestBuild: { select: { templateVersionId: true } },
      },
      resolve: (workspace) => isOutdated(workspace.latestBuild, workspace.template.activeVersionId),
    }),
    builds: t.prismaConnection(
      {
        type: WorkspaceBuildType,
        cursor: "id",
        description: "The workspace's builds, newest first.",
        totalCount: (workspace, _args, ctx) =>
          ctx.prisma.workspaceBuild.count({ where: { workspaceId: workspace.id } }),
        resolve: (query, workspace, _args, ctx) => {
          rememberOwner(ctx, workspace);
          return ctx.prisma.workspaceBuild.findMany({
            ...query,
            where: { workspaceId: workspace.id },
            orderBy: { buildNumber: "desc" },
          });
        },
      },
      { name: "WorkspaceBuildConnection", description: "A page of workspace builds." },
      { name: "WorkspaceBuildEdge", description: "A workspace build in a page, with its cursor." },
    ),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
  }),
});

/** One connection type for every list of workspaces; totalCount comes from the field's count query. */
export const WorkspaceConnection = builder.connectionObject(
  {
    type: WorkspaceType,
    name: "WorkspaceConnection",
    description: "A page of workspaces (deleted ones left out).",
  },
  { name: "WorkspaceEdge", description: "A workspace in a page, with its cursor." },
);

type WorkspaceFilter = {
  organizationId?: string;
  ownerId?: string;
  templateId?: string;
  search?: string | null;
  status?: readonly WorkspaceStatus[] | null;
  outdated?: boolean | null;
};

/** The workspaces a list shows: readable and not deleted (the read rule in SQL), narrowed by the filter. */
async function workspaceListWhere(ctx: Context, filter: WorkspaceFilter): Promise<Prisma.WorkspaceWhereInput> {
  const readable = await ctx.viewer.readWhere(workspaceWhere);
  return allOf(
    readable,
    filter.organizationId ? { organizationId: filter.organizationId } : {},
    filter.ownerId ? { ownerId: filter.ownerId } : {},
    filter.templateId ? { templateId: filter.templateId } : {},
    searchWhere(filter.search, ["name"]),
    filter.status ? workspaceStatusWhere(filter.status) : {},
    filter.outdated != null ? outdatedWhere(filter.outdated) : {},
  );
}

type WorkspaceListArgs = PageArgs & {
  orderBy?: { field: NameOrCreated; direction: Direction } | null;
};

/** A page of workspaces in the requested order (keyset cursors). */
async function workspacePage(ctx: Context, info: GraphQLResolveInfo, args: WorkspaceListArgs, filter: WorkspaceFilter) {
  return nameOrCreatedConnection({
    ctx,
    info,
    args,
    where: await workspaceListWhere(ctx, filter),
    findMany: (query) => ctx.prisma.workspace.findMany(query),
    count: (where) => ctx.prisma.workspace.count({ where }),
  });
}

/** The filters and order every list of workspaces takes. */
const workspaceListArgs = {
  ...builder.args((t) => ({
    ownerId: t.id({ description: "Keeps the workspaces this user owns (the viewer's own: their id)." }),
    templateId: t.id({ description: "Keeps the workspaces built from this template." }),
  })),
  ...nameOrCreatedListArgs("Workspace", "workspaces", "workspace"),
  ...builder.args((t) => ({
    status: t.field({
      type: [WorkspaceStatusEnum],
      required: { list: false, items: true },
      description:
        "Keeps the workspaces whose status (from their latest build, as Workspace.status) is one of these; an empty list keeps none.",
    }),
    outdated: t.boolean({
      description:
        "true keeps the workspaces whose latest build used another version than the template's active one (Workspace.outdated); false keeps the others.",
    }),
  })),
};

type WorkspaceListFilterArgs = {
  ownerId?: string | null;
  templateId?: string | null;
  search?: string | null;
  status?: readonly WorkspaceStatus[] | null;
  outdated?: boolean | null;
};

/** The filter of a list's arguments, in `organizationId` (the field's or the argument's). */
const workspaceFilter = (organizationId: string | undefined, args: WorkspaceListFilterArgs): WorkspaceFilter => ({
  organizationId,
  ownerId: filterId("User", args.ownerId),
  templateId: filterId("Template", args.templateId),
  search: args.search,
  status: args.status,
  outdated: args.outdated,
});

builder.queryField("workspaces", (t) =>
  t.connection(
    {
      type: WorkspaceType,
      description: "Workspaces the viewer may read, across organizations; deleted ones are left out.",
      authScopes: { authenticated: true },
      args: {
        organizationId: t.arg.id({ description: "Keeps the workspaces of this organization." }),
        ...workspaceListArgs,
      },
      resolve: (_root, args, ctx, info) =>
        workspacePage(ctx, info, args, workspaceFilter(filterId("Organization", args.organizationId), args)),
    },
    WorkspaceConnection,
  ),
);

builder.prismaObjectFields(OrganizationType, (t) => ({
  workspaces: t.connection(
    {
      type: WorkspaceType,
      description: "The organization's workspaces the viewer may read; deleted ones are left out.",
      args: workspaceListArgs,
      resolve: (org, args, ctx, info) => workspacePage(ctx, info, args, workspaceFilter(org.id, args)),
    },
    WorkspaceConnection,
  ),
  viewerWorkspaceQuota: t.field({
    type: WorkspaceQuotaType,
    description: "The viewer's quota in this organization.",
    resolve: async (org, _args, ctx) => {
      const { user } = await ctx.viewer.require();
      return { ...(await workspaceQuota(ctx.prisma, user.id, org.id)), organizationId: org.id, userId: user.id };
    },
  }),
}));

// ---- mutations

const CreateWorkspaceInput = builder.inputType("CreateWorkspaceInput", {
  description: "A new workspace, started from a template's active version.",
  fields: (t) => ({
    templateId: t.id({
      required: true,
      description: "Global id of the template; the workspace is in its organization.",
    }),
    name: t.string({ required: true, description: "Unique among the owner's workspaces." }),
    ownerId: t.id({ description: "Defaults to the viewer." }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
  }),
});

const WorkspaceTransitionInput = builder.inputType("WorkspaceTransitionInput", {
  description: "A build to queue for a workspace.",
  fields: (t) => ({
    workspaceId: t.id({ required: true, description: "Global id of the workspace." }),
    transition: t.field({ type: WorkspaceTransitionEnum, required: true, description: "What the build does." }),
    templateVersionId: t.id({
      description:
        "START only: the version of the workspace's template to build (e.g. the active one, to update an outdated workspace). Left out: the active version when the template requires it, else the workspace's current version.",
    }),
    orphan: t.boolean({
      description:
        "DELETE only: cancel the build in progress and delete the workspace at once, without a provisioner (its resources are left behind). Owners and organization admins only.",
    }),
  }),
});

const WorkspacePayload = payloadType("WorkspacePayload", "workspace", WorkspaceType);

builder.mutationFields((t) => ({
  createWorkspace: t.field({
    nullable: true,
    type: WorkspacePayload,
    description:
      "Only members of the template's organization who may use the template; the quota is checked before the build is queued.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateWorkspaceInput, required: true, description: "The workspace." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => workspaces.createWorkspace(ctx, input)),
  }),
  transitionWorkspace: t.field({
    nullable: true,
    type: WorkspacePayload,
    description:
      "Queues a START, STOP or DELETE build (WORKSPACE START/STOP/DELETE on the workspace: its owner, organization admins, owners); BUILD_IN_PROGRESS while the latest build's job has not finished (except an orphan DELETE). The quota is checked against the START's version cost.",
    authScopes: { authenticated: true },
    args: {
      input: t.arg({ type: WorkspaceTransitionInput, required: true, description: "The workspace and transition." }),
    },
    resolve: (_root, { input }, ctx) => withUserErrors(() => workspaces.transitionWorkspace(ctx, input)),
  }),
}));

builder.prismaObjectField(OrganizationMemberType, "workspaceQuota", (t) =>
  t.field({
    type: WorkspaceQuotaType,
    nullable: true,
    description: "Null unless the viewer is this member or may manage the organization's members.",
    resolve: (member, _args, ctx) => quotaView(ctx, member),
  }),
);

/** A quota by its node id: a member's, for the member themself or whoever may manage the members. */
registerNodeLoader("WorkspaceQuota", async (id, ctx) => {
  const [organizationId, userId] = uuidParts(id, 2) ?? [];
  if (!organizationId || !userId) return null;
  const member = await ctx.prisma.organizationMember.findUnique({
    where: { organizationId_userId: { organizationId, userId } },
    select: { organizationId: true, userId: true },
  });
  return member && (await ctx.viewer.can("READ", memberObject(member))) ? quotaView(ctx, member) : null;
});
