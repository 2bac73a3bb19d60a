// Faults on PostgreSQL: the app talks to the database through a TCP proxy that the test closes
// and reopens, so "the database is down" can be simulated without stopping the shared server.
// While it is down requests fail fast with SERVICE_UNAVAILABLE and /readyz answers 503; when it
// returns the same app serves again. Killed backends do not take the process down.
import { randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { type Database, openPostgres } from "../../src/db/database.js";
import { createLogger } from "../../src/logger.js";
import { TEST_PASSWORD } from "../support/harness.js";

/** A TCP proxy on 127.0.0.1 that can refuse connections and cut the open ones. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      const listener = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
      server = listener;
      listener.listen(port, "127.0.0.1", () => {
        port = (listener.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    /** Refuses new connections and cuts every open one: the database is gone. */
    down: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server ? server.close(() => resolve()) : resolve();
        server = null;
      }),
    up: listen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

const postgresUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!postgresUrl)("faults on PostgreSQL", () => {
  let admin: pg.Client;
  let db: Database;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let app: ReturnType<typeof createApp>;
  let token: string;
  const name = `orgs_api_test_${process.ppid}_${randomBytes(6).toString("hex")}`;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  const request = async (body: string, headers: Record<string, string> = {}, path = "/graphql") => {
    const started = performance.now();
    const response = await app.yoga.fetch(`http://test${path}`, {
      method: path === "/graphql" ? "POST" : "GET",
      headers: { "content-type": "application/json", ...headers },
      ...(path === "/graphql" ? { body } : {}),
    });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text || "null"), ms: performance.now() - started };
  };
  const viewer = () =>
    request(JSON.stringify({ query: "{ viewer { username } }" }), { authorization: `Bearer ${token}` });
  const createOrganization = (orgName: string) =>
    request(
      JSON.stringify({
        query: `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { name } userErrors { code } } }`,
        variables: { input: { name: orgName } },
      }),
      { authorization: `Bearer ${token}` },
    );

  beforeAll(async () => {
    process.on("unhandledRejection", onRejection);
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject("postgresTemplate")}`);
    const target = new URL(postgresUrl as string);
    proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(postgresUrl as string);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    viaProxy.pathname = `/${name}`;
    const log = createLogger("silent");
    db = await openPostgres(viaProxy.toString(), {
      poolMax: 4,
      connectTimeoutMs: 1000,
      statementTimeoutMs: 5000,
      onPoolError: () => {},
    });
    const config = loadConfig({ PASSWORD_HASH_COST: "1024", LOG_LEVEL: "silent", RATE_LIMIT_PER_MINUTE: "1000000" });
    app = createApp({ db, config, log });
    const first = await request(
      JSON.stringify({
        query: `mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token } }`,
        variables: { input: { email: "faults@example.com", username: "faults", password: TEST_PASSWORD } },
      }),
    );
    token = first.json.data.createFirstUser.token;
  });

  afterAll(async () => {
    process.off("unhandledRejection", onRejection);
    await app?.close();
    await db?.close().catch(() => {});
    await proxy?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it("serves through the proxy", async () => {
    expect((await viewer()).json.data.viewer.username).toBe("faults");
    expect((await request("", {}, "/readyz")).status).toBe(200);
  });

  it("fails fast with SERVICE_UNAVAILABLE while the database is down, and /readyz answers 503", async () => {
    await proxy.down();
    for (const attempt of [viewer, () => createOrganization("while-down")]) {
      const result = await attempt();
      expect(result.ms).toBeLessThan(3000);
      expect(result.status).toBe(503);
      expect(result.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain(
        "SERVICE_UNAVAILABLE",
      );
      expect(result.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|prisma|at \S+ \(/i);
    }
    const ready = await request("", {}, "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.json.status).toBe("unavailable");
  });

  it("serves again without a restart once the database is back", async () => {
    await proxy.up();
    expect((await request("", {}, "/readyz")).status).toBe(200);
    expect((await viewer()).json.data.viewer.username).toBe("faults");
    const created = await createOrganization("after-outage");
    expect(created.json.data.createOrganization.userErrors).toEqual([]);
  });

  it("survives its backends being terminated; the next requests succeed", async () => {
    await Promise.all([viewer(), viewer(), viewer()]); // several pooled connections
    const target = new pg.Client({ connectionString: postgresUrl?.replace(/\/[^/]*$/, `/${name}`) });
    await target.connect();
    const killed = await target.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    await target.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 5; i++) {
      const result = await viewer();
      expect(result.status).toBe(200);
      expect(result.json.data.viewer.username).toBe("faults");
    }
    expect((await createOrganization("after-kill")).json.data.createOrganization.userErrors).toEqual([]);
  });

  it("let no rejection go unhandled", () => {
    expect(rejections).toEqual([]);
  });
});
