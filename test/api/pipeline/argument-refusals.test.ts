// An argument refused as a whole answers the GraphQL error BAD_USER_INPUT, whatever refuses it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { type OwnerScope, seed } from "../../support/seed.js";

let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
});
afterAll(async () => {
  await app?.close();
});

const CHECK_PERMISSIONS = `query($checks: [PermissionCheckInput!]!) { checkPermissions(checks: $checks) { key allowed } }`;
const checks = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ key: `k${i}`, resource: "ORGANIZATION", action: "READ" }));

describe("argument refusals", () => {
  it("checkPermissions with more than 200 checks answers BAD_USER_INPUT", async () => {
    const result = await app.gql(CHECK_PERMISSIONS, { checks: checks(201) }, { token: owner.token });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.message).toBe("At most 200 checks per request.");
    expect(result.data?.checkPermissions ?? null).toBeNull();
  });

  it("checkPermissions with 200 checks answers each", async () => {
    const result = await app.gql(CHECK_PERMISSIONS, { checks: checks(200) }, { token: owner.token });
    expect(result.errors).toBeUndefined();
    expect(result.data?.checkPermissions).toHaveLength(200);
  });

  it("a negative page size answers BAD_USER_INPUT", async () => {
    const result = await app.gql(
      `query($n: Int) { organizations(first: $n) { totalCount } }`,
      { n: -1 },
      {
        token: owner.token,
      },
    );
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
  });
});
