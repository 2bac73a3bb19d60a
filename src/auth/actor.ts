// Who is making a request, resolved once at the edge from its credential headers.
import type { PrismaClient, User } from "../generated/prisma/client.js";
import { CredentialCache } from "./credential-cache.js";
import { parseBearer, secretMatches } from "./secrets.js";
import { readCookie, SESSION_COOKIE_NAME } from "./session-cookie.js";
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
      /** Authenticated by the session cookie (not a header): mutations then need the CSRF header. */
      viaCookie?: boolean;
    }
  | {
      kind: "provisioner";
      keyId: string;
      keyName: string;
      organizationId: string;
      tags: Record<string, string>;
    }
  /**
   * The identity provider pushing users through /scim/v2 with the SCIM key. Built by the SCIM
   * edge only: `resolveActor` (GraphQL) never answers it, so its subject stays out of GraphQL.
   */
  | { kind: "scim" };

/** An accepted credential's actor: what the credential cache keeps. */
export type KnownActor = Extract<Actor, { kind: "user" | "provisioner" }>;

const LAST_USED_RESOLUTION_MS = 60_000;

/** The credential's user with their memberships: one statement (relation joins). */
const USER_WITH_MEMBERSHIPS = {
  user: { include: { memberships: { select: { organizationId: true, roles: true } } } },
} as const;

function splitMemberships<T extends { memberships: MembershipRoles[] }>(row: T) {
  const { memberships, ...user } = row;
  return { user, memberships };
}

export type ActorDeps = {
  prisma: PrismaClient;
  sessionTokens: SessionTokens;
  credentials: CredentialCache<unknown, KnownActor>;
  onBackgroundError(e: unknown): void;
  /** Whether the session cookie authenticates (SESSION_COOKIE). */
  sessionCookie?: boolean;
};

/** An accepted credential as read from the database, with what the cache needs to keep it. */
type Accepted = { actor: KnownActor; credentialId: string; expiresAt: Date | null; lastUsedAt?: Date | null };

/** The request's actor and the cache key of its credential (null when none was accepted). */
export type ResolvedActor = { actor: Actor; credentialKey: string | null };

export async function resolveActor(headers: Headers, deps: ActorDeps): Promise<ResolvedActor> {
  const provisionerKey = headers.get("provisioner-key");
  const authorization = headers.get("authorization");
  if (provisionerKey !== null && authorization !== null) {
    return refused("send either Authorization or Provisioner-Key, not both");
  }
  if (provisionerKey === null && authorization === null && deps.sessionCookie) return cookieActor(headers, deps);
  const presented = provisionerKey ?? authorization;
  if (presented === null) return { actor: { kind: "anonymous" }, credentialKey: null };
  const key = CredentialCache.keyOf(
    provisionerKey === null ? `authorization ${presented}` : `provisioner ${presented}`,
  );
  const cached = deps.credentials.get(key);
  if (cached) {
    if (cached.lastUsedAtMs !== null && touchApiToken(cached.credentialId, cached.lastUsedAtMs, deps)) {
      cached.lastUsedAtMs = Date.now();
    }
    if (cached.actor.kind === "user") touchLastSeen(cached.actor.user, Date.now(), deps);
    return { actor: cached.actor, credentialKey: key };
  }
  const since = deps.credentials.mark();
  const accepted =
    provisionerKey !== null
      ? await provisionerActor(provisionerKey.trim(), deps.prisma)
      : await bearerActor(presented, deps);
  if ("kind" in accepted) return { actor: accepted, credentialKey: null };
  deps.credentials.remember(key, since, accepted);
  return { actor: accepted.actor, credentialKey: key };
}

/**
 * The session cookie, resolved (and cached) like the same token sent as a bearer. A cookie that
 * no longer works (logged out, expired) makes the request anonymous rather than refused: the
 * browser keeps sending it, and the sign-in page must load.
 */
async function cookieActor(headers: Headers, deps: ActorDeps): Promise<ResolvedActor> {
  const token = readCookie(headers, SESSION_COOKIE_NAME);
  if (!token || token.startsWith(API_TOKEN_PREFIX)) return { actor: { kind: "anonymous" }, credentialKey: null };
  const resolved = await resolveActor(new Headers({ authorization: `Bearer ${token}` }), {
    ...deps,
    sessionCookie: false,
  });
  const { actor } = resolved;
  if (actor.kind !== "user") return { actor: { kind: "anonymous" }, credentialKey: null };
  // A copy: the cached actor is shared with requests that send the token as a bearer.
  return { ...resolved, actor: { ...actor, viaCookie: true } };
}

function refused(reason: string): ResolvedActor {
  return { actor: { kind: "invalid", reason }, credentialKey: null };
}

function bearerActor(authorization: string, deps: ActorDeps): Promise<Accepted | Actor> {
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
  if (!match?.[1])
    return Promise.resolve({ kind: "invalid", reason: "the Authorization header must be 'Bearer <token>'" });
  const token = match[1];
  return token.startsWith(API_TOKEN_PREFIX) ? apiTokenActor(token, deps) : sessionActor(token, deps);
}

function userProblem(user: User): string | null {
  return user.status === "SUSPENDED" ? "the user is suspended" : null;
}

async function sessionActor(token: string, deps: ActorDeps): Promise<Accepted | Actor> {
  let claims: { userId: string; sessionId: string; expiresAtMs: number };
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
  touchLastSeen(session.user, Date.now(), deps);
  return {
    actor: { kind: "user", ...splitMemberships(session.user), sessionId: session.id, apiTokenId: null },
    credentialId: session.id,
    // The token may end before its session (a token signed for less).
    expiresAt: new Date(Math.min(session.expiresAt.getTime(), claims.expiresAtMs)),
  };
}

async function apiTokenActor(token: string, deps: ActorDeps): Promise<Accepted | Actor> {
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
  touchApiToken(row.id, row.lastUsedAt?.getTime() ?? 0, deps);
  touchLastSeen(row.user, Date.now(), deps);
  return {
    actor: { kind: "user", ...splitMemberships(row.user), sessionId: null, apiTokenId: row.id },
    credentialId: row.id,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
  };
}

/** Records that an API token was used, at most once a minute (the write notifies, dropping its cache entry). */
function touchApiToken(id: string, lastUsedAtMs: number, deps: ActorDeps): boolean {
  const now = Date.now();
  if (now - lastUsedAtMs <= LAST_USED_RESOLUTION_MS) return false;
  // Not awaited: the request need not wait for bookkeeping, and a failure here is harmless.
  deps.prisma.apiToken.update({ where: { id }, data: { lastUsedAt: new Date(now) } }).catch(deps.onBackgroundError);
  return true;
}

/**
 * User.lastSeenAt, at most once a minute per user: no statement at all while the loaded row is
 * fresh; otherwise one conditional update, not awaited (off the request's path), that another
 * instance's request of the same minute makes a no-op. A remembered credential keeps its loaded
 * row: the update's notification drops it, so the next request reads the fresh time.
 */
function touchLastSeen(user: Pick<User, "id" | "lastSeenAt">, nowMs: number, deps: ActorDeps): boolean {
  if (user.lastSeenAt && nowMs - user.lastSeenAt.getTime() < LAST_USED_RESOLUTION_MS) return false;
  const now = new Date(nowMs);
  const stale = new Date(nowMs - LAST_USED_RESOLUTION_MS);
  // Raw: bookkeeping, not an edit of the user (updatedAt stays).
  deps.prisma.$executeRaw`
    UPDATE "User" SET "lastSeenAt" = ${now}
    WHERE id = ${user.id}::uuid AND ("lastSeenAt" IS NULL OR "lastSeenAt" < ${stale})`.catch(deps.onBackgroundError);
  return true;
}

async function provisionerActor(secret: string, prisma: PrismaClient): Promise<Accepted | Actor> {
  const parsed = parseBearer(PROVISIONER_KEY_PREFIX, secret);
  if (!parsed) return { kind: "invalid", reason: "malformed provisioner key" };
  const key = await prisma.provisionerKey.findUnique({ where: { id: parsed.id } });
  if (!key || !secretMatches(parsed.secret, key.secretHash)) {
    return { kind: "invalid", reason: "unknown provisioner key" };
  }
  return {
    actor: {
      kind: "provisioner",
      keyId: key.id,
      keyName: key.name,
      organizationId: key.organizationId,
      tags: key.tags as Record<string, string>,
    },
    credentialId: key.id,
    expiresAt: null,
  };
}
