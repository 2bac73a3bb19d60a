// A subscription outlives the request that opened it, so each event re-checks the credential it
// was opened with: the session must still be open (not logged out or expired) or the API token
// must still exist (not deleted or expired), and the user must not be suspended. Then the
// viewer's subject is reloaded, so membership and role changes apply to the very next event.

import type { Context } from "../../context.js";
import type { User } from "../../generated/prisma/client.js";

type UserActor = Extract<Context["actor"], { kind: "user" }>;

const usable = (user: User) => user.status !== "SUSPENDED";

async function currentUser(ctx: Context, actor: UserActor): Promise<User | null> {
  const now = new Date();
  if (actor.sessionId) {
    const session = await ctx.prisma.session.findUnique({ where: { id: actor.sessionId }, include: { user: true } });
    if (!session || session.revokedAt || session.expiresAt <= now || !usable(session.user)) return null;
    return session.user;
  }
  if (actor.apiTokenId) {
    const token = await ctx.prisma.apiToken.findUnique({ where: { id: actor.apiTokenId }, include: { user: true } });
    if (!token || (token.expiresAt && token.expiresAt <= now) || !usable(token.user)) return null;
    return token.user;
  }
  return null;
}

/**
 * Re-resolves the subscriber's credential; true when it still holds, and then the context answers
 * with the user's current roles (the next `ctx.viewer.subject()` reloads them).
 */
export async function refreshViewer(ctx: Context): Promise<boolean> {
  const actor = ctx.actor;
  if (actor.kind !== "user") return false;
  const user = await currentUser(ctx, actor);
  if (!user) return false;
  // Without the memberships read with the original credential: they are what may have changed.
  const { memberships: _stale, ...fresh } = actor;
  ctx.signedIn({ ...fresh, user });
  return true;
}
