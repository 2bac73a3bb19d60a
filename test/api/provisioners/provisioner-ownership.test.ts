// Which key owns a provisioner daemon: registration by name, completing jobs, taking over an
// offline daemon's name, concurrent registrations; and what of its organization a daemon reads.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TAKEN_OVER_ERROR } from "../../../src/modules/provisioners/provisioners.service.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type GqlResult, type TestApp } from "../../support/harness.js";
import {
  ACQUIRE,
  acquire,
  asDaemon,
  complete,
  createKey,
  importJob,
  jobGlobalId,
  REGISTER,
  register,
} from "../../support/provisioners.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";

const STALE_SECONDS = 60;

let app: TestApp;
let owner: OwnerScope;
let org: OrgScope;
let other: OrgScope;

beforeAll(async () => {
  app = await createTestApp({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    PROVISIONER_STALE_SECONDS: String(STALE_SECONDS),
  });
  owner = await seed(app).owner();
  org = await owner.org("acme");
  other = await owner.org("globex");
});
afterAll(async () => {
  await app?.close();
});

const GPU = [{ key: "pool", value: "gpu" }];

function registerAs(key: string, name: string) {
  return asDaemon(app, key, REGISTER, { input: { name, version: "test" } });
}

const payloadOf = (result: GqlResult) => result.data?.registerProvisionerDaemon;
const userErrorCodes = (result: GqlResult) =>
  (payloadOf(result)?.userErrors ?? []).map((e: { code: string }) => e.code);

async function goOffline(daemonId: string) {
  await app.prisma.provisionerDaemon.update({
    where: { id: uuidOf(daemonId) },
    data: { lastSeenAt: new Date(Date.now() - (STALE_SECONDS + 30) * 1000) },
  });
}

describe("a daemon belongs to the key that registered it", () => {
  it("refuses another key the name of an online daemon (NAME_TAKEN); only the holder completes its job", async () => {
    const real = await createKey(app, owner.token, org.id, "real", GPU);
    const intruder = await createKey(app, owner.token, org.id, "intruder", GPU);
    const daemonId = await register(app, real.key, "builder");
    const { jobId, versionId } = await importJob(app, org.uuid, { pool: "gpu" }, 7);
    expect((await acquire(app, real.key, daemonId))?.job.id).toBe(jobGlobalId(jobId));

    const takeover = await registerAs(intruder.key, "builder");
    expect(takeover.errors).toBeUndefined();
    expect(payloadOf(takeover).daemon).toBeNull();
    expect(userErrorCodes(takeover)).toEqual(["NAME_TAKEN"]);
    const stored = await app.prisma.provisionerDaemon.findUniqueOrThrow({ where: { id: uuidOf(daemonId) } });
    expect(stored.keyId).toBe(uuidOf(real.id));

    // Neither with nor without the daemon's id may the intruder finish the job or zero its cost.
    for (const input of [{ jobId: jobGlobalId(jobId) }, { jobId: jobGlobalId(jobId), daemonId }]) {
      expect(errorCodes(await complete(app, intruder.key, { ...input, dailyCost: 0 }))).toEqual(["NOT_FOUND"]);
    }
    // The real daemon's heartbeat keeps working and it completes its job.
    expect(await register(app, real.key, "builder")).toBe(daemonId);
    const done = await complete(app, real.key, { jobId: jobGlobalId(jobId), daemonId, dailyCost: 7 });
    expect(done.errors).toBeUndefined();
    expect(done.data?.completeProvisionerJob.job.status).toBe("SUCCEEDED");
    const version = await app.prisma.templateVersion.findUniqueOrThrow({ where: { id: versionId } });
    expect(version.dailyCost).toBe(7);
    const registrations = await app.prisma.auditLog.count({
      where: { resourceType: "PROVISIONER_DAEMON", action: "REGISTER", resourceId: uuidOf(daemonId) },
    });
    expect(registrations).toBe(1);
  });

  it("lets another key take an OFFLINE daemon's name; the job it held fails and nobody completes it", async () => {
    const first = await createKey(app, owner.token, org.id, "first", GPU);
    const second = await createKey(app, owner.token, org.id, "second", [{ key: "pool", value: "cpu" }]);
    const daemonId = await register(app, first.key, "roaming");
    const { jobId, versionId } = await importJob(app, org.uuid, { pool: "gpu" }, 5);
    expect((await acquire(app, first.key, daemonId))?.job.id).toBe(jobGlobalId(jobId));
    await goOffline(daemonId);

    expect(await register(app, second.key, "roaming")).toBe(daemonId);
    const stored = await app.prisma.provisionerDaemon.findUniqueOrThrow({ where: { id: uuidOf(daemonId) } });
    expect(stored).toMatchObject({ keyId: uuidOf(second.id), tags: { pool: "cpu" } });
    const job = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ status: "FAILED", error: TAKEN_OVER_ERROR });

    const byNewKey = await complete(app, second.key, { jobId: jobGlobalId(jobId), daemonId, dailyCost: 0 });
    expect(byNewKey.data?.completeProvisionerJob.job).toBeNull();
    expect(byNewKey.data?.completeProvisionerJob.userErrors.map((e: { code: string }) => e.code)).toEqual([
      "JOB_NOT_RUNNING",
    ]);
    expect(errorCodes(await complete(app, first.key, { jobId: jobGlobalId(jobId), daemonId }))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await asDaemon(app, first.key, ACQUIRE, { input: { daemonId } }))).toEqual(["NOT_FOUND"]);
    // The old key cannot take the name back while the new holder is online.
    expect(userErrorCodes(await registerAs(first.key, "roaming"))).toEqual(["NAME_TAKEN"]);
    const version = await app.prisma.templateVersion.findUniqueOrThrow({ where: { id: versionId } });
    expect(version.dailyCost).toBe(5);
    const registrations = await app.prisma.auditLog.count({
      where: { resourceType: "PROVISIONER_DAEMON", action: "REGISTER", resourceId: uuidOf(daemonId) },
    });
    expect(registrations).toBe(2);
  });

  it("frees a deleted key's daemon name for another key", async () => {
    const doomed = await createKey(app, owner.token, org.id, "doomed");
    const heir = await createKey(app, owner.token, org.id, "heir");
    const daemonId = await register(app, doomed.key, "inherited");
    const deleted = await app.gql(
      `mutation($input: DeleteProvisionerKeyInput!) { deleteProvisionerKey(input: $input) { userErrors { code } } }`,
      { input: { provisionerKeyId: doomed.id } },
      { token: owner.token },
    );
    expect(deleted.data?.deleteProvisionerKey.userErrors).toEqual([]);
    // The deleted key's daemon row went with it: the name registers afresh.
    const heirDaemon = await register(app, heir.key, "inherited");
    expect(heirDaemon).not.toBe(daemonId);
  });
});

describe("concurrent registrations of one name", () => {
  const ROUNDS = 8;

  it("by two keys: exactly one wins, the other gets NAME_TAKEN", async () => {
    const left = await createKey(app, owner.token, org.id, "race-left");
    const right = await createKey(app, owner.token, org.id, "race-right");
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race-${round}`;
      const results = await Promise.all([registerAs(left.key, name), registerAs(right.key, name)]);
      for (const result of results) expect(result.errors).toBeUndefined();
      const winners = results.filter((r) => payloadOf(r).daemon !== null);
      expect(winners).toHaveLength(1);
      expect(results.flatMap(userErrorCodes)).toEqual(["NAME_TAKEN"]);
    }
  });

  it("taking over an offline daemon by two keys: exactly one wins", async () => {
    const gone = await createKey(app, owner.token, org.id, "gone");
    const left = await createKey(app, owner.token, org.id, "heir-left");
    const right = await createKey(app, owner.token, org.id, "heir-right");
    for (let round = 0; round < ROUNDS; round++) {
      const name = `vacant-${round}`;
      await goOffline(await register(app, gone.key, name));
      const results = await Promise.all([registerAs(left.key, name), registerAs(right.key, name)]);
      expect(results.filter((r) => payloadOf(r).daemon !== null)).toHaveLength(1);
      expect(results.flatMap(userErrorCodes)).toEqual(["NAME_TAKEN"]);
    }
  });

  it("by one key: both succeed on the same daemon", async () => {
    const { key } = await createKey(app, owner.token, org.id, "twice");
    for (let round = 0; round < ROUNDS; round++) {
      const results = await Promise.all([registerAs(key, `same-${round}`), registerAs(key, `same-${round}`)]);
      expect(results.flatMap(userErrorCodes)).toEqual([]);
      const ids = results.map((r) => payloadOf(r).daemon.id);
      expect(ids[0]).toBe(ids[1]);
    }
  });
});

describe("what a daemon reads of its organization", () => {
  const withOrganization = (selection: string) =>
    REGISTER.replace("status }", `status organization { ${selection} } }`);

  it("reads its own organization's id, name and displayName when registering", async () => {
    const { key } = await createKey(app, owner.token, org.id, "reader");
    const result = await asDaemon(app, key, withOrganization("id name displayName"), {
      input: { name: "reader", version: "test" },
    });
    expect(result.errors).toBeUndefined();
    const daemon = payloadOf(result).daemon;
    expect(daemon.name).toBe("reader");
    expect(daemon.organization).toEqual({ id: org.id, name: "acme", displayName: expect.any(String) });
  });

  it("reads nothing else of it: every other Organization field answers nothing or an error", async () => {
    const { key } = await createKey(app, owner.token, org.id, "prober");
    await importJob(app, org.uuid);
    const fields = await organizationFields();
    expect(fields.length).toBeGreaterThan(10);
    for (const field of fields.filter((f) => !["id", "name", "displayName"].includes(f.name))) {
      const result = await asDaemon(app, key, withOrganization(`${field.name}${argsOf(field)}${selectionOf(field)}`), {
        input: { name: "prober", version: "test" },
      });
      const value = payloadOf(result)?.daemon?.organization?.[field.name];
      expect(leaked(value), `Organization.${field.name}: ${JSON.stringify(result)}`).toBe(false);
    }
  });

  it("cannot reach another organization", async () => {
    const { key } = await createKey(app, owner.token, org.id, "stranger");
    await register(app, key, "stranger");
    const node = await asDaemon(app, key, `query($id: ID!) { node(id: $id) { id ... on Organization { name } } }`, {
      id: other.id,
    });
    expect(node.data?.node ?? null).toBeNull();
  });
});

type IntrospectedType = { kind: string; name: string | null; ofType: IntrospectedType | null };
type IntrospectedField = { name: string; args: { name: string; type: IntrospectedType }[]; type: IntrospectedType };

async function organizationFields(): Promise<IntrospectedField[]> {
  const typeRef = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
  const result = await app.gql(
    `{ __type(name: "Organization") { fields { name args { name type { ${typeRef} } } type { ${typeRef} } } } }`,
    {},
    { token: owner.token },
  );
  return result.data?.__type.fields;
}

function namedType(type: IntrospectedType): IntrospectedType {
  return type.ofType ? namedType(type.ofType) : type;
}

/** Required arguments get a well-formed value that names something real (the owner). */
function argsOf(field: IntrospectedField): string {
  const required = field.args.filter((a) => a.type.kind === "NON_NULL");
  if (required.length === 0) return "";
  return `(${required.map((a) => `${a.name}: ${JSON.stringify(owner.id)}`).join(", ")})`;
}

function selectionOf(field: IntrospectedField): string {
  const type = namedType(field.type);
  if (type.kind !== "OBJECT") return "";
  return type.name?.endsWith("Connection") ? " { totalCount edges { node { __typename } } }" : " { __typename }";
}

function leaked(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object" && "totalCount" in value) {
    const connection = value as { totalCount: number; edges: unknown[] };
    return connection.totalCount > 0 || connection.edges.length > 0;
  }
  return true;
}
