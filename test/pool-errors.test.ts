// PostgreSQL only: a backend terminated while its connection is checked out of the pool and
// idle between statements must not take the process down (the error is an 'error' event on the
// pg client, fatal when nothing listens). The soak found this as a server crash at
// pg_terminate_backend; the pool-handoff race it hit is not reproducible on demand, this is.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openPostgres } from "../src/db/database.js";

const postgresUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!postgresUrl)("a terminated backend while its connection is checked out", () => {
  let db: Database;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await openPostgres(postgresUrl as string, {
      poolMax: 2,
      connectTimeoutMs: 2000,
      statementTimeoutMs: 5000,
    });
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.close();
  });

  it("is survived, and the pool serves again with a new connection", async () => {
    let terminated = 0;
    await db.withConnection(async (raw) => {
      const [row] = await raw.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      await admin.query("SELECT pg_terminate_backend($1)", [row?.pid]);
      terminated = row?.pid ?? 0;
      // The FATAL arrives while no statement runs on this connection.
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    expect(terminated).toBeGreaterThan(0);
    const rows = await db.withConnection((raw) => raw.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"));
    expect(rows[0]?.pid).not.toBe(terminated);
    await db.ping();
  });
});
