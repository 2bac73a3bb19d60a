// What every command is given: its arguments, the server (Api) of the chosen profile, the
// organization it acts in, printers that honour -o/-c, and the lookups by name the API needs
// turned into ids. Commands are thin: one or two GraphQL operations each, through this.
import { Api, ApiError, DEFAULT_PAGE_SIZE, type Fetch } from "./api.js";
import { type Env, resolveTarget, type Target } from "./config.js";
import { type Columns, columnsCsv, columnsTable, json, type Out, tagText } from "./output.js";

export type Io = {
  env: Env;
  stdout: Out;
  stderr: Out;
  fetch: Fetch;
  /** The whole of standard input (passwords, JSON documents). */
  readStdin(): Promise<string>;
  /** Aborted on SIGINT/SIGTERM: provisionerd stops after its current job, waits stop. */
  signal: AbortSignal;
};

/** Every option of every command, as node:util parseArgs returns them. */
export type Values = Partial<{
  org: string;
  output: string;
  json: boolean;
  column: string[];
  profile: string;
  help: boolean;
  email: string;
  token: string;
  "password-stdin": boolean;
  "first-user-email": string;
  "first-user-username": string;
  "first-user-password-stdin": boolean;
  "first-user-full-name": string;
  username: string;
  name: string;
  "full-name": string;
  "login-type": string;
  search: string;
  status: string[];
  role: string;
  roles: string;
  lifetime: string;
  user: string[];
  group: string[];
  "display-name": string;
  description: string;
  icon: string;
  permission: string[];
  permissions: string;
  "avatar-url": string;
  "quota-allowance": string;
  "daily-cost": string;
  tag: string[];
  "disable-everyone-access": boolean;
  template: string;
  owner: string;
  all: boolean;
  detach: boolean;
  timeout: string;
  key: string;
  "poll-interval-ms": string;
  orphan: boolean;
  outdated: boolean;
  message: string;
  action: string[];
  "resource-type": string[];
  actor: string;
  since: string;
  until: string;
  object: string;
}>;

export class UsageError extends Error {}

export type Named = { id: string; name: string };

export const notFound = (what: string) => new ApiError("NOT_FOUND", `${what} not found (or not visible to you)`);

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === "") throw new UsageError(`missing ${what}`);
  return value;
}

export function count(raw: string | undefined, option: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${option} must be a whole number, got "${raw}"`);
  return Number(raw);
}

export function tags(raw: string[] | undefined): { key: string; value: string }[] {
  return (raw ?? []).map((pair) => {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--tag must be KEY=VALUE, got "${pair}"`);
    return { key: pair.slice(0, at), value: pair.slice(at + 1) };
  });
}

/** A comma-separated list option (`--roles a,b`); empty text is the empty list. */
export const list = (raw: string | undefined) =>
  (raw ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/** A repeatable, comma-separated enum option (`--status running,stopped`) as GraphQL enum values; absent: undefined. */
export const enumList = (raw: string[] | undefined) =>
  raw?.length ? raw.flatMap((x) => list(x)).map((x) => x.toUpperCase().replaceAll("-", "_")) : undefined;

export const USER_ERRORS = "userErrors { code message field }";

export class Ctx {
  private targetPromise: Promise<Target> | undefined;
  private apiInstance: Api | undefined;

  constructor(
    /** The positionals after the command's words. */
    readonly args: string[],
    readonly values: Values,
    readonly io: Io,
  ) {}

  /** -o: table (the default), json (also --json) or csv (lists only; one result prints as a table). */
  get format(): "table" | "json" | "csv" {
    if (this.values.json) return "json";
    const output = this.values.output ?? "table";
    if (output !== "json" && output !== "table" && output !== "csv") {
      throw new UsageError(`-o must be table, json or csv, got "${output}"`);
    }
    return output;
  }

  get jsonOutput(): boolean {
    return this.format === "json";
  }

  target(): Promise<Target> {
    this.targetPromise ??= resolveTarget(this.io.env, this.values.profile);
    return this.targetPromise;
  }

  async api(requireToken = true): Promise<Api> {
    if (this.apiInstance) return this.apiInstance;
    const { url, token, profile } = await this.target();
    if (requireToken && !token) {
      throw new ApiError(
        "NOT_LOGGED_IN",
        `not logged in (profile ${profile}): run \`orgs-api login URL\` or set ORGS_API_TOKEN`,
      );
    }
    this.apiInstance = new Api(url, token, this.io.fetch, Number(this.io.env.ORGS_API_PAGE_SIZE) || DEFAULT_PAGE_SIZE);
    return this.apiInstance;
  }

  /** The organization named by -O, else ORGS_API_ORGANIZATION, else the profile's selected one. */
  async scopedOrgName(): Promise<string | undefined> {
    return this.values.org ?? (await this.target()).organization;
  }

  /** The organization a command acts in: the scoped one, else the default organization. */
  async org(): Promise<Named> {
    const api = await this.api();
    const name = await this.scopedOrgName();
    if (name) return organizationByName(api, name);
    const data = await api.request("{ defaultOrganization { id name } }");
    if (!data.defaultOrganization) throw notFound("the default organization");
    return data.defaultOrganization;
  }

  /** The scoped organization for commands that span organizations when none is scoped. */
  async orgFilter(): Promise<Named | undefined> {
    const name = await this.scopedOrgName();
    return name ? organizationByName(await this.api(), name) : undefined;
  }

  arg(index: number, what: string): string {
    return need(this.args[index], what);
  }

  /** Rows as JSON, or as a table (or CSV) of the -c columns. */
  print<T>(rows: T[], columns: Columns<T>): void {
    const chosen = this.values.column?.flatMap((c) => c.split(","));
    if (this.format === "json") json(this.io.stdout, rows);
    else if (this.format === "csv") columnsCsv(this.io.stdout, columns, rows, chosen);
    else columnsTable(this.io.stdout, columns, rows, chosen);
  }

  printOne<T>(row: T, columns: Columns<T>): void {
    if (this.jsonOutput) json(this.io.stdout, row);
    else
      columnsTable(
        this.io.stdout,
        columns,
        [row],
        this.values.column?.flatMap((c) => c.split(",")),
      );
  }

  /** A command's result: `value` as JSON, or `text` for people. */
  done(value: unknown, text: string): void {
    if (this.jsonOutput) json(this.io.stdout, value);
    else this.io.stdout.write(`${text}\n`);
  }

  /** Progress and warnings: stderr, so stdout stays the result. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}

// ---- lookups by name

export async function organizationByName(api: Api, name: string): Promise<Named> {
  const data = await api.request(`query($name: String!) { organization(name: $name) { id name } }`, { name });
  if (!data.organization) throw notFound(`organization "${name}"`);
  return data.organization;
}

export async function viewer(api: Api): Promise<{ id: string; username: string }> {
  const data = await api.request("{ viewer { id username } }");
  if (!data.viewer) throw new ApiError("UNAUTHENTICATED", "the stored credential is not accepted: log in again");
  return data.viewer;
}

/** A user by username; "me" is the viewer. */
export async function userByName(api: Api, username: string): Promise<{ id: string; username: string }> {
  if (username === "me") return viewer(api);
  const data = await api.request(`query($u: String!) { user(username: $u) { id username } }`, { u: username });
  if (!data.user) throw notFound(`user "${username}"`);
  return data.user;
}

export async function templateByName(api: Api, org: Named, name: string): Promise<Named> {
  const all = await api.all<Named>(
    `query($org: ID!, $first: Int, $after: String) { templates(organizationId: $org, first: $first, after: $after) {
      edges { node { id name } } pageInfo { hasNextPage endCursor } } }`,
    { org: org.id },
    (d) => d.templates,
  );
  const found = all?.find((t) => t.name === name);
  if (!found) throw notFound(`template "${name}" in ${org.name}`);
  return found;
}

export async function groupByName(api: Api, org: Named, name: string): Promise<Named> {
  const all = await api.all<Named>(
    `query($org: String!, $first: Int, $after: String) { organization(name: $org) { groups(first: $first, after: $after) {
      edges { node { id name } } pageInfo { hasNextPage endCursor } } } }`,
    { org: org.name },
    (d) => d.organization?.groups,
  );
  const found = all?.find((g) => g.name === name);
  if (!found) throw notFound(`group "${name}" in ${org.name}`);
  return found;
}

// ---- provisioner jobs

export const JOB_FIELDS =
  "id type status error createdAt organization { name } tags { key value } matchedProvisioners { count available }";

export type Job = {
  id: string;
  status: string;
  error: string | null;
  organization: { name: string };
  tags: { key: string; value: string }[];
  matchedProvisioners: { count: number; available: number };
};

const FINISHED = ["SUCCEEDED", "FAILED", "CANCELED"];

/**
 * Follows a job just queued: with --detach, or when no daemon of the organization matches its
 * tags (it would wait for one to start), says so on stderr and answers at once; otherwise polls
 * it, printing each status it moves to on stderr, until it finishes or --timeout passes. A failed
 * or canceled job is an error. Answers whether the job succeeded.
 */
export async function followJob(ctx: Ctx, job: Job, label: string): Promise<boolean> {
  const api = await ctx.api();
  if (ctx.values.detach) {
    ctx.note(`${label}: queued (not waiting: --detach)`);
    return false;
  }
  if (job.status === "PENDING" && job.matchedProvisioners.count === 0) {
    const wanted = job.tags.length ? ` with tags ${tagText(job.tags)}` : "";
    ctx.note(
      `warning: ${label} is queued, but no provisioner daemon of ${job.organization.name}${wanted} exists; it waits until one starts (\`orgs-api provisionerd start\`). Not waiting for it.`,
    );
    return false;
  }
  if (job.status === "PENDING" && job.matchedProvisioners.available === 0) {
    ctx.note(`warning: none of the ${job.matchedProvisioners.count} matching provisioner daemons is online`);
  }
  const timeoutMs = (count(ctx.values.timeout, "--timeout") ?? 300) * 1000;
  const pollMs = Number(ctx.io.env.ORGS_API_POLL_MS) || 250;
  const started = Date.now();
  let last = "";
  let status = job.status;
  let error = job.error;
  for (;;) {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (status !== last) {
      last = status;
      ctx.note(`${label}: ${status.toLowerCase()} (${seconds}s)`);
    }
    if (status === "SUCCEEDED") return true;
    if (FINISHED.includes(status)) {
      throw new ApiError(`JOB_${status}`, `${label} ${status.toLowerCase()}: ${error ?? "no reason given"}`);
    }
    if (Date.now() - started > timeoutMs) {
      throw new ApiError(
        "TIMEOUT",
        `${label} is still ${status.toLowerCase()} after ${seconds}s; is a provisioner daemon of the organization running (\`orgs-api provisionerd start\`)?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const data = await api.request(`query($id: ID!) { node(id: $id) { ... on ProvisionerJob { status error } } }`, {
      id: job.id,
    });
    if (!data.node) throw notFound("the provisioner job");
    ({ status, error } = data.node);
  }
}

export type Command = {
  /** The words that name it, e.g. "users create". */
  name: string;
  usage: string;
  summary: string;
  /** Option lines for --help. */
  help?: string;
  run(ctx: Ctx): Promise<void>;
};
