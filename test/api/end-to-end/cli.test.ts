// The CLI's errors and exit codes, in this process against an HTTP server around a test app (the
// guide and the admin tasks run the CLI as a child process: cli-guide.test.ts, cli-admin.test.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/run.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { type OwnerScope, seed } from "../../support/seed.js";

let app: TestApp;
let server: Server;
let url: string;
let dir: string;
let owner: OwnerScope;

type Ran = { code: number; stdout: string; stderr: string };

/** Runs one CLI command in this process; `env` adds to a clean environment using the temp config file. */
async function cli(argv: string[], env: Record<string, string> = {}, signal = new AbortController().signal) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    env: { ORGS_API_CONFIG: path.join(dir, "config.json"), ORGS_API_POLL_MS: "50", LOG_LEVEL: "silent", ...env },
    stdout: {
      write: (text) => {
        stdout += text;
      },
    },
    stderr: {
      write: (text) => {
        stderr += text;
      },
    },
    fetch: globalThis.fetch,
    readStdin: async () => "",
    signal,
  });
  return { code, stdout, stderr } satisfies Ran;
}

beforeAll(async () => {
  app = await createTestApp();
  server = createServer(app.yoga);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(tmpdir(), "orgs-api-cli-"));
  owner = await seed(app).owner();
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("errors and exit codes", () => {
  it("prints userErrors and error codes readably and exits 1", async () => {
    await cli(["organizations", "create", "taken-org"], { ORGS_API_TOKEN: owner.token, ORGS_API_URL: url });
    const again = await cli(["organizations", "create", "taken-org"], {
      ORGS_API_TOKEN: owner.token,
      ORGS_API_URL: url,
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: .+ \[NAME_TAKEN at input\.name\]\n$/);
    const outsider = await owner.user("outsider");
    const hidden = await cli(["organizations", "show", "taken-org"], {
      ORGS_API_TOKEN: outsider.token,
      ORGS_API_URL: url,
    });
    expect(hidden).toMatchObject({
      code: 1,
      stderr: 'error: organization "taken-org" not found (or not visible to you) [NOT_FOUND]\n',
    });
    const bad = await cli(["organizations", "list"], { ORGS_API_TOKEN: "oat_bogus", ORGS_API_URL: url });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\[UNAUTHENTICATED\]/);
    const away = await cli(["organizations", "list"], { ORGS_API_TOKEN: "x", ORGS_API_URL: "http://127.0.0.1:1" });
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1\/graphql .*\[UNREACHABLE\]/);
  });

  it("exits 2 on usage errors", async () => {
    for (const argv of [[], ["bogus"], ["members", "add"], ["organizations", "list", "--nope"]]) {
      const ran = await cli(argv, { ORGS_API_TOKEN: owner.token, ORGS_API_URL: url });
      expect(ran.code).toBe(2);
    }
    expect((await cli(["--help"])).code).toBe(0);
  });
});
