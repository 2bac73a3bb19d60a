// users(search:, status:, siteRole:): filters combine with each other and with the read filter,
// in SQL (totalCount agrees with the page).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { type OwnerScope, seed } from "../../support/seed.js";

let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  app = await createTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  owner = await seed(app).owner();
  await owner.user("admin-one", { siteRoles: ["user-admin"] });
  await owner.user("admin-two", { siteRoles: ["user-admin"] });
  const parked = await owner.user("parked");
  const suspended = await app.gql(
    `mutation($input: UserIdInput!) { suspendUser(input: $input) { userErrors { code } } }`,
    { input: { userId: parked.id } },
    { token: owner.token },
  );
  expect(suspended.data?.suspendUser.userErrors).toEqual([]);
});
afterAll(async () => {
  await app?.close();
});

const USERS = `query($search: String, $status: UserStatus, $siteRole: String) {
  users(first: 50, search: $search, status: $status, siteRole: $siteRole) { totalCount edges { node { username } } }
}`;

async function usernames(variables: Record<string, string>) {
  const result = await app.gql(USERS, variables, { token: owner.token });
  expect(result.errors).toBeUndefined();
  const names = result.data?.users.edges.map((e: { node: { username: string } }) => e.node.username).sort();
  expect(result.data?.users.totalCount).toBe(names.length);
  return names;
}

describe("users filters", () => {
  it("filters by status", async () => {
    expect(await usernames({ status: "SUSPENDED" })).toEqual(["parked"]);
    expect(await usernames({ status: "ACTIVE" })).toEqual(["admin-one", "admin-two", "owner"]);
  });

  it("filters by site role; member means everyone", async () => {
    expect(await usernames({ siteRole: "user-admin" })).toEqual(["admin-one", "admin-two"]);
    expect(await usernames({ siteRole: "member" })).toHaveLength(4);
  });

  it("combines the filters with search", async () => {
    expect(await usernames({ siteRole: "user-admin", search: "two" })).toEqual(["admin-two"]);
    expect(await usernames({ status: "SUSPENDED", search: "admin" })).toEqual([]);
  });
});
