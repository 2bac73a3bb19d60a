// The load side of the side-by-side benchmark (run.sh starts the servers and calls this).
//
//   bench.ts check   every workload on both servers, sequentially: each response checked (the
//                    project's own checks from scripts/bench/workloads.ts for the project; the same
//                    checks on PostGraphile's field names), the two servers' answers compared
//                    field by field (ids decoded to uuids), and SQL statements per request counted
//                    from the project's x-sql-statements header and, for both, from PostgreSQL's
//                    log (log_statement=all on the scratch database only, during this step only).
//   bench.ts rounds  alternating autocannon rounds (project, PostGraphile, PostGraphile, project,
//                    ...), every response body checked; per round: requests/s, p50/p99 latency,
//                    CPU time of the server process and of its PostgreSQL backends per request.
//
// Env: RUN_DIR, PROJECT_URL, PGL_URL, PROJECT_PID, PGL_PID, DB_NAME, AUTH_ROLE, PROJECT_DB_USER
// (postgres); rounds: ROUNDS (4), ROUND_SECONDS (10), CONNECTIONS ("8,32"), WORKLOADS ("W0,W1,W2/100"),
// WARMUP_SECONDS (1, unmeasured, before every round).
import { readFileSync, readdirSync } from "node:fs";
import { open, readFile, stat, writeFile } from "node:fs/promises";
import autocannon from "autocannon";
const { workloads: projectWorkloads } = await import(`${process.env.PROJECT_DIR ?? process.cwd()}/scripts/bench/workloads.ts`);

const env = process.env;
const RUN_DIR = need("RUN_DIR");
const setup =
  process.argv[2] === "summarize"
    ? { expectations: {}, tokens: {}, project: { W1: { query: "" } } }
    : JSON.parse(readFileSync(`${RUN_DIR}/setup.json`, "utf8"));
const DB_NAME = need("DB_NAME");
const AUTH_ROLE = need("AUTH_ROLE");
const VIEWER_ROLE = env.VIEWER_ROLE ?? AUTH_ROLE.replace(/_auth$/, "_viewer");
const PROJECT_DB_USER = env.PROJECT_DB_USER ?? "postgres";
const PG_LOG = env.PG_LOG ?? "/var/log/postgresql/postgresql-15-main.log";
const CLK_TCK = 100;

function need(name: string): string {
  const value = env[name];
  if (process.argv[2] === "summarize") return value ?? "0";
  if (!value) throw new Error(`${name} is required`);
  return value;
}

type Side = "project" | "postgraphile";
type Workload = { query: string; variables: Record<string, unknown>; token: string | null; check: (b: any) => string | null };

// ---- the workloads on each side ------------------------------------------------------------

const expectations = setup.expectations;
const fromProject = Object.fromEntries(projectWorkloads(expectations).map((w) => [w.name, w]));

const noErrors = (body: any) => (body.errors ? `errors: ${JSON.stringify(body.errors).slice(0, 300)}` : null);

/** PostGraphile's W1 is the project's document verbatim: the generated schema has the same field names. */
// Ordered as the project orders workspaces by default (created, then id), so the pages compare.
const PGL_W1 = (setup.project.W1.query as string).replace(
  "workspaces(first: 100)",
  "workspaces(first: 100, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC])",
);
const PGL_W2 = `query W2($name: String!, $first: Int!) { organizationByName(name: $name) {
  organizationMembers(first: $first, orderBy: [CREATED_AT_ASC, USER_ID_ASC]) {
  pageInfo { hasNextPage endCursor } edges { node { user { id username } roleViewsList { name } groupsList { id name } } } } } }`;

/** The project's W2 check (workloads.ts membersCheck) on PostGraphile's field names. */
function pglMembersCheck(first: number) {
  return (body: any) => {
    const problem = noErrors(body);
    if (problem) return problem;
    const edges = body.data?.organizationByName?.organizationMembers?.edges;
    const expected = Math.min(first, expectations.bigMembers);
    if (!Array.isArray(edges) || edges.length !== expected) return `expected ${expected} members, got ${edges?.length}`;
    for (const { node } of edges) {
      if (!node.user?.username) return "a member without a user";
      if (!node.groupsList.some((g: any) => g.name === "Everyone")) return `${node.user.username} is not in Everyone`;
    }
    return null;
  };
}

/** The project's W1 check (workloads.ts), unchanged: the documents are the same. */
const w1Check = fromProject.W1.check;

function workloadsOf(side: Side): Record<string, Workload> {
  const tokens = setup.tokens;
  if (side === "project") {
    return Object.fromEntries(
      ["W0", "W1", "W2/100"].map((name) => {
        const w = fromProject[name];
        return [name, { query: w.query, variables: w.variables, token: w.actor ? tokens[w.actor] : null, check: w.check }];
      }),
    );
  }
  return {
    W0: {
      query: "{ __typename }",
      variables: {},
      token: tokens.member,
      check: (b) => noErrors(b) ?? (b.data?.__typename === "Query" ? null : "no __typename"),
    },
    W1: { query: PGL_W1, variables: {}, token: tokens.member, check: w1Check },
    "W2/100": {
      query: PGL_W2,
      variables: { name: expectations.bigOrganization, first: 100 },
      token: tokens.admin,
      check: pglMembersCheck(100),
    },
  };
}

const urls: Record<Side, string> = { project: need("PROJECT_URL"), postgraphile: need("PGL_URL") };
const pids: Record<Side, number> = { project: Number(need("PROJECT_PID")), postgraphile: Number(need("PGL_PID")) };
const dbUsers: Record<Side, string> = { project: PROJECT_DB_USER, postgraphile: AUTH_ROLE };

async function send(side: Side, w: Workload): Promise<{ body: any; headers: Headers; ms: number }> {
  const started = performance.now();
  const response = await fetch(urls[side], {
    method: "POST",
    headers: { "content-type": "application/json", ...(w.token ? { authorization: `Bearer ${w.token}` } : {}) },
    body: JSON.stringify({ query: w.query, variables: w.variables }),
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = { errors: [{ message: `not JSON (${response.status}): ${text.slice(0, 200)}` }] };
  }
  return { body, headers: response.headers, ms: performance.now() - started };
}

// ---- comparing the two servers' answers ------------------------------------------------------

/** A global id of either server as "Type:uuid" (project: base64 "Type:uuid"; PostGraphile: base64 ["Type","uuid"]). */
function decodeId(id: string): string {
  const text = Buffer.from(id, "base64").toString("utf8");
  if (text.startsWith("[")) {
    const [type, uuid] = JSON.parse(text);
    return `${type}:${uuid}`;
  }
  return text;
}

/** As normalized, with null where the top object is null (an organization the viewer may not read). */
function normalizedOrNull(name: string, side: Side, body: any): any {
  const top = name === "W1" ? body.data?.workspaces : side === "project" ? body.data?.organization : body.data?.organizationByName;
  return top == null ? null : normalized(name, side, body);
}

function normalized(name: string, side: Side, body: any): any {
  if (name === "W0") return body.data;
  if (name === "W1") {
    const list = body.data.workspaces;
    return {
      totalCount: list.totalCount,
      workspaces: list.edges.map(({ node }: any) => ({
        id: decodeId(node.id),
        name: node.name,
        template: { id: decodeId(node.template.id), name: node.template.name, displayName: node.template.displayName },
        owner: { id: decodeId(node.owner.id), username: node.owner.username },
        organization: { id: decodeId(node.organization.id), name: node.organization.name },
      })),
    };
  }
  const members = side === "project" ? body.data.organization.members : body.data.organizationByName.organizationMembers;
  return {
    hasNextPage: members.pageInfo.hasNextPage,
    members: members.edges.map(({ node }: any) => ({
      user: { id: decodeId(node.user.id), username: node.user.username },
      roles: (side === "project" ? node.roles : node.roleViewsList).map((r: any) => r.name),
      groups: (side === "project" ? node.groups : node.groupsList).map((g: any) => ({ id: decodeId(g.id), name: g.name })),
    })),
  };
}

// ---- PostgreSQL log (statements) and /proc (CPU) ------------------------------------------

async function logSize(): Promise<number> {
  return (await stat(PG_LOG)).size;
}

/** The log text written since `offset`. */
async function logSince(offset: number): Promise<string> {
  const handle = await open(PG_LOG, "r");
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}

/**
 * The distinct data statements one database user ran (BEGIN/COMMIT and PostGraphile's
 * set_config left out), with the parameters the log shows for them.
 */
function loggedStatements(text: string, user: string): { sql: string; params: string[] }[] {
  const entries = text.split(/\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/);
  const found = new Map<string, { sql: string; params: string[] }>();
  for (let i = 0; i < entries.length; i++) {
    const m = new RegExp(`^\\S+ \\S+ \\S+ \\[(\\d+)\\] ${user}@${DB_NAME} LOG:  (?:statement|execute [^:]*): ([\\s\\S]*)$`).exec(entries[i]);
    if (!m) continue;
    const sql = m[2].trim();
    if (/^(begin|commit|rollback|BEGIN|COMMIT|set jit|select set_config\(el)/.test(sql) || /"lastUsedAt"/.test(sql)) continue;
    // The parameters are the next entry of the same backend, when it is a DETAIL line.
    const next = entries.slice(i + 1).find((e) => e.includes(` [${m[1]}] `)) ?? "";
    const detail = /^\S+ \S+ \S+ \[\d+\] \S+ DETAIL:  parameters: ([\s\S]*)$/.exec(next);
    const params = detail ? [...detail[1].matchAll(/\$\d+ = ('(?:[^']|'')*'|NULL)/g)].map((p) => p[1]) : [];
    if (!found.has(sql)) found.set(sql, { sql, params });
  }
  return [...found.values()];
}

/**
 * EXPLAIN ANALYZE of each statement a side ran for a workload, on a connection of its own:
 * PostGraphile's as the viewer role with the same token (inside a transaction, as
 * PostGraphile runs them), the project's as its user. Each is run 5 times first (warm plans
 * and caches). Written to explain-<side>-<workload>.txt.
 */
async function explain(side: Side, name: string, statements: { sql: string; params: string[] }[], token: string | null) {
  const pg = (await import("pg")).default;
  const user = dbUsers[side];
  const client = new pg.Client({ connectionString: `postgresql://${user}@${env.PGHOST ?? "127.0.0.1"}:${env.PGPORT ?? "5432"}/${DB_NAME}` });
  await client.connect();
  const out: string[] = [];
  try {
    // Each execution in a transaction of its own, as each request runs: the credential check and
    // the viewer's scopes (remembered per transaction) are computed afresh every time.
    const inTransaction = async <T>(work: () => Promise<T>): Promise<T> => {
      await client.query("BEGIN");
      if (side === "postgraphile") {
        await client.query("select set_config('role', $1, true), set_config('sbs.api_token', $2, true)", [VIEWER_ROLE, token]);
      }
      const result = await work();
      await client.query("COMMIT");
      return result;
    };
    for (const [i, { sql, params }] of statements.entries()) {
      await client.query(`PREPARE sbs_q${i} AS ${sql}`);
      const args = params.length ? `(${params.join(", ")})` : "";
      for (let n = 0; n < 5; n++) await inTransaction(() => client.query(`EXECUTE sbs_q${i}${args}`));
      const plan = await inTransaction(() => client.query(`EXPLAIN (ANALYZE, COSTS OFF, BUFFERS OFF) EXECUTE sbs_q${i}${args}`));
      await client.query(`DEALLOCATE sbs_q${i}`);
      out.push(`-- statement ${i + 1}${params.length ? ` (parameters ${params.join(", ")})` : ""}\n${sql}\n\n${plan.rows.map((r: any) => r["QUERY PLAN"]).join("\n")}\n`);
    }
  } catch (error) {
    out.push(`EXPLAIN failed: ${(error as Error).message}`);
    await client.query("ROLLBACK").catch(() => {});
  } finally {
    await client.end();
  }
  await writeFile(`${RUN_DIR}/explain-${side}-${name.replace("/", "_")}.txt`, out.join("\n"));
}

/** Statement lines logged for the scratch database since `offset`, per database user. */
async function statementsSince(offset: number): Promise<Record<string, number>> {
  await new Promise((r) => setTimeout(r, 300));
  const handle = await open(PG_LOG, "r");
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const counts: Record<string, number> = {};
    const line = new RegExp(`^\\S+ \\S+ \\S+ \\[\\d+\\] (\\S+)@${DB_NAME} LOG:  (?:statement|execute [^:]*):`, "gm");
    for (const match of buffer.toString("utf8").matchAll(line)) counts[match[1]] = (counts[match[1]] ?? 0) + 1;
    return counts;
  } finally {
    await handle.close();
  }
}

/** [parent pid, utime + stime in ms] of a process (null once it is gone). */
function procStat(pid: number): [number, number] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [Number(fields[1]), ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK];
  } catch {
    return null;
  }
}

/**
 * utime + stime of a server, in ms (null once it is gone): the process and its live descendants,
 * so a server that runs worker processes (the project with WORKERS > 1) counts them all.
 */
function cpuMs(pid: number): number | null {
  const own = procStat(pid);
  if (!own) return null;
  const parentOf = new Map<number, number>();
  const msOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat) (parentOf.set(Number(entry), stat[0]), msOf.set(Number(entry), stat[1]));
  }
  const inTree = (p: number): boolean => {
    for (let at: number | undefined = p; at !== undefined && at > 1; at = parentOf.get(at)) if (at === pid) return true;
    return false;
  };
  let total = 0;
  for (const [p, ms] of msOf) if (inTree(p)) total += ms;
  return total;
}

/** CPU ms of each PostgreSQL backend of the scratch database, by pid, with its user. */
function backends(): Map<number, { user: string; ms: number }> {
  const found = new Map<number, { user: string; ms: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    const m = /^postgres: [^:]+: (\S+) (\S+) /.exec(cmd);
    if (!m || m[2] !== DB_NAME) continue;
    const ms = cpuMs(Number(entry));
    if (ms !== null) found.set(Number(entry), { user: m[1], ms });
  }
  return found;
}

/**
 * Tracks the CPU the backends of one database user spend from now on: sampled every 500 ms, so a
 * backend that exits (pool idle timeout) keeps what it had used at its last sample; one that
 * appears starts from zero.
 */
function trackBackends(user: string) {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (const [pid, b] of backends()) if (b.user === user) (first.set(pid, b.ms), last.set(pid, b.ms));
  const sample = () => {
    for (const [pid, b] of backends()) {
      if (b.user !== user) continue;
      if (!first.has(pid)) first.set(pid, 0);
      last.set(pid, b.ms);
    }
  };
  const timer = setInterval(sample, 500);
  return {
    stop(): number {
      clearInterval(timer);
      sample();
      let total = 0;
      for (const [pid, ms] of last) total += ms - (first.get(pid) ?? 0);
      return total;
    },
  };
}

// ---- check ---------------------------------------------------------------------------------

async function check(): Promise<void> {
  const N = Number(env.CHECK_REQUESTS ?? 20);
  const result: Record<string, any> = {};
  const problems: string[] = [];
  for (const name of ["W0", "W1", "W2/100"]) {
    const answers: Partial<Record<Side, any>> = {};
    result[name] = {};
    for (const side of ["project", "postgraphile"] as Side[]) {
      const w = workloadsOf(side)[name];
      await send(side, w); // warm: first-use work (the project's lastUsedAt write, PostGraphile's plan) stays out
      await send(side, w);
      const offset = await logSize();
      const headerCounts: number[] = [];
      let wrong = 0;
      let firstProblem: string | null = null;
      let body: any;
      for (let i = 0; i < N; i++) {
        const answer = await send(side, w);
        body = answer.body;
        const problem = w.check(body);
        if (problem) (wrong++, (firstProblem ??= problem));
        const h = answer.headers.get("x-sql-statements");
        if (h !== null) headerCounts.push(Number(h));
      }
      const logged = await statementsSince(offset);
      const mine = logged[dbUsers[side]] ?? 0;
      if (name !== "W0" && env.EXPLAIN !== "0") {
        await explain(side, name, loggedStatements(await logSince(offset), dbUsers[side]), w.token);
      }
      answers[side] = normalized(name, side, body);
      result[name][side] = {
        requests: N,
        wrong,
        firstProblem,
        statementsPerRequestLogged: mine / N,
        statementsPerRequestHeader: headerCounts.length ? headerCounts.reduce((a, b) => a + b, 0) / headerCounts.length : null,
        otherUsersLogged: Object.fromEntries(Object.entries(logged).filter(([u]) => u !== dbUsers[side])),
        bodyBytes: JSON.stringify(body).length,
      };
      if (wrong) problems.push(`${name} ${side}: ${wrong} wrong, first: ${firstProblem}`);
    }
    const same = JSON.stringify(answers.project) === JSON.stringify(answers.postgraphile);
    result[name].sameAnswer = same;
    if (!same) {
      problems.push(`${name}: the two servers' answers differ`);
      await writeFile(`${RUN_DIR}/diff-${name.replace("/", "_")}.json`, JSON.stringify(answers, null, 2));
    }
  }
  // Authorization spot checks: W1 and W2/100 as every seeded actor (site owner, organization
  // admin of org-000, the member of org-001..005, the member of org-006), both servers' answers
  // compared; then a wrong token and no token (informational: PostGraphile answers "no token"
  // with empty results, the project with UNAUTHENTICATED).
  result.authz = {};
  for (const actor of ["owner", "admin", "member", "creator"]) {
    for (const name of ["W1", "W2/100"]) {
      const answers: Partial<Record<Side, any>> = {};
      for (const side of ["project", "postgraphile"] as Side[]) {
        const w = { ...workloadsOf(side)[name], token: setup.tokens[actor] };
        const { body } = await send(side, w);
        answers[side] = body.errors ? { errors: body.errors.map((e: any) => e.message) } : normalizedOrNull(name, side, body);
      }
      const same = JSON.stringify(answers.project) === JSON.stringify(answers.postgraphile);
      const summary = (a: any) =>
        a === null ? "null" : a.errors ? `errors ${JSON.stringify(a.errors)}` : name === "W1" ? `${a.workspaces.length} of ${a.totalCount} workspaces` : `${a.members.length} members`;
      result.authz[`${actor} ${name}`] = { same, project: summary(answers.project), postgraphile: summary(answers.postgraphile) };
      if (!same) {
        problems.push(`authz ${actor} ${name}: the two servers' answers differ`);
        await writeFile(`${RUN_DIR}/diff-authz-${actor}-${name.replace("/", "_")}.json`, JSON.stringify(answers, null, 2));
      }
    }
  }
  for (const [label, token] of [["wrong token", `${setup.tokens.member.slice(0, -4)}AAAA`], ["no token", null]] as const) {
    const outcome: Record<string, string> = {};
    for (const side of ["project", "postgraphile"] as Side[]) {
      const { body } = await send(side, { ...workloadsOf(side).W1, token });
      outcome[side] = body.errors
        ? `errors: ${body.errors.map((e: any) => e.extensions?.code ?? e.message).join(", ")}`
        : `data: ${body.data?.workspaces?.totalCount} workspaces`;
    }
    result.authz[`W1 with ${label}`] = outcome;
  }
  result.problems = problems;
  await writeFile(`${RUN_DIR}/check.json`, JSON.stringify(result, null, 2));
  for (const [key, value] of Object.entries(result.authz)) console.log(`authz ${key}: ${JSON.stringify(value)}`);
  for (const name of ["W0", "W1", "W2/100"]) {
    const r = result[name];
    console.log(
      `${name.padEnd(7)} same answer: ${r.sameAnswer}; SQL statements/request: project ${r.project.statementsPerRequestLogged} ` +
        `(x-sql-statements ${r.project.statementsPerRequestHeader}), PostGraphile ${r.postgraphile.statementsPerRequestLogged}; ` +
        `wrong: ${r.project.wrong}/${r.postgraphile.wrong}; body bytes ${r.project.bodyBytes}/${r.postgraphile.bodyBytes}`,
    );
  }
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
}

// ---- rounds --------------------------------------------------------------------------------

type Round = {
  workload: string;
  connections: number;
  side: Side;
  round: number;
  sent: number;
  completed: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  wrong: number;
  firstProblem: string | null;
  serverCpuMsPerReq: number;
  dbCpuMsPerReq: number;
  loadGenCpuMsPerReq: number;
  /** Which rounds.json a round came from, when several are summarised together. */
  run?: number;
};

async function load(side: Side, w: Workload, connections: number, seconds: number) {
  let checked = 0;
  let wrong = 0;
  let firstProblem: string | null = null;
  const body = JSON.stringify({ query: w.query, variables: w.variables });
  const result: any = await autocannon({
    url: urls[side],
    method: "POST",
    connections,
    duration: seconds,
    headers: { "content-type": "application/json", ...(w.token ? { authorization: `Bearer ${w.token}` } : {}) },
    body,
    requests: [
      {
        onResponse: (_status: number, text: string) => {
          checked++;
          let problem: string | null;
          try {
            problem = w.check(JSON.parse(text));
          } catch {
            problem = `not JSON: ${text.slice(0, 100)}`;
          }
          if (problem) (wrong++, (firstProblem ??= problem));
        },
      },
    ],
  } as any);
  return { result, checked, wrong, firstProblem };
}

async function measuredRound(side: Side, name: string, connections: number, seconds: number, round: number): Promise<Round> {
  const w = workloadsOf(side)[name];
  const warmup = Number(env.WARMUP_SECONDS ?? 1);
  // Unmeasured: refills the pool (pg.Pool closes connections idle for 10 s, on both sides) and
  // warms the new backends, so every measured round is steady state for both servers.
  if (warmup > 0) await load(side, w, connections, warmup);
  await new Promise((r) => setTimeout(r, 300));
  const cpu0 = cpuMs(pids[side]) as number;
  const gen0 = process.cpuUsage();
  const db = trackBackends(dbUsers[side]);
  const { result, wrong, firstProblem } = await load(side, w, connections, seconds);
  // In-flight requests at the end are still handled by the server: let them finish, and count them (sent).
  await new Promise((r) => setTimeout(r, 500));
  const dbMs = db.stop();
  const serverMs = (cpuMs(pids[side]) as number) - cpu0;
  const gen = process.cpuUsage(gen0);
  const sent = result.requests.sent as number;
  return {
    workload: name,
    connections,
    side,
    round,
    sent,
    completed: result.requests.total,
    rps: result.requests.total / (result.duration || seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    wrong,
    firstProblem,
    serverCpuMsPerReq: serverMs / Math.max(1, sent),
    dbCpuMsPerReq: dbMs / Math.max(1, sent),
    loadGenCpuMsPerReq: (gen.user + gen.system) / 1000 / Math.max(1, result.requests.total),
  };
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length / 2;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[Math.floor(m)] : (s[m - 1] + s[m]) / 2;
};
const range = (values: number[], digits = 0) =>
  `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;

function summarize(rounds: Round[]): string {
  const lines = [
    "| workload | conns | server | req/s median (range) | p50 ms | p99 ms | server CPU ms/req | PG backend CPU ms/req | rounds | wrong/errors |",
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const ratios: string[] = [
    "| workload | conns | req/s project/PostGraphile (ratio of medians) | paired per-round ratios, median (range) | server CPU/req project/PostGraphile | server+PG CPU/req project/PostGraphile |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  const keys = [...new Set(rounds.map((r) => `${r.workload}|${r.connections}`))];
  for (const key of keys) {
    const [workload, c] = key.split("|");
    const of = (side: Side) => rounds.filter((r) => r.workload === workload && r.connections === Number(c) && r.side === side);
    const stats: Record<string, any> = {};
    for (const side of ["project", "postgraphile"] as Side[]) {
      const rs = of(side);
      stats[side] = {
        rps: median(rs.map((r) => r.rps)),
        cpu: median(rs.map((r) => r.serverCpuMsPerReq)),
        db: median(rs.map((r) => r.dbCpuMsPerReq)),
      };
      lines.push(
        `| ${workload} | ${c} | ${side === "project" ? "orgs-api" : "PostGraphile"} | ${stats[side].rps.toFixed(0)} (${range(rs.map((r) => r.rps))}) | ` +
          `${median(rs.map((r) => r.p50)).toFixed(1)} | ${median(rs.map((r) => r.p99)).toFixed(1)} | ` +
          `${stats[side].cpu.toFixed(2)} (${range(rs.map((r) => r.serverCpuMsPerReq), 2)}) | ${stats[side].db.toFixed(2)} (${range(rs.map((r) => r.dbCpuMsPerReq), 2)}) | ` +
          `${rs.length} | ${rs.reduce((n, r) => n + r.wrong, 0)}/${rs.reduce((n, r) => n + r.errors + r.non2xx, 0)} |`,
      );
    }
    const a = of("project");
    const b = of("postgraphile");
    // Pairs a project round with the PostGraphile round measured next to it (same run, same round).
    const paired = a.map((r) => r.rps / (b.find((x) => x.round === r.round && x.run === r.run)?.rps ?? Number.NaN));
    ratios.push(
      `| ${workload} | ${c} | ${(stats.project.rps / stats.postgraphile.rps).toFixed(2)} | ${median(paired).toFixed(2)} (${range(paired, 2)}) | ` +
        `${(stats.project.cpu / stats.postgraphile.cpu).toFixed(2)} | ${((stats.project.cpu + stats.project.db) / (stats.postgraphile.cpu + stats.postgraphile.db)).toFixed(2)} |`,
    );
  }
  return `${lines.join("\n")}\n\n${ratios.join("\n")}\n`;
}

async function rounds(): Promise<void> {
  const ROUNDS = Number(env.ROUNDS ?? 4);
  const SECONDS = Number(env.ROUND_SECONDS ?? 10);
  const CONNECTIONS = (env.CONNECTIONS ?? "8,32").split(",").map(Number);
  const WORKLOADS = (env.WORKLOADS ?? "W0,W1,W2/100").split(",");
  const out = `${RUN_DIR}/rounds.json`;
  const all: Round[] = [];
  for (const connections of CONNECTIONS) {
    for (const name of WORKLOADS) {
      for (let round = 1; round <= ROUNDS; round++) {
        // Order alternates every round (project first, then PostGraphile first, ...).
        const order: Side[] = round % 2 ? ["project", "postgraphile"] : ["postgraphile", "project"];
        for (const side of order) {
          const r = await measuredRound(side, name, connections, SECONDS, round);
          all.push(r);
          console.log(
            `${name.padEnd(7)} c=${String(connections).padEnd(2)} round ${round} ${side.padEnd(12)} ${r.rps.toFixed(0).padStart(5)} req/s ` +
              `p50 ${r.p50.toFixed(1).padStart(6)} p99 ${r.p99.toFixed(1).padStart(6)} ms  server CPU ${r.serverCpuMsPerReq.toFixed(2)} ms/req  ` +
              `PG ${r.dbCpuMsPerReq.toFixed(2)} ms/req  wrong ${r.wrong} errors ${r.errors + r.non2xx}${r.firstProblem ? ` (${r.firstProblem})` : ""}`,
          );
          await writeFile(out, JSON.stringify(all, null, 2));
        }
      }
    }
  }
  // WORKERS reaches the project's server through the environment (its server processes).
  const summary = `Project server processes (WORKERS): ${env.WORKERS ?? "1"}\n\n${summarize(all)}`;
  await writeFile(`${RUN_DIR}/summary.md`, summary);
  console.log(`\n${summary}`);
  const bad = all.reduce((n, r) => n + r.wrong + r.errors + r.non2xx, 0);
  if (bad) {
    console.error(`${bad} wrong or failed responses`);
    process.exit(1);
  }
}

// Re-summarize saved rounds (several rounds.json files may be combined).
async function summarizeFiles(files: string[]): Promise<void> {
  const all: Round[] = [];
  for (const [run, file] of files.entries()) {
    for (const r of JSON.parse(await readFile(file, "utf8"))) all.push({ ...r, run });
  }
  console.log(summarize(all));
}

/** Load only (for profiling): LOAD_SIDE, LOAD_WORKLOAD, LOAD_CONNECTIONS (8), LOAD_SECONDS (15). */
async function loadOnly(): Promise<void> {
  const side = need("LOAD_SIDE") as Side;
  const name = need("LOAD_WORKLOAD");
  const { result, wrong, firstProblem } = await load(
    side,
    workloadsOf(side)[name],
    Number(env.LOAD_CONNECTIONS ?? 8),
    Number(env.LOAD_SECONDS ?? 15),
  );
  console.log(
    `${side} ${name}: ${result.requests.total} requests, ${(result.requests.total / result.duration).toFixed(0)} req/s, ` +
      `wrong ${wrong}${firstProblem ? ` (${firstProblem})` : ""}, errors ${result.errors + result.non2xx}`,
  );
  if (wrong || result.errors || result.non2xx) process.exit(1);
}

const mode = process.argv[2];
if (mode === "check") await check();
else if (mode === "load") await loadOnly();
else if (mode === "rounds") await rounds();
else if (mode === "summarize") await summarizeFiles(process.argv.slice(3));
else throw new Error("usage: bench.ts check|rounds|load|summarize FILES");
