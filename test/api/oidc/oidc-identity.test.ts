// Who an OIDC login is: linking by subject, then by email (email_verified absent vs false), the
// site-owner guard, SCIM-created users, email changes at the provider, and token timing and key
// problems, against the real provider on loopback.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { globalId } from "../../support/fixtures.js";
import type { TestApp } from "../../support/harness.js";
import { newKey, type OidcProvider } from "../../support/oidc-provider.js";
import { loginWithOidc, refusedOidcLogin, startOidcWorld, stopOidcWorld } from "../../support/oidc-suite.js";
import type { OwnerScope } from "../../support/seed.js";

const SCIM_KEY = "scim-key-for-oidc-identity-tests-0123456789";
const LOGIN = `mutation($input: LoginWithOidcInput!) {
  loginWithOidc(input: $input) { token user { id username email status } userErrors { code message } }
}`;

let provider: OidcProvider;
let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  ({ provider, app, owner } = await startOidcWorld({ SCIM_API_KEY: SCIM_KEY }));
});
afterAll(() => stopOidcWorld({ app, provider }));
afterEach(() => {
  vi.useRealTimers();
  provider.setMode("up");
});

const oidcLogin = (idToken: string) => loginWithOidc(app, LOGIN, idToken);

async function loggedIn(idToken: string) {
  const payload = await oidcLogin(idToken);
  expect(payload.userErrors).toEqual([]);
  expect(payload.token).toEqual(expect.any(String));
  return payload.user as { id: string; username: string; email: string; status: string };
}

const refusedWith = (idToken: string, code?: string) => refusedOidcLogin(app, LOGIN, idToken, code);

async function scim(method: string, path: string, body: unknown) {
  const response = await app.request({
    method,
    path: `/scim/v2${path}`,
    headers: { "content-type": "application/scim+json", authorization: `Bearer ${SCIM_KEY}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const subjectOf = (sub: string) => `${provider.issuer}|${sub}`;
const storedByEmail = (email: string) => app.prisma.user.findUnique({ where: { email } });

/** Moves the clock (Date only; timers stay real, so fetch timeouts still work). */
function advanceClock(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

describe("SCIM and OIDC agree on who a person is", () => {
  it("links the OIDC login of a SCIM-created user's email (no email_verified, as Entra ID sends), and SCIM deactivation then applies to it", async () => {
    const created = await scim("POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "carol.idp",
      active: true,
      emails: [{ value: "carol@corp.example.com", primary: true, type: "work" }],
    });
    expect(created.status).toBe(201);
    const scimUser = await app.prisma.user.findUniqueOrThrow({ where: { id: created.body.id } });

    const user = await loggedIn(await provider.token("sub-carol", { email: "carol@corp.example.com" }));
    expect(user.id).toBe(globalId("User", scimUser.id));
    expect(await app.prisma.user.count({ where: { email: { startsWith: "carol" } } })).toBe(1);
    expect((await storedByEmail("carol@corp.example.com"))?.oidcSubject).toBe(subjectOf("sub-carol"));

    const deactivated = await scim("PATCH", `/Users/${scimUser.id}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", value: { active: false } }],
    });
    expect(deactivated.status).toBe(200);
    await refusedWith(await provider.token("sub-carol", { email: "carol@corp.example.com" }), "USER_SUSPENDED");
  });

  it("never lets another subject of the same provider take over a linked account, even with a verified email", async () => {
    await loggedIn(await provider.token("sub-frank", { email: "frank@example.com", email_verified: true }));
    const message = await refusedWith(
      await provider.token("sub-mallory", { email: "frank@example.com", email_verified: true }),
    );
    expect(message).toMatch(/linked to another identity/);
    expect((await storedByEmail("frank@example.com"))?.oidcSubject).toBe(subjectOf("sub-frank"));
  });

  it("re-links by verified email an account linked under a previous provider (the issuer changed)", async () => {
    const gina = await owner.user("gina");
    await app.prisma.user.update({
      where: { email: "gina@example.com" },
      data: { oidcSubject: "https://old-idp.example.com|gina-at-old" },
    });
    const user = await loggedIn(await provider.token("sub-gina", { email: "gina@example.com", email_verified: true }));
    expect(user.id).toBe(gina.id);
    expect((await storedByEmail("gina@example.com"))?.oidcSubject).toBe(subjectOf("sub-gina"));
  });
});

describe("email_verified absent is not false", () => {
  it("links an existing account by email when the token has no email_verified claim", async () => {
    const dave = await owner.user("dave");
    const user = await loggedIn(await provider.token("sub-dave", { email: "dave@example.com" }));
    expect(user.id).toBe(dave.id);
    expect((await storedByEmail("dave@example.com"))?.oidcSubject).toBe(subjectOf("sub-dave"));
  });

  it("refuses to link when email_verified is present and false (boolean or string)", async () => {
    await owner.user("hank");
    for (const emailVerified of [false, "false"]) {
      const message = await refusedWith(
        await provider.token("sub-hank", { email: "hank@example.com", email_verified: emailVerified }),
      );
      expect(message).toMatch(/not verified/);
    }
    expect((await storedByEmail("hank@example.com"))?.oidcSubject).toBeNull();
  });

  it("never creates an account from a token whose email_verified is false", async () => {
    const users = await app.prisma.user.count();
    for (const emailVerified of [false, "false"]) {
      expect(
        await refusedWith(await provider.token("sub-ivy", { email: "ivy@example.com", email_verified: emailVerified })),
      ).toMatch(/not verified/);
    }
    expect(await app.prisma.user.count()).toBe(users);
    expect(await app.prisma.user.count({ where: { oidcSubject: subjectOf("sub-ivy") } })).toBe(0);
  });
});

describe("the site owner's account", () => {
  it("is never linked by email, even a verified one", async () => {
    const message = await refusedWith(await provider.token("sub-owner", { email: owner.email, email_verified: true }));
    expect(message).toMatch(/owner/);
    const stored = await storedByEmail(owner.email);
    expect(stored?.oidcSubject).toBeNull();
    expect(await app.prisma.session.count({ where: { userId: stored?.id, loginType: "OIDC" } })).toBe(0);
  });

  it("keeps signing in by subject when an OIDC-linked user is made owner", async () => {
    const user = await loggedIn(await provider.token("sub-judy", { email: "judy@example.com" }));
    const granted = await app.gql(
      `mutation($input: UpdateUserSiteRolesInput!) { updateUserSiteRoles(input: $input) { userErrors { code } } }`,
      { input: { userId: user.id, roles: ["owner"] } },
      { token: owner.token },
    );
    expect(granted.data?.updateUserSiteRoles.userErrors).toEqual([]);
    expect((await loggedIn(await provider.token("sub-judy", { email: "judy@example.com" }))).id).toBe(user.id);
  });
});

describe("email changes at the provider", () => {
  it("updates the stored email on a login by subject, and audits the change", async () => {
    const first = await loggedIn(await provider.token("sub-erin", { email: "erin@example.com" }));
    const moved = await loggedIn(await provider.token("sub-erin", { email: "Erin.New@Example.com" }));
    expect(moved).toMatchObject({ id: first.id, email: "erin.new@example.com" });
    expect(await storedByEmail("erin@example.com")).toBeNull();
    const login = await app.prisma.auditLog.findFirstOrThrow({
      where: { action: "LOGIN", resourceName: first.username },
      orderBy: { time: "desc" },
    });
    expect(login.diff).toMatchObject({ email: { from: "erin@example.com", to: "erin.new@example.com" } });
  });

  it("keeps the stored email when the new one is marked unverified or belongs to another account", async () => {
    const unverified = await loggedIn(
      await provider.token("sub-erin", { email: "erin.other@example.com", email_verified: false }),
    );
    expect(unverified.email).toBe("erin.new@example.com");
    const taken = await loggedIn(await provider.token("sub-erin", { email: "dave@example.com", email_verified: true }));
    expect(taken.email).toBe("erin.new@example.com");
    expect((await storedByEmail("dave@example.com"))?.oidcSubject).toBe(subjectOf("sub-dave"));
  });
});

describe("token timing and keys", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it("refuses a token issued in the future beyond the clock tolerance, accepts one within it", async () => {
    const message = await refusedWith(
      await provider.token("sub-erin", { email: "erin.new@example.com", iat: now() + 600, exp: now() + 900 }),
    );
    expect(message).toMatch(/future/);
    await loggedIn(await provider.token("sub-erin", { email: "erin.new@example.com", iat: now() + 10 }));
  });

  it("answers IDP_UNAVAILABLE for a key id never fetched while the provider is down, and recovers", async () => {
    // The current keys are cached; then the provider rotates and goes down.
    await loggedIn(await provider.token("sub-erin", { email: "erin.new@example.com" }));
    const rotated = await newKey("ES256");
    provider.publish([...provider.keys, rotated]);
    provider.setMode("down");
    advanceClock(31_000);
    const token = await provider.token("sub-erin", { email: "erin.new@example.com" }, { key: rotated });
    await refusedWith(token, "IDP_UNAVAILABLE");
    // Past the cache age too (the cached keys are used, the unknown one still cannot be checked).
    advanceClock(11 * 60_000);
    await refusedWith(
      await provider.token("sub-erin", { email: "erin.new@example.com" }, { key: rotated }),
      "IDP_UNAVAILABLE",
    );
    await loggedIn(await provider.token("sub-erin", { email: "erin.new@example.com" }));

    provider.setMode("up");
    advanceClock(31_000);
    await loggedIn(await provider.token("sub-erin", { email: "erin.new@example.com" }, { key: rotated }));
  });
});
