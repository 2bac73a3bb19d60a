// API tokens: listing (never the secret), revoking one's own or, for user admins, anyone's, and
// the lifetime bound MAX_TOKEN_LIFETIME_SECONDS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { type OwnerScope, type SeededUser, seed } from "../../support/seed.js";

let app: TestApp;
let owner: OwnerScope;
let alice: SeededUser;
let bob: SeededUser;
let userAdmin: SeededUser;

beforeAll(async () => {
  app = await createTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", MAX_TOKEN_LIFETIME_SECONDS: "3600" });
  owner = await seed(app).owner();
  alice = await owner.user("alice");
  bob = await owner.user("bob");
  userAdmin = await owner.user("useradmin", { siteRoles: ["user-admin"] });
});
afterAll(async () => {
  await app?.close();
});

const CREATE = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token apiToken { id name expiresAt } userErrors { code field } }
}`;
const DELETE = `mutation($input: DeleteApiTokenInput!) { deleteApiToken(input: $input) { deletedId userErrors { code } } }`;
const TOKENS_OF = `query($username: String!) { user(username: $username) { apiTokens { id name createdAt lastUsedAt expiresAt } } }`;

async function tokenIdNamed(actor: Actor, name: string): Promise<string> {
  const result = await app.gql(`{ viewer { apiTokens { id name } } }`, {}, { token: actor.token });
  const found = result.data?.viewer.apiTokens.find((t: { name: string }) => t.name === name);
  expect(found).toBeDefined();
  return found.id;
}

describe("listing API tokens", () => {
  it("shows the viewer's own tokens with name, dates and expiry, never a secret", async () => {
    const secret = await alice.apiToken("laptop");
    // Used once: lastUsedAt is recorded (in the background, hence the wait below).
    expect((await app.gql("{ viewer { id } }", {}, { token: secret })).data?.viewer.id).toBe(alice.id);
    await expect
      .poll(async () => (await app.prisma.apiToken.findFirst({ where: { name: "laptop" } }))?.lastUsedAt)
      .not.toBeNull();
    const result = await app.gql(
      `{ viewer { apiTokens { __typename id name createdAt lastUsedAt expiresAt } } }`,
      {},
      { token: alice.token },
    );
    expect(result.errors).toBeUndefined();
    const [token] = result.data?.viewer.apiTokens ?? [];
    expect(token).toMatchObject({ __typename: "ApiToken", name: "laptop", expiresAt: null });
    expect(token.createdAt).toEqual(expect.any(String));
    expect(token.lastUsedAt).toEqual(expect.any(String));
    expect(JSON.stringify(result)).not.toContain(secret.split("_").at(-1));
  });

  it("hides other users' tokens from members and shows them to user admins and owners", async () => {
    await bob.apiToken("bobs");
    const byAlice = await app.gql(TOKENS_OF, { username: "bob" }, { token: alice.token });
    expect(byAlice.data?.user?.apiTokens ?? null).toBeNull();
    for (const admin of [userAdmin, owner]) {
      const seen = await app.gql(TOKENS_OF, { username: "bob" }, { token: admin.token });
      expect(seen.data?.user.apiTokens.map((t: { name: string }) => t.name)).toEqual(["bobs"]);
    }
  });
});

describe("revoking API tokens", () => {
  it("revokes one's own token: the next request with it is UNAUTHENTICATED, and it is audited", async () => {
    const secret = await alice.apiToken("revoke-me");
    const id = await tokenIdNamed(alice, "revoke-me");
    const result = await app.gql(DELETE, { input: { id } }, { token: alice.token });
    expect(result.data?.deleteApiToken).toEqual({ deletedId: id, userErrors: [] });
    expect(errorCodes(await app.gql("{ viewer { id } }", {}, { token: secret }))).toEqual(["UNAUTHENTICATED"]);
    const audit = await app.prisma.auditLog.findFirst({ where: { resourceType: "API_KEY", action: "DELETE" } });
    expect(audit).toMatchObject({ resourceName: "revoke-me", actorId: uuidOf(alice.id) });
  });

  it("refuses another user's token to a member as NOT_FOUND and deletes nothing", async () => {
    await bob.apiToken("bob-keeps");
    const id = await tokenIdNamed(bob, "bob-keeps");
    const result = await app.gql(DELETE, { input: { id } }, { token: alice.token });
    expect(errorCodes(result)).toEqual(["NOT_FOUND"]);
    expect(await app.prisma.apiToken.count({ where: { name: "bob-keeps" } })).toBe(1);
  });

  it("lets a user admin revoke anyone's token", async () => {
    const secret = await bob.apiToken("leaked");
    const id = await tokenIdNamed(bob, "leaked");
    const result = await app.gql(DELETE, { input: { id } }, { token: userAdmin.token });
    expect(result.data?.deleteApiToken.userErrors).toEqual([]);
    expect(errorCodes(await app.gql("{ viewer { id } }", {}, { token: secret }))).toEqual(["UNAUTHENTICATED"]);
  });

  it("answers NOT_FOUND for an id that is not an API token", async () => {
    const result = await app.gql(DELETE, { input: { id: alice.id } }, { token: alice.token });
    expect(errorCodes(result)).toEqual(["NOT_FOUND"]);
  });
});

describe("token lifetime", () => {
  it("accepts a lifetime up to MAX_TOKEN_LIFETIME_SECONDS and refuses a longer one", async () => {
    const ok = await app.gql(CREATE, { input: { name: "hour", lifetimeSeconds: 3600 } }, { token: alice.token });
    expect(ok.data?.createApiToken.userErrors).toEqual([]);
    const expiresAt = Date.parse(ok.data?.createApiToken.apiToken.expiresAt);
    expect(Math.abs(expiresAt - (Date.now() + 3600_000))).toBeLessThan(60_000);
    const tooLong = await app.gql(CREATE, { input: { name: "day", lifetimeSeconds: 3601 } }, { token: alice.token });
    expect(tooLong.data?.createApiToken).toMatchObject({
      token: null,
      userErrors: [{ code: "INVALID_INPUT", field: ["input", "lifetimeSeconds"] }],
    });
    expect(await app.prisma.apiToken.count({ where: { name: "day" } })).toBe(0);
  });
});
