// Trusted documents (TRUSTED_DOCUMENTS, TRUSTED_DOCUMENTS_ONLY): requests by `documentId` (the
// codegen client preset's persisted documents) or Apollo's `extensions.persistedQuery.sha256Hash`,
// and `only` mode refusing every other document before it is parsed.
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { createTestApp, errorCodes, type GqlResult, type TestApp } from "../../support/harness.js";
import { seed } from "../../support/seed.js";

const SETUP = "query SetupStatus { needsSetup }";
const VIEWER = "query Viewer { viewer { username } }";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
// As the codegen client preset writes persisted-documents.json (examples/codegen.ts).
const DOCUMENTS = { [`sha256:${sha256(SETUP)}`]: SETUP, [`sha256:${sha256(VIEWER)}`]: VIEWER };

const file = path.join(mkdtempSync(path.join(tmpdir(), "trusted-")), "persisted-documents.json");
writeFileSync(file, JSON.stringify(DOCUMENTS));

let app: TestApp; // trusted documents accepted beside any other document
let only: TestApp; // trusted documents only
let token: string;
beforeAll(async () => {
  app = await createTestApp({ TRUSTED_DOCUMENTS: file });
  only = await createTestApp({ TRUSTED_DOCUMENTS: file, TRUSTED_DOCUMENTS_ONLY: "true" });
  token = (await seed(app).owner("olive")).token;
});
afterAll(async () => {
  await app?.close();
  await only?.close();
});

async function send(target: TestApp, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await target.request({ body: JSON.stringify(body), headers });
  const json = (await response.json()) as Omit<GqlResult, "status" | "headers">;
  return { status: response.status, data: json.data ?? null, errors: json.errors, headers: response.headers };
}

const apollo = (hash: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });

describe("TRUSTED_DOCUMENTS", () => {
  it("runs a trusted document named by documentId, in the body or the GET query string", async () => {
    expect((await send(only, { documentId: `sha256:${sha256(SETUP)}` })).data).toEqual({ needsSetup: true });
    const viewer = await send(app, { documentId: `sha256:${sha256(VIEWER)}` }, { authorization: `Bearer ${token}` });
    expect(viewer.data).toEqual({ viewer: { username: "olive" } });
    const get = await app.request({ method: "GET", path: `/graphql?documentId=sha256:${sha256(SETUP)}` });
    expect(await get.json()).toEqual({ data: { needsSetup: false } });
  });

  it("runs one named by Apollo's persisted-query hash", async () => {
    expect((await send(only, apollo(sha256(SETUP)))).data).toEqual({ needsSetup: true });
  });

  it("answers PERSISTED_QUERY_NOT_FOUND for an unknown hash sent without its document", async () => {
    for (const target of [app, only]) {
      const unknown = await send(target, apollo(sha256("query Other { needsSetup }")));
      expect(errorCodes(unknown)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
      expect(unknown.errors?.[0]?.message).toBe("PersistedQueryNotFound");
      expect(errorCodes(await send(target, { documentId: "nope" }))).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
    }
  });

  it("still runs other documents unless TRUSTED_DOCUMENTS_ONLY, also when Apollo resends one with its hash", async () => {
    expect((await send(app, { query: "{ needsSetup }" })).data).toEqual({ needsSetup: false });
    const other = "query Other { needsSetup }";
    expect((await send(app, { query: other, ...apollo(sha256(other)) })).data).toEqual({ needsSetup: false });
  });

  it("refuses every other document in only mode, before parsing it", async () => {
    for (const body of [
      { query: "{ needsSetup }" },
      { query: "query Other { needsSetup }", ...apollo(sha256("query Other { needsSetup }")) },
      // Not even parsed: a syntax error is not reported.
      { query: "{ this is not graphql" },
    ]) {
      const refused = await send(only, body);
      expect(refused.status).toBe(400);
      expect(errorCodes(refused)).toEqual(["PERSISTED_QUERY_ONLY"]);
      expect(refused.data).toBeNull();
    }
    // The exact text of a trusted document is that document.
    expect((await send(only, { query: SETUP })).data).toEqual({ needsSetup: true });
  });

  it("refuses a file that is not a map from hash to document, and only mode without a file", async () => {
    const bad = path.join(path.dirname(file), "bad.json");
    writeFileSync(bad, JSON.stringify(["query { needsSetup }"]));
    expect(() => loadConfig({ TRUSTED_DOCUMENTS: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUSTED_DOCUMENTS: path.join(path.dirname(file), "missing.json") })).toThrow(
      /TRUSTED_DOCUMENTS must name a readable JSON file/,
    );
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_ONLY: "true" })).toThrow(/TRUSTED_DOCUMENTS_ONLY needs/);
  });
});
