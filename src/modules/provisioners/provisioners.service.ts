// Provisioner writes: keys (by users), and the daemon operations (by Provisioner-Key actors):
// register, acquire a job, complete it.

import { recordAudit } from "../../audit/audit.js";
import { type Actor, PROVISIONER_KEY_PREFIX } from "../../auth/actor.js";
import { formatBearer, newSecret, sha256 } from "../../auth/secrets.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import { can, type Subject } from "../../authz/evaluator.js";
import { canReadJobs, canReadKeys, jobObject } from "../../authz/policies/provisioner.js";
import { applicableAclEntries, bestAclRole } from "../../authz/policies/template.js";
import { workspaceObject } from "../../authz/policies/workspace.js";
import type { ServiceContext } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type {
  Prisma,
  ProvisionerDaemon,
  ProvisionerJob,
  ProvisionerKey,
  TemplateVersion,
  WorkspaceBuild,
} from "../../generated/prisma/client.js";
import { forbidden, notFound, unauthenticated, userError } from "../../graphql/errors.js";
import { decodeId, globalId } from "../../graphql/ids.js";
import { createIdempotently, type KeyedTransaction } from "../idempotency/idempotency.js";
import { rethrowNameTaken } from "../shared/name-taken.js";
import { checkLabel, checkName, checkNonNegativeInt, ensure, invalidInput } from "../shared/validation.js";
import { type FailedJob, lockNextJob } from "./provisioner-queue.js";
import { checkTags, type Tag, type Tags, tagsObject } from "./tags.js";

type ProvisionerActor = Extract<Actor, { kind: "provisioner" }>;

const RESERVED_KEY_NAMES = ["built-in", "user-auth", "psk"];
const KEY_NAME_MAX = 64;

// ---- keys

type CreateProvisionerKeyInput = {
  organizationId: string;
  name: string;
  tags?: readonly Tag[] | null;
  idempotencyKey?: string | null;
};

type CreatedProvisionerKey = { provisionerKey: ProvisionerKey; key: string | null };

/**
 * With an idempotency key, a retry answers the key created the first time with `key: null`:
 * the secret is shown once and never stored, so a client that lost it deletes the key and makes another.
 */
export async function createProvisionerKey(
  ctx: ServiceContext,
  input: CreateProvisionerKeyInput,
): Promise<CreatedProvisionerKey> {
  const { user } = await ctx.viewer.require();
  return createIdempotently(
    ctx.prisma,
    { userId: user.id, operation: "createProvisionerKey", input },
    (inKeyedTransaction) => createNewProvisionerKey(ctx, input, inKeyedTransaction),
    async (id) => {
      const provisionerKey = await ctx.prisma.provisionerKey.findUnique({ where: { id } });
      if (!provisionerKey) throw notFound("provisioner key");
      return { provisionerKey, key: null };
    },
  );
}

const createdKeyId = (created: CreatedProvisionerKey) => created.provisionerKey.id;

async function createNewProvisionerKey(
  ctx: ServiceContext,
  input: CreateProvisionerKeyInput,
  inKeyedTransaction: KeyedTransaction,
): Promise<CreatedProvisionerKey> {
  const { subject } = await ctx.viewer.require();
  const organizationId = decodeId("Organization", input.organizationId, "organization");
  if (!can(subject, "READ", { type: "ORGANIZATION", organizationId })) throw notFound("organization");
  assertAllowed(subject, "CREATE", { type: "PROVISIONER_DAEMON", organizationId });
  const name = input.name;
  // The name rule (ASCII letters, digits, single hyphens) leaves no look-alike of a reserved name.
  ensure(
    checkName(name, ["input", "name"], { maxLength: KEY_NAME_MAX, reserved: RESERVED_KEY_NAMES }),
    ...checkTags(input.tags, ["input", "tags"]),
  );
  const tags = tagsObject(input.tags);
  const secret = newSecret();
  return inKeyedTransaction(createdKeyId, async (tx) => {
    const organization = await tx.organization.findUnique({ where: { id: organizationId }, select: { id: true } });
    if (!organization) throw notFound("organization");
    const provisionerKey = await tx.provisionerKey
      .create({ data: { organizationId, name, tags, secretHash: sha256(secret) } })
      // The unique index on (organization, lower(name)) refuses a name taken in any case.
      .catch(rethrowNameTaken("provisionerKey"));
    await recordAudit(tx, auditMeta(ctx), {
      action: "CREATE",
      resourceType: "PROVISIONER_KEY",
      resourceId: provisionerKey.id,
      resourceName: name,
      organizationId,
      diff: { name, tags },
    });
    return { provisionerKey, key: formatBearer(PROVISIONER_KEY_PREFIX, provisionerKey.id, secret) };
  });
}

export const KEY_DELETED_ERROR = "The provisioner key this daemon used was deleted.";

/** Deletes a key and its daemons' rows: the daemons are refused from their next request, and their running jobs fail now. */
export async function deleteProvisionerKey(ctx: ServiceContext, input: { provisionerKeyId: string }) {
  const { subject } = await ctx.viewer.require();
  const id = decodeId("ProvisionerKey", input.provisionerKeyId, "provisioner key");
  const deleted = await inTransaction(ctx.prisma, async (tx) => {
    const key = await tx.provisionerKey.findUnique({ where: { id } });
    if (!key || !canReadKeys(subject, key.organizationId)) throw notFound("provisioner key");
    assertAllowed(subject, "DELETE", { type: "PROVISIONER_DAEMON", organizationId: key.organizationId });
    const failed = await tx.provisionerJob.updateManyAndReturn({
      where: { status: { in: ["RUNNING", "CANCELING"] }, worker: { is: { keyId: key.id } } },
      data: { status: "FAILED", error: KEY_DELETED_ERROR, completedAt: new Date() },
      select: { id: true, organizationId: true, type: true },
    });
    // Coder tears down a key's daemons with it: their rows go now (finished jobs keep no worker).
    const { count: daemons } = await tx.provisionerDaemon.deleteMany({ where: { keyId: key.id } });
    await tx.provisionerKey.delete({ where: { id: key.id } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "DELETE",
      resourceType: "PROVISIONER_KEY",
      resourceId: key.id,
      resourceName: key.name,
      organizationId: key.organizationId,
      diff: { name: key.name, daemons, failedJobs: failed.length },
    });
    return { deletedId: globalId("ProvisionerKey", key.id), failed, organizationId: key.organizationId };
  });
  // Live updates, after the commit.
  ctx.live.jobsChanged(deleted.failed);
  ctx.live.daemonsChanged(deleted.organizationId);
  return { deletedId: deleted.deletedId };
}

// ---- daemon operations

function requireProvisioner(ctx: ServiceContext): ProvisionerActor {
  if (ctx.actor.kind === "invalid") throw unauthenticated(ctx.actor.reason);
  if (ctx.actor.kind !== "provisioner") throw unauthenticated("a provisioner key is required");
  return ctx.actor;
}

const PROVISIONER_TYPE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const DEFAULT_PROVISIONERS = ["echo"];

const DAEMON_NAME_TAKEN = "Another key's daemon that is not offline has this name.";
export const TAKEN_OVER_ERROR =
  "The provisioner daemon running this job went offline and its name was taken by another key.";

type DaemonFields = { keyId: string; version: string; provisioners: string[]; tags: Tags; lastSeenAt: Date };
type Registration = { daemon: ProvisionerDaemon; registered: boolean; failedJobs: FailedJob[] };

/**
 * Creates or refreshes the daemon `name` of the key's organization; doubles as the heartbeat.
 * A daemon belongs to the key that registered it: another key may take its name only once it is
 * OFFLINE (or its key was deleted), and then the jobs it was running fail. Every step is a
 * conditional write, so of concurrent registrations of one name by two keys exactly one wins.
 */
export async function registerDaemon(
  ctx: ServiceContext,
  input: { name: string; version: string; provisioners?: readonly string[] | null; organization?: string | null },
) {
  const actor = requireProvisioner(ctx);
  const provisioners = input.provisioners ? [...new Set(input.provisioners)] : DEFAULT_PROVISIONERS;
  ensure(
    checkLabel(input.name, ["input", "name"], "Name", 64),
    checkLabel(input.version, ["input", "version"], "Version", 64),
    provisioners.length > 10 || provisioners.some((p) => !PROVISIONER_TYPE.test(p))
      ? invalidInput(
          ["input", "provisioners"],
          "At most 10 provisioner types of lower-case letters, digits and hyphens (1-32 characters).",
        )
      : undefined,
  );
  if (input.organization != null) await assertKeyOrganization(ctx, actor, input.organization);
  const now = new Date();
  const fields = { keyId: actor.keyId, version: input.version, provisioners, tags: actor.tags, lastSeenAt: now };
  const offlineBefore = new Date(now.getTime() - ctx.config.provisionerStaleSeconds * 1000);
  const registration = await inTransaction(ctx.prisma, async (tx) => {
    const where = { organizationId: actor.organizationId, name: input.name };
    const result = await claimDaemonName(tx, where, fields, offlineBefore);
    if (!result) throw userError("NAME_TAKEN", DAEMON_NAME_TAKEN, ["input", "name"]);
    if (result.registered) {
      await recordAudit(
        tx,
        { ...auditMeta(ctx), actorId: null },
        {
          action: "REGISTER",
          resourceType: "PROVISIONER_DAEMON",
          resourceId: result.daemon.id,
          resourceName: result.daemon.name,
          organizationId: result.daemon.organizationId,
          diff: { keyName: actor.keyName, version: input.version, provisioners, tags: actor.tags },
        },
      );
    }
    return result;
  });
  // Live updates, after the commit.
  if (registration.failedJobs.length > 0) ctx.live.jobsChanged(registration.failedJobs);
  ctx.live.daemonsChanged(actor.organizationId);
  return { daemon: registration.daemon };
}

/** A daemon started for another organization than its key's is refused before it registers. */
async function assertKeyOrganization(ctx: ServiceContext, actor: ProvisionerActor, expected: string): Promise<void> {
  const { name } = await ctx.prisma.organization.findUniqueOrThrow({
    where: { id: actor.organizationId },
    select: { name: true },
  });
  // Organization names are unique case-insensitively (src/db/names.ts).
  if (name.toLowerCase() === expected.toLowerCase()) return;
  throw userError(
    "INVALID_INPUT",
    `The key belongs to organization ${name}, not ${expected}: the key decides the organization.`,
    ["input", "organization"],
  );
}

/** The daemon row for (organization, name) with this key, or null when another key's daemon holds the name. */
async function claimDaemonName(
  tx: Prisma.TransactionClient,
  where: { organizationId: string; name: string },
  fields: DaemonFields,
  offlineBefore: Date,
): Promise<Registration | null> {
  const refresh = () =>
    tx.provisionerDaemon.updateManyAndReturn({ where: { ...where, keyId: fields.keyId }, data: fields });
  const [refreshed] = await refresh();
  if (refreshed) return { daemon: refreshed, registered: false, failedJobs: [] };
  // ON CONFLICT DO NOTHING: a concurrent first registration waits here instead of aborting the transaction.
  const [created] = await tx.provisionerDaemon.createManyAndReturn({
    data: [{ ...where, ...fields }],
    skipDuplicates: true,
  });
  if (created) return { daemon: created, registered: true, failedJobs: [] };
  // The conflicting row may be this key's own, registered concurrently.
  const [concurrent] = await refresh();
  if (concurrent) return { daemon: concurrent, registered: false, failedJobs: [] };
  const [takenOver] = await tx.provisionerDaemon.updateManyAndReturn({
    where: {
      ...where,
      OR: [{ keyId: null }, { lastSeenAt: null }, { lastSeenAt: { lt: offlineBefore } }],
    },
    data: fields,
  });
  if (!takenOver) return null;
  // Its jobs were acquired under the previous key: nobody may complete them now.
  const failedJobs = await tx.provisionerJob.updateManyAndReturn({
    where: { workerId: takenOver.id, status: { in: ["RUNNING", "CANCELING"] } },
    data: { status: "FAILED", error: TAKEN_OVER_ERROR, completedAt: fields.lastSeenAt },
    select: { id: true, organizationId: true, type: true },
  });
  return { daemon: takenOver, registered: true, failedJobs };
}

export type AcquiredJobView = {
  job: ProvisionerJob;
  templateVersion: TemplateVersion | null;
  workspaceBuild: WorkspaceBuild | null;
};

/**
 * Hands the oldest pending job this daemon may run to it alone, or nothing. The daemon must be
 * one of the key's organization registered with this key (else NOT_FOUND); the call counts as
 * the daemon being seen.
 */
export async function acquireJob(
  ctx: ServiceContext,
  input: { daemonId: string },
): Promise<{ acquired: AcquiredJobView | null }> {
  const actor = requireProvisioner(ctx);
  const daemonId = decodeId("ProvisionerDaemon", input.daemonId, "provisioner daemon");
  const result = await inTransaction(ctx.prisma, async (tx) => {
    const now = new Date();
    const [daemon] = await tx.provisionerDaemon.updateManyAndReturn({
      where: { id: daemonId, organizationId: actor.organizationId, keyId: actor.keyId },
      data: { lastSeenAt: now },
      select: { tags: true },
    });
    if (!daemon) throw notFound("provisioner daemon");
    const jobId = await lockNextJob(tx, actor.organizationId, daemon.tags as Tags);
    if (!jobId) return { acquired: null };
    const job = await tx.provisionerJob.update({
      where: { id: jobId },
      data: { status: "RUNNING", workerId: daemonId, startedAt: now },
      include: { templateVersion: true, workspaceBuild: true },
    });
    const { templateVersion, workspaceBuild, ...plain } = job;
    return { acquired: { job: plain, templateVersion, workspaceBuild } };
  });
  if (result.acquired) ctx.live.jobsChanged([result.acquired.job]); // live update, after the commit
  return result;
}

const MAX_ERROR_LENGTH = 4096;
const DEFAULT_FAILURE = "The provisioner reported a failure.";

/**
 * Finishes a job the calling daemon holds (RUNNING, worker registered with the caller's key and,
 * when given, the named daemon); anything else is NOT_FOUND. Success of an import records the
 * reported daily cost on the template version; success of a DELETE build deletes its workspace
 * (a canceled or failed one leaves it, as Coder).
 */
export async function completeJob(
  ctx: ServiceContext,
  input: { jobId: string; daemonId?: string | null; error?: string | null; dailyCost?: number | null },
) {
  const actor = requireProvisioner(ctx);
  const jobId = decodeId("ProvisionerJob", input.jobId, "provisioner job");
  const daemonId = input.daemonId ? decodeId("ProvisionerDaemon", input.daemonId, "provisioner daemon") : null;
  ensure(checkNonNegativeInt(input.dailyCost, ["input", "dailyCost"], "Daily cost"));
  const failed = input.error !== null && input.error !== undefined;
  // A daemon's log text: NUL (which text columns cannot hold) is dropped, not refused, so the job still fails.
  const error = failed
    ? (input.error?.replaceAll("\0", "").trim().slice(0, MAX_ERROR_LENGTH) ?? "") || DEFAULT_FAILURE
    : null;
  const completed = await inTransaction(ctx.prisma, async (tx) => {
    const job = await tx.provisionerJob.findFirst({
      where: { id: jobId, organizationId: actor.organizationId },
      include: { worker: true },
    });
    const holder = job?.worker;
    if (!job || !holder || holder.keyId !== actor.keyId || (daemonId !== null && holder.id !== daemonId)) {
      throw notFound("provisioner job");
    }
    const now = new Date();
    // Conditional on the key: a daemon whose name another key took over meanwhile is no longer the caller's.
    const seen = await tx.provisionerDaemon.updateMany({
      where: { id: holder.id, keyId: actor.keyId },
      data: { lastSeenAt: now },
    });
    if (seen.count === 0) throw notFound("provisioner job");
    // Read under a row lock: the reaper may have failed it, or a cancel marked it CANCELING, meanwhile.
    const status = await lockJobStatus(tx, job.id, holder.id);
    if (status !== "RUNNING" && status !== "CANCELING") {
      const now = (status ?? job.status).toLowerCase();
      throw userError("JOB_NOT_RUNNING", `The job is ${now}, not running.`, ["input", "jobId"]);
    }
    // A job canceled while it ran ends CANCELED whatever the daemon reports.
    const canceled = status === "CANCELING";
    await tx.provisionerJob.update({
      where: { id: job.id },
      data: canceled
        ? { status: "CANCELED", error: CANCELED_ERROR, completedAt: now }
        : { status: failed ? "FAILED" : "SUCCEEDED", error, completedAt: now },
    });
    if (!canceled && !failed && job.type === "TEMPLATE_VERSION_IMPORT" && input.dailyCost != null) {
      await tx.templateVersion.updateMany({ where: { jobId: job.id }, data: { dailyCost: input.dailyCost } });
    }
    if (!canceled && !failed && job.type === "WORKSPACE_BUILD") await markDeletedByBuild(tx, job.id);
    return { job: await tx.provisionerJob.findUniqueOrThrow({ where: { id: job.id } }) };
  });
  ctx.live.jobsChanged([completed.job]); // live update, after the commit
  return completed;
}

/** Marks the workspace of a DELETE build deleted (its name is then free); nothing for other builds. */
export async function markDeletedByBuild(tx: Prisma.TransactionClient, jobId: string): Promise<void> {
  await tx.workspace.updateMany({
    where: { deleted: false, builds: { some: { jobId, transition: "DELETE" } } },
    data: { deleted: true },
  });
}

/** The job's status, locked for the rest of the transaction; null unless `workerId` holds it. */
async function lockJobStatus(
  tx: Prisma.TransactionClient,
  jobId: string,
  workerId: string,
): Promise<ProvisionerJob["status"] | null> {
  const rows = await tx.$queryRaw<{ status: ProvisionerJob["status"] }[]>`
    SELECT status::text AS status FROM "ProvisionerJob"
    WHERE id = ${jobId}::uuid AND "workerId" = ${workerId}::uuid
    FOR UPDATE`;
  return rows[0]?.status ?? null;
}

// ---- cancel (users)

export const CANCELED_ERROR = "The job was canceled.";

/**
 * Cancels a job: PENDING becomes CANCELED at once (no daemon will acquire it); RUNNING becomes
 * CANCELING, and its daemon, told at its next heartbeat or completion call, reports it CANCELED.
 * Who may: PROVISIONER_JOBS UPDATE in the job's organization; for an import, who may update its
 * template; for a build, its workspace's owner and who may update the workspace.
 */
export async function cancelJob(ctx: ServiceContext, input: { jobId: string }): Promise<{ job: ProvisionerJob }> {
  const { user, subject } = await ctx.viewer.require();
  const jobId = decodeId("ProvisionerJob", input.jobId, "provisioner job");
  const found = await ctx.prisma.provisionerJob.findUnique({
    where: { id: jobId },
    include: {
      templateVersion: { select: { template: { select: { organizationId: true, ...applicableAclEntries(user.id) } } } },
      workspaceBuild: { select: { workspace: { select: { organizationId: true, ownerId: true } } } },
    },
  });
  if (!found || !canReadJobs(subject, found.organizationId)) throw notFound("provisioner job");
  if (!mayCancel(subject, found)) throw forbidden("PROVISIONER_JOBS", "UPDATE");
  const canceled = await inTransaction(ctx.prisma, async (tx) => {
    // Conditional writes: a PENDING job a daemon acquires concurrently is RUNNING by now, and is
    // then marked CANCELING instead; a job is never both acquired and CANCELED.
    const now = new Date();
    const pending = await tx.provisionerJob.updateMany({
      where: { id: jobId, status: "PENDING" },
      data: { status: "CANCELED", error: CANCELED_ERROR, completedAt: now },
    });
    const from = pending.count > 0 ? "PENDING" : "RUNNING";
    if (pending.count === 0) {
      const running = await tx.provisionerJob.updateMany({
        where: { id: jobId, status: "RUNNING" },
        data: { status: "CANCELING" },
      });
      if (running.count === 0) {
        const current = await tx.provisionerJob.findUniqueOrThrow({ where: { id: jobId }, select: { status: true } });
        throw userError(
          "JOB_NOT_CANCELABLE",
          `The job is ${current.status.toLowerCase()}: only a pending or running job can be canceled.`,
          ["input", "jobId"],
        );
      }
    }
    const job = await tx.provisionerJob.findUniqueOrThrow({ where: { id: jobId } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "CANCEL",
      resourceType: "PROVISIONER_JOB",
      resourceId: job.id,
      organizationId: job.organizationId,
      diff: { type: job.type, from, to: job.status },
    });
    return { job };
  });
  ctx.live.jobsChanged([canceled.job]); // live update, after the commit
  return canceled;
}

type CancelTarget = ProvisionerJob & {
  templateVersion: { template: (Parameters<typeof bestAclRole>[0] & { organizationId: string }) | null } | null;
  workspaceBuild: { workspace: { organizationId: string; ownerId: string } } | null;
};

function mayCancel(subject: Subject, job: CancelTarget): boolean {
  if (can(subject, "UPDATE", jobObject(job))) return true;
  const template = job.templateVersion?.template;
  if (template) {
    const object = {
      type: "TEMPLATE",
      organizationId: template.organizationId,
      aclRole: bestAclRole(template),
    } as const;
    return can(subject, "UPDATE", object);
  }
  const workspace = job.workspaceBuild?.workspace;
  if (!workspace) return false;
  // Members hold no UPDATE on their own workspaces, yet may cancel their builds (Coder's rule).
  return workspace.ownerId === subject.userId || can(subject, "UPDATE", workspaceObject(workspace));
}
