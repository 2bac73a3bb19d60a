// cancelProvisionerJob: a pending job is canceled at once, a running one is marked CANCELING
// until its daemon reports it; who may cancel; live updates; the echo daemon honouring a cancel;
// and cancel racing acquire (a canceled job is never acquired).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/logger.js";
import { CANCELED_ERROR } from "../../../src/modules/provisioners/provisioners.service.js";
import { DaemonClient, type Fetch } from "../../../src/provisionerd/client.js";
import { runDaemon } from "../../../src/provisionerd/daemon.js";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import {
  acquire,
  asDaemon,
  bareJobs,
  buildJob,
  complete,
  createKey,
  importJob,
  jobGlobalId,
  register,
} from "../../support/provisioners.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { type SseEvent, subscribe } from "../../support/sse.js";

const CANCEL = `mutation($input: CancelProvisionerJobInput!) {
  cancelProvisionerJob(input: $input) { job { id status error completedAt } userErrors { code message field } }
}`;
const HEARTBEAT = `mutation($input: RegisterProvisionerDaemonInput!) {
  registerProvisionerDaemon(input: $input) { daemon { status currentJob { id status } } userErrors { code } }
}`;

let app: TestApp;
let owner: OwnerScope;
let org: OrgScope;
let key: string;
let member: Actor;
let otherMember: Actor;
let templateAdmin: Actor;
let outsider: Actor;

beforeAll(async () => {
  app = await createTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  owner = await seed(app).owner();
  org = await owner.org("acme");
  const other = await owner.org("globex");
  member = await org.member("member");
  otherMember = await org.member("other-member");
  templateAdmin = await org.member("tpl-admin", ["organization-template-admin"]);
  outsider = await other.member("outsider");
  key = (await createKey(app, owner.token, org.id, "k")).key;
});

afterAll(async () => {
  await app?.close();
});

const cancel = (token: string, jobUuid: string) =>
  app.gql(CANCEL, { input: { jobId: jobGlobalId(jobUuid) } }, { token });

describe("canceling a pending job", () => {
  it("cancels it at once, audits it, and no daemon acquires it afterwards", async () => {
    const daemonId = await register(app, key, "pending-d");
    const { jobId } = await importJob(app, org.uuid);
    const result = await cancel(owner.token, jobId);
    expect(result.errors).toBeUndefined();
    expect(result.data?.cancelProvisionerJob.userErrors).toEqual([]);
    expect(result.data?.cancelProvisionerJob.job).toMatchObject({ status: "CANCELED", error: CANCELED_ERROR });
    expect(result.data?.cancelProvisionerJob.job.completedAt).toBeTruthy();
    expect(await acquire(app, key, daemonId)).toBeNull();
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { resourceType: "PROVISIONER_JOB", action: "CANCEL", resourceId: jobId },
    });
    expect(audit.diff).toEqual({ type: "TEMPLATE_VERSION_IMPORT", from: "PENDING", to: "CANCELED" });
    expect(audit.organizationId).toBe(org.uuid);
  });

  it("refuses a finished job with JOB_NOT_CANCELABLE and changes nothing", async () => {
    const { jobId } = await importJob(app, org.uuid);
    expect((await cancel(owner.token, jobId)).data?.cancelProvisionerJob.job.status).toBe("CANCELED");
    const again = await cancel(owner.token, jobId);
    expect(again.data?.cancelProvisionerJob.userErrors).toEqual([
      expect.objectContaining({ code: "JOB_NOT_CANCELABLE", field: ["input", "jobId"] }),
    ]);
    expect(await app.prisma.auditLog.count({ where: { resourceId: jobId, action: "CANCEL" } })).toBe(1);
  });

  it("emits the change on the job's subscription", async () => {
    const { jobId } = await importJob(app, org.uuid);
    const events = await subscribe(
      app.yoga.fetch,
      "http://test/graphql",
      `subscription($id: ID!) { provisionerJobUpdated(jobId: $id) { status } }`,
      { id: jobGlobalId(jobId) },
      owner.token,
    );
    const status = async () => {
      const event: SseEvent = await events.next();
      return event.kind === "next" ? event.data?.provisionerJobUpdated.status : null;
    };
    try {
      expect(await status()).toBe("PENDING");
      await cancel(owner.token, jobId);
      expect(await status()).toBe("CANCELED");
    } finally {
      await events.close();
    }
  });
});

describe("canceling a running job", () => {
  it("marks it CANCELING; the daemon sees it at its heartbeat, and its report ends it CANCELED", async () => {
    const daemonId = await register(app, key, "running-d");
    const [jobId] = await bareJobs(app, org.uuid, 1);
    if (!jobId) throw new Error("no job");
    expect((await acquire(app, key, daemonId))?.job.id).toBe(jobGlobalId(jobId));
    const canceling = await cancel(owner.token, jobId);
    expect(canceling.data?.cancelProvisionerJob.job.status).toBe("CANCELING");
    expect(canceling.data?.cancelProvisionerJob.job.completedAt).toBeNull();

    const beat = await asDaemon(app, key, HEARTBEAT, { input: { name: "running-d", version: "test" } });
    expect(beat.data?.registerProvisionerDaemon.daemon).toEqual({
      status: "BUSY",
      currentJob: { id: jobGlobalId(jobId), status: "CANCELING" },
    });
    // A second cancel while it is canceling is refused.
    expect((await cancel(owner.token, jobId)).data?.cancelProvisionerJob.userErrors[0].code).toBe("JOB_NOT_CANCELABLE");
    // Whatever the daemon reports, the job ends CANCELED.
    const done = await complete(app, key, { jobId: jobGlobalId(jobId), daemonId });
    expect(done.data?.completeProvisionerJob.userErrors).toEqual([]);
    expect(done.data?.completeProvisionerJob.job).toMatchObject({ status: "CANCELED", error: CANCELED_ERROR });
  });

  it("is honoured by the echo daemon, which stops the job and reports it canceled", async () => {
    const { key: echoKey } = await createKey(app, owner.token, org.id, "echo-cancel", [{ key: "pool", value: "echo" }]);
    const { jobId } = await importJob(app, org.uuid, { pool: "echo" });
    const fetch: Fetch = async (url, init) => app.yoga.fetch(url, init);
    const stop = new AbortController();
    const daemon = runDaemon({
      client: new DaemonClient("http://test/graphql", echoKey, fetch),
      name: "echo-cancel",
      version: "1",
      pollIntervalMs: 10,
      heartbeatMs: 20,
      log: createLogger("silent"),
      echo: { fail: false, delayMs: 60_000 },
      signal: stop.signal,
      exitWhenIdle: true,
    });
    const started = Date.now();
    while ((await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: jobId } })).status !== "RUNNING") {
      if (Date.now() - started > 10_000) throw new Error("the daemon never acquired the job");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await cancel(owner.token, jobId)).data?.cancelProvisionerJob.job.status).toBe("CANCELING");
    expect(await daemon).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const job = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ status: "CANCELED", error: CANCELED_ERROR });
  });
});

describe("who may cancel", () => {
  it("imports: template admins (by role or ACL) and PROVISIONER_JOBS UPDATE holders; members are FORBIDDEN, outsiders NOT_FOUND", async () => {
    const refused = await importJob(app, org.uuid);
    const memberTry = await cancel(member.token, refused.jobId);
    expect(errorCodes(memberTry)).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await cancel(outsider.token, refused.jobId))).toEqual(["NOT_FOUND"]);
    expect((await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: refused.jobId } })).status).toBe(
      "PENDING",
    );
    expect((await cancel(templateAdmin.token, refused.jobId)).data?.cancelProvisionerJob.job.status).toBe("CANCELED");

    const viaAcl = await importJob(app, org.uuid);
    await app.prisma.templateUserAcl.create({
      data: { templateId: viaAcl.templateId, userId: uuidOf(member.id), role: "ADMIN" },
    });
    expect((await cancel(member.token, viaAcl.jobId)).data?.cancelProvisionerJob.job.status).toBe("CANCELED");
  });

  it("builds: the workspace owner and who may update the workspace; other members are FORBIDDEN", async () => {
    const version = await importJob(app, org.uuid);
    const own = await buildJob(app, version, uuidOf(member.id), "START");
    expect(errorCodes(await cancel(otherMember.token, own.jobId))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await cancel(outsider.token, own.jobId))).toEqual(["NOT_FOUND"]);
    const byOwner = await cancel(member.token, own.jobId);
    expect(byOwner.errors).toBeUndefined();
    expect(byOwner.data?.cancelProvisionerJob.job.status).toBe("CANCELED");

    const another = await buildJob(app, version, uuidOf(member.id), "START");
    expect((await cancel(owner.token, another.jobId)).data?.cancelProvisionerJob.job.status).toBe("CANCELED");
    // An organization template admin may cancel jobs of the organization (PROVISIONER_JOBS UPDATE).
    const third = await buildJob(app, version, uuidOf(member.id), "START");
    expect((await cancel(templateAdmin.token, third.jobId)).data?.cancelProvisionerJob.job.status).toBe("CANCELED");
  });
});

describe("cancel racing acquire", () => {
  it("has exactly one outcome each time: canceled and never acquired, or acquired and canceling", async () => {
    const { key: raceKey } = await createKey(app, owner.token, org.id, "race", [{ key: "race", value: "1" }]);
    const daemonId = await register(app, raceKey, "race-d");
    for (let round = 0; round < 20; round++) {
      const { jobId } = await importJob(app, org.uuid, { race: "1" });
      const [canceled, acquired] = await Promise.all([cancel(owner.token, jobId), acquire(app, raceKey, daemonId)]);
      const status = canceled.data?.cancelProvisionerJob.job?.status;
      const stored = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: jobId } });
      if (acquired) {
        expect(acquired.job.id).toBe(jobGlobalId(jobId));
        expect(status).toBe("CANCELING");
        expect(stored).toMatchObject({ status: "CANCELING", workerId: uuidOf(daemonId) });
        await complete(app, raceKey, { jobId: jobGlobalId(jobId), daemonId });
      } else {
        expect(status).toBe("CANCELED");
        expect(stored).toMatchObject({ status: "CANCELED", workerId: null, startedAt: null });
      }
    }
  });
});
