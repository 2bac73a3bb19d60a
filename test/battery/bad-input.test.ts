// The bad-input battery: hostile or broken requests across transport, document, arguments and
// authentication. Every case must answer without a 500, without internals in the body, with the
// expected code, and without writing a row anywhere (audit log included).
import { generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../src/graphql/ids.js";
import type { Actor } from "../support/actors.js";
import { uuidOf } from "../support/fixtures.js";
import { createTestApp, type TestApp } from "../support/harness.js";
import { type OwnerScope, seed } from "../support/seed.js";
import { codesOf, LEAKS } from "./answers.js";
import { snapshotCounts } from "./counts.js";

/** What a case must answer: an HTTP status, an error code or a userError code ("ok": no error), a message. */
type Expected = { status?: number; code?: string; message?: RegExp };
type Case = { name: string; send: () => Promise<Response>; expect: Expected };

let app: TestApp;
let owner: OwnerScope;
let member: Actor;
let organizationId: string;
let foreignTemplateId: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  const org = await owner.org("battery-org");
  organizationId = org.id;
  const foreignOrg = await owner.org("foreign-org");
  foreignTemplateId = await foreignOrg.template("foreign");
  member = await org.member("battery-member");
  await prepareTokens();
});
afterAll(() => app.close());

// ---- credentials, good and bad

const SIGNING = { alg: "ES256" } as const;

async function prepareTokens() {
  const key = await app.prisma.signingKey.findFirstOrThrow({ where: { retiredAt: null } });
  const privateKey = await importJWK(key.privateJwk as JWK, "ES256");
  const session = await app.prisma.session.findFirstOrThrow({
    where: { userId: uuidOf(member.id), revokedAt: null },
    orderBy: { createdAt: "desc" },
  });
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: session.userId, jti: session.id, iss: "orgs-api", aud: "orgs-api", iat: now, exp: now + 3600 };
  const sign = (c: Record<string, unknown>, signWith = privateKey, kid = key.id) =>
    new SignJWT(c).setProtectedHeader({ ...SIGNING, kid, typ: "JWT" }).sign(signWith);
  const { privateKey: strangerKey } = await generateKeyPair("ES256");
  const { exp: _exp, ...noExp } = claims;
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  tokens.algNone = `${b64({ alg: "none", typ: "JWT", kid: key.id })}.${b64(claims)}.`;
  tokens.wrongKey = await sign(claims, strangerKey);
  tokens.unknownKid = await sign(claims, privateKey, "00000000-0000-7000-8000-000000000000");
  tokens.expired = await sign({ ...claims, iat: now - 7200, exp: now - 3600 });
  tokens.notYetValid = await sign({ ...claims, nbf: now + 3600 });
  tokens.noExpiry = await sign(noExp);
  tokens.wrongIssuer = await sign({ ...claims, iss: "evil" });
  tokens.wrongAudience = await sign({ ...claims, aud: "someone-else" });
  tokens.unknownSession = await sign({ ...claims, jti: "00000000-0000-7000-8000-000000000001" });
  tokens.tampered = `${member.token.slice(0, -4)}AAAA`;

  const revoked = await owner.user("battery-revoked");
  tokens.revoked = revoked.token;
  await app.prisma.session.updateMany({ where: { userId: uuidOf(revoked.id) }, data: { revokedAt: new Date() } });
  const suspended = await owner.user("battery-suspended");
  tokens.suspended = suspended.token;
  await app.prisma.user.update({ where: { id: uuidOf(suspended.id) }, data: { status: "SUSPENDED" } });
  const deleted = await owner.user("battery-deleted");
  tokens.deleted = deleted.token;
  await app.prisma.organizationMember.deleteMany({ where: { userId: uuidOf(deleted.id) } });
  await app.prisma.user.delete({ where: { id: uuidOf(deleted.id) } });

  const key1 = await app.gql(
    `mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key } }`,
    { input: { organizationId, name: "battery-daemon" } },
    { token: owner.token },
  );
  tokens.provisioner = key1.data?.createProvisionerKey.key;
}

// ---- request builders

const post = (body: string, headers: Record<string, string> = {}) => app.request({ body, headers });
const gql = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  post(JSON.stringify({ query, variables }), headers);
/** A POST whose body arrives as a stream in 64 KB chunks, with no Content-Length (chunked upload). */
const streamed = (body: string) => {
  const bytes = new TextEncoder().encode(body);
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + 65_536));
      at += 65_536;
    },
  });
  return Promise.resolve(
    app.yoga.fetch("http://test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit),
  );
};
const asOwner = () => ({ authorization: `Bearer ${owner.token}` });
const asMember = () => ({ authorization: `Bearer ${member.token}` });

const CREATE_ORGANIZATION = `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } userErrors { code field } } }`;
const CREATE_GROUP = `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } userErrors { code field } } }`;
const CREATE_TEMPLATE = `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id } userErrors { code field } } }`;
const CREATE_WORKSPACE = `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } userErrors { code field } } }`;
const CREATE_API_TOKEN = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token userErrors { code field } } }`;
const ADD_MEMBER = `mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { userErrors { code field } } }`;

const organizationNamed = (name: unknown) => () => gql(CREATE_ORGANIZATION, { input: { name } }, asOwner());
const organizationWith = (extra: Record<string, unknown>) => () =>
  gql(
    CREATE_ORGANIZATION,
    { input: { name: `battery-${Math.random().toString(36).slice(2, 8)}`, ...extra } },
    asOwner(),
  );
const groupWith = (input: Record<string, unknown>) => () =>
  gql(CREATE_GROUP, { input: { organizationId, name: "battery-group", ...input } }, asOwner());

// ---- the cases, by table

const transport: Case[] = [
  ...["PUT", "DELETE", "PATCH"].map((method) => ({
    name: `${method} /graphql`,
    send: () => app.request({ method, body: JSON.stringify({ query: "{ __typename }" }) }),
    expect: { status: 405, code: "BAD_REQUEST" },
  })),
  {
    name: "GET carrying a mutation",
    send: () =>
      app.request({
        method: "GET",
        path: `/graphql?query=${encodeURIComponent('mutation { createOrganization(input: {name: "via-get"}) { userErrors { code } } }')}`,
        headers: { ...asOwner(), "x-graphql-yoga-csrf": "1" },
      }),
    expect: { status: 405, code: "BAD_REQUEST" },
  },
  {
    name: "GET mutation without the CSRF header",
    send: () =>
      app.request({
        method: "GET",
        path: `/graphql?query=${encodeURIComponent('mutation { createOrganization(input: {name: "via-get"}) { userErrors { code } } }')}`,
        headers: asOwner(),
      }),
    expect: { status: 405, code: "BAD_REQUEST" },
  },
  {
    name: "text/plain POST (CSRF)",
    send: () =>
      app.request({
        body: JSON.stringify({ query: CREATE_ORGANIZATION, variables: { input: { name: "csrf" } } }),
        headers: { ...asOwner(), "content-type": "text/plain" },
      }),
    expect: { status: 403, code: "BAD_REQUEST", message: /CSRF/ },
  },
  {
    name: "form-encoded POST (CSRF)",
    send: () =>
      app.request({
        body: `query=${encodeURIComponent("mutation { logout }")}`,
        headers: { ...asOwner(), "content-type": "application/x-www-form-urlencoded" },
      }),
    expect: { status: 403, code: "BAD_REQUEST", message: /CSRF/ },
  },
  {
    name: "XML body (no parser reads it)",
    send: () => post("<query>{ __typename }</query>", { ...asOwner(), "content-type": "application/xml" }),
    expect: { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" },
  },
  {
    name: "Accept allowing no media type we write",
    send: () =>
      app.request({
        body: JSON.stringify({ query: "mutation { logout }" }),
        headers: { ...asOwner(), accept: "image/png" },
      }),
    expect: { status: 406, code: "NOT_ACCEPTABLE" },
  },
  {
    name: "malformed JSON",
    send: () => post('{"query": "{ __typename }"'),
    expect: { status: 400, code: "BAD_REQUEST" },
  },
  { name: "empty body", send: () => post(""), expect: { status: 400, code: "BAD_REQUEST" } },
  { name: "JSON null", send: () => post("null"), expect: { status: 400, code: "BAD_REQUEST" } },
  { name: "JSON string", send: () => post('"{ __typename }"'), expect: { status: 400, code: "BAD_REQUEST" } },
  { name: "JSON number", send: () => post("42"), expect: { status: 400, code: "BAD_REQUEST" } },
  { name: "empty object", send: () => post("{}"), expect: { code: "BAD_REQUEST", message: /Must provide query/ } },
  { name: "query is a number", send: () => post('{"query": 5}'), expect: { status: 400, code: "BAD_REQUEST" } },
  {
    name: "variables is a string",
    send: () => post('{"query": "{ __typename }", "variables": "x"}'),
    expect: { status: 400, code: "BAD_REQUEST" },
  },
  {
    name: "variables is an array",
    send: () => post('{"query": "{ __typename }", "variables": [1]}'),
    expect: { status: 400, code: "BAD_REQUEST" },
  },
  {
    name: "operationName is an object",
    send: () => post('{"query": "{ __typename }", "operationName": {}}'),
    expect: { status: 400, code: "OPERATION_RESOLUTION_FAILURE" },
  },
  {
    name: "extensions is a string",
    send: () => post('{"query": "{ __typename }", "extensions": "x"}'),
    expect: { status: 400, code: "BAD_REQUEST" },
  },
  {
    name: "batch array (batching off)",
    send: () =>
      post(
        JSON.stringify([
          { query: CREATE_ORGANIZATION, variables: { input: { name: "batch-a" } } },
          { query: CREATE_ORGANIZATION, variables: { input: { name: "batch-b" } } },
        ]),
        asOwner(),
      ),
    expect: { status: 400, code: "BAD_REQUEST" },
  },
  {
    name: "body over the size limit",
    send: () => gql(CREATE_ORGANIZATION, { input: { name: "huge", description: "x".repeat(1_100_000) } }, asOwner()),
    expect: { status: 413, code: "PAYLOAD_TOO_LARGE" },
  },
  {
    name: "streamed body over the size limit (no Content-Length)",
    send: () =>
      streamed(
        JSON.stringify({
          query: CREATE_ORGANIZATION,
          variables: { input: { name: "huge-stream", description: "x".repeat(1_100_000) } },
        }),
      ),
    expect: { status: 413, code: "PAYLOAD_TOO_LARGE" },
  },
  ...["abc", "1,2", "-5"].map((length) => ({
    name: `Content-Length "${length}"`,
    send: () =>
      Promise.resolve(
        app.yoga.fetch("http://test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": length },
          body: JSON.stringify({ query: "{ __typename }" }),
        }),
      ),
    expect: { status: 400, code: "BAD_REQUEST", message: /Content-Length header is invalid/ },
  })),
  {
    name: "streamed body under the size limit (no Content-Length)",
    send: () => streamed(JSON.stringify({ query: "{ __typename }" })),
    expect: { status: 200, code: "ok" },
  },
  {
    name: "deeply nested JSON variables",
    send: () => post(`{"query": "{ __typename }", "variables": {"a": ${"[".repeat(5000)}${"]".repeat(5000)}}}`),
    expect: { code: "ok" },
  },
  { name: "unknown path", send: () => app.request({ path: "/graphql/../admin", body: "{}" }), expect: { status: 404 } },
];

const NEST = "organizations { members { edges { node { user { ";
const DEEP = `{ viewer { ${NEST.repeat(3)} id ${"} } } } } ".repeat(3)} } }`;
const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

const documentCases: Case[] = [
  { name: "syntax error", send: () => gql("{", {}, asOwner()), expect: { code: "GRAPHQL_PARSE_FAILED" } },
  {
    name: "unterminated mutation",
    send: () => gql("mutation { createOrganization(input: {name: ", {}, asOwner()),
    expect: { code: "GRAPHQL_PARSE_FAILED" },
  },
  { name: "unknown field", send: () => gql("{ nope }", {}, asOwner()), expect: { code: "GRAPHQL_VALIDATION_FAILED" } },
  {
    name: "unknown mutation",
    send: () => gql("mutation { dropDatabase }", {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED" },
  },
  {
    name: "unknown argument",
    send: () => gql('{ organizations(where: "1=1") { totalCount } }', {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED" },
  },
  {
    name: "missing required argument",
    send: () => gql("mutation { createOrganization { userErrors { code } } }", {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED" },
  },
  {
    name: "undefined variable",
    send: () => gql("mutation { createOrganization(input: $input) { userErrors { code } } }", {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED" },
  },
  {
    name: "missing variable value",
    send: () => gql(CREATE_ORGANIZATION, {}, asOwner()),
    expect: { status: 400, code: "BAD_USER_INPUT", message: /was not provided/ },
  },
  {
    name: "unknown input field",
    send: () => gql(CREATE_ORGANIZATION, { input: { name: "ok-name", isAdmin: true } }, asOwner()),
    expect: { status: 400, code: "BAD_USER_INPUT", message: /"isAdmin" is not defined/ },
  },
  {
    name: "several operations, no operationName",
    send: () => gql(`${CREATE_ORGANIZATION} query Other { __typename }`, { input: { name: "two-ops" } }, asOwner()),
    expect: { status: 400, code: "OPERATION_RESOLUTION_FAILURE" },
  },
  {
    name: "operationName that does not exist",
    send: () =>
      post(JSON.stringify({ query: "query A { __typename }", operationName: "B" }), {
        "content-type": "application/json",
      }),
    expect: { status: 400, code: "OPERATION_RESOLUTION_FAILURE" },
  },
  {
    name: "fragment cycle",
    send: () => gql("{ viewer { ...A } } fragment A on User { ...B } fragment B on User { ...A }", {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED" },
  },
  {
    name: "unknown fragment",
    send: () => gql("{ viewer { ...Missing } }", {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED" },
  },
  {
    name: "query too deep",
    send: () => gql(DEEP, {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED", message: /Query depth limit of 12 exceeded/ },
  },
  {
    name: "alias flood",
    send: () => gql(aliases(40, "viewer { id }"), {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED", message: /Aliases limit of 30 exceeded/ },
  },
  {
    name: "__typename alias flood",
    send: () => gql(aliases(500, "__typename")),
    expect: { code: "GRAPHQL_VALIDATION_FAILED", message: /Aliases limit of 30 exceeded/ },
  },
  {
    name: "mutation alias flood",
    send: () =>
      gql(
        `mutation { ${Array.from({ length: 40 }, (_, i) => `m${i}: createOrganization(input: {name: "flood-${i}"}) { userErrors { code } }`).join(" ")} }`,
        {},
        asOwner(),
      ),
    expect: { code: "GRAPHQL_VALIDATION_FAILED", message: /Aliases limit of 30 exceeded/ },
  },
  {
    name: "token flood",
    send: () => gql(`{ viewer { ${"id ".repeat(5000)} } }`, {}, asOwner()),
    expect: { code: "GRAPHQL_PARSE_FAILED", message: /Token limit of 4000 exceeded/ },
  },
  {
    name: "directive flood",
    send: () => gql(`{ viewer { id ${"@include(if: true) ".repeat(50)} } }`, {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED", message: /Directives limit of 20 exceeded/ },
  },
  {
    name: "very long string literal",
    send: () =>
      gql(
        `mutation { createOrganization(input: {name: "${"a".repeat(500_000)}"}) { userErrors { code } } }`,
        {},
        asOwner(),
      ),
    expect: { code: "INVALID_INPUT" },
  },
  {
    name: "very long field name",
    send: () => gql(`{ ${"f".repeat(100_000)} }`, {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED" },
  },
  {
    name: "subscription selecting only an introspection field",
    send: () => gql("subscription { __typename }", {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED", message: /must not select an introspection top level field/ },
  },
];

const longName = "a".repeat(10_000);
/** A variable of the wrong type is refused before execution (and before the credential lookup). */
const COERCION: Expected = { status: 400, code: "BAD_USER_INPUT", message: /got invalid value/ };
const argumentCases: Case[] = [
  // names: every rule of the name pattern
  ...(
    [
      ["empty name", ""],
      ["overlong name", longName],
      ["name with spaces", "my org"],
      ["name with newline", "a\nb"],
      ["name with RTL override", "abc\u202Etxt.exe"],
      ["name with zero-width space", "ad\u200Bmin"],
      ["name with BOM", "\uFEFFadmin"],
      ["homoglyph name (Cyrillic a)", "\u0430dmin"],
      ["full-width letters", "\uFF41dmin"],
      ["emoji name", "org-\u{1F600}"],
      ["SQL injection name", `x'; DROP TABLE "User"; --`],
      ["HTML name", "<script>alert(1)</script>"],
      ["path traversal name", "../../etc/passwd"],
      ["leading hyphen", "-admin"],
      ["lone surrogate", "a\uD800b"],
    ] as const
  ).map(([name, value]) => ({ name, send: organizationNamed(value), expect: { code: "INVALID_INPUT" } })),
  // NUL is refused in every text argument before execution, not by the name rules.
  {
    name: "name with NUL",
    send: organizationNamed("a\u0000b"),
    expect: { status: 400, code: "BAD_USER_INPUT", message: /NUL/ },
  },
  { name: "name is null", send: organizationNamed(null), expect: COERCION },
  { name: "name is a number", send: organizationNamed(42), expect: COERCION },
  { name: "name is an object", send: organizationNamed({ $ne: "" }), expect: COERCION },
  { name: "name is a list", send: organizationNamed(["a", "b"]), expect: COERCION },
  // other strings
  {
    name: "overlong display name",
    send: organizationWith({ displayName: longName }),
    expect: { code: "INVALID_INPUT" },
  },
  {
    name: "display name with control characters",
    send: organizationWith({ displayName: "Acme\u0007\u001b[31m" }),
    expect: { code: "INVALID_INPUT" },
  },
  {
    name: "display name with RTL override",
    send: organizationWith({ displayName: "Acme \u202Egnp.exe" }),
    expect: { code: "INVALID_INPUT" },
  },
  {
    name: "overlong description",
    send: organizationWith({ description: longName }),
    expect: { code: "INVALID_INPUT" },
  },
  {
    name: "javascript: icon URL",
    send: organizationWith({ icon: "javascript:alert(1)" }),
    expect: { code: "INVALID_INPUT" },
  },
  // numbers
  ...(
    [
      ["quota 2^31", 2 ** 31, COERCION],
      ["quota 2^53", 2 ** 53, COERCION],
      ["quota 1.5", 1.5, COERCION],
      ["quota as a string", "10", COERCION],
      ["quota true", true, COERCION],
      ["quota -1", -1, { code: "INVALID_INPUT" }],
      ["quota -2^31", -(2 ** 31), { code: "INVALID_INPUT" }],
    ] as const
  ).map(([name, value, code]) => ({ name, send: groupWith({ quotaAllowance: value }), expect: code })),
  {
    name: "template daily cost -1",
    send: () => gql(CREATE_TEMPLATE, { input: { organizationId, name: "neg-cost", dailyCost: -1 } }, asOwner()),
    expect: { code: "INVALID_INPUT" },
  },
  {
    name: "template daily cost 1e10",
    send: () => gql(CREATE_TEMPLATE, { input: { organizationId, name: "big-cost", dailyCost: 1e10 } }, asOwner()),
    expect: COERCION,
  },
  {
    name: "API token lifetime -1",
    send: () => gql(CREATE_API_TOKEN, { input: { name: "neg", lifetimeSeconds: -1 } }, asMember()),
    expect: { code: "INVALID_INPUT" },
  },
  {
    name: "pagination first -1",
    send: () => gql("{ organizations(first: -1) { totalCount } }", {}, asOwner()),
    expect: { code: "BAD_USER_INPUT" },
  },
  {
    name: "pagination first 2^31",
    send: () => gql(`{ organizations(first: ${2 ** 31}) { totalCount } }`, {}, asOwner()),
    expect: { code: "GRAPHQL_VALIDATION_FAILED", message: /Query Cost limit of 20000 exceeded/ },
  },
  {
    name: "pagination cursor garbage",
    send: () => gql('{ organizations(first: 5, after: "%%%not-a-cursor") { totalCount } }', {}, asOwner()),
    expect: { code: "BAD_USER_INPUT" },
  },
  // ids
  ...(
    [
      ["template id of another type", () => globalId("Organization", uuidOf(organizationId))],
      ["malformed base64 id", () => "!!!not base64!!!"],
      ["empty id", () => ""],
      ["id of a uuid that is not one", () => Buffer.from("Template:not-a-uuid").toString("base64")],
      ["id with SQL", () => Buffer.from("Template:1' OR '1'='1").toString("base64")],
      ["id of a missing template", () => globalId("Template", "00000000-0000-7000-8000-000000000000")],
      ["another tenant's template", () => foreignTemplateId],
    ] as const
  ).map(([name, id]) => ({
    name: `createWorkspace: ${name}`,
    send: () => gql(CREATE_WORKSPACE, { input: { templateId: id(), name: "ws" } }, asMember()),
    expect: { code: "NOT_FOUND" },
  })),
  {
    name: "add member: user id of another type",
    send: () => gql(ADD_MEMBER, { input: { organizationId, userId: organizationId } }, asOwner()),
    expect: { code: "NOT_FOUND" },
  },
  {
    name: "node with a malformed id",
    send: () => gql('{ node(id: "@@@") { id } }', {}, asOwner()),
    expect: { code: "ok" },
  },
  // injection-looking strings where they are only data
  {
    name: "SQL in a search",
    send: () => gql(`{ users(search: "'; DELETE FROM \\"User\\"; --") { totalCount } }`, {}, asOwner()),
    expect: { code: "ok" },
  },
  {
    name: "LIKE wildcards in a search",
    send: () => gql('{ users(search: "%_%\\\\") { totalCount } }', {}, asOwner()),
    expect: { code: "ok" },
  },
  {
    name: "SQL in a lookup by name",
    send: () => gql(`{ organization(name: "' OR 1=1 --") { id } }`, {}, asOwner()),
    expect: { code: "ok" },
  },
];

const SIGNED_IN_WRITE = (headers: () => Record<string, string>) => () =>
  gql(CREATE_ORGANIZATION, { input: { name: "auth-battery" } }, headers());
const bearer = (name: string) => () => ({ authorization: `Bearer ${tokens[name]}` });

const authentication: Case[] = [
  { name: "no Authorization header", send: SIGNED_IN_WRITE(() => ({})), expect: { code: "UNAUTHENTICATED" } },
  ...(
    [
      ["Basic scheme", () => `Basic ${Buffer.from("owner:pw").toString("base64")}`],
      ["Bearer without token", () => "Bearer "],
      ["token without scheme", () => owner.token],
      ["garbage token", () => "Bearer not.a.jwt"],
      ["two tokens", () => `Bearer ${owner.token} ${owner.token}`],
    ] as const
  ).map(([name, value]) => ({
    name,
    send: SIGNED_IN_WRITE(() => ({ authorization: value() })),
    expect: { code: "UNAUTHENTICATED" },
  })),
  ...[
    "algNone",
    "wrongKey",
    "unknownKid",
    "expired",
    "notYetValid",
    "noExpiry",
    "wrongIssuer",
    "wrongAudience",
    "unknownSession",
    "tampered",
    "revoked",
    "suspended",
    "deleted",
  ].map((name) => ({
    name: `token: ${name}`,
    send: SIGNED_IN_WRITE(bearer(name)),
    expect: { code: "UNAUTHENTICATED" },
  })),
  {
    name: "provisioner key on a user mutation",
    send: SIGNED_IN_WRITE(() => ({ "provisioner-key": tokens.provisioner as string })),
    expect: { code: "UNAUTHENTICATED" },
  },
  {
    name: "provisioner key as a bearer token",
    send: SIGNED_IN_WRITE(() => ({ authorization: `Bearer ${tokens.provisioner}` })),
    expect: { code: "UNAUTHENTICATED" },
  },
  {
    name: "both Authorization and Provisioner-Key",
    send: SIGNED_IN_WRITE(() => ({ ...asOwner(), "provisioner-key": tokens.provisioner as string })),
    expect: { code: "UNAUTHENTICATED" },
  },
  {
    name: "malformed API token",
    send: SIGNED_IN_WRITE(() => ({ authorization: "Bearer oat_garbage" })),
    expect: { code: "UNAUTHENTICATED" },
  },
  {
    name: "member token on an owner-only mutation",
    send: SIGNED_IN_WRITE(asMember),
    expect: { code: "FORBIDDEN" },
  },
];

const TABLES: [string, Case[]][] = [
  ["transport", transport],
  ["document", documentCases],
  ["arguments and scalars", argumentCases],
  ["authentication", authentication],
];

it("has at least 80 cases", () => {
  expect(TABLES.reduce((n, [, cases]) => n + cases.length, 0)).toBeGreaterThanOrEqual(80);
});

for (const [table, cases] of TABLES) {
  describe(table, () => {
    it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
      const before = await snapshotCounts(app);
      const response = await c.send();
      const text = await response.text();
      expect(response.status).not.toBe(500);
      if (c.expect.status !== undefined) expect(response.status).toBe(c.expect.status);
      for (const leak of LEAKS) expect(text).not.toMatch(leak);
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
      for (const error of (body as any)?.errors ?? []) expect(typeof error.extensions?.code).toBe("string");
      const codes = codesOf(body);
      if (c.expect.code === "ok") expect(codes).toEqual([]);
      else if (c.expect.code) expect(codes).toContain(c.expect.code);
      if (c.expect.message) {
        expect((body as any)?.errors?.map((e: { message: string }) => e.message).join("\n")).toMatch(c.expect.message);
      }
      expect(await snapshotCounts(app)).toEqual(before);
    });
  });
}
