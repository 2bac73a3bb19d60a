// What a user administrator needs beyond the lifecycle: users(orderBy:) with a stable cursor,
// User.lastSeenAt, suspension canceling the user's pending builds and ending subscriptions at
// once (also a revoked token), and IDP_SYNC_MANAGED refusals for users the IdP syncs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { createTestApp, type GqlResult, type TestApp } from "../../support/harness.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { subscribe } from "../../support/sse.js";
import { createWorkspace } from "../../support/workloads.js";

let app: TestApp;
let owner: OwnerScope;
let org: OrgScope;
let userAdmin: Actor;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  org = await owner.org("acme");
  userAdmin = await owner.user("useradmin", { siteRoles: ["user-admin"] });
});
afterAll(async () => {
  await app?.close();
});

const USERS = `query($orderBy: UserOrderBy, $first: Int, $after: String, $search: String) {
  users(orderBy: $orderBy, first: $first, after: $after, search: $search) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id username lastSeenAt } }
  }
}`;

type UserNode = { id: string; username: string; lastSeenAt: string | null };

async function allPages(token: string, variables: Record<string, unknown>, first = 2): Promise<UserNode[]> {
  const seen: UserNode[] = [];
  let after: string | null = null;
  for (;;) {
    const result: GqlResult = await app.gql(USERS, { ...variables, first, after }, { token });
    expect(result.errors).toBeUndefined();
    seen.push(...(result.data?.users.edges ?? []).map((e: { node: UserNode }) => e.node));
    if (!result.data?.users.pageInfo.hasNextPage) return seen;
    after = result.data?.users.pageInfo.endCursor;
  }
}

describe("users(orderBy:) and lastSeenAt", () => {
  it("orders by a field in either direction, pages without gaps, and breaks ties by id", async () => {
    for (const name of ["ord-c", "ord-a", "ord-b"]) await owner.user(name);
    const asc = await allPages(owner.token, { search: "ord-", orderBy: { field: "USERNAME", direction: "ASC" } });
    expect(asc.map((u) => u.username)).toEqual(["ord-a", "ord-b", "ord-c"]);
    const desc = await allPages(owner.token, { search: "ord-", orderBy: { field: "USERNAME", direction: "DESC" } });
    expect(desc.map((u) => u.username)).toEqual(["ord-c", "ord-b", "ord-a"]);
    // Equal creation instants: the id decides, in the same direction, across pages.
    const instant = new Date("2026-06-01T00:00:00Z");
    await app.prisma.user.updateMany({ where: { username: { startsWith: "ord-" } }, data: { createdAt: instant } });
    const byCreated = await allPages(
      owner.token,
      { search: "ord-", orderBy: { field: "CREATED_AT", direction: "DESC" } },
      1,
    );
    const ids = byCreated.map((u) => u.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids).toEqual(
      [...ids].sort((a, b) => Buffer.from(b, "base64").toString().localeCompare(Buffer.from(a, "base64").toString())),
    );
  });

  it("lastSeenAt: set at login, refreshed by requests at most once a minute, never-seen users last", async () => {
    const seen = await owner.user("seen-user", { orgs: [] });
    await app.prisma.user.update({
      where: { username: "seen-user" },
      data: { lastSeenAt: new Date(Date.now() - 3_600_000) },
    });
    await app.gql("{ viewer { id } }", {}, { token: seen.token });
    // The update runs off the request's path: wait for it.
    let lastSeen: Date | null = null;
    for (let i = 0; i < 50 && !(lastSeen && Date.now() - lastSeen.getTime() < 60_000); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      lastSeen = (await app.prisma.user.findUniqueOrThrow({ where: { username: "seen-user" } })).lastSeenAt;
    }
    expect(Date.now() - (lastSeen?.getTime() ?? 0)).toBeLessThan(60_000);
    // Within the minute, requests write nothing.
    const stamp = new Date(Date.now() - 30_000);
    await app.prisma.user.update({ where: { username: "seen-user" }, data: { lastSeenAt: stamp } });
    await app.gql("{ viewer { id } }", {}, { token: seen.token });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await app.prisma.user.findUniqueOrThrow({ where: { username: "seen-user" } })).lastSeenAt).toEqual(stamp);

    await app.prisma.user.update({ where: { username: "ord-a" }, data: { lastSeenAt: null } });
    const order = await allPages(owner.token, { orderBy: { field: "LAST_SEEN_AT", direction: "DESC" } }, 3);
    expect(order[0]?.username).not.toBe("ord-a");
    const nulls = order.filter((u) => u.lastSeenAt === null).map((u) => u.username);
    expect(order.slice(order.length - nulls.length).map((u) => u.username)).toEqual(nulls);
    expect(nulls).toContain("ord-a");
    // Someone who may not read a user's details sees no lastSeenAt (the email rule).
    const other = await app.gql(
      `query($u: String!) { user(username: $u) { lastSeenAt } }`,
      { u: "ord-b" },
      { token: seen.token },
    );
    expect(other.data?.user?.lastSeenAt ?? null).toBeNull();
    const mine = await app.gql(`{ viewer { lastSeenAt } }`, {}, { token: seen.token });
    expect(mine.data?.viewer.lastSeenAt).toEqual(expect.any(String));
  });
});

const BUILD = `subscription($id: ID!) { workspaceBuildUpdated(workspaceId: $id) { buildNumber job { status } } }`;
const SUSPEND = `mutation($input: UserIdInput!) { suspendUser(input: $input) { user { status } userErrors { code } } }`;

describe("suspension and revocation take effect at once", () => {
  it("suspension cancels the user's pending builds and ends their subscriptions", async () => {
    const dev = await org.member("dev");
    const templateId = await org.template("tmpl-suspend");
    const { payload } = await createWorkspace(app, dev.token, { templateId, name: "ws-suspend" });
    const workspaceId = payload?.workspace.id as string;
    const events = await subscribe(app.yoga.fetch, "http://test/graphql", BUILD, { id: workspaceId }, dev.token);
    try {
      const first = await events.next();
      expect(first).toMatchObject({ kind: "next", data: { workspaceBuildUpdated: { job: { status: "PENDING" } } } });
      const result = await app.gql(SUSPEND, { input: { userId: dev.id } }, { token: userAdmin.token });
      expect(result.data?.suspendUser).toEqual({ user: { status: "SUSPENDED" }, userErrors: [] });
      expect(await events.next()).toEqual({ kind: "complete" });
    } finally {
      await events.close();
    }
    const job = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on Workspace { latestBuild { job { status error } } } } }`,
      { id: workspaceId },
      { token: owner.token },
    );
    expect(job.data?.node.latestBuild.job).toEqual({
      status: "CANCELED",
      error: "The job was canceled: the user who started it was suspended.",
    });
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { action: "UPDATE", resourceType: "USER", resourceName: "dev" },
    });
    expect(audit.diff).toMatchObject({ canceledJobs: 1 });
  });

  it("a revoked API token ends the subscriptions opened with it, with no other event", async () => {
    const dev = await org.member("dev2");
    const templateId = await org.template("tmpl-revoke");
    const { payload } = await createWorkspace(app, dev.token, { templateId, name: "ws-revoke" });
    const apiToken = await dev.apiToken("watcher");
    const tokens = await app.gql(`{ viewer { apiTokens { id name } } }`, {}, { token: dev.token });
    const tokenId = tokens.data?.viewer.apiTokens.find((t: { name: string }) => t.name === "watcher").id;
    const withToken = await subscribe(
      app.yoga.fetch,
      "http://test/graphql",
      BUILD,
      { id: payload?.workspace.id },
      apiToken,
    );
    const withSession = await subscribe(
      app.yoga.fetch,
      "http://test/graphql",
      BUILD,
      { id: payload?.workspace.id },
      dev.token,
    );
    try {
      expect((await withToken.next()).kind).toBe("next");
      expect((await withSession.next()).kind).toBe("next");
      const revoked = await app.gql(
        `mutation($input: DeleteApiTokenInput!) { deleteApiToken(input: $input) { userErrors { code } } }`,
        { input: { id: tokenId } },
        { token: userAdmin.token },
      );
      expect(revoked.data?.deleteApiToken.userErrors).toEqual([]);
      expect(await withToken.next()).toEqual({ kind: "complete" });
      // The session's stream re-checked and goes on, sending nothing.
      await expect(withSession.next(300)).rejects.toThrow("no event");
    } finally {
      await withToken.close();
      await withSession.close();
    }
  });
});

const ADD = `mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { userErrors { code field } } }`;
const REMOVE = `mutation($input: OrganizationMemberInput!) { removeOrganizationMember(input: $input) { userErrors { code } } }`;
const ROLES = `mutation($input: UpdateOrganizationMemberRolesInput!) { updateOrganizationMemberRoles(input: $input) { userErrors { code field } } }`;
const GROUP = `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { userErrors { code field } } }`;

describe("IDP_SYNC_MANAGED", () => {
  it("refuses manual membership, role and group changes of OIDC users while the matching sync is on", async () => {
    const synced = await org.member("synced");
    const local = await owner.user("local", { orgs: [] });
    await app.prisma.user.update({ where: { username: "synced" }, data: { loginType: "OIDC" } });
    const other = await owner.org("other");
    const group = await org.group("devs");

    // Sync off: allowed.
    expect(
      (await app.gql(ADD, { input: { organizationId: other.id, userId: synced.id } }, { token: owner.token })).data
        ?.addOrganizationMember.userErrors,
    ).toEqual([]);

    await app.prisma.organizationSyncSettings.upsert({
      where: { id: 1 },
      create: { id: 1, field: "groups" },
      update: { field: "groups" },
    });
    await app.prisma.roleSyncSettings.create({ data: { organizationId: org.uuid, field: "roles" } });
    await app.prisma.groupSyncSettings.create({ data: { organizationId: org.uuid, field: "groups" } });
    const removed = await app.gql(
      REMOVE,
      { input: { organizationId: other.id, userId: synced.id } },
      { token: owner.token },
    );
    expect(removed.data?.removeOrganizationMember.userErrors).toEqual([{ code: "IDP_SYNC_MANAGED" }]);
    expect(
      (
        await app.gql(
          ROLES,
          { input: { organizationId: org.id, userId: synced.id, roles: ["organization-auditor"] } },
          { token: owner.token },
        )
      ).data?.updateOrganizationMemberRoles.userErrors,
    ).toEqual([{ code: "IDP_SYNC_MANAGED", field: ["input", "roles"] }]);
    expect(
      (await app.gql(GROUP, { input: { groupId: group.id, addUserIds: [synced.id] } }, { token: owner.token })).data
        ?.updateGroup.userErrors,
    ).toEqual([{ code: "IDP_SYNC_MANAGED", field: ["input", "addUserIds"] }]);

    // Password users are not synced: their changes go through.
    expect(
      (await app.gql(ADD, { input: { organizationId: org.id, userId: local.id } }, { token: owner.token })).data
        ?.addOrganizationMember.userErrors,
    ).toEqual([]);
    expect(
      (await app.gql(GROUP, { input: { groupId: group.id, addUserIds: [local.id] } }, { token: owner.token })).data
        ?.updateGroup.userErrors,
    ).toEqual([]);
    // Organization sync off again: the OIDC user's memberships are manual once more.
    await app.prisma.organizationSyncSettings.update({ where: { id: 1 }, data: { field: "" } });
    const third = await owner.org("third");
    expect(
      (await app.gql(ADD, { input: { organizationId: third.id, userId: synced.id } }, { token: owner.token })).data
        ?.addOrganizationMember.userErrors,
    ).toEqual([]);
  });
});
