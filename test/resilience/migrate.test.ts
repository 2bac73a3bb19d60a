// Migrations are applied by the service itself: once, in order, recorded where Prisma looks,
// and safely when several instances start at the same moment.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { openPglite, openPostgres } from "../../src/db/database.js";
import { ensureDefaultOrganization } from "../../src/db/default-organization.js";
import { migrate } from "../../src/db/migrate.js";

describe("migrations", () => {
  it("apply once on an empty PGlite database and are then up to date", async () => {
    const db = await openPglite(undefined);
    try {
      const first = await migrate(db);
      expect(first.length).toBeGreaterThan(0);
      expect(await migrate(db)).toEqual([]);
      const recorded = await db.prisma.$queryRaw<{ migration_name: string }[]>`
        SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`;
      expect(recorded.map((r) => r.migration_name)).toEqual(first);
      await Promise.all([ensureDefaultOrganization(db.prisma), ensureDefaultOrganization(db.prisma)]);
      expect(await db.prisma.organization.count({ where: { isDefault: true } })).toBe(1);
    } finally {
      await db.close();
    }
  });

  it.skipIf(!inject("postgresUrl"))("run exactly once when instances start together on PostgreSQL", async () => {
    const url = inject("postgresUrl");
    const name = `orgs_api_migrate_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const target = new URL(url);
    target.pathname = `/${name}`;
    const options = { poolMax: 2, connectTimeoutMs: 5000, statementTimeoutMs: 30000 };
    const instances = await Promise.all([1, 2, 3].map(() => openPostgres(target.toString(), options)));
    try {
      const applied = await Promise.all(instances.map((db) => migrate(db)));
      expect(applied.filter((names) => names.length > 0)).toHaveLength(1);
      await Promise.all(instances.map((db) => ensureDefaultOrganization(db.prisma)));
      const db = instances[0]!;
      expect(await db.prisma.organization.count({ where: { isDefault: true } })).toBe(1);
      expect(await db.prisma.group.count({ where: { isEveryone: true } })).toBe(1);
    } finally {
      await Promise.all(instances.map((db) => db.close()));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
