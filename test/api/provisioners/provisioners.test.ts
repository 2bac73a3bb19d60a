// Provisioner keys, daemon credentials, and daemon health as users see it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretMatches } from "../../../src/auth/secrets.js";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import {
  ACQUIRE,
  acquire,
  asDaemon,
  bareJobs,
  COMPLETE,
  CREATE_KEY,
  complete,
  createKey,
  importJob,
  jobGlobalId,
  REGISTER,
  register,
} from "../../support/provisioners.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";

let app: TestApp;
let owner: OwnerScope;
let orgAdmin: Actor;
let templateAdmin: Actor;
let member: Actor;
let outsider: Actor;
let siteTemplateAdmin: Actor;
let org: OrgScope;
let other: OrgScope;

beforeAll(async () => {
  app = await createTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", PROVISIONER_STALE_SECONDS: "60" });
  owner = await seed(app).owner();
  org = await owner.org("acme");
  other = await owner.org("globex");
  orgAdmin = await org.member("orgadmin", ["organization-admin"]);
  templateAdmin = await org.member("tmpladmin", ["organization-template-admin"]);
  member = await org.member("member");
  outsider = await other.member("outsider");
  siteTemplateAdmin = await owner.user("sitetmpl", { siteRoles: ["template-admin"] });
});
afterAll(async () => {
  await app?.close();
});

const codes = (result: { data: Record<string, any> | null }, field: string) =>
  (result.data?.[field]?.userErrors ?? []).map((e: { code: string }) => e.code);

describe("createProvisionerKey", () => {
  it("returns an opk_ secret once and stores only its hash, audited without it", async () => {
    const result = await app.gql(
      CREATE_KEY,
      { input: { organizationId: org.id, name: "main", tags: [{ key: "zone", value: "eu" }] } },
      { token: owner.token },
    );
    const payload = result.data?.createProvisionerKey;
    expect(payload.userErrors).toEqual([]);
    expect(payload.key).toMatch(/^opk_[0-9a-f]{32}_[A-Za-z0-9_-]{32,}$/);
    expect(payload.provisionerKey).toMatchObject({ name: "main", tags: [{ key: "zone", value: "eu" }] });
    const secret = (payload.key as string).split("_").slice(2).join("_");
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const stored = await app.prisma.provisionerKey.findUniqueOrThrow({
      where: { id: uuidOf(payload.provisionerKey.id) },
    });
    expect(stored.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(secretMatches(secret, stored.secretHash)).toBe(true);
    const audit = await app.prisma.auditLog.findFirstOrThrow({ where: { resourceType: "PROVISIONER_KEY" } });
    expect(audit).toMatchObject({ action: "CREATE", organizationId: org.uuid, resourceName: "main" });
    expect(JSON.stringify(audit)).not.toContain(secret);

    // Lists never show a secret: the type has no field for it.
    const listed = await app.gql(
      `{ organization(name: "acme") { provisionerKeys { name tags { key value } } } }`,
      {},
      {
        token: owner.token,
      },
    );
    expect(listed.data?.organization.provisionerKeys).toEqual([{ name: "main", tags: [{ key: "zone", value: "eu" }] }]);
  });

  it("validates names and tags and writes nothing on error", async () => {
    const before = await app.prisma.provisionerKey.count();
    const cases: [Record<string, unknown>, string, string[]][] = [
      [{ name: "" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "x".repeat(65) }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "bad\u0001name" }, "INVALID_INPUT", ["input", "name"]],
      [{ name: "Built-In" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "USER-AUTH" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "psk" }, "RESERVED_NAME", ["input", "name"]],
      [{ name: "MAIN" }, "NAME_TAKEN", ["input", "name"]],
      [{ name: "ok", tags: [{ key: "", value: "v" }] }, "INVALID_INPUT", ["input", "tags", "0", "key"]],
      [{ name: "ok", tags: [{ key: "k", value: "" }] }, "INVALID_INPUT", ["input", "tags", "0", "value"]],
      [{ name: "ok", tags: [{ key: "k".repeat(65), value: "v" }] }, "INVALID_INPUT", ["input", "tags", "0", "key"]],
      [{ name: "ok", tags: [{ key: "k", value: "v".repeat(257) }] }, "INVALID_INPUT", ["input", "tags", "0", "value"]],
      [{ name: "ok", tags: [{ key: "k\n", value: "v" }] }, "INVALID_INPUT", ["input", "tags", "0", "key"]],
      [
        {
          name: "ok",
          tags: [
            { key: "k", value: "1" },
            { key: "k", value: "2" },
          ],
        },
        "INVALID_INPUT",
        ["input", "tags", "1", "key"],
      ],
    ];
    for (const [input, code, field] of cases) {
      const result = await app.gql(CREATE_KEY, { input: { organizationId: org.id, ...input } }, { token: owner.token });
      expect(result.errors, JSON.stringify(input)).toBeUndefined();
      const payload = result.data?.createProvisionerKey;
      expect(payload.key, JSON.stringify(input)).toBeNull();
      expect(payload.userErrors, JSON.stringify(input)).toContainEqual(expect.objectContaining({ code, field }));
    }
    expect(await app.prisma.provisionerKey.count()).toBe(before);
  });

  it("allows owners, site template admins, organization admins and template admins; refuses others", async () => {
    const attempt = (token: string | null, name: string, organizationId = org.id) =>
      app.gql(CREATE_KEY, { input: { organizationId, name } }, { token });
    for (const [who, actor] of [
      ["orgadmin", orgAdmin],
      ["tmpladmin", templateAdmin],
      ["sitetmpl", siteTemplateAdmin],
    ] as const) {
      const result = await attempt(actor.token, `by-${who}`);
      expect(result.errors, who).toBeUndefined();
      expect(codes(result, "createProvisionerKey"), who).toEqual([]);
    }
    const byMember = await attempt(member.token, "by-member");
    expect(errorCodes(byMember)).toEqual(["FORBIDDEN"]);
    expect(byMember.errors?.[0]?.extensions).toMatchObject({ resource: "PROVISIONER_DAEMON", action: "CREATE" });
    expect(errorCodes(await attempt(outsider.token, "by-outsider"))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await attempt(null, "by-anonymous"))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await attempt(owner.token, "nowhere", "not-an-id"))).toEqual(["NOT_FOUND"]);
    expect(await app.prisma.provisionerKey.count({ where: { name: { in: ["by-member", "by-outsider"] } } })).toBe(0);
  });

  it("shows keys only to those who may create them", async () => {
    const query = `{ organization(name: "acme") { provisionerKeys { name } } }`;
    const forAdmin = await app.gql(query, {}, { token: orgAdmin.token });
    expect(forAdmin.data?.organization.provisionerKeys.length).toBeGreaterThan(0);
    const forMember = await app.gql(query, {}, { token: member.token });
    expect(forMember.data?.organization.provisionerKeys).toEqual([]);
    const forOutsider = await app.gql(query, {}, { token: outsider.token });
    expect(forOutsider.data?.organization).toBeNull();
  });
});

describe("deleteProvisionerKey", () => {
  const DELETE = `mutation($input: DeleteProvisionerKeyInput!) { deleteProvisionerKey(input: $input) { deletedId userErrors { code } } }`;

  it("hides keys from members and outsiders (NOT_FOUND), then removes the key's daemons", async () => {
    const { key, id } = await createKey(app, orgAdmin.token, org.id, "doomed");
    const daemonId = await register(app, key, "doomed-daemon");
    const [jobId] = await bareJobs(app, org.uuid, 1, { doomed: "yes" });
    await app.prisma.provisionerDaemon.update({ where: { id: uuidOf(daemonId) }, data: { tags: { doomed: "yes" } } });
    expect((await acquire(app, key, daemonId))?.job.id).toBe(jobGlobalId(jobId as string));

    expect(errorCodes(await app.gql(DELETE, { input: { provisionerKeyId: id } }, { token: member.token }))).toEqual([
      "NOT_FOUND",
    ]);
    expect(errorCodes(await app.gql(DELETE, { input: { provisionerKeyId: id } }, { token: outsider.token }))).toEqual([
      "NOT_FOUND",
    ]);
    expect(errorCodes(await app.gql(DELETE, { input: { provisionerKeyId: id } }))).toEqual(["UNAUTHENTICATED"]);

    const deleted = await app.gql(DELETE, { input: { provisionerKeyId: id } }, { token: templateAdmin.token });
    expect(deleted.data?.deleteProvisionerKey).toEqual({ deletedId: id, userErrors: [] });

    // The very next request with the key is refused, and the job it held failed at once.
    const refused = await asDaemon(app, key, ACQUIRE, { input: { daemonId } });
    expect(errorCodes(refused)).toEqual(["UNAUTHENTICATED"]);
    const job = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: jobId as string } });
    expect(job.status).toBe("FAILED");
    // Its daemons' rows go with it (Coder tears them down); the failed job keeps no worker.
    expect(await app.prisma.provisionerDaemon.findUnique({ where: { id: uuidOf(daemonId) } })).toBeNull();
    expect(job.workerId).toBeNull();
    expect(await app.prisma.auditLog.count({ where: { resourceType: "PROVISIONER_KEY", action: "DELETE" } })).toBe(1);
    // A job only that daemon could have run now has no provisioner at all.
    const [orphan] = await bareJobs(app, org.uuid, 1, { doomed: "yes" });
    const matched = await app.gql(
      `query($id: ID!) { node(id: $id) { ... on ProvisionerJob { matchedProvisioners { count available } } } }`,
      { id: jobGlobalId(orphan as string) },
      { token: owner.token },
    );
    expect(matched.errors).toBeUndefined();
    expect(matched.data?.node.matchedProvisioners).toEqual({ count: 0, available: 0 });
  });
});

describe("the Provisioner-Key credential", () => {
  it("works only for the daemon operations", async () => {
    const { key } = await createKey(app, owner.token, org.id, "narrow");
    const viewer = await asDaemon(app, key, "{ viewer { id } }");
    expect(viewer.data?.viewer ?? null).toBeNull();
    expect(errorCodes(await asDaemon(app, key, "{ organizations { totalCount } }"))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await asDaemon(app, key, CREATE_KEY, { input: { organizationId: org.id, name: "x" } }))).toEqual([
      "UNAUTHENTICATED",
    ]);
    const daemonId = await register(app, key, "narrow-daemon");
    const node = await asDaemon(app, key, `query($id: ID!) { node(id: $id) { id } }`, { id: daemonId });
    expect(node.data?.node).toBeNull();
    // The daemon reads its own daemon and jobs, and of its organization only id, name and displayName.
    const withOrg = await asDaemon(app, key, REGISTER.replace("status }", "status organization { id description } }"), {
      input: { name: "narrow-daemon", version: "test" },
    });
    expect(errorCodes(withOrg)).toEqual(["NOT_FOUND"]);
  });

  it("rejects malformed and unknown keys, and user tokens on daemon mutations", async () => {
    for (const bad of ["nonsense", `opk_${"0".repeat(32)}_${"x".repeat(43)}`]) {
      expect(errorCodes(await asDaemon(app, bad, REGISTER, { input: { name: "d", version: "1" } }))).toEqual([
        "UNAUTHENTICATED",
      ]);
    }
    const asUser = await app.gql(REGISTER, { input: { name: "d", version: "1" } }, { token: owner.token });
    expect(errorCodes(asUser)).toEqual(["UNAUTHENTICATED"]);
    const someId = jobGlobalId("00000000-0000-7000-8000-000000000000");
    expect(errorCodes(await app.gql(ACQUIRE, { input: { daemonId: someId } }, { token: owner.token }))).toEqual([
      "UNAUTHENTICATED",
    ]);
    expect(errorCodes(await app.gql(COMPLETE, { input: { jobId: someId } }, { token: owner.token }))).toEqual([
      "UNAUTHENTICATED",
    ]);
    const anonymous = await app.gql(REGISTER, { input: { name: "d", version: "1" } });
    expect(errorCodes(anonymous)).toEqual(["UNAUTHENTICATED"]);
  });

  it("registers daemons with the key's organization and tags, upserting by name", async () => {
    const { key, id: keyId } = await createKey(app, owner.token, org.id, "tagged", [{ key: "os", value: "linux" }]);
    const first = await asDaemon(app, key, REGISTER, { input: { name: "builder", version: "1.0" } });
    const daemon = first.data?.registerProvisionerDaemon.daemon;
    expect(daemon).toMatchObject({ name: "builder", tags: [{ key: "os", value: "linux" }], provisioners: ["echo"] });
    expect(daemon.status).toBe("IDLE");
    const again = await asDaemon(app, key, REGISTER, {
      input: { name: "builder", version: "1.1", provisioners: ["echo", "terraform"] },
    });
    expect(again.data?.registerProvisionerDaemon.daemon.id).toBe(daemon.id);
    const stored = await app.prisma.provisionerDaemon.findUniqueOrThrow({ where: { id: uuidOf(daemon.id) } });
    expect(stored).toMatchObject({ organizationId: org.uuid, keyId: uuidOf(keyId), version: "1.1" });
    expect(stored.provisioners).toEqual(["echo", "terraform"]);
    const audit = await app.prisma.auditLog.findMany({
      where: { resourceType: "PROVISIONER_DAEMON", resourceId: stored.id },
    });
    expect(audit.map((a) => [a.action, a.actorId, a.organizationId])).toEqual([["REGISTER", null, org.uuid]]);
    const bad = await asDaemon(app, key, REGISTER, { input: { name: "", version: "1", provisioners: ["Bad Type"] } });
    expect(bad.data?.registerProvisionerDaemon.userErrors.map((e: { field: string[] }) => e.field)).toEqual([
      ["input", "name"],
      ["input", "provisioners"],
    ]);
  });

  it("refuses a daemon that expects another organization than its key's, before registering it", async () => {
    const { key } = await createKey(app, owner.token, org.id, "expecting");
    const refused = await asDaemon(app, key, REGISTER, {
      input: { name: "elsewhere", version: "1", organization: "default" },
    });
    expect(refused.data?.registerProvisionerDaemon).toMatchObject({
      daemon: null,
      userErrors: [
        {
          code: "INVALID_INPUT",
          field: ["input", "organization"],
          message: "The key belongs to organization acme, not default: the key decides the organization.",
        },
      ],
    });
    expect(await app.prisma.provisionerDaemon.count({ where: { name: "elsewhere" } })).toBe(0);
    // Its own organization, in any case, registers.
    const accepted = await asDaemon(app, key, REGISTER, {
      input: { name: "here", version: "1", organization: "ACME" },
    });
    expect(accepted.data?.registerProvisionerDaemon).toMatchObject({ daemon: { name: "here" }, userErrors: [] });
  });

  it("does not let a daemon of one organization act on another's daemons or jobs", async () => {
    const mine = await createKey(app, owner.token, org.id, "mine");
    const theirs = await createKey(app, owner.token, other.id, "theirs");
    const theirDaemon = await register(app, theirs.key, "their-daemon");
    expect(errorCodes(await asDaemon(app, mine.key, ACQUIRE, { input: { daemonId: theirDaemon } }))).toEqual([
      "NOT_FOUND",
    ]);
    const [theirJob] = await bareJobs(app, other.uuid, 1, { lonely: "job" });
    await app.prisma.provisionerJob.update({
      where: { id: theirJob as string },
      data: { status: "RUNNING", workerId: uuidOf(theirDaemon) },
    });
    const result = await complete(app, mine.key, { jobId: jobGlobalId(theirJob as string) });
    expect(errorCodes(result)).toEqual(["NOT_FOUND"]);
  });
});

describe("daemon health and jobs as users see them", () => {
  const HEALTH = `{ organization(name: "globex") {
    provisionerDaemons { name status key { name } currentJob { id status } previousJob { id status } }
    provisionerJobs(status: [PENDING]) { totalCount edges { node { id matchedProvisioners { count available } } } }
  } }`;

  it("reports OFFLINE, IDLE and BUSY, current and previous jobs, and matching provisioners", async () => {
    const { key } = await createKey(app, owner.token, other.id, "health", [{ key: "pool", value: "gpu" }]);
    const busy = await register(app, key, "busy");
    await register(app, key, "idle");
    const gone = await register(app, key, "gone");
    await app.prisma.provisionerDaemon.update({
      where: { id: uuidOf(gone) },
      data: { lastSeenAt: new Date(Date.now() - 120_000) },
    });
    await app.prisma.provisionerJob.updateMany({ where: { organizationId: other.uuid }, data: { status: "CANCELED" } });
    const done = await importJob(app, other.uuid, { pool: "gpu" });
    const first = await acquire(app, key, busy);
    expect(first?.job.id).toBe(jobGlobalId(done.jobId));
    expect((await complete(app, key, { jobId: first?.job.id as string, daemonId: busy })).errors).toBeUndefined();
    const running = await importJob(app, other.uuid, { pool: "gpu" });
    expect((await acquire(app, key, busy))?.job.id).toBe(jobGlobalId(running.jobId));
    const waitingForGpu = await importJob(app, other.uuid, { pool: "gpu" });
    const waitingForNobody = await importJob(app, other.uuid, { pool: "tpu" });

    const result = await app.gql(HEALTH, {}, { token: owner.token });
    expect(result.errors).toBeUndefined();
    const daemons = result.data?.organization.provisionerDaemons;
    expect(daemons.map((d: { name: string; status: string }) => [d.name, d.status])).toEqual([
      ["busy", "BUSY"],
      ["gone", "OFFLINE"],
      ["idle", "IDLE"],
      ["their-daemon", "IDLE"],
    ]);
    expect(daemons[0].currentJob).toEqual({ id: jobGlobalId(running.jobId), status: "RUNNING" });
    expect(daemons[0].previousJob).toEqual({ id: jobGlobalId(done.jobId), status: "SUCCEEDED" });
    expect(daemons[0].key).toEqual({ name: "health" });
    expect(daemons[2].currentJob).toBeNull();

    const jobs = result.data?.organization.provisionerJobs;
    expect(jobs.totalCount).toBe(2);
    const matched = Object.fromEntries(
      jobs.edges.map((e: { node: { id: string; matchedProvisioners: unknown } }) => [
        e.node.id,
        e.node.matchedProvisioners,
      ]),
    );
    expect(matched[jobGlobalId(waitingForGpu.jobId)]).toEqual({ count: 3, available: 2 });
    expect(matched[jobGlobalId(waitingForNobody.jobId)]).toEqual({ count: 0, available: 0 });
  });

  it("lets members see daemons and jobs but not keys; keeps other organizations out", async () => {
    const forOutsider = await app.gql(HEALTH, {}, { token: outsider.token });
    expect(forOutsider.errors).toBeUndefined();
    const daemons = forOutsider.data?.organization.provisionerDaemons;
    expect(daemons.length).toBe(4);
    expect(daemons.every((d: { key: unknown }) => d.key === null)).toBe(true);
    expect(forOutsider.data?.organization.provisionerJobs.totalCount).toBe(2);

    const forMember = await app.gql(HEALTH, {}, { token: member.token });
    expect(forMember.data?.organization).toBeNull();
    const jobId = (await app.prisma.provisionerJob.findFirstOrThrow({ where: { organizationId: other.uuid } })).id;
    const node = await app.gql(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: jobGlobalId(jobId) },
      {
        token: member.token,
      },
    );
    expect(node.data?.node).toBeNull();
    const seen = await app.gql(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: jobGlobalId(jobId) },
      {
        token: outsider.token,
      },
    );
    expect(seen.data?.node).toEqual({ id: jobGlobalId(jobId) });
  });

  it("pages jobs with an exact totalCount and status filter", async () => {
    const query = `query($after: String) { organization(name: "globex") {
      provisionerJobs(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id createdAt } } }
    } }`;
    const all = await app.prisma.provisionerJob.count({ where: { organizationId: other.uuid } });
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await app.gql(query, { after }, { token: owner.token })).data?.organization.provisionerJobs;
      expect(page.totalCount).toBe(all);
      seen.push(...page.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(all);
    const failed = await app.gql(
      `{ organization(name: "globex") { provisionerJobs(status: [FAILED, CANCELED]) { totalCount } } }`,
      {},
      {
        token: owner.token,
      },
    );
    expect(failed.data?.organization.provisionerJobs.totalCount).toBe(
      await app.prisma.provisionerJob.count({
        where: { organizationId: other.uuid, status: { in: ["FAILED", "CANCELED"] } },
      }),
    );
  });
});
