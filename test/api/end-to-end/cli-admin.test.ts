// Every admin task with the CLI alone, as a child process against a server process: users,
// tokens, organizations, members and roles, groups, templates and their ACL, provisioner keys,
// daemons and jobs, IdP sync, audit. `--json` output parsed; errors as one line with the code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, jsonOf, startCliServer } from "../../support/cli.js";

let s: CliServer;
const PASSWORD = "correct-horse-battery";

beforeAll(async () => {
  s = await startCliServer();
  const first = await s.cli(
    ["login", s.url, "--first-user-email", "owner@example.com", "--first-user-username", "owner"].concat([
      "--first-user-password-stdin",
    ]),
    { stdin: PASSWORD },
  );
  if (first.code !== 0) throw new Error(first.stderr);
  await s.cli(["organizations", "create", "ops"]);
}, 240_000);

afterAll(async () => {
  await s?.stop();
});

const names = (rows: { name: string }[]) => rows.map((r) => r.name);

describe("admin tasks with the CLI", { timeout: 300_000 }, () => {
  it("users: create, list, show, edit (site roles too), suspend, activate, delete", async () => {
    const bob = await s.cli(
      [
        "users",
        "create",
        "--username",
        "bob",
        "--email",
        "bob@example.com",
        "--full-name",
        "Bob",
        "--password-stdin",
      ].concat(["-O", "ops", "--json"]),
      { stdin: PASSWORD },
    );
    expect(jsonOf(bob)).toMatchObject({ username: "bob", status: "ACTIVE", organizations: [{ name: "ops" }] });
    expect(
      jsonOf(await s.cli(["users", "list", "--search", "bob", "--json"])).map((u: { username: string }) => u.username),
    ).toEqual(["bob"]);
    expect((await s.cli(["users", "show", "bob", "-c", "username,email,status"])).stdout).toBe(
      "USERNAME  EMAIL            STATUS\nbob       bob@example.com  active\n",
    );
    const edited = jsonOf(
      await s.cli(["users", "edit", "bob", "--full-name", "Robert", "--roles", "template-admin", "--json"]),
    );
    expect(edited).toMatchObject({ name: "Robert" });
    expect(names(edited.siteRoles)).toContain("template-admin");
    expect(jsonOf(await s.cli(["users", "suspend", "bob", "--json"]))).toMatchObject({ status: "SUSPENDED" });
    expect(jsonOf(await s.cli(["users", "list", "--status", "suspended", "--json"]))).toMatchObject([
      { username: "bob" },
    ]);
    expect(jsonOf(await s.cli(["users", "activate", "bob", "--json"]))).toMatchObject({ status: "ACTIVE" });
    const self = await s.cli(["users", "delete", "owner"]);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/\[CANNOT_DELETE_SELF/);
    expect((await s.cli(["users", "delete", "bob"])).stdout).toBe("User bob deleted.\n");
    expect((await s.cli(["users", "show", "bob"])).stderr).toBe(
      'error: user "bob" not found (or not visible to you) [NOT_FOUND]\n',
    );
  });

  it("tokens: create (shown once, usable at once), list, delete (revoked at once)", async () => {
    const created = jsonOf(await s.cli(["tokens", "create", "ci", "--lifetime", "1d", "--json"]));
    expect(created.token).toBeTruthy();
    expect(created.expiresAt).toBeTruthy();
    const withToken = { env: { ORGS_API_TOKEN: created.token } };
    expect(jsonOf(await s.cli(["whoami", "--json"], withToken))).toMatchObject({ username: "owner" });
    const listed = jsonOf(await s.cli(["tokens", "list", "--json"]));
    expect(names(listed)).toEqual(["ci"]);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect((await s.cli(["tokens", "delete", "ci"])).code).toBe(0);
    expect((await s.cli(["whoami"], withToken)).stderr).toMatch(/\[UNAUTHENTICATED\]/);
  });

  it("organizations: show, edit, select, delete", async () => {
    expect(
      jsonOf(await s.cli(["organizations", "create", "scratch", "--display-name", "Scratch", "--json"])),
    ).toMatchObject({ name: "scratch", displayName: "Scratch" });
    const edited = await s.cli([
      "organizations",
      "edit",
      "scratch",
      "--name",
      "scratch-2",
      "--description",
      "tmp",
      "-o",
      "json",
    ]);
    expect(jsonOf(edited)).toMatchObject({ name: "scratch-2", description: "tmp" });
    expect((await s.cli(["organizations", "select", "scratch-2"])).code).toBe(0);
    expect(jsonOf(await s.cli(["organizations", "show", "--json"]))).toMatchObject({
      name: "scratch-2",
      members: { totalCount: 1 },
    });
    // ORGS_API_ORGANIZATION wins over the selection, -O over both.
    expect(
      jsonOf(await s.cli(["organizations", "show", "--json"], { env: { ORGS_API_ORGANIZATION: "ops" } })).name,
    ).toBe("ops");
    expect((await s.cli(["organizations", "select"])).stdout).toBe("Back to the default organization.\n");
    expect(jsonOf(await s.cli(["organizations", "show", "--json"])).name).toBe("default");
    const protectedDefault = await s.cli(["organizations", "delete", "default"]);
    expect(protectedDefault.stderr).toMatch(/\[DEFAULT_ORGANIZATION_PROTECTED/);
    expect((await s.cli(["organizations", "delete", "scratch-2"])).code).toBe(0);
    expect(names(jsonOf(await s.cli(["organizations", "list", "--json"])))).toEqual(["default", "ops"]);
  });

  it("members and custom roles: pairs and JSON, edit-roles, show, delete", async () => {
    await s.cli(["users", "create", "--username", "carol", "--email", "carol@example.com", "--login-type", "none"]);
    expect((await s.cli(["members", "add", "carol", "-O", "ops"])).code).toBe(0);
    const role = jsonOf(
      await s.cli([
        "roles",
        "create",
        "viewer",
        "workspace:read",
        "template:read",
        "--display-name",
        "Viewer",
        "-O",
        "ops",
        "--json",
      ]),
    );
    expect(role).toMatchObject({ name: "viewer", builtIn: false });
    expect(role.permissions).toEqual([
      { resource: "WORKSPACE", action: "READ", negate: false },
      { resource: "TEMPLATE", action: "READ", negate: false },
    ]);
    const updated = await s.cli(["roles", "update", "viewer", "--permissions", "-", "-O", "ops", "--json"], {
      stdin: JSON.stringify([{ resource: "workspace", action: "read" }]),
    });
    expect(jsonOf(updated).permissions).toEqual([{ resource: "WORKSPACE", action: "READ", negate: false }]);
    const bad = await s.cli(["roles", "create", "x", "workspace", "-O", "ops"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/a permission is RESOURCE:ACTION/);
    expect((await s.cli(["roles", "show", "viewer", "-O", "ops", "-c", "name,permissions"])).stdout).toBe(
      "NAME    PERMISSIONS\nviewer  workspace:read\n",
    );
    expect(names(jsonOf(await s.cli(["roles", "list", "-O", "ops", "--json"])))).toContain("organization-admin");
    const member = jsonOf(
      await s.cli(["members", "edit-roles", "carol", "viewer", "organization-auditor", "-O", "ops", "--json"]),
    );
    expect(names(member.roles).sort()).toEqual(["organization-auditor", "viewer"]);
    expect((await s.cli(["roles", "delete", "viewer", "-O", "ops"])).code).toBe(0);
    const listed = jsonOf(await s.cli(["members", "list", "-O", "ops", "--json"]));
    const carol = listed.find((m: { user: { username: string } }) => m.user.username === "carol");
    expect(names(carol.roles)).toEqual(["organization-auditor"]);
    expect((await s.cli(["members", "remove", "carol", "-O", "ops"])).stdout).toBe("Removed carol from ops.\n");
  });

  it("groups: create, show, edit, add-member, remove-member, delete", async () => {
    await s.cli([
      "users",
      "create",
      "--username",
      "dave",
      "--email",
      "dave@example.com",
      "--login-type",
      "none",
      "-O",
      "ops",
    ]);
    await s.cli(["groups", "create", "sre", "-O", "ops"]);
    expect(jsonOf(await s.cli(["groups", "add-member", "sre", "dave", "-O", "ops", "--json"]))).toMatchObject({
      totalMemberCount: 1,
    });
    expect(jsonOf(await s.cli(["groups", "show", "sre", "-O", "ops", "--json"]))).toMatchObject({
      name: "sre",
      members: ["dave"],
    });
    expect(
      jsonOf(
        await s.cli(["groups", "edit", "sre", "--name", "oncall", "--quota-allowance", "5", "-O", "ops", "--json"]),
      ),
    ).toMatchObject({ name: "oncall", quotaAllowance: 5 });
    expect(jsonOf(await s.cli(["groups", "remove-member", "oncall", "dave", "-O", "ops", "--json"]))).toMatchObject({
      totalMemberCount: 0,
    });
    expect((await s.cli(["groups", "delete", "oncall", "-O", "ops"])).code).toBe(0);
    expect(names(jsonOf(await s.cli(["groups", "list", "-O", "ops", "--json"])))).toEqual(["Everyone"]);
  });

  it("templates, ACL, provisioner keys, daemons and jobs: queued, canceled, edited, deleted", async () => {
    const key = jsonOf(
      await s.cli(["provisioner", "keys", "create", "ops-key", "--tag", "pool=gpu", "-O", "ops", "--json"]),
    );
    expect(key.tags).toEqual([{ key: "pool", value: "gpu" }]);
    // No daemon yet: the import stays queued; the CLI warns and lists the job, which is canceled.
    const queued = await s.cli(["templates", "create", "web", "--tag", "pool=gpu", "-O", "ops", "--json"]);
    expect(queued.stderr).toMatch(/no provisioner daemon of ops with tags pool=gpu exists/);
    const jobs = jsonOf(await s.cli(["provisioner", "jobs", "list", "--status", "pending", "-O", "ops", "--json"]));
    expect(jobs).toMatchObject([{ type: "TEMPLATE_VERSION_IMPORT", matchedProvisioners: { count: 0 } }]);
    expect(jsonOf(await s.cli(["provisioner", "jobs", "cancel", jobs[0].id, "--json"]))).toMatchObject({
      status: "CANCELED",
    });
    expect(jsonOf(await s.cli(["provisioner", "jobs", "list", "--status", "pending", "-O", "ops", "--json"]))).toEqual(
      [],
    );

    expect(jsonOf(await s.cli(["templates", "show", "web", "-O", "ops", "--json"]))).toMatchObject({
      name: "web",
      activeVersion: { job: { status: "CANCELED" } },
    });
    await s.cli([
      "users",
      "create",
      "--username",
      "erin",
      "--email",
      "erin@example.com",
      "--login-type",
      "none",
      "-O",
      "ops",
    ]);
    const acl = await s.cli([
      "templates",
      "acl",
      "web",
      "--user",
      "erin=admin",
      "--group",
      "Everyone=none",
      "-O",
      "ops",
    ]);
    expect(acl.stdout).toBe("TYPE  NAME  ROLE\nuser  erin  admin\n");
    expect(jsonOf(await s.cli(["templates", "acl", "web", "-O", "ops", "--json"]))).toEqual([
      { type: "user", name: "erin", role: "ADMIN" },
    ]);
    expect(
      jsonOf(
        await s.cli(["templates", "edit", "web", "--display-name", "Web", "--description", "d", "-O", "ops", "--json"]),
      ),
    ).toMatchObject({ displayName: "Web", description: "d" });
    expect(names(jsonOf(await s.cli(["templates", "list", "-O", "ops", "--json"])))).toEqual(["web"]);
    expect((await s.cli(["templates", "delete", "web", "-O", "ops"])).code).toBe(0);
    expect(jsonOf(await s.cli(["templates", "list", "-O", "ops", "--json"]))).toEqual([]);

    // A daemon with the key: listed with its tags and version; deleting the key stops it.
    const daemon = s.spawnCli(["provisionerd", "start", "--name", "ops-daemon"], {
      PROVISIONER_DAEMON_KEY: key.key,
      PROVISIONER_POLL_INTERVAL_MS: "50",
    });
    let daemons: { name: string }[] = [];
    for (let i = 0; i < 100 && daemons.length === 0; i++) {
      daemons = jsonOf(await s.cli(["provisioner", "list", "-O", "ops", "--json"]));
    }
    expect(daemons).toMatchObject([{ name: "ops-daemon", status: "IDLE", version: "cli", tags: [{ key: "pool" }] }]);
    expect((await s.cli(["provisioner", "list", "-O", "ops", "-c", "name,tags"])).stdout).toBe(
      "NAME        TAGS\nops-daemon  pool=gpu\n",
    );
    expect(names(jsonOf(await s.cli(["provisioner", "keys", "list", "-O", "ops", "--json"])))).toEqual(["ops-key"]);
    expect((await s.cli(["provisioner", "keys", "delete", "ops-key", "-O", "ops"])).code).toBe(0);
    expect(await daemon.exited).toBe(1);
  });

  it("IdP sync: show and set as JSON; audit list", async () => {
    const roles = await s.cli(["idp-sync", "set", "roles", "-", "-O", "ops"], {
      stdin: JSON.stringify({ field: "roles", mapping: [{ claimValue: "admins", targets: ["organization-admin"] }] }),
    });
    expect(jsonOf(roles)).toEqual({
      field: "roles",
      mapping: [{ claimValue: "admins", targets: ["organization-admin"] }],
    });
    const shown = jsonOf(await s.cli(["idp-sync", "show", "-O", "ops"]));
    expect(shown.roles).toEqual(jsonOf(roles));
    expect(shown).toHaveProperty("organization");
    expect(shown).toHaveProperty("groups");
    const bad = await s.cli(["idp-sync", "set", "nope", "{}"]);
    expect(bad.code).toBe(2);

    const audit = jsonOf(await s.cli(["audit", "list", "-O", "ops", "--json"]));
    expect(audit.length).toBeGreaterThan(5);
    expect(audit.every((a: { organization: { name: string } | null }) => a.organization?.name === "ops")).toBe(true);
    const all = await s.cli(["audit", "list", "-c", "action,resource type,resource,actor"]);
    expect(all.stdout.split("\n")[0]).toMatch(/^ACTION\s+RESOURCE TYPE\s+RESOURCE\s+ACTOR$/);
    expect(all.stdout).toMatch(/\ncreate\s+organization\s+ops\s+owner\n/);
  });

  it("--help at every level, and usage errors exit 2", async () => {
    const help = await s.cli(["users", "create", "--help"]);
    expect(help.stdout).toMatch(/^usage: orgs-api users create --username NAME --email EMAIL/);
    expect(help.stdout).toContain("-O, --org ORG");
    expect((await s.cli(["provisioner", "--help"])).stdout).toMatch(/provisioner keys create\s+create a key/);
    const column = await s.cli(["organizations", "list", "-c", "nope"]);
    expect(column).toMatchObject({ code: 2 });
    expect(column.stderr).toMatch(/unknown column "nope"; columns: name, display name/);
    expect((await s.cli(["organizations", "list", "-o", "yaml"])).code).toBe(2);
  });
});
