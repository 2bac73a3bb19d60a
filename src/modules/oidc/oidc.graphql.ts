// loginWithOidc: a session for the holder of an ID token from the configured provider.
import { builder } from "../../graphql/builder.js";
import { withUserErrors } from "../shared/shared.graphql.js";
import { AuthPayload } from "../users/users.graphql.js";
import { loginWithOidc } from "./oidc.service.js";

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
    type: AuthPayload,
    description:
      "Verifies the ID token (signature against the provider's JWKS, issuer, audience, expiry), creates or links the user, then runs organization, group and role sync from its claims.",
    authScopes: { public: true },
    args: { input: t.arg({ type: LoginWithOidcInput, required: true, description: "The ID token." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => loginWithOidc(ctx, input)),
  }),
);
