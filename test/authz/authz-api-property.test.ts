// Property, through the API: after any random sequence of membership and organization-role
// changes (custom roles included), a user without site roles sees and changes nothing of an
// organization they are not a member of, and sees every organization they are a member of.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS } from "../../src/authz/permissions.js";
import { customRolePermissionProblem, ORGANIZATION_RESOURCES } from "../../src/authz/roles.js";
import type { Actor } from "../support/actors.js";
import { globalId, uuidOf } from "../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../support/harness.js";
import { type OwnerScope, seed } from "../support/seed.js";

let app: TestApp;
let owner: OwnerScope;
let subject: Actor;
const orgs: { name: string; id: string; uuid: string; templateId: string }[] = [];
const ROLE_CHOICES = [
  "organization-admin",
  "organization-auditor",
  "organization-user-admin",
  "organization-template-admin",
  "organization-workspace-creation-ban",
  "power",
];
const POWER = ALL_PERMISSIONS.filter((p) => !customRolePermissionProblem(p.resource, p.action));

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  subject = await owner.user("subject", { orgs: [] });
  for (const name of ["one", "two", "three"]) {
    const org = await owner.org(name);
    const template = await app.prisma.template.create({ data: { organizationId: org.uuid, name: "t" } });
    const everyone = await app.prisma.group.findFirstOrThrow({ where: { organizationId: org.uuid, isEveryone: true } });
    await app.prisma.templateGroupAcl.create({
      data: { templateId: template.id, groupId: everyone.id, role: "ADMIN" },
    });
    await app.prisma.templateUserAcl.create({
      data: { templateId: template.id, userId: uuidOf(subject.id), role: "ADMIN" },
    });
    const power = await app.gql(
      `mutation($input: CustomRoleInput!) { createCustomRole(input: $input) { userErrors { code } } }`,
      { input: { organizationId: org.id, name: "power", permissions: POWER } },
      { token: owner.token },
    );
    expect(power.data?.createCustomRole.userErrors).toEqual([]);
    orgs.push({ name, id: org.id, uuid: org.uuid, templateId: globalId("Template", template.id) });
  }
});

afterAll(async () => {
  await app?.close();
});

type Change = { kind: "join" | "leave"; org: number } | { kind: "roles"; org: number; roles: string[] };

const arbChange: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constantFrom("join" as const, "leave" as const), org: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant("roles" as const), org: fc.nat({ max: 2 }), roles: fc.subarray(ROLE_CHOICES) }),
);

async function apply(change: Change): Promise<void> {
  const org = orgs[change.org] as (typeof orgs)[number];
  const key = { organizationId_userId: { organizationId: org.uuid, userId: uuidOf(subject.id) } };
  if (change.kind === "roles") {
    await app.prisma.organizationMember.updateMany({ where: key.organizationId_userId, data: { roles: change.roles } });
  } else if (change.kind === "leave") {
    await app.prisma.organizationMember.deleteMany({ where: key.organizationId_userId });
  } else {
    await app.prisma.organizationMember.upsert({ where: key, create: key.organizationId_userId, update: {} });
  }
  // A write outside the service: the subject's remembered memberships go once its notification is read.
  await app.deps.credentials.settle();
}

const ORG_CHECKS = ALL_PERMISSIONS.filter((p) => ORGANIZATION_RESOURCES.includes(p.resource));

async function assertIsolation(): Promise<void> {
  const memberships = await app.prisma.organizationMember.findMany({
    where: { userId: uuidOf(subject.id) },
    select: { organizationId: true },
  });
  const memberOf = new Set(memberships.map((m) => m.organizationId));
  const listed = await app.gql(
    "{ organizations(first: 50) { totalCount edges { node { name } } } }",
    {},
    { token: subject.token },
  );
  const expected = orgs.filter((o) => memberOf.has(o.uuid)).map((o) => o.name);
  expect(listed.data?.organizations.edges.map((e: { node: { name: string } }) => e.node.name).sort()).toEqual(
    expected.sort(),
  );
  expect(listed.data?.organizations.totalCount).toBe(expected.length);

  for (const org of orgs) {
    const member = memberOf.has(org.uuid);
    const found = await app.gql(
      "query($n: String!) { organization(name: $n) { name } }",
      { n: org.name },
      { token: subject.token },
    );
    expect(found.data?.organization ?? null).toEqual(member ? { name: org.name } : null);
    if (member) continue;
    const checks = [
      ...ORG_CHECKS.map((p, i) => ({ key: `o${i}`, resource: p.resource, action: p.action, organizationId: org.id })),
      ...ORG_CHECKS.map((p, i) => ({
        key: `own${i}`,
        resource: p.resource,
        action: p.action,
        organizationId: org.id,
        ownerId: subject.id,
      })),
      ...["READ", "USE", "UPDATE", "DELETE"].map((action) => ({
        key: `acl-${action}`,
        resource: "TEMPLATE",
        action,
        resourceId: org.templateId,
      })),
      { key: "org-by-id", resource: "ORGANIZATION", action: "READ", resourceId: org.id },
    ];
    const answers = await app.gql(
      "query($c: [PermissionCheckInput!]!) { checkPermissions(checks: $c) { key allowed } }",
      { c: checks },
      { token: subject.token },
    );
    expect(answers.data?.checkPermissions.filter((a: { allowed: boolean }) => a.allowed)).toEqual([]);
    const write = await app.gql(
      `mutation($input: DeleteCustomRoleInput!) { deleteCustomRole(input: $input) { deletedId } }`,
      { input: { organizationId: org.id, name: "power" } },
      { token: subject.token },
    );
    expect(errorCodes(write)).toEqual(["NOT_FOUND"]);
  }
}

describe("random membership and role changes, through the API", () => {
  it("never expose a non-member organization, and always show member ones", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbChange, { minLength: 1, maxLength: 5 }), async (changes) => {
        await app.prisma.organizationMember.deleteMany({ where: { userId: uuidOf(subject.id) } });
        for (const change of changes) await apply(change);
        await assertIsolation();
      }),
      { numRuns: 10 },
    );
    expect(await app.prisma.customRole.count({ where: { name: "power" } })).toBe(3);
  });
});
