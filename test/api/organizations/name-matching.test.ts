// How names are matched and kept unique: lookups by name treat `%` and `_` as themselves, case
// variants of a name are refused by the database itself (also when created concurrently), and
// provisioner key names follow the name rule, so no look-alike of a reserved name gets through.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { TEST_PASSWORD, type TestApp } from "../../support/harness.js";
import { type Cast, castApp } from "../../support/matrix.js";

let app: TestApp;
let cast: Cast;
let owner: Actor;
beforeAll(async () => {
  ({ app, cast } = await castApp("alpha", "beta"));
  owner = cast.owner;
});
afterAll(() => app?.close());

const errorsOf = (payload: { userErrors: { code: string; field: string[] | null }[] } | undefined) =>
  payload?.userErrors.map((e) => [e.code, e.field]);

/** Sends all `inputs` at once; answers each one's error codes ([] when it was created). */
async function concurrently(mutation: string, field: string, inputs: Record<string, unknown>[], token = owner.token) {
  const results = await Promise.all(inputs.map((input) => app.gql(mutation, { input }, { token })));
  return results.map((r) => {
    expect(r.errors).toBeUndefined();
    return r.data?.[field].userErrors.map((e: { code: string }) => e.code);
  });
}

const SIX_VARIANTS = (name: string) => [
  name,
  name.toUpperCase(),
  name[0]?.toUpperCase() + name.slice(1),
  name.replace(/.$/, (c) => c.toUpperCase()),
  [...name].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(""),
  [...name].map((c, i) => (i % 2 ? c : c.toUpperCase())).join(""),
];

function expectOneWinner(codes: string[][], loserCode = "NAME_TAKEN") {
  expect(codes.filter((c) => c.length === 0)).toHaveLength(1);
  expect(codes.filter((c) => c.length > 0)).toEqual(Array(codes.length - 1).fill([loserCode]));
}

describe("lookups by name: % and _ are not wildcards", () => {
  const USER = `query($username: String!) { user(username: $username) { username } }`;
  const ORGANIZATION = `query($name: String!) { organization(name: $name) { name } }`;

  it("user(username:) finds the user in any case, and only with the name itself", async () => {
    const found = async (username: string) =>
      (await app.gql(USER, { username }, { token: owner.token })).data?.user?.username ?? null;
    expect(await found("OWNER")).toBe("owner");
    expect(await found("ow__r")).toBeNull();
    expect(await found("own%")).toBeNull();
    expect(await found("%")).toBeNull();
    expect(await found("owner\\")).toBeNull();
  });

  it("organization(name:) finds the organization in any case, and only with the name itself", async () => {
    const found = async (name: string) =>
      (await app.gql(ORGANIZATION, { name }, { token: owner.token })).data?.organization?.name ?? null;
    expect(await found("ALPHA")).toBe("alpha");
    expect(await found("alph_")).toBeNull();
    expect(await found("a%")).toBeNull();
    expect(await found("%")).toBeNull();
  });

  it("organization(name:) still hides an organization the viewer may not read", async () => {
    const result = await app.gql(ORGANIZATION, { name: "BETA" }, { token: cast.member.token });
    expect(result.errors).toBeUndefined();
    expect(result.data?.organization).toBeNull();
  });

  it("users(search:) matches % and _ literally", async () => {
    const SEARCH = `query($search: String) { users(search: $search) { edges { node { username } } } }`;
    await app.gql(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { userErrors { code } } }`,
      { input: { email: "percent@example.com", username: "percent", name: "100% sure", password: TEST_PASSWORD } },
      { token: owner.token },
    );
    const search = async (term: string) =>
      (await app.gql(SEARCH, { search: term }, { token: owner.token })).data?.users.edges.map(
        (e: { node: { username: string } }) => e.node.username,
      );
    expect(await search("%")).toEqual(["percent"]);
    expect(await search("_")).toEqual([]);
    expect(await search("PERC")).toEqual(["percent"]);
  });

  it("updateCustomRole and deleteCustomRole find no role through a wildcard", async () => {
    const role = { organizationId: cast.org.id, name: "wild-role", permissions: [] };
    const created = await app.gql(
      `mutation($input: CustomRoleInput!) { createCustomRole(input: $input) { userErrors { code } } }`,
      { input: role },
      { token: owner.token },
    );
    expect(created.data?.createCustomRole.userErrors).toEqual([]);
    const updated = await app.gql(
      `mutation($input: CustomRoleInput!) { updateCustomRole(input: $input) { role { name } userErrors { code } } }`,
      { input: { ...role, name: "wild_role" } },
      { token: owner.token },
    );
    expect(updated.errors?.[0]?.extensions?.code ?? updated.data?.updateCustomRole.userErrors[0]?.code).toBe(
      "NOT_FOUND",
    );
  });
});

describe("case-insensitive uniqueness is enforced by the database", () => {
  it("six concurrent organizations named in different cases: one is created, five are NAME_TAKEN", async () => {
    const codes = await concurrently(
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { userErrors { code } } }`,
      "createOrganization",
      SIX_VARIANTS("race-org").map((name) => ({ name })),
    );
    expectOneWinner(codes);
    expect(await app.prisma.organization.count({ where: { name: { equals: "race-org", mode: "insensitive" } } })).toBe(
      1,
    );
  });

  it("six concurrent groups: one is created, five are NAME_TAKEN", async () => {
    const codes = await concurrently(
      `mutation($input: CreateGroupInput!) { createGroup(input: $input) { userErrors { code } } }`,
      "createGroup",
      SIX_VARIANTS("race-group").map((name) => ({ organizationId: cast.org.id, name })),
    );
    expectOneWinner(codes);
    expect(
      await app.prisma.group.count({
        where: { organizationId: uuidOf(cast.org.id), name: { equals: "race-group", mode: "insensitive" } },
      }),
    ).toBe(1);
  });

  it("six concurrent templates: one is created, five are NAME_TAKEN", async () => {
    const codes = await concurrently(
      `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { userErrors { code } } }`,
      "createTemplate",
      SIX_VARIANTS("race-tpl").map((name) => ({ organizationId: cast.org.id, name })),
    );
    expectOneWinner(codes);
    expect(
      await app.prisma.template.count({
        where: { organizationId: uuidOf(cast.org.id), name: { equals: "race-tpl", mode: "insensitive" } },
      }),
    ).toBe(1);
  });

  it("six concurrent custom roles: one is created, five are NAME_TAKEN", async () => {
    const codes = await concurrently(
      `mutation($input: CustomRoleInput!) { createCustomRole(input: $input) { userErrors { code } } }`,
      "createCustomRole",
      SIX_VARIANTS("race-role").map((name) => ({ organizationId: cast.org.id, name, permissions: [] })),
    );
    expectOneWinner(codes);
    expect(
      await app.prisma.customRole.count({
        where: { organizationId: uuidOf(cast.org.id), name: { equals: "race-role", mode: "insensitive" } },
      }),
    ).toBe(1);
  });

  it("six concurrent provisioner keys: one is created, five are NAME_TAKEN", async () => {
    const codes = await concurrently(
      `mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { userErrors { code } } }`,
      "createProvisionerKey",
      SIX_VARIANTS("race-key").map((name) => ({ organizationId: cast.org.id, name })),
    );
    expectOneWinner(codes);
    expect(
      await app.prisma.provisionerKey.count({
        where: { organizationId: uuidOf(cast.org.id), name: { equals: "race-key", mode: "insensitive" } },
      }),
    ).toBe(1);
  });

  const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { userErrors { code field } } }`;

  it("six concurrent users with case variants of one username: one is created, five are NAME_TAKEN", async () => {
    const codes = await concurrently(
      CREATE_USER,
      "createUser",
      SIX_VARIANTS("race-user").map((username, i) => ({
        username,
        email: `race-user-${i}@example.com`,
        password: TEST_PASSWORD,
      })),
    );
    expectOneWinner(codes);
    expect(await app.prisma.user.count({ where: { username: { equals: "race-user", mode: "insensitive" } } })).toBe(1);
  });

  it("six concurrent users with case variants of one email: one is created, five are EMAIL_TAKEN", async () => {
    const codes = await concurrently(
      CREATE_USER,
      "createUser",
      SIX_VARIANTS("race-mail").map((local, i) => ({
        username: `race-mail-${i}`,
        email: `${local}@Example.com`,
        password: TEST_PASSWORD,
      })),
    );
    expectOneWinner(codes, "EMAIL_TAKEN");
    expect(await app.prisma.user.count({ where: { email: "race-mail@example.com" } })).toBe(1);
  });

  it("a taken username or email is reported at its field", async () => {
    const taken = await app.gql(
      CREATE_USER,
      { input: { username: "OWNER", email: "fresh@example.com", password: TEST_PASSWORD } },
      { token: owner.token },
    );
    expect(errorsOf(taken.data?.createUser)).toEqual([["NAME_TAKEN", ["input", "username"]]]);
    const mail = await app.gql(
      CREATE_USER,
      { input: { username: "fresh", email: "Owner@Example.COM", password: TEST_PASSWORD } },
      { token: owner.token },
    );
    expect(errorsOf(mail.data?.createUser)).toEqual([["EMAIL_TAKEN", ["input", "email"]]]);
  });

  it("renaming an organization or a group to a case variant of another's name is NAME_TAKEN", async () => {
    const renameOrg = await app.gql(
      `mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { userErrors { code field } } }`,
      { input: { organizationId: cast.otherOrg.id, name: "ALPHA" } },
      { token: owner.token },
    );
    expect(errorsOf(renameOrg.data?.updateOrganization)).toEqual([["NAME_TAKEN", ["input", "name"]]]);
    const ownCase = await app.gql(
      `mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { name } userErrors { code } } }`,
      { input: { organizationId: cast.otherOrg.id, name: "Beta" } },
      { token: owner.token },
    );
    expect(ownCase.data?.updateOrganization).toEqual({ organization: { name: "Beta" }, userErrors: [] });

    const CREATE_GROUP = `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } userErrors { code } } }`;
    await app.gql(CREATE_GROUP, { input: { organizationId: cast.org.id, name: "ops" } }, { token: owner.token });
    const dev = await app.gql(
      CREATE_GROUP,
      { input: { organizationId: cast.org.id, name: "dev" } },
      { token: owner.token },
    );
    const renameGroup = await app.gql(
      `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { userErrors { code field } } }`,
      { input: { groupId: dev.data?.createGroup.group.id, name: "OPS" } },
      { token: owner.token },
    );
    expect(errorsOf(renameGroup.data?.updateGroup)).toEqual([["NAME_TAKEN", ["input", "name"]]]);
  });

  it("the same name in another organization is fine", async () => {
    const codes = await concurrently(
      `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { userErrors { code } } }`,
      "createTemplate",
      [cast.org.id, cast.otherOrg.id].map((organizationId) => ({ organizationId, name: "shared-name" })),
    );
    expect(codes).toEqual([[], []]);
  });

  it("the database refuses a case variant written around the services", async () => {
    const organizationId = uuidOf(cast.org.id);
    const attempts = [
      app.prisma.user.create({ data: { username: "Owner", email: "other-owner@example.com" } }),
      app.prisma.user.create({ data: { username: "other-owner", email: "OWNER@example.com" } }),
      app.prisma.organization.create({ data: { name: "Alpha", displayName: "x" } }),
      app.prisma.group.create({ data: { organizationId, name: "Race-Group" } }),
      app.prisma.template.create({ data: { organizationId, name: "Race-Tpl" } }),
      app.prisma.customRole.create({ data: { organizationId, name: "Race-Role", displayName: "x", permissions: [] } }),
      app.prisma.provisionerKey.create({ data: { organizationId, name: "Race-Key", secretHash: "x" } }),
    ];
    for (const attempt of attempts) {
      await expect(attempt).rejects.toThrow(/unique constraint|Unique constraint/);
    }
  });
});

describe("provisioner key names follow the name rule", () => {
  const CREATE_KEY = `mutation($input: CreateProvisionerKeyInput!) {
    createProvisionerKey(input: $input) { provisionerKey { name } userErrors { code field } }
  }`;
  const create = async (name: string) =>
    (await app.gql(CREATE_KEY, { input: { organizationId: cast.org.id, name } }, { token: owner.token })).data
      ?.createProvisionerKey;

  it.each([
    ["fullwidth letters", "ｂｕｉｌｔ-ｉｎ"],
    ["a U+2010 hyphen", "built\u2010in"],
    ["a Cyrillic і", "bu\u0456lt-in"],
    ["an en dash", "user\u2013auth"],
    ["a percent sign", "k%"],
    ["an underscore", "k_1"],
    ["a space", "my key"],
    ["a double hyphen", "my--key"],
  ])("refuses a name with %s", async (_what, name) => {
    const before = await app.prisma.provisionerKey.count();
    expect(errorsOf(await create(name))).toEqual([["INVALID_INPUT", ["input", "name"]]]);
    expect(await app.prisma.provisionerKey.count()).toBe(before);
  });

  it.each(["built-in", "Built-In", "USER-AUTH", "psk"])("refuses the reserved name %s", async (name) => {
    expect(errorsOf(await create(name))).toEqual([["RESERVED_NAME", ["input", "name"]]]);
  });

  it("accepts a name of letters, digits and single hyphens up to 64 characters", async () => {
    const name = `k${"-1".repeat(31)}x`;
    expect(name).toHaveLength(64);
    expect(await create(name)).toEqual({ provisionerKey: { name }, userErrors: [] });
    expect(errorsOf(await create(`${name}y`))).toEqual([["INVALID_INPUT", ["input", "name"]]]);
  });
});
