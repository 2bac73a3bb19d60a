// A user's own details: profile changes (by the user or a user admin) and password changes.
import { recordAudit } from "../../audit/audit.js";
import { hashPassword, passwordProblem, verifyPassword } from "../../auth/passwords.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import { mayChangeEmails, mayManageUserWithRoles } from "../../authz/evaluator.js";
import { userWhere } from "../../authz/policies/user.js";
import type { ServiceContext } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import { notFound, userError } from "../../graphql/errors.js";
import { decodeId } from "../../graphql/ids.js";
import { rethrowNameTaken } from "../shared/name-taken.js";
import { checkEmail, checkText, checkUsername, ensure } from "../shared/validation.js";
import { outranked } from "./user-status.service.js";

type ProfileInput = { userId: string; name?: string | null; username?: string | null; email?: string | null };

/** Changes what is given; the user themself or anyone with USER UPDATE (user admins, owners). */
export async function updateUser(ctx: ServiceContext, input: ProfileInput) {
  const { user: viewer, subject } = await ctx.viewer.require();
  const userId = decodeId("User", input.userId, "user");
  const email = input.email?.trim().toLowerCase();
  ensure(
    email === undefined ? undefined : checkEmail(email, ["input", "email"]),
    input.username === null || input.username === undefined
      ? undefined
      : checkUsername(input.username, ["input", "username"]),
    checkText(input.name, ["input", "name"], 128, "Name"),
  );
  return inTransaction(ctx.prisma, async (tx) => {
    const target = await tx.user.findFirst({ where: { id: userId, ...userWhere(subject) } });
    if (!target) throw notFound("user");
    if (target.id !== viewer.id) {
      assertAllowed(subject, "UPDATE", { type: "USER", ownerId: target.id });
      if (!mayManageUserWithRoles(subject, target.siteRoles)) throw outranked();
    }
    if (email !== undefined && email !== target.email && !mayChangeEmails(subject)) {
      throw userError("PERMISSION_ESCALATION", "Only a site owner may change an email address.", ["input", "email"]);
    }
    const data = {
      ...(input.name != null && input.name !== target.name ? { name: input.name } : {}),
      ...(input.username != null && input.username !== target.username ? { username: input.username } : {}),
      ...(email !== undefined && email !== target.email ? { email } : {}),
    };
    if (Object.keys(data).length === 0) return { user: target };
    // The unique indexes on lower(username) and lower(email) refuse a taken one in any case.
    const user = await tx.user.update({ where: { id: target.id }, data }).catch(rethrowNameTaken("email", "username"));
    const diff = Object.fromEntries(
      Object.entries(data).map(([key, to]) => [key, { from: target[key as keyof typeof data], to }]),
    );
    await recordAudit(tx, auditMeta(ctx), {
      action: "UPDATE",
      resourceType: "USER",
      resourceId: user.id,
      resourceName: user.username,
      diff,
    });
    return { user };
  });
}

/** The viewer's own password; every other session of theirs ends (the current one stays). */
export async function changePassword(ctx: ServiceContext, input: { oldPassword: string; newPassword: string }) {
  const { user } = await ctx.viewer.require();
  const ok = user.passwordHash !== null && (await verifyPassword(input.oldPassword, user.passwordHash));
  if (!ok) throw userError("INVALID_CREDENTIALS", "The current password is incorrect.", ["input", "oldPassword"]);
  const problem = passwordProblem(input.newPassword);
  if (problem) throw userError("INVALID_INPUT", problem, ["input", "newPassword"]);
  const passwordHash = await hashPassword(input.newPassword, ctx.config.passwordHashCost);
  const currentSessionId = ctx.actor.kind === "user" ? ctx.actor.sessionId : null;
  const changed = await inTransaction(ctx.prisma, async (tx) => {
    const updated = await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    const ended = await tx.session.updateMany({
      where: { userId: user.id, revokedAt: null, ...(currentSessionId ? { id: { not: currentSessionId } } : {}) },
      data: { revokedAt: new Date() },
    });
    await recordAudit(tx, auditMeta(ctx), {
      action: "UPDATE",
      resourceType: "USER",
      resourceId: user.id,
      resourceName: user.username,
      diff: { password: "changed", sessionsEnded: ended.count },
    });
    return { user: updated };
  });
  ctx.live.userAccessChanged(user.id); // subscriptions of the ended sessions end now
  return changed;
}
