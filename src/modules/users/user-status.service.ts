// A user's lifecycle by hand: suspend, reactivate, delete. Suspension takes effect at once because
// every credential check refuses a suspended user (sessions, API tokens, each subscription event).
import { assertAllowed } from "../../authz/assert.js";
import { mayManageUserWithRoles } from "../../authz/evaluator.js";
import type { Action } from "../../authz/permissions.js";
import { userWhere } from "../../authz/policies/user.js";
import type { ServiceContext } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma, User, UserStatus } from "../../generated/prisma/client.js";
import { notFound, userError } from "../../graphql/errors.js";
import { decodeId, globalId } from "../../graphql/ids.js";
import { deleteUserRecord, updateUserRecord } from "./user-writes.js";

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

/** The status written with its UPDATE event (a suspension's reports its canceled builds); nothing when it is already so. */
async function setStatus(ctx: ServiceContext, tx: Tx, user: User, status: UserStatus) {
  if (user.status === status) return user;
  return updateUserRecord(ctx, tx, user, {
    data: { status },
    diff: (canceledJobs) => ({
      status: { from: user.status, to: status },
      ...(status === "SUSPENDED" ? { canceledJobs } : {}),
    }),
  });
}

/** Site user admins and owners; never oneself, never the last active owner. */
export async function suspendUser(ctx: ServiceContext, input: { userId: string }) {
  const viewer = await ctx.viewer.require();
  return inTransaction(ctx.prisma, async (tx) => {
    const { user, isSelf } = await targetUser(viewer, tx, input.userId, "UPDATE");
    if (isSelf) throw userError("CANNOT_SUSPEND_SELF", "You cannot suspend yourself.", ["input", "userId"]);
    if (await isLastActiveOwner(tx, user)) {
      throw userError("LAST_OWNER", "The last active site owner cannot be suspended.", ["input", "userId"]);
    }
    return { user: await setStatus(ctx, tx, user, "SUSPENDED") };
  });
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
  return inTransaction(ctx.prisma, async (tx) => {
    const { user, isSelf } = await targetUser(viewer, tx, input.userId, "DELETE");
    if (isSelf) throw userError("CANNOT_DELETE_SELF", "You cannot delete yourself.", ["input", "userId"]);
    if (await isLastActiveOwner(tx, user)) {
      throw userError("LAST_OWNER", "The last active site owner cannot be deleted.", ["input", "userId"]);
    }
    if (await tx.workspace.count({ where: { ownerId: user.id, deleted: false } })) {
      throw userError("USER_HAS_WORKSPACES", "Delete this user's workspaces first.", ["input", "userId"]);
    }
    await deleteUserRecord(ctx, tx, user, { email: user.email, username: user.username });
    return { deletedId: globalId("User", user.id) };
  });
}
