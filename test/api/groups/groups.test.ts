import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { errorCodes, type TestApp } from "../../support/harness.js";
import { type Cast, castApp, runMatrix } from "../../support/matrix.js";

let app: TestApp;
let cast: Cast;
let everyoneId: string;
beforeAll(async () => {
  ({ app, cast } = await castApp());
  const everyone = await app.prisma.group.findFirstOrThrow({
    where: { organizationId: uuidOf(cast.org.id), isEveryone: true },
  });
  everyoneId = globalId("Group", everyone.id);
});
afterAll(() => app?.close());

const GROUP_FIELDS = "id name displayName avatarUrl quotaAllowance source isEveryone organization { name }";
const CREATE = `mutation($input: CreateGroupInput!) {
  createGroup(input: $input) { group { ${GROUP_FIELDS} } userErrors { code message field } }
}`;
const UPDATE = `mutation($input: UpdateGroupInput!) {
  updateGroup(input: $input) {
    group { ${GROUP_FIELDS} totalMemberCount members { totalCount edges { node { username } } } }
    userErrors { code message field }
  }
}`;
const DELETE = `mutation($input: DeleteGroupInput!) {
  deleteGroup(input: $input) { deletedId userErrors { code message field } }
}`;
const RANDOM_GROUP = globalId("Group", "0190d1b2-7c3e-7000-8000-0000000000bb");

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${++counter}`;

async function makeGroup(name = uniqueName("g"), organizationId = cast.org.id): Promise<string> {
  const result = await app.gql(CREATE, { input: { organizationId, name } }, { token: cast.owner.token });
  expect(result.data?.createGroup.userErrors).toEqual([]);
  return result.data?.createGroup.group.id;
}

async function snapshot() {
  return {
    groups: await app.prisma.group.findMany({ orderBy: { id: "asc" } }),
    groupMembers: await app.prisma.groupMember.count(),
    audit: await app.prisma.auditLog.count(),
  };
}

const codesAndFields = (payload: { userErrors: { code: string; field: string[] }[] }) =>
  payload.userErrors.map((e) => [e.code, e.field]);

describe("createGroup", () => {
  it("creates a USER group with its fields, audited", async () => {
    const result = await app.gql(
      CREATE,
      {
        input: {
          organizationId: cast.org.id,
          name: "developers",
          displayName: "Developers",
          avatarUrl: "https://example.com/a.png",
          quotaAllowance: 10,
        },
      },
      { token: cast.orgAdmin.token },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.createGroup).toEqual({
      group: {
        id: expect.any(String),
        name: "developers",
        displayName: "Developers",
        avatarUrl: "https://example.com/a.png",
        quotaAllowance: 10,
        source: "USER",
        isEveryone: false,
        organization: { name: "org-a" },
      },
      userErrors: [],
    });
    const id = uuidOf(result.data?.createGroup.group.id);
    const audit = await app.prisma.auditLog.findMany({ where: { resourceId: id } });
    expect(audit.map((a) => [a.action, a.resourceType, a.organizationId])).toEqual([
      ["CREATE", "GROUP", uuidOf(cast.org.id)],
    ]);
  });

  it("defaults display name, avatar and allowance; the same name may exist in another organization", async () => {
    const mine = await app.gql(
      CREATE,
      { input: { organizationId: cast.org.id, name: "shared" } },
      {
        token: cast.owner.token,
      },
    );
    expect(mine.data?.createGroup.group).toMatchObject({ displayName: null, avatarUrl: null, quotaAllowance: 0 });
    const theirs = await app.gql(
      CREATE,
      { input: { organizationId: cast.otherOrg.id, name: "shared" } },
      {
        token: cast.owner.token,
      },
    );
    expect(theirs.data?.createGroup.userErrors).toEqual([]);
  });

  it("answers each broken rule with a userError at its field and writes nothing", async () => {
    await makeGroup("taken");
    const before = await snapshot();
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ name: "" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "x".repeat(37) }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "bad name" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "a--b" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "Everyone" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "everyone" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "taken" }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "TAKEN" }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "fine", quotaAllowance: -1 }, "INVALID_INPUT", ["input", "quotaAllowance"]],
      [{ name: "fine", avatarUrl: "data:image/png;base64,AAAA" }, "INVALID_INPUT", ["input", "avatarUrl"]],
      [{ name: "fine", displayName: "x".repeat(65) }, "INVALID_INPUT", ["input", "displayName"]],
      [{ name: "fine", displayName: " lead" }, "INVALID_INPUT", ["input", "displayName"]],
    ];
    for (const [input, code, field] of cases) {
      const result = await app.gql(
        CREATE,
        { input: { organizationId: cast.org.id, ...input } },
        {
          token: cast.owner.token,
        },
      );
      expect(result.errors, JSON.stringify(input)).toBeUndefined();
      expect(result.data?.createGroup.group).toBeNull();
      expect(codesAndFields(result.data?.createGroup), JSON.stringify(input)).toContainEqual([code, field]);
    }
    const longest = await app.gql(
      CREATE,
      { input: { organizationId: cast.org.id, name: "y".repeat(36) } },
      {
        token: cast.owner.token,
      },
    );
    expect(longest.data?.createGroup.userErrors).toEqual([]);
    const after = await snapshot();
    expect(after.groups).toHaveLength(before.groups.length + 1);
    expect(after.audit).toBe(before.audit + 1);
  });

  it("lets exactly one of two concurrent creations of a name (in any case) win", async () => {
    const results = await Promise.all(
      ["racers", "RACERS"].map((name) =>
        app.gql(CREATE, { input: { organizationId: cast.org.id, name } }, { token: cast.owner.token }),
      ),
    );
    const codes = results.map((r) => r.data?.createGroup.userErrors.map((e: { code: string }) => e.code));
    expect(codes.sort()).toEqual([[], ["NAME_TAKEN"]]);
  });

  it("follows the authorization matrix", async () => {
    const outcomes = await runMatrix(app, cast, CREATE, "createGroup", (actor) => ({
      organizationId: cast.org.id,
      name: `by-${actor.toLowerCase()}`,
    }));
    expect(outcomes).toEqual({
      owner: "ok",
      orgAdmin: "ok",
      member: "FORBIDDEN:GROUP:CREATE",
      outsider: "NOT_FOUND",
      orgAuditor: "FORBIDDEN:GROUP:CREATE",
      userAdmin: "ok",
      anonymous: "UNAUTHENTICATED",
      memberApiToken: "FORBIDDEN:GROUP:CREATE",
    });
    const made = await app.prisma.group.findMany({ where: { name: { startsWith: "by-" } }, orderBy: { name: "asc" } });
    expect(made.map((g) => g.name)).toEqual(["by-orgadmin", "by-owner", "by-useradmin"]);
  });
});

describe("updateGroup", () => {
  it("renames, changes allowance and avatar, adds and removes members, audited", async () => {
    const id = await makeGroup();
    const first = await app.gql(
      UPDATE,
      {
        input: {
          groupId: id,
          name: "renamed",
          displayName: "Renamed",
          quotaAllowance: 5,
          avatarUrl: "/icon/x.svg",
          addUserIds: [cast.member.id, cast.orgAuditor.id],
        },
      },
      { token: cast.orgAdmin.token },
    );
    expect(first.errors).toBeUndefined();
    expect(first.data?.updateGroup).toMatchObject({
      group: {
        name: "renamed",
        displayName: "Renamed",
        quotaAllowance: 5,
        avatarUrl: "/icon/x.svg",
        totalMemberCount: 2,
        members: { totalCount: 2 },
      },
      userErrors: [],
    });
    const second = await app.gql(
      UPDATE,
      { input: { groupId: id, removeUserIds: [cast.orgAuditor.id], addUserIds: [cast.member.id] } },
      { token: cast.orgAdmin.token },
    );
    expect(second.data?.updateGroup.group.members).toEqual({
      totalCount: 1,
      edges: [{ node: { username: "plain-member" } }],
    });
    const audit = await app.prisma.auditLog.findMany({
      where: { action: "UPDATE", resourceType: "GROUP", resourceId: uuidOf(id) },
      orderBy: { time: "asc" },
    });
    expect(audit.map((a) => a.diff)).toEqual([
      {
        name: { from: expect.any(String), to: "renamed" },
        displayName: { from: "", to: "Renamed" },
        avatarUrl: { from: "", to: "/icon/x.svg" },
        quotaAllowance: { from: 0, to: 5 },
        addedUserIds: [uuidOf(cast.member.id), uuidOf(cast.orgAuditor.id)],
      },
      { removedUserIds: [uuidOf(cast.orgAuditor.id)] },
    ]);
  });

  it("refuses adding non-members with NOT_A_MEMBER at each offending index, and writes nothing", async () => {
    const id = await makeGroup();
    const before = await snapshot();
    const result = await app.gql(
      UPDATE,
      { input: { groupId: id, name: "not-applied", addUserIds: [cast.member.id, cast.outsider.id, "garbage"] } },
      { token: cast.owner.token },
    );
    expect(result.data?.updateGroup.group).toBeNull();
    expect(codesAndFields(result.data?.updateGroup)).toEqual([
      ["NOT_A_MEMBER", ["input", "addUserIds", "1"]],
      ["NOT_A_MEMBER", ["input", "addUserIds", "2"]],
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it("answers broken rules with userErrors and writes nothing", async () => {
    const id = await makeGroup();
    await makeGroup("occupied");
    const before = await snapshot();
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ name: "occupied" }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "everyone" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "x".repeat(37) }, "INVALID_INPUT", ["input", "name"]],
      [{ quotaAllowance: -5 }, "INVALID_INPUT", ["input", "quotaAllowance"]],
      [{ avatarUrl: "javascript:x" }, "INVALID_INPUT", ["input", "avatarUrl"]],
      [{ addUserIds: [cast.member.id], removeUserIds: [cast.member.id] }, "INVALID_INPUT", ["input", "removeUserIds"]],
    ];
    for (const [input, code, field] of cases) {
      const result = await app.gql(UPDATE, { input: { groupId: id, ...input } }, { token: cast.owner.token });
      expect(result.errors, JSON.stringify(input)).toBeUndefined();
      expect(codesAndFields(result.data?.updateGroup), JSON.stringify(input)).toContainEqual([code, field]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("keeps the Everyone group's name and members, but lets its allowance and avatar change", async () => {
    const before = await snapshot();
    const refused: [Record<string, unknown>, string[]][] = [
      [{ name: "renamed" }, ["input", "name"]],
      [{ displayName: "All" }, ["input", "displayName"]],
      [{ addUserIds: [cast.member.id] }, ["input", "addUserIds"]],
      [{ removeUserIds: [cast.member.id] }, ["input", "removeUserIds"]],
    ];
    for (const [input, field] of refused) {
      const result = await app.gql(UPDATE, { input: { groupId: everyoneId, ...input } }, { token: cast.owner.token });
      expect(codesAndFields(result.data?.updateGroup), JSON.stringify(input)).toEqual([["INVALID_INPUT", field]]);
    }
    expect(await snapshot()).toEqual(before);
    const allowed = await app.gql(
      UPDATE,
      { input: { groupId: everyoneId, name: "Everyone", quotaAllowance: 3, avatarUrl: "/all.png" } },
      { token: cast.orgAdmin.token },
    );
    expect(allowed.data?.updateGroup.userErrors).toEqual([]);
    expect(allowed.data?.updateGroup.group).toMatchObject({
      name: "Everyone",
      isEveryone: true,
      quotaAllowance: 3,
      avatarUrl: "/all.png",
    });
  });

  it("follows the authorization matrix", async () => {
    const id = await makeGroup();
    const outcomes = await runMatrix(app, cast, UPDATE, "updateGroup", (actor) => ({
      groupId: id,
      displayName: `set by ${actor}`,
    }));
    expect(outcomes).toEqual({
      owner: "ok",
      orgAdmin: "ok",
      // Plain members may not read groups: to them the group does not exist.
      member: "NOT_FOUND",
      outsider: "NOT_FOUND",
      orgAuditor: "FORBIDDEN:GROUP:UPDATE",
      userAdmin: "ok",
      anonymous: "UNAUTHENTICATED",
      memberApiToken: "NOT_FOUND",
    });
    expect((await app.prisma.group.findUniqueOrThrow({ where: { id: uuidOf(id) } })).displayName).toBe(
      "set by userAdmin",
    );
  });

  it("answers another tenant's group exactly like one that never existed", async () => {
    const foreignGroup = await makeGroup(uniqueName("b"), cast.otherOrg.id);
    const foreign = await app.gql(
      UPDATE,
      { input: { groupId: foreignGroup, quotaAllowance: 1 } },
      {
        token: cast.orgAdmin.token,
      },
    );
    const missing = await app.gql(
      UPDATE,
      { input: { groupId: RANDOM_GROUP, quotaAllowance: 1 } },
      {
        token: cast.orgAdmin.token,
      },
    );
    const wrongType = await app.gql(
      UPDATE,
      { input: { groupId: cast.org.id, quotaAllowance: 1 } },
      {
        token: cast.orgAdmin.token,
      },
    );
    expect(errorCodes(foreign)).toEqual(["NOT_FOUND"]);
    expect(foreign.errors).toEqual(missing.errors);
    expect(wrongType.errors).toEqual(missing.errors);
  });
});

describe("deleteGroup", () => {
  it("deletes a group and its memberships, audited", async () => {
    const id = await makeGroup();
    await app.gql(UPDATE, { input: { groupId: id, addUserIds: [cast.member.id] } }, { token: cast.owner.token });
    const result = await app.gql(DELETE, { input: { groupId: id } }, { token: cast.orgAdmin.token });
    expect(result.data?.deleteGroup).toEqual({ deletedId: id, userErrors: [] });
    expect(await app.prisma.group.findUnique({ where: { id: uuidOf(id) } })).toBeNull();
    expect(await app.prisma.groupMember.count({ where: { groupId: uuidOf(id) } })).toBe(0);
    const audit = await app.prisma.auditLog.findMany({ where: { action: "DELETE", resourceId: uuidOf(id) } });
    expect(audit.map((a) => [a.resourceType, a.organizationId])).toEqual([["GROUP", uuidOf(cast.org.id)]]);
  });

  it("never deletes the Everyone group", async () => {
    const before = await snapshot();
    const result = await app.gql(DELETE, { input: { groupId: everyoneId } }, { token: cast.owner.token });
    expect(result.data?.deleteGroup.deletedId).toBeNull();
    expect(codesAndFields(result.data?.deleteGroup)).toEqual([["INVALID_INPUT", ["input", "groupId"]]]);
    expect(await snapshot()).toEqual(before);
  });

  it("follows the authorization matrix", async () => {
    const groups = new Map<string, string>();
    const outcomes = await runMatrix(app, cast, DELETE, "deleteGroup", async (actor) => {
      const id = await makeGroup();
      groups.set(actor, id);
      return { groupId: id };
    });
    expect(outcomes).toEqual({
      owner: "ok",
      orgAdmin: "ok",
      member: "NOT_FOUND",
      outsider: "NOT_FOUND",
      orgAuditor: "FORBIDDEN:GROUP:DELETE",
      userAdmin: "ok",
      anonymous: "UNAUTHENTICATED",
      memberApiToken: "NOT_FOUND",
    });
    for (const [actor, id] of groups) {
      const exists = (await app.prisma.group.count({ where: { id: uuidOf(id) } })) === 1;
      expect(exists, actor).toBe(outcomes[actor as keyof typeof outcomes] !== "ok");
    }
  });
});

describe("reading groups", () => {
  const GROUPS = `query($name: String!, $first: Int, $after: String) { organization(name: $name) {
    groups(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name isEveryone } } } } }`;

  it("lists groups only to those who may read them, with matching totalCount", async () => {
    const stored = await app.prisma.group.count({ where: { organizationId: uuidOf(cast.org.id) } });
    for (const token of [cast.owner.token, cast.orgAdmin.token, cast.orgAuditor.token, cast.userAdmin.token]) {
      const result = await app.gql(GROUPS, { name: "org-a", first: 100 }, { token });
      expect(result.errors).toBeUndefined();
      const groups = result.data?.organization.groups;
      expect(groups.totalCount).toBe(stored);
      expect(groups.edges).toHaveLength(stored);
      expect(groups.edges[0].node).toMatchObject({ name: "Everyone", isEveryone: true });
    }
    for (const token of [cast.member.token, cast.memberApiToken]) {
      const groups = (await app.gql(GROUPS, { name: "org-a" }, { token })).data?.organization.groups;
      expect(groups).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
    }
  });

  it("pages through groups", async () => {
    const stored = await app.prisma.group.count({ where: { organizationId: uuidOf(cast.org.id) } });
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const groups: any = (await app.gql(GROUPS, { name: "org-a", first: 3, after }, { token: cast.owner.token })).data
        ?.organization.groups;
      expect(groups.totalCount).toBe(stored);
      seen.push(...groups.edges.map((e: any) => e.node.id));
      if (!groups.pageInfo.hasNextPage) break;
      after = groups.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(stored);
  });

  it("resolves node(id) only for readers", async () => {
    const id = await makeGroup();
    const query = `query($id: ID!) { node(id: $id) { ... on Group { name } } }`;
    expect((await app.gql(query, { id }, { token: cast.orgAuditor.token })).data?.node).toMatchObject({
      name: expect.any(String),
    });
    for (const token of [cast.member.token, cast.outsider.token]) {
      expect((await app.gql(query, { id }, { token })).data?.node).toBeNull();
    }
  });

  it("counts Everyone as every member of the organization, and pages its members", async () => {
    const query = `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Group {
      totalMemberCount members(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } } }`;
    const memberCount = await app.prisma.organizationMember.count({ where: { organizationId: uuidOf(cast.org.id) } });
    expect(await app.prisma.groupMember.count({ where: { groupId: uuidOf(everyoneId) } })).toBe(0);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const group: any = (await app.gql(query, { id: everyoneId, first: 2, after }, { token: cast.orgAuditor.token }))
        .data?.node;
      expect(group.totalMemberCount).toBe(memberCount);
      expect(group.members.totalCount).toBe(memberCount);
      seen.push(...group.members.edges.map((e: any) => e.node.id));
      if (!group.members.pageInfo.hasNextPage) break;
      after = group.members.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(memberCount);
    // A new member is in Everyone at once, without a stored row.
    await cast.org.add(await cast.owner.user("newcomer"));
    const after1 = (await app.gql(query, { id: everyoneId }, { token: cast.orgAuditor.token })).data?.node;
    expect(after1.totalMemberCount).toBe(memberCount + 1);
  });
});
