// The server-side authorization code flow with PKCE against a real provider (oidc-provider on
// loopback), driven like a browser: state and nonce, userinfo merged into the ID token's claims,
// Entra ID's groups overage, no open redirect, key rotation and a provider that is down.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { SESSION_COOKIE_NAME } from "../../../src/auth/session-cookie.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { browserSignIn, type RealOidcProvider, startRealOidcProvider } from "../../support/real-oidc-provider.js";
import { type OwnerScope, seed } from "../../support/seed.js";

let provider: RealOidcProvider;
let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  provider = await startRealOidcProvider();
  app = await createTestApp(provider.env());
  owner = await seed(app).owner();
});
afterAll(async () => {
  await app?.close();
  await provider?.close();
});
afterEach(() => {
  vi.useRealTimers();
  provider.setMode("up");
});

const VIEWER = "{ viewer { username email lastOidcClaims } }";

/** Turns on group sync from the `groups` claim in the default organization, creating missing groups. */
async function syncGroupsClaim(target: TestApp, token: string) {
  const orgs = await target.gql(`{ organizations(first: 1) { edges { node { id } } } }`, {}, { token });
  const set = await target.gql(
    `mutation($input: UpdateGroupSyncSettingsInput!) { updateGroupSyncSettings(input: $input) { userErrors { code } } }`,
    {
      input: {
        organizationId: orgs.data?.organizations.edges[0].node.id,
        field: "groups",
        mapping: [],
        autoCreateMissingGroups: true,
      },
    },
    { token },
  );
  expect(set.errors).toBeUndefined();
  expect(set.data?.updateGroupSyncSettings.userErrors).toEqual([]);
}

/** The names of the user's groups, without Everyone. */
async function groupsOf(target: TestApp, email: string) {
  const user = await target.prisma.user.findUniqueOrThrow({ where: { email } });
  const memberships = await target.prisma.groupMember.findMany({
    where: { userId: user.id },
    include: { group: true },
  });
  return memberships
    .map((m) => m.group.name)
    .filter((name) => name !== "Everyone")
    .sort();
}

/** Requests authenticated by the session cookie the sign-in set. */
async function asCookie(result: Awaited<ReturnType<typeof browserSignIn>>, query = VIEWER) {
  const cookie = result.appCookies.get(SESSION_COOKIE_NAME);
  expect(cookie).toBeDefined();
  return app.gql(query, {}, { headers: { cookie: `${SESSION_COOKIE_NAME}=${cookie}` } });
}

describe("authorization code flow", () => {
  it("signs a new user in with claims from userinfo, sets the session cookie and redirects", async () => {
    // The ID token carries `sub` only (oidc-provider conforms ID token claims): email, name and
    // groups come from userinfo.
    provider.account("kc-alice", {
      email: "alice@corp.example",
      email_verified: true,
      preferred_username: "alice",
      name: "Alice",
      groups: ["eng"],
      phone_number: "+1 555 0100",
    });
    const result = await browserSignIn(app, "kc-alice", { redirect: "/workspaces?tab=mine" });
    expect(result.location).toBe("/workspaces?tab=mine");
    const session = result.setCookies.find((c) => c.startsWith(`${SESSION_COOKIE_NAME}=`)) as string;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).toMatch(/Secure/);
    expect(result.setCookies.some((c) => /^orgs_oidc_flow=;.*Max-Age=0/.test(c))).toBe(true);
    const viewer = await asCookie(result);
    expect(viewer.data?.viewer).toMatchObject({ username: "alice", email: "alice@corp.example" });
    const claims = JSON.parse(viewer.data?.viewer.lastOidcClaims);
    expect(claims).toMatchObject({ sub: "kc-alice", email: "alice@corp.example", groups: ["eng"], name: "Alice" });
    // Redacted: a claim nothing reads is not kept.
    expect(claims.phone_number).toBeUndefined();
    const stored = await app.prisma.user.findUniqueOrThrow({ where: { email: "alice@corp.example" } });
    expect(stored.oidcSubject).toBe(`${provider.issuer}|kc-alice`);
    expect(stored.loginType).toBe("OIDC");
  });

  it("refuses a callback whose state does not match the flow cookie", async () => {
    provider.account("kc-mallory", { email: "mallory@corp.example" });
    const result = await browserSignIn(app, "kc-mallory", {
      redirect: "/home",
      tamper: (callback) => callback.searchParams.set("state", "forged"),
    });
    expect(result.location).toBe("/home?oidc_error=INVALID_CREDENTIALS");
    expect(result.appCookies.get(SESSION_COOKIE_NAME)).toBeUndefined();
    expect(await app.prisma.user.count({ where: { email: "mallory@corp.example" } })).toBe(0);
  });

  it("refuses a callback without the flow cookie (another browser's code)", async () => {
    const response = await app.request({ method: "GET", path: "/auth/oidc/callback?code=x&state=y" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/?oidc_error=INVALID_STATE");
  });

  it.each([
    ["https://evil.example/x", "/"],
    ["//evil.example/x", "/"],
    ["/\\evil.example", "/"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
    ["javascript:alert(1)", "/"],
  ])("sends redirect=%s to %s (same-origin paths only)", async (redirect, expected) => {
    provider.account("kc-redirect", { email: "redirect@corp.example" });
    const result = await browserSignIn(app, "kc-redirect", { redirect });
    expect(result.location).toBe(expected);
  });

  it("keeps synced groups when the groups overage is announced and no groups endpoint is configured", async () => {
    await syncGroupsClaim(app, owner.token);
    provider.account("kc-bob", { email: "bob@corp.example", groups: ["platform"] });
    await browserSignIn(app, "kc-bob");
    expect(await groupsOf(app, "bob@corp.example")).toEqual(["platform"]);
    // Entra ID: too many groups, so the claim is replaced by a pointer to Graph.
    provider.account("kc-bob", {
      email: "bob@corp.example",
      _claim_names: { groups: "src1" },
      _claim_sources: { src1: { endpoint: "https://graph.windows.net/tenant/users/bob/getMemberObjects" } },
    });
    await browserSignIn(app, "kc-bob");
    expect(await groupsOf(app, "bob@corp.example")).toEqual(["platform"]);
    const bob = await app.prisma.user.findUniqueOrThrow({ where: { email: "bob@corp.example" } });
    expect(JSON.parse(JSON.stringify(bob.lastOidcClaims))._claim_names).toEqual({ groups: "src1" });

    // With the endpoint configured, the groups are read from it with the access token.
    const withGraph = await createTestApp(
      provider.env({ OIDC_GROUPS_OVERAGE_URL: `${provider.issuer}/graph/me/memberOf` }),
    );
    try {
      await syncGroupsClaim(withGraph, (await seed(withGraph).owner()).token);
      provider.graph.groups = ["graph-group-1", "graph-group-2"];
      await browserSignIn(withGraph, "kc-bob");
      expect(provider.graph.calls.at(-1)).toMatch(/^Bearer \S+/);
      expect(await groupsOf(withGraph, "bob@corp.example")).toEqual(["graph-group-1", "graph-group-2"]);
    } finally {
      await withGraph.close();
    }
  }, 120_000);
});

describe("provider keys and outages", () => {
  it("signs in after the provider rotated its signing key", async () => {
    provider.account("kc-carol", { email: "carol@corp.example" });
    expect((await browserSignIn(app, "kc-carol")).location).toBe("/");
    await provider.rotateKeys();
    // The unknown kid is fetched once the 30 s cooldown has passed.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 31_000);
    const result = await browserSignIn(app, "kc-carol");
    expect(result.location).toBe("/");
    expect(result.appCookies.get(SESSION_COOKIE_NAME)).toBeDefined();
  });

  it("sends the browser back with IDP_UNAVAILABLE when the provider goes down before the code exchange", async () => {
    provider.account("kc-dave", { email: "dave@corp.example" });
    const result = await browserSignIn(app, "kc-dave", {
      redirect: "/after",
      tamper: () => provider.setMode("down"),
    });
    expect(result.location).toBe("/after?oidc_error=IDP_UNAVAILABLE");
    expect(result.appCookies.get(SESSION_COOKIE_NAME)).toBeUndefined();
    expect(await app.prisma.user.count({ where: { email: "dave@corp.example" } })).toBe(0);
  });

  it("sends the browser back with IDP_UNAVAILABLE when the provider is down", async () => {
    const fresh = await createTestApp(provider.env({ OIDC_HTTP_TIMEOUT_MS: "1000" }));
    try {
      provider.setMode("down");
      const response = await fresh.request({ method: "GET", path: "/auth/oidc/login?redirect=/signin" });
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe("/signin?oidc_error=IDP_UNAVAILABLE");
    } finally {
      await fresh.close();
    }
  }, 60_000);
});
