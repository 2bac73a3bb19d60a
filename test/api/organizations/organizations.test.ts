import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { type Cast, castApp, runMatrix } from "../../support/matrix.js";
import { seed } from "../../support/seed.js";

let app: TestApp;
let cast: Cast;
beforeAll(async () => {
  ({ app, cast } = await castApp());
});
afterAll(() => app?.close());

const CREATE = `mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    organization { id name displayName description icon isDefault }
    userErrors { code message field }
  }
}`;
const UPDATE = `mutation($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization { id name displayName description icon isDefault }
    userErrors { code message field }
  }
}`;
const DELETE = `mutation($input: DeleteOrganizationInput!) {
  deleteOrganization(input: $input) { deletedId userErrors { code message field } }
}`;

const RANDOM_ORG = globalId("Organization", "0190d1b2-7c3e-7000-8000-000000000001");

async function defaultOrganizationId(): Promise<string> {
  const row = await app.prisma.organization.findFirstOrThrow({ where: { isDefault: true } });
  return globalId("Organization", row.id);
}

/** Rows whose count must not move when a write is refused. */
async function snapshot() {
  return {
    organizations: await app.prisma.organization.findMany({ orderBy: { id: "asc" } }),
    groups: await app.prisma.group.count(),
    members: await app.prisma.organizationMember.count(),
    audit: await app.prisma.auditLog.count(),
  };
}

describe("createOrganization", () => {
  it("creates the organization, its Everyone group and the creator's role-less membership, audited", async () => {
    const result = await app.gql(
      CREATE,
      { input: { name: "data-platform", description: "Data team", icon: "https://example.com/icon.png" } },
      { token: cast.owner.token },
    );
    expect(result.errors).toBeUndefined();
    const payload = result.data?.createOrganization;
    expect(payload.userErrors).toEqual([]);
    expect(payload.organization).toMatchObject({
      name: "data-platform",
      displayName: "data-platform",
      description: "Data team",
      icon: "https://example.com/icon.png",
      isDefault: false,
    });
    const id = uuidOf(payload.organization.id);
    const groups = await app.prisma.group.findMany({ where: { organizationId: id } });
    expect(groups.map((g) => [g.name, g.isEveryone, g.source])).toEqual([["Everyone", true, "USER"]]);
    const members = await app.prisma.organizationMember.findMany({ where: { organizationId: id } });
    expect(members.map((m) => [m.userId, m.roles])).toEqual([[uuidOf(cast.owner.id), []]]);
    const audit = await app.prisma.auditLog.findMany({ where: { resourceId: id } });
    expect(audit.map((a) => [a.action, a.resourceType, a.organizationId, a.actorId])).toEqual([
      ["CREATE", "ORGANIZATION", id, uuidOf(cast.owner.id)],
    ]);

    const seen = await app.gql(
      `query($name: String!) { organization(name: $name) {
        members { totalCount edges { node { user { username } roles { name } } } }
        groups { totalCount edges { node { name isEveryone } } } } }`,
      { name: "DATA-PLATFORM" },
      { token: cast.owner.token },
    );
    expect(seen.data?.organization).toEqual({
      members: { totalCount: 1, edges: [{ node: { user: { username: "owner" }, roles: [] } }] },
      groups: { totalCount: 1, edges: [{ node: { name: "Everyone", isEveryone: true } }] },
    });
  });

  it("keeps a given display name", async () => {
    const result = await app.gql(
      CREATE,
      { input: { name: "named", displayName: "Named Team" } },
      { token: cast.owner.token },
    );
    expect(result.data?.createOrganization.organization.displayName).toBe("Named Team");
  });

  it("answers each broken rule with a userError at its field and writes nothing", async () => {
    const before = await snapshot();
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ name: "" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "x".repeat(33) }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "two--hyphens" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "-lead" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "trail-" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "has space" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "under_score" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "default" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "Default" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "new" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "CREATE" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "org-a" }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "ORG-A" }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "ok-name", displayName: "d".repeat(65) }, "INVALID_INPUT", ["input", "displayName"]],
      [{ name: "ok-name", displayName: " padded" }, "INVALID_INPUT", ["input", "displayName"]],
      [{ name: "ok-name", displayName: "padded " }, "INVALID_INPUT", ["input", "displayName"]],
      [{ name: "ok-name", icon: "javascript:alert(1)" }, "INVALID_INPUT", ["input", "icon"]],
      [{ name: "ok-name", description: "x".repeat(1025) }, "INVALID_INPUT", ["input", "description"]],
    ];
    for (const [input, code, field] of cases) {
      const result = await app.gql(CREATE, { input }, { token: cast.owner.token });
      expect(result.errors, JSON.stringify(input)).toBeUndefined();
      const payload = result.data?.createOrganization;
      expect(payload.organization, JSON.stringify(input)).toBeNull();
      expect(payload.userErrors.map((e: { code: string; field: string[] }) => [e.code, e.field])).toContainEqual([
        code,
        field,
      ]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("accepts the longest name and display name", async () => {
    const name = `a${"-b".repeat(15)}c`;
    expect(name).toHaveLength(32);
    const result = await app.gql(CREATE, { input: { name, displayName: "D".repeat(64) } }, { token: cast.owner.token });
    expect(result.data?.createOrganization.userErrors).toEqual([]);
  });

  it("lets exactly one of two concurrent creations with the same name win", async () => {
    const results = await Promise.all(
      ["race", "RACE"].map((name) => app.gql(CREATE, { input: { name } }, { token: cast.owner.token })),
    );
    const codes = results.map((r) => r.data?.createOrganization.userErrors.map((e: { code: string }) => e.code));
    expect(codes.sort()).toEqual([[], ["NAME_TAKEN"]]);
    expect(await app.prisma.organization.count({ where: { name: { equals: "race", mode: "insensitive" } } })).toBe(1);
  });

  it("is for site owners only", async () => {
    const outcomes = await runMatrix(app, cast, CREATE, "createOrganization", (actor) => ({
      name: `by-${actor.toLowerCase()}`,
    }));
    expect(outcomes).toEqual({
      owner: "ok",
      orgAdmin: "FORBIDDEN:ORGANIZATION:CREATE",
      member: "FORBIDDEN:ORGANIZATION:CREATE",
      outsider: "FORBIDDEN:ORGANIZATION:CREATE",
      orgAuditor: "FORBIDDEN:ORGANIZATION:CREATE",
      userAdmin: "FORBIDDEN:ORGANIZATION:CREATE",
      anonymous: "UNAUTHENTICATED",
      memberApiToken: "FORBIDDEN:ORGANIZATION:CREATE",
    });
    const made = await app.prisma.organization.findMany({ where: { name: { startsWith: "by-" } } });
    expect(made.map((o) => o.name)).toEqual(["by-owner"]);
  });
});

describe("MULTI_ORGANIZATION=false", () => {
  it("keeps the default organization only: createOrganization is FEATURE_DISABLED", async () => {
    const single = await createTestApp({ MULTI_ORGANIZATION: "false" });
    try {
      const owner = await seed(single).owner();
      const result = await single.gql(CREATE, { input: { name: "second" } }, { token: owner.token });
      expect(result.errors).toBeUndefined();
      expect(result.data?.createOrganization.organization).toBeNull();
      expect(result.data?.createOrganization.userErrors.map((e: { code: string }) => e.code)).toEqual([
        "FEATURE_DISABLED",
      ]);
      expect(await single.prisma.organization.count()).toBe(1);
      const list = await single.gql(
        "{ organizations { totalCount edges { node { name isDefault } } } }",
        {},
        {
          token: owner.token,
        },
      );
      expect(list.data?.organizations).toEqual({
        totalCount: 1,
        edges: [{ node: { name: "default", isDefault: true } }],
      });
      const user = await owner.user("someone");
      const refused = await single.gql(CREATE, { input: { name: "third" } }, { token: user.token });
      expect(refused.errors?.[0]?.extensions).toEqual({
        code: "FORBIDDEN",
        resource: "ORGANIZATION",
        action: "CREATE",
        reason: "Missing CREATE on ORGANIZATION; owner would grant it.",
        nearestRole: "owner",
      });
    } finally {
      await single.close();
    }
  });
});

describe("updateOrganization", () => {
  it("changes name, display name, description and icon, and audits the diff", async () => {
    const org = await cast.owner.org("to-update", { throughApi: true });
    const result = await app.gql(
      UPDATE,
      {
        input: {
          organizationId: org.id,
          name: "updated",
          displayName: "Updated Org",
          description: "now described",
          icon: "/emojis/1f680.png",
        },
      },
      { token: cast.owner.token },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.updateOrganization).toEqual({
      organization: {
        id: org.id,
        name: "updated",
        displayName: "Updated Org",
        description: "now described",
        icon: "/emojis/1f680.png",
        isDefault: false,
      },
      userErrors: [],
    });
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { action: "UPDATE", resourceId: uuidOf(org.id) },
    });
    expect(audit.diff).toEqual({
      name: { from: "to-update", to: "updated" },
      displayName: { from: "to-update", to: "Updated Org" },
      description: { from: "", to: "now described" },
      icon: { from: "", to: "/emojis/1f680.png" },
    });
    expect(audit.organizationId).toBe(uuidOf(org.id));
  });

  it("lets the default organization be renamed, and keep its reserved name", async () => {
    const id = await defaultOrganizationId();
    const renamed = await app.gql(UPDATE, { input: { organizationId: id, name: "main" } }, { token: cast.owner.token });
    expect(renamed.data?.updateOrganization.organization).toMatchObject({ name: "main", isDefault: true });
    const back = await app.gql(UPDATE, { input: { organizationId: id, name: "default" } }, { token: cast.owner.token });
    expect(back.data?.updateOrganization.userErrors).toEqual([]);
    expect(back.data?.updateOrganization.organization.name).toBe("default");
  });

  it("answers broken rules with userErrors and writes nothing", async () => {
    const before = await snapshot();
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ name: "default" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "create" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "org-b" }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "Org-B" }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "bad name" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "" }, "INVALID_INPUT", ["input", "name"]],
      [{ displayName: " x" }, "INVALID_INPUT", ["input", "displayName"]],
      [{ icon: "ftp://example.com/x.png" }, "INVALID_INPUT", ["input", "icon"]],
    ];
    for (const [input, code, field] of cases) {
      const result = await app.gql(
        UPDATE,
        { input: { organizationId: cast.org.id, ...input } },
        {
          token: cast.owner.token,
        },
      );
      expect(result.errors, JSON.stringify(input)).toBeUndefined();
      expect(result.data?.updateOrganization.organization).toBeNull();
      expect(
        result.data?.updateOrganization.userErrors.map((e: { code: string; field: string[] }) => [e.code, e.field]),
      ).toContainEqual([code, field]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("is allowed to owners and the organization's admins; others get FORBIDDEN or NOT_FOUND", async () => {
    const outcomes = await runMatrix(app, cast, UPDATE, "updateOrganization", (actor) => ({
      organizationId: cast.org.id,
      description: `set by ${actor}`,
    }));
    expect(outcomes).toEqual({
      owner: "ok",
      orgAdmin: "ok",
      member: "FORBIDDEN:ORGANIZATION:UPDATE",
      outsider: "NOT_FOUND",
      orgAuditor: "FORBIDDEN:ORGANIZATION:UPDATE",
      userAdmin: "FORBIDDEN:ORGANIZATION:UPDATE",
      anonymous: "UNAUTHENTICATED",
      memberApiToken: "FORBIDDEN:ORGANIZATION:UPDATE",
    });
    const org = await app.prisma.organization.findUniqueOrThrow({ where: { id: uuidOf(cast.org.id) } });
    expect(org.description).toBe("set by orgAdmin");
  });

  it("answers another tenant's organization exactly like an id that never existed", async () => {
    const foreign = await app.gql(
      UPDATE,
      { input: { organizationId: cast.org.id, name: "x" } },
      {
        token: cast.outsider.token,
      },
    );
    const missing = await app.gql(
      UPDATE,
      { input: { organizationId: RANDOM_ORG, name: "x" } },
      {
        token: cast.outsider.token,
      },
    );
    const malformed = await app.gql(
      UPDATE,
      { input: { organizationId: "not-an-id", name: "x" } },
      {
        token: cast.outsider.token,
      },
    );
    expect(errorCodes(foreign)).toEqual(["NOT_FOUND"]);
    expect(foreign.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    expect(foreign.errors?.[0]?.extensions).toEqual(missing.errors?.[0]?.extensions);
    expect(malformed.errors?.[0]?.extensions).toEqual(missing.errors?.[0]?.extensions);
    const ownerMissing = await app.gql(UPDATE, { input: { organizationId: RANDOM_ORG } }, { token: cast.owner.token });
    expect(errorCodes(ownerMissing)).toEqual(["NOT_FOUND"]);
  });
});

describe("deleteOrganization", () => {
  it("never deletes the default organization", async () => {
    const before = await snapshot();
    const result = await app.gql(
      DELETE,
      { input: { organizationId: await defaultOrganizationId() } },
      {
        token: cast.owner.token,
      },
    );
    expect(result.data?.deleteOrganization).toMatchObject({
      deletedId: null,
      userErrors: [{ code: "DEFAULT_ORGANIZATION_PROTECTED", field: ["input", "organizationId"] }],
    });
    expect(await snapshot()).toEqual(before);
  });

  it("refuses while anything is left, counting each kind, then deletes the emptied organization", async () => {
    const org = await cast.owner.org("to-delete", { throughApi: true });
    const organizationId = uuidOf(org.id);
    const user = await org.member("leftover");
    const group = await app.prisma.group.create({ data: { organizationId, name: "extra" } });
    const key = await app.prisma.provisionerKey.create({ data: { organizationId, name: "k", secretHash: "00" } });
    const template = await app.prisma.template.create({ data: { organizationId, name: "tpl" } });
    const workspace = await app.prisma.workspace.create({
      data: { organizationId, ownerId: uuidOf(user.id), templateId: template.id, name: "ws" },
    });
    await app.prisma.workspace.create({
      data: { organizationId, ownerId: uuidOf(user.id), templateId: template.id, name: "ws2" },
    });

    const before = await snapshot();
    const refused = await app.gql(DELETE, { input: { organizationId: org.id } }, { token: cast.owner.token });
    const errors = refused.data?.deleteOrganization.userErrors;
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe("ORGANIZATION_NOT_EMPTY");
    for (const part of ["2 workspaces", "1 template", "1 provisioner key", "1 group", "1 member"]) {
      expect(errors[0].message).toContain(part);
    }
    expect(await snapshot()).toEqual(before);

    // A workspace marked deleted does not count.
    await app.prisma.workspace.update({ where: { id: workspace.id }, data: { deleted: true } });
    await app.prisma.workspace.deleteMany({ where: { organizationId, deleted: false } });
    const stillRefused = await app.gql(DELETE, { input: { organizationId: org.id } }, { token: cast.owner.token });
    const message = stillRefused.data?.deleteOrganization.userErrors[0].message as string;
    expect(message).not.toContain("workspace");
    expect(message).toContain("1 template");

    await app.prisma.workspace.deleteMany({ where: { organizationId } });
    await app.prisma.template.delete({ where: { id: template.id } });
    await app.prisma.provisionerKey.delete({ where: { id: key.id } });
    await app.prisma.group.delete({ where: { id: group.id } });
    await app.prisma.organizationMember.deleteMany({ where: { organizationId, userId: uuidOf(user.id) } });
    const deleted = await app.gql(DELETE, { input: { organizationId: org.id } }, { token: cast.owner.token });
    expect(deleted.data?.deleteOrganization).toEqual({ deletedId: org.id, userErrors: [] });
    expect(await app.prisma.organization.findUnique({ where: { id: organizationId } })).toBeNull();
    expect(await app.prisma.group.count({ where: { organizationId } })).toBe(0);
    const audit = await app.prisma.auditLog.findMany({ where: { action: "DELETE", resourceId: organizationId } });
    expect(audit.map((a) => [a.resourceType, a.resourceName, a.organizationId])).toEqual([
      ["ORGANIZATION", "to-delete", organizationId],
    ]);
    const lookup = await app.gql(
      "query($id: ID!) { node(id: $id) { id } }",
      { id: org.id },
      {
        token: cast.owner.token,
      },
    );
    expect(lookup.data?.node).toBeNull();
  });

  it("is for site owners; organization admins may not delete their organization", async () => {
    const outcomes = await runMatrix(app, cast, DELETE, "deleteOrganization", () => ({
      organizationId: cast.org.id,
    }));
    expect(outcomes).toEqual({
      // The owner passes the permission check and meets the emptiness rule.
      owner: "userError:ORGANIZATION_NOT_EMPTY",
      orgAdmin: "FORBIDDEN:ORGANIZATION:DELETE",
      member: "FORBIDDEN:ORGANIZATION:DELETE",
      outsider: "NOT_FOUND",
      orgAuditor: "FORBIDDEN:ORGANIZATION:DELETE",
      userAdmin: "FORBIDDEN:ORGANIZATION:DELETE",
      anonymous: "UNAUTHENTICATED",
      memberApiToken: "FORBIDDEN:ORGANIZATION:DELETE",
    });
    expect(await app.prisma.organization.count({ where: { id: uuidOf(cast.org.id) } })).toBe(1);
  });
});

describe("reading organizations", () => {
  const LIST = `query($first: Int, $after: String) {
    organizations(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } }
  }`;

  it("lists only what the viewer may read, with matching totalCount", async () => {
    const names = async (token: string) =>
      (await app.gql(LIST, { first: 100 }, { token })).data?.organizations.edges.map(
        (e: { node: { name: string } }) => e.node.name,
      );
    expect(await names(cast.member.token)).toEqual(["default", "org-a"]);
    expect(await names(cast.outsider.token)).toEqual(["default", "org-b"]);
    expect(await names(cast.memberApiToken)).toEqual(["default", "org-a"]);
    const outsider = await app.gql(LIST, {}, { token: cast.outsider.token });
    expect(outsider.data?.organizations.totalCount).toBe(2);
    const total = await app.prisma.organization.count();
    expect((await app.gql(LIST, {}, { token: cast.owner.token })).data?.organizations.totalCount).toBe(total);
    expect(errorCodes(await app.gql(LIST, {}))).toEqual(["UNAUTHENTICATED"]);
  });

  it("pages through the organizations with stable cursors", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await app.gql(LIST, { first: 2, after }, { token: cast.owner.token })).data?.organizations;
      seen.push(...page.edges.map((e: { node: { name: string } }) => e.node.name));
      expect(page.totalCount).toBe(await app.prisma.organization.count());
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(await app.prisma.organization.count());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("finds by name only what the viewer may read", async () => {
    const query = `query($name: String!) { organization(name: $name) { name } }`;
    expect((await app.gql(query, { name: "org-a" }, { token: cast.member.token })).data?.organization).toEqual({
      name: "org-a",
    });
    expect((await app.gql(query, { name: "org-a" }, { token: cast.outsider.token })).data?.organization).toBeNull();
    const node = await app.gql(
      "query($id: ID!) { node(id: $id) { id } }",
      { id: cast.org.id },
      {
        token: cast.outsider.token,
      },
    );
    expect(node.data?.node).toBeNull();
  });

  it("shows a user's organizations as far as the viewer may read them", async () => {
    const query = `query($username: String!) { user(username: $username) { organizations { name } } }`;
    const own = await app.gql(query, { username: "plain-member" }, { token: cast.member.token });
    expect(own.data?.user.organizations.map((o: { name: string }) => o.name)).toEqual(["default", "org-a"]);
    const byOutsider = await app.gql(query, { username: "plain-member" }, { token: cast.outsider.token });
    expect(byOutsider.data?.user.organizations.map((o: { name: string }) => o.name)).toEqual(["default"]);
  });
});
