// SCIM 2.0 at /scim/v2: authentication, provisioning, filters, activation changes, errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionTokens } from "../../../src/auth/session-tokens.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { type OwnerScope, seed } from "../../support/seed.js";

const KEY = "scim-test-key-0123456789abcdefghijklmnop";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  app = await createTestApp({ SCIM_API_KEY: KEY, MAX_BODY_BYTES: "4096" });
  owner = await seed(app).owner();
});
afterAll(async () => {
  await app?.close();
});

type ScimAnswer = { status: number; body: Record<string, any>; headers: Headers };

async function scim(
  method: string,
  path: string,
  body?: unknown,
  auth: string | null = `Bearer ${KEY}`,
  target: TestApp = app,
): Promise<ScimAnswer> {
  const headers: Record<string, string> = { "content-type": "application/scim+json" };
  if (auth !== null) headers.authorization = auth;
  const response = await target.request({
    method,
    path: `/scim/v2${path}`,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any>, headers: response.headers };
}

function expectScimError(answer: ScimAnswer, status: number, scimType?: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers.get("content-type")).toBe("application/scim+json");
  expect(answer.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: String(status) });
  expect(typeof answer.body.detail).toBe("string");
  if (scimType) expect(answer.body.scimType).toBe(scimType);
}

const newUser = (userName: string, email: string, active: unknown = true) => ({
  schemas: [USER_SCHEMA],
  userName,
  name: { givenName: "Frank", familyName: "Castle" },
  emails: [{ value: email, primary: true, type: "work" }],
  active,
});

describe("authentication", () => {
  it("requires the bearer key, compared exactly", async () => {
    expectScimError(await scim("GET", "/Users", undefined, null), 401);
    const wrong = await scim("GET", "/Users", undefined, `Bearer ${KEY}x`);
    expectScimError(wrong, 401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expectScimError(await scim("GET", "/Users", undefined, `Bearer ${KEY.slice(0, -1)}`), 401);
    // A session token is not a SCIM key.
    expectScimError(await scim("GET", "/Users", undefined, `Bearer ${owner.token}`), 401);
    expect((await scim("GET", "/Users")).status).toBe(200);
    expect((await scim("GET", "/Users", undefined, KEY)).status).toBe(200);
  });

  it("does not exist when no key is configured, and OIDC login reports FEATURE_DISABLED", async () => {
    const plain = await createTestApp();
    try {
      expectScimError(await scim("GET", "/Users", undefined, `Bearer ${KEY}`, plain), 404);
      const login = await plain.gql(
        `mutation { loginWithOidc(input: { idToken: "x.y.z" }) { token userErrors { code } } }`,
      );
      expect(login.data?.loginWithOidc).toEqual({ token: null, userErrors: [{ code: "FEATURE_DISABLED" }] });
    } finally {
      await plain.close();
    }
  });

  it("serves the service provider configuration", async () => {
    const answer = await scim("GET", "/ServiceProviderConfig");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/scim+json");
    expect(answer.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      patch: { supported: true },
      filter: { supported: true },
      bulk: { supported: false },
    });
    expectScimError(await scim("GET", "/Bulk"), 404);
    expectScimError(await scim("DELETE", "/Users"), 405);
  });
});

describe("provisioning users", () => {
  it("refuses a user without active or a primary email", async () => {
    const { active: _drop, ...withoutActive } = newUser("frank", "frank@example.com");
    expectScimError(await scim("POST", "/Users", withoutActive), 400, "invalidValue");
    expectScimError(
      await scim("POST", "/Users", { ...newUser("frank", "x"), emails: [{ value: "frank@example.com" }] }),
      400,
      "invalidValue",
    );
    expectScimError(await scim("POST", "/Users", newUser("frank", "not-an-email")), 400, "invalidValue");
    expectScimError(await scim("POST", "/Users", "{not json"), 400, "invalidSyntax");
    expect(await app.prisma.user.count()).toBe(1);
  });

  it("creates an OIDC user in the default organization, audited without an actor", async () => {
    const answer = await scim("POST", "/Users", newUser("frank.castle", "Frank@Example.com"));
    expect(answer.status).toBe(201);
    expect(answer.headers.get("content-type")).toBe("application/scim+json");
    expect(answer.body).toMatchObject({
      schemas: [USER_SCHEMA],
      userName: "frank.castle",
      emails: [{ value: "frank@example.com", primary: true }],
      active: true,
      meta: { resourceType: "User" },
    });
    expect(answer.headers.get("location")).toBe(answer.body.meta.location);
    const stored = await app.prisma.user.findUniqueOrThrow({
      where: { id: answer.body.id },
      include: { memberships: { include: { organization: true } } },
    });
    expect(stored).toMatchObject({
      username: "frank-castle",
      loginType: "OIDC",
      status: "ACTIVE",
      name: "Frank Castle",
      passwordHash: null,
    });
    expect(stored.memberships.map((m) => m.organization.name)).toEqual(["default"]);
    const audit = await app.prisma.auditLog.findMany({ where: { resourceId: stored.id } });
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([["CREATE", null]]);
  });

  it("answers 409 uniqueness when SCIM already has a user with the email or the userName", async () => {
    expectScimError(await scim("POST", "/Users", newUser("someone-else", "FRANK@example.com")), 409, "uniqueness");
    expectScimError(await scim("POST", "/Users", newUser("Frank.CASTLE", "other@example.com")), 409, "uniqueness");
    expect(await app.prisma.user.count({ where: { email: "other@example.com" } })).toBe(0);
  });

  it("creates suspended users when active is false, outside the default organization when not assigned", async () => {
    await app.prisma.organizationSyncSettings.create({ data: { id: 1, field: "", assignDefault: false } });
    const answer = await scim("POST", "/Users", newUser("grace", "grace@example.com", "False"));
    expect(answer.status).toBe(201);
    expect(answer.body.active).toBe(false);
    const stored = await app.prisma.user.findUniqueOrThrow({
      where: { id: answer.body.id },
      include: { memberships: true },
    });
    expect(stored.status).toBe("SUSPENDED");
    expect(stored.memberships).toEqual([]);
  });

  it("refuses bodies over the size limit", async () => {
    const huge = { ...newUser("huge", "huge@example.com"), padding: "x".repeat(5000) };
    expectScimError(await scim("POST", "/Users", huge), 413);
    const existing = await app.prisma.user.findUniqueOrThrow({ where: { email: "frank@example.com" } });
    expectScimError(await scim("PUT", `/Users/${existing.id}`, huge), 413);
  });
});

describe("reading users", () => {
  it("lists users with pagination", async () => {
    const all = await scim("GET", "/Users");
    expect(all.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      totalResults: 3,
      startIndex: 1,
      itemsPerPage: 3,
    });
    expect(all.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(["owner", "frank.castle", "grace"]);
    const page = await scim("GET", "/Users?startIndex=2&count=1");
    expect(page.body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(page.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(["frank.castle"]);
    expect((await scim("GET", "/Users?count=0")).body).toMatchObject({ totalResults: 3, Resources: [] });
    expectScimError(await scim("GET", "/Users?count=abc"), 400, "invalidValue");
  });

  it.each([
    ['userName eq "Frank.CASTLE"', ["frank.castle"]],
    ['emails[type eq "work"].value eq "frank@example.com"', ["frank.castle"]],
    ['emails.value eq "GRACE@example.com"', ["grace"]],
    ['emails[type eq "home"].value eq "grace@example.com"', []],
    ['userName eq "nobody"', []],
  ])("filters with %s", async (filter, expected) => {
    const answer = await scim("GET", `/Users?filter=${encodeURIComponent(filter)}`);
    expect(answer.status).toBe(200);
    expect(answer.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(expected);
    expect(answer.body.totalResults).toBe(expected.length);
  });

  it("refuses filters it does not support", async () => {
    for (const filter of ['name.givenName sw "F"', "userName eq frank", 'userName eq "a" or userName eq "b"']) {
      expectScimError(await scim("GET", `/Users?filter=${encodeURIComponent(filter)}`), 400, "invalidFilter");
    }
  });

  it("gets one user by id; unknown or malformed ids are 404", async () => {
    const frank = await app.prisma.user.findUniqueOrThrow({ where: { email: "frank@example.com" } });
    const answer = await scim("GET", `/Users/${frank.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: frank.id, userName: "frank.castle", active: true });
    expectScimError(await scim("GET", "/Users/00000000-0000-4000-8000-000000000000"), 404);
    expectScimError(await scim("GET", "/Users/not-a-uuid"), 404);
  });
});

describe("activation", () => {
  const replaceActive = (value: unknown) => ({
    schemas: [PATCH_SCHEMA],
    Operations: [{ op: "Replace", path: "active", value }],
  });

  it("PATCH active false suspends (sessions stop working); true makes the user dormant", async () => {
    const frank = await app.prisma.user.findUniqueOrThrow({ where: { email: "frank@example.com" } });
    // Frank has no password: give him a session directly.
    const token = await sessionFor(frank.id);
    expect((await app.gql("{ viewer { id } }", {}, { token })).data?.viewer).not.toBeNull();

    const suspended = await scim("PATCH", `/Users/${frank.id}`, replaceActive(false));
    expect(suspended.status).toBe(200);
    expect(suspended.body.active).toBe(false);
    expect((await app.prisma.user.findUniqueOrThrow({ where: { id: frank.id } })).status).toBe("SUSPENDED");
    expect(errorCodes(await app.gql("{ viewer { id } }", {}, { token }))).toEqual(["UNAUTHENTICATED"]);

    const restored = await scim("PATCH", `/Users/${frank.id}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: "replace", value: { active: true } }],
    });
    expect(restored.body.active).toBe(true);
    expect((await app.prisma.user.findUniqueOrThrow({ where: { id: frank.id } })).status).toBe("DORMANT");

    // Re-activating a user who is not suspended changes nothing.
    await scim("PATCH", `/Users/${frank.id}`, replaceActive(true));
    expect((await app.prisma.user.findUniqueOrThrow({ where: { id: frank.id } })).status).toBe("DORMANT");

    const audit = await app.prisma.auditLog.findMany({
      where: { resourceId: frank.id, action: "UPDATE" },
      orderBy: { time: "asc" },
    });
    expect(audit.map((a) => [a.actorId, (a.diff as { status: unknown }).status])).toEqual([
      [null, { from: "ACTIVE", to: "SUSPENDED" }],
      [null, { from: "SUSPENDED", to: "DORMANT" }],
    ]);
  });

  it("PUT honours active, and requires it", async () => {
    const grace = await app.prisma.user.findUniqueOrThrow({ where: { email: "grace@example.com" } });
    const put = await scim("PUT", `/Users/${grace.id}`, newUser("grace", "grace@example.com", true));
    expect(put.status).toBe(200);
    expect((await app.prisma.user.findUniqueOrThrow({ where: { id: grace.id } })).status).toBe("DORMANT");
    await scim("PUT", `/Users/${grace.id}`, newUser("grace", "grace@example.com", false));
    expect((await app.prisma.user.findUniqueOrThrow({ where: { id: grace.id } })).status).toBe("SUSPENDED");
    const { active: _drop, ...withoutActive } = newUser("grace", "grace@example.com");
    expectScimError(await scim("PUT", `/Users/${grace.id}`, withoutActive), 400, "invalidValue");
  });

  it("refuses malformed patches", async () => {
    const grace = await app.prisma.user.findUniqueOrThrow({ where: { email: "grace@example.com" } });
    expectScimError(await scim("PATCH", `/Users/${grace.id}`, { schemas: [PATCH_SCHEMA] }), 400, "invalidSyntax");
    expectScimError(await scim("PATCH", `/Users/${grace.id}`, replaceActive("maybe")), 400, "invalidValue");
    expectScimError(await scim("PATCH", "/Users/00000000-0000-4000-8000-000000000000", replaceActive(true)), 404);
  });
});

/** A session for a user who has no password: opened the way every login opens one. */
async function sessionFor(userId: string): Promise<string> {
  const session = await app.prisma.session.create({
    data: { userId, loginType: "OIDC", expiresAt: new Date(Date.now() + 3600_000) },
  });
  return new SessionTokens(app.prisma).sign({ userId, sessionId: session.id, expiresAt: session.expiresAt });
}
