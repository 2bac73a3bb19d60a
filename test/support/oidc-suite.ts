// What the OIDC test files share: the provider on loopback with an app that trusts it and its site
// owner, and sign-ins through loginWithOidc read the one way.
import { expect } from "vitest";
import { uuidOf } from "./fixtures.js";
import { createTestApp, type TestApp } from "./harness.js";
import { type OidcProvider, startOidcProvider } from "./oidc-provider.js";
import { type OwnerScope, seed } from "./seed.js";

export type OidcWorld = { provider: OidcProvider; app: TestApp; owner: OwnerScope };

/** A provider on loopback, an app configured for it (with `env` on top), and the app's site owner. */
export async function startOidcWorld(env: Record<string, string> = {}): Promise<OidcWorld> {
  const provider = await startOidcProvider();
  const app = await createTestApp(provider.env(env));
  return { provider, app, owner: await seed(app).owner() };
}

/** Closes what startOidcWorld opened (a part is missing when the set-up failed half way). */
export async function stopOidcWorld(world: Partial<OidcWorld>): Promise<void> {
  await world.app?.close();
  await world.provider?.close();
}

/** Signs in on `target` with an ID token; returns the loginWithOidc payload `document` selects. */
export async function loginWithOidc(target: TestApp, document: string, idToken: string) {
  const result = await target.gql(document, { input: { idToken } });
  expect(result.errors).toBeUndefined();
  return result.data?.loginWithOidc;
}

/** Expects the sign-in refused with `code` and no token; returns the error's message. */
export async function refusedOidcLogin(
  target: TestApp,
  document: string,
  idToken: string,
  code = "INVALID_CREDENTIALS",
): Promise<string> {
  const payload = await loginWithOidc(target, document, idToken);
  expect(payload.token).toBeNull();
  expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual([code]);
  return payload.userErrors[0].message as string;
}

const LOGIN_USER = `mutation($input: LoginWithOidcInput!) { loginWithOidc(input: $input) { token user { id } userErrors { code message } } }`;

/** Signs in through the provider as `sub` (email `<sub>@example.com`); returns the user's uuid. */
export async function oidcUserUuid(
  world: Pick<OidcWorld, "app" | "provider">,
  sub: string,
  claims: Record<string, unknown> = {},
): Promise<string> {
  const idToken = await world.provider.token(sub, { email: `${sub}@example.com`, ...claims });
  const payload = await loginWithOidc(world.app, LOGIN_USER, idToken);
  expect(payload.userErrors).toEqual([]);
  return uuidOf(payload.user.id);
}
