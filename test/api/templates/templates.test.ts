import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { globalId, uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { CREATE_TEMPLATE, createTemplate, UPDATE_ACL } from "../../support/workloads.js";

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let globex: OrgScope;
let admin: Actor; // organization-admin of acme
let tmplAdmin: Actor; // organization-template-admin of acme
let alice: Actor; // plain member of acme
let bob: Actor; // plain member of acme
let auditor: Actor; // organization-auditor of acme
let gina: Actor; // plain member of globex only
let siteTemplateAdmin: Actor; // site template-admin, member of no organization

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  globex = await owner.org("globex");
  admin = await acme.member("admin", ["organization-admin"]);
  tmplAdmin = await acme.member("tmpl-admin", ["organization-template-admin"]);
  alice = await acme.member("alice");
  bob = await acme.member("bob");
  auditor = await acme.member("auditor", ["organization-auditor"]);
  gina = await globex.member("gina");
  siteTemplateAdmin = await owner.user("site-tmpl", { siteRoles: ["template-admin"], orgs: [globex] });
  await app.prisma.organizationMember.deleteMany({ where: { userId: uuidOf(siteTemplateAdmin.id) } });
});
afterAll(async () => {
  await app?.close();
});

const TEMPLATES = `query($organizationId: ID) {
  templates(organizationId: $organizationId) { totalCount edges { node { id name acl { users { role } } } } }
}`;
const ORG_TEMPLATES = `query($name: String!) {
  organization(name: $name) { templates(first: 10) { totalCount edges { node { name } } } }
}`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Template { name } } }`;

async function visibleNames(token: string, organizationId?: string): Promise<string[]> {
  const result = await app.gql(TEMPLATES, { organizationId }, { token });
  expect(result.errors).toBeUndefined();
  const list = result.data?.templates;
  expect(list.totalCount).toBe(list.edges.length);
  return list.edges.map((e: { node: { name: string } }) => e.node.name).sort();
}

describe("createTemplate", () => {
  it("creates the template, its first version, the import job, the Everyone USE entry and an audit event", async () => {
    const result = await app.gql(
      CREATE_TEMPLATE,
      {
        input: {
          organizationId: acme.id,
          name: "docker",
          displayName: "Docker",
          description: "Containers",
          icon: "/icon/docker.svg",
          dailyCost: 7,
          tags: [{ key: "os", value: "linux" }],
        },
      },
      { token: admin.token },
    );
    expect(result.errors).toBeUndefined();
    const payload = result.data?.createTemplate;
    expect(payload.userErrors).toEqual([]);
    const template = payload.template;
    expect(template).toMatchObject({
      name: "docker",
      displayName: "Docker",
      description: "Containers",
      icon: "/icon/docker.svg",
      organization: { id: acme.id },
      createdBy: { id: admin.id },
      activeVersion: { name: "v1", dailyCost: 7, template: { id: template.id } },
    });
    const everyone = await app.prisma.group.findFirstOrThrow({
      where: { organizationId: acme.uuid, isEveryone: true },
    });
    expect(template.acl).toEqual({ users: [], groups: [{ groupId: globalId("Group", everyone.id), role: "USE" }] });

    const version = await app.prisma.templateVersion.findFirstOrThrow({
      where: { templateId: uuidOf(template.id) },
      include: { job: true },
    });
    expect(version.job).toMatchObject({
      type: "TEMPLATE_VERSION_IMPORT",
      status: "PENDING",
      organizationId: acme.uuid,
      tags: { os: "linux" },
    });
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { resourceType: "TEMPLATE", resourceId: uuidOf(template.id) },
    });
    expect(audit).toMatchObject({ action: "CREATE", organizationId: acme.uuid, actorId: uuidOf(admin.id) });
  });

  it("is allowed to organization template admins, site owners and site template admins", async () => {
    await acme.template("by-tmpl-admin", { as: tmplAdmin });
    await acme.template("by-owner");
    await acme.template("by-site-tmpl", { as: siteTemplateAdmin });
  });

  it("is forbidden to plain members and auditors, and the organization does not exist for outsiders", async () => {
    for (const actor of [alice, auditor]) {
      const result = await app.gql(
        CREATE_TEMPLATE,
        { input: { organizationId: acme.id, name: "nope" } },
        { token: actor.token },
      );
      expect(errorCodes(result)).toEqual(["FORBIDDEN"]);
      expect(result.errors?.[0]?.extensions).toMatchObject({ resource: "TEMPLATE", action: "CREATE" });
    }
    const outsider = await app.gql(
      CREATE_TEMPLATE,
      { input: { organizationId: acme.id, name: "nope" } },
      { token: gina.token },
    );
    expect(errorCodes(outsider)).toEqual(["NOT_FOUND"]);
    const bogus = await app.gql(
      CREATE_TEMPLATE,
      { input: { organizationId: globalId("User", acme.uuid), name: "nope" } },
      { token: owner.token },
    );
    expect(errorCodes(bogus)).toEqual(["NOT_FOUND"]);
    expect(await app.prisma.template.count({ where: { name: "nope" } })).toBe(0);
  });

  it("validates input, refuses a taken name in the organization, and writes nothing", async () => {
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ name: "" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "bad name" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "x".repeat(33) }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "new" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "DOCKER" }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "ok-name", dailyCost: -1 }, "INVALID_INPUT", ["input", "dailyCost"]],
      [{ name: "ok-name", displayName: " padded" }, "INVALID_INPUT", ["input", "displayName"]],
      [{ name: "ok-name", icon: "javascript:alert(1)" }, "INVALID_INPUT", ["input", "icon"]],
      [{ name: "ok-name", tags: [{ key: "bad key", value: "v" }] }, "INVALID_INPUT", ["input", "tags", "0", "key"]],
      [
        {
          name: "ok-name",
          tags: [
            { key: "a", value: "1" },
            { key: "a", value: "2" },
          ],
        },
        "INVALID_INPUT",
        ["input", "tags", "1", "key"],
      ],
    ];
    const before = { templates: await app.prisma.template.count(), jobs: await app.prisma.provisionerJob.count() };
    for (const [extra, code, field] of cases) {
      const result = await app.gql(
        CREATE_TEMPLATE,
        { input: { organizationId: acme.id, ...extra } },
        { token: admin.token },
      );
      expect(result.errors, JSON.stringify(extra)).toBeUndefined();
      expect(result.data?.createTemplate.template).toBeNull();
      expect(result.data?.createTemplate.userErrors, JSON.stringify(extra)).toMatchObject([{ code, field }]);
    }
    expect({ templates: await app.prisma.template.count(), jobs: await app.prisma.provisionerJob.count() }).toEqual(
      before,
    );
    // The same name in another organization is fine.
    await globex.template("docker");
  });
});

describe("template visibility", () => {
  let hidden: string;
  beforeAll(async () => {
    hidden = await createTemplate(app, admin.token, {
      organizationId: acme.id,
      name: "hidden",
      disableEveryoneGroupAccess: true,
    });
  });

  it("members see the templates the Everyone group may use, not the ones without access", async () => {
    const names = await visibleNames(alice.token);
    expect(names).toEqual(["by-owner", "by-site-tmpl", "by-tmpl-admin", "docker"]);
    expect((await app.gql(NODE, { id: hidden }, { token: alice.token })).data?.node).toBeNull();
    const org = await app.gql(ORG_TEMPLATES, { name: "acme" }, { token: alice.token });
    expect(org.data?.organization.templates.totalCount).toBe(4);
    expect(org.data?.organization.templates.edges).toHaveLength(4);
  });

  it("a plain member's template view has no ACL", async () => {
    const result = await app.gql(TEMPLATES, { organizationId: acme.id }, { token: alice.token });
    for (const edge of result.data?.templates.edges ?? []) expect(edge.node.acl).toBeNull();
  });

  it("administrators and auditors see every template of the organization", async () => {
    const all = ["by-owner", "by-site-tmpl", "by-tmpl-admin", "docker", "hidden"];
    expect(await visibleNames(admin.token, acme.id)).toEqual(all);
    expect(await visibleNames(tmplAdmin.token, acme.id)).toEqual(all);
    expect(await visibleNames(auditor.token, acme.id)).toEqual(all);
    expect(await visibleNames(siteTemplateAdmin.token, acme.id)).toEqual(all);
    const asAuditor = await app.gql(NODE, { id: hidden }, { token: auditor.token });
    expect(asAuditor.data?.node).toEqual({ id: hidden, name: "hidden" });
  });

  it("site-wide readers who are members somewhere still see every organization's templates", async () => {
    // The owner is a member of the default organization; a site template-admin joins globex.
    const all = ["by-owner", "by-site-tmpl", "by-tmpl-admin", "docker", "hidden"];
    expect(await visibleNames(owner.token, acme.id)).toEqual(all);
    const member = await owner.user("site-tmpl-member", { siteRoles: ["template-admin"], orgs: [globex] });
    expect(await visibleNames(member.token, acme.id)).toEqual(all);
    const hiddenNode = await app.gql(NODE, { id: hidden }, { token: member.token });
    expect(hiddenNode.data?.node).toEqual({ id: hidden, name: "hidden" });
  });

  it("a member of another organization sees none of them and cannot name them", async () => {
    expect(await visibleNames(gina.token, acme.id)).toEqual([]);
    expect(await visibleNames(gina.token)).toEqual(["docker"]); // globex's own template
    const docker = await app.prisma.template.findFirstOrThrow({ where: { organizationId: acme.uuid, name: "docker" } });
    const id = globalId("Template", docker.id);
    expect((await app.gql(NODE, { id }, { token: gina.token })).data?.node).toBeNull();
    const versionId = globalId("TemplateVersion", docker.activeVersionId as string);
    const VERSION = `query($id: ID!) { node(id: $id) { ... on TemplateVersion { name template { name } } } }`;
    expect((await app.gql(VERSION, { id: versionId }, { token: gina.token })).data?.node).toBeNull();
    expect((await app.gql(VERSION, { id: versionId }, { token: alice.token })).data?.node).toEqual({
      name: "v1",
      template: { name: "docker" },
    });
    const acl = await app.gql(UPDATE_ACL, { input: { templateId: id, users: [] } }, { token: gina.token });
    expect(errorCodes(acl)).toEqual(["NOT_FOUND"]);
    const org = await app.gql(ORG_TEMPLATES, { name: "acme" }, { token: gina.token });
    expect(org.data?.organization).toBeNull();
  });

  it("a version's reader sees its import job through the version, not on its own", async () => {
    // A site auditor may read templates but neither provisioner jobs nor daemons: the version grants its job.
    const siteAuditor = await owner.user("site-auditor", { siteRoles: ["auditor"], orgs: [] });
    const VERSION_JOB = `query($id: ID!) { node(id: $id) { ... on Template { activeVersion { name job { id status } } } } }`;
    const result = await app.gql(VERSION_JOB, { id: hidden }, { token: siteAuditor.token });
    expect(result.errors).toBeUndefined();
    const job = result.data?.node.activeVersion.job;
    expect(job).toMatchObject({ status: expect.any(String) });
    const direct = await app.gql(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: job.id },
      { token: siteAuditor.token },
    );
    expect(direct.errors).toBeUndefined();
    expect(direct.data?.node).toBeNull();
  });

  it("a malformed organization filter matches nothing", async () => {
    expect(await visibleNames(admin.token, "not-an-id")).toEqual([]);
  });
});

describe("updateTemplateAcl", () => {
  let secret: string;
  beforeAll(async () => {
    secret = await createTemplate(app, admin.token, {
      organizationId: acme.id,
      name: "secret",
      disableEveryoneGroupAccess: true,
    });
  });

  it("gives a user ADMIN: they see the template, its ACL, and may change the ACL", async () => {
    expect(await visibleNames(alice.token)).not.toContain("secret");
    const granted = await app.gql(
      UPDATE_ACL,
      { input: { templateId: secret, users: [{ userId: alice.id, role: "ADMIN" }] } },
      { token: admin.token },
    );
    expect(granted.errors).toBeUndefined();
    expect(granted.data?.updateTemplateAcl.userErrors).toEqual([]);
    expect(granted.data?.updateTemplateAcl.template.acl.users).toEqual([{ user: { id: alice.id }, role: "ADMIN" }]);
    expect(await visibleNames(alice.token)).toContain("secret");

    const byAlice = await app.gql(
      UPDATE_ACL,
      { input: { templateId: secret, users: [{ userId: bob.id, role: "USE" }] } },
      { token: alice.token },
    );
    expect(byAlice.data?.updateTemplateAcl.userErrors).toEqual([]);
    expect(byAlice.data?.updateTemplateAcl.template.acl.users).toHaveLength(2);
    const audit = await app.prisma.auditLog.findMany({
      where: { resourceType: "TEMPLATE", resourceId: uuidOf(secret), action: "UPDATE" },
    });
    expect(audit.map((a) => a.actorId)).toEqual([uuidOf(admin.id), uuidOf(alice.id)]);
  });

  it("a USE entry lets a user see the template but not its ACL, and not change it", async () => {
    const asBob = await app.gql(TEMPLATES, { organizationId: acme.id }, { token: bob.token });
    const node = asBob.data?.templates.edges.find((e: { node: { name: string } }) => e.node.name === "secret")?.node;
    expect(node).toMatchObject({ name: "secret", acl: null });
    const refused = await app.gql(UPDATE_ACL, { input: { templateId: secret, users: [] } }, { token: bob.token });
    expect(errorCodes(refused)).toEqual(["FORBIDDEN"]);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ resource: "TEMPLATE", action: "UPDATE" });
  });

  it("a null role removes the entry", async () => {
    const removed = await app.gql(
      UPDATE_ACL,
      { input: { templateId: secret, users: [{ userId: bob.id, role: null }] } },
      { token: admin.token },
    );
    expect(removed.data?.updateTemplateAcl.template.acl.users).toEqual([{ user: { id: alice.id }, role: "ADMIN" }]);
    expect(await visibleNames(bob.token)).not.toContain("secret");
  });

  it("a group entry reaches the group's explicit members only", async () => {
    const ops = await acme.group("ops", { members: [bob] });
    const result = await app.gql(
      UPDATE_ACL,
      { input: { templateId: secret, groups: [{ groupId: ops.id, role: "USE" }] } },
      { token: admin.token },
    );
    expect(result.data?.updateTemplateAcl.template.acl.groups).toEqual([{ groupId: ops.id, role: "USE" }]);
    expect(await visibleNames(bob.token)).toContain("secret");
    expect(await visibleNames(auditor.token, acme.id)).toContain("secret"); // by role
    const tmplAdminView = await app.gql(NODE, { id: secret }, { token: tmplAdmin.token });
    expect(tmplAdminView.data?.node).toMatchObject({ name: "secret" });
  });

  it("shows a group entry's group only to viewers who may read the organization's groups", async () => {
    const ACL_GROUPS = `query($id: ID!) { node(id: $id) { ... on Template { acl { groups { role group { name } } } } } }`;
    const asAdmin = await app.gql(ACL_GROUPS, { id: secret }, { token: admin.token });
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data?.node.acl.groups).toEqual([{ role: "USE", group: { name: "ops" } }]);
    // Alice administers the template through its ACL, but organization members may not read groups:
    // the Group type's own scopes refuse the object.
    const asAlice = await app.gql(ACL_GROUPS, { id: secret }, { token: alice.token });
    expect(errorCodes(asAlice)).toEqual(["NOT_FOUND"]);
    expect(asAlice.errors?.[0]?.path).toEqual(["node", "acl", "groups", 0, "group"]);
    expect(asAlice.data?.node).toEqual({ acl: null });
  });

  it("refuses users outside the organization (NOT_A_MEMBER) and foreign groups (INVALID_INPUT), writing nothing", async () => {
    const globexGroup = await globex.group("globex-ops");
    const before = await app.prisma.templateUserAcl.count();
    const result = await app.gql(
      UPDATE_ACL,
      {
        input: {
          templateId: secret,
          users: [
            { userId: bob.id, role: "USE" },
            { userId: gina.id, role: "USE" },
          ],
          groups: [{ groupId: globexGroup.id, role: "USE" }],
        },
      },
      { token: admin.token },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.updateTemplateAcl.userErrors).toEqual([
      { code: "NOT_A_MEMBER", message: expect.any(String), field: ["input", "users", "1", "userId"] },
      { code: "INVALID_INPUT", message: expect.any(String), field: ["input", "groups", "0", "groupId"] },
    ]);
    expect(await app.prisma.templateUserAcl.count()).toBe(before);
  });

  it("an ACL entry counts only while the user is a member of the template's organization", async () => {
    await app.prisma.templateUserAcl.create({
      data: { templateId: uuidOf(secret), userId: uuidOf(gina.id), role: "ADMIN" },
    });
    expect(await visibleNames(gina.token, acme.id)).toEqual([]);
    expect((await app.gql(NODE, { id: secret }, { token: gina.token })).data?.node).toBeNull();
  });
});
