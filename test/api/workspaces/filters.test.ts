// workspaces(status:, outdated:): filtered in SQL on the latest build, with the read rule, before
// the page is cut. Each status agrees with Workspace.status, outdated with Workspace.outdated;
// totalCount and cursors count what the filtered list shows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProvisionerJobStatus, WorkspaceTransition } from "../../../src/generated/prisma/client.js";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { completeJob, finishLatestBuild, setLatestBuildJob } from "../../support/jobs.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { createWorkspace, transition } from "../../support/workloads.js";

const STATUSES = [
  "PENDING",
  "STARTING",
  "RUNNING",
  "STOPPING",
  "STOPPED",
  "FAILED",
  "CANCELING",
  "CANCELED",
  "DELETING",
  "DELETED",
] as const;
type Status = (typeof STATUSES)[number];

/** Every (transition, job status) of a latest build and the status Coder derives from it. */
const STATES: [WorkspaceTransition, ProvisionerJobStatus, Status][] = [
  ["START", "PENDING", "PENDING"],
  ["START", "RUNNING", "STARTING"],
  ["START", "SUCCEEDED", "RUNNING"],
  ["START", "FAILED", "FAILED"],
  ["START", "CANCELING", "CANCELING"],
  ["START", "CANCELED", "CANCELED"],
  ["STOP", "PENDING", "PENDING"],
  ["STOP", "RUNNING", "STOPPING"],
  ["STOP", "SUCCEEDED", "STOPPED"],
  ["STOP", "FAILED", "FAILED"],
  ["STOP", "CANCELING", "CANCELING"],
  ["STOP", "CANCELED", "CANCELED"],
  ["DELETE", "PENDING", "PENDING"],
  ["DELETE", "RUNNING", "DELETING"],
  ["DELETE", "FAILED", "FAILED"],
  ["DELETE", "CANCELING", "CANCELING"],
  ["DELETE", "CANCELED", "CANCELED"],
  // A DELETE that succeeded deletes the workspace: it leaves every list, DELETED included.
  ["DELETE", "SUCCEEDED", "DELETED"],
];
const nameOf = (transitionName: string, job: string) => `${transitionName}-${job}`.toLowerCase();
const LISTED = STATES.filter(([, , status]) => status !== "DELETED");

const LIST = `query($status: [WorkspaceStatus!], $outdated: Boolean, $search: String, $templateId: ID,
    $first: Int, $after: String, $orderBy: WorkspaceOrderBy) {
  workspaces(status: $status, outdated: $outdated, search: $search, templateId: $templateId,
      first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { name status outdated owner { username } }
  }
}`;
const ORG_LIST = `query($name: String!, $status: [WorkspaceStatus!], $outdated: Boolean) {
  organization(name: $name) { workspaces(status: $status, outdated: $outdated, first: 100) { totalCount nodes { name } } }
}`;

type Node = { name: string; status: Status; outdated: boolean; owner: { username: string } };

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let globex: OrgScope;
let admin: Actor; // organization-admin of acme
let alice: Actor; // owns the workspaces of every state
let bob: Actor; // plain member of acme
let gina: Actor; // globex only
let statesTemplate: string;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  globex = await owner.org("globex");
  admin = await acme.member("admin", ["organization-admin"]);
  alice = await acme.member("alice");
  bob = await acme.member("bob");
  gina = await globex.member("gina");
  statesTemplate = await acme.template("states");
  for (const [to, job] of STATES) {
    const created = await createWorkspace(app, alice.token, { templateId: statesTemplate, name: nameOf(to, job) });
    expect(created.payload.userErrors).toEqual([]);
    const id = created.payload.workspace.id as string;
    if (to !== "START") {
      await finishLatestBuild(app, id);
      expect((await transition(app, alice.token, id, to)).payload.userErrors).toEqual([]);
    }
    if (job !== "PENDING") await setLatestBuildJob(app, id, job);
  }
  // gina's running workspace in globex, a filter's other tenant.
  const globexTemplate = await globex.template("states");
  const hers = await createWorkspace(app, gina.token, { templateId: globexTemplate, name: "start-succeeded" });
  await finishLatestBuild(app, hers.payload.workspace.id);
});
afterAll(async () => {
  await app?.close();
});

async function list(token: string, variables: Record<string, unknown>) {
  const result = await app.gql(LIST, variables, { token });
  expect(result.errors).toBeUndefined();
  const page = result.data?.workspaces as { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string } };
  const nodes = result.data?.workspaces.nodes as Node[];
  return { ...page, nodes, names: nodes.map((n) => n.name).sort() };
}

const namesWith = (wanted: readonly Status[]) =>
  LISTED.filter(([, , status]) => wanted.includes(status))
    .map(([to, job]) => nameOf(to, job))
    .sort();

describe("workspaces(status:)", () => {
  it("derives each status from the latest build as Coder does", async () => {
    const all = await list(alice.token, { templateId: statesTemplate, first: 100 });
    expect(Object.fromEntries(all.nodes.map((n) => [n.name, n.status]))).toEqual(
      Object.fromEntries(LISTED.map(([to, job, status]) => [nameOf(to, job), status])),
    );
  });

  it.each(STATUSES)("%s keeps exactly the workspaces whose status field says so", async (status) => {
    const all = await list(alice.token, { templateId: statesTemplate, first: 100 });
    const filtered = await list(alice.token, { templateId: statesTemplate, status: [status], first: 100 });
    const expected = all.nodes.filter((n) => n.status === status).map((n) => n.name);
    expect(filtered.names).toEqual(expected.sort());
    expect(filtered.names).toEqual(namesWith([status]));
    expect(filtered.totalCount).toBe(expected.length);
    if (status !== "DELETED") expect(expected.length).toBeGreaterThan(0);
  });

  it("keeps any of several statuses, together with search; an empty list keeps none", async () => {
    const several = await list(alice.token, { status: ["STOPPING", "STOPPED", "RUNNING"], search: "STOP" });
    expect(several.names).toEqual(["stop-running", "stop-succeeded"]);
    expect(several.totalCount).toBe(2);
    const none = await list(alice.token, { status: [], first: 100 });
    expect(none).toMatchObject({ names: [], totalCount: 0 });
  });

  it("applies the read rule: no workspace of another owner or organization leaks through a filter", async () => {
    const running = ["RUNNING"];
    expect((await list(bob.token, { status: STATUSES, first: 100 })).totalCount).toBe(0);
    const asGina = await list(gina.token, { status: running });
    expect(asGina.nodes.map((n) => `${n.owner.username}/${n.name}`)).toEqual(["gina/start-succeeded"]);
    expect(asGina.totalCount).toBe(1);
    const asAdmin = await list(admin.token, { status: running });
    expect(asAdmin.nodes.map((n) => `${n.owner.username}/${n.name}`)).toEqual(["alice/start-succeeded"]);
    const asOwner = await list(owner.token, { status: running });
    expect(asOwner.nodes.map((n) => `${n.owner.username}/${n.name}`).sort()).toEqual([
      "alice/start-succeeded",
      "gina/start-succeeded",
    ]);
    // Organization.workspaces takes the same filters, inside its organization.
    const inAcme = await app.gql(ORG_LIST, { name: "acme", status: ["FAILED"] }, { token: admin.token });
    expect(inAcme.errors).toBeUndefined();
    expect(inAcme.data?.organization.workspaces.totalCount).toBe(3);
  });

  it("pages a filtered list with cursors and the filtered totalCount", async () => {
    const status = ["PENDING", "FAILED", "CANCELING", "CANCELED"];
    const expected = namesWith(status as Status[]).reverse();
    expect(expected).toHaveLength(12);
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 3; page++) {
      const variables = { status, first: 5, after, orderBy: { field: "NAME", direction: "DESC" } };
      const result = await app.gql(LIST, variables, { token: alice.token });
      expect(result.errors).toBeUndefined();
      const connection = result.data?.workspaces;
      expect(connection.totalCount).toBe(12);
      seen.push(...connection.nodes.map((n: Node) => n.name));
      expect(connection.pageInfo.hasNextPage).toBe(page < 2);
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });
});

describe("workspaces(outdated:)", () => {
  it("true keeps the workspaces not on the template's active version, false the others, as Workspace.outdated", async () => {
    const templateId = await acme.template("versioned");
    const old = await createWorkspace(app, alice.token, { templateId, name: "old" });
    await finishLatestBuild(app, old.payload.workspace.id);
    const version = await app.gql(
      `mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) {
        templateVersion { id job { id } } userErrors { code } } }`,
      { input: { templateId } },
      { token: owner.token },
    );
    const created = version.data?.createTemplateVersion.templateVersion;
    await completeJob(app, uuidOf(created.job.id));
    const promoted = await app.gql(
      `mutation($input: TemplateVersionIdInput!) { promoteTemplateVersion(input: $input) { userErrors { code } } }`,
      { input: { templateVersionId: created.id } },
      { token: owner.token },
    );
    expect(promoted.data?.promoteTemplateVersion.userErrors).toEqual([]);
    const fresh = await createWorkspace(app, alice.token, { templateId, name: "fresh" });
    expect(fresh.payload.userErrors).toEqual([]);

    const all = await list(alice.token, { templateId });
    expect(all.nodes.map((n) => [n.name, n.outdated]).sort()).toEqual([
      ["fresh", false],
      ["old", true],
    ]);
    expect(await list(alice.token, { templateId, outdated: true })).toMatchObject({ names: ["old"], totalCount: 1 });
    expect(await list(alice.token, { templateId, outdated: false })).toMatchObject({ names: ["fresh"], totalCount: 1 });
    // With a status: old is RUNNING, fresh PENDING.
    expect((await list(alice.token, { templateId, outdated: true, status: ["PENDING"] })).names).toEqual([]);
    expect((await list(alice.token, { templateId, outdated: false, status: ["PENDING"] })).names).toEqual(["fresh"]);
    // Nobody else's workspace is outdated for bob, and the list stays his.
    expect((await list(bob.token, { outdated: true })).totalCount).toBe(0);
  });
});
