// The CLI as users run it: the package's bin and `npm run --silent cli`, both the compiled code in
// dist/ (the global set-up builds it), as child processes against a server. `--json` output must
// be the JSON and nothing else, so scripts can parse it.
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { seed } from "../../support/seed.js";

const run = promisify(execFile);

let app: TestApp;
let server: Server;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  app = await createTestApp();
  server = createServer(app.yoga);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const owner = await seed(app).owner();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A config file that does not exist: the URL and token come from the environment only.
  env = {
    ...process.env,
    ORGS_API_URL: url,
    ORGS_API_TOKEN: owner.token,
    ORGS_API_CONFIG: "/nonexistent/orgs-api.json",
  };
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await app?.close();
});

describe("the CLI as a child process", () => {
  it("the package's bin prints only JSON on stdout with --json, and its usage with --help", async () => {
    const listed = await run(process.execPath, ["bin/orgs-api.mjs", "organizations", "list", "--json"], { env });
    expect(listed.stderr).toBe("");
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: "default", isDefault: true }]);

    const help = await run(process.execPath, ["bin/orgs-api.mjs", "--help"], { env });
    expect(help.stdout).toMatch(/^usage: orgs-api <command>/);
  });

  it("`npm run --silent cli -- ... --json` prints only JSON on stdout (the build check before it included)", async () => {
    const listed = await run("npm", ["run", "--silent", "cli", "--", "organizations", "list", "--json"], { env });
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: "default", isDefault: true }]);
  });
});
