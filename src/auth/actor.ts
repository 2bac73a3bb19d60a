// Who is making a request, resolved once at the edge from its credential headers.
import type { PrismaClient, User } from "../generated/prisma/client.js";
import { parseBearer, secretMatches } from "./secrets.js";
import { SessionTokenError, type SessionTokens } from "./session-tokens.js";

export const API_TOKEN_PREFIX = "oat_";
export const PROVISIONER_KEY_PREFIX = "opk_";

/** A user's memberships as the authorization subject needs them. */
export type MembershipRoles = { organizationId: string; roles: string[] };

export type Actor =
  | { kind: "anonymous" }
  /** A credential was sent but cannot be accepted; `reason` is safe to show. */
  | { kind: "invalid"; reason: string }
  | {
      kind: "user";
      user: User;
      sessionId: string | null;
      apiTokenId: string | null;
      /** Read with the credential, in the same statement, so the subject costs no query of its own. */
      memberships?: MembershipRoles[];
    }
  | {
      kind: "provisioner";
      keyId: string;
      keyName: string;
      organizationId: string;
      tags: Record<string, string>;
    };

const LAST_USED_RESOLUTION_MS = 60_000;

/** The credential's user with their memberships: one statement (relation joins). */
const USER_WITH_MEMBERSHIPS = {
  user: { include: { memberships: { select: { organizationId: true, roles: true } } } },
} as const;

function splitMemberships<T extends { memberships: MembershipRoles[] }>(row: T) {
  const { memberships, ...user } = row;
  return { user, memberships };
}

export type ActorDeps = { prisma: PrismaClient; sessionTokens: SessionTokens; onBackgroundError(e: unknown): void };

export async function resolveActor(headers: Headers, deps: ActorDeps): Promise<Actor> {
  const provisionerKey = headers.get("provisioner-key");
  const authorization = headers.get("authorization");
  if (provisionerKey !== null && authorization !== null) {
    return { kind: "invalid", reason: "send either Authorization or Provisioner-Key, not both" };
  }
  if (provisionerKey !== null) return provisionerActor(provisionerKey.trim(), deps.prisma);
  if (authorization === null) return { kind: "anonymous" };
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) return { kind: "invalid", reason: "the Authorization header must be 'Bearer <token>'" };
  const token = match[1];
  return token.startsWith(API_TOKEN_PREFIX) ? apiTokenActor(token, deps) : sessionActor(token, deps);
}

function userProblem(user: User): string | null {
  return user.status === "SUSPENDED" ? "the user is suspended" : null;
}

async function sessionActor(token: string, deps: ActorDeps): Promise<Actor> {
  let claims: { userId: string; sessionId: string };
  try {
    claims = await deps.sessionTokens.verify(token);
  } catch (error) {
    if (error instanceof SessionTokenError) return { kind: "invalid", reason: error.message };
    throw error;
  }
  const session = await deps.prisma.session.findUnique({
    where: { id: claims.sessionId },
    include: USER_WITH_MEMBERSHIPS,
  });
  if (!session || session.userId !== claims.userId) return { kind: "invalid", reason: "unknown session" };
  if (session.revokedAt) return { kind: "invalid", reason: "the session was logged out" };
  if (session.expiresAt <= new Date()) return { kind: "invalid", reason: "the session expired" };
  const problem = userProblem(session.user);
  if (problem) return { kind: "invalid", reason: problem };
  touchLastSeen(session.user, new Date(), deps);
  return { kind: "user", ...splitMemberships(session.user), sessionId: session.id, apiTokenId: null };
}

async function apiTokenActor(token: string, deps: ActorDeps): Promise<Actor> {
  const parsed = parseBearer(API_TOKEN_PREFIX, token);
  if (!parsed) return { kind: "invalid", reason: "malformed API token" };
  const row = await deps.prisma.apiToken.findUnique({ where: { id: parsed.id }, include: USER_WITH_MEMBERSHIPS });
  if (!row || !secretMatches(parsed.secret, row.secretHash)) {
    return { kind: "invalid", reason: "unknown API token" };
  }
  const now = new Date();
  if (row.expiresAt && row.expiresAt <= now) return { kind: "invalid", reason: "the API token expired" };
  const problem = userProblem(row.user);
  if (problem) return { kind: "invalid", reason: problem };
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Not awaited: the request need not wait for bookkeeping, and a failure here is harmless.
    deps.prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } }).catch(deps.onBackgroundError);
  }
  touchLastSeen(row.user, now, deps);
  return { kind: "user", ...splitMemberships(row.user), sessionId: null, apiTokenId: row.id };
}

/**
 * User.lastSeenAt, at most once a minute per user: no statement at all while the loaded row is
 * fresh; otherwise one conditional update, not awaited (off the request's path), that another
 * instance's request of the same minute makes a no-op.
 */
function touchLastSeen(user: User, now: Date, deps: ActorDeps): void {
  if (user.lastSeenAt && now.getTime() - user.lastSeenAt.getTime() < LAST_USED_RESOLUTION_MS) return;
  const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  // Raw: bookkeeping, not an edit of the user (updatedAt stays).
  deps.prisma.$executeRaw`
    UPDATE "User" SET "lastSeenAt" = ${now}
    WHERE id = ${user.id}::uuid AND ("lastSeenAt" IS NULL OR "lastSeenAt" < ${stale})`.catch(deps.onBackgroundError);
}

async function provisionerActor(secret: string, prisma: PrismaClient): Promise<Actor> {
  const parsed = parseBearer(PROVISIONER_KEY_PREFIX, secret);
  if (!parsed) return { kind: "invalid", reason: "malformed provisioner key" };
  const key = await prisma.provisionerKey.findUnique({ where: { id: parsed.id } });
  if (!key || !secretMatches(parsed.secret, key.secretHash)) {
    return { kind: "invalid", reason: "unknown provisioner key" };
  }
  return {
    kind: "provisioner",
    keyId: key.id,
    keyName: key.name,
    organizationId: key.organizationId,
    tags: key.tags as Record<string, string>,
  };
}
