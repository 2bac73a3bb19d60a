// Verified credentials are remembered across requests (src/auth/credential-cache.ts): a known
// credential runs no SQL for who is asking, and every change behind it (logout, suspension, a
// revoked token, a role or membership change, a custom role's permissions, even a write made
// outside the service) is refused or seen by the very next request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { errorCodes as codes, createTestApp, type GqlResult, type TestApp } from "../../support/harness.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;

const statements = (result: GqlResult) => Number(result.headers.get("x-sql-statements"));

const PERMISSIONS = `query($name: String!) { organization(name: $name) { viewerPermissions { resource action } } }`;

async function permissionsOf(actor: Actor) {
  const result = await app.gql(PERMISSIONS, { name: acme.name }, { token: actor.token });
  expect(result.errors).toBeUndefined();
  const permissions: { resource: string; action: string }[] = result.data?.organization?.viewerPermissions ?? [];
  return permissions.map((p) => `${p.resource}:${p.action}`);
}

/** Two requests with the credential: the second is answered from the cache. */
async function warm(token: string) {
  await app.gql("{ viewer { id } }", {}, { token });
  expect(codes(await app.gql("{ viewer { id } }", {}, { token }))).toEqual([]);
}

beforeAll(async () => {
  app = await createTestApp({ SQL_STATEMENT_COUNTER: "true" });
  // The listener connects in the background; until then nothing is remembered.
  for (let i = 0; i < 200 && !app.deps.credentials.enabled; i++) await new Promise((r) => setTimeout(r, 10));
  expect(app.deps.credentials.enabled).toBe(true);
  owner = await seed(app).owner();
  acme = await owner.org("acme");
});

afterAll(() => app.close());

describe("a remembered credential", () => {
  it("runs no SQL for `{ __typename }` and none for who is asking", async () => {
    const alice = await acme.member("alice");
    const first = await app.gql("{ __typename }", {}, { token: alice.token });
    const again = await app.gql("{ __typename }", {}, { token: alice.token });
    expect(again.data?.__typename).toBe("Query");
    expect(statements(first)).toBe(1);
    expect(statements(again)).toBe(0);
  });

  it("keeps the subject too: an organization's permissions cost the credential lookup less", async () => {
    const cold = await app.gql(PERMISSIONS, { name: acme.name }, { token: (await acme.member("cold")).token });
    const warmUser = await acme.member("warm");
    await permissionsOf(warmUser);
    const hot = await app.gql(PERMISSIONS, { name: acme.name }, { token: warmUser.token });
    expect(hot.errors).toBeUndefined();
    expect(statements(hot)).toBe(statements(cold) - 1);
  });

  it("works for API tokens", async () => {
    const token = await owner.apiToken("cached");
    await warm(token);
    // The first use records lastUsedAt (not awaited by the request); that write's notification
    // drops the entry once, and the next request remembers the token again.
    for (let i = 0; i < 200; i++) {
      const row = await app.prisma.apiToken.findFirstOrThrow({ where: { name: "cached" } });
      if (row.lastUsedAt) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await app.deps.credentials.settle();
    await app.gql("{ __typename }", {}, { token });
    expect(statements(await app.gql("{ __typename }", {}, { token }))).toBe(0);
  });

  it("writes a stale lastSeenAt once, not once per request until the write's notification arrives", async () => {
    const seen = await acme.member("seen");
    // Fresh for one more second: the request that remembers the credential writes nothing.
    await app.prisma.user.update({
      where: { id: uuidOf(seen.id) },
      data: { lastSeenAt: new Date(Date.now() - 59_000) },
    });
    await app.deps.credentials.settle();
    await app.gql("{ __typename }", {}, { token: seen.token });
    expect(statements(await app.gql("{ __typename }", {}, { token: seen.token }))).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Counts every UPDATE statement on "User", the no-op ones too (a statement-level trigger).
    await app.prisma.$executeRawUnsafe(`CREATE TABLE "UserUpdateStatement" (at timestamptz DEFAULT now())`);
    await app.prisma.$executeRawUnsafe(`CREATE FUNCTION count_user_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO "UserUpdateStatement" DEFAULT VALUES; RETURN NULL; END $$`);
    await app.prisma.$executeRawUnsafe(
      `CREATE TRIGGER "User_update_statement" AFTER UPDATE ON "User" FOR EACH STATEMENT EXECUTE FUNCTION count_user_update()`,
    );
    // Concurrent requests all answered from the entry remembered with the now stale row.
    await Promise.all(Array.from({ length: 8 }, () => app.gql("{ __typename }", {}, { token: seen.token })));
    for (let i = 0; i < 200; i++) {
      const row = await app.prisma.user.findUniqueOrThrow({ where: { id: uuidOf(seen.id) } });
      if (Date.now() - (row.lastSeenAt?.getTime() ?? 0) < 10_000) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await app.deps.credentials.settle();
    await app.gql("{ __typename }", {}, { token: seen.token });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [counted] = await app.prisma.$queryRawUnsafe<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM "UserUpdateStatement"`,
    );
    await app.prisma.$executeRawUnsafe(`DROP TRIGGER "User_update_statement" ON "User"`);
    expect(counted?.count).toBe(1);
  });
});

describe("every change behind a remembered credential reaches the next request", () => {
  it("logout", async () => {
    const bob = await acme.member("bob");
    await warm(bob.token);
    const out = await app.gql("mutation { logout }", {}, { token: bob.token });
    expect(out.data?.logout).toBe(true);
    expect(codes(await app.gql("{ viewer { id } }", {}, { token: bob.token }))).toEqual(["UNAUTHENTICATED"]);
  });

  it("suspension (its sessions and API tokens)", async () => {
    const carol = await acme.member("carol");
    const token = await carol.apiToken("carol-token");
    await warm(carol.token);
    await warm(token);
    const suspended = await app.gql(
      `mutation($input: UserIdInput!) { suspendUser(input: $input) { userErrors { code } } }`,
      { input: { userId: carol.id } },
      { token: owner.token },
    );
    expect(suspended.data?.suspendUser.userErrors).toEqual([]);
    expect(codes(await app.gql("{ viewer { id } }", {}, { token: carol.token }))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await app.gql("{ viewer { id } }", {}, { token }))).toEqual(["UNAUTHENTICATED"]);
  });

  it("a deleted API token", async () => {
    const dave = await acme.member("dave");
    const token = await dave.apiToken("doomed");
    await warm(token);
    const row = await app.prisma.apiToken.findFirstOrThrow({ where: { name: "doomed" } });
    const id = Buffer.from(`ApiToken:${row.id}`).toString("base64");
    const deleted = await app.gql(
      `mutation($input: DeleteApiTokenInput!) { deleteApiToken(input: $input) { userErrors { code } } }`,
      { input: { id } },
      { token: dave.token },
    );
    expect(deleted.data?.deleteApiToken.userErrors).toEqual([]);
    expect(codes(await app.gql("{ viewer { id } }", {}, { token }))).toEqual(["UNAUTHENTICATED"]);
  });

  it("organization roles given and taken", async () => {
    const erin = await acme.member("erin");
    expect(await permissionsOf(erin)).not.toContain("GROUP:CREATE");
    const roles = (list: string[]) =>
      app.gql(
        `mutation($input: UpdateOrganizationMemberRolesInput!) { updateOrganizationMemberRoles(input: $input) { userErrors { code } } }`,
        { input: { organizationId: acme.id, userId: erin.id, roles: list } },
        { token: owner.token },
      );
    expect((await roles(["organization-user-admin"])).data?.updateOrganizationMemberRoles.userErrors).toEqual([]);
    expect(await permissionsOf(erin)).toContain("GROUP:CREATE");
    expect((await roles([])).data?.updateOrganizationMemberRoles.userErrors).toEqual([]);
    expect(await permissionsOf(erin)).not.toContain("GROUP:CREATE");
  });

  it("a custom role's permissions", async () => {
    const frank = await acme.member("frank");
    const define = (permissions: { resource: string; action: string }[], verb: "create" | "update") =>
      app.gql(
        `mutation($input: CustomRoleInput!) { ${verb}CustomRole(input: $input) { userErrors { code message } } }`,
        { input: { organizationId: acme.id, name: "auditor-lite", permissions } },
        { token: owner.token },
      );
    expect(
      (await define([{ resource: "AUDIT_LOG", action: "READ" }], "create")).data?.createCustomRole.userErrors,
    ).toEqual([]);
    await acme.add(frank, ["auditor-lite"]);
    await app.deps.credentials.settle();
    expect(await permissionsOf(frank)).toContain("AUDIT_LOG:READ");
    expect(await permissionsOf(frank)).not.toContain("GROUP:READ");
    expect((await define([{ resource: "GROUP", action: "READ" }], "update")).data?.updateCustomRole.userErrors).toEqual(
      [],
    );
    expect(await permissionsOf(frank)).toContain("GROUP:READ");
    expect(await permissionsOf(frank)).not.toContain("AUDIT_LOG:READ");
  });

  it("a write made outside the service (a script, psql) once its notification is read", async () => {
    const gina = await acme.member("gina");
    await warm(gina.token);
    await app.prisma.user.update({ where: { id: uuidOf(gina.id) }, data: { status: "SUSPENDED" } });
    await app.deps.credentials.settle();
    expect(codes(await app.gql("{ viewer { id } }", {}, { token: gina.token }))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("CREDENTIAL_CACHE_SECONDS=0", () => {
  it("remembers nothing", async () => {
    const off = await createTestApp({ SQL_STATEMENT_COUNTER: "true", CREDENTIAL_CACHE_SECONDS: "0" });
    try {
      const first = await seed(off).owner();
      await off.gql("{ __typename }", {}, { token: first.token });
      for (let i = 0; i < 3; i++)
        expect(statements(await off.gql("{ __typename }", {}, { token: first.token }))).toBe(1);
      expect(off.deps.credentials.size).toBe(0);
    } finally {
      await off.close();
    }
  });
});
