// PostgreSQL only: Prisma's statements are prepared once per connection and then only bound
// (DB_PREPARED_STATEMENTS), at most that many distinct texts per process, and none when it is 0;
// a connection that replaces a lost one prepares them again.
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Database, openPostgres } from "../../src/db/database.js";

const postgresUrl = process.env.TEST_DATABASE_URL;

/** Statements this process prepared on the connection `db` hands out (a pool of one). */
async function preparedOn(db: Database): Promise<string[]> {
  const rows = await db.withConnection((raw) =>
    raw.query<{ statement: string }>(
      "SELECT statement FROM pg_prepared_statements WHERE name LIKE 'orgs_api_%' ORDER BY prepare_time",
    ),
  );
  return rows.map((row) => row.statement);
}

const open = (preparedStatements?: number) =>
  openPostgres(postgresUrl as string, {
    poolMax: 1,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 5000,
    preparedStatements,
  });

describe.skipIf(!postgresUrl)("prepared statements", () => {
  let db: Database | undefined;
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });
  afterAll(async () => {
    await admin?.end();
  });

  it("prepares each statement text once per connection and reuses it", async () => {
    db = await open();
    for (let i = 0; i < 3; i++) {
      expect(await db.prisma.$queryRawUnsafe<{ n: number }[]>("SELECT $1::int AS n", i)).toEqual([{ n: i }]);
    }
    await db.prisma.$queryRawUnsafe("SELECT $1::text AS s", "x");
    expect(await preparedOn(db)).toEqual(["SELECT $1::int AS n", "SELECT $1::text AS s"]);
  });

  it("runs texts past the limit unnamed, and prepares none at 0", async () => {
    db = await open(2);
    for (const sql of ["SELECT 1 AS a", "SELECT 2 AS b", "SELECT 3 AS c", "SELECT 1 AS a"]) {
      await db.prisma.$queryRawUnsafe(sql);
    }
    expect(await preparedOn(db)).toEqual(["SELECT 1 AS a", "SELECT 2 AS b"]);
    await db.close();
    db = await open(0);
    await db.prisma.$queryRawUnsafe("SELECT 1 AS a");
    await db.prisma.$queryRawUnsafe("SELECT 1 AS a");
    expect(await preparedOn(db)).toEqual([]);
  });

  it("prepares again on a connection that replaced a terminated one", async () => {
    db = await open();
    await db.prisma.$queryRawUnsafe("SELECT $1::int AS n", 1);
    const [before] = await db.withConnection((raw) => raw.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"));
    await admin.query("SELECT pg_terminate_backend($1)", [before?.pid]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The statement the lost connection had prepared runs on its replacement.
    let answer: unknown;
    for (let attempt = 0; attempt < 3 && answer === undefined; attempt++) {
      answer = await db.prisma.$queryRawUnsafe("SELECT $1::int AS n", 2).catch(() => undefined);
    }
    expect(answer).toEqual([{ n: 2 }]);
    expect(await preparedOn(db)).toEqual(["SELECT $1::int AS n"]);
  });
});
