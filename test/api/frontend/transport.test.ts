// What a frontend on its own origin and its tooling rely on: CORS (CORS_ORIGINS), the schema as
// SDL for code generators (GET /graphql/schema.graphql with an ETag), the offline GraphiQL page,
// and the query cost counting page sizes given through variables like literal ones.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { seed } from "../../support/seed.js";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app?.close();
});

const ADMIN_UI = "https://admin.example.com";

async function withApp(env: Record<string, string>, run: (other: TestApp) => Promise<void>) {
  const other = await createTestApp(env);
  try {
    await run(other);
  } finally {
    await other.close();
  }
}

const preflight = (target: TestApp, origin: string) =>
  target.request({
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });

const fromOrigin = (target: TestApp, origin: string) =>
  target.request({ body: JSON.stringify({ query: "{ needsSetup }" }), headers: { origin } });

describe("CORS", () => {
  it("answers no other origin when CORS_ORIGINS is unset: same origin only, nothing reflected", async () => {
    for (const response of [await preflight(app, ADMIN_UI), await fromOrigin(app, ADMIN_UI)]) {
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("allows the listed origins, without credentials, and lets them read X-Request-Id", async () => {
    await withApp({ CORS_ORIGINS: `${ADMIN_UI}, http://localhost:5173` }, async (cors) => {
      const allowed = await preflight(cors, ADMIN_UI);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get("access-control-allow-origin")).toBe(ADMIN_UI);
      expect(allowed.headers.get("access-control-allow-methods")).toBe("GET, POST");
      expect(allowed.headers.get("access-control-allow-headers")).toMatch(/authorization/);
      expect(allowed.headers.get("access-control-allow-credentials")).toBeNull();
      expect(allowed.headers.get("vary")).toMatch(/Origin/);

      const answer = await fromOrigin(cors, "http://localhost:5173");
      expect(answer.status).toBe(200);
      expect(answer.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
      expect(answer.headers.get("access-control-expose-headers")).toMatch(/x-request-id/);
      expect(answer.headers.get("x-request-id")).toBeTruthy();
      expect(answer.headers.get("access-control-allow-credentials")).toBeNull();

      for (const response of [await preflight(cors, "https://evil.example"), await fromOrigin(cors, "null")]) {
        expect(response.headers.get("access-control-allow-origin")).toBeNull();
      }
    });
  });

  it("allows any origin with *, never with credentials", async () => {
    await withApp({ CORS_ORIGINS: "*" }, async (cors) => {
      const answer = await fromOrigin(cors, "https://anywhere.example");
      expect(answer.headers.get("access-control-allow-origin")).toBe("https://anywhere.example");
      expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
    });
  });

  it("refuses a CORS_ORIGINS entry that is not an origin", async () => {
    for (const value of ["https://admin.example.com/app", "admin.example.com", "ftp://files.example"]) {
      expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
    }
    expect(loadConfig({ CORS_ORIGINS: "https://a.example/, http://localhost:5173" }).corsOrigins).toEqual([
      "https://a.example",
      "http://localhost:5173",
    ]);
  });
});

describe("GET /graphql/schema.graphql", () => {
  it("serves the printed schema with an ETag, and 304 when it matches", async () => {
    const response = await app.request({ method: "GET", path: "/graphql/schema.graphql" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/graphql/);
    expect(await response.text()).toBe(readFileSync("schema.graphql", "utf8"));
    const etag = response.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);

    const again = await app.request({
      method: "GET",
      path: "/graphql/schema.graphql",
      headers: { "if-none-match": etag! },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const weak = await app.request({
      method: "GET",
      path: "/graphql/schema.graphql",
      headers: { "if-none-match": `"other", W/${etag}` },
    });
    expect(weak.status).toBe(304);
    const stale = await app.request({
      method: "GET",
      path: "/graphql/schema.graphql",
      headers: { "if-none-match": '"x"' },
    });
    expect(stale.status).toBe(200);
  });

  it("is not served where introspection is off", async () => {
    await withApp({ INTROSPECTION: "false" }, async (closed) => {
      const response = await closed.request({ method: "GET", path: "/graphql/schema.graphql" });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toMatch(/type Query/);
    });
  });
});

describe("GraphiQL", () => {
  const page = (target: TestApp) => target.request({ method: "GET", headers: { accept: "text/html" } });

  it("is served whole from the installed package, with the default tabs and the CSRF header", async () => {
    const response = await page(app);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    const html = await response.text();
    // No script, style or font from elsewhere: everything is inline.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+rel="stylesheet"|unpkg\.com|jsdelivr|@import url/);
    expect(html).toContain("x-graphql-yoga-csrf");
    for (const operation of ["CreateFirstUser", "mutation Login {", "query Viewer"]) expect(html).toContain(operation);
  });

  it("is off with GRAPHIQL=false", async () => {
    await withApp({ GRAPHIQL: "false" }, async (off) => {
      const response = await page(off);
      expect(await response.text()).not.toMatch(/GraphiQL/);
    });
  });
});

describe("query cost", () => {
  const MEMBERS_TABLE = (page: string) => `query Members($org: String!${page.startsWith("$") ? ", $first: Int" : ""}) {
    organization(name: $org) {
      id name displayName
      members(first: ${page}) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node {
          createdAt
          user { id username name email status }
          roles { name displayName }
          groups { id name displayName }
        } }
      }
      viewerPermissions { resource action negate }
    }
  }`;

  it("keeps the members table with a literal first: 50 (the default page) within the default limit", async () => {
    const owner = await seed(app).owner();
    const acme = await owner.org("acme");
    await acme.member("alice");
    const literal = await app.gql(MEMBERS_TABLE("50"), { org: "acme" }, { token: owner.token });
    expect(literal.errors).toBeUndefined();
    expect(literal.data?.organization.members.totalCount).toBe(1);
    const variable = await app.gql(MEMBERS_TABLE("$first"), { org: "acme", first: 50 }, { token: owner.token });
    expect(variable.errors).toBeUndefined();
    expect(variable.data).toEqual(literal.data);
  });

  it("counts a page size given through a variable like a literal one", async () => {
    await withApp({ MAX_QUERY_COST: "1000" }, async (strict) => {
      const literal = await strict.gql(MEMBERS_TABLE("50"), { org: "acme" });
      const variable = await strict.gql(MEMBERS_TABLE("$first"), { org: "acme", first: 50 });
      expect(errorCodes(literal)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
      expect(errorCodes(variable)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
      const found = (result: typeof literal) => result.errors?.[0]?.message.match(/found ([\d.]+)/)?.[1];
      expect(found(literal)).toBeDefined();
      expect(found(variable)).toBe(found(literal));
      expect(variable.status).toBe(literal.status);
      // A small page through a variable is cheap, like the same literal page: it runs (and, with no
      // token, stops at authentication).
      const small = await strict.gql(MEMBERS_TABLE("$first"), { org: "acme", first: 2 });
      expect(errorCodes(small)).toEqual(["UNAUTHENTICATED"]);
    });
  });
});
