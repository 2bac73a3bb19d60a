// GraphiQL in a real browser (Debian's chromium through playwright-core), with every request to
// another host blocked and recorded: the page loads from the service alone, creates the first user
// from its setup tab, runs a query with that token from the headers editor, and streams a subscription (server-sent events, through Yoga's
// CSRF header that GraphiQL sends itself). No skip: without chromium the test fails and says how
// to install it.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleNodeRequest } from "../../../src/node-http.js";
import { createTestApp, type TestApp } from "../../support/harness.js";
import { createKey, register } from "../../support/provisioners.js";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

let app: TestApp;
let server: Server;
let origin: string;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const foreignRequests: string[] = [];
const graphqlRequests: { method: string; url: string; headers: Record<string, string>; body: string }[] = [];
let token: string; // the first user's, created from the setup tab
let organizationId: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `GraphiQL's browser test needs chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`,
    );
  }
  app = await createTestApp();
  server = createServer((req, res) => void handleNodeRequest(app.yoga, req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  userDataDir = mkdtempSync(path.join(tmpdir(), "graphiql-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  // Only the service's origin is reachable (data: and blob: URLs never reach the network).
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) {
      const request = route.request();
      graphqlRequests.push({
        method: request.method(),
        url,
        headers: request.headers(),
        body: request.postData() ?? "",
      });
      return route.continue();
    }
    foreignRequests.push(url);
    return route.abort("blockedbyclient");
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await app?.close();
});

/** Replaces an editor's text (Monaco): select all, then insert without auto-closing brackets. */
async function setEditor(selector: string, text: string) {
  await page.locator(selector).first().click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

/** The result pane's text, spaces normalized (the editor renders non-breaking ones). */
const resultText = async () =>
  ((await page.locator(".graphiql-response").first().textContent()) ?? "").replace(/\s+/g, " ");
const QUERY_EDITOR = "section.graphiql-query-editor .graphiql-editor";
const HEADERS_EDITOR = "section.graphiql-editor-tool .graphiql-editor:not(.hidden)";

describe("GraphiQL in chromium", () => {
  it("loads from the service alone, with the setup, login and viewer tabs", async () => {
    const response = await page.goto(`${origin}/graphql`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    await page.locator(".graphiql-tab").first().waitFor({ timeout: 60_000 });
    expect(await page.locator(".graphiql-tab").allInnerTexts()).toEqual(["SetupStatus", "Login", "Viewer"]);
    expect(foreignRequests).toEqual([]);
  }, 90_000);

  it("creates the first user from the setup tab as it opens", async () => {
    await page.getByRole("button", { name: /^Execute query/ }).click();
    // Two operations in the tab: GraphiQL asks which one.
    await page.getByRole("menuitem", { name: "CreateFirstUser" }).click();
    await expect.poll(resultText, { timeout: 30_000 }).toMatch(/"username": "admin" .*"userErrors": \[\]/);
    // The editor renders long lines in parts: take a token through the API for the next steps.
    const login = await app.gql("mutation($input: LoginInput!) { login(input: $input) { token } }", {
      input: { email: "admin@example.com", password: "choose-a-long-password" },
    });
    token = login.data?.login.token;
    expect(token).toBeTruthy();
    const org = await app.gql("{ defaultOrganization { id } }", {}, { token });
    organizationId = org.data?.defaultOrganization.id;
  }, 60_000);

  it("runs a query with a token from the headers editor", async () => {
    await page.locator(".graphiql-tab", { hasText: "Viewer" }).click();
    await page.getByRole("button", { name: "Headers" }).click();
    await setEditor(HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${token}` }));
    await page.getByRole("button", { name: /^Execute query/ }).click();
    await expect.poll(resultText, { timeout: 30_000 }).toContain('"username": "admin"');
    expect(foreignRequests).toEqual([]);
  }, 60_000);

  it("streams a subscription, sending Yoga's CSRF header itself", async () => {
    await page.getByRole("button", { name: "New tab" }).click();
    await setEditor(
      QUERY_EDITOR,
      `subscription Daemons { provisionerDaemonsUpdated(organizationId: "${organizationId}") { name status } }`,
    );
    await page.getByRole("button", { name: "Headers" }).click();
    await setEditor(HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${token}` }));
    await page.getByRole("button", { name: /^Execute query/ }).click();
    // The current state first (no daemon yet), then the change.
    await expect.poll(resultText, { timeout: 30_000 }).toMatch(/"provisionerDaemonsUpdated": \[\]/);
    const { key } = await createKey(app, token, organizationId, "browser-key");
    await register(app, key, "browser-daemon");
    await expect.poll(resultText, { timeout: 30_000 }).toContain('"name": "browser-daemon"');

    const subscription = graphqlRequests.find((request) =>
      decodeURIComponent(request.url + request.body).includes("provisionerDaemonsUpdated"),
    );
    // GraphiQL subscribes with GET (an EventSource-like stream), which Yoga's CSRF check refuses
    // without the header.
    expect(subscription?.method).toBe("GET");
    expect(subscription?.headers["x-graphql-yoga-csrf"]).toBeTruthy();
    expect(subscription?.headers.accept).toMatch(/text\/event-stream/);
    expect(foreignRequests).toEqual([]);
  }, 90_000);
});
