// Browser sessions (SESSION_COOKIE=true): sign-in sets an HttpOnly, SameSite=Lax cookie (Secure
// but on http://localhost), the cookie authenticates like a bearer token, mutations with it need
// the CSRF header, logout clears it, and refreshSession extends a session before it expires.
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE_NAME } from "../../../src/auth/session-cookie.js";
import { createTestApp, TEST_PASSWORD, type TestApp } from "../../support/harness.js";
import { seed } from "../../support/seed.js";

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp({ SESSION_COOKIE: "true", SESSION_TTL_SECONDS: "3600" });
});
afterAll(async () => {
  await app?.close();
});

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token expiresAt userErrors { code } } }`;
const CSRF = { "x-graphql-yoga-csrf": "1" };

const sessionCookieOf = (headers: Headers) =>
  headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE_NAME}=`)) as string;
const cookieValue = (setCookie: string) => setCookie.split(";")[0] as string;

describe("session cookie", () => {
  let cookie: string;
  let email: string;

  it("is set by the first-user setup and by login, with the session's expiry", async () => {
    const first = await app.gql(
      `mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token expiresAt userErrors { code } } }`,
      { input: { email: "owner@example.com", username: "owner", password: TEST_PASSWORD } },
    );
    expect(first.data?.createFirstUser.expiresAt).toBeTruthy();
    expect(sessionCookieOf(first.headers)).toMatch(/HttpOnly/);
    const owner = await seed(app).existingOwner();
    const user = await owner.user("browser");
    email = user.email;
    const before = Date.now();
    const login = await app.gql(LOGIN, { input: { email, password: TEST_PASSWORD } });
    const expiresAt = new Date(login.data?.login.expiresAt).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
    const set = sessionCookieOf(login.headers);
    expect(set).toMatch(/; Path=\//);
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Lax/);
    expect(set).toMatch(/; Secure/);
    expect(set).toContain(`Expires=${new Date(expiresAt).toUTCString()}`);
    expect(cookieValue(set)).toBe(`${SESSION_COOKIE_NAME}=${login.data?.login.token}`);
    cookie = cookieValue(set);
  });

  it("is not Secure on http://localhost", async () => {
    const response = await app.yoga.fetch("http://localhost:4000/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: LOGIN, variables: { input: { email, password: TEST_PASSWORD } } }),
    });
    const set = sessionCookieOf(response.headers);
    expect(set).toMatch(/HttpOnly/);
    expect(set).not.toMatch(/Secure/);
  });

  it("authenticates queries like a bearer token", async () => {
    const viewer = await app.gql("{ viewer { username } }", {}, { headers: { cookie } });
    expect(viewer.data?.viewer.username).toBe("browser");
    // A cookie that no longer works makes the request anonymous, so a sign-in page still loads.
    const stale = await app.gql(
      "{ authMethods { password { enabled } } }",
      {},
      { headers: { cookie: `${SESSION_COOKIE_NAME}=junk` } },
    );
    expect(stale.data?.authMethods.password.enabled).toBe(true);
  });

  it("requires the CSRF header for mutations authenticated by the cookie", async () => {
    const mutation = `mutation { createApiToken(input: { name: "from-browser" }) { token userErrors { code } } }`;
    const refused = await app.gql(mutation, {}, { headers: { cookie } });
    expect(refused.status).toBe(403);
    expect(refused.errors?.[0]?.extensions?.code).toBe("CSRF_HEADER_REQUIRED");
    expect(await app.prisma.apiToken.count({ where: { name: "from-browser" } })).toBe(0);
    const allowed = await app.gql(mutation, {}, { headers: { cookie, ...CSRF } });
    expect(allowed.data?.createApiToken.userErrors).toEqual([]);
    // Yoga's CSRF prevention refuses a form post (a cross-site form) before anything runs.
    const form = await app.request({
      body: `query=${encodeURIComponent(mutation)}`,
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    });
    expect(form.status).toBe(403);
  });

  it("refreshes a session before it expires, with a new token and cookie", async () => {
    const session = await app.prisma.session.findUniqueOrThrow({
      where: { id: decodeJwt(cookie.split("=")[1] as string).jti as string },
    });
    await app.prisma.session.update({ where: { id: session.id }, data: { expiresAt: new Date(Date.now() + 60_000) } });
    const refreshed = await app.gql(
      `mutation { refreshSession { token expiresAt userErrors { code } } }`,
      {},
      { headers: { cookie, ...CSRF } },
    );
    expect(refreshed.data?.refreshSession.userErrors).toEqual([]);
    expect(new Date(refreshed.data?.refreshSession.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3500_000);
    const stored = await app.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(stored.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    cookie = cookieValue(sessionCookieOf(refreshed.headers));
    expect(cookie).toBe(`${SESSION_COOKIE_NAME}=${refreshed.data?.refreshSession.token}`);
    const apiToken = (
      await app.gql(
        `mutation { createApiToken(input: { name: "cli" }) { token } }`,
        {},
        { headers: { cookie, ...CSRF } },
      )
    ).data?.createApiToken.token;
    const withApiToken = await app.gql(
      `mutation { refreshSession { token userErrors { code } } }`,
      {},
      { token: apiToken },
    );
    expect(withApiToken.data?.refreshSession.userErrors.map((e: { code: string }) => e.code)).toEqual([
      "INVALID_INPUT",
    ]);
  });

  it("is cleared by logout, after which it no longer authenticates", async () => {
    const logout = await app.gql("mutation { logout }", {}, { headers: { cookie, ...CSRF } });
    expect(logout.data?.logout).toBe(true);
    expect(sessionCookieOf(logout.headers)).toMatch(new RegExp(`^${SESSION_COOKIE_NAME}=;.*Max-Age=0`));
    // Anonymous again: no viewer.
    const after = await app.gql("{ viewer { username } }", {}, { headers: { cookie } });
    expect(after.data?.viewer ?? null).toBeNull();
  });
});

describe("without SESSION_COOKIE", () => {
  it("sets no cookie and ignores one", async () => {
    const plain = await createTestApp();
    try {
      const owner = await seed(plain).owner();
      const login = await plain.gql(LOGIN, { input: { email: "owner@example.com", password: TEST_PASSWORD } });
      expect(login.data?.login.expiresAt).toBeTruthy();
      expect(login.headers.getSetCookie()).toEqual([]);
      const viewer = await plain.gql(
        "{ viewer { username } }",
        {},
        { headers: { cookie: `${SESSION_COOKIE_NAME}=${owner.token}` } },
      );
      expect(viewer.data?.viewer ?? null).toBeNull();
      expect((await plain.gql("{ viewer { username } }", {}, { token: owner.token })).data?.viewer.username).toBe(
        "owner",
      );
      const flow = await plain.request({ method: "GET", path: "/auth/oidc/login" });
      expect(flow.status).toBe(404);
    } finally {
      await plain.close();
    }
  }, 60_000);
});
