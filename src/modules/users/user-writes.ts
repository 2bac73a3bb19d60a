// The writes of a user's lifecycle that GraphQL (users.service.ts, user-status.service.ts) and
// SCIM (scim-users.ts) share: each checks the viewer's permission through the evaluator (SCIM's
// viewer holds the SCIM role), writes inside the caller's transaction and records its audit
// event there. The edges keep their own lookups, rules and errors.
import { recordAudit } from "../../audit/audit.js";
import type { AuditRegistry } from "../../audit/events.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import type { ServiceContext } from "../../context.js";
import { afterCommit } from "../../db/transaction.js";
import type { Prisma, User, UserStatus } from "../../generated/prisma/client.js";
import type { ChangedJob } from "../../live/live-events.js";

type Tx = Prisma.TransactionClient;

const CANCELED_BY_SUSPENSION = "The job was canceled: the user who started it was suspended.";

/**
 * The user's builds no daemon has started yet are canceled (as cancelProvisionerJob cancels a
 * pending job; conditional, so one a daemon acquires meanwhile runs on). Running ones finish.
 */
async function cancelPendingBuildsOf(tx: Tx, userId: string): Promise<ChangedJob[]> {
  const jobs = await tx.provisionerJob.findMany({
    where: { status: "PENDING", workspaceBuild: { is: { initiatorId: userId } } },
    select: { id: true, organizationId: true, type: true },
  });
  if (jobs.length === 0) return [];
  await tx.provisionerJob.updateMany({
    where: { id: { in: jobs.map((j) => j.id) }, status: "PENDING" },
    data: { status: "CANCELED", error: CANCELED_BY_SUSPENSION, completedAt: new Date() },
  });
  return jobs;
}

/**
 * A new user, member of `organizationIds`, with the CREATE event (diff from the created row).
 * The viewer needs USER CREATE and ORGANIZATION_MEMBER CREATE in each organization. A taken
 * email or username leaves as the database's unique violation, for the edge to answer.
 */
export async function insertUserWithMemberships(
  ctx: ServiceContext,
  tx: Tx,
  data: Prisma.UserUncheckedCreateInput,
  organizationIds: readonly string[],
  diff: (user: User) => AuditRegistry["USER"]["CREATE"],
): Promise<User> {
  const subject = await ctx.viewer.requireSubject();
  assertAllowed(subject, "CREATE", { type: "USER" });
  for (const organizationId of organizationIds) {
    assertAllowed(subject, "CREATE", { type: "ORGANIZATION_MEMBER", organizationId });
  }
  const user = await tx.user.create({ data });
  if (organizationIds.length > 0) {
    await tx.organizationMember.createMany({
      data: organizationIds.map((organizationId) => ({ organizationId, userId: user.id })),
    });
  }
  await recordAudit(tx, auditMeta(ctx), {
    action: "CREATE",
    resourceType: "USER",
    resourceId: user.id,
    resourceName: user.username,
    diff: diff(user),
  });
  return user;
}

/** Columns of a user's change: the status (a value, to tell a suspension), and SCIM's attributes with it. */
export type UserColumns = Prisma.UserUncheckedUpdateInput & { status?: UserStatus };

export type UserChange = {
  data: UserColumns;
  /** The UPDATE event's diff, given how many pending builds a suspension canceled. */
  diff: (canceledJobs: number) => AuditRegistry["USER"]["UPDATE"];
};

/**
 * Writes a change of `user` (locked by the caller) with its UPDATE event. Becoming SUSPENDED
 * cancels the user's pending builds, and after the commit ends their subscriptions (every
 * credential check refuses a suspended user) and tells watchers of the jobs. Reactivating is
 * the same write to another status. The viewer needs USER UPDATE on the user.
 */
export async function updateUserRecord(ctx: ServiceContext, tx: Tx, user: User, change: UserChange): Promise<User> {
  assertAllowed(await ctx.viewer.requireSubject(), "UPDATE", { type: "USER", ownerId: user.id });
  const suspending = change.data.status === "SUSPENDED" && user.status !== "SUSPENDED";
  const canceled = suspending ? await cancelPendingBuildsOf(tx, user.id) : [];
  const updated = await tx.user.update({ where: { id: user.id }, data: change.data });
  await recordAudit(tx, auditMeta(ctx), {
    action: "UPDATE",
    resourceType: "USER",
    resourceId: user.id,
    resourceName: user.username,
    diff: change.diff(canceled.length),
  });
  if (suspending) {
    afterCommit(tx, () => {
      ctx.live.userAccessChanged(user.id);
      if (canceled.length > 0) ctx.live.jobsChanged(canceled);
    });
  }
  return updated;
}

/**
 * Deletes `user` (locked by the caller, owning no workspace that is not deleted) with their
 * deleted workspaces and those builds, and records DELETE; after the commit their
 * subscriptions end. The viewer needs USER DELETE on the user.
 */
export async function deleteUserRecord(
  ctx: ServiceContext,
  tx: Tx,
  user: User,
  diff: AuditRegistry["USER"]["DELETE"],
): Promise<void> {
  assertAllowed(await ctx.viewer.requireSubject(), "DELETE", { type: "USER", ownerId: user.id });
  await tx.workspace.deleteMany({ where: { ownerId: user.id, deleted: true } });
  await tx.user.delete({ where: { id: user.id } });
  await recordAudit(tx, auditMeta(ctx), {
    action: "DELETE",
    resourceType: "USER",
    resourceId: user.id,
    resourceName: user.username,
    diff,
  });
  afterCommit(tx, () => ctx.live.userAccessChanged(user.id));
}
