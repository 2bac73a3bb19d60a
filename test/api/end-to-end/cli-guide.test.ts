// The seed guide "Using Organizations" with the CLI alone, as the README's CLI section tells it:
// a server process on a fresh database, the compiled CLI as a child process per command, the
// provisioner daemon started by the CLI. From the first user to a member's deleted workspace.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, jsonOf, startCliServer } from "../../support/cli.js";

let s: CliServer;
const PASSWORD = "correct-horse-battery";

beforeAll(async () => {
  s = await startCliServer();
}, 240_000);

afterAll(async () => {
  await s?.stop();
});

describe("the organizations guide with the CLI", { timeout: 300_000 }, () => {
  it("first user, organization, provisioner, template, member, group, workspace", async () => {
    // A new server: login says how to create the first user, then creates it.
    const bare = await s.cli(["login", s.url]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/has no users yet: create the first one .* --first-user-email EMAIL/);
    const first = await s.cli(
      ["login", s.url, "--first-user-email", "admin@example.com", "--first-user-username", "admin"].concat([
        "--first-user-password-stdin",
        "--json",
      ]),
      { stdin: `${PASSWORD}\n` },
    );
    expect(first.stderr).toBe("");
    expect(jsonOf(first)).toMatchObject({ username: "admin", profile: "default", firstUser: true });
    expect((await stat(join(s.configDir, "config.json"))).mode & 0o777).toBe(0o600);
    expect(jsonOf(await s.cli(["whoami", "--json"]))).toMatchObject({ username: "admin", organization: "default" });

    // 1. Create the organization.
    expect(jsonOf(await s.cli(["organizations", "create", "data-platform", "--json"]))).toMatchObject({
      name: "data-platform",
      isDefault: false,
    });
    const table = await s.cli(["organizations", "list", "-c", "name,default"]);
    expect(table.stdout).toBe("NAME           DEFAULT\ndefault        yes\ndata-platform\n");
    // Lists page through every result (here one organization a page).
    const paged = jsonOf(await s.cli(["organizations", "list", "-o", "json"], { env: { ORGS_API_PAGE_SIZE: "1" } }));
    expect(paged.map((o: { name: string }) => o.name)).toEqual(["default", "data-platform"]);

    // 2. Deploy a provisioner: a key shown once; the daemon refuses an organization not the key's.
    const created = jsonOf(
      await s.cli(["provisioner", "keys", "create", "data-cluster-key", "--org", "data-platform", "--json"]),
    );
    expect(created.key).toMatch(/^opk_/);
    // A template before any daemon: the CLI warns instead of waiting out its timeout.
    const early = await s.cli(["templates", "create", "early", "-O", "data-platform", "--json"]);
    expect(early.code).toBe(0);
    expect(early.stderr).toMatch(
      /warning: Import of early is queued, but no provisioner daemon of data-platform exists/,
    );
    expect(JSON.parse(early.stdout)).toMatchObject({ name: "early", activeVersion: { job: { status: "PENDING" } } });

    const refused = await s.cli(["provisionerd", "start", "-O", "default", "--name", "wrong"], {
      env: { PROVISIONER_DAEMON_KEY: created.key },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/The key belongs to organization data-platform, not default/);
    // Refused before registering: no daemon row is left behind (checked below).
    const daemon = s.spawnCli(["provisionerd", "start", "--org", "data-platform", "--name", "guide-daemon"], {
      PROVISIONER_DAEMON_KEY: created.key,
      PROVISIONER_POLL_INTERVAL_MS: "50",
      ECHO_DELAY_MS: "200",
    });

    // From here on the organization is the profile's selection: no -O.
    expect((await s.cli(["organizations", "select", "data-platform"])).code).toBe(0);
    // The CLI follows an import only once a daemon of the organization exists: wait for it to register.
    const daemonNames = async () =>
      jsonOf(await s.cli(["provisioner", "list", "--json"])).map((d: { name: string }) => d.name);
    await expect.poll(daemonNames, { timeout: 30_000, interval: 100 }).toContain("guide-daemon");

    // 3. Create a template: the daemon imports it while the CLI waits, status on stderr.
    const template = await s.cli(["templates", "create", "docker", "--daily-cost", "2", "--json"]);
    expect(template.stderr).toMatch(/Import of docker: succeeded/);
    expect(jsonOf(template)).toMatchObject({
      name: "docker",
      organization: { name: "data-platform" },
      activeVersion: { dailyCost: 2, job: { status: "SUCCEEDED" } },
    });
    const daemons = jsonOf(await s.cli(["provisioner", "list", "--json"]));
    // The refused start registered nothing.
    expect(daemons.map((d: { name: string }) => d.name)).toEqual(["guide-daemon"]);
    expect(daemons.find((d: { name: string }) => d.name === "guide-daemon")).toMatchObject({
      key: { name: "data-cluster-key" },
      tags: [],
      version: "cli",
    });

    // 5. Add members: alice exists (in the default organization) once a user admin creates her.
    const alice = await s.cli(
      [
        "users",
        "create",
        "--username",
        "alice",
        "--email",
        "alice@example.com",
        "--password-stdin",
        "-O",
        "default",
      ].concat(["--json"]),
      { stdin: PASSWORD },
    );
    expect(jsonOf(alice).organizations.map((o: { name: string }) => o.name)).toEqual(["default"]);
    expect((await s.cli(["members", "add", "alice"])).stdout).toBe("Added alice to data-platform.\n");
    const addedAgain = await s.cli(["members", "add", "alice"]);
    expect(addedAgain).toMatchObject({ code: 1 });
    expect(addedAgain.stderr).toMatch(/\[ALREADY_MEMBER/);
    expect((await s.cli(["groups", "create", "frontend", "--quota-allowance", "10"])).code).toBe(0);
    expect((await s.cli(["groups", "add-member", "frontend", "alice"])).code).toBe(0);
    const members = await s.cli(["members", "list", "-c", "username,groups"]);
    expect(members.stdout).toMatch(/^USERNAME\s+GROUPS\n/);
    expect(members.stdout).toMatch(/\nalice\s+\S*frontend/);

    // 6. Alice, in a profile of her own, creates a workspace in the organization.
    const asAlice = { env: { ORGS_API_PROFILE: "alice" } };
    const aliceLogin = await s.cli(["login", s.url, "--email", "alice@example.com", "--password-stdin"], {
      ...asAlice,
      stdin: PASSWORD,
    });
    expect(aliceLogin.stdout).toContain("as alice (profile alice)");
    const workspace = await s.cli(
      ["workspaces", "create", "dev", "--template", "docker", "-O", "data-platform"],
      asAlice,
    );
    expect(workspace.code).toBe(0);
    expect(workspace.stderr).toMatch(/Build #1 \(start\) of dev: succeeded/);
    expect((await s.cli(["workspaces", "list"], asAlice)).stdout).toMatch(
      /\ndev\s+alice\s+data-platform\s+docker\s+#1 start\s+succeeded\s+/,
    );
    // The admin's own list is empty; --all, --owner and --search find alice's.
    expect(jsonOf(await s.cli(["workspaces", "list", "--json"]))).toEqual([]);
    expect(jsonOf(await s.cli(["workspaces", "list", "--all", "--json"]))).toMatchObject([{ name: "dev" }]);
    expect(jsonOf(await s.cli(["workspaces", "list", "--owner", "alice", "--search", "DE", "--json"]))).toHaveLength(1);
    expect(jsonOf(await s.cli(["workspaces", "list", "--all", "--search", "nothing", "--json"]))).toEqual([]);
    expect(jsonOf(await s.cli(["workspaces", "show", "alice/dev", "--json"]))).toMatchObject({
      owner: { username: "alice" },
      latestBuild: { job: { status: "SUCCEEDED", matchedProvisioners: { count: 1 } } },
    });

    const stopped = jsonOf(await s.cli(["workspaces", "stop", "dev", "--json"], asAlice));
    expect(stopped.latestBuild).toMatchObject({ buildNumber: 2, transition: "STOP", job: { status: "SUCCEEDED" } });
    // --status and --outdated filter on the server (the template has one version: dev is current).
    const listed = (...flags: string[]) => s.cli(["workspaces", "list", "--all", ...flags, "--json"]);
    expect(jsonOf(await listed("--status", "running,stopped"))).toMatchObject([{ name: "dev" }]);
    expect(jsonOf(await listed("--status", "running", "--status", "failed"))).toEqual([]);
    expect(jsonOf(await listed("--outdated"))).toEqual([]);
    expect((await s.cli(["workspaces", "start", "dev"], asAlice)).stdout).toMatch(
      /Build #3 \(start\) of dev: succeeded/,
    );
    expect((await s.cli(["workspaces", "delete", "dev"], asAlice)).code).toBe(0);
    expect(jsonOf(await s.cli(["workspaces", "list", "--json"], asAlice))).toEqual([]);

    // Two profiles side by side; logging out one leaves the other.
    expect((await s.cli(["logout"], asAlice)).code).toBe(0);
    expect((await s.cli(["whoami"], asAlice)).stderr).toMatch(/not logged in \(profile alice\)/);
    expect(jsonOf(await s.cli(["whoami", "--json"]))).toMatchObject({
      username: "admin",
      organization: "data-platform",
    });

    daemon.proc.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });
});
