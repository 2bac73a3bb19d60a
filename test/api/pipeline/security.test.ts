// The defences in front of the resolvers: query limits, introspection and suggestions,
// GraphQL over HTTP rules, CSRF prevention and rate limits (in memory and shared via Redis).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRateLimiter } from "../../../src/security/rate-limit.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app?.close();
});

const messages = (result: { errors?: { message: string }[] }) => (result.errors ?? []).map((e) => e.message).join(" ");

describe("query limits", () => {
  it("refuses documents that are too deep, too aliased, too long or too directive-heavy", async () => {
    const deep = `{ viewer { organizations { ${"organizations { ".repeat(0)}name } } }`;
    expect((await app.gql(deep)).errors).toBeUndefined();
    let nested = "name";
    for (let i = 0; i < 14; i++) nested = `siteRoles { permissions { resource } name } organizations { ${nested} }`;
    const tooDeep = await app.gql(`{ viewer { ${nested} } }`);
    expect(tooDeep.data).toBeNull();
    expect(messages(tooDeep)).toMatch(/depth/i);

    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: needsSetup`).join(" ");
    const aliased = await app.gql(`{ ${aliases} }`);
    expect(aliased.data).toBeNull();
    expect(messages(aliased)).toMatch(/alias/i);

    const typenames = Array.from({ length: 5000 }, (_, i) => `t${i}: __typename`).join(" ");
    const flood = await app.gql(`{ ${typenames} }`);
    expect(flood.data).toBeNull();
    expect(messages(flood)).toMatch(/token/i);

    const directives = Array.from({ length: 30 }, () => "@include(if: true)").join(" ");
    const directed = await app.gql(`{ needsSetup ${directives} }`);
    expect(directed.data).toBeNull();
    expect(messages(directed)).toMatch(/directive/i);
  });

  it("hides field suggestions", async () => {
    const result = await app.gql("{ needSetup }");
    expect(result.data).toBeNull();
    expect(messages(result)).not.toMatch(/did you mean/i);
  });

  it("allows introspection unless turned off", async () => {
    expect((await app.gql("{ __schema { queryType { name } } }")).data).toEqual({
      __schema: { queryType: { name: "Query" } },
    });
    const closed = await createTestApp({ INTROSPECTION: "false" });
    try {
      const result = await closed.gql("{ __schema { queryType { name } } }");
      expect(result.data).toBeNull();
      expect(messages(result)).toMatch(/introspection/i);
      expect((await closed.gql("{ needsSetup }")).data).toEqual({ needsSetup: true });
    } finally {
      await closed.close();
    }
  });
});

describe("GraphQL over HTTP", () => {
  it("never runs a mutation over GET", async () => {
    const query = encodeURIComponent("mutation { logout }");
    const response = await app.yoga.fetch(`http://test/graphql?query=${query}`, {
      headers: { accept: "application/graphql-response+json", "x-graphql-yoga-csrf": "1" },
    });
    expect(response.status).toBe(405);
  });

  it("answers queries over GET when the CSRF header is present, and refuses them without it", async () => {
    const query = encodeURIComponent("{ needsSetup }");
    const ok = await app.yoga.fetch(`http://test/graphql?query=${query}`, { headers: { "x-graphql-yoga-csrf": "1" } });
    expect(await ok.json()).toEqual({ data: { needsSetup: true } });
    const refused = await app.yoga.fetch(`http://test/graphql?query=${query}`);
    expect(refused.status).toBe(403);
  });

  it("refuses a cross-site form post", async () => {
    const response = await app.request({
      body: "query={needsSetup}",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(403);
  });

  it("speaks application/graphql-response+json and refuses batches", async () => {
    const response = await app.request({
      body: JSON.stringify({ query: "{ needsSetup }" }),
      headers: { accept: "application/graphql-response+json" },
    });
    expect(response.headers.get("content-type")).toContain("application/graphql-response+json");
    expect(await response.json()).toEqual({ data: { needsSetup: true } });
    const batch = await app.request({
      body: JSON.stringify([{ query: "{ needsSetup }" }, { query: "{ needsSetup }" }]),
    });
    expect(batch.status).toBe(400);
  });
});

function fromAddress(ip: string) {
  return { headers: { "x-forwarded-for": ip } };
}

describe("rate limits", () => {
  it("limit requests per address and sign-ins much more strictly", async () => {
    const limited = await createTestApp({
      RATE_LIMIT_PER_MINUTE: "5",
      RATE_LIMIT_SIGNIN_PER_MINUTE: "2",
      TRUST_PROXY: "true",
    });
    try {
      const login = `mutation { login(input: { email: "x@example.com", password: "whatever-123" }) { userErrors { code } } }`;
      const first = await limited.gql(login, {}, fromAddress("10.0.0.1"));
      const second = await limited.gql(login, {}, fromAddress("10.0.0.1"));
      const third = await limited.gql(login, {}, fromAddress("10.0.0.1"));
      expect([first, second].map((r) => r.data?.login.userErrors[0].code)).toEqual([
        "INVALID_CREDENTIALS",
        "INVALID_CREDENTIALS",
      ]);
      expect(errorCodes(third)).toEqual(["RATE_LIMITED"]);
      expect(third.status).toBe(429);

      const elsewhere = await limited.gql(login, {}, fromAddress("10.0.0.2"));
      expect(elsewhere.data?.login.userErrors[0].code).toBe("INVALID_CREDENTIALS");

      for (let i = 0; i < 2; i++) await limited.gql("{ needsSetup }", {}, fromAddress("10.0.0.1"));
      const over = await limited.gql("{ needsSetup }", {}, fromAddress("10.0.0.1"));
      expect(over.status).toBe(429);
      expect(errorCodes(over)).toEqual(["RATE_LIMITED"]);
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it("share one count between instances through Redis", async () => {
    const env = { RATE_LIMIT_PER_MINUTE: "4", TRUST_PROXY: "true", REDIS_URL: "redis://127.0.0.1:6379" };
    const [one, two] = await Promise.all([createTestApp(env), createTestApp(env)]);
    const ip = `192.0.2.${randomBytes(1)[0]}-${randomBytes(4).toString("hex")}`;
    try {
      const statuses: number[] = [];
      for (const instance of [one, two, one, two, one]) {
        statuses.push((await instance.gql("{ needsSetup }", {}, fromAddress(ip))).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it("split between the processes of one server that count in memory (WORKERS), never allowing more in all", async () => {
    const perProcess = createRateLimiter(undefined, { perMinute: 10, signInPerMinute: 5 }, () => {}, 2);
    const ip = `192.0.2.${randomBytes(4).toString("hex")}`;
    const requests: boolean[] = [];
    for (let i = 0; i < 6; i++) requests.push((await perProcess.checkRequest(ip, null)).allowed);
    expect(requests).toEqual([true, true, true, true, true, false]);
    const signIns: boolean[] = [];
    for (let i = 0; i < 3; i++) signIns.push((await perProcess.checkSignIn(ip)).allowed);
    expect(signIns).toEqual([true, true, false]);
    await perProcess.close();
  });

  it("keep serving when Redis is unreachable", async () => {
    const lost = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1", REDIS_URL: "redis://127.0.0.1:1" });
    try {
      for (let i = 0; i < 3; i++) expect((await lost.gql("{ needsSetup }")).data).toEqual({ needsSetup: true });
    } finally {
      await lost.close();
    }
  });
});

describe("playground", () => {
  it("serves GraphiQL to a browser", async () => {
    const response = await app.yoga.fetch("http://test/graphql", { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("GraphiQL");
  });
});
