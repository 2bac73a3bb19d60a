// The process as an operator runs it: first start on an empty data directory, graceful
// shutdown, and a clear, fast failure when PostgreSQL cannot be reached.

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startCompiled } from "../support/child.js";

type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

function startServer(env: Record<string, string>): Started {
  const { proc, output, exited } = startCompiled("dist/server.js", [], { LOG_LEVEL: "info", ...env });
  return { child: proc, output, exited };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("server process", () => {
  it("starts on an empty data directory, serves GraphQL, and stops cleanly on SIGTERM", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "orgs-api-data-"));
    dirs.push(dataDir);
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const server = startServer({ DATA_DIR: dataDir, PORT: port, HOST: "127.0.0.1" });
    await waitFor(() => server.output().includes('"msg":"listening"'), 45_000);
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ needsSetup }" }),
    });
    expect(await response.json()).toEqual({ data: { needsSetup: true } });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const lines = server
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"));
    const request = lines.map((l) => JSON.parse(l)).find((entry) => entry.msg === "request");
    expect(request).toMatchObject({ method: "POST", path: "/graphql", status: 200 });
    expect(request.requestId).toMatch(/^[0-9a-f-]{36}$/);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
  });

  it("fails fast with a clear message when PostgreSQL does not answer", async () => {
    // A socket that accepts connections and never speaks: the worst case, a hang.
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const server = startServer({
        DATABASE_URL: `postgresql://nobody@127.0.0.1:${port}/none`,
        DB_CONNECT_TIMEOUT_MS: "1000",
        PORT: "0",
      });
      const code = await server.exited;
      expect(code).toBe(1);
      expect(server.output()).toContain("cannot connect to PostgreSQL");
    } finally {
      silent.close();
    }
  });

  it("refuses a bad configuration value with a message naming it", async () => {
    const server = startServer({ PORT: "eighty" });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain("PORT must be a whole number");
  });
});
