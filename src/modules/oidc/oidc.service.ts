// Login with an ID token from the configured OpenID Connect provider: verify, find or create
// the user, then (one transaction) IdP sync, audit events and the session.

import { recordAudit } from "../../audit/audit.js";
import { OidcProviderError, OidcTokenError, oidcVerifier, type VerifiedIdToken } from "../../auth/oidc.js";
import { auditMeta } from "../../authz/assert.js";
import type { OidcConfig } from "../../config.js";
import type { Context } from "../../context.js";
import { defaultOrganizationId } from "../../db/default-organization.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma, User } from "../../generated/prisma/client.js";
import { UserErrors, userError } from "../../graphql/errors.js";
import { runIdpSync } from "../idp-sync/idp-sync.service.js";
import { readOrganizationSyncSettings } from "../idp-sync/idp-sync.settings.js";
import { isUniqueViolation } from "../shared/validation.js";
import { openSession, withToken } from "../users/users.service.js";
import { createExternalUser, displayNameFrom, emailFrom, usernameFrom } from "./oidc-users.js";

type Tx = Prisma.TransactionClient;

const invalidToken = (why: string) => userError("INVALID_CREDENTIALS", `The ID token was refused: ${why}.`);

async function verify(ctx: Context, config: OidcConfig, idToken: string): Promise<VerifiedIdToken> {
  try {
    return await oidcVerifier(config).verify(idToken);
  } catch (error) {
    if (error instanceof OidcTokenError) throw invalidToken(error.message);
    if (error instanceof OidcProviderError) {
      ctx.log.warn("OIDC provider unavailable", { error });
      throw userError("IDP_UNAVAILABLE", "The identity provider could not be reached; try again later.");
    }
    throw error;
  }
}

/**
 * `email_verified` marked false (a boolean, or the string some providers send). An absent claim
 * is not false: Entra ID never sends it, and Coder refuses only an explicit false.
 */
const isMarkedUnverified = (raw: unknown) => raw === false || raw === "false";

/** Holders of this site role are linked by subject only (see linkByEmail). */
const SITE_OWNER_ROLE = "owner";

type EmailChange = { from: string; to: string };
type Linked = { user: User; how: "subject" | "email" | "created"; emailChange?: EmailChange };

/**
 * The user of this identity: linked by subject (`iss|sub`), else by an email the provider has not
 * marked unverified, else a new OIDC user (never from an email marked unverified).
 */
async function linkOrCreate(tx: Tx, config: OidcConfig, token: VerifiedIdToken): Promise<Linked> {
  const email = emailFrom(token.claims[config.emailClaim]);
  const unverified = isMarkedUnverified(token.claims.email_verified);
  const bySubject = await tx.user.findUnique({ where: { oidcSubject: token.subject } });
  if (bySubject) return followEmail(tx, bySubject, unverified ? null : email);
  if (!email) throw invalidToken(`it has no valid "${config.emailClaim}" claim`);
  if (unverified) throw invalidToken("the provider says the email is not verified");
  const byEmail = await tx.user.findUnique({ where: { email } });
  if (byEmail) return { user: await linkByEmail(tx, byEmail, token), how: "email" };
  const user = await createExternalUser(tx, {
    email,
    username: usernameFrom(token.claims[config.usernameClaim], email),
    name: displayNameFrom(token.claims.name),
    oidcSubject: token.subject,
  });
  // Without organization sync, new users land in the default organization (like createUser).
  if ((await readOrganizationSyncSettings(tx)).field === "") {
    await tx.organizationMember.create({ data: { organizationId: await defaultOrganizationId(tx), userId: user.id } });
  }
  return { user, how: "created" };
}

/**
 * Links an account found by email. Refused when another subject of this provider holds it (an
 * address can be handed to someone else; Coder would log them in) and for site owners: an email
 * at the provider must not be a way into the account that controls everything.
 */
async function linkByEmail(tx: Tx, user: User, token: VerifiedIdToken): Promise<User> {
  if (user.oidcSubject?.startsWith(`${token.claims.iss}|`)) {
    throw invalidToken("the account with this email is linked to another identity");
  }
  if (user.siteRoles.includes(SITE_OWNER_ROLE)) {
    throw invalidToken("the account with this email is a site owner, which is never linked by email");
  }
  // A link made under another issuer is dead (its tokens are no longer accepted): replaced.
  return tx.user.update({ where: { id: user.id }, data: { oidcSubject: token.subject } });
}

/** The provider's current email replaces the stored one, unless another account holds it. */
async function followEmail(tx: Tx, user: User, email: string | null): Promise<Linked> {
  if (!email || email === user.email) return { user, how: "subject" };
  if (await tx.user.findUnique({ where: { email }, select: { id: true } })) return { user, how: "subject" };
  const updated = await tx.user.update({ where: { id: user.id }, data: { email } });
  return { user: updated, how: "subject", emailChange: { from: user.email, to: email } };
}

/**
 * A refused OIDC sign-in (bad token, unverified email, suspended user, provider down), recorded
 * on its own with the reason; the token's claims are not trusted enough to name a user.
 */
async function recordRefusedLogin(ctx: Context, error: UserErrors) {
  await recordAudit(ctx.prisma, auditMeta(ctx), {
    action: "LOGIN",
    resourceType: "USER",
    success: false,
    diff: { loginType: "OIDC", reason: `${error.errors[0]?.code ?? "REFUSED"}: ${error.message}`.slice(0, 512) },
  });
}

export async function loginWithOidc(ctx: Context, input: { idToken: string }) {
  const config = ctx.config.oidc;
  if (!config) throw userError("FEATURE_DISABLED", "OpenID Connect login is not configured.");
  try {
    return await signInWithOidc(ctx, config, input.idToken);
  } catch (error) {
    if (error instanceof UserErrors) await recordRefusedLogin(ctx, error);
    throw error;
  }
}

async function signInWithOidc(ctx: Context, config: OidcConfig, idToken: string) {
  const token = await verify(ctx, config, idToken);
  const attempt = () =>
    inTransaction(ctx.prisma, async (tx) => {
      const { user: found, how, emailChange } = await linkOrCreate(tx, config, token);
      if (found.status === "SUSPENDED") throw userError("USER_SUSPENDED", "This account is suspended.");
      const user = await tx.user.update({
        where: { id: found.id },
        data: { lastSeenAt: new Date(), ...(found.status === "DORMANT" ? { status: "ACTIVE" as const } : {}) },
      });
      const meta = auditMeta(ctx);
      if (how === "created") {
        await recordAudit(tx, meta, {
          action: "CREATE",
          resourceType: "USER",
          resourceId: user.id,
          resourceName: user.username,
          diff: { username: user.username, email: user.email, loginType: "OIDC", reason: "oidc-login" },
        });
      }
      const sync = await runIdpSync(tx, meta, user, token.claims);
      await recordAudit(
        tx,
        { ...meta, actorId: user.id },
        {
          action: "LOGIN",
          resourceType: "USER",
          resourceId: user.id,
          resourceName: user.username,
          diff: {
            loginType: "OIDC",
            linkedBy: how,
            ...(emailChange ? { email: emailChange } : {}),
            ...(found.status === "DORMANT" ? { status: { from: "DORMANT", to: "ACTIVE" } } : {}),
            sync,
          },
        },
      );
      return { user, session: await openSession(ctx, tx, user, "OIDC") };
    });
  // Two first logins of one identity race on the unique subject/email: the loser links on retry.
  const result = await attempt().catch((error: unknown) => {
    if (isUniqueViolation(error)) return attempt();
    throw error;
  });
  return withToken(ctx, result);
}
