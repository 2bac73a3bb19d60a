// The attack set: documents and requests built to exhaust or trick the service (deep recursion
// through the schema's real cycles, alias and fragment amplification, cost and page
// multiplication, floods of directives, tokens and variables, transport tricks) and cross-tenant
// ids hidden in nested arguments. Every case must be refused with a code (never a 500, nothing
// internal in the body), write nothing, and, when it can be refused before execution, run no SQL
// at all: the credential lookup happens only once a document has passed every check.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../support/actors.js";
import { globalId } from "../support/fixtures.js";
import { createTestApp, type TestApp } from "../support/harness.js";
import { type OrgScope, type OwnerScope, seed } from "../support/seed.js";
import { codesOf, LEAKS } from "./answers.js";
import { snapshotCounts } from "./counts.js";

type Category =
  | "deep nesting"
  | "aliases"
  | "cost and pagination"
  | "fragments"
  | "directives and tokens"
  | "variables"
  | "operations"
  | "transport"
  | "introspection"
  | "cross-tenant ids";

type AttackCase = {
  name: string;
  category: Category;
  send: () => Promise<Response>;
  /** The error code (or userError code) the answer must carry; "none" for a refusal by omission. */
  code: string;
  status?: number;
  /** SQL statements the request may run: 0 for refusals before execution. */
  sql?: number;
  /** What else the answer must show (e.g. a foreign object left out). */
  check?: (body: any) => void;
};

let app: TestApp;
let owner: OwnerScope;
let adminA: Actor;
let memberB: Actor;
let orgA: OrgScope;
let orgB: OrgScope;
const ids: Record<string, string> = {};
let keyA: string;

beforeAll(async () => {
  // Production-like: introspection off.
  app = await createTestApp({ INTROSPECTION: "false" });
  owner = await seed(app).owner();
  orgA = await owner.org("tenant-a", { throughApi: true });
  orgB = await owner.org("tenant-b", { throughApi: true });
  adminA = await orgA.add(await owner.user("admin-a"), ["organization-admin"]);
  memberB = await orgB.add(await owner.user("member-b"));
  ids.templateA = await orgA.template("tpl-a", { ready: false });
  ids.templateB = await orgB.template("tpl-b", { ready: false });
  ids.groupA = (await orgA.group("group-a")).id;
  ids.groupB = (await orgB.group("group-b", { members: [memberB] })).id;
  const jobB = await app.prisma.provisionerJob.findFirstOrThrow({ where: { organizationId: orgB.uuid } });
  ids.jobB = globalId("ProvisionerJob", jobB.id);
  const key = await app.gql(
    `mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) { key } }`,
    { input: { organizationId: orgA.id, name: "key-a" } },
    { token: owner.token },
  );
  keyA = key.data?.createProvisionerKey.key;
  expect(keyA).toMatch(/^opk_/);
});
afterAll(() => app?.close());

// ---- request builders

const post = (body: unknown, headers: Record<string, string> = {}) =>
  app.request({ body: typeof body === "string" ? body : JSON.stringify(body), headers });
const as = (actor: () => Actor) => () => ({ authorization: `Bearer ${actor().token}` });
const asOwner = as(() => owner);
const asAdminA = as(() => adminA);
const query =
  (document: string, variables: Record<string, unknown> = {}, headers: () => Record<string, string> = asOwner) =>
  () =>
    post({ query: document, variables }, headers());
const repeat = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(" ");
/** `open` repeated n times, closed by as many `}`: a nesting n levels of `open` deep. */
const nest = (n: number, open: string, leaf: string) =>
  `${open.repeat(n)} ${leaf} ${"}".repeat(n * (open.split("{").length - 1))}`;

// ---- the cases

const ORG_MEMBER_CYCLE = "organizations { members { edges { node { user { ";
const WORKSPACE_CYCLE = "template { organization { templates { edges { node { ";
const GROUP_CYCLE = "groups { edges { node { members { edges { node { organizations { ";

const deepNesting: AttackCase[] = [
  {
    name: "organization → members → user → organizations, 4 rounds",
    category: "deep nesting",
    send: query(`{ viewer { ${nest(4, ORG_MEMBER_CYCLE, "id")} } }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "workspace → template → organization → templates, 4 rounds",
    category: "deep nesting",
    send: query(`{ workspaces { edges { node { ${nest(4, WORKSPACE_CYCLE, "id")} } } } }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "groups → members → organizations → groups, 3 rounds",
    category: "deep nesting",
    send: query(`{ viewer { organizations { ${nest(3, GROUP_CYCLE, "id")} } } }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "node(id:) inline fragments: organization → members → organization",
    category: "deep nesting",
    send: query(
      `{ node(id: "x") { ... on Organization { ${nest(4, "members { edges { node { organization { ", "id")} } } }`,
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "depth hidden in a chain of fragments",
    category: "deep nesting",
    send: query(
      `{ viewer { ...U0 } } ${repeat(8, (i) => `fragment U${i} on User { organizations { members { edges { node { user { ...U${i + 1} } } } } } }`)} fragment U8 on User { id }`,
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
];

const aliasFloods: AttackCase[] = [
  {
    name: "500 aliased __typename",
    category: "aliases",
    send: query(`{ ${repeat(500, (i) => `t${i}: __typename`)} }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "__typename aliases spread over nested objects",
    category: "aliases",
    send: query(
      `{ viewer { ${repeat(20, (i) => `a${i}: __typename`)} organizations { ${repeat(20, (i) => `b${i}: __typename`)} } } }`,
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "40 aliases of an expensive list",
    category: "aliases",
    send: query(`{ ${repeat(40, (i) => `o${i}: organizations(first: 100) { totalCount edges { node { id } } }`)} }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "29 password guesses in one login request",
    category: "aliases",
    send: query(
      `mutation { ${repeat(29, (i) => `g${i}: login(input: {email: "owner@example.com", password: "guess-${i}-xx"}) { token }`)} }`,
      {},
      () => ({}),
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "two sign-ins hidden in a fragment on Mutation",
    category: "aliases",
    send: query(
      `mutation { ...Guesses } fragment Guesses on Mutation { a: login(input: {email: "owner@example.com", password: "guess-a-xx"}) { token } b: login(input: {email: "owner@example.com", password: "guess-b-xx"}) { token } }`,
      {},
      () => ({}),
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
];

const WIDE_ORG = "id name displayName description icon isDefault createdAt updatedAt";
const costAndPagination: AttackCase[] = [
  {
    name: "wide selection × first: 1000",
    category: "cost and pagination",
    send: query(`{ organizations(first: 1000) { edges { node { ${WIDE_ORG} } } } }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "first: 1000000",
    category: "cost and pagination",
    send: query("{ organizations(first: 1000000) { edges { node { id } } } }"),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "nested connections multiplying (literal first: 100 × 100 × 100)",
    category: "cost and pagination",
    send: query(
      "{ organizations(first: 100) { edges { node { groups(first: 100) { edges { node { members(first: 100) { edges { node { id } } } } } } } } } }",
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "nested connections multiplying through a variable (first: $n = 1000)",
    category: "cost and pagination",
    send: query(
      "query($n: Int) { organizations(first: $n) { edges { node { members(first: $n) { edges { node { user { id } } } } } } } }",
      { n: 1000 },
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "literal page × variable page inside a fragment",
    category: "cost and pagination",
    send: query(
      "query($n: Int) { organizations(first: 50) { edges { node { ...Members } } } } fragment Members on Organization { members(first: $n) { totalCount } }",
      { n: 1000 },
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "negative first",
    category: "cost and pagination",
    send: query("{ organizations(first: -1) { totalCount } }"),
    code: "BAD_USER_INPUT",
    sql: 0,
  },
  {
    name: "negative last through a variable on a nested connection",
    category: "cost and pagination",
    send: query("query($n: Int) { organizations { edges { node { members(last: $n) { totalCount } } } } }", {
      n: -5,
    }),
    code: "BAD_USER_INPUT",
    sql: 0,
  },
];

/** Fragments that each spread the next one `width` times: width^levels fields once expanded. */
const laughs = (levels: number, width: number, on: string, leaf: string) =>
  `{ ...L0 } ${repeat(levels, (i) => `fragment L${i} on ${on} { ${repeat(width, () => `...L${i + 1}`)} }`)} fragment L${levels} on ${on} { ${leaf} }`;

const fragments: AttackCase[] = [
  {
    name: "fragment spreading itself",
    category: "fragments",
    send: query("{ viewer { ...A } } fragment A on User { id ...A }"),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "three fragments in a cycle",
    category: "fragments",
    send: query(
      "{ viewer { ...A } } fragment A on User { ...B } fragment B on User { ...C } fragment C on User { id ...A }",
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "cycle through nested fields (user → organizations → members → user)",
    category: "fragments",
    send: query(
      "{ viewer { ...A } } fragment A on User { organizations { members { edges { node { user { ...A } } } } } }",
    ),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "billion laughs: 2^30 spreads",
    category: "fragments",
    send: query(laughs(30, 2, "Query", "needsSetup")),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "fan-out 10^6 spreads",
    category: "fragments",
    send: query(laughs(6, 10, "Query", "viewer { id }")),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
];

const directivesAndTokens: AttackCase[] = [
  {
    name: "@include repeated 100 times on one field",
    category: "directives and tokens",
    send: query(`{ viewer { id ${"@include(if: true) ".repeat(100)} } }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "one @skip on each of 25 fields",
    category: "directives and tokens",
    send: query(`{ viewer { ${repeat(25, () => "id @skip(if: false)")} } }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "5000 tokens of selections",
    category: "directives and tokens",
    send: query(`{ viewer { ${"id ".repeat(5000)} } }`),
    code: "GRAPHQL_PARSE_FAILED",
    sql: 0,
  },
  {
    name: "checkPermissions with 1000 literal checks",
    category: "directives and tokens",
    send: query(
      `{ checkPermissions(checks: [${repeat(1000, (i) => `{key: "k${i}", resource: WORKSPACE, action: READ}`)}]) { allowed } }`,
    ),
    code: "GRAPHQL_PARSE_FAILED",
    sql: 0,
  },
];

const CHECKS = "query($checks: [PermissionCheckInput!]!) { checkPermissions(checks: $checks) { allowed } }";
const variables: AttackCase[] = [
  {
    name: "500 KB string where an Int belongs",
    category: "variables",
    send: query("query($n: Int) { organizations(first: $n) { totalCount } }", { n: "9".repeat(500_000) }),
    code: "BAD_USER_INPUT",
    status: 400,
    sql: 0,
  },
  {
    name: "body over the limit (1.1 MB string variable)",
    category: "variables",
    send: query("query($u: String!) { user(username: $u) { id } }", { u: "u".repeat(1_100_000) }),
    code: "PAYLOAD_TOO_LARGE",
    status: 413,
    sql: 0,
  },
  {
    name: "50,000 malformed list items",
    category: "variables",
    send: query(CHECKS, { checks: Array.from({ length: 50_000 }, () => ({ key: 1 })) }),
    code: "BAD_USER_INPUT",
    status: 400,
    sql: 0,
  },
  {
    name: "input object nested 2000 levels deep",
    category: "variables",
    send: () =>
      post(
        `{"query": "mutation($input: CreateGroupInput!) { createGroup(input: $input) { userErrors { code } } }", "variables": {"input": {"organizationId": "x", "name": ${'{"a":'.repeat(2000)}1${"}".repeat(2000)}}}}`,
        asOwner(),
      ),
    code: "BAD_USER_INPUT",
    status: 400,
    sql: 0,
  },
  {
    name: "declared but unused huge variable",
    category: "variables",
    send: query("query($big: String) { needsSetup }", { big: "b".repeat(500_000) }),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "2,000 declared variables",
    category: "variables",
    send: query(`query(${repeat(2000, (i) => `$v${i}: Int`)}) { needsSetup }`),
    code: "GRAPHQL_PARSE_FAILED",
    sql: 0,
  },
  {
    name: "50,000 undeclared variables are ignored, not processed",
    category: "variables",
    send: () =>
      post({
        query: "{ __typename }",
        variables: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`v${i}`, i])),
      }),
    code: "none",
    sql: 0,
    check: (body) => expect(body.data).toEqual({ __typename: "Query" }),
  },
  {
    name: "enum value probing through variables gets no suggestion",
    category: "variables",
    send: query(
      "query($s: [ProvisionerJobStatus!]) { organizations { edges { node { provisionerJobs(status: $s) { totalCount } } } } }",
      { s: ["PENDIN"] },
    ),
    code: "BAD_USER_INPUT",
    sql: 0,
    check: (body) => expect(JSON.stringify(body)).not.toMatch(/did you mean|PENDING/i),
  },
];

const operations: AttackCase[] = [
  {
    name: "300 operations, no operationName",
    category: "operations",
    send: query(repeat(300, (i) => `query Q${i} { needsSetup }`)),
    code: "OPERATION_RESOLUTION_FAILURE",
    status: 400,
    sql: 0,
  },
  {
    name: "300 operations, operationName matching none",
    category: "operations",
    send: () => post({ query: repeat(300, (i) => `query Q${i} { needsSetup }`), operationName: "Q999" }, asOwner()),
    code: "OPERATION_RESOLUTION_FAILURE",
    status: 400,
    sql: 0,
  },
  {
    name: "two anonymous operations",
    category: "operations",
    send: query("{ needsSetup } mutation { logout }"),
    code: "OPERATION_RESOLUTION_FAILURE",
    status: 400,
    sql: 0,
  },
  {
    name: "mutation picked by operationName over GET",
    category: "operations",
    send: () =>
      app.request({
        method: "GET",
        path: `/graphql?operationName=M&query=${encodeURIComponent("query Q { needsSetup } mutation M { logout }")}`,
        headers: { ...asOwner(), "x-graphql-yoga-csrf": "1" },
      }),
    code: "BAD_REQUEST",
    status: 405,
    sql: 0,
  },
  {
    name: "batch of 100 mutations (batching off)",
    category: "operations",
    send: () =>
      post(
        Array.from({ length: 100 }, (_, i) => ({
          query: `mutation { createOrganization(input: {name: "batch-${i}"}) { userErrors { code } } }`,
        })),
        asOwner(),
      ),
    code: "BAD_REQUEST",
    status: 400,
    sql: 0,
  },
  {
    name: "persisted-query hash without a query",
    category: "operations",
    send: () => post({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } }, asOwner()),
    // Apollo's answer, on which its link resends the document (test/api/frontend/trusted-documents).
    code: "PERSISTED_QUERY_NOT_FOUND",
    sql: 0,
  },
];

const transport: AttackCase[] = [
  {
    name: "mutation with an Accept the server cannot answer",
    category: "transport",
    send: () =>
      app.request({
        body: JSON.stringify({
          query: 'mutation { createOrganization(input: {name: "via-406"}) { userErrors { code } } }',
        }),
        headers: { ...asOwner(), accept: "text/html" },
      }),
    code: "NOT_ACCEPTABLE",
    status: 406,
    sql: 0,
  },
  {
    name: "subscription over plain JSON POST",
    category: "transport",
    send: () =>
      app.request({
        body: JSON.stringify({
          query: `subscription { provisionerDaemonsUpdated(organizationId: "${orgA.id}") { id } }`,
        }),
        headers: { ...asOwner(), accept: "application/json" },
      }),
    code: "NOT_ACCEPTABLE",
    status: 406,
    sql: 0,
  },
  {
    name: "multipart upload body",
    category: "transport",
    send: () =>
      app.request({
        body: '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"mutation { logout }"}\r\n--x--\r\n',
        headers: { ...asOwner(), "content-type": "multipart/form-data; boundary=x", "x-graphql-yoga-csrf": "1" },
      }),
    code: "UNSUPPORTED_MEDIA_TYPE",
    status: 415,
    sql: 0,
  },
  {
    name: "text/plain mutation without the CSRF header",
    category: "transport",
    send: () =>
      app.request({
        body: JSON.stringify({ query: "mutation { logout }" }),
        headers: { ...asOwner(), "content-type": "text/plain" },
      }),
    code: "BAD_REQUEST",
    status: 403,
    sql: 0,
  },
];

const CIRCULAR_TYPES = nest(6, "fields { type { ", "name");
const introspection: AttackCase[] = [
  {
    name: "__schema types → fields → type → ofType, introspection off",
    category: "introspection",
    send: query(`{ __schema { types { ${nest(8, "fields { type { ofType { ", "name")} } } }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "circular __type(name:) nesting, introspection off",
    category: "introspection",
    send: query(`{ __type(name: "Organization") { ${CIRCULAR_TYPES} } }`),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
  {
    name: "introspection behind an alias and a fragment",
    category: "introspection",
    send: query("{ s: __schema { ...T } } fragment T on __Schema { types { name } }"),
    code: "GRAPHQL_VALIDATION_FAILED",
    sql: 0,
  },
];

const MEMBER_ROLES = `mutation($input: UpdateOrganizationMemberRolesInput!) { updateOrganizationMemberRoles(input: $input) { userErrors { code } } }`;
const UPDATE_ACL = `mutation($input: UpdateTemplateAclInput!) { updateTemplateAcl(input: $input) { template { id } userErrors { code field } } }`;
const UPDATE_GROUP = `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { id } userErrors { code field } } }`;
const GROUP_SYNC = `mutation($input: UpdateGroupSyncSettingsInput!) { updateGroupSyncSettings(input: $input) { userErrors { code field } } }`;
const MISSING_UUID = "00000000-0000-7000-8000-00000000abcd";

/**
 * A foreign id in a nested argument, and the same request naming an object of that type that
 * exists nowhere: the two must answer alike.
 */
function foreignOrMissing(document: string, type: string, foreign: () => string, input: (id: string) => object) {
  return {
    send: () => post({ query: document, variables: { input: input(foreign()) } }, asAdminA()),
    missing: () => post({ query: document, variables: { input: input(globalId(type, MISSING_UUID)) } }, asAdminA()),
  };
}

const crossTenantIds: (AttackCase & { missing?: () => Promise<Response> })[] = [
  {
    name: "template ACL of tenant A granting tenant B's group",
    category: "cross-tenant ids",
    ...foreignOrMissing(
      UPDATE_ACL,
      "Group",
      () => ids.groupB as string,
      (groupId) => ({
        templateId: ids.templateA,
        groups: [{ groupId, role: "USE" }],
      }),
    ),
    code: "INVALID_INPUT",
  },
  {
    name: "template ACL of tenant A granting a member of tenant B only",
    category: "cross-tenant ids",
    ...foreignOrMissing(
      UPDATE_ACL,
      "User",
      () => memberB.id,
      (userId) => ({
        templateId: ids.templateA,
        users: [{ userId, role: "ADMIN" }],
      }),
    ),
    code: "NOT_A_MEMBER",
  },
  {
    name: "group of tenant A adding a member of tenant B only",
    category: "cross-tenant ids",
    ...foreignOrMissing(
      UPDATE_GROUP,
      "User",
      () => memberB.id,
      (userId) => ({
        groupId: ids.groupA,
        addUserIds: [userId],
      }),
    ),
    code: "NOT_A_MEMBER",
  },
  {
    name: "group sync of tenant A targeting tenant B's group",
    category: "cross-tenant ids",
    ...foreignOrMissing(
      GROUP_SYNC,
      "Group",
      () => ids.groupB as string,
      (groupId) => ({
        organizationId: orgA.id,
        field: "groups",
        mapping: [{ claimValue: "eng", targets: [groupId] }],
        autoCreateMissingGroups: false,
      }),
    ),
    code: "INVALID_INPUT",
  },
  {
    name: "updateGroup naming tenant B's group, renaming it",
    category: "cross-tenant ids",
    send: () => post({ query: UPDATE_GROUP, variables: { input: { groupId: ids.groupB, name: "pwned" } } }, asAdminA()),
    code: "NOT_FOUND",
  },
  {
    name: "updateTemplateAcl on tenant B's template, granting self",
    category: "cross-tenant ids",
    send: () =>
      post(
        {
          query: UPDATE_ACL,
          variables: { input: { templateId: ids.templateB, users: [{ userId: adminA.id, role: "ADMIN" }] } },
        },
        asAdminA(),
      ),
    code: "NOT_FOUND",
  },
  {
    name: "workspace on tenant A's template owned by a member of tenant B",
    category: "cross-tenant ids",
    send: () =>
      post(
        {
          query: `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } userErrors { code } } }`,
          variables: { input: { templateId: ids.templateA, name: "planted", ownerId: memberB.id } },
        },
        asAdminA(),
      ),
    code: "NOT_FOUND",
  },
  {
    name: "roles of a tenant B member, set through tenant B's id",
    category: "cross-tenant ids",
    send: () =>
      post(
        {
          query: MEMBER_ROLES,
          variables: { input: { organizationId: orgB.id, userId: memberB.id, roles: ["organization-admin"] } },
        },
        asAdminA(),
      ),
    code: "NOT_FOUND",
  },
  {
    name: "tenant A's provisioner key completing tenant B's job",
    category: "cross-tenant ids",
    send: () =>
      post(
        {
          query: `mutation($input: CompleteProvisionerJobInput!) { completeProvisionerJob(input: $input) { job { id } userErrors { code } } }`,
          variables: { input: { jobId: ids.jobB, error: "sabotaged" } },
        },
        { "provisioner-key": keyA },
      ),
    code: "NOT_FOUND",
  },
  {
    name: "nested field argument: member(userId:) of a tenant B member",
    category: "cross-tenant ids",
    send: () =>
      post(
        {
          query: `query($org: String!, $user: ID!) { organization(name: $org) { member(userId: $user) { user { email } } } }`,
          variables: { org: "tenant-a", user: memberB.id },
        },
        asAdminA(),
      ),
    code: "none",
    check: (body) => expect(body.data).toEqual({ organization: { member: null } }),
  },
  {
    name: "checkPermissions on tenant B's template",
    category: "cross-tenant ids",
    send: () =>
      post(
        {
          query: CHECKS,
          variables: { checks: [{ key: "k", resource: "TEMPLATE", action: "UPDATE", resourceId: ids.templateB }] },
        },
        asAdminA(),
      ),
    code: "none",
    check: (body) => expect(body.data).toEqual({ checkPermissions: [{ allowed: false }] }),
  },
  {
    name: "id of another type in a nested ACL entry (an Organization as a group)",
    category: "cross-tenant ids",
    send: () =>
      post(
        {
          query: UPDATE_ACL,
          variables: { input: { templateId: ids.templateA, groups: [{ groupId: orgA.id, role: "USE" }] } },
        },
        asAdminA(),
      ),
    code: "NOT_FOUND",
  },
  {
    name: "id of another type in addUserIds (a Group as a user)",
    category: "cross-tenant ids",
    send: () =>
      post(
        { query: UPDATE_GROUP, variables: { input: { groupId: ids.groupA, addUserIds: [ids.groupA] } } },
        asAdminA(),
      ),
    code: "NOT_A_MEMBER",
  },
];

const TABLES: [string, AttackCase[]][] = [
  ["deep nesting", deepNesting],
  ["aliases", aliasFloods],
  ["cost and pagination", costAndPagination],
  ["fragments", fragments],
  ["directives and tokens", directivesAndTokens],
  ["variables", variables],
  ["operations", operations],
  ["transport", transport],
  ["introspection", introspection],
  ["cross-tenant ids", crossTenantIds],
];
const ALL = TABLES.flatMap(([, cases]) => cases);

async function answer(response: Response) {
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

it("has at least 40 distinct attacks", () => {
  expect(ALL.length).toBeGreaterThanOrEqual(40);
  expect(new Set(ALL.map((c) => c.name)).size).toBe(ALL.length);
});

for (const [table, cases] of TABLES) {
  describe(table, () => {
    it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
      const rows = await snapshotCounts(app);
      const before = app.db.statements.total;
      const { status, text, body } = await answer(await c.send());
      const statements = app.db.statements.total - before;

      expect(status).not.toBe(500);
      if (c.status !== undefined) expect(status).toBe(c.status);
      for (const leak of LEAKS) expect(text).not.toMatch(leak);
      for (const error of body.errors ?? []) expect(typeof error.extensions?.code).toBe("string");
      const codes = codesOf(body);
      if (c.code === "none") expect(codes).toEqual([]);
      else expect(codes).toContain(c.code);
      c.check?.(body);
      if (c.sql !== undefined) expect(statements).toBe(c.sql);
      expect(await snapshotCounts(app)).toEqual(rows);

      const missing = (c as { missing?: () => Promise<Response> }).missing;
      if (missing) {
        // No existence oracle: a foreign id answers exactly like an id that exists nowhere.
        const other = await answer(await missing());
        expect(other.status).toBe(status);
        expect(codesOf(other.body)).toEqual(codes);
      }
    });
  });
}

describe("with introspection on", () => {
  let open: TestApp;
  beforeAll(async () => {
    open = await createTestApp({ INTROSPECTION: "true" });
  });
  afterAll(() => open?.close());

  it.each([
    ["circular __schema types → fields → type → fields", `{ __schema { types { ${CIRCULAR_TYPES} } } }`],
    ["circular __type(name:) nesting", `{ __type(name: "Organization") { ${CIRCULAR_TYPES} } }`],
    [
      "circular __type through fragments",
      `{ __type(name: "User") { ...F0 } } ${repeat(5, (i) => `fragment F${i} on __Type { fields { type { ...F${i + 1} } } }`)} fragment F5 on __Type { name }`,
    ],
  ])("%s is refused before execution", async (_name, document) => {
    const before = open.db.statements.total;
    const result = await open.gql(document);
    expect(result.data).toBeNull();
    expect(result.errors?.map((e) => e.extensions?.code)).toContain("GRAPHQL_VALIDATION_FAILED");
    expect(open.db.statements.total - before).toBe(0);
  });

  it("still answers a full client introspection query", async () => {
    const { getIntrospectionQuery } = await import("graphql");
    const result = await open.gql(getIntrospectionQuery());
    expect(result.errors).toBeUndefined();
    expect(result.data?.__schema.queryType.name).toBe("Query");
  });
});

it("stays healthy after the whole set", async () => {
  const viewer = await app.gql("{ viewer { username organizations { name } } }", {}, { token: adminA.token });
  expect(viewer.errors).toBeUndefined();
  expect(viewer.data?.viewer.username).toBe("admin-a");
  expect((await app.request({ method: "GET", path: "/readyz" })).status).toBe(200);
});
