// The server-side authorization code flow with PKCE, through openid-client (a certified relying
// party library): the provider's metadata from discovery (cached per configuration; a failure is
// asked again at the next login), the authorization URL, the code exchange (state, nonce and PKCE
// checked by openid-client), userinfo, and Entra ID's groups overage. The ID token it returns is
// verified again by OidcVerifier (allowed algorithms, key rotation, provider outages), as
// loginWithOidc does.
import * as client from "openid-client";
import type { OidcConfig } from "../config.js";
import { OidcProviderError, OidcTokenError } from "./oidc.js";

export type FlowChecks = { state: string; nonce: string; verifier: string };

export type CodeFlowResult = {
  idToken: string;
  /** Userinfo's claims, when the provider has a userinfo endpoint. */
  userinfo: Record<string, unknown> | null;
  accessToken: string;
};

const configurations = new WeakMap<OidcConfig, Promise<client.Configuration>>();

function configuration(config: OidcConfig): Promise<client.Configuration> {
  let pending = configurations.get(config);
  if (!pending) {
    const issuer = new URL(config.issuerUrl);
    pending = client
      .discovery(
        issuer,
        config.clientId,
        { [client.clockTolerance]: config.clockToleranceSeconds },
        config.clientSecret ? client.ClientSecretBasic(config.clientSecret) : client.None(),
        {
          timeout: Math.ceil(config.httpTimeoutMs / 1000),
          // http only on loopback (the configuration refuses it elsewhere).
          ...(issuer.protocol === "http:" ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      .catch((error: unknown) => {
        configurations.delete(config);
        throw new OidcProviderError(`discovery failed: ${(error as Error).message}`, { cause: error });
      });
    configurations.set(config, pending);
  }
  return pending;
}

/** Where to send the browser, and the checks to keep (in the flow cookie) for the callback. */
export async function authorizationRequest(
  config: OidcConfig,
  redirectUri: string,
): Promise<{ url: URL; checks: FlowChecks }> {
  const found = await configuration(config);
  const checks = {
    state: client.randomState(),
    nonce: client.randomNonce(),
    verifier: client.randomPKCECodeVerifier(),
  };
  const url = client.buildAuthorizationUrl(found, {
    redirect_uri: redirectUri,
    scope: config.scopes,
    state: checks.state,
    nonce: checks.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
    code_challenge_method: "S256",
  });
  return { url, checks };
}

/**
 * Exchanges the code of `callbackUrl` (the registered redirect URI with the provider's query) and
 * reads userinfo. A refusal by the provider or a failed check is OidcTokenError; a provider that
 * cannot be reached is OidcProviderError.
 */
export async function exchangeCode(config: OidcConfig, callbackUrl: URL, checks: FlowChecks): Promise<CodeFlowResult> {
  const found = await configuration(config);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(found, callbackUrl, {
      pkceCodeVerifier: checks.verifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    throw classify(error, "the code exchange failed");
  }
  const idToken = tokens.id_token as string;
  const subject = tokens.claims()?.sub as string;
  let userinfo: Record<string, unknown> | null = null;
  if (found.serverMetadata().userinfo_endpoint) {
    try {
      userinfo = { ...(await client.fetchUserInfo(found, tokens.access_token, subject)) };
    } catch (error) {
      throw classify(error, "reading userinfo failed");
    }
  }
  return { idToken, userinfo, accessToken: tokens.access_token };
}

/** Network failures and timeouts are the provider's; anything else refuses the response. */
function classify(error: unknown, what: string): Error {
  const message = `${what}: ${(error as Error).message}`;
  const code = String((error as { code?: unknown }).code ?? "");
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const network =
    error instanceof TypeError ||
    (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) ||
    code === "OAUTH_RESPONSE_IS_NOT_CONFORM" ||
    (cause !== undefined && typeof cause?.code === "string" && /^(ECONN|ETIMEDOUT|UND_ERR)/.test(cause.code));
  return network ? new OidcProviderError(message, { cause: error }) : new OidcTokenError(message, { cause: error });
}

const MAX_OVERAGE_PAGES = 20;

/**
 * The groups an ID token left out (Entra ID's overage: `_claim_names.groups`), read from the
 * configured Graph-style endpoint with the access token: `value` holds group ids (strings) or
 * objects whose `id` is taken; `@odata.nextLink` pages are followed on the same origin. The
 * endpoint the token names itself (`_claim_sources`) is never called.
 */
export async function fetchOverageGroups(config: OidcConfig, url: string, accessToken: string): Promise<string[]> {
  const origin = new URL(url).origin;
  const groups: string[] = [];
  let next: string | undefined = url;
  for (let page = 0; next && page < MAX_OVERAGE_PAGES; page++) {
    let response: Response;
    try {
      response = await fetch(next, {
        headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
        redirect: "manual",
        signal: AbortSignal.timeout(config.httpTimeoutMs),
      });
    } catch (error) {
      throw new OidcProviderError(`reading the groups overage failed: ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200) throw new OidcProviderError(`the groups endpoint answered HTTP ${response.status}`);
    const body = (await response.json().catch(() => null)) as { value?: unknown; "@odata.nextLink"?: unknown } | null;
    if (!body || !Array.isArray(body.value)) throw new OidcProviderError("the groups endpoint answered no value list");
    for (const item of body.value) {
      const id = typeof item === "string" ? item : (item as { id?: unknown } | null)?.id;
      if (typeof id === "string") groups.push(id);
    }
    const link = body["@odata.nextLink"];
    next = typeof link === "string" && new URL(link).origin === origin ? link : undefined;
  }
  return groups;
}
