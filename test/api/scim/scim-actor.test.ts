// The SCIM actor: its role (src/authz/roles.ts, SCIM_ROLE) is held through the SCIM key at
// /scim/v2 only. GraphQL refuses the key, never lists or assigns the role, and a user with its
// name stored on their row gains nothing from it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { type OwnerScope, seed } from "../../support/seed.js";

const KEY = "scim-actor-test-key-0123456789abcdefghijk";

let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  app = await createTestApp({ SCIM_API_KEY: KEY });
  owner = await seed(app).owner();
});
afterAll(async () => {
  await app?.close();
});

const CREATE_USER = `mutation ($input: CreateUserInput!) {
  createUser(input: $input) { user { id } userErrors { code } }
}`;
const newUser = (username: string) => ({ email: `${username}@example.com`, username, loginType: "OIDC" });

describe("the SCIM actor outside /scim/v2", () => {
  it("is refused by GraphQL: the SCIM key is no credential there, and nothing is written", async () => {
    const users = await app.prisma.user.count();
    const query = await app.gql("{ viewer { id } }", {}, { token: KEY });
    expect(errorCodes(query)).toEqual(["UNAUTHENTICATED"]);
    const created = await app.gql(CREATE_USER, { input: newUser("through-graphql") }, { token: KEY });
    expect(errorCodes(created)).toEqual(["UNAUTHENTICATED"]);
    expect(created.data?.createUser ?? null).toBeNull();
    expect(await app.prisma.user.count()).toBe(users);
    // The same key at the SCIM edge is SCIM, allowed to create users.
    const response = await app.request({
      method: "POST",
      path: "/scim/v2/Users",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/scim+json" },
      body: JSON.stringify({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        userName: "through-scim@example.com",
        emails: [{ value: "through-scim@example.com", type: "work", primary: true }],
        active: true,
      }),
    });
    expect(response.status).toBe(201);
  });

  it("holds a role that is not listed, not a node and not assignable", async () => {
    const roles = await app.gql<{ siteRoles: { name: string }[] }>(
      "{ siteRoles { name } }",
      {},
      { token: owner.token },
    );
    expect(roles.data?.siteRoles.map((r) => r.name)).not.toContain("scim");
    expect(roles.data?.siteRoles.map((r) => r.name)).toContain("user-admin");
    const roleNode = (name: string) =>
      app.gql(
        "query ($id: ID!) { node(id: $id) { id } }",
        { id: globalId("Role", `site:${name}`) },
        { token: owner.token },
      );
    expect((await roleNode("user-admin")).data?.node).not.toBeNull();
    expect((await roleNode("scim")).data?.node ?? null).toBeNull();

    const gina = await owner.user("gina");
    const assign = await app.gql(
      `mutation ($input: UpdateUserSiteRolesInput!) {
        updateUserSiteRoles(input: $input) { user { siteRoles { name } } userErrors { code } }
      }`,
      { input: { userId: gina.id, roles: ["scim"] } },
      { token: owner.token },
    );
    expect(assign.data?.updateUserSiteRoles.userErrors).toEqual([{ code: "INVALID_INPUT" }]);

    const org = await owner.org("acme");
    const custom = await app.gql(
      `mutation ($input: CustomRoleInput!) { createCustomRole(input: $input) { userErrors { code } } }`,
      { input: { organizationId: org.id, name: "scim", permissions: [] } },
      { token: owner.token },
    );
    expect(custom.data?.createCustomRole.userErrors).toEqual([{ code: "RESERVED_NAME" }]);
  });

  it("grants nothing to a user whose row names it as a site role", async () => {
    const mallory = await owner.user("mallory");
    await app.prisma.user.update({ where: { id: uuidOf(mallory.id) }, data: { siteRoles: ["scim"] } });
    const created = await app.gql(CREATE_USER, { input: newUser("by-mallory") }, { token: mallory.token });
    expect(errorCodes(created)).toEqual(["FORBIDDEN"]);
    expect(await app.prisma.user.count({ where: { username: "by-mallory" } })).toBe(0);
  });
});
