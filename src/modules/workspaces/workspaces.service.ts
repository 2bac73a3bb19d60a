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
import type { ChangedJob } from "../../live/live-events.js";
import { createIdempotently, type KeyedTransaction } from "../idempotency/idempotency.js";
import { enqueueJob, type Tags, UNFINISHED_JOB_STATUSES } from "../provisioners/provisioner-jobs.js";
import { nameTaken, nameTakenError } from "../shared/name-taken.js";
import { checkName, ensure, invalidInput } from "../shared/validation.js";
import { archivedError } from "../templates/template-versions.service.js";
import { assertQuotaAllows, countedCost, lockOwnerWorkspaces } from "./quota.js";

type Tx = Prisma.TransactionClient;

const createdWorkspaceId = (created: { workspace: Workspace }) => created.workspace.id;

type VersionWithJob = TemplateVersion & { job: Pick<ProvisionerJob, "status" | "error" | "tags"> };

const VERSION_WITH_JOB = { job: { select: { status: true, error: true, tags: true } } } as const;

/** Builds need a version whose import succeeded and that is not archived; a failed import says why. */
function assertVersionReady(
  version: VersionWithJob | null,
  field: string[],
  which = "The template's active version",
): asserts version is VersionWithJob {
  if (version?.archived) throw archivedError(field);
  if (version?.job.status === "SUCCEEDED") return;
  if (version?.job.status === "FAILED") {
    throw userError(
      "TEMPLATE_VERSION_NOT_READY",
      `${which} failed to import: ${version.job.error ?? "no reason given"}.`,
      field,
    );
  }
  const state = version ? version.job.status.toLowerCase() : "missing";
  throw userError(
    "TEMPLATE_VERSION_NOT_READY",
    `${which} is not imported yet (import job ${state}); a provisioner of the organization must run it first.`,
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
    initiatorId: auditMeta(ctx).actorId,
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
      activeVersion: { include: VERSION_WITH_JOB },
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
        tags: version.job.tags as Tags,
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

export type TransitionInput = {
  workspaceId: string;
  transition: WorkspaceTransition;
  templateVersionId?: string | null;
  orphan?: boolean | null;
};

const CANCELED_BY_ORPHAN = "The job was canceled: its workspace was deleted without a provisioner (orphan).";

/**
 * Queues a START, STOP or DELETE build, one at a time: while the latest build's job has not
 * finished (PENDING, RUNNING, CANCELING) the answer is BUILD_IN_PROGRESS (Coder's 409).
 * START builds `templateVersionId` when given (a version of the workspace's template: this
 * updates the workspace), else the active version when the template requires it, else the
 * version the workspace is on; the quota is checked against that version's cost. STOP and
 * DELETE rebuild the current version at no cost. The workspace is deleted when its DELETE build
 * succeeds (a canceled or failed one leaves it, as Coder), or at once with `orphan: true`
 * (owners and organization admins: who may update the organization's templates), which cancels
 * the build in progress and deletes without a provisioner (Coder's `delete --orphan`).
 */
export async function transitionWorkspace(
  ctx: ServiceContext,
  input: TransitionInput,
): Promise<{ workspace: Workspace }> {
  const { subject } = await ctx.viewer.require();
  const id = decodeId("Workspace", input.workspaceId, "workspace");
  const found = await ctx.prisma.workspace.findFirst({
    where: { AND: [{ id }, workspaceWhere(subject)] },
    include: { template: { select: { activeVersionId: true, requireActiveVersion: true } } },
  });
  if (!found) throw notFound("workspace");
  const { transition } = input;
  const { organizationId } = found;
  assertAllowed(subject, transition, { type: "WORKSPACE", organizationId, ownerId: found.ownerId });
  const orphan = input.orphan === true;
  ensure(
    input.templateVersionId != null && transition !== "START"
      ? invalidInput(["input", "templateVersionId"], "A template version is given only with START.")
      : undefined,
    orphan && transition !== "DELETE"
      ? invalidInput(["input", "orphan"], "Only a DELETE can orphan the workspace's resources.")
      : undefined,
  );
  if (orphan) assertAllowed(subject, "UPDATE", { type: "TEMPLATE", organizationId });
  const wantedVersionId =
    input.templateVersionId != null ? decodeId("TemplateVersion", input.templateVersionId, "template version") : null;

  const transitioned = await inTransaction(ctx.prisma, async (tx) => {
    await lockOwnerWorkspaces(tx, found.ownerId);
    const current = await tx.workspace.findUnique({
      where: { id },
      include: { builds: { orderBy: { buildNumber: "desc" }, take: 1, include: { job: true } } },
    });
    const latest = current?.builds[0];
    if (!current || current.deleted || !latest) throw notFound("workspace");
    const inProgress = (UNFINISHED_JOB_STATUSES as readonly string[]).includes(latest.job.status);
    if (inProgress && !orphan) {
      throw userError(
        "BUILD_IN_PROGRESS",
        `Build ${latest.buildNumber} (${latest.transition.toLowerCase()}) is ${latest.job.status.toLowerCase()}: wait for it or cancel its job first.`,
        ["input", "workspaceId"],
      );
    }
    const versionId =
      transition !== "START"
        ? latest.templateVersionId
        : startVersionId(found.template, latest.templateVersionId, wantedVersionId);
    let dailyCost = 0;
    let tags: Tags;
    if (transition === "START") {
      const version = await tx.templateVersion.findFirst({
        where: { id: versionId, templateId: current.templateId },
        include: VERSION_WITH_JOB,
      });
      if (!version) throw notFound("template version");
      const field = ["input", wantedVersionId ? "templateVersionId" : "workspaceId"];
      assertVersionReady(version, field, wantedVersionId ? "This template version" : "The workspace's version");
      dailyCost = version.dailyCost;
      tags = version.job.tags as Tags;
      await assertQuotaAllows(
        tx,
        { userId: current.ownerId, organizationId },
        { next: dailyCost, previous: countedCost(latest) },
      );
    } else {
      const version = await tx.templateVersion.findUniqueOrThrow({
        where: { id: versionId },
        include: VERSION_WITH_JOB,
      });
      tags = version.job.tags as Tags;
    }
    const now = new Date();
    const canceled = orphan && inProgress ? await cancelForOrphan(tx, latest.job.id, now) : null;
    const build = await queueBuild(tx, ctx, {
      workspace: current,
      buildNumber: latest.buildNumber + 1,
      transition,
      templateVersionId: versionId,
      dailyCost,
      tags,
    });
    if (orphan) {
      // No provisioner runs it: the build is done, and the workspace deleted, now.
      await tx.provisionerJob.update({
        where: { id: build.jobId },
        data: { status: "SUCCEEDED", startedAt: now, completedAt: now },
      });
    }
    const workspace = await tx.workspace.update({
      where: { id },
      data: orphan ? { deleted: true } : { updatedAt: now },
    });
    const built = { transition, buildNumber: build.buildNumber, buildId: build.id, dailyCost };
    const target = {
      resourceType: "WORKSPACE",
      resourceId: workspace.id,
      resourceName: workspace.name,
      organizationId,
    } as const;
    if (transition === "START") {
      await recordAudit(tx, auditMeta(ctx), {
        ...target,
        action: "START",
        diff: { ...built, templateVersionId: versionId },
      });
    } else {
      const diff = orphan ? { ...built, orphan: true as const, canceledJobId: canceled?.id ?? null } : built;
      await recordAudit(tx, auditMeta(ctx), { ...target, action: transition, diff });
    }
    const changedJobs: ChangedJob[] = [{ id: build.jobId, organizationId, type: "WORKSPACE_BUILD" }];
    if (canceled) changedJobs.push(canceled);
    return { workspace, changedJobs };
  });
  // Live updates, after the commit.
  ctx.live.jobsChanged(transitioned.changedJobs);
  ctx.live.workspaceChanged(transitioned.workspace.id);
  return { workspace: transitioned.workspace };
}

/** The version a START builds: the one asked for, else the active one when required, else the current one. */
function startVersionId(
  template: { activeVersionId: string | null; requireActiveVersion: boolean },
  currentVersionId: string,
  wantedVersionId: string | null,
): string {
  const active = template.activeVersionId ?? currentVersionId;
  if (!template.requireActiveVersion) return wantedVersionId ?? currentVersionId;
  if (wantedVersionId && wantedVersionId !== active) {
    throw userError("ACTIVE_VERSION_REQUIRED", "The template requires workspaces to start on its active version.", [
      "input",
      "templateVersionId",
    ]);
  }
  return active;
}

/** The build in progress an orphan delete replaces: PENDING is canceled now, RUNNING is left to its daemon to cancel. */
async function cancelForOrphan(tx: Tx, jobId: string, now: Date) {
  const [job] = await tx.provisionerJob.updateManyAndReturn({
    where: { id: jobId, status: "PENDING" },
    data: { status: "CANCELED", error: CANCELED_BY_ORPHAN, completedAt: now },
    select: { id: true, organizationId: true, type: true },
  });
  if (job) return job;
  const [running] = await tx.provisionerJob.updateManyAndReturn({
    where: { id: jobId, status: "RUNNING" },
    data: { status: "CANCELING" },
    select: { id: true, organizationId: true, type: true },
  });
  return running ?? null;
}
