// Idempotency keys on createWorkspace and createProvisionerKey: retries answer the first result,
// a reused key with another input is refused, concurrent duplicates write once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { type OwnerScope, seed } from "../../support/seed.js";
import { CREATE_WORKSPACE } from "../../support/workloads.js";

const CREATE_KEY = `mutation($input: CreateProvisionerKeyInput!) {
  createProvisionerKey(input: $input) { key provisionerKey { id name } userErrors { code field } }
}`;

let app: TestApp;
let owner: OwnerScope;
let organizationId: string;
let templateId: string;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  const org = await owner.org("idem-org", { throughApi: true }); // the owner a member, to own workspaces
  organizationId = org.id;
  templateId = await org.template("idem-template");
});
afterAll(() => app.close());

const workspace = (input: Record<string, unknown>, token = owner.token) =>
  app.gql(CREATE_WORKSPACE, { input: { templateId, ...input } }, { token });

const countWorkspaces = (name: string) => app.prisma.workspace.count({ where: { name } });
const countAudit = (resourceName: string) => app.prisma.auditLog.count({ where: { resourceName } });

describe("createWorkspace with an idempotency key", () => {
  it("answers a retry with the workspace created the first time, written once", async () => {
    const first = await workspace({ name: "retry-me", idempotencyKey: "k-retry" });
    const second = await workspace({ name: "retry-me", idempotencyKey: "k-retry" });
    expect(first.data?.createWorkspace.userErrors).toEqual([]);
    expect(second.data?.createWorkspace.userErrors).toEqual([]);
    expect(second.data?.createWorkspace.workspace.id).toBe(first.data?.createWorkspace.workspace.id);
    expect(await countWorkspaces("retry-me")).toBe(1);
    expect(await countAudit("retry-me")).toBe(1);
    expect(await app.prisma.workspaceBuild.count({ where: { workspace: { name: "retry-me" } } })).toBe(1);
  });

  it("ignores field order and absent-versus-null optional fields", async () => {
    const first = await workspace({ name: "order", idempotencyKey: "k-order" });
    const second = await app.gql(
      CREATE_WORKSPACE,
      { input: { idempotencyKey: "k-order", ownerId: null, name: "order", templateId } },
      { token: owner.token },
    );
    expect(second.data?.createWorkspace.workspace.id).toBe(first.data?.createWorkspace.workspace.id);
  });

  it("refuses the same key with another input and writes nothing", async () => {
    await workspace({ name: "first-input", idempotencyKey: "k-reused" });
    const before = await app.prisma.workspace.count();
    const other = await workspace({ name: "other-input", idempotencyKey: "k-reused" });
    expect(other.data?.createWorkspace).toEqual({
      workspace: null,
      userErrors: [{ code: "IDEMPOTENCY_KEY_REUSED", message: expect.any(String), field: ["input", "idempotencyKey"] }],
    });
    expect(await app.prisma.workspace.count()).toBe(before);
  });

  it("keeps keys per user and refuses empty or control-character keys", async () => {
    const empty = await workspace({ name: "bad-key", idempotencyKey: "" });
    const control = await workspace({ name: "bad-key", idempotencyKey: "a\u0001b" });
    const long = await workspace({ name: "bad-key", idempotencyKey: "k".repeat(256) });
    for (const result of [empty, control, long]) {
      expect(result.data?.createWorkspace.userErrors[0]).toMatchObject({
        code: "INVALID_INPUT",
        field: ["input", "idempotencyKey"],
      });
    }
    expect(await countWorkspaces("bad-key")).toBe(0);
  });

  it("forgets a key once it expired: the retry creates again (and finds the name taken)", async () => {
    await workspace({ name: "expiring", idempotencyKey: "k-expiring" });
    await app.prisma.idempotencyKey.update({
      where: { userId_key: { userId: uuidOf(owner.id), key: "k-expiring" } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const retry = await workspace({ name: "expiring", idempotencyKey: "k-expiring" });
    expect(retry.data?.createWorkspace.userErrors.map((e: { code: string }) => e.code)).toEqual(["NAME_TAKEN"]);
    expect(await countWorkspaces("expiring")).toBe(1);
  });

  it("creates exactly one workspace for 10 concurrent identical requests", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => workspace({ name: "concurrent", idempotencyKey: "k-concurrent" })),
    );
    const ids = new Set(results.map((r) => r.data?.createWorkspace.workspace?.id));
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(result.data?.createWorkspace.userErrors).toEqual([]);
    }
    expect(ids.size).toBe(1);
    expect(await countWorkspaces("concurrent")).toBe(1);
    expect(await countAudit("concurrent")).toBe(1);
  });
});

describe("createTemplate with an idempotency key", () => {
  it("answers a retry with the template created the first time, written once", async () => {
    const CREATE_TEMPLATE = `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id } userErrors { code } } }`;
    const input = { organizationId, name: "idem-tpl", dailyCost: 2, idempotencyKey: "t-1" };
    const [first, second] = await Promise.all([
      app.gql(CREATE_TEMPLATE, { input }, { token: owner.token }),
      app.gql(CREATE_TEMPLATE, { input }, { token: owner.token }),
    ]);
    expect(second.data?.createTemplate.template.id).toBe(first.data?.createTemplate.template.id);
    expect(await app.prisma.template.count({ where: { name: "idem-tpl" } })).toBe(1);
    expect(
      await app.prisma.provisionerJob.count({ where: { templateVersion: { template: { name: "idem-tpl" } } } }),
    ).toBe(1);
  });
});

describe("createProvisionerKey with an idempotency key", () => {
  it("answers a retry with the same key object and no secret (the secret is shown once)", async () => {
    const input = { organizationId, name: "idem-key", tags: [{ key: "os", value: "linux" }], idempotencyKey: "pk-1" };
    const first = await app.gql(CREATE_KEY, { input }, { token: owner.token });
    const second = await app.gql(CREATE_KEY, { input }, { token: owner.token });
    expect(first.data?.createProvisionerKey.key).toMatch(/\S{20,}/);
    expect(second.data?.createProvisionerKey).toEqual({
      key: null,
      provisionerKey: first.data?.createProvisionerKey.provisionerKey,
      userErrors: [],
    });
    expect(await app.prisma.provisionerKey.count({ where: { name: "idem-key" } })).toBe(1);
    expect(await countAudit("idem-key")).toBe(1);
  });

  it("refuses a key reused for another operation's input", async () => {
    await workspace({ name: "cross-op", idempotencyKey: "k-cross" });
    const result = await app.gql(
      CREATE_KEY,
      { input: { organizationId, name: "cross-op", idempotencyKey: "k-cross" } },
      { token: owner.token },
    );
    expect(result.data?.createProvisionerKey.userErrors[0].code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await app.prisma.provisionerKey.count({ where: { name: "cross-op" } })).toBe(0);
  });

  it("creates one key for concurrent identical requests", async () => {
    const input = { organizationId, name: "concurrent-key", idempotencyKey: "pk-concurrent" };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => app.gql(CREATE_KEY, { input }, { token: owner.token })),
    );
    expect(new Set(results.map((r) => r.data?.createProvisionerKey.provisionerKey?.id)).size).toBe(1);
    expect(results.filter((r) => r.data?.createProvisionerKey.key).length).toBe(1);
    expect(await app.prisma.provisionerKey.count({ where: { name: "concurrent-key" } })).toBe(1);
  });
});
