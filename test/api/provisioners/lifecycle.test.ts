// Organization.provisionerJobs filters (status list, type, initiator, template) and queue
// positions; daemons pruned after PROVISIONER_DAEMON_PRUNE_DAYS; ProvisionerDaemon.versionMismatch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { pruneDaemons } from "../../../src/modules/provisioners/provisioner-queue.js";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { completeJob } from "../../support/jobs.js";
import { asDaemon, bareJobs, createKey, jobGlobalId, REGISTER, register } from "../../support/provisioners.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { createWorkspace } from "../../support/workloads.js";

const JOBS = `query($name: String!, $status: [ProvisionerJobStatus!], $type: ProvisionerJobType, $initiatorId: ID, $templateId: ID) {
  organization(name: $name) {
    provisionerJobs(first: 50, status: $status, type: $type, initiatorId: $initiatorId, templateId: $templateId) {
      totalCount edges { node { id type status queuePosition initiator { username } } }
    }
  }
}`;
const DAEMONS = `query($name: String!) { organization(name: $name) { provisionerDaemons { name version versionMismatch } } }`;

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let alice: Actor;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  alice = await acme.member("alice");
});
afterAll(async () => {
  await app?.close();
});

type JobNode = {
  id: string;
  type: string;
  status: string;
  queuePosition: number | null;
  initiator: { username: string } | null;
};

async function jobs(filters: Record<string, unknown> = {}): Promise<{ totalCount: number; nodes: JobNode[] }> {
  const result = await app.gql(JOBS, { name: "acme", ...filters }, { token: owner.token });
  expect(result.errors).toBeUndefined();
  const connection = result.data?.organization.provisionerJobs;
  return { totalCount: connection.totalCount, nodes: connection.edges.map((e: { node: JobNode }) => e.node) };
}

describe("Organization.provisionerJobs", () => {
  it("filters by status list, type, initiator and template, and numbers the pending queue oldest first", async () => {
    const one = await acme.template("one", { ready: false });
    const two = await acme.template("two");
    const ws = await createWorkspace(app, alice.token, { templateId: two, name: "w" });
    expect(ws.payload.userErrors).toEqual([]);
    const oneImport = (
      await app.prisma.template.findUniqueOrThrow({ where: { id: uuidOf(one) }, include: { activeVersion: true } })
    ).activeVersion?.jobId as string;
    const build = await app.prisma.workspaceBuild.findFirstOrThrow({
      where: { workspaceId: uuidOf(ws.payload.workspace.id) },
    });

    const all = await jobs();
    expect(all.totalCount).toBe(3);
    // Newest first; pending ones numbered in queue order (oldest is 1).
    expect(all.nodes.map((n) => [n.type, n.status, n.queuePosition])).toEqual([
      ["WORKSPACE_BUILD", "PENDING", 2],
      ["TEMPLATE_VERSION_IMPORT", "SUCCEEDED", null],
      ["TEMPLATE_VERSION_IMPORT", "PENDING", 1],
    ]);
    expect((await jobs({ type: "WORKSPACE_BUILD" })).nodes.map((n) => n.id)).toEqual([jobGlobalId(build.jobId)]);
    expect((await jobs({ status: ["PENDING", "RUNNING"] })).totalCount).toBe(2);
    expect((await jobs({ status: ["SUCCEEDED"], type: "WORKSPACE_BUILD" })).totalCount).toBe(0);
    const byAlice = await jobs({ initiatorId: alice.id });
    expect(byAlice.nodes).toEqual([
      expect.objectContaining({ id: jobGlobalId(build.jobId), initiator: { username: "alice" } }),
    ]);
    expect((await jobs({ initiatorId: owner.id })).totalCount).toBe(2);
    expect((await jobs({ templateId: one })).nodes.map((n) => n.id)).toEqual([jobGlobalId(oneImport)]);
    expect((await jobs({ templateId: two })).totalCount).toBe(2);
    expect((await jobs({ templateId: "not-an-id" })).totalCount).toBe(0);

    await completeJob(app, oneImport);
    expect((await jobs({ status: ["PENDING"] })).nodes.map((n) => n.queuePosition)).toEqual([1]);
  });
});

describe("ProvisionerJob.queuePosition", () => {
  it("counts only the pending jobs ahead that a daemon able to run the job would take first", async () => {
    const tagged = await owner.org("tagged-queue");
    const { key } = await createKey(app, owner.token, tagged.id, "linux", [{ key: "os", value: "linux" }]);
    await register(app, key, "linux-daemon");
    const queued: [string, Record<string, string>][] = [
      ["untagged", {}],
      ["windows", { os: "windows" }],
      ["linux", { os: "linux" }],
      ["untagged-2", {}],
      ["linux-arm", { os: "linux", arch: "arm" }],
      ["linux-2", { os: "linux" }],
    ];
    const ids = new Map<string, string>();
    for (const [label, tags] of queued)
      ids.set(jobGlobalId((await bareJobs(app, tagged.uuid, 1, tags))[0] as string), label);
    const result = await app.gql(JOBS, { name: tagged.name }, { token: owner.token });
    expect(result.errors).toBeUndefined();
    const positions = Object.fromEntries(
      result.data?.organization.provisionerJobs.edges.map((e: { node: JobNode }) => [
        ids.get(e.node.id),
        e.node.queuePosition,
      ]),
    );
    expect(positions).toEqual({
      // No untagged daemon: the first one to come would take the older untagged job first.
      untagged: 1,
      "untagged-2": 2,
      // No windows daemon; the linux one never takes it.
      windows: 1,
      // The linux daemon takes linux jobs oldest first; untagged and windows ones are not its.
      linux: 1,
      "linux-2": 2,
      // No daemon yet: one with exactly its tags would also take the older plain linux job.
      "linux-arm": 2,
    });
  });
});

describe("provisioner daemons", () => {
  it("reports a daemon whose major version differs from the server's", async () => {
    const { key } = await createKey(app, owner.token, acme.id, "versions");
    const server = loadConfig({}).serverVersion;
    const major = Number(server.split(".")[0]);
    for (const [name, version] of [
      ["same", server],
      ["same-v", `v${major}.99.0`],
      ["newer", `${major + 1}.0.0`],
      ["unreadable", "dev"],
    ]) {
      const result = await asDaemon(app, key, REGISTER, { input: { name, version } });
      expect(result.data?.registerProvisionerDaemon.userErrors).toEqual([]);
    }
    const listed = await app.gql(DAEMONS, { name: "acme" }, { token: owner.token });
    const mismatch = Object.fromEntries(
      listed.data?.organization.provisionerDaemons.map((d: { name: string; versionMismatch: boolean }) => [
        d.name,
        d.versionMismatch,
      ]),
    );
    expect(mismatch).toEqual({ same: false, "same-v": false, newer: true, unreadable: true });
  });

  it("prunes daemons not seen for PROVISIONER_DAEMON_PRUNE_DAYS, and only those", async () => {
    const { key } = await createKey(app, owner.token, acme.id, "prunable");
    const old = await register(app, key, "old-daemon");
    const recent = await register(app, key, "recent-daemon");
    const days = loadConfig({}).provisionerDaemonPruneDays;
    expect(days).toBe(7); // Coder's default
    await app.prisma.provisionerDaemon.update({
      where: { id: uuidOf(old) },
      data: { lastSeenAt: new Date(Date.now() - (days * 24 + 1) * 3600_000) },
    });
    const organizations = await pruneDaemons(app.prisma, new Date(), days);
    expect(organizations).toEqual([acme.uuid]);
    const names = (
      await app.gql(DAEMONS, { name: "acme" }, { token: owner.token })
    ).data?.organization.provisionerDaemons.map((d: { name: string }) => d.name);
    expect(names).toContain("recent-daemon");
    expect(names).not.toContain("old-daemon");
    expect(await app.prisma.provisionerDaemon.count({ where: { id: uuidOf(recent) } })).toBe(1);
  });
});
