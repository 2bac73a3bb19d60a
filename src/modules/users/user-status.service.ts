// A user's lifecycle by hand: suspend, reactivate, delete. Suspension takes effect at once because
// every credential check refuses a suspended user (sessions, API tokens, each subscription event).
import { recordAudit } from "../../audit/audit.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import { mayManageUserWithRoles } from "../../authz/evaluator.js";
import type { Action } from "../../authz/permissions.js";
import { userWhere } from "../../authz/policies/user.js";
import type { ServiceContext } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma, User, UserStatus } from "../../generated/prisma/client.js";
import { notFound, userError } from "../../graphql/errors.js";
import { decodeId, globalId } from "../../graphql/ids.js";
import type { ChangedJob } from "../../live/live-events.js";

type Tx = Prisma.TransactionClient;

const OWNER = "owner";

/**
 * Whether taking `user` away would leave no active site owner. Owner rows are locked until the
 * transaction ends, so two concurrent requests cannot each take away one of the last two.
 */
export async function isLastActiveOwner(tx: Tx, user: User): Promise<boolean> {
  if (!user.siteRoles.includes(OWNER) || user.status === "SUSPENDED") return false;
  const owners = await tx.$queryRaw<{ id: string; status: UserStatus }[]>`
    SELECT id, status FROM "User" WHERE ${OWNER} = ANY("siteRoles") ORDER BY id FOR UPDATE`;
  return !owners.some((o) => o.id !== user.id && o.status !== "SUSPENDED");
}

type Viewer = Awaited<ReturnType<ServiceContext["viewer"]["require"]>>;

/**
 * The target user, locked, when the viewer may see it (else NOT_FOUND) and holds `action` on
 * users. The viewer is loaded before the transaction opens (on PGlite's single connection a
 * read through the main client inside it would wait for itself).
 */
/** Refuses acting on a user who holds site roles the viewer could not assign. */
export const outranked = () =>
  userError("PERMISSION_ESCALATION", "Only who may assign all of this user's site roles may change this user.", [
    "input",
    "userId",
  ]);

async function targetUser({ user: viewer, subject }: Viewer, tx: Tx, id: string, action: Action) {
  const userId = decodeId("User", id, "user");
  const visible = await tx.user.findFirst({ where: { id: userId, ...userWhere(subject) }, select: { id: true } });
  if (!visible) throw notFound("user");
  assertAllowed(subject, action, { type: "USER", ownerId: userId });
  await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${userId}::uuid FOR UPDATE`;
  const user = await tx.user.findUniqueOrThrow({ where: { id: userId } });
  if (user.id !== viewer.id && !mayManageUserWithRoles(subject, user.siteRoles)) {
    throw outranked();
  }
  return { user, isSelf: user.id === viewer.id };
}

async function setStatus(
  ctx: ServiceContext,
  tx: Tx,
  user: User,
  status: UserStatus,
  extra: Record<string, unknown> = {},
) {
  if (user.status === status) return user;
  const updated = await tx.user.update({ where: { id: user.id }, data: { status } });
  await recordAudit(tx, auditMeta(ctx), {
    action: "UPDATE",
    resourceType: "USER",
    resourceId: user.id,
    resourceName: user.username,
    diff: { status: { from: user.status, to: status }, ...extra },
  });
  return updated;
}

/**
 * The user's builds no daemon has started yet are canceled (as cancelProvisionerJob cancels a
 * pending job; conditional, so one a daemon acquires meanwhile runs on). Running ones finish.
 */
export async function cancelPendingBuildsOf(tx: Tx, userId: string): Promise<ChangedJob[]> {
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

const CANCELED_BY_SUSPENSION = "The job was canceled: the user who started it was suspended.";

/** Site user admins and owners; never oneself, never the last active owner. */
export async function suspendUser(ctx: ServiceContext, input: { userId: string }) {
  const viewer = await ctx.viewer.require();
  const result = await inTransaction(ctx.prisma, async (tx) => {
    const { user, isSelf } = await targetUser(viewer, tx, input.userId, "UPDATE");
    if (isSelf) throw userError("CANNOT_SUSPEND_SELF", "You cannot suspend yourself.", ["input", "userId"]);
    if (await isLastActiveOwner(tx, user)) {
      throw userError("LAST_OWNER", "The last active site owner cannot be suspended.", ["input", "userId"]);
    }
    const canceled = user.status === "SUSPENDED" ? [] : await cancelPendingBuildsOf(tx, user.id);
    const suspended = await setStatus(ctx, tx, user, "SUSPENDED", { canceledJobs: canceled.length });
    return { user: suspended, canceled };
  });
  // After the commit: the user's subscriptions end now, watchers of the jobs see them canceled.
  ctx.live.userAccessChanged(result.user.id);
  if (result.canceled.length > 0) ctx.live.jobsChanged(result.canceled);
  return { user: result.user };
}

export async function activateUser(ctx: ServiceContext, input: { userId: string }) {
  const viewer = await ctx.viewer.require();
  return inTransaction(ctx.prisma, async (tx) => {
    const { user } = await targetUser(viewer, tx, input.userId, "UPDATE");
    return { user: await setStatus(ctx, tx, user, "ACTIVE") };
  });
}

/**
 * Refused while the user owns workspaces that are not deleted; their deleted workspaces (and
 * those builds) go with them. Never oneself, never the last active owner.
 */
export async function deleteUser(ctx: ServiceContext, input: { userId: string }) {
  const viewer = await ctx.viewer.require();
  const deleted = await inTransaction(ctx.prisma, async (tx) => {
    const { user, isSelf } = await targetUser(viewer, tx, input.userId, "DELETE");
    if (isSelf) throw userError("CANNOT_DELETE_SELF", "You cannot delete yourself.", ["input", "userId"]);
    if (await isLastActiveOwner(tx, user)) {
      throw userError("LAST_OWNER", "The last active site owner cannot be deleted.", ["input", "userId"]);
    }
    if (await tx.workspace.count({ where: { ownerId: user.id, deleted: false } })) {
      throw userError("USER_HAS_WORKSPACES", "Delete this user's workspaces first.", ["input", "userId"]);
    }
    await tx.workspace.deleteMany({ where: { ownerId: user.id, deleted: true } });
    await tx.user.delete({ where: { id: user.id } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "DELETE",
      resourceType: "USER",
      resourceId: user.id,
      resourceName: user.username,
      diff: { email: user.email, username: user.username },
    });
    return { deletedId: globalId("User", user.id), userId: user.id };
  });
  ctx.live.userAccessChanged(deleted.userId);
  return { deletedId: deleted.deletedId };
}
