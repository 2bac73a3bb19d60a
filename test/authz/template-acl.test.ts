// One rule for template ACL entries, whoever reads them (the type check's batched lookup,
// checkPermissions, explainPermission, the template reads of the services, the list filter): the
// Everyone group's entry applies to the members of its organization (Coder: its members are the
// organization's members), never to anyone else. The type check's lookup used to count it for
// any user and relied on the evaluator to ignore it outside the organization.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applicableAclEntries } from "../../src/authz/policies/template.js";
import { templateAclRoles } from "../../src/authz/template-acl.js";
import type { Actor } from "../support/actors.js";
import { uuidOf } from "../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../support/harness.js";
import { seed } from "../support/seed.js";
import { createWorkspace } from "../support/workloads.js";

let app: TestApp;
let alice: Actor; // member of acme
let gina: Actor; // member of globex only
let template: string; // acme's, Everyone may use it (the default)

beforeAll(async () => {
  app = await createTestApp();
  const owner = await seed(app).owner();
  const acme = await owner.org("acme");
  const globex = await owner.org("globex");
  alice = await acme.member("alice");
  gina = await globex.member("gina");
  template = await acme.template("docker");
});
afterAll(async () => {
  await app?.close();
});

describe("the Everyone group's template ACL entry", () => {
  it("gives USE to a member of the template's organization and nothing to anyone else", async () => {
    const templateUuid = uuidOf(template);
    expect(await templateAclRoles(app.prisma, uuidOf(alice.id), [templateUuid])).toEqual(
      new Map([[templateUuid, "USE"]]),
    );
    expect(await templateAclRoles(app.prisma, uuidOf(gina.id), [templateUuid])).toEqual(new Map());
    // The entries read with a template (services) follow the same rule.
    const read = (userId: string) =>
      app.prisma.template.findUniqueOrThrow({ where: { id: templateUuid }, include: applicableAclEntries(userId) });
    expect((await read(uuidOf(alice.id))).groupAcl).toEqual([{ role: "USE" }]);
    expect((await read(uuidOf(gina.id))).groupAcl).toEqual([]);
  });

  it("through the API: the member reads and uses the template, the outsider finds nothing", async () => {
    const NODE = `query($id: ID!) { node(id: $id) { id } templates(first: 10) { nodes { id } } }`;
    const asAlice = await app.gql(NODE, { id: template }, { token: alice.token });
    expect(asAlice.data).toEqual({ node: { id: template }, templates: { nodes: [{ id: template }] } });
    const asGina = await app.gql(NODE, { id: template }, { token: gina.token });
    expect(asGina.data).toEqual({ node: null, templates: { nodes: [] } });
    const refused = await createWorkspace(app, gina.token, { templateId: template, name: "nope" });
    expect(errorCodes(refused.result)).toEqual(["NOT_FOUND"]);
    const created = await createWorkspace(app, alice.token, { templateId: template, name: "dev" });
    expect(created.payload.userErrors).toEqual([]);
  });
});
