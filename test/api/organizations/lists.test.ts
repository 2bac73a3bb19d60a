// Lists a UI shows: search, filters and orderBy with keyset cursors (paging forwards and
// backwards visits every row once, in the database's order), nodes(ids:) with node(id:)'s read
// rule, the global ids a normalized cache keys on, and nullable mutation root fields.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { errorCodes, type TestApp } from "../../support/harness.js";
import { type Cast, castApp } from "../../support/matrix.js";

let app: TestApp;
let cast: Cast;
let orgUuid: string;
let templateUuid: string;

const NAMES = ["delta", "alpha", "echo", "charlie", "bravo", "foxtrot", "golf"];

beforeAll(async () => {
  ({ app, cast } = await castApp());
  orgUuid = uuidOf(cast.org.id);
  // Members with names to search; two share a name, so the id tie-break decides their order.
  for (const [i, name] of NAMES.entries()) {
    const user = await app.prisma.user.create({
      data: {
        username: `list-${name}`,
        email: `list-${name}@example.com`,
        name: i < 2 ? "Shared Target" : `Person ${name}`,
      },
    });
    await app.prisma.organizationMember.create({ data: { organizationId: orgUuid, userId: user.id } });
  }
  const job = await app.prisma.provisionerJob.create({
    data: { organizationId: orgUuid, type: "TEMPLATE_VERSION_IMPORT", status: "SUCCEEDED" },
  });
  const version = await app.prisma.templateVersion.create({
    data: { organizationId: orgUuid, name: "v1", jobId: job.id },
  });
  for (const name of NAMES) {
    const template = await app.prisma.template.create({
      data: { organizationId: orgUuid, name: `tpl-${name}`, activeVersionId: name === "alpha" ? version.id : null },
    });
    if (name === "alpha") templateUuid = template.id;
  }
  for (const name of NAMES) {
    await app.prisma.workspace.create({
      data: { organizationId: orgUuid, ownerId: uuidOf(cast.member.id), templateId: templateUuid, name: `ws-${name}` },
    });
  }
});
afterAll(() => app?.close());

type Page = { pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string } };

/** Walks a list two rows at a time, forwards with first/after or backwards with last/before. */
async function walk<T>(
  fetch: (page: { first?: number; after?: string; last?: number; before?: string }) => Promise<Page & { nodes: T[] }>,
  backwards = false,
): Promise<T[]> {
  const seen: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await fetch(backwards ? { last: 2, before: cursor } : { first: 2, after: cursor });
    if (backwards) seen.unshift(...page.nodes);
    else seen.push(...page.nodes);
    const more = backwards ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage;
    if (!more) return seen;
    cursor = backwards ? page.pageInfo.startCursor : page.pageInfo.endCursor;
  }
  throw new Error("the list did not end");
}

const MEMBERS = `query($org: String!, $first: Int, $after: String, $last: Int, $before: String, $search: String, $role: String, $orderBy: MemberOrderBy) {
  organization(name: $org) {
    members(first: $first, after: $after, last: $last, before: $before, search: $search, role: $role, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      nodes { id user { username name } }
    }
  }
}`;

async function members(variables: Record<string, unknown>, token = cast.orgAdmin.token) {
  const result = await app.gql(MEMBERS, { org: cast.org.name, ...variables }, { token });
  expect(result.errors).toBeUndefined();
  return result.data?.organization.members;
}

/** What the database answers for the same order, to compare pages with. */
async function membersInDatabase(column: "username" | "name", direction: "asc" | "desc") {
  const rows = await app.prisma.organizationMember.findMany({
    where: { organizationId: orgUuid },
    orderBy: [{ user: { [column]: direction } }, { userId: direction }],
    select: { user: { select: { username: true } } },
  });
  return rows.map((row) => row.user.username);
}

describe("Organization.members(search:, role:, orderBy:)", () => {
  it.each([
    ["USERNAME", "ASC"],
    ["USERNAME", "DESC"],
    ["NAME", "ASC"],
    ["NAME", "DESC"],
  ] as const)(
    "pages by %s %s forwards and backwards through every member once, in the database's order",
    async (field, direction) => {
      const orderBy = { field, direction };
      const expected = await membersInDatabase(
        field === "USERNAME" ? "username" : "name",
        direction === "ASC" ? "asc" : "desc",
      );
      const fetch = (page: Record<string, unknown>) => members({ ...page, orderBy });
      const forwards = await walk<{ user: { username: string } }>(fetch);
      expect(forwards.map((m) => m.user.username)).toEqual(expected);
      const backwards = await walk<{ user: { username: string } }>(fetch, true);
      expect(backwards.map((m) => m.user.username)).toEqual(expected);
    },
  );

  it("keeps paging after the row its cursor names was removed: the cursor holds the sort value", async () => {
    const orderBy = { field: "USERNAME", direction: "ASC" };
    const first = await members({ first: 3, orderBy, search: "list-" });
    const removed = uuidOf(await userId(first.nodes[2].user.username));
    const key = { organizationId_userId: { organizationId: orgUuid, userId: removed } };
    await app.prisma.organizationMember.delete({ where: key });
    const next = await members({ first: 3, after: first.pageInfo.endCursor, orderBy, search: "list-" });
    expect(next.nodes.map((m: { user: { username: string } }) => m.user.username)).toEqual([
      "list-delta",
      "list-echo",
      "list-foxtrot",
    ]);
    await app.prisma.organizationMember.create({ data: { organizationId: orgUuid, userId: removed } });
  });

  it("searches username and name ignoring case, counting only matches; wildcards match themselves", async () => {
    const found = await members({ search: "sHaReD tArGeT", orderBy: { field: "USERNAME", direction: "ASC" } });
    expect(found.totalCount).toBe(2);
    expect(found.nodes.map((m: { user: { username: string } }) => m.user.username)).toEqual([
      "list-alpha",
      "list-delta",
    ]);
    expect(
      (await members({ search: "LIST-ECH" })).nodes.map((m: { user: { username: string } }) => m.user.username),
    ).toEqual(["list-echo"]);
    expect((await members({ search: "%" })).totalCount).toBe(0);
    expect((await members({ search: "   " })).totalCount).toBe(NAMES.length + 4);
  });

  it("filters by role; organization-member matches every member", async () => {
    const admins = await members({ role: "organization-admin" });
    expect(admins.nodes.map((m: { user: { username: string } }) => m.user.username)).toEqual(["org-admin"]);
    expect((await members({ role: "organization-member" })).totalCount).toBe(NAMES.length + 4);
  });

  it("refuses a cursor of another order or a made-up one as BAD_USER_INPUT", async () => {
    const page = await members({ first: 1, orderBy: { field: "USERNAME", direction: "ASC" } });
    const other = await app.gql(
      MEMBERS,
      { org: cast.org.name, first: 1, after: page.pageInfo.endCursor, orderBy: { field: "NAME", direction: "ASC" } },
      { token: cast.orgAdmin.token },
    );
    expect(errorCodes(other)).toEqual(["BAD_USER_INPUT"]);
    const madeUp = await app.gql(
      MEMBERS,
      { org: cast.org.name, after: "bm90LWEtY3Vyc29y" },
      { token: cast.orgAdmin.token },
    );
    expect(errorCodes(madeUp)).toEqual(["BAD_USER_INPUT"]);
  });
});

async function userId(username: string): Promise<string> {
  const user = await app.prisma.user.findUniqueOrThrow({ where: { username }, select: { id: true } });
  return globalId("User", user.id);
}

describe("templates, workspaces, groups and organizations", () => {
  it("sorts and searches templates, paging by name both ways", async () => {
    const TEMPLATES = `query($org: ID, $first: Int, $after: String, $last: Int, $before: String, $search: String, $orderBy: TemplateOrderBy) {
      templates(organizationId: $org, first: $first, after: $after, last: $last, before: $before, search: $search, orderBy: $orderBy) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { name }
      }
    }`;
    const fetch = async (page: Record<string, unknown>) => {
      const result = await app.gql(
        TEMPLATES,
        { org: cast.org.id, orderBy: { field: "NAME", direction: "DESC" }, ...page },
        { token: cast.owner.token },
      );
      expect(result.errors).toBeUndefined();
      return result.data?.templates;
    };
    const expected = NAMES.map((n) => `tpl-${n}`)
      .sort()
      .reverse();
    expect((await walk<{ name: string }>(fetch)).map((t) => t.name)).toEqual(expected);
    expect((await walk<{ name: string }>(fetch, true)).map((t) => t.name)).toEqual(expected);
    const searched = await fetch({ search: "TPL-B" });
    expect(searched.nodes).toEqual([{ name: "tpl-bravo" }]);
    expect(searched.totalCount).toBe(1);
  });

  it("filters workspaces by template, owner and search, sorted by name; the read rule applies first", async () => {
    const WORKSPACES = `query($templateId: ID, $ownerId: ID, $search: String, $orderBy: WorkspaceOrderBy) {
      workspaces(templateId: $templateId, ownerId: $ownerId, search: $search, orderBy: $orderBy) { totalCount nodes { name } }
    }`;
    const ask = async (token: string, variables: Record<string, unknown>) => {
      const result = await app.gql(WORKSPACES, variables, { token });
      expect(result.errors).toBeUndefined();
      return result.data?.workspaces;
    };
    const template = globalId("Template", templateUuid);
    const byName = await ask(cast.member.token, {
      templateId: template,
      ownerId: cast.member.id,
      orderBy: { field: "NAME", direction: "ASC" },
    });
    expect(byName.nodes.map((w: { name: string }) => w.name)).toEqual(NAMES.map((n) => `ws-${n}`).sort());
    expect((await ask(cast.member.token, { search: "WS-G" })).nodes).toEqual([{ name: "ws-golf" }]);
    expect((await ask(cast.member.token, { ownerId: cast.orgAdmin.id })).totalCount).toBe(0);
    expect((await ask(cast.member.token, { templateId: globalId("Template", orgUuid) })).totalCount).toBe(0);
    // Another organization's member reads none of them, whatever the filter.
    expect((await ask(cast.outsider.token, { templateId: template })).totalCount).toBe(0);
  });

  it("searches groups and organizations ignoring case", async () => {
    const result = await app.gql(
      `query($org: String!) {
        organization(name: $org) { groups(search: "EVERY") { totalCount nodes { name } } none: groups(search: "zz") { totalCount } }
        organizations(search: "ORG-B") { nodes { name } }
      }`,
      { org: cast.org.name },
      { token: cast.owner.token },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.organization.groups.nodes).toEqual([{ name: "Everyone" }]);
    expect(result.data?.organization.none.totalCount).toBe(0);
    expect(result.data?.organizations.nodes).toEqual([{ name: "org-b" }]);
  });
});

describe("nodes(ids:) and global ids", () => {
  const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`;

  it("answers each id as node(id:) does: null for what the viewer may not read, malformed or unknown", async () => {
    const ids = [cast.org.id, cast.otherOrg.id, "garbage", globalId("Workspace", orgUuid)];
    const member = await app.gql(NODES, { ids }, { token: cast.member.token });
    expect(member.errors).toBeUndefined();
    expect(member.data?.nodes).toEqual([{ __typename: "Organization", id: cast.org.id }, null, null, null]);
    for (const [i, id] of ids.entries()) {
      const single = await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, { token: cast.member.token });
      expect(single.data?.node?.id ?? null).toBe(member.data?.nodes[i]?.id ?? null);
    }
    const anonymous = await app.gql(NODES, { ids });
    expect(anonymous.data?.nodes).toEqual([null, null, null, null]);
  });

  it("refuses more than 100 ids", async () => {
    const result = await app.gql(
      NODES,
      { ids: Array.from({ length: 101 }, () => cast.org.id) },
      { token: cast.owner.token },
    );
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
  });

  it("gives members, roles, ACLs and quotas ids that node(id:) resolves under the same read rules", async () => {
    const ids = await app.gql(
      `query($org: String!, $user: ID!) {
        organization(name: $org) {
          member(userId: $user) { id roles { id } workspaceQuota { id budget } }
          roles { id name assignable }
          templates(first: 1, orderBy: { field: NAME, direction: ASC }) { nodes { acl { id } } }
        }
      }`,
      { org: cast.org.name, user: cast.orgAdmin.id },
      { token: cast.owner.token },
    );
    expect(ids.errors).toBeUndefined();
    const org = ids.data?.organization;
    const memberId = org.member.id;
    const roleId = org.member.roles[0].id;
    const quotaId = org.member.workspaceQuota.id;
    const aclId = org.templates.nodes[0].acl.id;
    expect(org.roles.find((r: { name: string }) => r.name === "organization-member").assignable).toBe(false);
    expect(org.roles.find((r: { name: string }) => r.name === "organization-admin").assignable).toBe(true);
    const all = [memberId, roleId, quotaId, aclId];
    const owner = await app.gql(NODES, { ids: all }, { token: cast.owner.token });
    expect(owner.data?.nodes).toEqual([
      { __typename: "OrganizationMember", id: memberId },
      { __typename: "Role", id: roleId },
      { __typename: "WorkspaceQuota", id: quotaId },
      { __typename: "TemplateAcl", id: aclId },
    ]);
    // A plain member reads members and roles, but not another member's quota nor a template's ACL.
    const member = await app.gql(NODES, { ids: all }, { token: cast.member.token });
    expect(member.data?.nodes.map((n: { __typename: string } | null) => n?.__typename ?? null)).toEqual([
      "OrganizationMember",
      "Role",
      null,
      null,
    ]);
    // Another organization's member reads none of them.
    const outsider = await app.gql(NODES, { ids: all }, { token: cast.outsider.token });
    expect(outsider.data?.nodes).toEqual([null, null, null, null]);
  });

  it("answers the same member id after updateOrganizationMemberRoles, with the new roles (a cache updates in place)", async () => {
    const user = await userId("list-golf");
    const before = await app.gql(
      `query($org: String!, $user: ID!) { organization(name: $org) { member(userId: $user) { id roles { id name } } } }`,
      { org: cast.org.name, user },
      { token: cast.owner.token },
    );
    const updated = await app.gql(
      `mutation($input: UpdateOrganizationMemberRolesInput!) {
        updateOrganizationMemberRoles(input: $input) { member { id roles { id name } } userErrors { code } }
      }`,
      { input: { organizationId: cast.org.id, userId: user, roles: ["organization-auditor"] } },
      { token: cast.owner.token },
    );
    expect(updated.data?.updateOrganizationMemberRoles.member.id).toBe(before.data?.organization.member.id);
    expect(updated.data?.updateOrganizationMemberRoles.member.roles.map((r: { name: string }) => r.name)).toEqual([
      "organization-auditor",
    ]);
  });
});

describe("mutation root fields are nullable", () => {
  it("keeps the data of the mutations that ran when another in the same document is refused", async () => {
    const result = await app.gql(
      `mutation($group: CreateGroupInput!, $org: CreateOrganizationInput!) {
        createGroup(input: $group) { group { name } userErrors { code } }
        createOrganization(input: $org) { organization { name } userErrors { code } }
      }`,
      { group: { organizationId: cast.org.id, name: "kept-group" }, org: { name: "refused-org" } },
      { token: cast.orgAdmin.token },
    );
    expect(result.data?.createGroup).toEqual({ group: { name: "kept-group" }, userErrors: [] });
    expect(result.data?.createOrganization).toBeNull();
    expect(result.errors?.[0]?.path).toEqual(["createOrganization"]);
  });
});
