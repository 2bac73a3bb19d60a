// The CLI end to end, following the organizations guide against a started server (an HTTP
// server on 127.0.0.1 around a test app), the provisioner daemon included.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/run.js";
import { type Actor, createUser, setupOwner } from "../../support/actors.js";
import { createTestApp, type TestApp } from "../../support/harness.js";

let app: TestApp;
let server: Server;
let url: string;
let dir: string;
let owner: Actor;

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

const jsonOf = (ran: Ran) => JSON.parse(ran.stdout);

beforeAll(async () => {
  app = await createTestApp();
  server = createServer(app.yoga);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(tmpdir(), "orgs-api-cli-"));
  owner = await setupOwner(app);
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the organizations guide with the CLI", () => {
  it("creates an organization, a provisioner, a template, members, groups and workspaces", async () => {
    // Log in: the URL and the token go to the config file, readable by its owner only.
    const login = await cli(["login", url, "--email", owner.email], { ORGS_API_PASSWORD: "correct-horse-battery" });
    expect(login).toMatchObject({ code: 0, stderr: "" });
    expect(login.stdout).toContain("as owner");
    const file = path.join(dir, "config.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({ url: `${url}/graphql` });

    // 1. Create the organization.
    expect((await cli(["organizations", "create", "data-platform"])).code).toBe(0);
    const list = await cli(["organizations", "list"]);
    expect(list.stdout.split("\n")[0]).toMatch(/^NAME\s+DISPLAY NAME\s+DEFAULT\s+ID$/);
    expect(list.stdout).toMatch(/\ndata-platform\s+data-platform\s+/);
    expect(jsonOf(await cli(["organizations", "list", "--json"])).map((o: { name: string }) => o.name)).toContain(
      "data-platform",
    );
    const shown = await cli(["organizations", "show", "data-platform", "--json"]);
    expect(jsonOf(shown)).toMatchObject({ name: "data-platform", isDefault: false, members: { totalCount: 1 } });

    // 2. Deploy a provisioner: a key shown once, then the daemon with it.
    const created = await cli(["provisioner", "keys", "create", "data-cluster-key", "--org", "data-platform"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(
      "Successfully created provisioner key data-cluster-key! Save this authentication token, it will not be shown again.",
    );
    const key = created.stdout.trim().split("\n").at(-1) as string;
    expect(key).toMatch(/^opk_/);
    const stopDaemon = new AbortController();
    const daemon = cli(
      ["provisionerd", "start", "--org", "data-platform", "--name", "cli-daemon", "--poll-interval-ms", "50"],
      // Each job takes a moment, so the CLI has progress to show.
      { PROVISIONER_DAEMON_KEY: key, ECHO_DELAY_MS: "300" },
      stopDaemon.signal,
    );
    const keys = await cli(["provisioner", "keys", "list", "--org", "data-platform"]);
    expect(keys.stdout).toMatch(/^NAME\s+TAGS\s+DAEMONS\s+CREATED\n/);
    expect(keys.stdout).toContain("data-cluster-key");
    expect(keys.stdout).not.toContain(key);

    // 3. Create a template: the daemon imports it while the CLI waits.
    const template = await cli(["templates", "create", "docker", "--org", "data-platform", "--daily-cost", "2"]);
    expect(template.code).toBe(0);
    expect(template.stderr).toMatch(/Import of docker: succeeded/);
    const templates = jsonOf(await cli(["templates", "list", "--org", "data-platform", "--json"]));
    expect(templates).toMatchObject([
      { name: "docker", activeVersion: { dailyCost: 2, job: { status: "SUCCEEDED" } } },
    ]);

    // 5. Add members (and a group with a quota for them).
    const alice = await createUser(app, owner.token, "alice");
    expect((await cli(["members", "add", "alice", "--org", "data-platform"])).code).toBe(0);
    expect((await cli(["members", "list", "--org", "data-platform"])).stdout).toMatch(/\nalice\s+alice@example.com\s+/);
    expect(
      (await cli(["groups", "create", "frontend", "--org", "data-platform", "--quota-allowance", "10"])).code,
    ).toBe(0);
    expect((await cli(["groups", "add-member", "frontend", "alice", "--org", "data-platform"])).code).toBe(0);
    const groupRows = jsonOf(await cli(["groups", "list", "--org", "data-platform", "--json"]));
    expect(groupRows.find((g: { name: string }) => g.name === "frontend")).toMatchObject({
      totalMemberCount: 1,
      quotaAllowance: 10,
    });

    // 6. Alice creates a workspace from the organization's template, then stops and deletes it.
    const asAlice = { ORGS_API_TOKEN: alice.token };
    const workspace = await cli(
      ["workspaces", "create", "dev", "--org", "data-platform", "--template", "docker"],
      asAlice,
    );
    expect(workspace.code).toBe(0);
    expect(workspace.stderr).toMatch(/Build #1 \(start\) of dev: (pending|running)/);
    expect(workspace.stderr).toMatch(/Build #1 \(start\) of dev: succeeded/);
    const rows = await cli(["workspaces", "list"], asAlice);
    expect(rows.stdout).toMatch(/\ndev\s+alice\s+data-platform\s+docker\s+#1 start\s+succeeded\n/);
    expect((await cli(["workspaces", "stop", "dev"], asAlice)).stdout).toContain("Build #2 (stop) of dev succeeded.");
    expect((await cli(["workspaces", "delete", "dev"], asAlice)).code).toBe(0);
    expect(jsonOf(await cli(["workspaces", "list", "--json"], asAlice))).toEqual([]);

    // Deleting the key stops its daemon with an error.
    expect((await cli(["provisioner", "keys", "delete", "data-cluster-key", "--org", "data-platform"])).code).toBe(0);
    expect((await daemon).code).toBe(1);
    stopDaemon.abort();
    expect((await cli(["members", "remove", "alice", "--org", "data-platform"])).code).toBe(0);
  });
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
    const outsider = await createUser(app, owner.token, "outsider");
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
    for (const argv of [[], ["bogus"], ["members", "add", "alice"], ["organizations", "list", "--nope"]]) {
      const ran = await cli(argv, { ORGS_API_TOKEN: owner.token, ORGS_API_URL: url });
      expect(ran.code).toBe(2);
    }
    expect((await cli(["--help"])).code).toBe(0);
  });
});
