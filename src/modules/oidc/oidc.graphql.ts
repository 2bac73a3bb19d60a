// loginWithOidc: a session for the holder of an ID token from the configured provider.
import type { OidcConfig } from "../../config.js";
import { builder } from "../../graphql/builder.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { withUserErrors } from "../shared/shared.graphql.js";
import { AuthPayload } from "../users/users.graphql.js";
import { loginWithOidc } from "./oidc.service.js";
import { OIDC_LOGIN_PATH } from "./oidc-http.js";

const LoginWithOidcInput = builder.inputType("LoginWithOidcInput", {
  description: "An OpenID Connect sign-in.",
  fields: (t) => ({
    idToken: t.string({
      required: true,
      description: "An ID token issued by the configured OpenID Connect provider.",
    }),
  }),
});

builder.mutationField("loginWithOidc", (t) =>
  t.field({
    nullable: true,
    type: AuthPayload,
    description:
      "Verifies the ID token (signature against the provider's JWKS, issuer, audience, expiry), creates or links the user, then runs organization, group and role sync from its claims.",
    authScopes: { public: true },
    args: { input: t.arg({ type: LoginWithOidcInput, required: true, description: "The ID token." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => loginWithOidc(ctx, input)),
  }),
);

builder.prismaObjectField("User", "lastOidcClaims", (t) =>
  t.string({
    nullable: true,
    description:
      "The claims of this user's last OpenID Connect sign-in as a JSON document, kept to the fields sign-in and IdP sync read (email, username, name, groups, role and sync fields), for debugging sync. Null unless the viewer is this user or may read users (site: user admins, owners), and before any OIDC sign-in.",
    select: { lastOidcClaims: true },
    authScopes: (user, _args, ctx) => permissionScopes(ctx, { action: "READ", type: "USER", ownerId: user.id }),
    unauthorizedResolver: () => null,
    resolve: (user) => (user.lastOidcClaims === null ? null : JSON.stringify(user.lastOidcClaims)),
  }),
);

type AuthMethods = { oidc: OidcConfig | null };

const PasswordAuthMethod = builder.objectRef<AuthMethods>("PasswordAuthMethod").implement({
  description: "Sign-in with email and password (the login mutation).",
  fields: (t) => ({
    enabled: t.boolean({ description: "Always true: password sign-in cannot be turned off.", resolve: () => true }),
  }),
});

const OidcAuthMethod = builder.objectRef<AuthMethods>("OidcAuthMethod").implement({
  description: "Sign-in through the configured OpenID Connect provider.",
  fields: (t) => ({
    enabled: t.boolean({ description: "Whether OIDC sign-in is configured.", resolve: (m) => m.oidc !== null }),
    signInText: t.string({
      nullable: true,
      description: "The sign-in button's text (OIDC_SIGN_IN_TEXT); null when OIDC is off.",
      resolve: (m) => m.oidc?.signInText ?? null,
    }),
    iconUrl: t.string({
      nullable: true,
      description: "The sign-in button's icon (OIDC_ICON_URL); null when unset.",
      resolve: (m) => m.oidc?.iconUrl ?? null,
    }),
    loginUrl: t.string({
      nullable: true,
      description: `Where a browser starts the server-side sign-in (${OIDC_LOGIN_PATH}?redirect=<path>); null unless OIDC and SESSION_COOKIE are on (else clients use loginWithOidc).`,
      resolve: (m, _args, ctx) => (m.oidc && ctx.config.sessionCookie ? OIDC_LOGIN_PATH : null),
    }),
  }),
});

const AuthMethodsType = builder.objectRef<AuthMethods>("AuthMethods").implement({
  description: "The ways to sign in, for a sign-in page.",
  fields: (t) => ({
    password: t.field({ type: PasswordAuthMethod, description: "Email and password.", resolve: (m) => m }),
    oidc: t.field({ type: OidcAuthMethod, description: "OpenID Connect.", resolve: (m) => m }),
  }),
});

builder.queryField("authMethods", (t) =>
  t.field({
    type: AuthMethodsType,
    description: "The sign-in methods this service offers; public, for sign-in pages.",
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => ({ oidc: ctx.config.oidc }),
  }),
);
