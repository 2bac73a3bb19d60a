// Applies the committed Prisma migrations (plain SQL) in order. `prisma migrate deploy` cannot
// run through a driver adapter (prisma/orm#27403), so the service does it itself, recording
// each migration in Prisma's own `_prisma_migrations` table so Prisma tooling reads the state.
// An advisory lock serialises instances that start at the same time.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Database, Raw } from "./database.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));
const LOCK_KEY = 7_246_913_001; // arbitrary, constant: "orgs-api migrations"

type Migration = { name: string; sql: string; checksum: string };

async function readMigrations(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(`${dir}/${name}/migration.sql`, "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

async function applyPending(raw: Raw, migrations: Migration[]): Promise<string[]> {
  await raw.exec(CREATE_TABLE);
  const done = await raw.query<{ migration_name: string; checksum: string }>(
    `SELECT migration_name, checksum FROM "_prisma_migrations"
     WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const applied = new Map(done.map((row) => [row.migration_name, row.checksum]));
  const ran: string[] = [];
  for (const migration of migrations) {
    const checksum = applied.get(migration.name);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        throw new Error(`migration ${migration.name} was changed after it was applied`);
      }
      continue;
    }
    await raw.exec("BEGIN");
    try {
      await raw.exec(migration.sql);
      await raw.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES ($1, $2, now(), $3, 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      await raw.exec("COMMIT");
    } catch (error) {
      await raw.exec("ROLLBACK");
      throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`);
    }
    ran.push(migration.name);
  }
  return ran;
}

/** Applies pending migrations; returns the names of those it applied. */
export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await readMigrations(dir);
  return db.withConnection(async (raw) => {
    await raw.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
    try {
      return await applyPending(raw, migrations);
    } finally {
      await raw.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]);
    }
  });
}
