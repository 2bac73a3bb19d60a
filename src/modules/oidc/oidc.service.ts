// Login with an ID token from the configured OpenID Connect provider: verify, find or create
// the user, then (one transaction) IdP sync, audit events and the session. The same sign-in
// (admission rules, linking, sync) serves the server-side code flow (oidc-http.ts).

import { recordAudit } from "../../audit/audit.js";
import { OidcProviderError, OidcTokenError, oidcVerifier, type VerifiedIdToken } from "../../auth/oidc.js";
import { sha256 } from "../../auth/secrets.js";
import { auditMeta } from "../../authz/assert.js";
import { ASSIGNABLE_SITE_ROLE_NAMES } from "../../authz/roles.js";
import type { OidcConfig } from "../../config.js";
import type { Context } from "../../context.js";
import { defaultOrganizationId } from "../../db/default-organization.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma, User } from "../../generated/prisma/client.js";
import { UserErrors, userError } from "../../graphql/errors.js";
import { claimValues, runIdpSync, syncedClaimFields } from "../idp-sync/idp-sync.service.js";
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
  if (!config.allowSignups) throw notAllowed("this service does not create accounts at sign-in (OIDC_ALLOW_SIGNUPS)");
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
export async function recordRefusedLogin(ctx: Context, error: UserErrors) {
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
    const token = await verify(ctx, config, input.idToken);
    await refuseReplay(ctx, token, input.idToken);
    return await signInWithOidc(ctx, config, { token, unknownClaims: undeliveredClaims(token.claims) });
  } catch (error) {
    if (error instanceof UserErrors) await recordRefusedLogin(ctx, error);
    throw error;
  }
}

/** Who the provider says signed in: the verified ID token (claims merged with userinfo in the code flow). */
export type OidcIdentity = {
  token: VerifiedIdToken;
  /** Claims whose values are unknown (announced in `_claim_names`, not delivered): sync leaves them alone. */
  unknownClaims: ReadonlySet<string>;
};

/**
 * Distributed and aggregated claims (`_claim_names`, as Entra ID's groups overage) that are not in
 * the claims themselves: their values are unknown, not empty.
 */
export function undeliveredClaims(claims: Record<string, unknown>): Set<string> {
  const names = claims._claim_names;
  if (names === null || typeof names !== "object") return new Set();
  return new Set(Object.keys(names).filter((name) => claims[name] === undefined));
}

/**
 * An ID token is accepted once: its hash is stored until it expires, in the database so that
 * every instance knows it. The insert is the check (a primary key), and it happens before the
 * sign-in: a token whose sign-in fails afterwards is spent too.
 */
async function refuseReplay(ctx: Context, token: VerifiedIdToken, idToken: string): Promise<void> {
  const now = new Date();
  const expiresAt = new Date(((token.claims.exp as number) + (ctx.config.oidc?.clockToleranceSeconds ?? 0)) * 1000);
  const { count } = await ctx.prisma.oidcTokenUse.createMany({
    data: [{ tokenHash: sha256(idToken), expiresAt }],
    skipDuplicates: true,
  });
  if (count === 0) throw invalidToken("it has already been used to sign in");
  // Spent tokens that expired are no longer needed: removed by the logins that follow.
  await ctx.prisma.oidcTokenUse.deleteMany({ where: { expiresAt: { lt: now } } });
}

const notAllowed = (why: string) => userError("SIGN_IN_NOT_ALLOWED", `Sign-in refused: ${why}.`);

/** The admission rules that need no database: email domain and required group. */
function admit(config: OidcConfig, identity: OidcIdentity): void {
  const { claims } = identity.token;
  if (config.emailDomains.length > 0) {
    const domain = emailFrom(claims[config.emailClaim])?.split("@")[1];
    if (!domain || !config.emailDomains.includes(domain)) {
      throw notAllowed("the email's domain is not one of the allowed domains");
    }
  }
  if (config.allowedGroups.length > 0) {
    if (identity.unknownClaims.has(config.groupField)) {
      throw notAllowed("the provider did not deliver the group claim, so membership in an allowed group is unknown");
    }
    const claim = claimValues(claims, config.groupField);
    const groups = claim.kind === "values" ? claim.values : [];
    if (!groups.some((group) => config.allowedGroups.includes(group))) {
      throw notAllowed("the account is in none of the allowed groups");
    }
  }
}

/**
 * Site roles from OIDC_USER_ROLE_FIELD: mapped values give their roles, other values are taken
 * as role names, except `owner`, which only an explicit mapping grants (and, without such a
 * mapping, sync never removes). Unknown names are dropped; an absent claim means no site roles;
 * a malformed or undelivered one changes nothing.
 */
async function syncSiteRoles(tx: Tx, ctx: Context, config: OidcConfig, user: User, identity: OidcIdentity) {
  const field = config.userRoleField;
  if (field === "") return { user, change: undefined };
  if (identity.unknownClaims.has(field)) return { user, change: "claim unknown" as const };
  const claim = claimValues(identity.token.claims, field);
  if (claim.kind === "malformed") return { user, change: "claim malformed" as const };
  const assignable = new Set<string>(ASSIGNABLE_SITE_ROLE_NAMES);
  const roles = new Set<string>();
  for (const value of claim.kind === "values" ? claim.values : []) {
    const mapped = Object.hasOwn(config.userRoleMapping, value) ? config.userRoleMapping[value] : undefined;
    for (const role of mapped ?? (value === SITE_OWNER_ROLE ? [] : [value])) {
      if (assignable.has(role)) roles.add(role);
    }
  }
  // Unless the mapping hands out owner (the provider manages it), a claim never takes it away:
  // an owner who signs in through the provider keeps control of the site.
  const ownerManaged = Object.values(config.userRoleMapping).some((mapped) => mapped.includes(SITE_OWNER_ROLE));
  if (!ownerManaged && user.siteRoles.includes(SITE_OWNER_ROLE)) roles.add(SITE_OWNER_ROLE);
  const to = [...roles].sort();
  const from = [...user.siteRoles].sort();
  if (to.join("\n") === from.join("\n")) return { user, change: undefined };
  const updated = await tx.user.update({ where: { id: user.id }, data: { siteRoles: to } });
  await recordAudit(
    tx,
    { ...auditMeta(ctx), actorId: null },
    {
      action: "ASSIGN_ROLES",
      resourceType: "USER",
      resourceId: user.id,
      resourceName: user.username,
      diff: { siteRoles: { from, to } },
    },
  );
  return { user: updated, change: { from, to } };
}

const IDENTITY_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "email_verified", "name", "_claim_names"];

/** The claims sign-in and sync read, for User.lastOidcClaims; everything else is dropped. */
async function redactedClaims(tx: Tx, config: OidcConfig, identity: OidcIdentity) {
  const fields = new Set([
    ...IDENTITY_CLAIMS,
    config.emailClaim,
    config.usernameClaim,
    config.groupField,
    ...(config.userRoleField ? [config.userRoleField] : []),
    ...(await syncedClaimFields(tx)),
  ]);
  const kept: Record<string, unknown> = {};
  for (const field of [...fields].sort()) {
    if (Object.hasOwn(identity.token.claims, field)) kept[field] = identity.token.claims[field];
  }
  return kept as Prisma.InputJsonObject;
}

/** The sign-in itself: admission, linking, IdP sync, the recorded claims and the session. */
export async function signInWithOidc(ctx: Context, config: OidcConfig, identity: OidcIdentity) {
  admit(config, identity);
  const { token } = identity;
  const attempt = () =>
    inTransaction(ctx.prisma, async (tx) => {
      const { user: found, how, emailChange } = await linkOrCreate(tx, config, token);
      if (found.status === "SUSPENDED") throw userError("USER_SUSPENDED", "This account is suspended.");
      const seen = await tx.user.update({
        where: { id: found.id },
        data: {
          lastSeenAt: new Date(),
          lastOidcClaims: await redactedClaims(tx, config, identity),
          ...(found.status === "DORMANT" ? { status: "ACTIVE" as const } : {}),
        },
      });
      const meta = auditMeta(ctx);
      if (how === "created") {
        await recordAudit(tx, meta, {
          action: "CREATE",
          resourceType: "USER",
          resourceId: seen.id,
          resourceName: seen.username,
          diff: { username: seen.username, email: seen.email, loginType: "OIDC", reason: "oidc-login" },
        });
      }
      const { user, change: siteRoles } = await syncSiteRoles(tx, ctx, config, seen, identity);
      const sync = { ...(await runIdpSync(tx, meta, user, token.claims, identity.unknownClaims)), siteRoles };
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
