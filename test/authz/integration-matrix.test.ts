// The integration matrix: every Mutation and every non-public Query of the schema, called by
// every kind of actor around organization A, with the outcome each must get. The table must
// have a row for every such operation (derived from the schema), so a new operation cannot be
// added without stating who may call it.
//
// Outcomes: "ok" (data, no error, no userErrors), "null" (null, empty list, no rows), a GraphQL
// error code (FORBIDDEN with the missing permission), "userError:CODE", or a row's own words.
// Each row builds its input per actor, making fresh objects in organization A where the
// mutation consumes them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, login } from "../support/actors.js";
import { uuidOf } from "../support/fixtures.js";
import { type GqlResult, TEST_PASSWORD, type TestApp } from "../support/harness.js";
import { completeJob, finishLatestBuild } from "../support/jobs.js";
import {
  type Cast,
  type Credential,
  castApp,
  classify,
  credentialOf,
  expectations,
  guardedOperations,
  headersOf,
  MATRIX_ACTORS,
  type MatrixActor,
} from "../support/matrix.js";
import { acquire, bareJobs, createKey, jobGlobalId, register } from "../support/provisioners.js";
import { createTemplate, createWorkspace } from "../support/workloads.js";

let app: TestApp;
let cast: Cast;
let customHolder: Actor;
let loginUser: Actor;
let provisionerKey: string;
let daemonId: string;
let templateId: string;
let importJobId: string;
let provisionerKeyId: string;
let workspaceId: string;
let groupId: string;

const ORG_A_NAME = "org-a";
const CUSTOM_ROLE = "group-maker";

beforeAll(async () => {
  ({ app, cast } = await castApp(ORG_A_NAME, "org-b"));
  const role = await app.gql(
    `mutation($input: CustomRoleInput!) { createCustomRole(input: $input) { userErrors { code message } } }`,
    {
      input: {
        organizationId: cast.org.id,
        name: CUSTOM_ROLE,
        permissions: [
          { resource: "GROUP", action: "READ" },
          { resource: "GROUP", action: "CREATE" },
        ],
      },
    },
    { token: cast.owner.token },
  );
  expect(role.data?.createCustomRole.userErrors).toEqual([]);
  customHolder = await cast.org.add(await cast.owner.user("custom-holder"), [CUSTOM_ROLE]);
  loginUser = await cast.owner.user("login-user");
  ({ key: provisionerKey, id: provisionerKeyId } = await createKey(app, cast.owner.token, cast.org.id, "matrix-key"));
  daemonId = await register(app, provisionerKey, "matrix-daemon");
  templateId = await cast.org.template("standing");
  const job = await app.gql(
    `query($id: ID!) { node(id: $id) { ... on Template { activeVersion { job { id } } } } }`,
    { id: templateId },
    { token: cast.owner.token },
  );
  importJobId = job.data?.node.activeVersion.job.id;
  // A workspace in organization A, for the workspace lists.
  const workspace = await createWorkspace(app, cast.member.token, { templateId, name: "standing" });
  expect(workspace.payload?.userErrors).toEqual([]);
  workspaceId = workspace.payload.workspace.id;
  groupId = await freshGroup();
});

afterAll(() => app?.close());

// ---- per-row fixtures, made by the owner through the API

let counter = 0;
const fresh = (prefix: string) => `${prefix}-${++counter}`;

function credentialOfActor(actor: MatrixActor): Credential {
  if (actor === "provisionerKey") return { provisionerKey };
  if (actor === "customRole") return { token: customHolder.token };
  return credentialOf(cast, actor);
}

async function ownerMutation(field: string, mutation: string, input: Record<string, unknown>) {
  const result = await app.gql(mutation, { input }, { token: cast.owner.token });
  expect(result.errors, field).toBeUndefined();
  expect(result.data?.[field].userErrors, field).toEqual([]);
  return result.data?.[field];
}

async function freshMember(): Promise<Actor> {
  return cast.org.add(await cast.owner.user(fresh("joiner")));
}

async function freshMemberTokenId(): Promise<string> {
  const result = await app.gql(
    `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { apiToken { id } userErrors { code } } }`,
    { input: { name: fresh("member-token") } },
    { token: cast.member.token },
  );
  expect(result.data?.createApiToken.userErrors).toEqual([]);
  return result.data?.createApiToken.apiToken.id;
}

async function freshGroup(): Promise<string> {
  const payload = await ownerMutation(
    "createGroup",
    `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } userErrors { code } } }`,
    { organizationId: cast.org.id, name: fresh("group") },
  );
  return payload.group.id;
}

async function freshCustomRole(): Promise<string> {
  const name = fresh("role");
  await ownerMutation(
    "createCustomRole",
    `mutation($input: CustomRoleInput!) { createCustomRole(input: $input) { role { name } userErrors { code } } }`,
    { organizationId: cast.org.id, name, permissions: [{ resource: "GROUP", action: "READ" }] },
  );
  return name;
}

async function freshWorkspace(): Promise<string> {
  const { payload, errors } = await createWorkspace(app, cast.member.token, { templateId, name: fresh("ws") });
  expect(errors).toBeUndefined();
  expect(payload.userErrors).toEqual([]);
  // Its first build done: one build at a time.
  await finishLatestBuild(app, payload.workspace.id);
  return payload.workspace.id;
}

/** A new version of the standing template, imported (ready to promote) unless told. */
async function freshVersion(options: { imported?: boolean; archived?: boolean } = {}): Promise<string> {
  const created = await app.gql(
    `mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { templateVersion { id job { id } } userErrors { code } } }`,
    { input: { templateId, name: fresh("ver") } },
    { token: cast.owner.token },
  );
  expect(created.data?.createTemplateVersion.userErrors).toEqual([]);
  const version = created.data?.createTemplateVersion.templateVersion;
  if (options.imported ?? true) await completeJob(app, uuidOf(version.job.id));
  if (options.archived)
    await app.prisma.templateVersion.update({ where: { id: uuidOf(version.id) }, data: { archived: true } });
  return version.id;
}

/** A job the provisioner key's daemon holds (RUNNING), for completeProvisionerJob. */
async function heldJob(): Promise<{ jobId: string; daemonId: string }> {
  const holder = await register(app, provisionerKey, fresh("holder"));
  await bareJobs(app, uuidOf(cast.org.id), 1);
  const acquired = await acquire(app, provisionerKey, holder);
  if (!acquired) throw new Error("no job to hold");
  return { jobId: acquired.job.id, daemonId: holder };
}

// ---- the table

type Variables = Record<string, unknown>;
type Row = {
  op: string;
  /** Tells apart several rows of one operation (node lookups of each type). */
  title?: string;
  query: string;
  variables?: (actor: MatrixActor) => Promise<Variables> | Variables;
  /** Replaces the actor's standing credential (e.g. logout must not end the shared session). */
  credential?: (actor: MatrixActor) => Promise<Credential>;
  /** Classifies the field's value when there is no error and no userError. */
  read?: (value: any) => string;
  expect: string;
  /** Anonymous and the provisioner key are UNAUTHENTICATED unless the spec names them. */
  unauthenticatedDefault?: boolean;
};

const input = (build: (actor: MatrixActor) => Promise<Variables> | Variables) => async (actor: MatrixActor) => ({
  input: await build(actor),
});
const orgA = () => cast.org.id;
const hasOrgA = (connection: { edges: { node: { id: string } }[] }) =>
  connection.edges.some((e) => e.node.id === cast.org.id) ? "ok" : "null";

const MEMBERS_ONLY_OK = "owner orgAdmin member orgAuditor customRole memberApiToken: ok";

const ROWS: Row[] = [
  // ---- queries
  ...nodeRows(),
  {
    op: "Query.organizations",
    query: `{ organizations(first: 100) { edges { node { id } } } }`,
    read: hasOrgA,
    expect: `${MEMBERS_ONLY_OK} | userAdmin: ok | outsider: null`,
  },
  {
    op: "Query.organization",
    query: `query($name: String!) { organization(name: $name) { id } }`,
    variables: () => ({ name: ORG_A_NAME }),
    expect: `${MEMBERS_ONLY_OK} | userAdmin: ok | outsider: null`,
  },
  {
    op: "Query.defaultOrganization",
    query: `{ defaultOrganization { id } }`,
    expect: "*: ok",
  },
  {
    op: "Query.siteRoles",
    query: `{ siteRoles { name } }`,
    expect: "*: ok",
  },
  {
    op: "Query.checkPermissions",
    query: `query($checks: [PermissionCheckInput!]!) { checkPermissions(checks: $checks) { key allowed reason } }`,
    variables: () => ({ checks: [{ key: "group", resource: "GROUP", action: "CREATE", organizationId: orgA() }] }),
    read: (results) => (results[0].allowed ? "allowed" : "denied"),
    expect: "owner orgAdmin userAdmin customRole: allowed | *: denied",
  },
  {
    op: "Query.explainPermission",
    // The plain member's UPDATE on their own workspace: themself, the organization's admins and the
    // owner may ask; who cannot read the workspace (auditors read no workspaces) gets NOT_FOUND.
    query: `query($input: ExplainPermissionInput!) { explainPermission(input: $input) { allowed decidedBy summary } }`,
    variables: () => ({
      input: { userId: cast.member.id, action: "UPDATE", resource: "WORKSPACE", objectId: workspaceId },
    }),
    expect: "owner orgAdmin member memberApiToken: ok | orgAuditor userAdmin outsider customRole: NOT_FOUND",
  },
  {
    op: "Query.accessReview",
    query: `query($input: AccessReviewInput!) { accessReview(input: $input) { totalCount edges { grants { kind } } } }`,
    variables: () => ({ input: { action: "USE", objectId: templateId } }),
    expect:
      "owner orgAdmin orgAuditor: ok | member memberApiToken customRole: FORBIDDEN:AUDIT_LOG:READ | userAdmin outsider: NOT_FOUND",
  },
  {
    op: "Query.users",
    query: `{ users(search: "plain-member") { totalCount } }`,
    expect: "*: ok",
  },
  {
    op: "Query.user",
    query: `{ user(username: "plain-member") { id } }`,
    expect: "*: ok",
  },
  {
    op: "Query.auditLogs",
    query: `query($org: ID!) { auditLogs(organizationId: $org) { totalCount } }`,
    variables: () => ({ org: orgA() }),
    expect: "owner orgAdmin orgAuditor: ok | *: null",
  },
  {
    op: "Query.organizationSyncSettings",
    query: `{ organizationSyncSettings { field } }`,
    expect: "owner userAdmin: ok | *: null",
  },
  {
    op: "Query.templates",
    query: `query($org: ID!) { templates(organizationId: $org) { totalCount } }`,
    variables: () => ({ org: orgA() }),
    expect: `${MEMBERS_ONLY_OK} | outsider userAdmin: null`,
  },
  {
    op: "Query.workspaces",
    query: `query($org: ID!) { workspaces(organizationId: $org) { totalCount } }`,
    variables: () => ({ org: orgA() }),
    expect: "owner orgAdmin member memberApiToken: ok | *: null",
  },

  // ---- identity
  {
    op: "Mutation.createFirstUser",
    query: `mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token userErrors { code } } }`,
    variables: input(() => ({
      email: `${fresh("first")}@example.com`,
      username: fresh("first"),
      password: TEST_PASSWORD,
    })),
    expect: "*: userError:SETUP_ALREADY_DONE",
    unauthenticatedDefault: false,
  },
  {
    op: "Mutation.login",
    query: `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`,
    variables: input(() => ({ email: loginUser.email, password: TEST_PASSWORD })),
    expect: "*: ok",
    unauthenticatedDefault: false,
  },
  {
    op: "Mutation.loginWithOidc",
    query: `mutation($input: LoginWithOidcInput!) { loginWithOidc(input: $input) { token userErrors { code } } }`,
    variables: input(() => ({ idToken: "not-a-token" })),
    expect: "*: userError:FEATURE_DISABLED",
    unauthenticatedDefault: false,
  },
  {
    op: "Mutation.logout",
    query: `mutation { logout }`,
    // A session (or API token) of its own, so the standing ones survive.
    credential: async (actor) => {
      if (actor === "anonymous" || actor === "provisionerKey") return credentialOfActor(actor);
      if (actor === "memberApiToken") return { token: await cast.member.apiToken(fresh("bye")) };
      const who = actor === "customRole" ? customHolder : cast[actor];
      return { token: await login(app, who.email) };
    },
    expect: "*: ok",
  },
  {
    op: "Mutation.refreshSession",
    query: `mutation { refreshSession { token expiresAt userErrors { code } } }`,
    // A session of its own, so the standing ones keep their expiry.
    credential: async (actor) => {
      if (actor === "anonymous" || actor === "provisionerKey" || actor === "memberApiToken") {
        return credentialOfActor(actor);
      }
      const who = actor === "customRole" ? customHolder : cast[actor];
      return { token: await login(app, who.email) };
    },
    expect: "memberApiToken: userError:INVALID_INPUT | *: ok",
  },
  {
    op: "Mutation.createUser",
    query: `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code } } }`,
    variables: input(() => {
      const username = fresh("made");
      return { email: `${username}@example.com`, username, password: TEST_PASSWORD };
    }),
    expect: "owner userAdmin: ok | *: FORBIDDEN:USER:CREATE",
  },
  {
    op: "Mutation.updateUserSiteRoles",
    query: `mutation($input: UpdateUserSiteRolesInput!) { updateUserSiteRoles(input: $input) { user { id } userErrors { code } } }`,
    variables: input(async () => ({ userId: (await freshMember()).id, roles: ["auditor"] })),
    expect: "owner: ok | userAdmin: userError:ROLE_NOT_ASSIGNABLE | *: FORBIDDEN:ASSIGN_ROLE:ASSIGN",
  },
  {
    op: "Mutation.createApiToken",
    query: `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token userErrors { code } } }`,
    variables: input(() => ({ name: fresh("token") })),
    expect: "*: ok",
  },
  {
    op: "Mutation.updateUser",
    query: `mutation($input: UpdateUserInput!) { updateUser(input: $input) { user { id } userErrors { code } } }`,
    variables: input(async () => ({ userId: (await freshMember()).id, name: fresh("Renamed") })),
    expect: "owner userAdmin: ok | *: FORBIDDEN:USER:UPDATE",
  },
  {
    // A wrong current password, so the standing sessions of the cast survive.
    op: "Mutation.changePassword",
    query: `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { id } userErrors { code } } }`,
    variables: input(() => ({ oldPassword: "not-the-password", newPassword: "A-new-pass-123" })),
    expect: "*: userError:INVALID_CREDENTIALS",
  },
  {
    op: "Mutation.suspendUser",
    query: `mutation($input: UserIdInput!) { suspendUser(input: $input) { user { id } userErrors { code } } }`,
    variables: input(async () => ({ userId: (await freshMember()).id })),
    expect: "owner userAdmin: ok | *: FORBIDDEN:USER:UPDATE",
  },
  {
    op: "Mutation.activateUser",
    query: `mutation($input: UserIdInput!) { activateUser(input: $input) { user { id } userErrors { code } } }`,
    variables: input(async () => ({ userId: (await freshMember()).id })),
    expect: "owner userAdmin: ok | *: FORBIDDEN:USER:UPDATE",
  },
  {
    op: "Mutation.deleteUser",
    query: `mutation($input: UserIdInput!) { deleteUser(input: $input) { deletedId userErrors { code } } }`,
    variables: input(async () => ({ userId: (await freshMember()).id })),
    expect: "owner userAdmin: ok | *: FORBIDDEN:USER:DELETE",
  },
  {
    // A token of the member: its owner and the user admins revoke it; nobody else sees it.
    op: "Mutation.deleteApiToken",
    query: `mutation($input: DeleteApiTokenInput!) { deleteApiToken(input: $input) { deletedId userErrors { code } } }`,
    variables: input(async () => ({ id: await freshMemberTokenId() })),
    expect: "owner userAdmin member memberApiToken: ok | *: NOT_FOUND",
  },

  // ---- organizations
  {
    op: "Mutation.createOrganization",
    query: `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } userErrors { code } } }`,
    variables: input(() => ({ name: fresh("org") })),
    expect: "owner: ok | *: FORBIDDEN:ORGANIZATION:CREATE",
  },
  {
    op: "Mutation.updateOrganization",
    query: `mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { id } userErrors { code } } }`,
    variables: input(() => ({ organizationId: orgA(), description: fresh("described") })),
    expect: "owner orgAdmin: ok | outsider: NOT_FOUND | *: FORBIDDEN:ORGANIZATION:UPDATE",
  },
  {
    // Organization A is not empty: even the owner is refused, with a userError, and nothing is deleted.
    op: "Mutation.deleteOrganization",
    query: `mutation($input: DeleteOrganizationInput!) { deleteOrganization(input: $input) { deletedId userErrors { code } } }`,
    variables: input(() => ({ organizationId: orgA() })),
    expect: "owner: userError:ORGANIZATION_NOT_EMPTY | outsider: NOT_FOUND | *: FORBIDDEN:ORGANIZATION:DELETE",
  },

  // ---- members
  {
    op: "Mutation.addOrganizationMember",
    query: `mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { member { user { id } } userErrors { code } } }`,
    variables: input(async () => ({
      organizationId: orgA(),
      userId: (await cast.owner.user(fresh("newcomer"))).id,
    })),
    expect: "owner orgAdmin userAdmin: ok | outsider: NOT_FOUND | *: FORBIDDEN:ORGANIZATION_MEMBER:CREATE",
  },
  {
    op: "Mutation.removeOrganizationMember",
    query: `mutation($input: OrganizationMemberInput!) { removeOrganizationMember(input: $input) { deletedId userErrors { code } } }`,
    variables: input(async () => ({ organizationId: orgA(), userId: (await freshMember()).id })),
    expect: "owner orgAdmin userAdmin: ok | outsider: NOT_FOUND | *: FORBIDDEN:ORGANIZATION_MEMBER:DELETE",
  },
  {
    op: "Mutation.updateOrganizationMemberRoles",
    query: `mutation($input: UpdateOrganizationMemberRolesInput!) { updateOrganizationMemberRoles(input: $input) { member { roles { name } } userErrors { code } } }`,
    variables: input(async () => ({
      organizationId: orgA(),
      userId: (await freshMember()).id,
      roles: ["organization-auditor"],
    })),
    expect:
      "owner orgAdmin: ok | userAdmin: userError:ROLE_NOT_ASSIGNABLE | outsider: NOT_FOUND | *: FORBIDDEN:ASSIGN_ORG_ROLE:ASSIGN",
  },

  // ---- custom roles
  {
    op: "Mutation.createCustomRole",
    query: `mutation($input: CustomRoleInput!) { createCustomRole(input: $input) { role { name } userErrors { code } } }`,
    variables: input(() => ({
      organizationId: orgA(),
      name: fresh("custom"),
      permissions: [{ resource: "GROUP", action: "READ" }],
    })),
    expect: "owner orgAdmin: ok | outsider: NOT_FOUND | *: FORBIDDEN:ASSIGN_ORG_ROLE:CREATE",
  },
  {
    op: "Mutation.updateCustomRole",
    query: `mutation($input: CustomRoleInput!) { updateCustomRole(input: $input) { role { name } userErrors { code } } }`,
    variables: input(async () => ({
      organizationId: orgA(),
      name: await freshCustomRole(),
      permissions: [{ resource: "GROUP", action: "READ" }],
    })),
    expect: "owner orgAdmin: ok | outsider: NOT_FOUND | *: FORBIDDEN:ASSIGN_ORG_ROLE:UPDATE",
  },
  {
    op: "Mutation.deleteCustomRole",
    query: `mutation($input: DeleteCustomRoleInput!) { deleteCustomRole(input: $input) { deletedId userErrors { code } } }`,
    variables: input(async () => ({ organizationId: orgA(), name: await freshCustomRole() })),
    expect: "owner orgAdmin: ok | outsider: NOT_FOUND | *: FORBIDDEN:ASSIGN_ORG_ROLE:DELETE",
  },

  // ---- groups
  {
    op: "Mutation.createGroup",
    query: `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } userErrors { code } } }`,
    variables: input(() => ({ organizationId: orgA(), name: fresh("team") })),
    expect: "owner orgAdmin userAdmin customRole: ok | outsider: NOT_FOUND | *: FORBIDDEN:GROUP:CREATE",
  },
  {
    op: "Mutation.updateGroup",
    query: `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { id } userErrors { code } } }`,
    variables: input(async () => ({ groupId: await freshGroup(), displayName: "Renamed" })),
    expect:
      "owner orgAdmin userAdmin: ok | orgAuditor customRole: FORBIDDEN:GROUP:UPDATE | member memberApiToken outsider: NOT_FOUND",
  },
  {
    op: "Mutation.deleteGroup",
    query: `mutation($input: DeleteGroupInput!) { deleteGroup(input: $input) { deletedId userErrors { code } } }`,
    variables: input(async () => ({ groupId: await freshGroup() })),
    expect:
      "owner orgAdmin userAdmin: ok | orgAuditor customRole: FORBIDDEN:GROUP:DELETE | member memberApiToken outsider: NOT_FOUND",
  },

  // ---- provisioners
  {
    op: "Mutation.createProvisionerKey",
    query: `mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key userErrors { code } } }`,
    variables: input(() => ({ organizationId: orgA(), name: fresh("key") })),
    expect: "owner orgAdmin: ok | outsider: NOT_FOUND | *: FORBIDDEN:PROVISIONER_DAEMON:CREATE",
  },
  {
    op: "Mutation.deleteProvisionerKey",
    query: `mutation($input: DeleteProvisionerKeyInput!) { deleteProvisionerKey(input: $input) { deletedId userErrors { code } } }`,
    variables: input(async () => ({
      provisionerKeyId: (await createKey(app, cast.owner.token, orgA(), fresh("doomed"))).id,
    })),
    // Keys are visible only to those who may create them; to everyone else they do not exist.
    expect: "owner orgAdmin: ok | *: NOT_FOUND",
  },
  {
    op: "Mutation.registerProvisionerDaemon",
    query: `mutation($input: RegisterProvisionerDaemonInput!) { registerProvisionerDaemon(input: $input) { daemon { id } userErrors { code } } }`,
    variables: input(() => ({ name: fresh("daemon"), version: "matrix" })),
    expect: "provisionerKey: ok | *: UNAUTHENTICATED",
  },
  {
    op: "Mutation.acquireProvisionerJob",
    query: `mutation($input: AcquireProvisionerJobInput!) { acquireProvisionerJob(input: $input) { acquired { job { id } } userErrors { code } } }`,
    variables: input(() => ({ daemonId })),
    expect: "provisionerKey: ok | *: UNAUTHENTICATED",
  },
  {
    op: "Mutation.completeProvisionerJob",
    query: `mutation($input: CompleteProvisionerJobInput!) { completeProvisionerJob(input: $input) { job { status } userErrors { code } } }`,
    variables: input(async (actor) => (actor === "provisionerKey" ? heldJob() : { jobId: importJobId })),
    expect: "provisionerKey: ok | *: UNAUTHENTICATED",
  },
  {
    op: "Mutation.cancelProvisionerJob",
    query: `mutation($input: CancelProvisionerJobInput!) { cancelProvisionerJob(input: $input) { job { status } userErrors { code } } }`,
    variables: input(async () => ({ jobId: jobGlobalId((await bareJobs(app, uuidOf(cast.org.id), 1))[0] as string) })),
    // A job without template or workspace: only PROVISIONER_JOBS UPDATE holders; members see it, others do not.
    expect:
      "owner orgAdmin: ok | member orgAuditor customRole memberApiToken: FORBIDDEN:PROVISIONER_JOBS:UPDATE | outsider userAdmin: NOT_FOUND",
  },

  // ---- templates and workspaces
  {
    op: "Mutation.createTemplate",
    query: `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id } userErrors { code } } }`,
    variables: input(() => ({ organizationId: orgA(), name: fresh("tpl") })),
    expect: "owner orgAdmin: ok | outsider: NOT_FOUND | *: FORBIDDEN:TEMPLATE:CREATE",
  },
  {
    op: "Mutation.updateTemplate",
    query: `mutation($input: UpdateTemplateInput!) { updateTemplate(input: $input) { template { id } userErrors { code } } }`,
    variables: input(() => ({ templateId, description: fresh("described") })),
    // As updateTemplateAcl: members read the template through Everyone's USE entry, and may not change it.
    expect:
      "owner orgAdmin: ok | member orgAuditor customRole memberApiToken: FORBIDDEN:TEMPLATE:UPDATE | outsider userAdmin: NOT_FOUND",
  },
  {
    op: "Mutation.deleteTemplate",
    query: `mutation($input: DeleteTemplateInput!) { deleteTemplate(input: $input) { deletedId userErrors { code } } }`,
    variables: input(async () => ({
      templateId: await createTemplate(app, cast.owner.token, { organizationId: orgA(), name: fresh("doomed-tpl") }),
    })),
    expect:
      "owner orgAdmin: ok | member orgAuditor customRole memberApiToken: FORBIDDEN:TEMPLATE:DELETE | outsider userAdmin: NOT_FOUND",
  },
  {
    op: "Mutation.createTemplateVersion",
    query: `mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { templateVersion { id } userErrors { code } } }`,
    variables: input(() => ({ templateId, name: fresh("v") })),
    // As updateTemplate: template admins only.
    expect:
      "owner orgAdmin: ok | member orgAuditor customRole memberApiToken: FORBIDDEN:TEMPLATE:UPDATE | outsider userAdmin: NOT_FOUND",
  },
  {
    op: "Mutation.promoteTemplateVersion",
    query: `mutation($input: TemplateVersionIdInput!) { promoteTemplateVersion(input: $input) { templateVersion { id } userErrors { code } } }`,
    variables: input(async () => ({ templateVersionId: await freshVersion() })),
    expect:
      "owner orgAdmin: ok | member orgAuditor customRole memberApiToken: FORBIDDEN:TEMPLATE:UPDATE | outsider userAdmin: NOT_FOUND",
  },
  {
    op: "Mutation.archiveTemplateVersion",
    query: `mutation($input: TemplateVersionIdInput!) { archiveTemplateVersion(input: $input) { templateVersion { id } userErrors { code } } }`,
    variables: input(async () => ({ templateVersionId: await freshVersion({ imported: false }) })),
    expect:
      "owner orgAdmin: ok | member orgAuditor customRole memberApiToken: FORBIDDEN:TEMPLATE:UPDATE | outsider userAdmin: NOT_FOUND",
  },
  {
    op: "Mutation.unarchiveTemplateVersion",
    query: `mutation($input: TemplateVersionIdInput!) { unarchiveTemplateVersion(input: $input) { templateVersion { id } userErrors { code } } }`,
    variables: input(async () => ({ templateVersionId: await freshVersion({ archived: true }) })),
    expect:
      "owner orgAdmin: ok | member orgAuditor customRole memberApiToken: FORBIDDEN:TEMPLATE:UPDATE | outsider userAdmin: NOT_FOUND",
  },
  {
    op: "Mutation.updateTemplateAcl",
    query: `mutation($input: UpdateTemplateAclInput!) { updateTemplateAcl(input: $input) { template { id } userErrors { code } } }`,
    variables: input(() => ({ templateId, users: [{ userId: cast.orgAuditor.id, role: "USE" }] })),
    // Members read the template through the Everyone group's USE entry; a site user-admin has no way to it.
    expect:
      "owner orgAdmin: ok | member orgAuditor customRole memberApiToken: FORBIDDEN:TEMPLATE:UPDATE | outsider userAdmin: NOT_FOUND",
  },
  {
    op: "Mutation.createWorkspace",
    query: `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } userErrors { code } } }`,
    variables: input(() => ({ templateId, name: fresh("mine") })),
    expect: `${MEMBERS_ONLY_OK} | outsider userAdmin: NOT_FOUND`,
  },
  {
    op: "Mutation.transitionWorkspace",
    query: `mutation($input: WorkspaceTransitionInput!) { transitionWorkspace(input: $input) { workspace { id } userErrors { code } } }`,
    variables: input(async () => ({ workspaceId: await freshWorkspace(), transition: "STOP" })),
    expect: "owner orgAdmin member memberApiToken: ok | *: NOT_FOUND",
  },

  // ---- IdP sync
  {
    op: "Mutation.updateOrganizationSyncSettings",
    query: `mutation($input: UpdateOrganizationSyncSettingsInput!) { updateOrganizationSyncSettings(input: $input) { settings { field } userErrors { code } } }`,
    variables: input(() => ({ field: "", mapping: [], assignDefault: true })),
    expect: "owner userAdmin: ok | *: FORBIDDEN:IDPSYNC_SETTINGS:UPDATE",
  },
  {
    op: "Mutation.updateGroupSyncSettings",
    query: `mutation($input: UpdateGroupSyncSettingsInput!) { updateGroupSyncSettings(input: $input) { settings { field } userErrors { code } } }`,
    variables: input(() => ({ organizationId: orgA(), field: "groups", mapping: [], autoCreateMissingGroups: false })),
    expect: "owner orgAdmin userAdmin: ok | outsider: NOT_FOUND | *: FORBIDDEN:IDPSYNC_SETTINGS:UPDATE",
  },
  {
    op: "Mutation.updateRoleSyncSettings",
    query: `mutation($input: UpdateRoleSyncSettingsInput!) { updateRoleSyncSettings(input: $input) { settings { field } userErrors { code } } }`,
    variables: input(() => ({ organizationId: orgA(), field: "roles", mapping: [] })),
    // Turning role sync on needs the right to assign every role of the organization.
    expect:
      "owner orgAdmin: ok | userAdmin: userError:ROLE_NOT_ASSIGNABLE | outsider: NOT_FOUND | *: FORBIDDEN:IDPSYNC_SETTINGS:UPDATE",
  },
];

/** node(id:) for each kind of object in organization A: readable ones answer, others are null. */
function nodeRows(): Row[] {
  const node = (title: string, id: () => string, expect: string): Row => ({
    op: "Query.node",
    title,
    query: `query($id: ID!) { node(id: $id) { id } }`,
    variables: () => ({ id: id() }),
    expect: `${expect} | anonymous provisionerKey: null`,
    unauthenticatedDefault: false,
  });
  return [
    node("Organization", orgA, `${MEMBERS_ONLY_OK} | userAdmin: ok | outsider: null`),
    node("Template", () => templateId, `${MEMBERS_ONLY_OK} | outsider userAdmin: null`),
    node("Workspace", () => workspaceId, "owner orgAdmin member memberApiToken: ok | *: null"),
    node("Group", () => groupId, "owner orgAdmin userAdmin orgAuditor customRole: ok | *: null"),
    node("ProvisionerKey", () => provisionerKeyId, "owner orgAdmin: ok | *: null"),
    node("ProvisionerDaemon", () => daemonId, `${MEMBERS_ONLY_OK} | outsider userAdmin: null`),
    node("ProvisionerJob", () => importJobId, `${MEMBERS_ONLY_OK} | outsider userAdmin: null`),
  ];
}

async function run(row: Row, actor: MatrixActor): Promise<string> {
  const credential = row.credential ? await row.credential(actor) : credentialOfActor(actor);
  const variables = row.variables ? await row.variables(actor) : {};
  const result: GqlResult = await app.gql(row.query, variables, { headers: headersOf(credential) });
  return classify(result, row.op.split(".")[1] as string, row.read);
}

describe("integration matrix", () => {
  it("has exactly one row for every mutation and every non-public query", () => {
    const ops = ROWS.filter((r) => !r.title).map((r) => r.op);
    const served = guardedOperations();
    expect(
      served.filter((op) => !ops.includes(op)),
      "operations without a row",
    ).toEqual([]);
    expect(
      ops.filter((op) => !served.includes(op)),
      "rows for operations the schema does not serve",
    ).toEqual([]);
    expect(ops.length, "duplicate rows").toBe(new Set(ops).size);
  });

  it.each(ROWS.map((row) => [row.title ? `${row.op} (${row.title})` : row.op, row] as const))(
    "%s",
    async (_op, row) => {
      const expected = expectations(row.expect, row.unauthenticatedDefault ?? true);
      const actual = {} as Record<MatrixActor, string>;
      for (const actor of MATRIX_ACTORS) actual[actor] = await run(row, actor);
      expect(actual).toEqual(expected);
    },
  );

  it("answers NOT_FOUND, not FORBIDDEN, when a site role change names a user the viewer cannot see", async () => {
    // In organization B only: no organization in common with organization A's members.
    const hidden = await app.gql(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code } } }`,
      {
        input: {
          email: "hidden@example.com",
          username: "hidden",
          password: TEST_PASSWORD,
          organizationIds: [cast.otherOrg.id],
        },
      },
      { token: cast.owner.token },
    );
    const userId = hidden.data?.createUser.user.id;
    const ROLES = `mutation($input: UpdateUserSiteRolesInput!) { updateUserSiteRoles(input: $input) { userErrors { code } } }`;
    const lookup = await app.gql(`{ user(username: "hidden") { id } }`, {}, { token: cast.member.token });
    expect(lookup.data?.user).toBeNull();
    const refused = await app.gql(ROLES, { input: { userId, roles: ["auditor"] } }, { token: cast.member.token });
    expect(classify(refused, "updateUserSiteRoles")).toBe("NOT_FOUND");
    // Seen by a user-admin: the refusal is about the role, not the user.
    const seen = await app.gql(ROLES, { input: { userId, roles: ["auditor"] } }, { token: cast.userAdmin.token });
    expect(classify(seen, "updateUserSiteRoles")).toBe("userError:ROLE_NOT_ASSIGNABLE");
  });
});
