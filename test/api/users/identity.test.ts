import { generateKeyPair, importJWK, type JWK, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { login } from "../../support/actors.js";
import { createTestApp, errorCodes, TEST_PASSWORD, type TestApp } from "../../support/harness.js";
import { type OwnerScope, seed } from "../../support/seed.js";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
});
afterAll(async () => {
  await app?.close();
});

const FIRST_USER = `mutation($input: CreateFirstUserInput!) {
  createFirstUser(input: $input) { token user { id username email siteRoles { name } organizations { name isDefault } } userErrors { code message field } }
}`;
const VIEWER = "{ viewer { id username } }";

describe("first start and setup", () => {
  it("has a default organization and needs setup", async () => {
    const result = await app.gql("{ needsSetup }");
    expect(result.data).toEqual({ needsSetup: true });
    const org = await app.prisma.organization.findFirst({ where: { isDefault: true }, include: { groups: true } });
    expect(org).toMatchObject({ name: "default", displayName: "Default", isDefault: true });
    expect(org?.groups.map((g) => [g.name, g.isEveryone])).toEqual([["Everyone", true]]);
  });

  it("rejects bad first-user input with userErrors and writes nothing", async () => {
    const cases = [
      [{ email: "", username: "a", password: TEST_PASSWORD }, ["input", "email"]],
      [{ email: "not-an-email", username: "alice", password: TEST_PASSWORD }, ["input", "email"]],
      [{ email: "a@example.com", username: "", password: TEST_PASSWORD }, ["input", "username"]],
      [{ email: "a@example.com", username: "x".repeat(33), password: TEST_PASSWORD }, ["input", "username"]],
      [{ email: "a@example.com", username: "bad name", password: TEST_PASSWORD }, ["input", "username"]],
      [{ email: "a@example.com", username: "alice", password: "short" }, ["input", "password"]],
      [{ email: "a@example.com", username: "alice", password: "aaaaaaaaaaaa" }, ["input", "password"]],
      [{ email: `${"a".repeat(250)}@example.com`, username: "alice", password: TEST_PASSWORD }, ["input", "email"]],
    ] as const;
    for (const [input, field] of cases) {
      const result = await app.gql(FIRST_USER, { input });
      expect(result.errors, JSON.stringify(input)).toBeUndefined();
      const payload = result.data?.createFirstUser;
      expect(payload.token).toBeNull();
      expect(payload.userErrors.map((e: { field: string[] }) => e.field)).toContainEqual(field);
      expect(payload.userErrors[0].code).toBe("INVALID_INPUT");
    }
    expect(await app.prisma.user.count()).toBe(0);
    expect(await app.prisma.auditLog.count()).toBe(0);
  });

  it("creates the first user as site owner in the default organization, once", async () => {
    const result = await app.gql(FIRST_USER, {
      input: { email: "Owner@Example.com", username: "owner", password: TEST_PASSWORD, name: "The Owner" },
    });
    const payload = result.data?.createFirstUser;
    expect(payload.userErrors).toEqual([]);
    expect(payload.token).toMatch(/^ey/);
    expect(payload.user.email).toBe("owner@example.com");
    expect(payload.user.siteRoles.map((r: { name: string }) => r.name).sort()).toEqual(["member", "owner"]);
    expect(payload.user.organizations).toEqual([{ name: "default", isDefault: true }]);
    const stored = await app.prisma.user.findFirstOrThrow();
    expect(stored.passwordHash).toMatch(/^scrypt\$/);
    expect(stored.passwordHash).not.toContain(TEST_PASSWORD);
    const audit = await app.prisma.auditLog.findMany();
    expect(audit.map((a) => [a.action, a.resourceType])).toEqual([["REGISTER", "USER"]]);
    expect(JSON.stringify(audit[0]?.diff)).not.toContain(TEST_PASSWORD);

    const again = await app.gql(FIRST_USER, {
      input: { email: "second@example.com", username: "second", password: TEST_PASSWORD },
    });
    expect(again.data?.createFirstUser.userErrors.map((e: { code: string }) => e.code)).toEqual(["SETUP_ALREADY_DONE"]);
    expect(await app.prisma.user.count()).toBe(1);
    expect((await app.gql("{ needsSetup }")).data).toEqual({ needsSetup: false });

    const viewer = await app.gql(VIEWER, {}, { token: payload.token });
    expect(viewer.data?.viewer.username).toBe("owner");
  });
});

describe("login, sessions and tokens", () => {
  let owner: OwnerScope;
  beforeAll(async () => {
    owner = await seed(app).existingOwner();
  });

  it("answers a wrong password and an unknown email identically", async () => {
    const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token user { id } userErrors { code message } } }`;
    const wrong = await app.gql(LOGIN, { input: { email: "owner@example.com", password: "wrong-password-1" } });
    const unknown = await app.gql(LOGIN, { input: { email: "nobody@example.com", password: "wrong-password-1" } });
    expect(wrong.data?.login).toEqual({
      token: null,
      user: null,
      userErrors: [{ code: "INVALID_CREDENTIALS", message: "Incorrect email or password." }],
    });
    expect(unknown.data).toEqual(wrong.data);
  });

  it("logs in case-insensitively by email and records the login", async () => {
    const token = await login(app, "OWNER@example.com");
    expect((await app.gql(VIEWER, {}, { token })).data?.viewer.username).toBe("owner");
    expect(await app.prisma.auditLog.count({ where: { action: "LOGIN" } })).toBeGreaterThan(0);
  });

  it("logout revokes exactly that session", async () => {
    const a = await login(app, "owner@example.com");
    const b = await login(app, "owner@example.com");
    expect((await app.gql("mutation { logout }", {}, { token: a })).data).toEqual({ logout: true });
    const refused = await app.gql(VIEWER, {}, { token: a });
    expect(errorCodes(refused)).toEqual(["UNAUTHENTICATED"]);
    expect((await app.gql(VIEWER, {}, { token: b })).data?.viewer.username).toBe("owner");
  });

  it("refuses a token at its expiry even after accepting it (verified tokens are remembered)", async () => {
    const good = await login(app, "owner@example.com");
    const { sub } = JSON.parse(Buffer.from(good.split(".")[1] as string, "base64url").toString());
    // The session outlives the token, so only the token's own expiry can refuse it.
    const session = await app.prisma.session.create({
      data: { userId: sub, loginType: "PASSWORD", expiresAt: new Date(Date.now() + 24 * 3600_000) },
    });
    const key = await app.prisma.signingKey.findFirstOrThrow({ where: { retiredAt: null } });
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: key.id, typ: "JWT" })
      .setSubject(sub)
      .setJti(session.id)
      .setIssuer("orgs-api")
      .setAudience("orgs-api")
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(await importJWK(key.privateJwk as JWK, "ES256"));
    expect((await app.gql(VIEWER, {}, { token: shortLived })).data?.viewer.username).toBe("owner");
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 120_000);
      expect(errorCodes(await app.gql(VIEWER, {}, { token: shortLived }))).toEqual(["UNAUTHENTICATED"]);
      expect((await app.gql(VIEWER, {}, { token: good })).data?.viewer.username).toBe("owner");
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses forged, unsigned, tampered, expired and foreign tokens", async () => {
    const good = await login(app, "owner@example.com");
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const none = new UnsecuredJWT(claims).encode();
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url")}.${signature}`;
    const { privateKey } = await generateKeyPair("ES256");
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: JSON.parse(Buffer.from(header, "base64url").toString()).kid })
      .sign(privateKey);
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32));
    const expiredSession = await app.prisma.session.create({
      data: { userId: claims.sub, loginType: "PASSWORD", expiresAt: new Date(Date.now() - 1000) },
    });
    void expiredSession;
    for (const token of [none, tampered, foreign, hs, "garbage", `${good}x`, "a.b.c"]) {
      const result = await app.gql(VIEWER, {}, { token });
      expect(errorCodes(result), token.slice(0, 30)).toEqual(["UNAUTHENTICATED"]);
      expect(result.data?.viewer ?? null).toBeNull();
    }
    for (const authorization of ["Basic abc", "Bearer", "bearer  ", good]) {
      const result = await app.gql(VIEWER, {}, { headers: { authorization } });
      expect(errorCodes(result), authorization.slice(0, 20)).toEqual(["UNAUTHENTICATED"]);
    }
  });

  it("refuses a token whose session has expired", async () => {
    const good = await login(app, "owner@example.com");
    const sessionId = JSON.parse(Buffer.from(good.split(".")[1] as string, "base64url").toString()).jti;
    await app.prisma.session.update({ where: { id: sessionId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(errorCodes(await app.gql(VIEWER, {}, { token: good }))).toEqual(["UNAUTHENTICATED"]);
  });

  it("creates API tokens shown once, stored hashed, usable, with lastUsedAt and expiry", async () => {
    const CREATE = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id name expiresAt lastUsedAt } userErrors { code field } } }`;
    const made = await app.gql(CREATE, { input: { name: "ci", lifetimeSeconds: 3600 } }, { token: owner.token });
    expect(made.errors).toBeUndefined();
    const payload = made.data?.createApiToken;
    expect(payload.userErrors).toEqual([]);
    expect(payload.token).toMatch(/^oat_[0-9a-f]{32}_[\w-]{40,}$/);
    expect(payload.apiToken.lastUsedAt).toBeNull();
    const row = await app.prisma.apiToken.findFirstOrThrow({ where: { name: "ci" } });
    expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
    // The secret is base64url, so it may itself contain "_": it is everything after the id.
    const secret = payload.token.slice("oat_".length + 33);
    expect(secret.length).toBeGreaterThanOrEqual(40);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect((await app.gql(VIEWER, {}, { token: payload.token })).data?.viewer.username).toBe("owner");
    await new Promise((r) => setTimeout(r, 50));
    expect((await app.prisma.apiToken.findFirstOrThrow({ where: { name: "ci" } })).lastUsedAt).not.toBeNull();

    const duplicate = await app.gql(CREATE, { input: { name: "ci" } }, { token: owner.token });
    expect(duplicate.data?.createApiToken.userErrors).toEqual([{ code: "NAME_TAKEN", field: ["input", "name"] }]);
    for (const input of [
      { name: "" },
      { name: "x".repeat(65) },
      { name: "ok", lifetimeSeconds: -1 },
      { name: "ok2", lifetimeSeconds: 10 },
    ]) {
      const bad = await app.gql(CREATE, { input }, { token: owner.token });
      expect(bad.data?.createApiToken.userErrors[0].code, JSON.stringify(input)).toBe("INVALID_INPUT");
    }

    await app.prisma.apiToken.update({ where: { id: row.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await app.deps.credentials.settle(); // a write outside the service: its notification read
    expect(errorCodes(await app.gql(VIEWER, {}, { token: payload.token }))).toEqual(["UNAUTHENTICATED"]);
    const wrongSecret = `${payload.token.slice(0, -4)}AAAA`;
    expect(errorCodes(await app.gql(VIEWER, {}, { token: wrongSecret }))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("users and site roles", () => {
  let owner: OwnerScope;
  beforeAll(async () => {
    owner = await seed(app).existingOwner();
  });

  it("createUser validates, refuses duplicates and joins the default organization", async () => {
    const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id username organizations { name } } userErrors { code field } } }`;
    const ok = await app.gql(
      CREATE,
      { input: { email: "alice@example.com", username: "alice", password: TEST_PASSWORD } },
      { token: owner.token },
    );
    expect(ok.data?.createUser.user).toMatchObject({ username: "alice", organizations: [{ name: "default" }] });
    const dupEmail = await app.gql(
      CREATE,
      { input: { email: "ALICE@example.com", username: "alice2", password: TEST_PASSWORD } },
      { token: owner.token },
    );
    expect(dupEmail.data?.createUser.userErrors).toEqual([{ code: "EMAIL_TAKEN", field: ["input", "email"] }]);
    const dupName = await app.gql(
      CREATE,
      { input: { email: "other@example.com", username: "Alice", password: TEST_PASSWORD } },
      { token: owner.token },
    );
    expect(dupName.data?.createUser.userErrors).toEqual([{ code: "NAME_TAKEN", field: ["input", "username"] }]);
    const noPassword = await app.gql(
      CREATE,
      { input: { email: "np@example.com", username: "np" } },
      { token: owner.token },
    );
    expect(noPassword.data?.createUser.userErrors).toEqual([{ code: "INVALID_INPUT", field: ["input", "password"] }]);
    const oidc = await app.gql(
      CREATE,
      { input: { email: "o@example.com", username: "oidc-user", loginType: "OIDC" } },
      { token: owner.token },
    );
    expect(oidc.data?.createUser.userErrors).toEqual([]);
    const anonymous = await app.gql(CREATE, {
      input: { email: "x@example.com", username: "x", password: TEST_PASSWORD },
    });
    expect(errorCodes(anonymous)).toEqual(["UNAUTHENTICATED"]);
  });

  it("lets only owners and user-admins create users and assign site roles", async () => {
    const member = await owner.user("bob");
    const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code } } }`;
    const denied = await app.gql(
      CREATE,
      { input: { email: "c@example.com", username: "carol", password: TEST_PASSWORD } },
      { token: member.token },
    );
    expect(errorCodes(denied)).toEqual(["FORBIDDEN"]);
    expect(denied.errors?.[0]?.extensions).toMatchObject({ resource: "USER", action: "CREATE" });
    expect(await app.prisma.user.count({ where: { username: "carol" } })).toBe(0);

    const admin = await owner.user("uadmin", { siteRoles: ["user-admin"] });
    const allowed = await app.gql(
      CREATE,
      { input: { email: "c@example.com", username: "carol", password: TEST_PASSWORD } },
      { token: admin.token },
    );
    expect(allowed.data?.createUser.userErrors).toEqual([]);

    const ROLES = `mutation($input: UpdateUserSiteRolesInput!) { updateUserSiteRoles(input: $input) { user { siteRoles { name } } userErrors { code } } }`;
    const escalate = await app.gql(ROLES, { input: { userId: member.id, roles: ["owner"] } }, { token: admin.token });
    expect(escalate.data?.updateUserSiteRoles.userErrors).toEqual([{ code: "ROLE_NOT_ASSIGNABLE" }]);
    const self = await app.gql(ROLES, { input: { userId: owner.id, roles: [] } }, { token: owner.token });
    expect(self.data?.updateUserSiteRoles.userErrors).toEqual([{ code: "CANNOT_CHANGE_OWN_ROLES" }]);
    const unknown = await app.gql(
      ROLES,
      { input: { userId: member.id, roles: ["superuser"] } },
      { token: owner.token },
    );
    expect(unknown.data?.updateUserSiteRoles.userErrors).toEqual([{ code: "INVALID_INPUT" }]);
    const byMember = await app.gql(
      ROLES,
      { input: { userId: member.id, roles: ["auditor"] } },
      { token: member.token },
    );
    expect(errorCodes(byMember)).toEqual(["FORBIDDEN"]);
    const granted = await app.gql(ROLES, { input: { userId: member.id, roles: ["auditor"] } }, { token: owner.token });
    expect(granted.data?.updateUserSiteRoles.user.siteRoles.map((r: { name: string }) => r.name).sort()).toEqual([
      "auditor",
      "member",
    ]);
  });

  it("shows members only themselves and people they share an organization with", async () => {
    const loner = await owner.user("loner", { orgs: [] });
    const users = await app.gql("{ users { totalCount edges { node { username } } } }", {}, { token: loner.token });
    expect(users.data?.users).toEqual({ totalCount: 1, edges: [{ node: { username: "loner" } }] });
    expect((await app.gql(`{ user(username: "owner") { id } }`, {}, { token: loner.token })).data).toEqual({
      user: null,
    });
    const all = await app.gql(
      "{ users(first: 2) { totalCount edges { node { username } } pageInfo { hasNextPage endCursor } } }",
      {},
      { token: owner.token },
    );
    expect(all.data?.users.totalCount).toBeGreaterThan(4);
    expect(all.data?.users.edges).toHaveLength(2);
    expect(all.data?.users.pageInfo.hasNextPage).toBe(true);
    const search = await app.gql(
      `{ users(search: "ALI") { totalCount edges { node { username } } } }`,
      {},
      { token: owner.token },
    );
    expect(search.data?.users.edges.map((e: { node: { username: string } }) => e.node.username)).toEqual(["alice"]);
  });

  it("refuses suspended users' tokens and logins", async () => {
    const victim = await owner.user("suspended-one");
    await app.prisma.user.update({ where: { username: "suspended-one" }, data: { status: "SUSPENDED" } });
    await app.deps.credentials.settle(); // a write outside the service: its notification read
    expect(errorCodes(await app.gql(VIEWER, {}, { token: victim.token }))).toEqual(["UNAUTHENTICATED"]);
    const result = await app.gql(
      `mutation { login(input: { email: "suspended-one@example.com", password: "${TEST_PASSWORD}" }) { token userErrors { code } } }`,
    );
    expect(result.data?.login).toEqual({ token: null, userErrors: [{ code: "USER_SUSPENDED" }] });
  });
});

describe("transport", () => {
  it("answers malformed JSON with 400, not 500", async () => {
    const response = await app.request({ body: "{not json" });
    expect(response.status).toBe(400);
    expect(await response.text()).not.toMatch(/at .*\.ts:\d+/);
  });

  it("refuses a 2 MB body with 413", async () => {
    const body = JSON.stringify({ query: `{ needsSetup }`, variables: { pad: "x".repeat(2 * 1024 * 1024) } });
    const response = await app.request({ body });
    expect(response.status).toBe(413);
  });

  it("answers health and readiness, and echoes a request id", async () => {
    expect((await app.request({ method: "GET", path: "/healthz" })).status).toBe(200);
    const ready = await app.request({ method: "GET", path: "/readyz" });
    expect(await ready.json()).toMatchObject({ status: "ready" });
    const result = await app.gql("{ needsSetup }", {}, { headers: { "x-request-id": "abc-123" } });
    expect(result.headers.get("x-request-id")).toBe("abc-123");
  });

  it("masks internal errors", async () => {
    const result = await app.gql('{ node(id: "not-base64!") { id } }');
    expect(result.data).toEqual({ node: null });
  });
});
