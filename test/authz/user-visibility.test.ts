// The User type's read rule: a public profile (id, username, name) wherever a visible object names
// the user; email, status, login type, site roles and organizations only to the user themself and
// to viewers who may read users (site) or the members of an organization the user belongs to.
// A provisioner key sees id and username only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, addOrganizationMember } from "../support/actors.js";
import { createTestApp, errorCodes, type TestApp } from "../support/harness.js";
import { asDaemon, createKey, register } from "../support/provisioners.js";
import { type OrgScope, type OwnerScope, seed } from "../support/seed.js";
import { createWorkspace } from "../support/workloads.js";

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let siteTemplateAdmin: Actor; // site template-admin, member of the default organization only
let userAdmin: Actor; // site user-admin, member of the default organization only
let orgAdmin: Actor; // organization-admin of acme
let orgAuditor: Actor; // organization-auditor of acme
let member: Actor; // plain member of acme
let template: string; // in acme, created by siteTemplateAdmin

const DETAILS = "id username name email status loginType siteRoles { name } organizations { name }";
const HIDDEN = { email: null, status: null, loginType: null, siteRoles: null, organizations: null };

beforeAll(async () => {
  // Statement counts show that deciding on details adds no query per row.
  app = await createTestApp({ SQL_STATEMENT_COUNTER: "true" });
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  siteTemplateAdmin = await owner.user("site-tmpl", { siteRoles: ["template-admin"] });
  userAdmin = await owner.user("site-ua", { siteRoles: ["user-admin"] });
  orgAdmin = await acme.member("org-admin", ["organization-admin"]);
  orgAuditor = await acme.member("org-auditor", ["organization-auditor"]);
  member = await acme.member("member");
  template = await acme.template("base", { as: siteTemplateAdmin });
});
afterAll(async () => {
  await app?.close();
});

const TEMPLATE_CREATOR = `query($id: ID!) { node(id: $id) { ... on Template { createdBy { ${DETAILS} } } } }`;

async function templateCreator(token: string, id = template) {
  const result = await app.gql(TEMPLATE_CREATOR, { id }, { token });
  expect(result.errors).toBeUndefined();
  return result.data?.node.createdBy;
}

describe("Template.createdBy", () => {
  it("shows a plain member only the public profile of a site template-admin it cannot look up", async () => {
    const lookup = await app.gql(`query { user(username: "site-tmpl") { id } }`, {}, { token: member.token });
    expect(lookup.data?.user).toBeNull();
    expect(await templateCreator(member.token)).toEqual({
      id: siteTemplateAdmin.id,
      username: "site-tmpl",
      name: null,
      ...HIDDEN,
    });
  });

  it("shows the creator themself and a member of the template's organization the details", async () => {
    const own = await acme.template("own", { as: orgAdmin });
    const details = {
      username: "org-admin",
      email: "org-admin@example.com",
      status: "ACTIVE",
      loginType: "PASSWORD",
      siteRoles: [{ name: "member" }],
      organizations: [{ name: "acme" }],
    };
    expect(await templateCreator(orgAdmin.token, own)).toMatchObject(details);
    expect(await templateCreator(member.token, own)).toMatchObject(details);
  });
});

const AUDIT_ACTORS = `query($org: ID) { auditLogs(organizationId: $org, first: 100) { edges { node { actor { ${DETAILS} } } } } }`;

async function auditActors(token: string): Promise<Record<string, unknown>[]> {
  const result = await app.gql(AUDIT_ACTORS, { org: acme.id }, { token });
  expect(result.errors).toBeUndefined();
  return result.data?.auditLogs.edges.map((e: { node: { actor: unknown } }) => e.node.actor).filter(Boolean);
}

describe("AuditLog.actor", () => {
  beforeAll(async () => {
    // One event in acme by a site user-admin (not a member there), one by acme's organization-admin.
    const newcomer = await owner.user("newcomer", { orgs: [] });
    await addOrganizationMember(app, userAdmin.token, acme.id, newcomer.id);
    const group = await app.gql(
      `mutation($input: CreateGroupInput!) { createGroup(input: $input) { userErrors { code message } } }`,
      { input: { organizationId: acme.id, name: "ops" } },
      { token: orgAdmin.token },
    );
    expect(group.data?.createGroup.userErrors).toEqual([]);
  });

  it("shows an organization auditor only the public profile of a site user-admin", async () => {
    const actors = await auditActors(orgAuditor.token);
    const siteUserAdmin = actors.find((a) => a.username === "site-ua");
    expect(siteUserAdmin).toEqual({ id: userAdmin.id, username: "site-ua", name: null, ...HIDDEN });
  });

  it("shows an organization auditor the details of a member of the organization", async () => {
    const actors = await auditActors(orgAuditor.token);
    expect(actors.find((a) => a.username === "org-admin")).toMatchObject({
      email: "org-admin@example.com",
      status: "ACTIVE",
      loginType: "PASSWORD",
      siteRoles: [{ name: "member" }],
      organizations: [{ name: "acme" }],
    });
  });

  it("shows a site auditor the details of every actor", async () => {
    const siteAuditor = await owner.user("site-auditor", { siteRoles: ["auditor"] });
    const actors = await auditActors(siteAuditor.token);
    expect(actors.find((a) => a.username === "site-ua")).toMatchObject({ email: "site-ua@example.com" });
    expect(actors.find((a) => a.username === "org-admin")).toMatchObject({ email: "org-admin@example.com" });
  });
});

describe("members of an organization", () => {
  const MEMBERS = `query { organization(name: "acme") { members(first: 100) { edges { node { user { username email siteRoles { name } } } } } } }`;

  it.each([
    ["site user-admin (not a member)", () => userAdmin],
    ["organization-admin", () => orgAdmin],
    ["organization-auditor", () => orgAuditor],
    ["plain member", () => member],
  ])("are shown to the %s with their email and site roles", async (_role, viewer) => {
    const result = await app.gql(MEMBERS, {}, { token: viewer().token });
    expect(result.errors).toBeUndefined();
    const users = result.data?.organization.members.edges.map((e: { node: { user: unknown } }) => e.node.user);
    expect(users).toContainEqual({ username: "member", email: "member@example.com", siteRoles: [{ name: "member" }] });
  });
});

describe("the users list and the details agree", () => {
  it.each([
    ["plain member", () => member],
    ["organization-auditor", () => orgAuditor],
    ["site user-admin", () => userAdmin],
    ["site template-admin", () => siteTemplateAdmin],
  ])("every user the %s may list shows its email", async (_role, viewer) => {
    const result = await app.gql(
      `query { users(first: 100) { edges { node { username email } } } }`,
      {},
      {
        token: viewer().token,
      },
    );
    expect(result.errors).toBeUndefined();
    const users = result.data?.users.edges.map((e: { node: { email: string | null } }) => e.node);
    expect(users.length).toBeGreaterThan(1);
    expect(users.filter((u: { email: string | null }) => u.email === null)).toEqual([]);
  });
});

describe("cost", () => {
  it("adds no statement to a list of members when their details are selected", async () => {
    const list = (fields: string) =>
      app.gql(
        `query { organization(name: "acme") { members(first: 100) { edges { node { user { ${fields} } } } } } }`,
        {},
        {
          token: orgAdmin.token,
        },
      );
    const profile = await list("id username name");
    const details = await list("id username name email status loginType siteRoles { name }");
    expect(details.errors).toBeUndefined();
    expect(Number(profile.headers.get("x-sql-statements"))).toBeGreaterThan(0);
    expect(details.headers.get("x-sql-statements")).toBe(profile.headers.get("x-sql-statements"));
  });
});

describe("WorkspaceBuild.initiator for a provisioner key", () => {
  const ACQUIRE_INITIATOR = (fields: string) => `mutation($input: AcquireProvisionerJobInput!) {
    acquireProvisionerJob(input: $input) { acquired { workspaceBuild { initiator { ${fields} } } } userErrors { code } }
  }`;
  let key: string;
  let daemonId: string;

  beforeAll(async () => {
    key = (await createKey(app, orgAdmin.token, acme.id, "builder")).key;
    daemonId = await register(app, key, "daemon-1");
  });

  it("shows the id and username only", async () => {
    const created = await createWorkspace(app, member.token, { templateId: template, name: "dev" });
    expect(created.payload.userErrors).toEqual([]);
    const result = await asDaemon(app, key, ACQUIRE_INITIATOR(DETAILS), { input: { daemonId } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.acquireProvisionerJob.acquired.workspaceBuild.initiator).toEqual({
      id: member.id,
      username: "member",
      name: null,
      ...HIDDEN,
    });
  });

  it("refuses the creation time (the field cannot be null)", async () => {
    const created = await createWorkspace(app, member.token, { templateId: template, name: "dev-2" });
    expect(created.payload.userErrors).toEqual([]);
    const result = await asDaemon(app, key, ACQUIRE_INITIATOR("username createdAt"), { input: { daemonId } });
    expect(errorCodes(result)).toEqual(["NOT_FOUND"]);
    expect(result.data?.acquireProvisionerJob.acquired.workspaceBuild.initiator).toBeNull();
  });

  it("leaves the initiator's own view of the build unchanged", async () => {
    const result = await app.gql(
      `query { workspaces { edges { node { latestBuild { initiator { username email } } } } } }`,
      {},
      { token: member.token },
    );
    expect(result.errors).toBeUndefined();
    for (const edge of result.data?.workspaces.edges ?? []) {
      expect(edge.node.latestBuild.initiator).toEqual({ username: "member", email: "member@example.com" });
    }
  });
});

describe("mutation payloads", () => {
  it("show a site user-admin the details of the user it creates (rows loaded outside the query)", async () => {
    const result = await app.gql(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { user { username email siteRoles { name } organizations { name } } userErrors { code } } }`,
      { input: { email: "fresh@example.com", username: "fresh", password: "correct-horse-battery" } },
      { token: userAdmin.token },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.createUser.user).toEqual({
      username: "fresh",
      email: "fresh@example.com",
      siteRoles: [{ name: "member" }],
      organizations: [{ name: "default" }],
    });
  });
});
