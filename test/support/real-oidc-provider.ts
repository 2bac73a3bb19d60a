// A real OpenID Connect provider (the certified `oidc-provider` package) on loopback, for the
// server-side code flow: discovery, authorization with PKCE, its own login and consent pages
// (devInteractions), token, userinfo and JWKS endpoints. Accounts are registered by the test
// (findAccount). Keys can be rotated (a new provider instance behind the same address), the
// provider switched down, and a Graph-style groups endpoint answers Entra ID's overage.
// `browserSignIn` drives a browser through the whole flow by hand: redirects, cookies and forms.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";
import { expect } from "vitest";
import type { TestApp } from "./harness.js";

export const CODE_CLIENT_ID = "orgs-api-web";
export const CODE_CLIENT_SECRET = "orgs-api-web-secret-for-tests-only";
/** Where the app under test (yoga.fetch on http://test) is reached by the browser. */
export const APP_ORIGIN = "http://test";
export const REDIRECT_URI = `${APP_ORIGIN}/auth/oidc/callback`;

export type AccountClaims = Record<string, unknown>;

let keyCounter = 0;

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `code-flow-key-${++keyCounter}`, alg: "RS256", use: "sig" };
}

export type RealOidcProvider = Awaited<ReturnType<typeof startRealOidcProvider>>;

export async function startRealOidcProvider() {
  const accounts = new Map<string, AccountClaims>();
  const graph = { groups: [] as string[], calls: [] as string[] };
  let mode: "up" | "down" = "up";
  let provider: Provider | undefined;
  let handler: ReturnType<Provider["callback"]> | undefined;
  let publishedKid = "";

  const server = http.createServer((req, res) => {
    if (mode === "down") return req.socket.destroy();
    if (req.url?.startsWith("/graph/me/memberOf")) {
      graph.calls.push(req.headers.authorization ?? "");
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(
        JSON.stringify({ value: graph.groups.map((id) => ({ id, "@odata.type": "#microsoft.graph.group" })) }),
      );
    }
    handler?.(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function build() {
    const key = await signingKey();
    publishedKid = key.kid as string;
    provider = new Provider(issuer, {
      clients: [
        {
          client_id: CODE_CLIENT_ID,
          client_secret: CODE_CLIENT_SECRET,
          redirect_uris: [REDIRECT_URI],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          token_endpoint_auth_method: "client_secret_basic",
        },
      ],
      jwks: { keys: [key] },
      pkce: { required: () => true },
      scopes: ["openid", "email", "profile", "groups"],
      claims: {
        openid: ["sub"],
        email: ["email", "email_verified"],
        profile: ["name", "preferred_username"],
        groups: ["groups", "roles"],
      },
      features: { devInteractions: { enabled: true } },
      cookies: { keys: ["test-cookie-key"] },
      findAccount: (_ctx, id) => {
        const claims = accounts.get(id);
        if (!claims) return undefined;
        return { accountId: id, claims: () => ({ sub: id, ...claims }) };
      },
    });
    // Its warnings about development settings are expected here.
    provider.on("server_error", () => {});
    handler = provider.callback();
  }
  await build();

  return {
    issuer,
    graph,
    get kid() {
      return publishedKid;
    },
    /** The env for an app that signs in through this provider with the code flow. */
    env: (extra: Record<string, string> = {}) => ({
      OIDC_ISSUER_URL: issuer,
      OIDC_CLIENT_ID: CODE_CLIENT_ID,
      OIDC_CLIENT_SECRET: CODE_CLIENT_SECRET,
      OIDC_REDIRECT_URI: REDIRECT_URI,
      OIDC_SCOPES: "openid profile email groups",
      SESSION_COOKIE: "true",
      ...extra,
    }),
    /** Registers (or replaces) an account the login page accepts. */
    account(id: string, claims: AccountClaims) {
      accounts.set(id, claims);
    },
    /** A new signing key (a new provider instance behind the same address); the old key is gone. */
    async rotateKeys() {
      await build();
    },
    setMode(next: "up" | "down") {
      mode = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- the browser

/** A cookie jar for one host: name -> value (attributes ignored). */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ""] = header.split(";");
      const index = pair.indexOf("=");
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(header) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join("; ");
  }
  get(name: string) {
    return this.cookies.get(name);
  }
}

export type SignInResult = {
  /** The app's final redirect (path and query). */
  location: string;
  /** The app's cookies after the callback (the session cookie when sign-in succeeded). */
  appCookies: Jar;
  /** The callback's Set-Cookie headers. */
  setCookies: string[];
};

/** The provider's form on an HTML page (login or consent): its action and hidden inputs. */
function formOf(html: string, base: string): { action: string; prompt: string } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !prompt) throw new Error(`no interaction form in: ${html.slice(0, 300)}`);
  return { action: new URL(action.replaceAll("&amp;", "&"), base).href, prompt };
}

/**
 * A browser signing in: GET /auth/oidc/login at the app, then the provider's redirects, login
 * form (as `accountId`) and consent form, until the provider sends the browser back to the
 * callback, which the app answers. `tamper` may change the callback URL before it is sent.
 */
export async function browserSignIn(
  app: TestApp,
  accountId: string,
  options: { redirect?: string; appJar?: Jar; tamper?: (callback: URL) => void } = {},
): Promise<SignInResult> {
  const appJar = options.appJar ?? new Jar();
  const start = await app.request({
    method: "GET",
    path: `/auth/oidc/login?redirect=${encodeURIComponent(options.redirect ?? "/")}`,
    headers: { cookie: appJar.header() },
  });
  expect(start.status).toBe(302);
  appJar.take(start);
  let location = start.headers.get("location") as string;
  const providerJar = new Jar();
  for (let step = 0; step < 20 && !location.startsWith(REDIRECT_URI); step++) {
    if (!location.startsWith("http")) {
      // The app answered without the provider (an error redirect).
      return { location, appCookies: appJar, setCookies: start.headers.getSetCookie() };
    }
    let response = await fetch(location, { redirect: "manual", headers: { cookie: providerJar.header() } });
    providerJar.take(response);
    if (response.status === 200) {
      const form = formOf(await response.text(), location);
      const body = new URLSearchParams({ prompt: form.prompt, login: accountId, password: "any" });
      response = await fetch(form.action, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: providerJar.header(), "content-type": "application/x-www-form-urlencoded" },
        body,
      });
      providerJar.take(response);
    }
    expect([302, 303]).toContain(response.status);
    location = new URL(response.headers.get("location") as string, location).href;
  }
  const callback = new URL(location);
  options.tamper?.(callback);
  const done = await app.request({
    method: "GET",
    path: `${callback.pathname}${callback.search}`,
    headers: { cookie: appJar.header() },
  });
  expect(done.status).toBe(302);
  appJar.take(done);
  return {
    location: done.headers.get("location") as string,
    appCookies: appJar,
    setCookies: done.headers.getSetCookie(),
  };
}
