// The server-side OIDC sign-in for browsers (SESSION_COOKIE=true): GET /auth/oidc/login sends the
// browser to the provider with state, nonce and PKCE, which a short-lived signed HttpOnly cookie
// keeps; GET /auth/oidc/callback checks them, exchanges the code, verifies the ID token, merges
// userinfo (and Entra ID's groups overage), signs in like loginWithOidc and sets the session
// cookie. Both answer with redirects to a same-origin path; failures add `?oidc_error=<CODE>`.
import type { Plugin, YogaInitialContext } from "graphql-yoga";
import { OidcProviderError, OidcTokenError, oidcVerifier } from "../../auth/oidc.js";
import { authorizationRequest, exchangeCode, type FlowChecks, fetchOverageGroups } from "../../auth/oidc-client.js";
import { clearCookieHeader, OIDC_FLOW_COOKIE_NAME, readCookie, setCookieHeader } from "../../auth/session-cookie.js";
import { SessionTokenError } from "../../auth/session-tokens.js";
import type { OidcConfig } from "../../config.js";
import { type AppDeps, buildContext } from "../../context.js";
import { UserErrors } from "../../graphql/errors.js";
import { clientIp } from "../../http/client-ip.js";
import type { RateLimiter } from "../../security/rate-limit.js";
import { type OidcIdentity, recordRefusedLogin, signInWithOidc, undeliveredClaims } from "./oidc.service.js";

export const OIDC_LOGIN_PATH = "/auth/oidc/login";
export const OIDC_CALLBACK_PATH = "/auth/oidc/callback";
const FLOW_AUDIENCE = "orgs-api/oidc-flow";
const FLOW_TTL_SECONDS = 600;

/** Claims that come from the ID token only: userinfo never replaces them. */
const PROTOCOL_CLAIMS = new Set(["iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "at_hash"]);

/**
 * `redirect` if it is a path on this origin, else "/". Absolute URLs, scheme-relative `//host`,
 * backslashes (which browsers read as slashes) and control characters are refused.
 */
export function safeRedirect(raw: string | null): string {
  if (!raw || raw.length > 2048 || !raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\")) return "/";
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return "/";
  const base = "http://same.invalid";
  const url = new URL(raw, base);
  return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : "/";
}

function withError(path: string, code: string): string {
  const url = new URL(path, "http://same.invalid");
  url.searchParams.set("oidc_error", code);
  return `${url.pathname}${url.search}`;
}

function redirect(location: string, cookies: string[] = []): Response {
  const headers = new Headers({ location, "cache-control": "no-store" });
  // The session cookie a sign-in queued is added by the app's cookie plugin, like for GraphQL.
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 302, headers });
}

const text = (status: number, body: string) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

const redirectUriFor = (config: OidcConfig, request: Request) =>
  config.redirectUri ?? `${new URL(request.url).origin}${OIDC_CALLBACK_PATH}`;

type FlowState = FlowChecks & { redirect: string };

/** The claims of the ID token with userinfo's merged in (userinfo wins, except protocol claims). */
function mergeClaims(idClaims: Record<string, unknown>, userinfo: Record<string, unknown> | null) {
  const merged = { ...idClaims };
  for (const [name, value] of Object.entries(userinfo ?? {})) {
    if (!PROTOCOL_CLAIMS.has(name)) merged[name] = value;
  }
  return merged;
}

type Deps = AppDeps & { limiter: RateLimiter };

async function login(request: Request, url: URL, config: OidcConfig, deps: Deps): Promise<Response> {
  const target = safeRedirect(url.searchParams.get("redirect"));
  let started: Awaited<ReturnType<typeof authorizationRequest>>;
  try {
    started = await authorizationRequest(config, redirectUriFor(config, request));
  } catch (error) {
    deps.log.warn("OIDC provider unavailable", { error });
    return redirect(withError(target, "IDP_UNAVAILABLE"));
  }
  const expiresAt = new Date(Date.now() + FLOW_TTL_SECONDS * 1000);
  const flow: FlowState = { ...started.checks, redirect: target };
  const value = await deps.sessionTokens.signValue(flow, FLOW_AUDIENCE, expiresAt);
  const cookie = setCookieHeader(request.url, OIDC_FLOW_COOKIE_NAME, value, {
    path: "/auth/oidc",
    maxAgeSeconds: FLOW_TTL_SECONDS,
  });
  return redirect(started.url.href, [cookie]);
}

async function readFlow(request: Request, deps: Deps): Promise<FlowState | null> {
  const value = readCookie(request.headers, OIDC_FLOW_COOKIE_NAME);
  if (!value) return null;
  try {
    const payload = await deps.sessionTokens.verifyValue(value, FLOW_AUDIENCE);
    const { state, nonce, verifier, redirect: target } = payload;
    if ([state, nonce, verifier, target].some((v) => typeof v !== "string")) return null;
    return { state, nonce, verifier, redirect: safeRedirect(target as string) } as FlowState;
  } catch (error) {
    if (error instanceof SessionTokenError) return null;
    throw error;
  }
}

async function callback(
  request: Request,
  url: URL,
  config: OidcConfig,
  deps: Deps,
  serverContext: unknown,
): Promise<Response> {
  const clearFlow = clearCookieHeader(request.url, OIDC_FLOW_COOKIE_NAME, "/auth/oidc");
  const flow = await readFlow(request, deps);
  if (!flow) return redirect(withError("/", "INVALID_STATE"), [clearFlow]);
  const fail = (code: string) => redirect(withError(flow.redirect, code), [clearFlow]);
  if (url.searchParams.has("error")) return fail("ACCESS_DENIED");
  const ip = clientIp(request, serverContext, deps.config.trustProxy);
  if (!(await deps.limiter.checkSignIn(ip)).allowed) return fail("RATE_LIMITED");
  const ctx = await buildContext({ request, params: {}, ...(serverContext as object) } as YogaInitialContext, deps);
  try {
    const callbackUrl = new URL(redirectUriFor(config, request));
    callbackUrl.search = url.search;
    const result = await exchangeCode(config, callbackUrl, flow);
    const token = await oidcVerifier(config).verify(result.idToken);
    const claims = mergeClaims(token.claims, result.userinfo);
    const unknownClaims = undeliveredClaims(claims);
    if (config.groupsOverageUrl && unknownClaims.has(config.groupField)) {
      claims[config.groupField] = await fetchOverageGroups(config, config.groupsOverageUrl, result.accessToken);
      unknownClaims.delete(config.groupField);
    }
    const identity: OidcIdentity = { token: { ...token, claims }, unknownClaims };
    await signInWithOidc(ctx, config, identity);
    return redirect(flow.redirect, [clearFlow]);
  } catch (error) {
    if (error instanceof UserErrors) {
      await recordRefusedLogin(ctx, error);
      return fail(error.errors[0]?.code ?? "SIGN_IN_FAILED");
    }
    if (error instanceof OidcProviderError) {
      ctx.log.warn("OIDC provider unavailable", { error });
      return fail("IDP_UNAVAILABLE");
    }
    if (error instanceof OidcTokenError) {
      ctx.log.warn("OIDC sign-in refused", { error });
      return fail("INVALID_CREDENTIALS");
    }
    throw error;
  }
}

/** Answers the two OIDC paths; without OIDC or SESSION_COOKIE they do not exist (404). */
export function oidcHttpPlugin(deps: Deps): Plugin {
  return {
    async onRequest({ request, url, endResponse, serverContext }) {
      if (url.pathname !== OIDC_LOGIN_PATH && url.pathname !== OIDC_CALLBACK_PATH) return;
      const config = deps.config.oidc;
      if (!config || !deps.config.sessionCookie) {
        return endResponse(text(404, "The server-side OIDC sign-in needs OIDC_ISSUER_URL and SESSION_COOKIE=true."));
      }
      if (request.method !== "GET") return endResponse(text(405, "Use GET."));
      endResponse(
        url.pathname === OIDC_LOGIN_PATH
          ? await login(request, url, config, deps)
          : await callback(request, url, config, deps, serverContext),
      );
    },
  };
}
