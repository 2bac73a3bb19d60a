// The seed guide "Using Organizations", end to end over HTTP with the real provisioner daemon:
// an owner creates `data-platform`, a provisioner key and starts `provisionerd` with it, creates
// a template (its import runs on the daemon), adds a member, the member creates a workspace (its
// build runs on the daemon), and a user of another organization sees none of it.
//
// The server runs in this process (node:http around app.yoga, so it works on both databases);
// the daemon is the CLI as an operator starts it, a child process.
import type { ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCompiled } from "../../support/child.js";
import { createTestApp, TEST_PASSWORD, type TestApp } from "../../support/harness.js";

type Result = { data: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] };

let app: TestApp;
let server: Server;
let url: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  app = await createTestApp();
  server = createServer(app.yoga);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await new Promise((resolve) => server?.close(resolve));
  await app?.close();
});

/** One GraphQL request over the socket, as a client sends it. */
async function gql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Result> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Result;
}

/** A mutation that must succeed: no errors, no userErrors; returns its payload. */
async function mutate(field: string, query: string, input: Record<string, unknown>, token?: string) {
  const result = await gql(query, { input }, token);
  expect(result.errors, `${field}: ${JSON.stringify(result.errors)}`).toBeUndefined();
  const payload = result.data?.[field];
  expect(payload.userErrors, `${field}: ${JSON.stringify(payload.userErrors)}`).toEqual([]);
  return payload;
}

function startDaemon(key: string, name: string) {
  const daemon = startCompiled("dist/provisionerd/main.js", ["start", "--org", "data-platform", "--name", name], {
    ORGS_API_URL: url,
    PROVISIONER_DAEMON_KEY: key,
    PROVISIONER_POLL_INTERVAL_MS: "100",
    // Long enough to see the daemon BUSY, short enough to keep the test quick.
    ECHO_DELAY_MS: "1500",
    LOG_LEVEL: "info",
  });
  children.push(daemon.proc);
  return daemon;
}

/** Polls `read` until `done` holds for its value, or fails with `what` and the daemon's log. */
async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  log: () => string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}\ndaemon log:\n${log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const CREATE_FIRST_USER = `mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token user { id } userErrors { code } } }`;
const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code message } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`;
const CREATE_ORG = `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id name } userErrors { code message } } }`;
const CREATE_KEY = `mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key provisionerKey { id name tags { key value } } userErrors { code message } } }`;
const CREATE_TEMPLATE = `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id name activeVersion { id job { id status } } } userErrors { code message } } }`;
const ADD_MEMBER = `mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { member { user { username } } userErrors { code message } } }`;
const UPDATE_GROUP = `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { quotaAllowance } userErrors { code message } } }`;
const CREATE_WORKSPACE = `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id name latestBuild { id buildNumber job { id status } } } userErrors { code message } } }`;
const TRANSITION = `mutation($input: WorkspaceTransitionInput!) { transitionWorkspace(input: $input) { workspace { id } userErrors { code } } }`;
const UPDATE_ACL = `mutation($input: UpdateTemplateAclInput!) { updateTemplateAcl(input: $input) { template { id } userErrors { code } } }`;

const DAEMONS = `query($name: String!) { organization(name: $name) {
  provisionerDaemons { id name status key { name } tags { key value } currentJob { id } previousJob { id } }
} }`;
const JOB = `query($id: ID!) { node(id: $id) { ... on ProvisionerJob {
  id type status error worker { name } matchedProvisioners { count available }
} } }`;

async function signUp(ownerToken: string, username: string): Promise<{ id: string; token: string }> {
  const email = `${username}@example.com`;
  const created = await mutate("createUser", CREATE_USER, { email, username, password: TEST_PASSWORD }, ownerToken);
  const login = await mutate("login", LOGIN, { email, password: TEST_PASSWORD });
  return { id: created.user.id, token: login.token };
}

describe("walkthrough: using organizations", () => {
  it("runs the seed guide with the real daemon, and another organization's user sees none of it", async () => {
    // 0. The owner (first user) and, in another organization, an outsider.
    const first = await mutate("createFirstUser", CREATE_FIRST_USER, {
      email: "owner@example.com",
      username: "owner",
      password: TEST_PASSWORD,
    });
    const owner = { id: first.user.id as string, token: first.token as string };
    const other = (await mutate("createOrganization", CREATE_ORG, { name: "ml-platform" }, owner.token)).organization;
    const outsider = await signUp(owner.token, "outsider");
    await mutate("addOrganizationMember", ADD_MEMBER, { organizationId: other.id, userId: outsider.id }, owner.token);

    // 1. Create the organization.
    const org = (
      await mutate(
        "createOrganization",
        CREATE_ORG,
        { name: "data-platform", displayName: "Data Platform" },
        owner.token,
      )
    ).organization;
    expect(org.name).toBe("data-platform");

    // 2. Deploy a provisioner: a key (the secret is shown once), then `provisionerd start --org`.
    const created = await mutate(
      "createProvisionerKey",
      CREATE_KEY,
      { organizationId: org.id, name: "data-cluster-key", tags: [{ key: "cluster", value: "data" }] },
      owner.token,
    );
    const secret = created.key as string;
    expect(secret).toMatch(/^opk_/);
    expect(created.provisionerKey).toMatchObject({
      name: "data-cluster-key",
      tags: [{ key: "cluster", value: "data" }],
    });

    const daemon = startDaemon(secret, "data-cluster-1");
    const registered = await waitUntil(
      "the daemon to register",
      async () => (await gql(DAEMONS, { name: "data-platform" }, owner.token)).data?.organization.provisionerDaemons,
      (daemons: any[]) => daemons.length === 1,
      daemon.output,
    );
    expect(registered[0]).toMatchObject({
      name: "data-cluster-1",
      status: "IDLE",
      key: { name: "data-cluster-key" },
      tags: [{ key: "cluster", value: "data" }],
      currentJob: null,
    });

    // 3. Create a template: its import job runs on the daemon (BUSY meanwhile), then succeeds.
    const template = (
      await mutate(
        "createTemplate",
        CREATE_TEMPLATE,
        { organizationId: org.id, name: "spark", dailyCost: 2, tags: [{ key: "cluster", value: "data" }] },
        owner.token,
      )
    ).template;
    const importJobId = template.activeVersion.job.id as string;
    const readJob = async (id: string) => (await gql(JOB, { id }, owner.token)).data?.node;
    const running = await waitUntil(
      "the import to start",
      () => readJob(importJobId),
      (j) => j.status !== "PENDING",
      daemon.output,
    );
    expect(running).toMatchObject({ type: "TEMPLATE_VERSION_IMPORT", worker: { name: "data-cluster-1" } });
    if (running.status === "RUNNING") {
      const busy = (await gql(DAEMONS, { name: "data-platform" }, owner.token)).data?.organization
        .provisionerDaemons[0];
      expect(busy).toMatchObject({ status: "BUSY", currentJob: { id: importJobId } });
    }
    const imported = await waitUntil(
      "the import to finish",
      () => readJob(importJobId),
      (j) => j.status !== "RUNNING",
      daemon.output,
    );
    expect(imported).toMatchObject({
      status: "SUCCEEDED",
      error: null,
      matchedProvisioners: { count: 1, available: 1 },
    });
    const idle = (await gql(DAEMONS, { name: "data-platform" }, owner.token)).data?.organization.provisionerDaemons[0];
    expect(idle).toMatchObject({ status: "IDLE", currentJob: null, previousJob: { id: importJobId } });

    // A template whose tags no daemon carries waits, says so, and cannot be used yet.
    const gpu = (
      await mutate(
        "createTemplate",
        CREATE_TEMPLATE,
        { organizationId: org.id, name: "gpu", tags: [{ key: "cluster", value: "gpu" }] },
        owner.token,
      )
    ).template;
    expect(await readJob(gpu.activeVersion.job.id)).toMatchObject({
      status: "PENDING",
      worker: null,
      matchedProvisioners: { count: 0, available: 0 },
    });

    // 5. Add a member; the Everyone group's allowance gives them a budget for the template's cost.
    const member = await signUp(owner.token, "data-scientist");
    await mutate("addOrganizationMember", ADD_MEMBER, { organizationId: org.id, userId: member.id }, owner.token);
    const everyone = (
      await gql(
        `query($name: String!) { organization(name: $name) { groups { edges { node { id isEveryone } } } } }`,
        { name: "data-platform" },
        owner.token,
      )
    ).data?.organization.groups.edges.find((e: any) => e.node.isEveryone).node;
    await mutate("updateGroup", UPDATE_GROUP, { groupId: everyone.id, quotaAllowance: 10 }, owner.token);

    // The member now sees the organization's templates.
    const memberView = await gql(
      `query($org: ID!) {
        organizations { edges { node { name } } }
        templates(organizationId: $org) { totalCount edges { node { name } } }
      }`,
      { org: org.id },
      member.token,
    );
    expect(memberView.errors).toBeUndefined();
    expect(memberView.data?.organizations.edges.map((e: any) => e.node.name).sort()).toEqual([
      "data-platform",
      "default",
    ]);
    expect(memberView.data?.templates.edges.map((e: any) => e.node.name).sort()).toEqual(["gpu", "spark"]);

    const notReady = await gql(CREATE_WORKSPACE, { input: { templateId: gpu.id, name: "on-gpu" } }, member.token);
    expect(notReady.data?.createWorkspace.userErrors.map((e: any) => e.code)).toEqual(["TEMPLATE_VERSION_NOT_READY"]);

    // 6. The member creates a workspace; its build runs on the daemon.
    const workspace = (
      await mutate("createWorkspace", CREATE_WORKSPACE, { templateId: template.id, name: "analysis" }, member.token)
    ).workspace;
    expect(workspace.latestBuild.buildNumber).toBe(1);
    const buildJobId = workspace.latestBuild.job.id as string;
    const readMemberJob = async () =>
      (
        await gql(
          `query($id: ID!) { node(id: $id) { ... on Workspace { latestBuild { job { id type status worker { name } } } } } }`,
          { id: workspace.id },
          member.token,
        )
      ).data?.node.latestBuild.job;
    const built = await waitUntil(
      "the build to finish",
      readMemberJob,
      (j) => ["SUCCEEDED", "FAILED"].includes(j.status),
      daemon.output,
    );
    expect(built).toMatchObject({
      id: buildJobId,
      type: "WORKSPACE_BUILD",
      status: "SUCCEEDED",
      worker: { name: "data-cluster-1" },
    });
    const quota = await gql(
      `query($name: String!) { organization(name: $name) { viewerWorkspaceQuota { creditsConsumed budget } } }`,
      { name: "data-platform" },
      member.token,
    );
    expect(quota.data?.organization.viewerWorkspaceQuota).toEqual({ creditsConsumed: 2, budget: 10 });
    const afterBuild = (await gql(DAEMONS, { name: "data-platform" }, member.token)).data?.organization
      .provisionerDaemons[0];
    expect(afterBuild).toMatchObject({ status: "IDLE", currentJob: null, previousJob: { id: buildJobId } });
    // Members see daemons, not keys.
    expect(afterBuild.key).toBeNull();

    // A user of another organization sees none of it.
    const outsiderView = await gql(
      `query($org: ID!, $tpl: ID!, $ws: ID!, $job: ID!, $daemon: ID!) {
        organizations { edges { node { name } } }
        organization(name: "data-platform") { id }
        templates { totalCount edges { node { id } } }
        orgTemplates: templates(organizationId: $org) { totalCount }
        workspaces { totalCount edges { node { id } } }
        orgWorkspaces: workspaces(organizationId: $org) { totalCount }
        org: node(id: $org) { id }
        tpl: node(id: $tpl) { id }
        ws: node(id: $ws) { id }
        job: node(id: $job) { id }
        daemon: node(id: $daemon) { id }
        auditLogs(organizationId: $org) { totalCount }
      }`,
      { org: org.id, tpl: template.id, ws: workspace.id, job: buildJobId, daemon: registered[0].id },
      outsider.token,
    );
    expect(outsiderView.errors).toBeUndefined();
    expect(outsiderView.data).toEqual({
      organizations: { edges: [{ node: { name: "default" } }, { node: { name: "ml-platform" } }] },
      organization: null,
      templates: { totalCount: 0, edges: [] },
      orgTemplates: { totalCount: 0 },
      workspaces: { totalCount: 0, edges: [] },
      orgWorkspaces: { totalCount: 0 },
      org: null,
      tpl: null,
      ws: null,
      job: null,
      daemon: null,
      auditLogs: { totalCount: 0 },
    });
    const refused = [
      await gql(CREATE_WORKSPACE, { input: { templateId: template.id, name: "mine" } }, outsider.token),
      await gql(TRANSITION, { input: { workspaceId: workspace.id, transition: "STOP" } }, outsider.token),
      await gql(UPDATE_ACL, { input: { templateId: template.id, users: [] } }, outsider.token),
      await gql(CREATE_TEMPLATE, { input: { organizationId: org.id, name: "sneaky" } }, outsider.token),
      await gql(CREATE_KEY, { input: { organizationId: org.id, name: "sneaky" } }, outsider.token),
      await gql(ADD_MEMBER, { input: { organizationId: org.id, userId: outsider.id } }, outsider.token),
      await gql(UPDATE_GROUP, { input: { groupId: everyone.id, quotaAllowance: 99 } }, outsider.token),
    ];
    expect(refused.map((r) => r.errors?.[0]?.extensions?.code)).toEqual(Array(refused.length).fill("NOT_FOUND"));

    // The organization's audit log tells the story (newest first), without the key's secret.
    const audit = await gql(
      `query($name: String!) { organization(name: $name) { auditLogs(first: 100) { edges { node {
        action resourceType resourceName actor { username } diff
      } } } } }`,
      { name: "data-platform" },
      owner.token,
    );
    const events = audit.data?.organization.auditLogs.edges.map((e: any) => e.node).reverse();
    const story = events.map(
      (e: any) => `${e.action} ${e.resourceType} ${e.resourceName} by ${e.actor?.username ?? "-"}`,
    );
    expect(story).toEqual([
      "CREATE ORGANIZATION data-platform by owner",
      "CREATE PROVISIONER_KEY data-cluster-key by owner",
      "REGISTER PROVISIONER_DAEMON data-cluster-1 by -",
      "CREATE TEMPLATE spark by owner",
      "CREATE TEMPLATE gpu by owner",
      "ADD_MEMBER ORGANIZATION_MEMBER data-scientist by owner",
      "UPDATE GROUP Everyone by owner",
      "CREATE WORKSPACE analysis by data-scientist",
    ]);
    // The secret part is base64url (it may contain "_"): everything after the prefix and the id.
    expect(JSON.stringify(events)).not.toContain(secret.split("_").slice(2).join("_"));

    // Stop the daemon: SIGTERM, clean exit.
    daemon.proc.kill("SIGTERM");
    expect(await daemon.exited, daemon.output()).toBe(0);
    const messages = daemon
      .output()
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(["starting", "registered", "job succeeded", "stopped"]));
  }, 90_000);
});
