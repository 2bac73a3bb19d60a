// One test file = one fresh, migrated database (tenant per test file) and one app on it.
// Requests go through yoga.fetch: the real HTTP pipeline, no server socket.

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { inject } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { type Database, openPglite, openPostgres } from "../../src/db/database.js";
import { createLogger } from "../../src/logger.js";

export type GqlResult<T = Record<string, any>> = {
  status: number;
  data: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
  headers: Headers;
};

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

async function openTestDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  const template = inject("postgresTemplate");
  if (!template) {
    const image = new Blob([readFileSync(inject("pgliteImage"))]);
    return { db: await openPglite(image), drop: async () => {} };
  }
  const url = inject("postgresUrl");
  const name = `orgs_api_test_${process.ppid}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY FILE_COPY`).catch(async () => {
    // PostgreSQL before 15 has no STRATEGY option.
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  });
  const target = new URL(url);
  target.pathname = `/${name}`;
  const db = await openPostgres(target.toString(), { poolMax: 5, connectTimeoutMs: 5000, statementTimeoutMs: 30000 });
  return {
    db,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export const TEST_PASSWORD = "correct-horse-battery";

export async function createTestApp(env: Record<string, string> = {}) {
  const { db, drop } = await openTestDatabase();
  return createTestAppOn(db, env, drop);
}

/** An app on a database the caller opened (fault tests use their own cluster); `close` closes `db` too. */
export function createTestAppOn(db: Database, env: Record<string, string> = {}, drop = async () => {}) {
  const config = loadConfig({
    PASSWORD_HASH_COST: "1024",
    LOG_LEVEL: "silent",
    // Test files send many requests from one address; rate-limit tests lower these.
    RATE_LIMIT_PER_MINUTE: "1000000",
    RATE_LIMIT_SIGNIN_PER_MINUTE: "1000000",
    ...env,
  });
  const app = createApp({ db, config, log: createLogger(config.logLevel) });
  const { yoga } = app;

  async function request(init: { body?: string; headers?: Record<string, string>; method?: string; path?: string }) {
    return yoga.fetch(`http://test${init.path ?? "/graphql"}`, {
      method: init.method ?? "POST",
      headers: { "content-type": "application/json", ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  }

  async function gql<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    options: { token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<GqlResult<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await request({ body: JSON.stringify({ query, variables }), headers });
    const body = (await response.json()) as { data?: T | null; errors?: GqlResult["errors"] };
    return { status: response.status, data: body.data ?? null, errors: body.errors, headers: response.headers };
  }

  return {
    db,
    prisma: db.prisma,
    yoga,
    deps: app.deps,
    request,
    gql,
    close: async () => {
      await app.close();
      await db.close();
      await drop();
    },
  };
}

/** The codes of a result's errors, for compact assertions. */
export const errorCodes = (result: GqlResult) => (result.errors ?? []).map((e) => e.extensions?.code);
