// WORKERS=2 as an operator runs it (the compiled server): two processes serve one port, a live
// update reaches a subscriber whichever worker served the write, a worker that dies is replaced,
// and SIGTERM stops them all. PostgreSQL only: the embedded database serves one process.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type RunningChild, startCompiled } from "../support/child.js";
import { TEST_PASSWORD } from "../support/harness.js";
import { REGISTER } from "../support/provisioners.js";
import { subscribe } from "../support/sse.js";

const template = inject("postgresTemplate");
const baseUrl = inject("postgresUrl");

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The live child processes of `pid`. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid && fields[0] !== "Z") children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

const lines = (server: RunningChild) =>
  server
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));

describe.skipIf(!template)("WORKERS=2", () => {
  const name = `orgs_api_workers_${randomBytes(6).toString("hex")}`;
  const port = 20000 + Math.floor(Math.random() * 20000);
  let admin: pg.Client;
  let server: RunningChild;

  /** A POST on a connection of its own: node:cluster hands each new connection to the next worker. */
  function post(body: unknown, headers: Record<string, string> = {}): Promise<any> {
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/graphql", method: "POST", agent: false }, (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve(JSON.parse(text)));
      });
      req.on("error", reject);
      req.setHeader("content-type", "application/json");
      for (const [key, value] of Object.entries(headers)) req.setHeader(key, value);
      req.end(JSON.stringify(body));
    });
  }

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    server = startCompiled("dist/server.js", [], {
      WORKERS: "2",
      DATABASE_URL: url.toString(),
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      PASSWORD_HASH_COST: "1024",
    });
    await waitFor(() => lines(server).filter((l) => l.msg === "listening").length === 2, 45_000);
  });

  afterAll(async () => {
    if (server && server.proc.exitCode === null) {
      server.proc.kill("SIGKILL");
      await server.exited;
    }
    await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.end();
  });

  it("serves from two worker processes sharing the port", async () => {
    expect(
      lines(server)
        .filter((l) => l.msg === "listening")
        .map((l) => l.worker)
        .sort(),
    ).toEqual([1, 2]);
    expect(childrenOf(server.proc.pid as number)).toHaveLength(2);
    for (let i = 0; i < 4; i++) expect(await post({ query: "{ needsSetup }" })).toEqual({ data: { needsSetup: true } });
  });

  it("delivers a live update to a subscriber whichever worker served the write", async () => {
    const first = await post({
      query: `mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token userErrors { code } } }`,
      variables: { input: { email: "owner@example.com", username: "owner", password: TEST_PASSWORD } },
    });
    const token = first.data.createFirstUser.token as string;
    const auth = { authorization: `Bearer ${token}` };
    const org = await post(
      {
        query: `mutation { createOrganization(input: { name: "acme" }) { organization { id } userErrors { code } } }`,
      },
      auth,
    );
    const organizationId = org.data.createOrganization.organization.id as string;
    const created = await post(
      {
        query: `mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key } }`,
        variables: { input: { organizationId, name: "k" } },
      },
      auth,
    );
    const key = created.data.createProvisionerKey.key as string;

    const events = await subscribe(
      fetch,
      `http://127.0.0.1:${port}/graphql`,
      `subscription($id: ID!) { provisionerDaemonsUpdated(organizationId: $id) { name } }`,
      { id: organizationId },
      token,
    );
    try {
      expect(events.status).toBe(200);
      expect((await events.next()).kind).toBe("next"); // the list now: empty
      // Four registrations on four new connections: the workers take turns, so half of them are
      // served by the worker that does not hold the subscription.
      for (const daemon of ["d1", "d2", "d3", "d4"]) {
        const registered = await post(
          { query: REGISTER, variables: { input: { name: daemon, version: "test" } } },
          { "provisioner-key": key },
        );
        expect(registered.data.registerProvisionerDaemon.userErrors).toEqual([]);
        let names: string[] = [];
        while (!names.includes(daemon)) {
          const event = await events.next(5000);
          if (event.kind !== "next") throw new Error("the stream ended");
          names = (event.data?.provisionerDaemonsUpdated ?? []).map((d: { name: string }) => d.name);
        }
      }
    } finally {
      await events.close();
    }
  });

  it("ends a session on every worker once a logout through one of them answered", async () => {
    const login = await post({
      query: `mutation($input: LoginInput!) { login(input: $input) { token } }`,
      variables: { input: { email: "owner@example.com", password: TEST_PASSWORD } },
    });
    const session = { authorization: `Bearer ${login.data.login.token}` };
    const viewer = () => post({ query: "{ viewer { username } }" }, session);
    // Four new connections: both workers verify the session and remember it.
    for (let i = 0; i < 4; i++) expect((await viewer()).data).toEqual({ viewer: { username: "owner" } });
    expect((await post({ query: "mutation { logout }" }, session)).data).toEqual({ logout: true });
    const refusedWithin = async (ms: number) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const answers = await Promise.all([viewer(), viewer()]);
        if (answers.every((a) => a.errors?.[0]?.extensions?.code === "UNAUTHENTICATED")) return true;
        if (Date.now() > deadline) return false;
      }
    };
    expect(await refusedWithin(100)).toBe(true);
  });

  it("replaces a worker that dies, and stops them all on SIGTERM", async () => {
    const primary = server.proc.pid as number;
    const [victim] = childrenOf(primary);
    process.kill(victim as number, "SIGKILL");
    await waitFor(() => lines(server).filter((l) => l.msg === "listening").length === 3, 30_000);
    expect(lines(server).some((l) => l.msg === "worker exited; starting another")).toBe(true);
    const workers = childrenOf(primary);
    expect(workers).toHaveLength(2);
    expect(workers).not.toContain(victim);
    for (let i = 0; i < 4; i++)
      expect(await post({ query: "{ needsSetup }" })).toEqual({ data: { needsSetup: false } });

    server.proc.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe("WORKERS configuration", () => {
  it("refuses more than one worker on the embedded database", async () => {
    const server = startCompiled("dist/server.js", [], { WORKERS: "2", DATABASE_URL: "", PORT: "0" });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain("WORKERS above 1 needs DATABASE_URL");
  });
});
