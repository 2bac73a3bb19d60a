// The service under test, in this process: seeds a scratch database, serves it on 127.0.0.1
// twice (as shipped, and with scope-auth off for the W2 comparison), signs the actors in, and
// counts the requests each server handled (per-request figures divide by those).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createSchema, createYoga } from "graphql-yoga";
import { type App, createApp } from "../../src/app.js";
import { hashPassword } from "../../src/auth/passwords.js";
import { loadConfig } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
import { builder } from "../../src/graphql/builder.js";
import { globalId } from "../../src/graphql/ids.js";
// Registers every type on the builder before it is built a second time.
import "../../src/graphql/schema.js";
import { createLogger } from "../../src/logger.js";
import { handleNodeRequest } from "../../src/node-http.js";
import { BIG_ORGANIZATION_MEMBERS, idOf, seed, W1_ORGANIZATIONS, W1_WORKSPACES, W3_ORGANIZATION } from "./seed.js";
import type { Actors, Expectations } from "./workloads.js";

const PASSWORD = "bench-password-123";

/**
 * Requests a server received, and those it finished handling. Handled, not answered: a request
 * whose client left (the load generator stopping) runs to the end all the same, and its
 * statements and CPU belong to the window it started in.
 */
export type Traffic = {
  received: number;
  handled: number;
  /** Requests still unhandled after `settled` gave up on them: not waited for again, and reported. */
  stuck: number;
  /** What each unhandled request is doing, for the report of those that never finish. */
  inFlight: Set<{ started: number; req: IncomingMessage; res: ServerResponse }>;
};

/** A server of this process and the requests it handled. */
export type Served = { url: string; traffic: Traffic };

export type Endpoint = Served & { app: App };

export type Service = {
  /** As shipped. */
  checked: Endpoint;
  /** Scope-auth off: Pothos type and field checks are skipped; SQL tenant filters and the viewer lookup still run. */
  unchecked: Endpoint;
  /**
   * The pipeline floor: a bare `createYoga` (no plugins, a one-field schema) on the same node:http
   * set-up, answering `{ __typename }`. What our signed-in W0 is compared with.
   */
  bare: Served;
  tokens: Actors;
  expectations: Expectations;
  seedMs: number;
  close(): Promise<void>;
};

export async function startService(db: Database, users: number): Promise<Service> {
  const config = loadConfig({
    LOG_LEVEL: "silent",
    PASSWORD_HASH_COST: "1024",
    RATE_LIMIT_PER_MINUTE: "100000000",
    RATE_LIMIT_SIGNIN_PER_MINUTE: "100000000",
    // W2/1000 asks for 1,000 members through a variable, which costs about 94,000.
    MAX_QUERY_COST: "200000",
  });
  const hash = await hashPassword(PASSWORD, config.passwordHashCost);
  const seedStarted = performance.now();
  await db.withConnection((raw) => seed(raw, users, hash));
  const seedMs = performance.now() - seedStarted;

  const log = createLogger("silent");
  const servers: Server[] = [];
  const apps: App[] = [];
  const serveYoga = async (yoga: App["yoga"]): Promise<Served> => {
    const traffic: Traffic = { received: 0, handled: 0, stuck: 0, inFlight: new Set() };
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      traffic.received++;
      const entry = { started: performance.now(), req, res };
      traffic.inFlight.add(entry);
      // Settles once the response was written (or the client was found gone).
      void handleNodeRequest(yoga, req, res).finally(() => {
        traffic.handled++;
        traffic.inFlight.delete(entry);
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, traffic };
  };
  const serve = async (app: App): Promise<Endpoint> => {
    apps.push(app);
    return { ...(await serveYoga(app.yoga)), app };
  };
  const close = async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await Promise.all(apps.map((app) => app.close()));
  };
  try {
    const checked = await serve(createApp({ db, config, log }));
    const unchecked = await serve(
      createApp({ db, config, log, schema: builder.toSchema({ sortSchema: false, disableScopeAuth: true }) }),
    );
    const bare = await serveYoga(
      createYoga({
        schema: createSchema({ typeDefs: "type Query { ok: Boolean }" }),
        logging: false,
        landingPage: false,
        graphiql: false,
      }) as unknown as App["yoga"],
    );
    const tokens: Actors = {
      member: await login(checked.url, "bench-member@bench.test"),
      admin: await login(checked.url, "bench-admin@bench.test"),
      owner: await login(checked.url, "bench-owner@bench.test"),
      creator: await login(checked.url, "bench-creator@bench.test"),
    };
    const id = (kind: string, index: string) => db.withConnection((raw) => idOf(raw, kind, index));
    const expectations: Expectations = {
      w1Workspaces: W1_WORKSPACES,
      w1Organizations: W1_ORGANIZATIONS,
      bigOrganization: "org-000",
      bigMembers: BIG_ORGANIZATION_MEMBERS + 1,
      templateId: globalId("Template", await id("template", String(W3_ORGANIZATION))),
      foreignWorkspaceId: globalId("Workspace", await id("ws", "50")),
    };
    return { checked, unchecked, bare, tokens, expectations, seedMs, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function login(url: string, email: string): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: "mutation($input: LoginInput!) { login(input: $input) { token userErrors { message } } }",
      variables: { input: { email, password: PASSWORD } },
    }),
  });
  const body = (await response.json()) as any;
  const token = body.data?.login?.token;
  if (!token) throw new Error(`login of ${email} failed: ${JSON.stringify(body)}`);
  return token;
}

/**
 * Waits (up to 30 s: W2/1000 on a loaded machine) for the requests still in flight when a load
 * generator stopped. Those that never finish are reported once, with what their response had
 * done, and counted as stuck: later measurements do not wait for them again.
 */
export async function settled(traffic: Traffic): Promise<void> {
  const unfinished = () => traffic.received - traffic.handled - traffic.stuck;
  for (let i = 0; i < 3000 && unfinished() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  if (unfinished() <= 0) return;
  const now = performance.now();
  const states = [...traffic.inFlight].map(
    ({ started, req, res }) =>
      `${((now - started) / 1000).toFixed(1)} s old, client ${req.socket.destroyed ? "gone" : "connected"}, ` +
      `request body ${req.complete ? "read" : "unread"}, response ${res.writableEnded ? "ended" : res.headersSent ? "started" : "not started"}` +
      ` (destroyed ${res.destroyed}, closed ${res.closed}, needs drain ${res.writableNeedDrain}, ${res.writableLength} bytes buffered)`,
  );
  console.warn(`${unfinished()} request(s) never finished:\n  ${states.slice(0, 10).join("\n  ")}`);
  traffic.stuck += unfinished();
}

/** One request through the app's Fetch handler in this process (no socket); the parsed answer. */
export async function sendInProcess(app: App, body: string, token: string | null): Promise<any> {
  const response = await app.yoga.fetch("http://bench.local/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return response.json();
}
