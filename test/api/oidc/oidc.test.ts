// OIDC login against a real provider on loopback: token verification, linking, key rotation,
// a provider that goes down, and configuration.
import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { globalId } from "../../support/fixtures.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { newKey, type OidcProvider, startOidcProvider } from "../../support/oidc-provider.js";
import { loginWithOidc, refusedOidcLogin, startOidcWorld, stopOidcWorld } from "../../support/oidc-suite.js";
import type { OwnerScope } from "../../support/seed.js";

const LOGIN = `mutation($input: LoginWithOidcInput!) {
  loginWithOidc(input: $input) { token user { id username email loginType status organizations { name } } userErrors { code message } }
}`;

let provider: OidcProvider;
let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  ({ provider, app, owner } = await startOidcWorld());
});
afterAll(() => stopOidcWorld({ app, provider }));
afterEach(() => {
  vi.useRealTimers();
});

const oidcLogin = (target: TestApp, idToken: string) => loginWithOidc(target, LOGIN, idToken);
const refusedWith = (idToken: string, code?: string) => refusedOidcLogin(app, LOGIN, idToken, code);

/** Moves the clock (Date only; timers stay real, so fetch timeouts still work). */
function advanceClock(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

describe("login with a valid ID token", () => {
  it("creates an OIDC user in the default organization and returns a working session", async () => {
    const sessionsBefore = await app.prisma.session.count();
    const payload = await oidcLogin(
      app,
      await provider.token("sub-alice", {
        email: "Alice@Example.COM",
        preferred_username: "alice.smith",
        name: "Alice",
      }),
    );
    expect(payload.userErrors).toEqual([]);
    expect(payload.user).toMatchObject({
      username: "alice-smith",
      email: "alice@example.com",
      loginType: "OIDC",
      status: "ACTIVE",
      organizations: [{ name: "default" }],
    });
    const viewer = await app.gql("{ viewer { username } }", {}, { token: payload.token });
    expect(viewer.data?.viewer.username).toBe("alice-smith");
    const stored = await app.prisma.user.findUniqueOrThrow({ where: { email: "alice@example.com" } });
    expect(stored.oidcSubject).toBe(`${provider.issuer}|sub-alice`);
    expect(stored.passwordHash).toBeNull();
    const session = await app.prisma.session.findFirstOrThrow({ where: { userId: stored.id } });
    expect(session.loginType).toBe("OIDC");
    expect(await app.prisma.session.count()).toBe(sessionsBefore + 1);
    const audit = await app.prisma.auditLog.findMany({ where: { resourceId: stored.id }, orderBy: { time: "asc" } });
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([
      ["CREATE", null],
      ["LOGIN", stored.id],
    ]);
  });

  it("links by subject on later logins, even when the email changed", async () => {
    const first = await app.prisma.user.findUniqueOrThrow({ where: { email: "alice@example.com" } });
    const payload = await oidcLogin(app, await provider.token("sub-alice", { email: "alice.new@example.com" }));
    expect(payload.userErrors).toEqual([]);
    expect(payload.user.id).toBe(globalId("User", first.id));
    expect(await app.prisma.user.count({ where: { oidcSubject: `${provider.issuer}|sub-alice` } })).toBe(1);
    const again = await app.prisma.user.findUniqueOrThrow({ where: { id: first.id } });
    // The email follows the provider's.
    expect(again.email).toBe("alice.new@example.com");
  });

  it("de-duplicates usernames and sanitizes them to the name rules", async () => {
    const a = await oidcLogin(
      app,
      await provider.token("sub-o1", { email: "o1@example.com", preferred_username: "Owner" }),
    );
    expect(a.user.username).toBe("Owner-2");
    const b = await oidcLogin(app, await provider.token("sub-o2", { email: "x--y@example.com" }));
    expect(b.user.username).toBe("x-y");
    const c = await oidcLogin(
      app,
      await provider.token("sub-o3", { email: "new@example.com", preferred_username: "__" }),
    );
    // Neither the claim nor the email's local part ("new" is reserved) is usable.
    expect(c.user.username).toBe("user");
  });

  it("links an existing account by email only when the provider verified it", async () => {
    const bob = await owner.user("bob");
    const unverified = await refusedWith(
      await provider.token("sub-bob", { email: "bob@example.com", email_verified: false }),
    );
    expect(unverified).toMatch(/not verified/);
    expect((await app.prisma.user.findUniqueOrThrow({ where: { email: "bob@example.com" } })).oidcSubject).toBeNull();

    const verified = await oidcLogin(
      app,
      await provider.token("sub-bob", { email: "bob@example.com", email_verified: true }),
    );
    expect(verified.userErrors).toEqual([]);
    expect(verified.user.id).toBe(bob.id);
    const stored = await app.prisma.user.findUniqueOrThrow({ where: { email: "bob@example.com" } });
    expect(stored.oidcSubject).toBe(`${provider.issuer}|sub-bob`);

    // Another identity claiming the same (verified) email cannot take the account over.
    await refusedWith(await provider.token("sub-mallory", { email: "bob@example.com", email_verified: true }));
  });

  it("creates one user when two first logins of an identity race", async () => {
    // Two tokens of one identity (one token is accepted once).
    const [first, second] = await Promise.all([
      provider.token("sub-racer", { email: "racer@example.com" }),
      provider.token("sub-racer", { email: "racer@example.com" }),
    ]);
    const [a, b] = await Promise.all([oidcLogin(app, first), oidcLogin(app, second)]);
    expect(a.userErrors).toEqual([]);
    expect(b.userErrors).toEqual([]);
    expect(a.user.id).toBe(b.user.id);
    expect(await app.prisma.user.count({ where: { email: "racer@example.com" } })).toBe(1);
  });

  it("accepts a token that expired within the clock tolerance", async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = await oidcLogin(
      app,
      await provider.token("sub-alice", { email: "alice@example.com", iat: now - 100, exp: now - 10 }),
    );
    expect(payload.userErrors).toEqual([]);
  });
});

describe("tokens that are refused", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it("refuses expired, not-yet-valid, and exp-less tokens", async () => {
    expect(await refusedWith(await provider.token("sub-alice", { iat: now() - 600, exp: now() - 120 }))).toMatch(
      /expired/,
    );
    await refusedWith(await provider.token("sub-alice", { nbf: now() + 600 }));
    await refusedWith(await provider.token("sub-alice", {}, { omit: ["exp"] }));
    await refusedWith(await provider.token("sub-alice", {}, { omit: ["iat"] }));
  });

  it("records each refused token as a failed sign-in with its reason, address and user agent", async () => {
    const since = new Date();
    const bad = await provider.token("sub-alice", { aud: "another-client" });
    const result = await app.gql(LOGIN, { input: { idToken: bad } }, { headers: { "user-agent": "oidc-audit/2" } });
    expect(result.data?.loginWithOidc.token).toBeNull();
    const events = await app.gql(
      `query($since: DateTime) { auditLogs(first: 5, filter: { actions: [LOGIN], success: false, since: $since }) {
        edges { node { resourceType resourceId actor { id } userAgent changes } } } }`,
      { since: since.toISOString() },
      { token: owner.token },
    );
    expect(events.data?.auditLogs.edges).toEqual([
      {
        node: {
          resourceType: "USER",
          resourceId: null,
          actor: null,
          userAgent: "oidc-audit/2",
          changes: {
            loginType: "OIDC",
            reason: expect.stringMatching(/^INVALID_CREDENTIALS: The ID token was refused/),
          },
        },
      },
    ]);
  });

  it("refuses the wrong issuer or audience", async () => {
    await refusedWith(await provider.token("sub-alice", { iss: "https://evil.example.com" }));
    await refusedWith(await provider.token("sub-alice", { aud: "another-client" }));
    // Several audiences need azp naming this client.
    await refusedWith(await provider.token("sub-alice", { aud: ["orgs-api-test", "other"] }));
  });

  it("refuses alg none, a shared-secret algorithm, a forged signature and garbage", async () => {
    await refusedWith(await provider.token("sub-alice", {}, { unsigned: true }));
    const hs = await new SignJWT({ sub: "sub-alice", iss: provider.issuer, aud: "orgs-api-test" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("x".repeat(32)));
    await refusedWith(hs);
    const good = await provider.token("sub-alice", { email: "alice@example.com" });
    const [header, , signature] = good.split(".");
    const forgedBody = Buffer.from(
      JSON.stringify({ sub: "sub-bob", iss: provider.issuer, aud: "orgs-api-test" }),
    ).toString("base64url");
    await refusedWith(`${header}.${forgedBody}.${signature}`);
    await refusedWith("not-a-jwt");
    await refusedWith("x".repeat(20_000));
  });

  it("refuses a key the provider never published, without hammering the JWKS endpoint", async () => {
    const stranger = await newKey("ES256");
    const before = provider.served.jwks;
    await refusedWith(await provider.token("sub-alice", {}, { key: stranger }));
    await refusedWith(await provider.token("sub-alice", {}, { key: stranger }));
    // At most one refetch for unknown kids per 30 s.
    expect(provider.served.jwks - before).toBeLessThanOrEqual(1);
  });

  it("refuses suspended users and activates dormant ones", async () => {
    const user = await app.prisma.user.update({
      where: { email: "alice@example.com" },
      data: { status: "SUSPENDED" },
    });
    const sessions = await app.prisma.session.count({ where: { userId: user.id } });
    await refusedWith(await provider.token("sub-alice", { email: "alice@example.com" }), "USER_SUSPENDED");
    expect(await app.prisma.session.count({ where: { userId: user.id } })).toBe(sessions);

    await app.prisma.user.update({ where: { id: user.id }, data: { status: "DORMANT" } });
    const payload = await oidcLogin(app, await provider.token("sub-alice", { email: "alice@example.com" }));
    expect(payload.userErrors).toEqual([]);
    expect(payload.user.status).toBe("ACTIVE");
  });
});

describe("provider keys", () => {
  it("picks up a rotated key once the 30 s cooldown has passed", async () => {
    // Make sure the current keys are cached.
    expect(
      (await oidcLogin(app, await provider.token("sub-alice", { email: "alice@example.com" }))).userErrors,
    ).toEqual([]);
    const rotated = await newKey("ES256");
    provider.publish([rotated]);
    advanceClock(31_000);
    const before = provider.served.jwks;
    const payload = await oidcLogin(
      app,
      await provider.token("sub-alice", { email: "alice@example.com" }, { key: rotated }),
    );
    expect(payload.userErrors).toEqual([]);
    expect(provider.served.jwks).toBe(before + 1);

    // A second rotation right away is not fetched until the cooldown passed again.
    const next = await newKey("RS256");
    provider.publish([rotated, next]);
    await refusedWith(await provider.token("sub-alice", { email: "alice@example.com" }, { key: next }));
    expect(provider.served.jwks).toBe(before + 1);
    advanceClock(31_000);
    expect(
      (await oidcLogin(app, await provider.token("sub-alice", { email: "alice@example.com" }, { key: next })))
        .userErrors,
    ).toEqual([]);
    expect(provider.served.jwks).toBe(before + 2);
  });

  it("keeps verifying with cached keys while the provider is down, even past the cache age", async () => {
    provider.setMode("down");
    try {
      const token = await provider.token("sub-alice", { email: "alice@example.com" });
      expect((await oidcLogin(app, token)).userErrors).toEqual([]);
      advanceClock(11 * 60_000);
      const later = await provider.token("sub-alice", { email: "alice@example.com" });
      expect((await oidcLogin(app, later)).userErrors).toEqual([]);
      // A key never fetched cannot be checked while the provider is down (it may be a rotated one).
      await refusedWith(await provider.token("sub-alice", {}, { key: await newKey("ES256") }), "IDP_UNAVAILABLE");
    } finally {
      provider.setMode("up");
    }
  });

  it("answers IDP_UNAVAILABLE, quickly, when the provider was never reachable, and recovers", async () => {
    const unreachable = await startOidcProvider();
    const other = await createTestApp(unreachable.env({ OIDC_HTTP_TIMEOUT_MS: "300" }));
    try {
      unreachable.setMode("hang");
      let started = Date.now();
      let payload = await oidcLogin(other, await unreachable.token("sub-x", { email: "x@example.com" }));
      expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual(["IDP_UNAVAILABLE"]);
      expect(Date.now() - started).toBeLessThan(3000);

      unreachable.setMode("down");
      advanceClock(6_000);
      started = Date.now();
      payload = await oidcLogin(other, await unreachable.token("sub-x", { email: "x@example.com" }));
      expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual(["IDP_UNAVAILABLE"]);
      expect(Date.now() - started).toBeLessThan(3000);

      // Within 5 s of a failure the provider is not asked again.
      unreachable.setMode("up");
      const served = unreachable.served.discovery;
      payload = await oidcLogin(other, await unreachable.token("sub-x", { email: "x@example.com" }));
      expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual(["IDP_UNAVAILABLE"]);
      expect(unreachable.served.discovery).toBe(served);

      // A discovery document naming another issuer is not trusted.
      advanceClock(6_000);
      unreachable.advertiseIssuer("https://elsewhere.example.com");
      payload = await oidcLogin(other, await unreachable.token("sub-x", { email: "x@example.com" }));
      expect(payload.userErrors.map((e: { code: string }) => e.code)).toEqual(["IDP_UNAVAILABLE"]);

      unreachable.advertiseIssuer(undefined);
      advanceClock(6_000);
      payload = await oidcLogin(other, await unreachable.token("sub-x", { email: "x@example.com" }));
      expect(payload.userErrors).toEqual([]);
      expect(payload.user.email).toBe("x@example.com");
    } finally {
      await other.close();
      await unreachable.close();
    }
  });
});

describe("configuration", () => {
  const base = { OIDC_ISSUER_URL: "https://idp.example.com", OIDC_CLIENT_ID: "client" };

  it("reads the OIDC settings with their defaults", () => {
    expect(loadConfig(base).oidc).toEqual({
      issuerUrl: "https://idp.example.com",
      clientId: "client",
      allowedAlgorithms: ["RS256", "ES256"],
      emailClaim: "email",
      usernameClaim: "preferred_username",
      clockToleranceSeconds: 30,
      httpTimeoutMs: 5000,
      clientSecret: undefined,
      redirectUri: undefined,
      scopes: "openid profile email",
      allowSignups: true,
      emailDomains: [],
      groupField: "groups",
      allowedGroups: [],
      userRoleField: "",
      userRoleMapping: {},
      signInText: "OpenID Connect",
      iconUrl: null,
      groupsOverageUrl: null,
    });
    expect(loadConfig({}).sessionCookie).toBe(false);
    expect(loadConfig({}).oidc).toBeNull();
    expect(loadConfig({}).scimApiKey).toBeUndefined();
  });

  it.each([
    [{ OIDC_ISSUER_URL: "not a url", OIDC_CLIENT_ID: "c" }, /OIDC_ISSUER_URL/],
    [{ OIDC_ISSUER_URL: "http://idp.example.com", OIDC_CLIENT_ID: "c" }, /https/],
    [{ OIDC_ISSUER_URL: "https://idp.example.com" }, /OIDC_CLIENT_ID/],
    [{ ...base, OIDC_ALLOWED_ALGORITHMS: "none" }, /OIDC_ALLOWED_ALGORITHMS/],
    [{ ...base, OIDC_ALLOWED_ALGORITHMS: "HS256" }, /OIDC_ALLOWED_ALGORITHMS/],
    [{ ...base, OIDC_CLOCK_TOLERANCE_SECONDS: "3600" }, /OIDC_CLOCK_TOLERANCE_SECONDS/],
    [{ ...base, OIDC_EMAIL_CLAIM: "a b" }, /OIDC_EMAIL_CLAIM/],
    [{ SCIM_API_KEY: "short" }, /SCIM_API_KEY/],
    [{ ...base, OIDC_USER_ROLE_MAPPING: "[1]" }, /OIDC_USER_ROLE_MAPPING/],
    [{ ...base, OIDC_USER_ROLE_MAPPING: '{"a": [1]}' }, /OIDC_USER_ROLE_MAPPING/],
    [{ ...base, OIDC_GROUPS_OVERAGE_URL: "http://graph.example.com/me" }, /OIDC_GROUPS_OVERAGE_URL/],
    [{ ...base, OIDC_ALLOW_SIGNUPS: "maybe" }, /OIDC_ALLOW_SIGNUPS/],
    [{ SESSION_COOKIE: "maybe" }, /SESSION_COOKIE/],
  ])("refuses %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
