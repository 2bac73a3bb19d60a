// Multi-step writes are retried when PostgreSQL aborts them for a deadlock or a serialization
// failure, so callers see success instead of a spurious error.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inTransaction } from "../../src/db/transaction.js";
import { createTestApp, type TestApp } from "../support/harness.js";
import { seed } from "../support/seed.js";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe.skipIf(!process.env.TEST_DATABASE_URL)("transactions on PostgreSQL", () => {
  it("retry the loser of a deadlock until both writes land", async () => {
    const a = await seed(app).org("deadlock-a");
    const b = await seed(app).org("deadlock-b");
    let attempts = 0;
    const touch = (first: string, second: string, label: string) =>
      inTransaction(app.prisma, async (tx) => {
        attempts++;
        await tx.organization.update({ where: { id: first }, data: { description: label } });
        await new Promise((resolve) => setTimeout(resolve, 150));
        await tx.organization.update({ where: { id: second }, data: { description: label } });
      });
    await Promise.all([touch(a.uuid, b.uuid, "one"), touch(b.uuid, a.uuid, "two")]);
    expect(attempts).toBeGreaterThan(2);
    const rows = await app.prisma.organization.findMany({ where: { id: { in: [a.uuid, b.uuid] } } });
    expect(new Set(rows.map((r) => r.description)).size).toBe(1);
  });

  it("retry serialization failures", async () => {
    const org = await seed(app).org("serial");
    let attempts = 0;
    const bump = () =>
      inTransaction(
        app.prisma,
        async (tx) => {
          attempts++;
          const row = await tx.organization.findUniqueOrThrow({ where: { id: org.uuid } });
          await new Promise((resolve) => setTimeout(resolve, 100));
          await tx.organization.update({ where: { id: org.uuid }, data: { description: `${row.description}x` } });
        },
        { isolationLevel: "Serializable" },
      );
    await Promise.all([bump(), bump()]);
    expect(attempts).toBeGreaterThan(2);
    expect((await app.prisma.organization.findUniqueOrThrow({ where: { id: org.uuid } })).description).toBe("xx");
  });
});

describe("transactions", () => {
  it("roll back every step when one fails", async () => {
    await expect(
      inTransaction(app.prisma, async (tx) => {
        await tx.organization.create({ data: { name: "rolled-back", displayName: "x" } });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await app.prisma.organization.count({ where: { name: "rolled-back" } })).toBe(0);
  });
});
