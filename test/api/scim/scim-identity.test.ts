// SCIM and identity: who a SCIM request means (externalId, then userName among SCIM's users, then
// email; never a username alone), exact matching, the guards around site owners, the attributes
// Okta and Entra send, DELETE, discovery, and the pipeline's defences (client address, rate limits).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { type OidcProvider, startOidcProvider } from "../../support/oidc-provider.js";
import { type OwnerScope, seed } from "../../support/seed.js";

const KEY = "scim-identity-key-0123456789abcdefghijklmnop";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";

let provider: OidcProvider;
let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  provider = await startOidcProvider();
  app = await createTestApp({ SCIM_API_KEY: KEY, ...provider.env() });
  owner = await seed(app).owner();
});
afterAll(async () => {
  await app?.close();
  await provider?.close();
});

type ScimAnswer = { status: number; body: Record<string, any>; headers: Headers };

async function scim(
  method: string,
  path: string,
  body?: unknown,
  options: { target?: TestApp; headers?: Record<string, string> } = {},
): Promise<ScimAnswer> {
  const response = await (options.target ?? app).request({
    method,
    path: `/scim/v2${path}`,
    headers: { "content-type": "application/scim+json", authorization: `Bearer ${KEY}`, ...options.headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

function expectScimError(answer: ScimAnswer, status: number, scimType?: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers.get("content-type")).toBe("application/scim+json");
  expect(answer.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: String(status) });
  if (scimType) expect(answer.body.scimType).toBe(scimType);
}

const scimUser = (userName: string, email: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER_SCHEMA],
  userName,
  name: { givenName: "Given", familyName: "Family" },
  emails: [{ value: email, primary: true, type: "work" }],
  active: true,
  ...extra,
});

const patch = (...Operations: Record<string, unknown>[]) => ({ schemas: [PATCH_SCHEMA], Operations });

const userNamesOf = (answer: ScimAnswer) => answer.body.Resources.map((u: { userName: string }) => u.userName);

const filtered = (filter: string) => scim("GET", `/Users?filter=${encodeURIComponent(filter)}`);

/** A password user made by the owner through GraphQL; returns the stored row. */
async function passwordUser(username: string, email: string) {
  const created = await app.gql(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code } } }`,
    { input: { username, email, password: "correct-horse-battery" } },
    { token: owner.token },
  );
  expect(created.data?.createUser.userErrors).toEqual([]);
  return app.prisma.user.findUniqueOrThrow({ where: { email } });
}

const stored = (id: string) => app.prisma.user.findUniqueOrThrow({ where: { id } });

describe("who a person is (16.8)", () => {
  it("a userName equal to a local user's username makes another user; the IdP's OIDC login finds SCIM's user; deactivating suspends only them", async () => {
    const localCarol = await passwordUser("carol", "carol@home.example");
    const created = await scim("POST", "/Users", scimUser("carol", "Carol@Corp.example", { externalId: "00u-carol" }));
    expect(created.status).toBe(201);
    expect(created.body.id).not.toBe(localCarol.id);
    expect(created.body).toMatchObject({ userName: "carol", externalId: "00u-carol" });
    expect(await stored(created.body.id)).toMatchObject({ username: "carol-2", email: "carol@corp.example" });

    const idToken = await provider.token("carol-sub", {
      email: "carol@corp.example",
      email_verified: true,
      preferred_username: "carol",
    });
    const login = await app.gql(
      `mutation($input: LoginWithOidcInput!) { loginWithOidc(input: $input) { user { id } userErrors { code } } }`,
      { input: { idToken } },
    );
    expect(login.data?.loginWithOidc.userErrors).toEqual([]);
    expect(uuidOf(login.data?.loginWithOidc.user.id)).toBe(created.body.id);

    const suspended = await scim(
      "PATCH",
      `/Users/${created.body.id}`,
      patch({ op: "Replace", path: "active", value: false }),
    );
    expect(suspended.body.active).toBe(false);
    expect((await stored(created.body.id)).status).toBe("SUSPENDED");
    expect((await stored(localCarol.id)).status).toBe("ACTIVE");
  });

  it("POST links the account with the same email that SCIM does not manage yet, keeping userName and externalId", async () => {
    const dave = await passwordUser("dave", "dave.smith@corp.example");
    const linked = await scim(
      "POST",
      "/Users",
      scimUser("Dave.Smith@corp.example", "dave.smith@corp.example", { externalId: "00u-Dave" }),
    );
    expect(linked.status).toBe(201);
    expect(linked.body).toMatchObject({ id: dave.id, userName: "Dave.Smith@corp.example", externalId: "00u-Dave" });
    expect(await stored(dave.id)).toMatchObject({
      username: "dave",
      loginType: "PASSWORD",
      scimExternalId: "00u-Dave",
    });
    expect(userNamesOf(await filtered('externalId eq "00u-Dave"'))).toEqual(["Dave.Smith@corp.example"]);
    // externalId is case-exact (RFC 7643 caseExact).
    expect(userNamesOf(await filtered('externalId eq "00u-dave"'))).toEqual([]);
    const audit = await app.prisma.auditLog.findMany({ where: { resourceId: dave.id, actorId: null } });
    expect(audit.map((a) => [a.action, (a.diff as { reason?: string }).reason])).toEqual([["UPDATE", "scim-link"]]);
  });

  it("two POSTs linking the same account at once: one links it, the other is 409", async () => {
    const hank = await passwordUser("hank", "hank@corp.example");
    const answers = await Promise.all(
      ["hank.a", "hank.b"].map((userName) =>
        scim("POST", "/Users", scimUser(userName, "hank@corp.example", { externalId: userName })),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const winner = answers.find((a) => a.status === 201);
    expect((await stored(hank.id)).scimExternalId).toBe(winner?.body.externalId);
  });
});

describe("exact matching (16.1)", () => {
  it("POST userName member_b neither returns nor suspends member-b", async () => {
    const memberB = await passwordUser("member-b", "member-b@example.com");
    const created = await scim("POST", "/Users", scimUser("member_b", "member_b@corp.example", { active: false }));
    expect(created.status).toBe(201);
    expect(created.body.id).not.toBe(memberB.id);
    expect(created.body).toMatchObject({ userName: "member_b", active: false });
    expect(await stored(created.body.id)).toMatchObject({ username: "member-b-2", status: "SUSPENDED" });
    expect((await stored(memberB.id)).status).toBe("ACTIVE");
  });

  it.each([
    ['userName eq "%"', []],
    ['userName eq "_"', []],
    ['userName eq "member%"', []],
    ['userName eq "MEMBER_B"', ["member_b"]],
    // A username is not a SCIM userName: a local account is never found by name.
    ['userName eq "member-b"', []],
  ])("filter %s matches exactly", async (filter, expected) => {
    const answer = await filtered(filter);
    expect(answer.status).toBe(200);
    expect(userNamesOf(answer)).toEqual(expected);
    expect(answer.body.totalResults).toBe(expected.length);
  });
});

describe("NUL characters (16.4)", () => {
  it("are refused with 400 invalidValue in bodies and filters, writing nothing", async () => {
    const before = await app.prisma.user.count();
    expectScimError(await scim("POST", "/Users", scimUser("nul\u0000name", "nul@corp.example")), 400, "invalidValue");
    expectScimError(
      await scim("POST", "/Users", scimUser("nul", "nul@corp.example", { externalId: "x\u0000" })),
      400,
      "invalidValue",
    );
    expectScimError(await filtered('userName eq "a\u0000b"'), 400, "invalidValue");
    expectScimError(await filtered('userName eq "a\\u0000b"'), 400, "invalidValue");
    const anyone = await app.prisma.user.findFirstOrThrow({ where: { email: "member_b@corp.example" } });
    expectScimError(
      await scim("PATCH", `/Users/${anyone.id}`, patch({ op: "replace", path: "displayName", value: "a\u0000" })),
      400,
      "invalidValue",
    );
    expect(await app.prisma.user.count()).toBe(before);
  });
});

describe("userName as given (16.10)", () => {
  it("is kept, returned and filterable; the username is derived from it", async () => {
    const created = await scim("POST", "/Users", scimUser("okta.user@corp.example", "okta.user@corp.example"));
    expect(created.status).toBe(201);
    expect(created.body.userName).toBe("okta.user@corp.example");
    expect((await stored(created.body.id)).username).toBe("okta-user");
    const found = await filtered('userName eq "Okta.User@corp.example"');
    expect(found.body.Resources.map((u: { id: string }) => u.id)).toEqual([created.body.id]);
    expect((await scim("GET", `/Users/${created.body.id}`)).body.userName).toBe("okta.user@corp.example");
  });
});

describe("SCIM as Okta and Entra call it (16.11)", () => {
  it("a duplicate POST (same userName, or same externalId) answers 409 uniqueness", async () => {
    const body = scimUser("dup@corp.example", "dup@corp.example", { externalId: "dup-ext" });
    expect((await scim("POST", "/Users", body)).status).toBe(201);
    expectScimError(await scim("POST", "/Users", body), 409, "uniqueness");
    expectScimError(
      await scim("POST", "/Users", scimUser("other@corp.example", "other@corp.example", { externalId: "dup-ext" })),
      409,
      "uniqueness",
    );
    expectScimError(await scim("POST", "/Users", scimUser("DUP@corp.example", "dup2@corp.example")), 409, "uniqueness");
    expect(await app.prisma.user.count({ where: { email: { in: ["other@corp.example", "dup2@corp.example"] } } })).toBe(
      0,
    );
  });

  it("two identical POSTs at once make one user: one 201, one 409", async () => {
    const body = scimUser("twin@corp.example", "twin@corp.example", { externalId: "twin" });
    const answers = await Promise.all([scim("POST", "/Users", body), scim("POST", "/Users", body)]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    expect(await app.prisma.user.count({ where: { email: "twin@corp.example" } })).toBe(1);
  });

  it('Entra\'s PATCH (op Replace/Add, paths, emails[type eq "work"].value, active "False") applies every attribute in one audited write', async () => {
    const created = await scim("POST", "/Users", scimUser("ryan@corp.example", "ryan@corp.example"));
    const answer = await scim(
      "PATCH",
      `/Users/${created.body.id}`,
      patch(
        { op: "Replace", path: "displayName", value: "Ryan Leenay" },
        { op: "Add", path: "name.givenName", value: "Ryan" },
        { op: "Replace", path: "name.familyName", value: "Leenay" },
        { op: "Replace", path: 'emails[type eq "work"].value', value: "Ryan.Leenay@corp.example" },
        { op: "Add", path: "externalId", value: "entra-ryan" },
        { op: "Replace", path: "userName", value: "ryan.leenay@corp.example" },
        { op: "Replace", path: "active", value: "False" },
        { op: "Add", path: "title", value: "ignored: not an attribute we keep" },
      ),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      userName: "ryan.leenay@corp.example",
      externalId: "entra-ryan",
      displayName: "Ryan Leenay",
      name: { givenName: "Ryan", familyName: "Leenay" },
      emails: [{ value: "ryan.leenay@corp.example", primary: true }],
      active: false,
    });
    expect(await stored(created.body.id)).toMatchObject({
      name: "Ryan Leenay",
      email: "ryan.leenay@corp.example",
      status: "SUSPENDED",
      scimExternalId: "entra-ryan",
    });
    const updates = await app.prisma.auditLog.findMany({ where: { resourceId: created.body.id, action: "UPDATE" } });
    expect(updates).toHaveLength(1);
    expect(updates[0]?.actorId).toBeNull();
    expect(Object.keys(updates[0]?.diff as object).sort()).toEqual(
      ["email", "name", "reason", "scimExternalId", "scimFamilyName", "scimGivenName", "scimUserName", "status"].sort(),
    );

    const renamed = await scim(
      "PATCH",
      `/Users/${created.body.id}`,
      patch({ op: "replace", path: "name.familyName", value: "Lee" }),
    );
    expect(renamed.body).toMatchObject({ displayName: "Ryan Lee", name: { givenName: "Ryan", familyName: "Lee" } });

    const removed = await scim("PATCH", `/Users/${created.body.id}`, patch({ op: "remove", path: "externalId" }));
    expect(removed.body.externalId).toBeUndefined();
    expectScimError(await scim("PATCH", `/Users/${created.body.id}`, patch({ op: "remove", path: "emails" })), 400);
  });

  it("Okta's path-less PATCH and full PUT apply name, displayName, emails and active", async () => {
    const created = await scim("POST", "/Users", scimUser("frances@corp.example", "frances@corp.example"));
    const pathless = await scim(
      "PATCH",
      `/Users/${created.body.id}`,
      patch({ op: "replace", value: { active: false, displayName: "Fran", "name.givenName": "Fran" } }),
    );
    expect(pathless.body).toMatchObject({ active: false, displayName: "Fran", name: { givenName: "Fran" } });
    const put = await scim("PUT", `/Users/${created.body.id}`, {
      ...scimUser("frances@corp.example", "frances.castle@corp.example"),
      name: { givenName: "Frances", familyName: "Castle" },
      active: true,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      name: { givenName: "Frances", familyName: "Castle", formatted: "Frances Castle" },
      emails: [{ value: "frances.castle@corp.example" }],
      active: true,
    });
    expect(await stored(created.body.id)).toMatchObject({ name: "Frances Castle", status: "DORMANT" });
  });

  it("a change to another user's email or userName is 409 and changes nothing", async () => {
    const created = await scim("POST", "/Users", scimUser("gina@corp.example", "gina@corp.example"));
    const taken = patch(
      { op: "replace", path: "displayName", value: "Gina" },
      { op: "replace", path: "emails", value: [{ value: "owner@example.com", primary: true }] },
    );
    expectScimError(await scim("PATCH", `/Users/${created.body.id}`, taken), 409, "uniqueness");
    const takenName = patch({ op: "replace", path: "userName", value: "OKTA.user@corp.example" });
    expectScimError(await scim("PATCH", `/Users/${created.body.id}`, takenName), 409, "uniqueness");
    expect(await stored(created.body.id)).toMatchObject({ name: "Given Family", email: "gina@corp.example" });
  });

  it("DELETE deletes a user who owns nothing (then 404), and suspends and unlinks one who owns a template", async () => {
    const idle = await scim("POST", "/Users", scimUser("idle@corp.example", "idle@corp.example"));
    const deleted = await scim("DELETE", `/Users/${idle.body.id}`);
    expect(deleted.status).toBe(204);
    expectScimError(await scim("GET", `/Users/${idle.body.id}`), 404);
    expectScimError(await scim("DELETE", `/Users/${idle.body.id}`), 404);
    expect(await app.prisma.auditLog.count({ where: { resourceId: idle.body.id, action: "DELETE" } })).toBe(1);

    const busy = await scim("POST", "/Users", scimUser("busy@corp.example", "busy@corp.example", { externalId: "b" }));
    const organization = await app.prisma.organization.findFirstOrThrow({ where: { isDefault: true } });
    await app.prisma.template.create({
      data: { organizationId: organization.id, name: "busy-template", createdById: busy.body.id },
    });
    expect((await scim("DELETE", `/Users/${busy.body.id}`)).status).toBe(204);
    expect(await stored(busy.body.id)).toMatchObject({
      status: "SUSPENDED",
      scimUserName: null,
      scimExternalId: null,
    });
    // The IdP may provision the person again: the email links the same account.
    const again = await scim("POST", "/Users", scimUser("busy@corp.example", "busy@corp.example"));
    expect(again).toMatchObject({ status: 201, body: { id: busy.body.id, active: true } });
  });

  it("serves /Schemas and /ResourceTypes", async () => {
    const schemas = await scim("GET", "/Schemas");
    expect(schemas.status).toBe(200);
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual([USER_SCHEMA, GROUP_SCHEMA]);
    const attributes = schemas.body.Resources[0].attributes.map((a: { name: string }) => a.name);
    expect(attributes).toEqual(expect.arrayContaining(["userName", "externalId", "name", "emails", "active"]));
    expect((await scim("GET", `/Schemas/${USER_SCHEMA}`)).body.id).toBe(USER_SCHEMA);
    const types = await scim("GET", "/ResourceTypes");
    expect(types.body.Resources).toMatchObject([
      { id: "User", endpoint: "/Users", schema: USER_SCHEMA },
      { id: "Group", endpoint: "/Groups", schema: GROUP_SCHEMA },
    ]);
    expect((await scim("GET", "/ResourceTypes/User")).body.name).toBe("User");
    expectScimError(await scim("GET", "/Schemas/urn:nope"), 404);
    expectScimError(await scim("GET", "/ResourceTypes/Nope"), 404);
    expectScimError(await scim("POST", "/Schemas", {}), 405);
  });
});

describe("site owners (15)", () => {
  it("SCIM never links a site owner: POST with the owner's email is 409 and leaves the owner as is", async () => {
    const answer = await scim("POST", "/Users", scimUser("owner@corp.example", "OWNER@example.com", { active: false }));
    expectScimError(answer, 409, "uniqueness");
    expect(await app.prisma.user.findUniqueOrThrow({ where: { email: "owner@example.com" } })).toMatchObject({
      status: "ACTIVE",
      scimUserName: null,
    });
  });

  it("SCIM cannot change or delete a site owner it did not provision", async () => {
    const ownerId = uuidOf(owner.id);
    expectScimError(await scim("PATCH", `/Users/${ownerId}`, patch({ op: "replace", value: { active: false } })), 409);
    expectScimError(
      await scim("PUT", `/Users/${ownerId}`, scimUser("owner", "owner@example.com", { active: false })),
      409,
    );
    expectScimError(await scim("DELETE", `/Users/${ownerId}`), 409);
    expect(await stored(ownerId)).toMatchObject({ status: "ACTIVE", scimUserName: null, email: "owner@example.com" });
  });

  it("the last active site owner is never deactivated or deleted through SCIM", async () => {
    const boss = await scim("POST", "/Users", scimUser("boss@corp.example", "boss@corp.example"));
    await app.prisma.user.update({ where: { id: boss.body.id }, data: { siteRoles: ["owner"] } });
    const deactivate = patch({ op: "replace", path: "active", value: false });
    // Another owner is active: allowed.
    expect((await scim("PATCH", `/Users/${boss.body.id}`, deactivate)).body.active).toBe(false);
    await scim("PATCH", `/Users/${boss.body.id}`, patch({ op: "replace", path: "active", value: true }));
    const ownerId = uuidOf(owner.id);
    await app.prisma.user.update({ where: { id: ownerId }, data: { status: "SUSPENDED" } });
    try {
      expectScimError(await scim("PATCH", `/Users/${boss.body.id}`, deactivate), 409);
      expectScimError(await scim("DELETE", `/Users/${boss.body.id}`), 409);
      expect((await stored(boss.body.id)).status).toBe("DORMANT");
      // Other attributes still change.
      const renamed = await scim(
        "PATCH",
        `/Users/${boss.body.id}`,
        patch({ op: "replace", path: "displayName", value: "Boss" }),
      );
      expect(renamed.body.displayName).toBe("Boss");
    } finally {
      await app.prisma.user.update({ where: { id: ownerId }, data: { status: "ACTIVE" } });
    }
  });
});

describe("the pipeline's defences (15.7)", () => {
  it("audit rows ignore X-Forwarded-For unless TRUST_PROXY is on", async () => {
    const created = await scim("POST", "/Users", scimUser("ip@corp.example", "ip@corp.example"), {
      headers: { "x-forwarded-for": "203.0.113.9" },
    });
    const audit = await app.prisma.auditLog.findFirstOrThrow({ where: { resourceId: created.body.id } });
    expect(audit.ip).not.toBe("203.0.113.9");
  });

  describe("with TRUST_PROXY and a rate limit of 3 a minute", () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await createTestApp({ SCIM_API_KEY: KEY, TRUST_PROXY: "true", RATE_LIMIT_PER_MINUTE: "3" });
    });
    afterAll(async () => {
      await limited?.close();
    });

    it("audit rows take the forwarded client address", async () => {
      const created = await scim("POST", "/Users", scimUser("ip@corp.example", "ip@corp.example"), {
        target: limited,
        headers: { "x-forwarded-for": "203.0.113.9, 10.0.0.1" },
      });
      expect(created.status).toBe(201);
      const audit = await limited.prisma.auditLog.findFirstOrThrow({ where: { resourceId: created.body.id } });
      expect(audit.ip).toBe("203.0.113.9");
    });

    it("limits each credential across addresses, answering 429 in SCIM's format", async () => {
      // The POST above was this key's first request.
      for (const address of ["198.51.100.1", "198.51.100.2"]) {
        const answer = await scim("GET", "/Users", undefined, {
          target: limited,
          headers: { "x-forwarded-for": address },
        });
        expect(answer.status).toBe(200);
      }
      const refused = await scim("GET", "/Users", undefined, {
        target: limited,
        headers: { "x-forwarded-for": "198.51.100.3" },
      });
      expectScimError(refused, 429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    });

    it("limits each address across credentials, before the key is checked", async () => {
      const from = (n: number) =>
        scim("GET", "/Users", undefined, {
          target: limited,
          headers: { "x-forwarded-for": "198.51.100.77", authorization: `Bearer guess-${n}` },
        });
      for (const n of [1, 2, 3]) expectScimError(await from(n), 401);
      expectScimError(await from(4), 429);
    });
  });
});

describe("Groups: the default organization's groups (16.11, optional)", () => {
  it("create, filter, PATCH members as Entra sends them, PUT, DELETE; Everyone is not a SCIM group", async () => {
    const [alice, bob] = await Promise.all(
      ["alice.g@corp.example", "bob.g@corp.example"].map((email) => scim("POST", "/Users", scimUser(email, email))),
    );
    const aliceId = alice?.body.id as string;
    const bobId = bob?.body.id as string;
    const created = await scim("POST", "/Groups", {
      schemas: [GROUP_SCHEMA],
      displayName: "Data Engineers",
      members: [{ value: aliceId }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ displayName: "Data Engineers", members: [{ value: aliceId }] });
    const organization = await app.prisma.organization.findFirstOrThrow({ where: { isDefault: true } });
    expect(await app.prisma.group.findUniqueOrThrow({ where: { id: created.body.id } })).toMatchObject({
      organizationId: organization.id,
      name: "Data-Engineers",
    });
    expectScimError(await scim("POST", "/Groups", { displayName: "data engineers" }), 409, "uniqueness");

    const byName = await scim("GET", `/Groups?filter=${encodeURIComponent('displayName eq "DATA engineers"')}`);
    expect(byName.body.Resources.map((g: { id: string }) => g.id)).toEqual([created.body.id]);
    expect((await scim("GET", `/Groups?filter=${encodeURIComponent('displayName eq "%"')}`)).body.totalResults).toBe(0);
    const all = await scim("GET", "/Groups?excludedAttributes=members");
    expect(all.body.Resources.map((g: { displayName: string }) => g.displayName)).toEqual(["Data Engineers"]);
    expect(all.body.Resources[0].members).toBeUndefined();

    const patched = await scim(
      "PATCH",
      `/Groups/${created.body.id}`,
      patch(
        { op: "Add", path: "members", value: [{ value: bobId }] },
        { op: "Remove", path: `members[value eq "${aliceId}"]` },
        { op: "Replace", path: "displayName", value: "Data Platform" },
      ),
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ displayName: "Data Platform", members: [{ value: bobId }] });
    const audit = await app.prisma.auditLog.findMany({
      where: { resourceId: created.body.id, resourceType: "GROUP" },
      orderBy: { time: "asc" },
    });
    expect(audit.map((a) => [a.action, a.actorId, a.organizationId])).toEqual([
      ["CREATE", null, organization.id],
      ["UPDATE", null, organization.id],
    ]);

    // A member that is not a user of the default organization: refused, nothing changes.
    const stranger = patch({ op: "add", path: "members", value: [{ value: "00000000-0000-4000-8000-000000000000" }] });
    expectScimError(await scim("PATCH", `/Groups/${created.body.id}`, stranger), 400, "invalidValue");
    const put = await scim("PUT", `/Groups/${created.body.id}`, {
      displayName: "Data Platform",
      members: [{ value: aliceId }, { value: bobId }],
    });
    expect(put.body.members.map((m: { value: string }) => m.value).sort()).toEqual([aliceId, bobId].sort());

    const everyone = await app.prisma.group.findFirstOrThrow({ where: { isEveryone: true } });
    expectScimError(await scim("GET", `/Groups/${everyone.id}`), 404);
    expectScimError(await scim("DELETE", `/Groups/${everyone.id}`), 404);
    expect((await scim("DELETE", `/Groups/${created.body.id}`)).status).toBe(204);
    expectScimError(await scim("GET", `/Groups/${created.body.id}`), 404);
    expect(await app.prisma.groupMember.count({ where: { groupId: created.body.id } })).toBe(0);
  });
});
