// The audit log an administrator can search: filters on auditLogs and Organization.auditLogs,
// newest first with a stable cursor, AuditLog.resource and .changes, sign-in events (password,
// SCIM) with address, user agent and outcome, AUDIT_LOG_STDOUT and retention.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deleteExpiredAuditLogs } from "../../../src/audit/retention.js";
import type { Actor } from "../../support/actors.js";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type GqlResult, TEST_PASSWORD, type TestApp } from "../../support/harness.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";

const SCIM_KEY = "audit-filters-scim-key-0123456789abcdefghij";

let app: TestApp;
let owner: OwnerScope;
let orgA: OrgScope;
let orgAdmin: Actor;
let auditor: Actor;
let alice: Actor;

beforeAll(async () => {
  app = await createTestApp({ TRUST_PROXY: "true", SCIM_API_KEY: SCIM_KEY });
  owner = await seed(app).owner();
  orgA = await owner.org("org-a");
  orgAdmin = await orgA.member("admin-a", ["organization-admin"]);
  auditor = await owner.user("auditor", { siteRoles: ["auditor"] });
  alice = await orgA.member("alice");
});
afterAll(async () => {
  await app?.close();
});

type Node = {
  id: string;
  time: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  resourceName: string | null;
  resource: { __typename: string; username?: string } | null;
  actor: { username: string } | null;
  changes: Record<string, unknown>;
  diff: string;
  success: boolean;
  ip: string | null;
  userAgent: string | null;
};

const LOGS = `query($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLogs(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id time action resourceType resourceId resourceName
      resource { __typename ... on User { username } } actor { username } changes diff success ip userAgent } }
  }
}`;

async function logs(token: string, filter: Record<string, unknown> = {}, first = 100) {
  const result = await app.gql(LOGS, { filter, first }, { token });
  expect(result.errors).toBeUndefined();
  const nodes: Node[] = result.data?.auditLogs.edges.map((e: { node: Node }) => e.node);
  expect(result.data?.auditLogs.totalCount).toBe(nodes.length);
  return nodes;
}

describe("audit log filters", () => {
  it("filter by action, resource type, resource (global id), actor (id or username), name and time", async () => {
    const before = new Date();
    await app.gql(
      `mutation($input: UpdateUserInput!) { updateUser(input: $input) { userErrors { code } } }`,
      { input: { userId: alice.id, name: "Alice A." } },
      { token: owner.token },
    );
    const after = new Date(Date.now() + 1000);

    const logins = await logs(owner.token, { actions: ["LOGIN", "REGISTER"] });
    expect(logins.length).toBeGreaterThan(0);
    expect(logins.every((n) => ["LOGIN", "REGISTER"].includes(n.action))).toBe(true);

    const members = await logs(owner.token, { resourceTypes: ["USER"], actions: ["UPDATE"] });
    expect(members.map((n) => n.resourceName)).toEqual(["alice"]);

    const aboutAlice = await logs(owner.token, { resource: alice.id });
    expect(aboutAlice.length).toBeGreaterThanOrEqual(2); // created, updated
    for (const node of aboutAlice) {
      expect(node.resource).toEqual({ __typename: "User", username: "alice" });
    }

    const byOwner = await logs(owner.token, { actorUsername: "OWNER" });
    expect(byOwner.length).toBeGreaterThan(0);
    expect(byOwner.every((n) => n.actor?.username === "owner")).toBe(true);
    expect((await logs(owner.token, { actorId: owner.id })).map((n) => n.id)).toEqual(byOwner.map((n) => n.id));
    expect(await logs(owner.token, { actorUsername: "nobody-at-all" })).toEqual([]);

    expect((await logs(owner.token, { search: "LIC" })).every((n) => n.resourceName?.includes("lic"))).toBe(true);

    const window = await logs(owner.token, { since: before.toISOString(), until: after.toISOString() });
    expect(window.map((n) => [n.action, n.resourceName])).toEqual([["UPDATE", "alice"]]);
    expect(window[0]?.changes).toEqual({ name: { from: "", to: "Alice A." } });
    expect(JSON.parse(window[0]?.diff ?? "")).toEqual(window[0]?.changes);

    // Filters combine with the read filter: the organization admin sees none of the site's events.
    expect(await logs(orgAdmin.token, { resource: alice.id, resourceTypes: ["USER"] })).toEqual([]);
  });

  it("a malformed resource or actor id matches nothing; unknown enum values are refused", async () => {
    expect(await logs(owner.token, { resource: "garbage" })).toEqual([]);
    expect(await logs(owner.token, { actorId: globalId("Organization", orgA.uuid) })).toEqual([]);
    const refused = await app.gql(LOGS, { filter: { actions: ["HACK"] } }, { token: owner.token });
    expect(errorCodes(refused)).toEqual(["BAD_USER_INPUT"]);
  });

  it("Organization.auditLogs takes the same filter", async () => {
    const base = new Date("2026-01-01T00:00:00Z").getTime();
    await app.prisma.auditLog.createMany({
      data: ["alpha", "beta"].map((name, i) => ({
        action: "CREATE",
        resourceType: "GROUP",
        resourceName: name,
        organizationId: orgA.uuid,
        time: new Date(base + i * 1000),
      })),
    });
    const result = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on Organization { auditLogs(first: 10, filter: { search: "ALP", resourceTypes: [GROUP] }) { totalCount edges { node { resourceName } } } } } }`,
      { id: orgA.id },
      { token: orgAdmin.token },
    );
    expect(result.data?.node.auditLogs).toEqual({ totalCount: 1, edges: [{ node: { resourceName: "alpha" } }] });
  });

  it("pages newest first, by time then id, with a cursor that new events do not shift", async () => {
    const time = new Date("2030-01-01T00:00:00Z");
    await app.prisma.auditLog.createMany({
      data: Array.from({ length: 7 }, (_, i) => ({
        action: "UPDATE",
        resourceType: "TEMPLATE",
        resourceName: `same-instant-${i}`,
        time,
      })),
    });
    const filter = { resourceTypes: ["TEMPLATE"], search: "same-instant" };
    const all = await logs(owner.token, filter);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const result: GqlResult = await app.gql(LOGS, { filter, first: 3, after: cursor }, { token: owner.token });
      const edges = result.data?.auditLogs.edges as { cursor: string; node: Node }[];
      seen.push(...edges.map((e) => e.node.id));
      if (page === 0) {
        // A newer event arriving between pages does not move the next page.
        await app.prisma.auditLog.create({
          data: {
            action: "UPDATE",
            resourceType: "TEMPLATE",
            resourceName: "same-instant-new",
            time: new Date("2031-01-01"),
          },
        });
      }
      if (!result.data?.auditLogs.pageInfo.hasNextPage) break;
      cursor = result.data?.auditLogs.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((n) => n.id));
    // By row id (uuid order): the base64 global ids do not sort as the uuids they encode.
    const ids = all.map((n) => uuidOf(n.id));
    expect(ids).toEqual([...ids].sort().reverse());
  });

  it("resource is null once the object is gone, or when the viewer may not read it", async () => {
    const bob = await owner.user("bob");
    const token = await app.gql(
      `mutation { createApiToken(input: { name: "cli" }) { apiToken { id } } }`,
      {},
      { token: bob.token },
    );
    const tokenId = token.data?.createApiToken.apiToken.id;
    const query = `query($filter: AuditLogFilter) { auditLogs(filter: $filter, first: 5) { edges { node { resource { id __typename } } } } }`;
    const byOwner = await app.gql(query, { filter: { resource: tokenId } }, { token: owner.token });
    expect(byOwner.data?.auditLogs.edges).toEqual([{ node: { resource: { id: tokenId, __typename: "ApiToken" } } }]);
    // The site auditor reads the event, not bob's token.
    const byAuditor = await app.gql(query, { filter: { resource: tokenId } }, { token: auditor.token });
    expect(byAuditor.data?.auditLogs.edges).toEqual([{ node: { resource: null } }]);

    const deleted = await app.gql(
      `mutation($input: UserIdInput!) { deleteUser(input: $input) { userErrors { code } } }`,
      { input: { userId: bob.id } },
      { token: owner.token },
    );
    expect(deleted.data?.deleteUser.userErrors).toEqual([]);
    const gone = await logs(owner.token, { resource: bob.id });
    expect(gone.length).toBeGreaterThanOrEqual(2);
    expect(gone.every((n) => n.resource === null)).toBe(true);
  });
});

describe("sign-in events", () => {
  const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code message } } }`;
  const from = { "x-forwarded-for": "203.0.113.7, 10.0.0.1", "user-agent": "audit-test/1.0" };

  it("a refused login is recorded identically whether the email exists; a successful one too", async () => {
    const since = new Date().toISOString();
    const wrong = await app.gql(
      LOGIN,
      { input: { email: alice.email, password: "wrong-password-1" } },
      { headers: from },
    );
    const unknown = await app.gql(
      LOGIN,
      { input: { email: "nobody@example.com", password: "wrong-password-1" } },
      { headers: from },
    );
    // The caller learns nothing either way.
    expect(wrong.data?.login).toEqual(unknown.data?.login);
    const ok = await app.gql(LOGIN, { input: { email: alice.email, password: TEST_PASSWORD } }, { headers: from });
    expect(ok.data?.login.userErrors).toEqual([]);

    const refused = await logs(auditor.token, { actions: ["LOGIN"], success: false, since });
    const shape = (n: Node) => ({
      ...n,
      id: "",
      time: "",
      resourceName: "",
      changes: { ...n.changes, email: "" },
      diff: "",
    });
    expect(refused.map((n) => n.resourceName)).toEqual(["nobody@example.com", alice.email]);
    expect(shape(refused[0] as Node)).toEqual(shape(refused[1] as Node));
    expect(refused[0]).toMatchObject({
      resourceType: "USER",
      resourceId: null,
      resource: null,
      actor: null,
      success: false,
      ip: "203.0.113.7",
      userAgent: "audit-test/1.0",
      changes: { loginType: "PASSWORD", reason: "invalid-credentials" },
    });

    const accepted = await logs(auditor.token, { actions: ["LOGIN"], success: true, since });
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({
      actor: { username: "alice" },
      resource: { __typename: "User", username: "alice" },
      ip: "203.0.113.7",
      userAgent: "audit-test/1.0",
    });

    // Sign-in events belong to no organization: site auditors and owners see them, an
    // organization admin does not (Coder).
    expect(await logs(orgAdmin.token, { actions: ["LOGIN"], since })).toEqual([]);
  });

  it("records each SCIM call with its outcome, refused keys included", async () => {
    const since = new Date().toISOString();
    const call = (key: string) =>
      app.request({
        method: "GET",
        path: "/scim/v2/Users",
        headers: { authorization: `Bearer ${key}`, ...from },
      });
    expect((await call("wrong-key")).status).toBe(401);
    expect((await call(SCIM_KEY)).status).toBe(200);
    const events = await logs(auditor.token, { resourceTypes: ["SCIM_KEY"], since });
    expect(events.map((n) => [n.success, n.changes])).toEqual([
      [true, { method: "GET", path: "/scim/v2/Users", status: 200 }],
      [false, { method: "GET", path: "/scim/v2/Users", status: 401 }],
    ]);
    expect(events[1]).toMatchObject({ action: "LOGIN", ip: "203.0.113.7", userAgent: "audit-test/1.0", actor: null });
  });
});

describe("export and retention", () => {
  it("AUDIT_LOG_STDOUT writes each committed event as one JSON line, whatever LOG_LEVEL says", async () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const exporting = await createTestApp({ AUDIT_LOG_STDOUT: "true" });
    try {
      await seed(exporting).owner("exported");
      await exporting.gql(
        `mutation { login(input: { email: "ghost@example.com", password: "nope-nope-nope" }) { token } }`,
      );
    } finally {
      write.mockRestore();
      await exporting.close();
    }
    const parse = (line: string) => {
      try {
        return JSON.parse(line);
      } catch {
        return null;
      }
    };
    const events = lines.map(parse).filter((entry) => entry?.msg === "audit_log");
    expect(events.map((e) => [e.resourceType, e.action, e.success])).toEqual([
      ["USER", "REGISTER", true],
      ["USER", "LOGIN", false],
    ]);
    expect(events[0]).toMatchObject({ level: "info", resourceName: "exported", diff: { username: "exported" } });
    expect(events[0].id).toEqual(expect.any(String));
  });

  it("AUDIT_RETENTION_DAYS: older events are deleted in batches", async () => {
    const old = new Date(Date.now() - 40 * 86_400_000);
    await app.prisma.auditLog.createMany({
      data: Array.from({ length: 5 }, (_, i) => ({
        action: "DELETE",
        resourceType: "GROUP",
        resourceName: `old-${i}`,
        time: old,
      })),
    });
    const cutoff = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const keptBefore = (await logs(owner.token, { since: cutoff })).length;
    expect((await logs(owner.token, { until: cutoff })).length).toBeGreaterThanOrEqual(5);
    expect(await deleteExpiredAuditLogs(app.prisma, new Date(), 30, 2)).toBeGreaterThanOrEqual(5);
    expect(await logs(owner.token, { until: cutoff })).toEqual([]);
    expect((await logs(owner.token, { since: cutoff })).length).toBe(keptBefore);
  });
});
