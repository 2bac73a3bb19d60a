import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { globalId } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";

let app: TestApp;
let owner: OwnerScope;
let member: Actor;
let orgA: OrgScope;
let orgB: OrgScope;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  orgA = await owner.org("org-a");
  orgB = await owner.org("org-b");
  member = await orgA.member("member-a");
  await app.prisma.auditLog.createMany({
    data: [
      { action: "UPDATE", resourceType: "GROUP", organizationId: orgA.uuid, diff: { name: { from: "a", to: "b" } } },
      { action: "UPDATE", resourceType: "GROUP", organizationId: orgB.uuid, diff: {} },
    ],
  });
});
afterAll(async () => {
  await app?.close();
});

const AUDIT = `query($org: ID) { auditLogs(organizationId: $org, first: 50) { totalCount edges { node { id action resourceType organization { name } actor { username } diff requestId } } } }`;

describe("audit log", () => {
  it("shows the owner every event, newest first, with actor and request id", async () => {
    const result = await app.gql(AUDIT, {}, { token: owner.token });
    const nodes = result.data?.auditLogs.edges.map((e: { node: unknown }) => e.node);
    expect(result.data?.auditLogs.totalCount).toBe(nodes.length);
    expect(nodes[0]).toMatchObject({ action: "UPDATE", organization: { name: "org-b" } });
    const register = nodes.find((n: { action: string }) => n.action === "REGISTER");
    expect(register).toMatchObject({ actor: { username: "owner" }, resourceType: "USER" });
    expect(register.requestId).toEqual(expect.any(String));
    expect(JSON.parse(register.diff)).toMatchObject({ username: "owner" });
  });

  it("filters by organization, and shows organization admins only their organization", async () => {
    const onlyA = await app.gql(AUDIT, { org: orgA.id }, { token: owner.token });
    expect(onlyA.data?.auditLogs.totalCount).toBe(1);
    const admin = await orgA.member("admin-a", ["organization-admin"]);
    const seen = await app.gql(AUDIT, {}, { token: admin.token });
    expect(seen.data?.auditLogs.totalCount).toBe(1);
    expect(seen.data?.auditLogs.edges[0].node.organization).toEqual({ name: "org-a" });
    const other = await app.gql(AUDIT, { org: orgB.id }, { token: admin.token });
    expect(other.data?.auditLogs).toEqual({ totalCount: 0, edges: [] });
  });

  it("shows plain members nothing, and anonymous callers an error", async () => {
    const result = await app.gql(AUDIT, {}, { token: member.token });
    expect(result.data?.auditLogs).toEqual({ totalCount: 0, edges: [] });
    expect(errorCodes(await app.gql(AUDIT))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("node(id:)", () => {
  const NODE = `query($id: ID!) { node(id: $id) { id __typename ... on Organization { name } ... on User { username } } }`;

  it("finds what the viewer may read", async () => {
    const result = await app.gql(NODE, { id: orgA.id }, { token: member.token });
    expect(result.data?.node).toEqual({ id: orgA.id, __typename: "Organization", name: "org-a" });
    const self = await app.gql(NODE, { id: member.id }, { token: member.token });
    expect(self.data?.node).toMatchObject({ __typename: "User", username: "member-a" });
  });

  it("answers null, identically, for another tenant's object, a random id, a wrong type and garbage", async () => {
    const answers = await Promise.all(
      [
        orgB.id,
        globalId("Organization", "01234567-89ab-7def-8123-456789abcdef"),
        globalId("Nope", orgA.uuid),
        "not an id",
        globalId("Organization", "x'; drop table"),
      ].map((id) => app.gql(NODE, { id }, { token: member.token })),
    );
    for (const [i, answer] of answers.entries()) {
      expect({ i, data: answer.data, errors: answer.errors }).toEqual({ i, data: { node: null }, errors: undefined });
    }
    expect((await app.gql(NODE, { id: orgA.id })).data).toEqual({ node: null });
  });
});
