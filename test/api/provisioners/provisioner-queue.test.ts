// The provisioner job queue: exactly-once handout under concurrency, organization isolation,
// tag matching, completion by the holder only, stale-job reaping, and the daemon itself.

import type { ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../../../src/app.js";
import { loadConfig } from "../../../src/config.js";
import { openPostgres } from "../../../src/db/database.js";
import { createLogger } from "../../../src/logger.js";
import {
  failStaleJobs,
  pendingTimeoutError,
  STALE_JOB_ERROR,
  startStaleJobReaper,
} from "../../../src/modules/provisioners/provisioner-queue.js";
import { type Tags, tagsSatisfy } from "../../../src/modules/provisioners/tags.js";
import { DaemonClient, type Fetch } from "../../../src/provisionerd/client.js";
import { runDaemon } from "../../../src/provisionerd/daemon.js";
import { ECHO_FAILURE } from "../../../src/provisionerd/echo.js";
import { startCompiled } from "../../support/child.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import {
  acquire,
  bareJobs,
  buildJob,
  COMPLETE,
  complete,
  createKey,
  importJob,
  jobGlobalId,
  register,
} from "../../support/provisioners.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";

let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  app = await createTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  owner = await seed(app).owner();
});
afterAll(async () => {
  await app?.close();
});

type Gql = TestApp["gql"];

/** A daemon that acquires and completes until nothing is left; returns the job ids it ran. */
async function drain(gql: Gql, key: string, daemonId: string): Promise<string[]> {
  const ran: string[] = [];
  for (;;) {
    const result = await gql(
      `mutation($input: AcquireProvisionerJobInput!) { acquireProvisionerJob(input: $input) { acquired { job { id } } userErrors { code } } }`,
      { input: { daemonId } },
      { headers: { "provisioner-key": key } },
    );
    expect(result.errors).toBeUndefined();
    const job = result.data?.acquireProvisionerJob.acquired?.job;
    if (!job) return ran;
    ran.push(job.id);
    const done = await gql(COMPLETE, { input: { jobId: job.id, daemonId } }, { headers: { "provisioner-key": key } });
    expect(done.data?.completeProvisionerJob.userErrors).toEqual([]);
  }
}

/** A second server instance on the same PostgreSQL database, when the tests run on PostgreSQL. */
async function secondInstance(): Promise<{ gql: Gql; close: () => Promise<void> } | null> {
  const base = inject("postgresUrl");
  if (!base) return null;
  const [row] = await app.prisma.$queryRaw<{ db: string }[]>`SELECT current_database()::text AS db`;
  const url = new URL(base);
  url.pathname = `/${row?.db}`;
  const db = await openPostgres(url.toString(), { poolMax: 5, connectTimeoutMs: 5000, statementTimeoutMs: 30000 });
  const config = loadConfig({ LOG_LEVEL: "silent" });
  const { yoga } = createApp({ db, config, log: createLogger("silent") });
  const gql: Gql = async (query, variables = {}, options = {}) => {
    const response = await yoga.fetch("http://second/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...options.headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: any };
    return { status: response.status, data: body.data ?? null, errors: body.errors, headers: response.headers };
  };
  return { gql, close: () => db.close() };
}

describe("handing out jobs", () => {
  it("runs each of 50 jobs exactly once, only in its organization, with daemons racing", async () => {
    const red = await owner.org("red");
    const blue = await owner.org("blue");
    const redKey = await createKey(app, owner.token, red.id, "red");
    const blueKey = await createKey(app, owner.token, blue.id, "blue");
    const red1 = await register(app, redKey.key, "red-1");
    const red2 = await register(app, redKey.key, "red-2");
    const blue1 = await register(app, blueKey.key, "blue-1");
    const redJobs = await bareJobs(app, red.uuid, 30);
    const blueJobs = await bareJobs(app, blue.uuid, 20);

    const second = await secondInstance();
    const gqlB = second?.gql ?? app.gql;
    try {
      // Two loops per daemon, and red-2 talks to the second instance when there is one.
      const runs = await Promise.all([
        drain(app.gql, redKey.key, red1),
        drain(app.gql, redKey.key, red1),
        drain(gqlB, redKey.key, red2),
        drain(gqlB, redKey.key, red2),
        drain(app.gql, blueKey.key, blue1),
        drain(gqlB, blueKey.key, blue1),
      ]);
      const redRan = [...runs[0], ...runs[1], ...runs[2], ...runs[3]];
      const blueRan = [...runs[4], ...runs[5]];
      expect(redRan.length).toBe(30);
      expect(new Set(redRan)).toEqual(new Set(redJobs.map(jobGlobalId)));
      expect(blueRan.length).toBe(20);
      expect(new Set(blueRan)).toEqual(new Set(blueJobs.map(jobGlobalId)));
    } finally {
      await second?.close();
    }
    const jobs = await app.prisma.provisionerJob.findMany({
      where: { organizationId: { in: [red.uuid, blue.uuid] } },
      include: { worker: true },
    });
    expect(jobs.length).toBe(50);
    for (const job of jobs) {
      expect(job.status).toBe("SUCCEEDED");
      expect(job.worker?.organizationId).toBe(job.organizationId);
    }
  });

  it("hands out the oldest job first and counts each request as the daemon being seen", async () => {
    const org = await owner.org("fifo");
    const { key } = await createKey(app, owner.token, org.id, "fifo");
    const daemonId = await register(app, key, "fifo");
    await app.prisma.provisionerDaemon.update({ where: { id: uuidOf(daemonId) }, data: { lastSeenAt: new Date(0) } });
    const jobs = await bareJobs(app, org.uuid, 3);
    for (const expected of jobs) {
      const acquired = await acquire(app, key, daemonId);
      expect(acquired?.job).toMatchObject({ id: jobGlobalId(expected), status: "RUNNING" });
    }
    expect(await acquire(app, key, daemonId)).toBeNull();
    const daemon = await app.prisma.provisionerDaemon.findUniqueOrThrow({ where: { id: uuidOf(daemonId) } });
    expect(Date.now() - (daemon.lastSeenAt?.getTime() ?? 0)).toBeLessThan(10_000);
    const running = await app.prisma.provisionerJob.findMany({ where: { organizationId: org.uuid } });
    expect(running.every((j) => j.status === "RUNNING" && j.workerId === uuidOf(daemonId) && j.startedAt)).toBe(true);
  });
});

describe("tag matching", () => {
  const cases: [string, Tags, Tags, boolean][] = [
    ["untagged job, untagged daemon", {}, {}, true],
    ["untagged job, tagged daemon", {}, { os: "linux" }, false],
    ["tagged job, untagged daemon", { os: "linux" }, {}, false],
    ["job tags a subset of the daemon's", { os: "linux" }, { os: "linux", zone: "eu" }, true],
    ["equal tags", { os: "linux", zone: "eu" }, { os: "linux", zone: "eu" }, true],
    ["job needs a tag the daemon lacks", { os: "linux", zone: "eu" }, { os: "linux" }, false],
    ["same key, other value", { os: "linux" }, { os: "windows" }, false],
  ];

  it.each(cases)("%s", async (label, jobTags, daemonTags, matches) => {
    expect(tagsSatisfy(daemonTags, jobTags)).toBe(matches);
    const org = await owner.org(`tags-${cases.findIndex((c) => c[0] === label)}`);
    const tags = Object.entries(daemonTags).map(([key, value]) => ({ key, value }));
    const { key } = await createKey(app, owner.token, org.id, "k", tags);
    const daemonId = await register(app, key, "d");
    const [jobId] = await bareJobs(app, org.uuid, 1, jobTags);
    const acquired = await acquire(app, key, daemonId);
    expect(acquired?.job.id ?? null).toBe(matches ? jobGlobalId(jobId as string) : null);
  });
});

describe("completing jobs", () => {
  let org: OrgScope;
  let key: string;
  let holder: string;
  let bystander: string;

  beforeAll(async () => {
    org = await owner.org("complete");
    key = (await createKey(app, owner.token, org.id, "main")).key;
    holder = await register(app, key, "holder");
    bystander = await register(app, key, "bystander");
  });

  it("lets only the holder complete, once; records the import's daily cost", async () => {
    const version = await importJob(app, org.uuid, {}, 7);
    const acquired = await acquire(app, key, holder);
    expect(acquired).toMatchObject({ job: { id: jobGlobalId(version.jobId) }, declaredDailyCost: 7 });
    const jobId = acquired?.job.id as string;

    const otherKey = (await createKey(app, owner.token, org.id, "other")).key;
    expect(errorCodes(await complete(app, otherKey, { jobId }))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await complete(app, key, { jobId, daemonId: bystander }))).toEqual(["NOT_FOUND"]);
    const negative = await complete(app, key, { jobId, daemonId: holder, dailyCost: -1 });
    expect(negative.data?.completeProvisionerJob.userErrors.map((e: { field: string[] }) => e.field)).toEqual([
      ["input", "dailyCost"],
    ]);

    const done = await complete(app, key, { jobId, daemonId: holder, dailyCost: 12 });
    expect(done.data?.completeProvisionerJob).toEqual({
      job: { id: jobId, status: "SUCCEEDED", error: null },
      userErrors: [],
    });
    const stored = await app.prisma.templateVersion.findUniqueOrThrow({ where: { id: version.versionId } });
    expect(stored.dailyCost).toBe(12);
    const again = await complete(app, key, { jobId, daemonId: holder });
    expect(again.data?.completeProvisionerJob.userErrors.map((e: { code: string }) => e.code)).toEqual([
      "JOB_NOT_RUNNING",
    ]);
  });

  it("fails a job with the reported error and leaves the workspace to its module", async () => {
    const version = await importJob(app, org.uuid);
    await app.prisma.provisionerJob.update({ where: { id: version.jobId }, data: { status: "SUCCEEDED" } });
    const deleteFails = await buildJob(app, version, uuidOf(owner.id), "DELETE");
    const first = await acquire(app, key, holder);
    expect(first?.job.id).toBe(jobGlobalId(deleteFails.jobId));
    const failed = await complete(app, key, { jobId: first?.job.id as string, error: "terraform exploded" });
    expect(failed.data?.completeProvisionerJob.job).toMatchObject({ status: "FAILED", error: "terraform exploded" });
    expect((await app.prisma.workspace.findUniqueOrThrow({ where: { id: deleteFails.workspaceId } })).deleted).toBe(
      false,
    );
  });

  it("fails running jobs whose daemon stopped being seen, and only those", async () => {
    const [staleJob, freshJob] = await bareJobs(app, org.uuid, 2);
    const staleAcquired = await acquire(app, key, bystander);
    const freshAcquired = await acquire(app, key, holder);
    expect([staleAcquired?.job.id, freshAcquired?.job.id]).toEqual([
      jobGlobalId(staleJob as string),
      jobGlobalId(freshJob as string),
    ]);
    await app.prisma.provisionerDaemon.update({
      where: { id: uuidOf(bystander) },
      data: { lastSeenAt: new Date(Date.now() - 600_000) },
    });
    expect(await failStaleJobs(app.prisma, new Date(), 300)).toBe(1);
    const jobs = await app.prisma.provisionerJob.findMany({ where: { id: { in: [staleJob, freshJob] as string[] } } });
    const byId = Object.fromEntries(jobs.map((j) => [j.id, j]));
    expect(byId[staleJob as string]).toMatchObject({ status: "FAILED", error: STALE_JOB_ERROR });
    expect(byId[freshJob as string]?.status).toBe("RUNNING");
    // The late daemon learns its job is gone.
    const late = await complete(app, key, { jobId: jobGlobalId(staleJob as string), daemonId: bystander });
    expect(late.data?.completeProvisionerJob.userErrors[0].code).toBe("JOB_NOT_RUNNING");
    await complete(app, key, { jobId: jobGlobalId(freshJob as string), daemonId: holder });
  });
});

describe("the server's stale-job reaper", () => {
  it("fails a running job of a daemon that went silent, on its own", async () => {
    const org = await owner.org("reaper");
    const { key } = await createKey(app, owner.token, org.id, "reaper");
    const daemonId = await register(app, key, "silent");
    const [jobId] = await bareJobs(app, org.uuid, 1);
    await acquire(app, key, daemonId);
    await app.prisma.provisionerDaemon.update({
      where: { id: uuidOf(daemonId) },
      data: { lastSeenAt: new Date(Date.now() - 5000) },
    });
    const config = loadConfig({ PROVISIONER_JOB_TIMEOUT_SECONDS: "1" });
    const stop = startStaleJobReaper(app.prisma, config, createLogger("silent"));
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const job = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: jobId as string } });
        if (job.status === "FAILED") break;
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      stop();
    }
  });
});

describe("the pending-job timeout", () => {
  it("fails a job no daemon acquired in time, with a clear error, and leaves younger and running jobs", async () => {
    const org = await owner.org("unmatched");
    const { key } = await createKey(app, owner.token, org.id, "unmatched");
    const daemonId = await register(app, key, "untagged");
    const [running] = await bareJobs(app, org.uuid, 1);
    await acquire(app, key, daemonId);
    const [stuck] = await bareJobs(app, org.uuid, 1, { region: "mistyped" });
    const [young] = await bareJobs(app, org.uuid, 1, { region: "mistyped" });
    // The running job's daemon counts as seen throughout: only the pending timeout is at play.
    await app.prisma.provisionerDaemon.update({
      where: { id: uuidOf(daemonId) },
      data: { lastSeenAt: new Date(Date.now() + 3600_000) },
    });
    const longAgo = new Date(Date.now() - 3600_000);
    await app.prisma.provisionerJob.updateMany({
      where: { id: { in: [running, stuck] as string[] } },
      data: { createdAt: longAgo },
    });
    const config = loadConfig({ PROVISIONER_PENDING_TIMEOUT_SECONDS: "1800", PROVISIONER_JOB_TIMEOUT_SECONDS: "1" });
    const stop = startStaleJobReaper(app.prisma, config, createLogger("silent"));
    const STATUS = `query($id: ID!) { node(id: $id) { ... on ProvisionerJob { status error } } }`;
    const statusOf = async (id: string) =>
      (await app.gql(STATUS, { id: jobGlobalId(id) }, { token: owner.token })).data?.node;
    try {
      const deadline = Date.now() + 10_000;
      while ((await statusOf(stuck as string)).status !== "FAILED") {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      stop();
    }
    expect(await statusOf(stuck as string)).toEqual({ status: "FAILED", error: pendingTimeoutError(1800) });
    expect((await statusOf(young as string)).status).toBe("PENDING");
    expect((await statusOf(running as string)).status).toBe("RUNNING");
  });
});

describe("the provisioner daemon", () => {
  const yogaFetch = (): Fetch => async (url, init) => app.yoga.fetch(url, init);
  const quiet = createLogger("silent");

  it("runs imports with the echo provisioner, reporting the declared cost, then fails them when told", async () => {
    const org = await owner.org("echo");
    const { key } = await createKey(app, owner.token, org.id, "echo");
    const client = new DaemonClient("http://test/graphql", key, yogaFetch());
    const versions = [await importJob(app, org.uuid, {}, 3), await importJob(app, org.uuid, {}, 5)];
    const base = { client, name: "echo-1", version: "1", pollIntervalMs: 10, heartbeatMs: 1000, log: quiet };
    const ran = await runDaemon({
      ...base,
      echo: { fail: false, delayMs: 0 },
      signal: new AbortController().signal,
      exitWhenIdle: true,
    });
    expect(ran).toBe(2);
    const stored = await app.prisma.templateVersion.findMany({
      where: { id: { in: versions.map((v) => v.versionId) } },
      include: { job: true },
      orderBy: { dailyCost: "asc" },
    });
    expect(stored.map((v) => [v.dailyCost, v.job.status])).toEqual([
      [3, "SUCCEEDED"],
      [5, "SUCCEEDED"],
    ]);

    const doomed = await importJob(app, org.uuid, {}, 9);
    await runDaemon({
      ...base,
      echo: { fail: true, delayMs: 0 },
      signal: new AbortController().signal,
      exitWhenIdle: true,
    });
    const job = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: doomed.jobId } });
    expect(job).toMatchObject({ status: "FAILED", error: ECHO_FAILURE });
  });

  it("stops with an error once its key is deleted", async () => {
    const org = await owner.org("cutoff");
    const { key, id } = await createKey(app, owner.token, org.id, "cutoff");
    await register(app, key, "cutoff");
    await app.gql(
      `mutation($input: DeleteProvisionerKeyInput!) { deleteProvisionerKey(input: $input) { deletedId } }`,
      { input: { provisionerKeyId: id } },
      { token: owner.token },
    );
    const client = new DaemonClient("http://test/graphql", key, yogaFetch());
    await expect(
      runDaemon({
        client,
        name: "cutoff",
        version: "1",
        pollIntervalMs: 10,
        heartbeatMs: 1000,
        log: quiet,
        echo: { fail: false, delayMs: 0 },
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(/refused the provisioner key/);
  });

  describe("as a process", () => {
    let server: Server;
    let url: string;
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      server = createServer(app.yoga);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    });
    afterAll(async () => {
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
      await new Promise((resolve) => server.close(resolve));
    });

    function startDaemon(org: string, key: string, name: string, env: Record<string, string> = {}) {
      const daemon = startCompiled("dist/provisionerd/main.js", ["start", "--org", org, "--name", name], {
        ORGS_API_URL: url,
        PROVISIONER_DAEMON_KEY: key,
        PROVISIONER_POLL_INTERVAL_MS: "50",
        ...env,
      });
      children.push(daemon.proc);
      const { output } = daemon;
      const messages = () =>
        output()
          .trim()
          .split("\n")
          .map((line) => (JSON.parse(line) as { msg: string }).msg);
      return { ...daemon, messages };
    }

    async function waitForJob(jobId: string, status: string, output: () => string) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const job = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: jobId } });
        if (job.status === status) return job;
        expect(Date.now(), output()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    it("registers, runs a job, logs JSON lines, and exits cleanly on SIGTERM", async () => {
      const org = await owner.org("process");
      const { key } = await createKey(app, owner.token, org.id, "process");
      const version = await importJob(app, org.uuid, {}, 4);
      const daemon = startDaemon("process", key, "proc-1");
      await waitForJob(version.jobId, "SUCCEEDED", daemon.output);
      daemon.proc.kill("SIGTERM");
      expect(await daemon.exited, daemon.output()).toBe(0);
      expect(daemon.messages()).toEqual(
        expect.arrayContaining(["starting", "registered", "job acquired", "job succeeded", "stopped"]),
      );
      expect((await app.prisma.templateVersion.findUniqueOrThrow({ where: { id: version.versionId } })).dailyCost).toBe(
        4,
      );
      const registered = await app.prisma.provisionerDaemon.findFirstOrThrow({ where: { name: "proc-1" } });
      expect(registered.organizationId).toBe(org.uuid);
    });

    it("refuses --org naming another organization than the key's, registering nothing", async () => {
      const org = await owner.org("keyed");
      const { key } = await createKey(app, owner.token, org.id, "keyed");
      const daemon = startDaemon("process", key, "misplaced");
      expect(await daemon.exited, daemon.output()).toBe(1);
      expect(daemon.output()).toMatch(/The key belongs to organization keyed, not process/);
      expect(await app.prisma.provisionerDaemon.count({ where: { name: "misplaced" } })).toBe(0);
    });

    it("finishes the job in hand on SIGTERM, heartbeating while it runs", async () => {
      const org = await owner.org("sigterm");
      const { key } = await createKey(app, owner.token, org.id, "sigterm");
      const version = await importJob(app, org.uuid, {}, 2);
      const daemon = startDaemon("sigterm", key, "proc-2", { ECHO_DELAY_MS: "3000", PROVISIONER_HEARTBEAT_MS: "200" });
      const running = await waitForJob(version.jobId, "RUNNING", daemon.output);
      await new Promise((resolve) => setTimeout(resolve, 800));
      const midway = await app.prisma.provisionerJob.findUniqueOrThrow({
        where: { id: version.jobId },
        include: { worker: true },
      });
      expect(midway.status).toBe("RUNNING");
      // Acquiring set lastSeenAt to startedAt; only a heartbeat moves it on while the job runs.
      expect(midway.worker?.lastSeenAt?.getTime()).toBeGreaterThan(running.startedAt?.getTime() ?? Infinity);
      daemon.proc.kill("SIGTERM");
      expect(await daemon.exited, daemon.output()).toBe(0);
      const done = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: version.jobId } });
      expect(done.status).toBe("SUCCEEDED");
      expect(daemon.messages().slice(-2)).toEqual(["job succeeded", "stopped"]);
    });
  });
});
