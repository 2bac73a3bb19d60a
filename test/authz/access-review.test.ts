// accessReview answers exactly the users `can` allows, on seeded data: 1,000 users with random
// site roles (stored nonsense included), memberships with built-in and custom roles (negations,
// a deleted role's name), groups, template ACL entries (direct, group, Everyone) and an owned
// workspace; for every user, `can` is evaluated from their real subject. The SQL statements of a
// review do not grow with the page size. Who may ask, and what an organization auditor sees.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzObject, can, type Subject, type TemplateAclRole } from "../../src/authz/evaluator.js";
import type { Action } from "../../src/authz/permissions.js";
import { loadSubject } from "../../src/authz/subject-loader.js";
import { templateAclRoles } from "../../src/authz/template-acl.js";
import type { Actor } from "../support/actors.js";
import { globalId } from "../support/fixtures.js";
import { createTestApp, errorCodes, type GqlResult, type TestApp } from "../support/harness.js";
import { type OwnerScope, seed } from "../support/seed.js";

let app: TestApp;
let owner: OwnerScope;
let auditor: Actor;
let plain: Actor;
let outsider: Actor;
const USERS = 1000;

/** A deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

type Target = { title: string; id: string; object: AuthzObject; templateId?: string; actions: Action[] };
const targets: Target[] = [];

beforeAll(async () => {
  // Pages of 1,000 users (variables count in the query cost): the review is proven on all of them.
  app = await createTestApp({ SQL_STATEMENT_COUNTER: "true", MAX_QUERY_COST: "1000000" });
  owner = await seed(app).owner();
  const orgA = await owner.org("review-a");
  const orgB = await owner.org("review-b");
  auditor = await owner.user("review-auditor", { orgs: [] });
  plain = await owner.user("review-plain", { orgs: [] });
  outsider = await owner.user("review-outsider", { orgs: [] });
  await orgA.add(auditor, ["organization-auditor"]);
  await orgA.add(plain);
  await orgB.add(outsider);

  await app.prisma.customRole.createMany({
    data: [
      {
        organizationId: orgA.uuid,
        name: "ops",
        displayName: "Ops",
        permissions: [
          { resource: "WORKSPACE", action: "UPDATE" },
          { resource: "TEMPLATE", action: "UPDATE" },
          { resource: "GROUP", action: "UPDATE" },
        ],
      },
      {
        organizationId: orgA.uuid,
        name: "no-ws",
        displayName: "No workspaces",
        permissions: [
          { resource: "WORKSPACE", action: "READ", negate: true },
          { resource: "TEMPLATE", action: "USE", negate: true },
          { resource: "GROUP", action: "READ" },
        ],
      },
    ],
  });

  const next = random(24);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const users = Array.from({ length: USERS }, (_, i) => {
    const r = next();
    const siteRoles =
      r < 0.01
        ? ["owner"]
        : r < 0.03
          ? ["auditor"]
          : r < 0.05
            ? ["user-admin"]
            : r < 0.07
              ? ["template-admin"]
              : r < 0.08
                ? ["organization-admin"]
                : [];
    return { username: `rv-${i}`, email: `rv-${i}@example.com`, siteRoles };
  });
  await app.prisma.user.createMany({ data: users });
  const rows = await app.prisma.user.findMany({ where: { username: { startsWith: "rv-" } }, select: { id: true } });
  const ORG_ROLES = [
    "organization-admin",
    "organization-auditor",
    "organization-template-admin",
    "organization-user-admin",
    "organization-workspace-creation-ban",
    "ops",
    "no-ws",
    "deleted-role",
    "owner",
  ];
  const inA: string[] = [];
  const memberships = rows.map(({ id }) => {
    const organizationId = next() < 0.7 ? orgA.uuid : orgB.uuid;
    if (organizationId === orgA.uuid) inA.push(id);
    const roles = next() < 0.4 ? [] : ORG_ROLES.filter(() => next() < 0.08);
    return { organizationId, userId: id, roles };
  });
  await app.prisma.organizationMember.createMany({ data: memberships });

  const g1 = await app.prisma.group.create({ data: { organizationId: orgA.uuid, name: "g1" } });
  const g2 = await app.prisma.group.create({ data: { organizationId: orgA.uuid, name: "g2" } });
  await app.prisma.groupMember.createMany({
    data: inA.flatMap((userId) =>
      [g1, g2].filter(() => next() < 0.2).map((g) => ({ groupId: g.id, userId, organizationId: orgA.uuid })),
    ),
  });
  const everyone = async (organizationId: string) =>
    app.prisma.group.findFirstOrThrow({ where: { organizationId, isEveryone: true } });
  const t1 = await app.prisma.template.create({ data: { organizationId: orgA.uuid, name: "t1" } });
  const t2 = await app.prisma.template.create({ data: { organizationId: orgA.uuid, name: "t2" } });
  const t3 = await app.prisma.template.create({ data: { organizationId: orgB.uuid, name: "t3" } });
  await app.prisma.templateGroupAcl.createMany({
    data: [
      { templateId: t1.id, groupId: (await everyone(orgA.uuid)).id, role: "USE" },
      { templateId: t1.id, groupId: g1.id, role: "ADMIN" },
      { templateId: t2.id, groupId: g2.id, role: "USE" },
      { templateId: t3.id, groupId: (await everyone(orgB.uuid)).id, role: "ADMIN" },
    ],
  });
  // Direct entries, members of organization A or not (a non-member's entry grants nothing).
  await app.prisma.templateUserAcl.createMany({
    data: rows
      .filter(() => next() < 0.05)
      .map(({ id }) => ({ templateId: t2.id, userId: id, role: pick(["USE", "ADMIN"] as const) })),
  });
  const workspaceOwner = inA[3] as string;
  const workspace = await app.prisma.workspace.create({
    data: { organizationId: orgA.uuid, ownerId: workspaceOwner, templateId: t1.id, name: "reviewed" },
  });

  const A = orgA.uuid;
  targets.push(
    {
      title: "template with Everyone",
      id: globalId("Template", t1.id),
      object: { type: "TEMPLATE", organizationId: A },
      templateId: t1.id,
      actions: ["READ", "USE", "UPDATE", "DELETE"],
    },
    {
      title: "template without Everyone",
      id: globalId("Template", t2.id),
      object: { type: "TEMPLATE", organizationId: A },
      templateId: t2.id,
      actions: ["USE", "UPDATE"],
    },
    {
      title: "template of B",
      id: globalId("Template", t3.id),
      object: { type: "TEMPLATE", organizationId: orgB.uuid },
      templateId: t3.id,
      actions: ["USE"],
    },
    {
      title: "workspace",
      id: globalId("Workspace", workspace.id),
      object: { type: "WORKSPACE", organizationId: A, ownerId: workspaceOwner },
      actions: ["READ", "UPDATE", "DELETE", "START"],
    },
    {
      title: "group",
      id: globalId("Group", g1.id),
      object: { type: "GROUP", organizationId: A },
      actions: ["READ", "UPDATE"],
    },
    {
      title: "organization",
      id: orgA.id,
      object: { type: "ORGANIZATION", organizationId: A },
      actions: ["READ", "UPDATE"],
    },
    {
      title: "user",
      id: globalId("User", workspaceOwner),
      object: { type: "USER", ownerId: workspaceOwner },
      actions: ["READ", "UPDATE"],
    },
  );
}, 120_000);

afterAll(async () => {
  await app?.close();
});

const REVIEW = `query($input: AccessReviewInput!, $first: Int, $after: String) {
  accessReview(input: $input, first: $first, after: $after) {
    totalCount hiddenCount
    pageInfo { hasNextPage endCursor }
    edges { node { id } grants { kind role groupName } }
  }
}`;

type Edge = { node: { id: string }; grants: { kind: string; role: string; groupName: string | null }[] };

async function reviewAll(token: string, input: { action: Action; objectId: string }) {
  const edges: Edge[] = [];
  let after: string | null = null;
  let first: GqlResult | undefined;
  for (;;) {
    const result: GqlResult = await app.gql(REVIEW, { input, first: 1000, after }, { token });
    expect(result.errors).toBeUndefined();
    first ??= result;
    const page = result.data?.accessReview;
    edges.push(...page.edges);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return {
    edges,
    totalCount: first?.data?.accessReview.totalCount,
    hiddenCount: first?.data?.accessReview.hiddenCount,
  };
}

type Evaluated = { id: string; subject: Subject; aclRoles: Map<string, TemplateAclRole> };
let evaluated: Evaluated[] | undefined;

/** Every user's subject and template ACL roles, loaded as the API loads them (once). */
async function everyone(): Promise<Evaluated[]> {
  if (evaluated) return evaluated;
  const users = await app.prisma.user.findMany({
    select: { id: true, siteRoles: true, memberships: { select: { organizationId: true, roles: true } } },
  });
  const templateIds = targets.flatMap((t) => (t.templateId ? [t.templateId] : []));
  evaluated = [];
  for (const user of users) {
    const subject = await loadSubject(app.prisma, user, user.memberships);
    evaluated.push({ id: user.id, subject, aclRoles: await templateAclRoles(app.prisma, user.id, templateIds) });
  }
  return evaluated;
}

/** The users `can` allows, each evaluated from their own subject. */
async function expected(target: Target, action: Action): Promise<string[]> {
  const allowed: string[] = [];
  for (const { id, subject, aclRoles } of await everyone()) {
    const aclRole = target.templateId ? (aclRoles.get(target.templateId) ?? null) : undefined;
    if (can(subject, action, { ...target.object, aclRole })) allowed.push(globalId("User", id));
  }
  return allowed.sort();
}

describe("accessReview", () => {
  it("answers exactly the users `can` allows, for every object and action", async () => {
    const sizes: number[] = [];
    for (const target of targets) {
      for (const action of target.actions) {
        const want = await expected(target, action);
        sizes.push(want.length);
        const got = await reviewAll(owner.token, { action, objectId: target.id });
        expect(got.edges.map((e) => e.node.id).sort(), `${target.title} ${action}`).toEqual(want);
        expect(got.totalCount).toBe(want.length);
        expect(got.hiddenCount).toBe(0);
        // Every user is there through something.
        expect(got.edges.filter((e) => e.grants.length === 0)).toEqual([]);
      }
    }
    // The cases tell users apart: from a handful (the workspace's owner and admins) to most of them.
    expect(Math.min(...sizes)).toBeLessThan(100);
    expect(Math.max(...sizes)).toBeGreaterThan(600);
  }, 300_000);

  it("names the grant: site role, organization role, custom role, ownership, group ACLs", async () => {
    const kinds = new Set<string>();
    for (const target of targets) {
      for (const action of target.actions) {
        const got = await reviewAll(owner.token, { action, objectId: target.id });
        for (const edge of got.edges)
          for (const grant of edge.grants) kinds.add(`${grant.kind}:${grant.groupName ?? grant.role}`);
      }
    }
    for (const kind of [
      "SITE_ROLE:owner",
      "ORGANIZATION_ROLE:organization-admin",
      "CUSTOM_ROLE:ops",
      "OWNERSHIP:organization-member",
      "GROUP_ACL:g1",
      "GROUP_ACL:Everyone",
      "USER_ACL:ADMIN",
    ]) {
      expect(kinds).toContain(kind);
    }
  }, 120_000);

  it("costs the same number of SQL statements whatever the page size", async () => {
    const target = targets[0] as Target;
    const counts = [];
    for (const first of [1, 50, 1000]) {
      const result = await app.gql(
        REVIEW,
        { input: { action: "USE", objectId: target.id }, first },
        { token: owner.token },
      );
      expect(result.errors).toBeUndefined();
      counts.push(Number(result.headers.get("x-sql-statements")));
    }
    expect(new Set(counts).size).toBe(1);
    // Credential, subject, the template and its ACL roles, custom roles, count, page, grants.
    expect(counts[0]).toBeLessThanOrEqual(8);
  });

  it("shows an organization auditor the users it may read, and counts the others", async () => {
    const target = targets[0] as Target;
    const all = await reviewAll(owner.token, { action: "USE", objectId: target.id });
    const seen = await reviewAll(auditor.token, { action: "USE", objectId: target.id });
    expect(seen.hiddenCount).toBeGreaterThan(0);
    expect(seen.totalCount + seen.hiddenCount).toBe(all.totalCount);
    expect(seen.edges.length).toBe(seen.totalCount);
  });

  it("refuses who may not review: a plain member (FORBIDDEN), an outsider (NOT_FOUND)", async () => {
    const input = { action: "USE", objectId: (targets[0] as Target).id };
    const member = await app.gql(REVIEW, { input }, { token: plain.token });
    expect(errorCodes(member)).toEqual(["FORBIDDEN"]);
    expect(member.errors?.[0]?.extensions).toMatchObject({
      resource: "AUDIT_LOG",
      action: "READ",
      nearestRole: "organization-auditor",
    });
    expect(errorCodes(await app.gql(REVIEW, { input }, { token: outsider.token }))).toEqual(["NOT_FOUND"]);
    const invalid = await app.gql(REVIEW, { input: { ...input, action: "START" } }, { token: owner.token });
    expect(errorCodes(invalid)).toEqual(["BAD_USER_INPUT"]);
  });
});
