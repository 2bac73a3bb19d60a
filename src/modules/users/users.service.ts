// Identity writes: first user, login/logout, users, site roles, API tokens.

import { recordAudit } from "../../audit/audit.js";
import { API_TOKEN_PREFIX } from "../../auth/actor.js";
import { burnPasswordCheck, hashPassword, passwordProblem, verifyPassword } from "../../auth/passwords.js";
import { formatBearer, newSecret, sha256 } from "../../auth/secrets.js";
import { clearCookieHeader, SESSION_COOKIE_NAME, setCookieHeader } from "../../auth/session-cookie.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import { unassignableRoleChanges } from "../../authz/evaluator.js";
import { allOf } from "../../authz/filters.js";
import { apiTokenObject, apiTokenWhere } from "../../authz/policies/api-token.js";
import { userWhere } from "../../authz/policies/user.js";
import { ASSIGNABLE_SITE_ROLE_NAMES, FIRST_USER_SITE_ROLES, isImplicitRole } from "../../authz/roles.js";
import type { Context, ServiceContext } from "../../context.js";
import { defaultOrganizationId } from "../../db/default-organization.js";
import { inTransaction } from "../../db/transaction.js";
import type { LoginType, Prisma, User } from "../../generated/prisma/client.js";
import { notFound, userError } from "../../graphql/errors.js";
import { decodeId, globalId } from "../../graphql/ids.js";
import { rethrowNameTaken } from "../shared/name-taken.js";
import { checkEmail, checkText, checkUsername, ensure } from "../shared/validation.js";
import { insertUserWithMemberships } from "./user-writes.js";

type Tx = Prisma.TransactionClient;

/** Signing in answers the rest of the request as the new user: the edge's context, not a service's. */
type SigningInContext = Pick<Context, "sessionTokens" | "signedIn" | "setCookie" | "requestUrl" | "config">;

export type OpenedSession = { userId: string; sessionId: string; expiresAt: Date };

/** Records a session inside the caller's transaction; sign its token once that has committed. */
export async function openSession(
  ctx: ServiceContext,
  tx: Tx,
  user: User,
  loginType: LoginType,
): Promise<OpenedSession> {
  const expiresAt = new Date(Date.now() + ctx.config.sessionTtlSeconds * 1000);
  const session = await tx.session.create({ data: { userId: user.id, loginType, expiresAt } });
  return { userId: user.id, sessionId: session.id, expiresAt };
}

// Signing may read the key table through the main client: never inside a transaction, which on
// the single-connection PGlite would wait for itself.
// With SESSION_COOKIE, every sign-in also sets the session cookie.
export async function withToken(ctx: SigningInContext, result: { user: User; session: OpenedSession }) {
  const { expiresAt } = result.session;
  const token = await ctx.sessionTokens.sign(result.session);
  ctx.signedIn({ kind: "user", user: result.user, sessionId: result.session.sessionId, apiTokenId: null });
  if (ctx.config.sessionCookie)
    ctx.setCookie(setCookieHeader(ctx.requestUrl, SESSION_COOKIE_NAME, token, { expiresAt }));
  return { user: result.user, token, expiresAt };
}

/** Logging out of a cookie session also removes the cookie. */
export function clearSessionCookie(ctx: SigningInContext): void {
  if (ctx.config.sessionCookie) ctx.setCookie(clearCookieHeader(ctx.requestUrl, SESSION_COOKIE_NAME));
}

/**
 * A session extended to a full lifetime from now, with a new token (the old one stays valid until
 * its own expiry). Sessions only: an API token has its own lifetime.
 */
export async function refreshSession(ctx: ServiceContext & SigningInContext) {
  await ctx.viewer.require();
  const sessionId = ctx.actor.kind === "user" ? ctx.actor.sessionId : null;
  if (!sessionId) throw userError("INVALID_INPUT", "Only a session (not an API token) can be refreshed.");
  const expiresAt = new Date(Date.now() + ctx.config.sessionTtlSeconds * 1000);
  const session = await ctx.prisma.session.update({
    where: { id: sessionId },
    data: { expiresAt },
    include: { user: true },
  });
  return withToken(ctx, { user: session.user, session: { userId: session.userId, sessionId, expiresAt } });
}

/** Hashing is slow on purpose: done before a transaction opens, and only for acceptable passwords. */
async function passwordHashFor(ctx: ServiceContext, password: string | null | undefined): Promise<string | null> {
  if (!password || passwordProblem(password)) return null;
  return hashPassword(password, ctx.config.passwordHashCost);
}

type NewUserInput = {
  email: string;
  username: string;
  password?: string | null;
  name?: string | null;
  loginType?: LoginType | null;
};

function validateNewUser(input: NewUserInput) {
  const loginType = input.loginType ?? "PASSWORD";
  const email = input.email.trim().toLowerCase();
  ensure(
    checkEmail(email, ["input", "email"]),
    checkUsername(input.username, ["input", "username"]),
    checkText(input.name, ["input", "name"], 128, "Name"),
    loginType === "PASSWORD"
      ? input.password
        ? (() => {
            const problem = passwordProblem(input.password);
            return problem ? { code: "INVALID_INPUT", message: problem, field: ["input", "password"] } : undefined;
          })()
        : { code: "INVALID_INPUT", message: "A password is required for password login.", field: ["input", "password"] }
      : input.password
        ? {
            code: "INVALID_INPUT",
            message: `Users with login type ${loginType} have no password.`,
            field: ["input", "password"],
          }
        : undefined,
  );
  return { email, loginType };
}

/** A new user's row from validated input (userErrors otherwise). */
function newUserRow(
  input: NewUserInput & { passwordHash: string | null },
  siteRoles: string[],
): Prisma.UserUncheckedCreateInput {
  const { email, loginType } = validateNewUser(input);
  const { passwordHash } = input;
  return { email, username: input.username, name: input.name ?? "", passwordHash, loginType, siteRoles };
}

/** The unique indexes on lower(email) and lower(username) refuse a taken one in any case. */
const rethrowUserNameTaken = rethrowNameTaken("email", "username");

export async function createFirstUser(
  ctx: ServiceContext & SigningInContext,
  input: NewUserInput & { name?: string | null },
) {
  const passwordHash = await passwordHashFor(ctx, input.password);
  const result = await inTransaction(ctx.prisma, async (tx) => {
    // Two concurrent first-user requests: the lock makes the second see the first's user.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7246913002)`;
    if (await tx.user.findFirst({ select: { id: true } })) {
      throw userError("SETUP_ALREADY_DONE", "The first user has already been created.");
    }
    const user = await tx.user.create({
      data: newUserRow({ ...input, loginType: "PASSWORD", passwordHash }, [...FIRST_USER_SITE_ROLES]),
    });
    const organizationId = await defaultOrganizationId(tx);
    await tx.organizationMember.create({ data: { organizationId, userId: user.id } });
    const meta = { ...auditMeta(ctx), actorId: user.id };
    await recordAudit(tx, meta, {
      action: "REGISTER",
      resourceType: "USER",
      resourceId: user.id,
      resourceName: user.username,
      diff: { username: user.username, email: user.email, siteRoles: user.siteRoles, firstUser: true },
    });
    return { user, session: await openSession(ctx, tx, user, "PASSWORD") };
  }).catch(rethrowUserNameTaken);
  return withToken(ctx, result);
}

const INVALID_CREDENTIALS = () => userError("INVALID_CREDENTIALS", "Incorrect email or password.");

/**
 * A refused password sign-in, recorded on its own (nothing else is written). The row is the same
 * whether the email belongs to a user or not: no actor, no resource id, the address as tried.
 */
async function recordRefusedLogin(ctx: ServiceContext, email: string, reason: "invalid-credentials" | "suspended") {
  await recordAudit(ctx.prisma, auditMeta(ctx), {
    action: "LOGIN",
    resourceType: "USER",
    resourceName: email,
    success: false,
    diff: { loginType: "PASSWORD", email, reason },
  });
}

export async function login(ctx: ServiceContext & SigningInContext, input: { email: string; password: string }) {
  const email = input.email.trim().toLowerCase().slice(0, 320);
  if (email.length > 254 || input.password.length > 256) {
    await recordRefusedLogin(ctx, email, "invalid-credentials");
    throw INVALID_CREDENTIALS();
  }
  const user = await ctx.prisma.user.findUnique({ where: { email } });
  const ok = user?.passwordHash
    ? await verifyPassword(input.password, user.passwordHash)
    : await burnPasswordCheck(input.password, ctx.config.passwordHashCost);
  if (!user || !ok) {
    await recordRefusedLogin(ctx, email, "invalid-credentials");
    throw INVALID_CREDENTIALS();
  }
  if (user.status === "SUSPENDED") {
    await recordRefusedLogin(ctx, email, "suspended");
    throw userError("USER_SUSPENDED", "This account is suspended.");
  }
  const result = await inTransaction(ctx.prisma, async (tx) => {
    const active =
      user.status === "DORMANT"
        ? await tx.user.update({ where: { id: user.id }, data: { status: "ACTIVE", lastSeenAt: new Date() } })
        : await tx.user.update({ where: { id: user.id }, data: { lastSeenAt: new Date() } });
    await recordAudit(
      tx,
      { ...auditMeta(ctx), actorId: user.id },
      {
        action: "LOGIN",
        resourceType: "USER",
        resourceId: user.id,
        resourceName: user.username,
        diff: { loginType: "PASSWORD" },
      },
    );
    return { user: active, session: await openSession(ctx, tx, active, "PASSWORD") };
  });
  return withToken(ctx, result);
}

export async function logout(ctx: ServiceContext): Promise<boolean> {
  const { user } = await ctx.viewer.require();
  if (ctx.actor.kind !== "user") return false;
  const { sessionId, apiTokenId } = ctx.actor;
  await inTransaction(ctx.prisma, async (tx) => {
    if (sessionId) {
      await tx.session.update({ where: { id: sessionId }, data: { revokedAt: new Date() } });
    } else if (apiTokenId) {
      await tx.apiToken.delete({ where: { id: apiTokenId } });
    }
    await recordAudit(tx, auditMeta(ctx), {
      action: "LOGOUT",
      resourceType: sessionId ? "SESSION" : "API_KEY",
      resourceId: sessionId ?? apiTokenId,
      resourceName: user.username,
    });
  });
  ctx.live.userAccessChanged(user.id); // this credential's subscriptions end now
  return true;
}

export async function createUser(
  ctx: ServiceContext,
  input: NewUserInput & { organizationIds?: readonly string[] | null },
) {
  const { subject } = await ctx.viewer.require();
  // Refusals come before the slow hash and before validation (insertUserWithMemberships checks
  // the same permissions again, for every caller).
  assertAllowed(subject, "CREATE", { type: "USER" });
  const requested = input.organizationIds?.map((id) => decodeId("Organization", id));
  const passwordHash = await passwordHashFor(ctx, input.password);
  return inTransaction(ctx.prisma, async (tx) => {
    const organizationIds = requested ?? [await defaultOrganizationId(tx)];
    const unique = [...new Set(organizationIds)];
    const found = await tx.organization.findMany({ where: { id: { in: unique } }, select: { id: true } });
    if (found.length !== unique.length) throw notFound("organization");
    for (const organizationId of unique) {
      assertAllowed(subject, "CREATE", { type: "ORGANIZATION_MEMBER", organizationId });
    }
    const user = await insertUserWithMemberships(ctx, tx, newUserRow({ ...input, passwordHash }, []), unique, (u) => ({
      username: u.username,
      email: u.email,
      loginType: u.loginType,
      organizationIds: unique,
    }));
    return { user };
  }).catch(rethrowUserNameTaken);
}

export async function updateUserSiteRoles(ctx: ServiceContext, input: { userId: string; roles: readonly string[] }) {
  const { user: viewer, subject } = await ctx.viewer.require();
  const userId = decodeId("User", input.userId, "user");
  const roles = [...new Set(input.roles)].filter((r) => !isImplicitRole(r));
  const unknown = roles.filter((r) => !ASSIGNABLE_SITE_ROLE_NAMES.includes(r));
  if (unknown.length > 0) {
    throw userError("INVALID_INPUT", `Unknown site roles: ${unknown.join(", ")}.`, ["input", "roles"]);
  }
  return inTransaction(ctx.prisma, async (tx) => {
    // A user the viewer cannot see (the same rule as the user lookups) does not exist for them.
    const target = await tx.user.findFirst({ where: allOf({ id: userId }, userWhere(subject)) });
    if (!target) throw notFound("user");
    const added = roles.filter((r) => !target.siteRoles.includes(r));
    const removed = target.siteRoles.filter((r) => !roles.includes(r));
    if (added.length > 0) assertAllowed(subject, "ASSIGN", { type: "ASSIGN_ROLE" });
    if (removed.length > 0) assertAllowed(subject, "UNASSIGN", { type: "ASSIGN_ROLE" });
    if (target.id === viewer.id && (added.length > 0 || removed.length > 0)) {
      throw userError("CANNOT_CHANGE_OWN_ROLES", "You cannot change your own roles.", ["input", "roles"]);
    }
    const refused = unassignableRoleChanges(subject, null, target.siteRoles, roles);
    if (refused.length > 0) {
      throw userError("ROLE_NOT_ASSIGNABLE", `You may not assign or remove: ${refused.join(", ")}.`, [
        "input",
        "roles",
      ]);
    }
    const user = await tx.user.update({ where: { id: target.id }, data: { siteRoles: roles } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "ASSIGN_ROLES",
      resourceType: "USER",
      resourceId: user.id,
      resourceName: user.username,
      diff: { siteRoles: { from: target.siteRoles, to: roles } },
    });
    return { user };
  });
}

export async function createApiToken(ctx: ServiceContext, input: { name: string; lifetimeSeconds?: number | null }) {
  const { user, subject } = await ctx.viewer.require();
  assertAllowed(subject, "CREATE", { type: "API_KEY", ownerId: user.id });
  const maxLifetime = ctx.config.maxTokenLifetimeSeconds;
  const name = input.name.trim();
  ensure(
    name.length === 0 || name.length > 64
      ? { code: "INVALID_INPUT", message: "Token name must be 1-64 characters.", field: ["input", "name"] }
      : checkText(name, ["input", "name"], 64, "Token name"),
    input.lifetimeSeconds !== null &&
      input.lifetimeSeconds !== undefined &&
      (!Number.isInteger(input.lifetimeSeconds) || input.lifetimeSeconds < 60 || input.lifetimeSeconds > maxLifetime)
      ? {
          code: "INVALID_INPUT",
          message: `Lifetime must be between 60 and ${maxLifetime} seconds.`,
          field: ["input", "lifetimeSeconds"],
        }
      : undefined,
  );
  const secret = newSecret();
  const expiresAt = input.lifetimeSeconds ? new Date(Date.now() + input.lifetimeSeconds * 1000) : null;
  return inTransaction(ctx.prisma, async (tx) => {
    if (await tx.apiToken.findUnique({ where: { userId_name: { userId: user.id, name } }, select: { id: true } })) {
      throw userError("NAME_TAKEN", "You already have a token with this name.", ["input", "name"]);
    }
    const apiToken = await tx.apiToken.create({
      data: { userId: user.id, name, secretHash: sha256(secret), expiresAt },
    });
    await recordAudit(tx, auditMeta(ctx), {
      action: "CREATE",
      resourceType: "API_KEY",
      resourceId: apiToken.id,
      resourceName: name,
      diff: { name, expiresAt },
    });
    return { apiToken, token: formatBearer(API_TOKEN_PREFIX, apiToken.id, secret) };
  });
}

/**
 * Revokes a token: its owner, or anyone with site API_KEY DELETE (user admins, owners). A token
 * the viewer may not list does not exist for them. The next request with it is UNAUTHENTICATED
 * and subscriptions opened with it end at their next event (both re-read the token).
 */
export async function deleteApiToken(ctx: ServiceContext, input: { id: string }) {
  const { subject } = await ctx.viewer.require();
  const id = decodeId("ApiToken", input.id, "API token");
  const deleted = await inTransaction(ctx.prisma, async (tx) => {
    const token = await tx.apiToken.findFirst({
      where: { id, ...apiTokenWhere(subject) },
      include: { user: { select: { username: true } } },
    });
    if (!token) throw notFound("API token");
    assertAllowed(subject, "DELETE", apiTokenObject(token));
    await tx.apiToken.delete({ where: { id: token.id } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "DELETE",
      resourceType: "API_KEY",
      resourceId: token.id,
      resourceName: token.name,
      diff: { name: token.name, owner: token.user.username },
    });
    return { deletedId: globalId("ApiToken", token.id), userId: token.userId };
  });
  ctx.live.userAccessChanged(deleted.userId); // subscriptions opened with the token end now
  return { deletedId: deleted.deletedId };
}
