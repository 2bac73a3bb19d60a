// Input that used to reach the database or the resolvers and fail there: a sign-in combined with
// other root fields, NUL bytes in strings, malformed ids and cursors, and quota sums beyond 32 bits.
// Each is answered before any SQL (or, for ids, as a missing object), never as an internal error.
import { isObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../../../src/graphql/schema.js";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type GqlResult, TEST_PASSWORD, type TestApp } from "../../support/harness.js";
import { asDaemon, COMPLETE, createKey, importJob, jobGlobalId, register } from "../../support/provisioners.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { createWorkspace } from "../../support/workloads.js";

let app: TestApp;
let owner: OwnerScope;
let alice: Actor;
let acme: OrgScope;

beforeAll(async () => {
  app = await createTestApp({ SQL_STATEMENT_COUNTER: "true" });
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  alice = await acme.member("alice");
  await acme.add(owner, ["organization-admin"]);
});
afterAll(async () => {
  await app?.close();
});

const statements = (result: GqlResult) => Number(result.headers.get("x-sql-statements"));
const b64 = (text: string) => Buffer.from(text).toString("base64");
const loginRows = () => app.prisma.auditLog.count({ where: { action: "LOGIN" } });
const sessions = () => app.prisma.session.count();

describe("signing in is the only root field of its operation", () => {
  const LOGIN = `login(input: { email: "owner@example.com", password: "${TEST_PASSWORD}" }) { token }`;
  const refused: [string, string][] = [
    ["login with createApiToken", `mutation { ${LOGIN} createApiToken(input: { name: "t" }) { token } }`],
    ["createApiToken before login", `mutation { createApiToken(input: { name: "t" }) { token } ${LOGIN} }`],
    ["login with logout", `mutation { ${LOGIN} logout }`],
    ["the same sign-in twice under aliases", `mutation { a: ${LOGIN} b: ${LOGIN} }`],
    [
      "login and another field through a fragment",
      `mutation { ...F } fragment F on Mutation { ${LOGIN} createApiToken(input: { name: "t" }) { token } }`,
    ],
    [
      "createFirstUser with createOrganization",
      `mutation { createFirstUser(input: { email: "x@example.com", username: "x", password: "${TEST_PASSWORD}" }) { token }
        createOrganization(input: { name: "x" }) { organization { id } } }`,
    ],
    ["loginWithOidc with logout", `mutation { loginWithOidc(input: { idToken: "x" }) { token } logout }`],
  ];

  it.each(refused)("refuses %s before any SQL, writing no session or audit row", async (_name, query) => {
    const [loginsBefore, sessionsBefore] = [await loginRows(), await sessions()];
    const result = await app.gql(query); // as a client signing in: no credential yet
    expect(errorCodes(result)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(result.errors?.[0]?.message).toMatch(/sign/i);
    expect(result.data).toBeNull();
    expect(statements(result)).toBe(0);
    expect([await loginRows(), await sessions()]).toEqual([loginsBefore, sessionsBefore]);
  });

  it("allows __typename beside a sign-in, and the token works", async () => {
    const result = await app.gql(`mutation { ${LOGIN} __typename }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.__typename).toBe("Mutation");
    const viewer = await app.gql(`{ viewer { username } }`, {}, { token: result.data?.login.token });
    expect(viewer.data?.viewer.username).toBe("owner");
  });
});

describe("NUL bytes in string arguments", () => {
  const cases: [string, string, Record<string, unknown>][] = [
    [
      "login's email",
      `mutation($input: LoginInput!) { login(input: $input) { token } }`,
      { input: { email: "owner@example.com\u0000", password: TEST_PASSWORD } },
    ],
    ["users(search:)", `query($s: String) { users(search: $s) { totalCount } }`, { s: "al\u0000" }],
    ["user(username:)", `query($u: String!) { user(username: $u) { id } }`, { u: "alice\u0000" }],
    ["organization(name:)", `query($n: String!) { organization(name: $n) { id } }`, { n: "acme\u0000" }],
    [
      "an input object's field",
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }`,
      { input: { name: "nul-org", displayName: "Nul\u0000Org" } },
    ],
    [
      "a list of ids",
      `query($c: [PermissionCheckInput!]!) { checkPermissions(checks: $c) { allowed } }`,
      { c: [{ key: "k", resource: "WORKSPACE", action: "READ", organizationId: "a\u0000" }] },
    ],
  ];

  it.each(cases)("refuses NUL in %s with BAD_USER_INPUT before any SQL", async (_name, query, variables) => {
    const result = await app.gql(query, variables, { token: owner.token });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.message).toMatch(/NUL/);
    expect(statements(result)).toBe(0);
  });

  it("refuses NUL written as \\u0000 in a literal of the document", async () => {
    const result = await app.gql(`{ user(username: "alice\\u0000") { id } }`, {}, { token: owner.token });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(statements(result)).toBe(0);
    expect(await app.prisma.organization.count({ where: { name: "nul-org" } })).toBe(0);
  });

  it("strips NUL from a daemon's failure text: the job ends FAILED with the text, not RUNNING", async () => {
    const key = await createKey(app, owner.token, acme.id, "nul-daemon");
    const daemonId = await register(app, key.key, "nul-daemon");
    const { jobId } = await importJob(app, acme.uuid);
    await app.prisma.provisionerJob.update({
      where: { id: jobId },
      data: { status: "RUNNING", workerId: uuidOf(daemonId), startedAt: new Date() },
    });
    const result = await asDaemon(app, key.key, COMPLETE, {
      input: { jobId: jobGlobalId(jobId), daemonId, error: "terraform\u0000 failed" },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.completeProvisionerJob.job).toMatchObject({ status: "FAILED", error: "terraform failed" });
    const job = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ status: "FAILED", error: "terraform failed" });
  });
});

describe("malformed ids and cursors", () => {
  const UUID = "0190a7a2-1c3e-7000-8000-000000000001";
  // Cursors this API never issued; each would otherwise reach Prisma as a bad uuid or a wrong shape.
  const badCursors: [string, string][] = [
    ["a string that is not a uuid", b64("GPC:S:not-a-uuid")],
    ["a number", b64("GPC:N:1")],
    ["a JSON object", b64('GPC:O:{"id":"x"}')],
    ["bare JSON", b64(`{"id":"${UUID}"}`)],
    [
      "a tuple where one id is expected (or ids that are not uuids)",
      b64(`GPC:T:${JSON.stringify([`S:${UUID}`, "S:x"])}`),
    ],
    ["an empty value", ""],
    ["36 hyphens", b64(`GPC:S:${"-".repeat(36)}`)],
    ["not base64", "!!!"],
  ];
  // Every connection of the schema, reached from the root.
  const connections: [string, (page: string) => string][] = [
    ["Query.organizations", (page) => `organizations(${page})`],
    ["Query.users", (page) => `users(${page})`],
    ["Query.auditLogs", (page) => `auditLogs(${page})`],
    ["Query.templates", (page) => `templates(${page})`],
    ["Query.workspaces", (page) => `workspaces(${page})`],
    ["Query.accessReview", (page) => `accessReview(input: { action: READ, objectId: "${acme.id}" }, ${page})`],
    ["Organization.auditLogs", (page) => `organization(name: "acme") { auditLogs(${page})`],
    ["Organization.templates", (page) => `organization(name: "acme") { templates(${page})`],
    ["Organization.members", (page) => `organization(name: "acme") { members(${page})`],
    ["Organization.workspaces", (page) => `organization(name: "acme") { workspaces(${page})`],
    ["Organization.groups", (page) => `organization(name: "acme") { groups(${page})`],
    ["Organization.provisionerJobs", (page) => `organization(name: "acme") { provisionerJobs(${page})`],
    ["Template.versions", (page) => `templates(first: 1) { edges { node { versions(${page})`],
    ["Workspace.builds", (page) => `workspaces(first: 1) { edges { node { builds(${page})`],
    ["Group.members", (page) => `organization(name: "acme") { groups(first: 1) { edges { node { members(${page})`],
  ];
  it("the list above holds every connection of the schema", () => {
    const withCursors = Object.values(schema.getTypeMap()).flatMap((type) =>
      isObjectType(type) && !type.name.startsWith("__")
        ? Object.values(type.getFields())
            .filter((field) => field.args.some((arg) => arg.name === "after"))
            .map((field) => `${type.name}.${field.name}`)
        : [],
    );
    expect(connections.map(([name]) => name).sort()).toEqual(withCursors.sort());
  });

  const connectionQuery = (open: string) =>
    `query${open.includes("$c") ? "($c: String)" : ""} { ${open} { totalCount pageInfo { endCursor } edges { cursor } } ${"}".repeat(
      // The selections left open (an input object's braces close themselves).
      (open.match(/\{/g) ?? []).length - (open.match(/\}/g) ?? []).length,
    )} }`;

  beforeAll(async () => {
    const template = await acme.template("paging");
    const created = await createWorkspace(app, owner.token, { templateId: template, name: "paging-ws" });
    expect(created.payload?.userErrors).toEqual([]);
    await acme.group("pagers", { members: [owner, alice] });
  });

  const edgesOf = (data: unknown): { cursor: string }[] => {
    let current = data as Record<string, any>;
    while (current && !("edges" in current && "totalCount" in current)) {
      const next = Object.values(current)[0];
      current = Array.isArray(next) ? next[0] : next;
      if (current && "edges" in current && !("totalCount" in current)) current = current.edges[0].node;
    }
    return current?.edges ?? [];
  };

  describe.each(connections)("%s", (_name, open) => {
    it("pages on with the cursors it issued", async () => {
      const first = await app.gql(connectionQuery(open("first: 1")), {}, { token: owner.token });
      expect(first.errors).toBeUndefined();
      const [edge] = edgesOf(first.data);
      expect(edge?.cursor).toBeTruthy();
      for (const page of ["after: $c", "before: $c, last: 1"]) {
        const next = await app.gql(connectionQuery(open(page)), { c: edge?.cursor }, { token: owner.token });
        expect(next.errors).toBeUndefined();
      }
    });

    it.each(badCursors)("answers BAD_USER_INPUT to %s in after and before, before any SQL", async (_what, cursor) => {
      for (const page of ["after: $c", "before: $c"]) {
        const result = await app.gql(connectionQuery(open(page)), { c: cursor }, { token: owner.token });
        expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
        expect(statements(result)).toBe(0);
      }
    });
  });

  it("refuses a single id where the members connection pages by organization and user", async () => {
    const result = await app.gql(
      connectionQuery(`organization(name: "acme") { members(after: $c)`),
      { c: b64(`GPC:S:${UUID}`) },
      { token: owner.token },
    );
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
  });

  const badIds: [string, string][] = [
    ["a Workspace id of 36 hyphens", b64(`Workspace:${"-".repeat(36)}`)],
    ["a Workspace id that is not a uuid", b64("Workspace:not-a-uuid")],
    ["an Organization id of 36 hyphens", b64(`Organization:${"-".repeat(36)}`)],
    ["a User id of 36 hyphens", b64(`User:${"-".repeat(36)}`)],
    ["a cursor", b64("GPC:S:not-a-uuid")],
    ["a number cursor", b64("GPC:N:1")],
    ["JSON", b64('{"id":1}')],
    ["an empty value", ""],
    ["not base64", "!!!"],
  ];

  it.each(badIds)("node(id:) of %s is null", async (_what, id) => {
    const result = await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, { token: owner.token });
    expect(result.errors).toBeUndefined();
    expect(result.data?.node).toBeNull();
  });

  it.each(badIds)("typed lookups and filters by %s find nothing", async (_what, id) => {
    const result = await app.gql(
      `query($id: ID!) {
        organization(name: "acme") { member(userId: $id) { user { id } } }
        templates(organizationId: $id) { totalCount }
        workspaces(organizationId: $id, ownerId: $id) { totalCount }
        auditLogs(organizationId: $id) { totalCount }
        checkPermissions(checks: [
          { key: "r", resource: WORKSPACE, action: READ, resourceId: $id }
          { key: "o", resource: WORKSPACE, action: READ, organizationId: $id }
          { key: "u", resource: WORKSPACE, action: READ, ownerId: $id }
        ]) { allowed }
      }`,
      { id },
      { token: owner.token },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.organization.member).toBeNull();
    expect(result.data?.templates.totalCount).toBe(0);
    expect(result.data?.workspaces.totalCount).toBe(0);
    expect(result.data?.auditLogs.totalCount).toBe(0);
    expect(result.data?.checkPermissions).toEqual([{ allowed: false }, { allowed: false }, { allowed: false }]);
  });

  it.each(badIds)("mutations given %s answer NOT_FOUND", async (_what, id) => {
    const transition = await app.gql(
      `mutation($id: ID!) { transitionWorkspace(input: { workspaceId: $id, transition: STOP }) { workspace { id } } }`,
      { id },
      { token: owner.token },
    );
    expect(errorCodes(transition)).toEqual(["NOT_FOUND"]);
    const member = await app.gql(
      `mutation($id: ID!) { addOrganizationMember(input: { organizationId: $id, userId: $id }) { userErrors { code } } }`,
      { id },
      { token: owner.token },
    );
    expect(errorCodes(member)).toEqual(["NOT_FOUND"]);
  });
});

describe("quota sums beyond 32 bits", () => {
  const BILLION = 1_000_000_000;
  const INT_MAX = 2 ** 31 - 1;
  let bigOrg: OrgScope;
  let bob: Actor;
  let costsBillion: string;
  let costsOne: string;

  beforeAll(async () => {
    bigOrg = await owner.org("big-spenders");
    await bigOrg.add(owner, ["organization-admin"]);
    bob = await bigOrg.member("bob");
    // Three allowances of a billion: the budget is 3,000,000,000, beyond GraphQL's Int.
    await bigOrg.setEveryoneAllowance(BILLION);
    await bigOrg.group("rich", { quotaAllowance: BILLION, members: [bob] });
    await bigOrg.group("richer", { quotaAllowance: BILLION, members: [bob] });
    costsBillion = await bigOrg.template("billion", { dailyCost: BILLION });
    costsOne = await bigOrg.template("one", { dailyCost: 1 });
  });

  const quotas = async () => {
    const result = await app.gql(
      `{ organization(name: "big-spenders") {
          viewerWorkspaceQuota { creditsConsumed budget }
          members { edges { node { user { username } workspaceQuota { creditsConsumed budget } } } } } }`,
      {},
      { token: bob.token },
    );
    expect(result.errors).toBeUndefined();
    return result.data?.organization;
  };

  it("reports a budget beyond 2^31-1 clamped to it, for the viewer and in the member list", async () => {
    const organization = await quotas();
    expect(organization.viewerWorkspaceQuota).toEqual({ creditsConsumed: 0, budget: INT_MAX });
    const bobs = organization.members.edges.find((e: any) => e.node.user.username === "bob");
    expect(bobs.node.workspaceQuota).toEqual({ creditsConsumed: 0, budget: INT_MAX });
  });

  it("checks the quota against the real budget: three billion-a-day workspaces fit, one more credit does not", async () => {
    for (const name of ["b1", "b2", "b3"]) {
      const created = await createWorkspace(app, bob.token, { templateId: costsBillion, name });
      expect(created.errors).toBeUndefined();
      expect(created.payload?.userErrors).toEqual([]);
    }
    const refused = await createWorkspace(app, bob.token, { templateId: costsOne, name: "one-more" });
    expect(refused.errors).toBeUndefined();
    expect(refused.payload?.userErrors.map((e: { code: string }) => e.code)).toEqual(["QUOTA_EXCEEDED"]);
    expect(refused.payload?.userErrors[0].message).toContain("3000000001");
    expect((await quotas()).viewerWorkspaceQuota).toEqual({ creditsConsumed: INT_MAX, budget: INT_MAX });
  });

  it("bounds a group's quota allowance and a template's daily cost to 0..1,000,000,000", async () => {
    for (const quotaAllowance of [-1, BILLION + 1]) {
      const group = await app.gql(
        `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } userErrors { code field } } }`,
        { input: { organizationId: bigOrg.id, name: `g${quotaAllowance}`.replace("-", "m"), quotaAllowance } },
        { token: owner.token },
      );
      expect(group.data?.createGroup.userErrors).toEqual([
        { code: "INVALID_INPUT", field: ["input", "quotaAllowance"] },
      ]);
    }
    for (const dailyCost of [-1, BILLION + 1]) {
      const template = await app.gql(
        `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id } userErrors { code field } } }`,
        { input: { organizationId: bigOrg.id, name: `t${dailyCost}`.replace("-", "m"), dailyCost } },
        { token: owner.token },
      );
      expect(template.data?.createTemplate.userErrors).toEqual([
        { code: "INVALID_INPUT", field: ["input", "dailyCost"] },
      ]);
    }
    const tooBig = await app.gql(
      `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }`,
      { input: { organizationId: bigOrg.id, name: "huge", quotaAllowance: 2 ** 31 } },
      { token: owner.token },
    );
    expect(errorCodes(tooBig)).toEqual(["BAD_USER_INPUT"]);
  });
});
