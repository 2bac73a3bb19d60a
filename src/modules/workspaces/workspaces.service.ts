// Workspace writes: creation (workspace, build 1 and its job together) and transitions. Both
// take the owner's lock before checking the name and the quota, so concurrent requests cannot
// slip past either check.

import { recordAudit } from "../../audit/audit.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import { applicableAclEntries, bestAclRole } from "../../authz/policies/template.js";
import { workspaceWhere } from "../../authz/policies/workspace.js";
import type { ServiceContext } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type {
  Prisma,
  ProvisionerJob,
  TemplateVersion,
  Workspace,
  WorkspaceTransition,
} from "../../generated/prisma/client.js";
import { notFound, userError } from "../../graphql/errors.js";
import { decodeId } from "../../graphql/ids.js";
import { createIdempotently, type KeyedTransaction } from "../idempotency/idempotency.js";
import { enqueueJob, type Tags } from "../provisioners/provisioner-jobs.js";
import { nameTaken, nameTakenError } from "../shared/name-taken.js";
import { checkName, ensure } from "../shared/validation.js";
import { assertQuotaAllows, lockOwnerWorkspaces } from "./quota.js";

type Tx = Prisma.TransactionClient;

const createdWorkspaceId = (created: { workspace: Workspace }) => created.workspace.id;

type VersionWithJob = TemplateVersion & { job: Pick<ProvisionerJob, "status" | "error"> };

/** Workspaces need a version whose import succeeded; a failed import says why. */
function assertVersionReady(version: VersionWithJob | null, field: string[]): asserts version is VersionWithJob {
  if (version?.job.status === "SUCCEEDED") return;
  if (version?.job.status === "FAILED") {
    throw userError(
      "TEMPLATE_VERSION_NOT_READY",
      `The template's active version failed to import: ${version.job.error ?? "no reason given"}.`,
      field,
    );
  }
  const state = version ? version.job.status.toLowerCase() : "missing";
  throw userError(
    "TEMPLATE_VERSION_NOT_READY",
    `The template's active version is not imported yet (import job ${state}); a provisioner of the organization must run it first.`,
    field,
  );
}

async function queueBuild(
  tx: Tx,
  ctx: ServiceContext,
  build: {
    workspace: Workspace;
    buildNumber: number;
    transition: WorkspaceTransition;
    templateVersionId: string;
    dailyCost: number;
    tags: Tags;
  },
) {
  const { workspace } = build;
  const job = await enqueueJob(tx, {
    organizationId: workspace.organizationId,
    type: "WORKSPACE_BUILD",
    tags: build.tags,
  });
  return tx.workspaceBuild.create({
    data: {
      workspaceId: workspace.id,
      organizationId: workspace.organizationId,
      buildNumber: build.buildNumber,
      transition: build.transition,
      templateVersionId: build.templateVersionId,
      jobId: job.id,
      dailyCost: build.dailyCost,
      initiatorId: auditMeta(ctx).actorId,
    },
  });
}

export type CreateWorkspaceInput = {
  templateId: string;
  name: string;
  ownerId?: string | null;
  idempotencyKey?: string | null;
};

/** With an idempotency key, a retry answers the workspace created the first time. */
export async function createWorkspace(
  ctx: ServiceContext,
  input: CreateWorkspaceInput,
): Promise<{ workspace: Workspace }> {
  const { user } = await ctx.viewer.require();
  return createIdempotently(
    ctx.prisma,
    { userId: user.id, operation: "createWorkspace", input },
    (inKeyedTransaction) => createNewWorkspace(ctx, input, inKeyedTransaction),
    async (id) => ({ workspace: await ctx.prisma.workspace.findUniqueOrThrow({ where: { id } }) }),
  );
}

async function createNewWorkspace(
  ctx: ServiceContext,
  input: CreateWorkspaceInput,
  inKeyedTransaction: KeyedTransaction,
): Promise<{ workspace: Workspace }> {
  const { user, subject } = await ctx.viewer.require();
  const templateId = decodeId("Template", input.templateId, "template");
  // The viewer's ACL entries on the template come with it, in one statement.
  const template = await ctx.prisma.template.findUnique({
    where: { id: templateId },
    include: {
      activeVersion: { include: { job: { select: { status: true, error: true } } } },
      ...applicableAclEntries(user.id),
    },
  });
  if (!template) throw notFound("template");
  const { organizationId } = template;
  await ctx.viewer.assert("USE", { type: "TEMPLATE", organizationId, aclRole: bestAclRole(template) }, "template");

  const ownerId = input.ownerId ? decodeId("User", input.ownerId, "user") : user.id;
  // Workspaces belong to members of the template's organization; anyone else does not exist here.
  // The viewer's own memberships are the subject's, read with the credential for this request.
  const isMember =
    ownerId === user.id
      ? subject.organizations.has(organizationId)
      : (await ctx.prisma.organizationMember.findUnique({
          where: { organizationId_userId: { organizationId, userId: ownerId } },
          select: { userId: true },
        })) !== null;
  if (!isMember) throw notFound(ownerId === user.id ? "organization membership" : "user");
  assertAllowed(subject, "CREATE", { type: "WORKSPACE", organizationId, ownerId });

  const version = template.activeVersion;
  assertVersionReady(version, ["input", "templateId"]);
  ensure(checkName(input.name, ["input", "name"]));
  try {
    const created = await inKeyedTransaction(createdWorkspaceId, async (tx) => {
      await lockOwnerWorkspaces(tx, ownerId);
      // Holds off deleteTemplate until this commits (it then sees the workspace), or finds the template gone.
      const kept = await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text AS id FROM "Template" WHERE id = ${template.id}::uuid FOR KEY SHARE`;
      if (kept.length === 0) throw notFound("template");
      const taken = await tx.workspace.findFirst({
        where: { ownerId, deleted: false, name: { equals: input.name, mode: "insensitive" } },
        select: { id: true },
      });
      if (taken) throw nameTaken("workspace");
      await assertQuotaAllows(tx, { userId: ownerId, organizationId }, { next: version.dailyCost, previous: 0 });
      const workspace = await tx.workspace.create({
        data: { organizationId, ownerId, templateId: template.id, name: input.name },
      });
      const build = await queueBuild(tx, ctx, {
        workspace,
        buildNumber: 1,
        transition: "START",
        templateVersionId: version.id,
        dailyCost: version.dailyCost,
        tags: template.tags as Tags,
      });
      await recordAudit(tx, auditMeta(ctx), {
        action: "CREATE",
        resourceType: "WORKSPACE",
        resourceId: workspace.id,
        resourceName: workspace.name,
        organizationId,
        diff: { name: workspace.name, ownerId, templateId: template.id, buildId: build.id, dailyCost: build.dailyCost },
      });
      return { workspace };
    });
    ctx.live.workspaceChanged(created.workspace.id); // live update, after the commit
    return created;
  } catch (error) {
    throw nameTakenError(error, "workspace") ?? error;
  }
}

export type TransitionInput = { workspaceId: string; transition: WorkspaceTransition };

/**
 * Queues a START, STOP or DELETE build. START builds the template's active version at its cost;
 * STOP and DELETE rebuild the current version at no cost. DELETE marks the workspace deleted at
 * once (it leaves lists and quota without waiting for the build), which also frees its name.
 */
export async function transitionWorkspace(
  ctx: ServiceContext,
  input: TransitionInput,
): Promise<{ workspace: Workspace }> {
  const { subject } = await ctx.viewer.require();
  const id = decodeId("Workspace", input.workspaceId, "workspace");
  const found = await ctx.prisma.workspace.findFirst({
    where: { AND: [{ id }, workspaceWhere(subject)] },
    include: {
      template: { include: { activeVersion: { include: { job: { select: { status: true, error: true } } } } } },
    },
  });
  if (!found) throw notFound("workspace");
  const { transition } = input;
  assertAllowed(subject, transition, {
    type: "WORKSPACE",
    organizationId: found.organizationId,
    ownerId: found.ownerId,
  });
  const activeVersion = found.template.activeVersion;
  if (transition === "START") assertVersionReady(activeVersion, ["input", "workspaceId"]);

  const transitioned = await inTransaction(ctx.prisma, async (tx) => {
    await lockOwnerWorkspaces(tx, found.ownerId);
    const current = await tx.workspace.findUnique({
      where: { id },
      include: { builds: { orderBy: { buildNumber: "desc" }, take: 1 } },
    });
    const latest = current?.builds[0];
    if (!current || current.deleted || !latest) throw notFound("workspace");
    const start = transition === "START" && activeVersion;
    const dailyCost = start ? activeVersion.dailyCost : 0;
    if (start) {
      await assertQuotaAllows(
        tx,
        { userId: current.ownerId, organizationId: current.organizationId },
        { next: dailyCost, previous: latest.dailyCost },
      );
    }
    const build = await queueBuild(tx, ctx, {
      workspace: current,
      buildNumber: latest.buildNumber + 1,
      transition,
      templateVersionId: start ? activeVersion.id : latest.templateVersionId,
      dailyCost,
      tags: found.template.tags as Tags,
    });
    const workspace =
      transition === "DELETE"
        ? await tx.workspace.update({ where: { id }, data: { deleted: true } })
        : await tx.workspace.update({ where: { id }, data: { updatedAt: new Date() } });
    await recordAudit(tx, auditMeta(ctx), {
      action: transition === "DELETE" ? "DELETE" : transition,
      resourceType: "WORKSPACE",
      resourceId: workspace.id,
      resourceName: workspace.name,
      organizationId: workspace.organizationId,
      diff: { transition, buildNumber: build.buildNumber, buildId: build.id, dailyCost },
    });
    return { workspace };
  });
  ctx.live.workspaceChanged(transitioned.workspace.id); // live update, after the commit
  return transitioned;
}
