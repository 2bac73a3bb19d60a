// Template versions, orphan deletes, audit filters and access reviews with the CLI alone, as a
// child process against a server process with an echo provisioner daemon running (imports and
// builds succeed). `--json` output parsed; CSV checked byte for byte.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningChild } from "../../support/child.js";
import { type CliServer, jsonOf, startCliServer } from "../../support/cli.js";

let s: CliServer;
let daemon: RunningChild;
let started: string;
const PASSWORD = "correct-horse-battery";
const LAB = ["-O", "lab"];

beforeAll(async () => {
  s = await startCliServer();
  started = new Date().toISOString();
  const first = await s.cli(
    ["login", s.url, "--first-user-email", "owner@example.com", "--first-user-username", "owner"].concat([
      "--first-user-password-stdin",
    ]),
    { stdin: PASSWORD },
  );
  if (first.code !== 0) throw new Error(first.stderr);
  await s.cli(["organizations", "create", "lab"]);
  const key = jsonOf(await s.cli(["provisioner", "keys", "create", "lab-key", ...LAB, "--json"]));
  daemon = s.spawnCli(["provisionerd", "start", "--name", "lab-daemon"], {
    PROVISIONER_DAEMON_KEY: key.key,
    PROVISIONER_POLL_INTERVAL_MS: "50",
  });
  for (let i = 0; i < 200; i++) {
    if (jsonOf(await s.cli(["provisioner", "list", ...LAB, "--json"])).length > 0) break;
  }
  const web = await s.cli(["templates", "create", "web", ...LAB, "--json"]);
  if (jsonOf(web).activeVersion.job.status !== "SUCCEEDED") throw new Error(web.stderr);
}, 240_000);

afterAll(async () => {
  if (daemon?.proc.exitCode === null) daemon.proc.kill("SIGTERM");
  await s?.stop();
});

const names = (rows: { name: string }[]) => rows.map((r) => r.name);

describe("lifecycle tasks with the CLI", { timeout: 300_000 }, () => {
  it("templates versions: create (waits for the import), list, promote, archive, unarchive", async () => {
    const before = jsonOf(await s.cli(["templates", "versions", "list", "web", ...LAB, "--json"]));
    expect(before).toMatchObject([{ active: true, archived: false, job: { status: "SUCCEEDED" } }]);
    const first = before[0].name as string;

    const created = await s.cli(
      ["templates", "versions", "create", "web", "--name", "v2", "--message", "second, better"].concat([
        "--daily-cost",
        "3",
        ...LAB,
        "--json",
      ]),
    );
    expect(created.stderr).toMatch(/Import of web v2: succeeded/);
    expect(jsonOf(created)).toMatchObject({
      name: "v2",
      message: "second, better",
      dailyCost: 3,
      active: false,
      archived: false,
      createdBy: { username: "owner" },
      job: { status: "SUCCEEDED", type: "TEMPLATE_VERSION_IMPORT" },
    });
    const again = await s.cli(["templates", "versions", "create", "web", "--name", "v2", ...LAB]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\[NAME_TAKEN at input\.name\]/);

    expect(names(jsonOf(await s.cli(["templates", "versions", "list", "web", ...LAB, "--json"]))).sort()).toEqual(
      [first, "v2"].sort(),
    );
    const promoted = await s.cli(["templates", "versions", "promote", "web", "v2", ...LAB]);
    expect(promoted.stdout).toBe("Version v2 of web promoted.\n");
    expect(jsonOf(await s.cli(["templates", "show", "web", ...LAB, "--json"])).activeVersion).toMatchObject({
      name: "v2",
      dailyCost: 3,
    });
    const table = await s.cli(["templates", "versions", "list", "web", ...LAB, "-c", "name,active,daily-cost"]);
    expect(table.stdout).toContain("\nv2");
    expect(table.stdout).toMatch(/\nv2\s+yes\s+3\n/);

    const active = await s.cli(["templates", "versions", "archive", "web", "v2", ...LAB]);
    expect(active.code).toBe(1);
    expect(active.stderr).toMatch(/\[TEMPLATE_VERSION_ACTIVE/);
    expect(jsonOf(await s.cli(["templates", "versions", "archive", "web", first, ...LAB, "--json"]))).toMatchObject({
      name: first,
      archived: true,
      active: false,
    });
    const archived = await s.cli(["templates", "versions", "promote", "web", first, ...LAB]);
    expect(archived.code).toBe(1);
    expect(archived.stderr).toMatch(/\[TEMPLATE_VERSION_ARCHIVED/);
    expect(jsonOf(await s.cli(["templates", "versions", "unarchive", "web", first, ...LAB, "--json"]))).toMatchObject({
      name: first,
      archived: false,
    });
    expect((await s.cli(["templates", "versions", "promote", "web", "nope", ...LAB])).stderr).toBe(
      'error: version "nope" of web not found (or not visible to you) [NOT_FOUND]\n',
    );
    expect((await s.cli(["templates", "versions", "promote", "web", ...LAB])).code).toBe(2);
  });

  it("workspaces delete --orphan: deleted at once, without a build", async () => {
    // v2 costs 3 a day: a budget for two workspaces.
    expect((await s.cli(["groups", "edit", "Everyone", "--quota-allowance", "6", ...LAB])).code).toBe(0);
    const dev = await s.cli(["workspaces", "create", "dev", "--template", "web", ...LAB]);
    expect(dev.stderr).toMatch(/Build #1 \(start\) of dev: succeeded/);
    expect((await s.cli(["workspaces", "create", "tmp", "--template", "web", ...LAB])).code).toBe(0);
    const orphaned = await s.cli(["workspaces", "delete", "dev", "--orphan", ...LAB, "--json"]);
    expect(orphaned.stderr).toBe("");
    expect(jsonOf(orphaned)).toMatchObject({ name: "dev", deleted: true });
    expect((await s.cli(["workspaces", "delete", "tmp", "--orphan", ...LAB])).stdout).toBe(
      "Workspace tmp deleted (orphaned).\n",
    );
    expect(jsonOf(await s.cli(["workspaces", "list", ...LAB, "--json"]))).toEqual([]);
    expect((await s.cli(["workspaces", "show", "dev", ...LAB])).stderr).toMatch(/\[NOT_FOUND\]/);
  });

  it("audit list filters: --action, --resource-type, --actor, --since, --until, --search", async () => {
    type Entry = { action: string; resourceType: string; resourceName: string; actor: { username: string } | null };
    const audit = async (...argv: string[]): Promise<Entry[]> =>
      jsonOf(await s.cli(["audit", "list", ...LAB, "--json", ...argv]));

    const promotes = await audit("--action", "promote");
    expect(promotes.map((a) => [a.action, a.resourceType, a.resourceName])).toEqual([
      ["PROMOTE", "TEMPLATE_VERSION", "v2"],
    ]);
    const changes = await audit("--action", "archive,unarchive", "--resource-type", "template-version");
    expect(changes.map((a) => a.action)).toEqual(["UNARCHIVE", "ARCHIVE"]);
    const versions = await audit("--resource-type", "template-version", "--resource-type", "workspace");
    expect(new Set(versions.map((a) => a.resourceType))).toEqual(new Set(["TEMPLATE_VERSION", "WORKSPACE"]));
    expect(versions.length).toBeGreaterThanOrEqual(6);

    const byOwner = await audit("--actor", "owner");
    expect(byOwner.length).toBeGreaterThan(5);
    expect(byOwner.every((a) => a.actor?.username === "owner")).toBe(true);
    expect(byOwner.length).toBeLessThan((await audit()).length); // the daemon's job events have no actor
    expect(await audit("--actor", "nobody-at-all")).toEqual([]);

    expect((await audit("--since", started)).length).toBe((await audit()).length);
    expect(await audit("--since", "2999-01-01T00:00:00Z")).toEqual([]);
    expect(await audit("--until", started)).toEqual([]);
    expect((await audit("--until", "2999-01-01T00:00:00Z")).length).toBe((await audit()).length);

    const searched = await audit("--search", "dev", "--resource-type", "workspace");
    expect(searched.length).toBeGreaterThan(0);
    expect(searched.every((a) => a.resourceName === "dev")).toBe(true);

    const bad = await s.cli(["audit", "list", "--action", "explode"]);
    expect(bad.code).toBe(1);
  });

  it("access review: every grant of who may act, as CSV, JSON and a table, paged", async () => {
    await s.cli(["users", "create", "--username", "carol", "--email", "carol@example.com", "--login-type", "none"]);
    expect((await s.cli(["members", "add", "carol", ...LAB])).code).toBe(0);
    expect((await s.cli(["groups", "create", "sre", ...LAB])).code).toBe(0);
    expect((await s.cli(["groups", "add-member", "sre", "carol", ...LAB])).code).toBe(0);
    expect((await s.cli(["templates", "acl", "web", "--group", "sre=admin", ...LAB])).code).toBe(0);
    const web = jsonOf(await s.cli(["templates", "show", "web", ...LAB, "--json"]));

    const review = ["access", "review", "--action", "update", "--object", web.id];
    const csv = await s.cli([...review, "-o", "csv"]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(
      [
        "username,email,kind,role,group",
        "owner,owner@example.com,site-role,owner,",
        "carol,carol@example.com,group-acl,ADMIN,sre",
        "",
      ].join("\n"),
    );
    const rows = jsonOf(await s.cli([...review, "--json"]));
    expect(rows).toEqual([
      { username: "owner", email: "owner@example.com", kind: "SITE_ROLE", role: "owner", group: null },
      { username: "carol", email: "carol@example.com", kind: "GROUP_ACL", role: "ADMIN", group: "sre" },
    ]);
    // One user a page: the same rows.
    expect(jsonOf(await s.cli([...review, "-o", "json"], { env: { ORGS_API_PAGE_SIZE: "1" } }))).toEqual(rows);
    expect((await s.cli([...review, "-c", "username,kind"])).stdout).toBe(
      "USERNAME  KIND\nowner     site-role\ncarol     group-acl\n",
    );
    // Reading: carol through the Everyone group too (several grants, several rows).
    const readers = jsonOf(await s.cli(["access", "review", "--action", "read", "--object", web.id, "--json"]));
    expect(readers.filter((r: { username: string }) => r.username === "carol").length).toBeGreaterThanOrEqual(1);

    // An organization admin: a site owner outside lab is counted on stderr, never named.
    await s.cli(["users", "create", "--username", "root2", "--email", "root2@example.com", "--login-type", "none"]);
    expect((await s.cli(["users", "edit", "root2", "--roles", "owner"])).code).toBe(0);
    await s.cli(["users", "create", "--username", "dana", "--email", "dana@example.com", "--password-stdin", ...LAB], {
      stdin: PASSWORD,
    });
    expect((await s.cli(["members", "edit-roles", "dana", "organization-admin", ...LAB])).code).toBe(0);
    const asDana = { env: { ORGS_API_PROFILE: "dana" } };
    await s.cli(["login", s.url, "--email", "dana@example.com", "--password-stdin"], { ...asDana, stdin: PASSWORD });
    const byAdmin = await s.cli([...review, "-o", "csv", "-c", "username"], asDana);
    expect(byAdmin.stdout.split("\n").slice(1).sort()).toEqual(["", "carol", "dana", "owner"]);
    expect(byAdmin.stderr).toBe("1 more user(s) may, whom you may not read (not listed)\n");

    expect((await s.cli(["access", "review", "--action", "update"])).code).toBe(2);
    expect((await s.cli(["access", "review", "--object", web.id])).code).toBe(2);
    expect((await s.cli([...review, "-o", "yaml"])).code).toBe(2);
    const missing = await s.cli(["access", "review", "--action", "update", "--object", "VGVtcGxhdGU6bm9wZQ"]);
    expect(missing.code).toBe(1);
  });
});
