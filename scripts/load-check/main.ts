// Load with nothing lost: N concurrent clients create organizations, groups and workspaces
// against a real HTTP server on PostgreSQL for a bounded time, retrying on 429 and 503. Then
// every acknowledged write must exist exactly once, with exactly one audit row, and nothing
// unacknowledged may have been written. Traffic stays on 127.0.0.1.
//
//   npm run load:check                        (8 clients, 30 s)
//   LOAD_CLIENTS=16 LOAD_SECONDS=60 LOAD_RATE_LIMIT=3000 npm run load:check
//   LOAD_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres (the server it makes a scratch database on)
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { openScratchDatabase } from "../support/scratch-database.js";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CLIENTS = Math.min(env("LOAD_CLIENTS", 8), 64);
const SECONDS = Math.min(env("LOAD_SECONDS", 30), 300);
// The production default (1200/min per address): the clients share one address, so some get 429.
const RATE_LIMIT = String(env("LOAD_RATE_LIMIT", 1200));
/** After the deadline, in-flight operations get this long to finish their retries. */
const DRAIN_MS = 15_000;
const PASSWORD = "load-check-password";

type Kind = "organization" | "group" | "workspace";
type Ack = { kind: Kind; id: string; name: string };
type Stats = { requests: number; ok: number; refused: number; errors: number; latencies: number[] };

const stats: Stats = { requests: 0, ok: 0, refused: 0, errors: 0, latencies: [] };
const acks: Ack[] = [];
let unresolved = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const { db, drop } = await openScratchDatabase("postgres", "load", {
    serverUrl: process.env.LOAD_DATABASE_URL,
    statementTimeoutMs: 15000,
    onPoolError: () => {},
  });
  const config = loadConfig({
    PASSWORD_HASH_COST: "1024",
    LOG_LEVEL: "error",
    RATE_LIMIT_PER_MINUTE: RATE_LIMIT,
    RATE_LIMIT_SIGNIN_PER_MINUTE: "1000",
  });
  const app = createApp({ db, config, log: createLogger(config.logLevel) });
  const server = createServer((req, res) => app.yoga(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

  try {
    const { tokens, templateId } = await setUp(endpoint, db.prisma, CLIENTS);
    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(tokens.map((token, client) => runClient(endpoint, token, client, templateId, deadline)));
    const elapsed = (Date.now() - started) / 1000;
    const verdict = await verify(db.prisma);
    report(elapsed, verdict);
    process.exitCode = verdict.ok ? 0 : 1;
  } finally {
    server.close();
    await app.close();
    await drop();
  }
}

async function call(endpoint: string, query: string, variables: object, token?: string) {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as any,
    retryAfter: response.headers.get("retry-after"),
  };
}

async function must(endpoint: string, query: string, variables: object, token?: string) {
  for (;;) {
    const result = await call(endpoint, query, variables, token);
    if (result.status === 429 || result.status === 503) {
      await sleep(Number(result.retryAfter ?? 1) * 1000);
      continue;
    }
    const payload = Object.values(result.body.data ?? {})[0] as any;
    if (result.body.errors || payload?.userErrors?.length) throw new Error(JSON.stringify(result.body));
    return payload;
  }
}

const M = {
  firstUser: `mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token } }`,
  createUser: `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code } } }`,
  roles: `mutation($input: UpdateUserSiteRolesInput!) { updateUserSiteRoles(input: $input) { userErrors { code } } }`,
  login: `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`,
  defaultOrganization: `{ defaultOrganization { id } }`,
  template: `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id } userErrors { code } } }`,
  organization: `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id name } userErrors { code } } }`,
  group: `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id name } userErrors { code } } }`,
  workspace: `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id name } userErrors { code } } }`,
};

/** One site owner per client (so each is limited separately) and one ready template. */
async function setUp(endpoint: string, prisma: any, clients: number) {
  const owner = await must(endpoint, M.firstUser, {
    input: { email: "load-owner@example.com", username: "load-owner", password: PASSWORD },
  });
  const tokens: string[] = [];
  for (let i = 0; i < clients; i++) {
    const email = `load-${i}@example.com`;
    const created = await must(
      endpoint,
      M.createUser,
      { input: { email, username: `load-${i}`, password: PASSWORD } },
      owner.token,
    );
    await must(endpoint, M.roles, { input: { userId: created.user.id, roles: ["owner"] } }, owner.token);
    tokens.push((await must(endpoint, M.login, { input: { email, password: PASSWORD } })).token);
  }
  const { data } = (await call(endpoint, M.defaultOrganization, {}, owner.token)).body;
  const template = await must(
    endpoint,
    M.template,
    { input: { organizationId: data.defaultOrganization.id, name: "load-template" } },
    owner.token,
  );
  // Stands in for a provisioner: the template's import succeeded.
  await prisma.provisionerJob.updateMany({
    where: { type: "TEMPLATE_VERSION_IMPORT" },
    data: { status: "SUCCEEDED", startedAt: new Date(), completedAt: new Date() },
  });
  return { tokens, templateId: template.template.id as string };
}

/** Sends one write until it is answered (retrying refusals); returns the created object or null. */
async function write(
  endpoint: string,
  token: string,
  kind: Kind,
  variables: { input: Record<string, unknown> },
  giveUpAt: number,
): Promise<Ack | null> {
  for (;;) {
    const begin = performance.now();
    stats.requests++;
    let result: Awaited<ReturnType<typeof call>>;
    try {
      result = await call(endpoint, M[kind], variables, token);
    } catch {
      stats.errors++;
      unresolved++;
      return null;
    } finally {
      stats.latencies.push(performance.now() - begin);
    }
    if (result.status === 429 || result.status === 503) {
      stats.refused++;
      if (Date.now() > giveUpAt) return null;
      await sleep(Math.min(Number(result.retryAfter ?? 1) * 1000, 1000) * (0.5 + Math.random()));
      continue;
    }
    const payload = result.body.data?.[`create${kind[0]?.toUpperCase()}${kind.slice(1)}`];
    const object = payload?.[kind];
    if (result.status !== 200 || result.body.errors || payload?.userErrors?.length || !object) {
      stats.errors++;
      unresolved++;
      return null;
    }
    stats.ok++;
    return { kind, id: object.id, name: object.name };
  }
}

async function runClient(endpoint: string, token: string, client: number, templateId: string, deadline: number) {
  let organizationId: string | null = null;
  for (let i = 0; Date.now() < deadline; i++) {
    const giveUpAt = deadline + DRAIN_MS;
    let ack: Ack | null;
    if (i % 3 === 0 || !organizationId) {
      ack = await write(endpoint, token, "organization", { input: { name: `l${client}-o${i}` } }, giveUpAt);
      if (ack) organizationId = ack.id;
    } else if (i % 3 === 1) {
      ack = await write(endpoint, token, "group", { input: { organizationId, name: `g${i}` } }, giveUpAt);
    } else {
      const input = { templateId, name: `w${client}-${i}`, idempotencyKey: `load-${client}-${i}` };
      ack = await write(endpoint, token, "workspace", { input }, giveUpAt);
    }
    if (ack) acks.push(ack);
  }
}

const uuidOf = (id: string) => Buffer.from(id, "base64").toString().split(":")[1] as string;

async function verify(prisma: any) {
  const byKind = (kind: Kind) => acks.filter((a) => a.kind === kind).map((a) => uuidOf(a.id));
  const problems: string[] = [];
  const tables: Record<Kind, { model: any; where: object; audit: string }> = {
    organization: {
      model: prisma.organization,
      where: { name: { startsWith: "l", contains: "-o" } },
      audit: "ORGANIZATION",
    },
    group: { model: prisma.group, where: { isEveryone: false }, audit: "GROUP" },
    workspace: { model: prisma.workspace, where: {}, audit: "WORKSPACE" },
  };
  const rows: Record<string, { acknowledged: number; stored: number; audited: number }> = {};
  for (const kind of Object.keys(tables) as Kind[]) {
    const ids = byKind(kind);
    const { model, where, audit } = tables[kind];
    const found = await model.count({ where: { id: { in: ids } } });
    const stored = await model.count({ where });
    const audits = await prisma.auditLog.groupBy({
      by: ["resourceId"],
      where: { action: "CREATE", resourceType: audit, resourceId: { in: ids } },
      _count: true,
    });
    const audited = audits.filter((a: { _count: number }) => a._count === 1).length;
    if (new Set(ids).size !== ids.length) problems.push(`${kind}: an id was acknowledged twice`);
    if (found !== ids.length) problems.push(`${kind}: ${ids.length - found} acknowledged writes are missing`);
    if (stored !== ids.length) problems.push(`${kind}: ${stored - ids.length} stored rows were never acknowledged`);
    if (audited !== ids.length) problems.push(`${kind}: ${ids.length - audited} writes without exactly one audit row`);
    rows[kind] = { acknowledged: ids.length, stored, audited };
  }
  const workspaceNames = acks.filter((a) => a.kind === "workspace").map((a) => a.name);
  const duplicates = await prisma.workspace.groupBy({
    by: ["ownerId", "name"],
    where: { name: { in: workspaceNames } },
    _count: true,
    having: { name: { _count: { gt: 1 } } },
  });
  if (duplicates.length > 0) problems.push(`workspace: ${duplicates.length} names stored twice`);
  if (unresolved > 0) problems.push(`${unresolved} requests ended in an error (see 'errors')`);
  return { ok: problems.length === 0, problems, rows };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function report(elapsed: number, verdict: Awaited<ReturnType<typeof verify>>) {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  console.log(`\nload-nothing-lost: ${CLIENTS} clients, ${SECONDS} s, rate limit ${RATE_LIMIT}/min per address`);
  console.table({
    requests: stats.requests,
    ok: stats.ok,
    "refused (429/503, retried)": stats.refused,
    errors: stats.errors,
    "writes/s": Math.round(stats.ok / elapsed),
    p50: ms(percentile(stats.latencies, 50)),
    p99: ms(percentile(stats.latencies, 99)),
  });
  console.table(verdict.rows);
  console.log(verdict.ok ? "nothing lost: every acknowledged write exists exactly once, audited once" : "PROBLEMS:");
  for (const problem of verdict.problems) console.log(`  - ${problem}`);
}

await main();
