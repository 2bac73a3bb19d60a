// SQL statements per request stay constant whatever the page size or number of organizations,
// so an N+1 cannot come back unnoticed. The count is everything Prisma sends for the request
// (x-sql-statements, SQL_STATEMENT_COUNTER=true): the credential and viewer lookups included, so
// the credential cache is off here (test/perf/credential-cache.test.ts counts with it on).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId, uuidOf } from "../support/fixtures.js";
import { createTestApp, type GqlResult, type TestApp } from "../support/harness.js";
import { type OwnerScope, seed } from "../support/seed.js";

let app: TestApp;

const statements = (result: GqlResult) => Number(result.headers.get("x-sql-statements"));

const W1 = `query W1 {
  workspaces(first: 100) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name createdAt template { id name displayName } owner { id username } organization { id name } } }
  }
}`;

const W2 = `query W2($name: String!, $after: String) {
  organization(name: $name) {
    members(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { createdAt user { id username } roles { name } groups { id name } } }
    }
  }
}`;

/** W2 searched, sorted by username and read through `nodes`: keyset pages cost what edges do. */
const W2_SORTED = `query W2Sorted($name: String!, $first: Int) {
  organization(name: $name) {
    members(first: $first, search: "M-", orderBy: { field: USERNAME, direction: DESC }) {
      pageInfo { hasNextPage endCursor }
      nodes { id createdAt user { id username } roles { name } groups { id name } }
    }
  }
}`;

/** An organization with a template whose import succeeded, made directly in the database. */
async function organizationWithTemplate(name: string) {
  const org = await owner.org(name);
  const job = await app.prisma.provisionerJob.create({
    data: { organizationId: org.uuid, type: "TEMPLATE_VERSION_IMPORT", status: "SUCCEEDED" },
  });
  const version = await app.prisma.templateVersion.create({
    data: { organizationId: org.uuid, name: "v1", jobId: job.id },
  });
  const template = await app.prisma.template.create({
    data: { organizationId: org.uuid, name: `${name}-tpl`, activeVersionId: version.id },
  });
  return { ...org, templateUuid: template.id, versionUuid: version.id };
}

async function addWorkspaces(ownerUuid: string, org: { uuid: string; templateUuid: string }, count: number) {
  const existing = await app.prisma.workspace.count({ where: { ownerId: ownerUuid } });
  await app.prisma.workspace.createMany({
    data: Array.from({ length: count }, (_, i) => ({
      organizationId: org.uuid,
      ownerId: ownerUuid,
      templateId: org.templateUuid,
      name: `ws-${existing + i}`,
    })),
  });
}

async function addMembers(organizationUuid: string, groupUuid: string, from: number, count: number) {
  const users = Array.from({ length: count }, (_, i) => ({
    username: `m-${organizationUuid.slice(0, 4)}-${from + i}`,
    email: `m-${organizationUuid.slice(0, 4)}-${from + i}@example.com`,
  }));
  await app.prisma.user.createMany({ data: users });
  const rows = await app.prisma.user.findMany({
    where: { username: { in: users.map((u) => u.username) } },
    select: { id: true },
  });
  await app.prisma.organizationMember.createMany({
    data: rows.map((u) => ({ organizationId: organizationUuid, userId: u.id })),
  });
  await app.prisma.groupMember.createMany({
    data: rows.map((u) => ({ groupId: groupUuid, userId: u.id, organizationId: organizationUuid })),
  });
}

let owner: OwnerScope;
const orgs: Awaited<ReturnType<typeof organizationWithTemplate>>[] = [];

beforeAll(async () => {
  app = await createTestApp({ SQL_STATEMENT_COUNTER: "true", CREDENTIAL_CACHE_SECONDS: "0" });
  owner = await seed(app).owner();
  for (const name of ["qc-1", "qc-2", "qc-3", "qc-4", "qc-5"]) orgs.push(await organizationWithTemplate(name));
});

afterAll(async () => {
  await app?.close();
});

describe("W1: a member lists their workspaces with template, owner and organization", () => {
  it("runs the same few statements for 5 and 50 workspaces, in 1 and 5 organizations", async () => {
    const [first] = orgs;
    if (!first) throw new Error("no organization");
    const member = await first.member("w1-member");
    const memberUuid = uuidOf(member.id);

    await addWorkspaces(memberUuid, first, 5);
    const five = await app.gql(W1, {}, { token: member.token });
    expect(five.errors).toBeUndefined();
    expect(five.data?.workspaces.totalCount).toBe(5);
    const node = five.data?.workspaces.edges[0].node;
    expect(node.owner.username).toBe("w1-member");
    expect(node.organization.name).toBe("qc-1");
    expect(node.template.name).toBe("qc-1-tpl");

    await addWorkspaces(memberUuid, first, 45);
    const fifty = await app.gql(W1, {}, { token: member.token });
    expect(fifty.data?.workspaces.edges).toHaveLength(50);

    for (const org of orgs.slice(1)) {
      await app.prisma.organizationMember.create({ data: { organizationId: org.uuid, userId: memberUuid } });
      await addWorkspaces(memberUuid, org, 10);
    }
    const spread = await app.gql(W1, {}, { token: member.token });
    expect(spread.data?.workspaces.totalCount).toBe(90);
    const organizations = new Set(spread.data?.workspaces.edges.map((e: any) => e.node.organization.name));
    expect(organizations.size).toBe(5);

    // A page that holds the whole list is its own count: no count query.
    expect(statements(five)).toBeLessThanOrEqual(2);
    expect(statements(fifty)).toBe(statements(five));
    expect(statements(spread)).toBe(statements(five));

    // A partial page counts the list with one more statement, from the first page or a later one.
    const partial = `query($first: Int!, $after: String) {
      workspaces(first: $first, after: $after) {
        totalCount pageInfo { endCursor } edges { node { id } } } }`;
    const firstPage = await app.gql(partial, { first: 40 }, { token: member.token });
    expect(firstPage.data?.workspaces.totalCount).toBe(90);
    expect(firstPage.data?.workspaces.edges).toHaveLength(40);
    expect(statements(firstPage)).toBe(statements(five) + 1);
    const lastPage = await app.gql(
      partial,
      { first: 100, after: firstPage.data?.workspaces.pageInfo.endCursor },
      { token: member.token },
    );
    expect(lastPage.data?.workspaces.edges).toHaveLength(50);
    expect(lastPage.data?.workspaces.totalCount).toBe(90);
  });
});

/** Workspaces with one START build each whose job SUCCEEDED (RUNNING), made directly in the database. */
async function addRunningWorkspaces(
  ownerUuid: string,
  org: { uuid: string; templateUuid: string; versionUuid: string },
  count: number,
) {
  const existing = await app.prisma.workspace.count({ where: { ownerId: ownerUuid } });
  const workspaces = await app.prisma.workspace.createManyAndReturn({
    data: Array.from({ length: count }, (_, i) => ({
      organizationId: org.uuid,
      ownerId: ownerUuid,
      templateId: org.templateUuid,
      name: `run-${existing + i}`,
    })),
  });
  const jobs = await app.prisma.provisionerJob.createManyAndReturn({
    data: workspaces.map(() => ({
      organizationId: org.uuid,
      type: "WORKSPACE_BUILD" as const,
      status: "SUCCEEDED" as const,
    })),
  });
  await app.prisma.workspaceBuild.createMany({
    data: workspaces.map((workspace, i) => ({
      workspaceId: workspace.id,
      organizationId: org.uuid,
      buildNumber: 1,
      transition: "START" as const,
      templateVersionId: org.versionUuid,
      jobId: jobs[i]?.id ?? "",
    })),
  });
}

describe("W1 filtered by status and outdated", () => {
  it("runs the same statements for 5 and 50 workspaces: the filters join the latest build in the page's query", async () => {
    const org = orgs[2];
    if (!org) throw new Error("no organization");
    const member = await org.member("w1-filter");
    const filtered = `query($first: Int!) {
      workspaces(first: $first, status: [RUNNING, STOPPED], outdated: false) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id name status outdated template { name } owner { username } } }
      }
    }`;
    await addRunningWorkspaces(uuidOf(member.id), org, 5);
    const five = await app.gql(filtered, { first: 5 }, { token: member.token });
    expect(five.errors).toBeUndefined();
    expect(five.data?.workspaces.totalCount).toBe(5);
    expect(five.data?.workspaces.edges[0].node).toMatchObject({ status: "RUNNING", outdated: false });

    await addRunningWorkspaces(uuidOf(member.id), org, 45);
    const fifty = await app.gql(filtered, { first: 50 }, { token: member.token });
    expect(fifty.data?.workspaces.edges).toHaveLength(50);
    expect(statements(five)).toBeLessThanOrEqual(2);
    expect(statements(fifty)).toBe(statements(five));
    // A partial page adds the filtered count, as unfiltered.
    const partial = await app.gql(filtered, { first: 20 }, { token: member.token });
    expect(partial.data?.workspaces.totalCount).toBe(50);
    expect(statements(partial)).toBe(statements(five) + 1);
  });
});

describe("workspaces with their latest build, its job and initiator", () => {
  it("runs the same statements for 5 and 50 workspaces: the latest build is joined in the page's query", async () => {
    const org = orgs[3];
    if (!org) throw new Error("no organization");
    const member = await org.member("w1-builds");
    const withBuilds = `query($first: Int!) {
      workspaces(first: $first) {
        edges { node { id name latestBuild { buildNumber transition job { status } initiator { username } } } }
      }
    }`;
    await addRunningWorkspaces(uuidOf(member.id), org, 5);
    const five = await app.gql(withBuilds, { first: 5 }, { token: member.token });
    expect(five.errors).toBeUndefined();
    expect(five.data?.workspaces.edges[0].node.latestBuild).toEqual({
      buildNumber: 1,
      transition: "START",
      job: { status: "SUCCEEDED" },
      initiator: null,
    });
    await addRunningWorkspaces(uuidOf(member.id), org, 45);
    const fifty = await app.gql(withBuilds, { first: 50 }, { token: member.token });
    expect(fifty.data?.workspaces.edges).toHaveLength(50);
    expect(fifty.data?.workspaces.edges.every((e: any) => e.node.latestBuild.job.status === "SUCCEEDED")).toBe(true);
    expect(statements(five)).toBeLessThanOrEqual(2);
    expect(statements(fifty)).toBe(statements(five));
  });
});

describe("W2: an organization admin lists members with roles and groups", () => {
  it("runs the same few statements for 10 and 100 members; custom roles cost one more", async () => {
    const org = orgs[1];
    if (!org) throw new Error("no organization");
    const group = await app.prisma.group.create({ data: { organizationId: org.uuid, name: "ops" } });
    const admin = await org.member("w2-admin", ["organization-admin"]);
    // Members of the W1 test above are in the organization too: count what is there.
    const base = await app.prisma.organizationMember.count({ where: { organizationId: org.uuid } });

    await addMembers(org.uuid, group.id, 0, 10 - base);
    const ten = await app.gql(W2, { name: "qc-2" }, { token: admin.token });
    expect(ten.errors).toBeUndefined();
    const tenEdges = ten.data?.organization.members.edges;
    expect(tenEdges).toHaveLength(10);
    const seeded = tenEdges.filter((e: any) => e.node.user.username.startsWith("m-"));
    expect(seeded[0].node.groups.map((g: any) => g.name).sort()).toEqual(["Everyone", "ops"]);
    expect(tenEdges.find((e: any) => e.node.user.username === "w2-admin").node.groups).toEqual([
      expect.objectContaining({ name: "Everyone" }),
    ]);

    await addMembers(org.uuid, group.id, 10, 95);
    const hundred = await app.gql(W2, { name: "qc-2" }, { token: admin.token });
    expect(hundred.data?.organization.members.edges).toHaveLength(100);
    expect(hundred.data?.organization.members.pageInfo.hasNextPage).toBe(true);

    expect(statements(ten)).toBeLessThanOrEqual(4);
    expect(statements(hundred)).toBe(statements(ten));

    // Searching, sorting by the user's username and reading `nodes` cost the same, at any page size.
    const sortedTen = await app.gql(W2_SORTED, { name: "qc-2", first: 10 }, { token: admin.token });
    const sortedHundred = await app.gql(W2_SORTED, { name: "qc-2", first: 100 }, { token: admin.token });
    expect(sortedTen.errors).toBeUndefined();
    expect(sortedHundred.data?.organization.members.nodes).toHaveLength(100);
    expect(statements(sortedTen)).toBe(statements(ten));
    expect(statements(sortedHundred)).toBe(statements(ten));

    // Custom role definitions are read for the whole page at once.
    await app.prisma.customRole.create({
      data: { organizationId: org.uuid, name: "custom-ops", displayName: "Ops", permissions: [] },
    });
    await app.prisma.organizationMember.updateMany({
      where: { organizationId: org.uuid, user: { username: { startsWith: "m-" } } },
      data: { roles: ["custom-ops"] },
    });
    const custom = await app.gql(W2, { name: "qc-2" }, { token: admin.token });
    const customEdges = custom.data?.organization.members.edges;
    expect(
      customEdges.filter((e: any) => e.node.roles.some((r: any) => r.name === "custom-ops")).length,
    ).toBeGreaterThan(90);
    expect(statements(custom)).toBe(statements(ten) + 1);
  });
});

describe("users with their API tokens and last-seen time", () => {
  const USERS = `{ users(first: 100, orderBy: { field: LAST_SEEN_AT, direction: DESC }) {
    totalCount edges { node { id username lastSeenAt apiTokens { id name lastUsedAt } } } } }`;

  it("runs the same statements for 10 and 40 users with tokens (apiTokens batched per request)", async () => {
    const addUsersWithTokens = async (from: number, count: number) => {
      const users = Array.from({ length: count }, (_, i) => ({
        username: `tk-${from + i}`,
        email: `tk-${from + i}@example.com`,
      }));
      await app.prisma.user.createMany({ data: users });
      const rows = await app.prisma.user.findMany({ where: { username: { in: users.map((u) => u.username) } } });
      await app.prisma.apiToken.createMany({
        data: rows.map((u) => ({ userId: u.id, name: "t", secretHash: `h-${u.id}` })),
      });
    };
    await addUsersWithTokens(0, 10);
    const ten = await app.gql(USERS, {}, { token: owner.token });
    expect(ten.errors).toBeUndefined();
    await addUsersWithTokens(10, 30);
    const forty = await app.gql(USERS, {}, { token: owner.token });
    expect(
      forty.data?.users.edges.filter((e: { node: { apiTokens: unknown[] } }) => e.node.apiTokens.length === 1).length,
    ).toBe(40);
    expect(statements(forty)).toBe(statements(ten));
  });

  it("runs the same statements for a page of users with their organizations, whatever its size", async () => {
    const WITH_ORGANIZATIONS = `query($first: Int!) { users(first: $first, search: "uo-") {
      edges { node { username organizations { name } } } } }`;
    const [first, second] = orgs;
    if (!first || !second) throw new Error("no organizations");
    await app.prisma.user.createMany({
      data: Array.from({ length: 40 }, (_, i) => ({ username: `uo-${i}`, email: `uo-${i}@example.com` })),
    });
    const rows = await app.prisma.user.findMany({ where: { username: { startsWith: "uo-" } } });
    // Every user in qc-1, every other one in qc-2 as well.
    await app.prisma.organizationMember.createMany({
      data: rows.flatMap((u, i) => [
        { organizationId: first.uuid, userId: u.id },
        ...(i % 2 === 0 ? [{ organizationId: second.uuid, userId: u.id }] : []),
      ]),
    });
    const five = await app.gql(WITH_ORGANIZATIONS, { first: 5 }, { token: owner.token });
    expect(five.errors).toBeUndefined();
    const forty = await app.gql(WITH_ORGANIZATIONS, { first: 40 }, { token: owner.token });
    const names = forty.data?.users.edges.map((e: any) => e.node.organizations.map((o: any) => o.name));
    expect(names).toHaveLength(40);
    expect(names.filter((n: string[]) => n.join() === "qc-1,qc-2")).toHaveLength(20);
    expect(names.filter((n: string[]) => n.join() === "qc-1")).toHaveLength(20);
    expect(statements(forty)).toBe(statements(five));
  });
});

describe("nodes(ids:) and AuditLog.resource: one query per node type, whatever the number of ids", () => {
  const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Workspace { name } ... on Organization { name } } }`;
  const AUDIT = `query($org: ID!, $first: Int!) { auditLogs(organizationId: $org, first: $first) {
    nodes { resourceType resource { id ... on Workspace { name } ... on Template { name } } } } }`;

  it("looks up 3 and 21 ids of two types, and the resources of 3 and 21 audit events, with the same statements", async () => {
    const org = await organizationWithTemplate("qc-nodes");
    const member = await org.member("nodes-member");
    await addRunningWorkspaces(uuidOf(member.id), org, 20);
    const workspaces = await app.prisma.workspace.findMany({
      where: { organizationId: org.uuid },
      orderBy: { id: "asc" },
    });
    const workspaceIds = workspaces.map((w) => globalId("Workspace", w.id));

    const one = await app.gql(NODES, { ids: [org.id] }, { token: owner.token });
    const few = await app.gql(NODES, { ids: [org.id, ...workspaceIds.slice(0, 2)] }, { token: owner.token });
    const many = await app.gql(NODES, { ids: [org.id, ...workspaceIds] }, { token: owner.token });
    expect(many.errors).toBeUndefined();
    expect(many.data?.nodes.map((n: { id: string } | null) => n?.id)).toEqual([org.id, ...workspaceIds]);
    // The workspaces cost one query, however many.
    expect(statements(few)).toBe(statements(one) + 1);
    expect(statements(many)).toBe(statements(few));
    // The read rule holds in the batched query: a member of another organization reads none of them.
    const outsider = await orgs[0]?.member("nodes-outsider");
    const refused = await app.gql(NODES, { ids: [org.id, ...workspaceIds] }, { token: outsider?.token });
    expect(refused.data?.nodes.every((n: unknown) => n === null)).toBe(true);

    // Audit events (state for this read, straight in the database): one per workspace, then the template's.
    await app.prisma.auditLog.createMany({
      data: workspaces.map((w) => ({
        action: "START",
        resourceType: "WORKSPACE",
        resourceId: w.id,
        resourceName: w.name,
        organizationId: org.uuid,
      })),
    });
    await app.prisma.auditLog.create({
      data: { action: "UPDATE", resourceType: "TEMPLATE", resourceId: org.templateUuid, organizationId: org.uuid },
    });
    const fewEvents = await app.gql(AUDIT, { org: org.id, first: 3 }, { token: owner.token });
    const manyEvents = await app.gql(AUDIT, { org: org.id, first: 21 }, { token: owner.token });
    expect(manyEvents.errors).toBeUndefined();
    const resources = manyEvents.data?.auditLogs.nodes.map((n: { resource: { id: string } | null }) => n.resource?.id);
    expect(resources).toHaveLength(21);
    expect(resources).toContain(globalId("Template", org.templateUuid));
    expect(resources.filter((id: string | undefined) => workspaceIds.includes(id ?? ""))).toHaveLength(20);
    expect(statements(manyEvents)).toBe(statements(fewEvents));
  });
});

describe("W4 and W5: refusals cost (almost) nothing", () => {
  it("an unauthenticated request runs no SQL", async () => {
    const result = await app.gql(W1, {}, {});
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(statements(result)).toBe(0);
  });

  it("another tenant's id through node(id:) is one lookup after authentication", async () => {
    const [first, , third] = orgs;
    if (!first || !third) throw new Error("no organization");
    const outsider = await third.member("w5-outsider");
    const anonymousish = await app.gql(`{ __typename }`, {}, { token: outsider.token });
    const authOnly = statements(anonymousish);
    const foreign = globalId(
      "Workspace",
      (await app.prisma.workspace.findFirstOrThrow({ where: { organizationId: first.uuid } })).id,
    );
    const result = await app.gql(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: foreign },
      { token: outsider.token },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.node).toBeNull();
    expect(statements(result) - authOnly).toBeLessThanOrEqual(1);
  });
});

describe("W3: a member creates a workspace", () => {
  const CREATE = `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) {
    workspace { id name latestBuild { buildNumber } } userErrors { code message } } }`;

  // 12 since deleteTemplate: the template row is key-share locked, so a concurrent delete waits or is seen.
  it("runs at most 12 statements (transaction included); a version that costs credits adds the quota read (one statement)", async () => {
    const org = orgs[2];
    if (!org) throw new Error("no organization");
    const member = await org.member("w3-member");
    const everyone = await app.prisma.group.findFirstOrThrow({ where: { organizationId: org.uuid, isEveryone: true } });
    await app.prisma.templateGroupAcl.create({
      data: { templateId: org.templateUuid, groupId: everyone.id, role: "USE" },
    });
    const create = (name: string) =>
      app.gql(CREATE, { input: { templateId: globalId("Template", org.templateUuid), name } }, { token: member.token });

    const free = await create("w3-free");
    expect(free.data?.createWorkspace.userErrors).toEqual([]);
    expect(free.data?.createWorkspace.workspace.latestBuild.buildNumber).toBe(1);
    expect(statements(free)).toBeLessThanOrEqual(12);

    const template = await app.prisma.template.findUniqueOrThrow({ where: { id: org.templateUuid } });
    await app.prisma.templateVersion.update({
      where: { id: template.activeVersionId as string },
      data: { dailyCost: 1 },
    });
    await app.prisma.group.update({ where: { id: everyone.id }, data: { quotaAllowance: 10 } });
    const paid = await create("w3-paid");
    expect(paid.data?.createWorkspace.userErrors).toEqual([]);
    expect(statements(paid)).toBe(statements(free) + 1);
  });
});
