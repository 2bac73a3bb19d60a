// The soak's clients: a mix of reads and writes by tenant admins and members over HTTP. Every
// operation retries 429, 503 and network errors (writes keep their idempotency key or unique
// name) until it gets a definite answer or its deadline passes, and records each attempt with
// the request id it sent, so the verification can match audit rows to attempts. Every read
// answer is checked for another tenant's data as it arrives.
import { randomUUID } from "node:crypto";
import type { Seeded, SeededUser, Tenant } from "./seed.js";

export type Actor = SeededUser & { index: number; token: string };

export type Kind =
  | "listWorkspaces"
  | "listOrganizations"
  | "listMembers"
  | "nodeOwn"
  | "nodeForeign"
  | "createWorkspace"
  | "transitionWorkspace"
  | "createGroup"
  | "updateGroup";

export const WRITE_KINDS = new Set<Kind>(["createWorkspace", "transitionWorkspace", "createGroup", "updateGroup"]);

/** Percent of operations per kind; admins run the member and group operations, members the rest. */
const MIX: [Kind, number][] = [
  ["listWorkspaces", 20],
  ["listOrganizations", 8],
  ["listMembers", 8],
  ["nodeOwn", 6],
  ["nodeForeign", 12],
  ["createWorkspace", 20],
  ["transitionWorkspace", 14],
  ["createGroup", 6],
  ["updateGroup", 6],
];
const ADMIN_KINDS = new Set<Kind>(["listMembers", "createGroup", "updateGroup"]);

/** One HTTP request. `code`: OK, a userError or GraphQL error code, HTTP_<status>, NETWORK. */
export type Attempt = { kind: Kind; requestId: string; start: number; ms: number; status: number; code: string };

/** A write whose outcome the verification checks against the database. */
export type WriteOp = {
  kind: Kind;
  actor: Actor;
  attempts: Attempt[];
  /** ok: acknowledged; refused: a definite no (quota); confirmed: a retry found the first attempt's effect; unresolved: no definite answer. */
  outcome: "ok" | "refused" | "confirmed" | "unresolved";
  /** An attempt failed in a way that may have committed (503 or network) before the final one. */
  uncertain: boolean;
};
export type WorkspaceCreate = WriteOp & { name: string; key: string; tenant: number; id: string | null };
export type Transition = WriteOp & { workspaceId: string; transition: string; buildNumber: number | null };
export type GroupCreate = WriteOp & { name: string; tenant: number; id: string | null };
export type GroupUpdate = WriteOp & { groupId: string; displayName: string; end: number };

type OwnedWorkspace = { id: string; globalId: string; busy: boolean };
type SoakGroup = { id: string; globalId: string; busy: boolean };

const RETRYABLE = new Set(["NETWORK", "SERVICE_UNAVAILABLE", "RATE_LIMITED"]);
/** Failures after which the write may still have committed. */
const UNCERTAIN = new Set(["NETWORK", "SERVICE_UNAVAILABLE"]);
const OPERATION_DEADLINE_MS = 30_000;
const REQUEST_TIMEOUT_MS = 20_000;

const Q = {
  listWorkspaces: `{ workspaces(first: 100) { totalCount edges { node { id name deleted owner { id username }
    organization { id name } template { id name } } } } }`,
  listOrganizations: `{ organizations(first: 20) { edges { node { id name viewerWorkspaceQuota { creditsConsumed budget } } } } }`,
  listMembers: `query($name: String!) { organization(name: $name) { id name
    members(first: 100) { edges { node { user { id username } groups { id name organization { id } }
      workspaceQuota { creditsConsumed budget } } } }
    groups(first: 100) { edges { node { id name organization { id } } } } } }`,
  node: `query($id: ID!) { node(id: $id) { __typename id ... on Workspace { name owner { username } organization { name } }
    ... on Organization { name } } }`,
  createWorkspace: `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) {
    workspace { id name owner { username } organization { name } latestBuild { buildNumber dailyCost } } userErrors { code message } } }`,
  transitionWorkspace: `mutation($input: WorkspaceTransitionInput!) { transitionWorkspace(input: $input) {
    workspace { id deleted latestBuild { buildNumber transition } } userErrors { code message } } }`,
  createGroup: `mutation($input: CreateGroupInput!) { createGroup(input: $input) {
    group { id name organization { id } } userErrors { code message } } }`,
  updateGroup: `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) {
    group { id displayName } userErrors { code message } } }`,
};

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function globalIdOf(typename: string, uuid: string): string {
  return Buffer.from(`${typename}:${uuid}`).toString("base64");
}

/** `Type:uuid` of a global id, or null. */
function decodeGlobalId(value: string): string | null {
  const decoded = Buffer.from(value, "base64").toString();
  return /^[A-Za-z]+:[0-9a-f-]{36}$/.test(decoded) ? decoded : null;
}

export class Workload {
  readonly attempts: Attempt[] = [];
  readonly ops: { kind: Kind; phase: string; start: number; end: number; outcome: string }[] = [];
  readonly workspaceCreates: WorkspaceCreate[] = [];
  readonly transitions: Transition[] = [];
  readonly groupCreates: GroupCreate[] = [];
  readonly groupUpdates: GroupUpdate[] = [];
  /** Tenant-isolation problems seen in answers, and other answers that should not happen. */
  readonly leaks: string[] = [];
  readonly unexpected = new Map<string, { count: number; sample: string }>();
  /** Per actor: every `Type:uuid` their answers contained (checked against the database afterwards). */
  readonly seen = new Map<number, Set<string>>();
  foreignLookups = 0;
  private readonly owned = new Map<number, OwnedWorkspace[]>();
  private readonly groups = new Map<number, SoakGroup[]>();
  private sequence = 0;
  private readonly members: Actor[];
  private readonly admins: Actor[];

  constructor(
    private readonly endpoint: string,
    private readonly seeded: Seeded,
    actors: Actor[],
    /** Milliseconds on the run's clock. */
    private readonly now: () => number,
  ) {
    this.members = actors.filter((a) => a.adminOf === null);
    this.admins = actors.filter((a) => a.adminOf !== null);
  }

  /** Runs one operation of the mix, start to definite answer (or deadline). */
  async runOne(phase: string): Promise<void> {
    let roll = Math.random() * 100;
    let kind: Kind = "listWorkspaces";
    for (const [k, weight] of MIX) {
      roll -= weight;
      if (roll < 0) {
        kind = k;
        break;
      }
    }
    const actor = pick(
      ADMIN_KINDS.has(kind) ? this.admins : kind === "nodeForeign" ? [...this.members, ...this.admins] : this.members,
    );
    const start = this.now();
    const outcome = await this.run(kind, actor);
    this.ops.push({ kind, phase, start, end: this.now(), outcome });
  }

  private async run(kind: Kind, actor: Actor): Promise<string> {
    switch (kind) {
      case "listWorkspaces":
        return this.listWorkspaces(actor);
      case "listOrganizations":
        return this.listOrganizations(actor);
      case "listMembers":
        return this.listMembers(actor);
      case "nodeOwn":
        return this.nodeOwn(actor);
      case "nodeForeign":
        return this.nodeForeign(actor);
      case "createWorkspace":
        return this.createWorkspace(actor);
      case "transitionWorkspace":
        return this.transitionWorkspace(actor);
      case "createGroup":
        return this.createGroup(actor);
      case "updateGroup":
        return this.updateGroup(actor);
    }
  }

  private async request(kind: Kind, actor: Actor, query: string, variables: object, payloadField?: string) {
    const requestId = randomUUID();
    const start = this.now();
    let status = 0;
    let body: any = null;
    let retryAfter: string | null = null;
    try {
      const response = await fetch(this.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${actor.token}`,
          "x-request-id": requestId,
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      retryAfter = response.headers.get("retry-after");
      body = JSON.parse(await response.text());
    } catch {
      body = null;
    }
    const payload = payloadField ? body?.data?.[payloadField] : undefined;
    const code =
      status === 0 || body === null
        ? status === 0
          ? "NETWORK"
          : `HTTP_${status}`
        : body.errors?.length
          ? String(body.errors[0]?.extensions?.code ?? "NO_CODE")
          : status !== 200
            ? `HTTP_${status}`
            : (payload?.userErrors?.[0]?.code ?? "OK");
    const attempt: Attempt = { kind, requestId, start, ms: this.now() - start, status, code };
    this.attempts.push(attempt);
    if (code === "OK") this.collectIds(actor, body.data);
    return { attempt, body, payload, retryAfter };
  }

  /** Sends until a definite answer or the deadline; `uncertain` when an earlier attempt may have committed. */
  private async perform(kind: Kind, actor: Actor, query: string, variables: object, payloadField?: string) {
    const deadline = this.now() + OPERATION_DEADLINE_MS;
    const attempts: Attempt[] = [];
    let uncertain = false;
    for (;;) {
      const result = await this.request(kind, actor, query, variables, payloadField);
      attempts.push(result.attempt);
      const { code } = result.attempt;
      if (!RETRYABLE.has(code) || this.now() > deadline) {
        return { ...result, attempts, uncertain, gaveUp: RETRYABLE.has(code) };
      }
      if (UNCERTAIN.has(code)) uncertain = true;
      const wait = Math.min(Number(result.retryAfter ?? 1) * 1000, 1000);
      await sleep(wait * (0.5 + Math.random()));
    }
  }

  private noteUnexpected(kind: Kind, code: string, sample: unknown): string {
    const key = `${kind} ${code}`;
    const entry = this.unexpected.get(key) ?? { count: 0, sample: JSON.stringify(sample).slice(0, 300) };
    entry.count++;
    this.unexpected.set(key, entry);
    return "unexpected";
  }

  private leak(actor: Actor, what: string): void {
    if (this.leaks.length < 50) this.leaks.push(`${actor.username}: ${what}`);
  }

  private collectIds(actor: Actor, value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.collectIds(actor, item);
    } else if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "id" && typeof inner === "string") {
          const decoded = decodeGlobalId(inner);
          const seen = this.seen.get(actor.index) ?? new Set<string>();
          this.seen.set(actor.index, seen);
          seen.add(decoded ?? `undecodable:${inner}`);
        } else {
          this.collectIds(actor, inner);
        }
      }
    }
  }

  private tenantsOf(actor: Actor): Tenant[] {
    return actor.tenants.map((i) => this.seeded.tenants[i] as Tenant);
  }

  /** Read outcome: ok, or the code; definite non-OK answers are unexpected for reads. */
  private readOutcome(kind: Kind, result: Awaited<ReturnType<Workload["perform"]>>): string | null {
    if (result.attempt.code === "OK") return null;
    if (result.gaveUp) return "unresolved";
    return this.noteUnexpected(kind, result.attempt.code, result.body);
  }

  private async listWorkspaces(actor: Actor): Promise<string> {
    const result = await this.perform("listWorkspaces", actor, Q.listWorkspaces, {});
    const failed = this.readOutcome("listWorkspaces", result);
    if (failed) return failed;
    const names = new Set(this.tenantsOf(actor).map((t) => t.organizationName));
    for (const { node } of result.body.data.workspaces.edges) {
      if (node.owner.username !== actor.username)
        this.leak(actor, `listed ${node.owner.username}'s workspace ${node.name}`);
      if (!names.has(node.organization.name)) this.leak(actor, `listed a workspace of ${node.organization.name}`);
      if (!node.name.startsWith(`${actor.username}-w`)) this.leak(actor, `listed workspace ${node.name}`);
      if (node.template.name.split("-")[0] !== node.organization.name.split("-")[0]) {
        this.leak(actor, `workspace ${node.name} of ${node.organization.name} uses template ${node.template.name}`);
      }
      if (node.deleted) this.leak(actor, `listed deleted workspace ${node.name}`);
    }
    return "ok";
  }

  private async listOrganizations(actor: Actor): Promise<string> {
    const result = await this.perform("listOrganizations", actor, Q.listOrganizations, {});
    const failed = this.readOutcome("listOrganizations", result);
    if (failed) return failed;
    const expected = this.tenantsOf(actor)
      .map((t) => t.organizationName)
      .sort();
    const edges = result.body.data.organizations.edges as { node: any }[];
    const got = edges.map((e) => e.node.name).sort();
    if (JSON.stringify(got) !== JSON.stringify(expected))
      this.leak(actor, `organizations ${got} (expected ${expected})`);
    for (const { node } of edges) {
      const quota = node.viewerWorkspaceQuota;
      if (quota.creditsConsumed > quota.budget) {
        this.leak(actor, `quota over budget in ${node.name}: ${quota.creditsConsumed} > ${quota.budget}`);
      }
    }
    return "ok";
  }

  private async listMembers(actor: Actor): Promise<string> {
    const tenant = this.seeded.tenants[actor.adminOf as number] as Tenant;
    const result = await this.perform("listMembers", actor, Q.listMembers, { name: tenant.organizationName });
    const failed = this.readOutcome("listMembers", result);
    if (failed) return failed;
    const organization = result.body.data.organization;
    const organizationId = globalIdOf("Organization", tenant.organizationId);
    if (organization?.id !== organizationId) {
      this.leak(
        actor,
        `organization ${tenant.organizationName} answered ${JSON.stringify(organization).slice(0, 100)}`,
      );
      return "ok";
    }
    const expected = this.seeded.users
      .filter((u) => u.tenants.includes(tenant.index))
      .map((u) => u.username)
      .sort();
    const got = organization.members.edges.map((e: any) => e.node.user.username).sort();
    if (JSON.stringify(got) !== JSON.stringify(expected)) this.leak(actor, `members ${got} (expected ${expected})`);
    const groups = [
      ...organization.groups.edges.map((e: any) => e.node),
      ...organization.members.edges.flatMap((e: any) => e.node.groups),
    ];
    for (const group of groups) {
      if (
        group.organization.id !== organizationId ||
        !(group.name === "Everyone" || group.name.startsWith(`${tenant.tag}-`))
      ) {
        this.leak(actor, `group ${group.name} in ${tenant.organizationName}'s answer`);
      }
    }
    for (const { node } of organization.members.edges) {
      const quota = node.workspaceQuota;
      if (quota && quota.creditsConsumed > quota.budget) {
        this.leak(actor, `${node.user.username} over budget: ${quota.creditsConsumed} > ${quota.budget}`);
      }
    }
    return "ok";
  }

  private takeOwned(actor: Actor): OwnedWorkspace | null {
    const free = (this.owned.get(actor.index) ?? []).filter((w) => !w.busy);
    const chosen = free.length > 0 ? pick(free) : null;
    if (chosen) chosen.busy = true;
    return chosen;
  }

  private forget(actor: Actor, workspace: OwnedWorkspace): void {
    this.owned.set(
      actor.index,
      (this.owned.get(actor.index) ?? []).filter((w) => w !== workspace),
    );
  }

  private async nodeOwn(actor: Actor): Promise<string> {
    const workspace = this.takeOwned(actor);
    const id = workspace?.globalId ?? globalIdOf("Organization", pick(this.tenantsOf(actor)).organizationId);
    try {
      const result = await this.perform("nodeOwn", actor, Q.node, { id });
      const failed = this.readOutcome("nodeOwn", result);
      if (failed) return failed;
      const node = result.body.data.node;
      if (!node || node.id !== id) return this.noteUnexpected("nodeOwn", "MISSING_OWN_OBJECT", { id, node });
      if (node.__typename === "Workspace" && node.owner.username !== actor.username) {
        this.leak(actor, `node(${id}) answered ${node.owner.username}'s workspace`);
      }
      return "ok";
    } finally {
      if (workspace) workspace.busy = false;
    }
  }

  /** Another tenant's organization, template, groups, admin or a workspace: must be null. */
  private async nodeForeign(actor: Actor): Promise<string> {
    const others = this.seeded.tenants.filter((t) => !actor.tenants.includes(t.index));
    if (others.length === 0) return this.nodeOwn(actor);
    const tenant = pick(others);
    const admin = this.seeded.users.find((u) => u.adminOf === tenant.index) as SeededUser;
    const workspaces = this.workspaceCreates.filter((w) => w.tenant === tenant.index && w.id);
    const candidates = [
      globalIdOf("Organization", tenant.organizationId),
      globalIdOf("Template", tenant.templateId),
      globalIdOf("Group", tenant.everyoneGroupId),
      globalIdOf("Group", tenant.bigGroupId),
      globalIdOf("User", admin.userId),
      ...(workspaces.length > 0 ? [globalIdOf("Workspace", pick(workspaces).id as string)] : []),
    ];
    const id = pick(candidates);
    this.foreignLookups++;
    const result = await this.perform("nodeForeign", actor, Q.node, { id });
    const failed = this.readOutcome("nodeForeign", result);
    if (failed) return failed;
    if (result.body.data.node !== null) {
      this.leak(
        actor,
        `node(${Buffer.from(id, "base64")}) of ${tenant.tag} answered ${JSON.stringify(result.body.data.node)}`,
      );
    }
    return "ok";
  }

  private async createWorkspace(actor: Actor): Promise<string> {
    const tenant = pick(this.tenantsOf(actor));
    const name = `${actor.username}-w${++this.sequence}`;
    const key = `soak-${randomUUID()}`;
    const input = { templateId: globalIdOf("Template", tenant.templateId), name, idempotencyKey: key };
    const result = await this.perform("createWorkspace", actor, Q.createWorkspace, { input }, "createWorkspace");
    const op: WorkspaceCreate = {
      kind: "createWorkspace",
      actor,
      attempts: result.attempts,
      outcome: "unresolved",
      uncertain: result.uncertain,
      name,
      key,
      tenant: tenant.index,
      id: null,
    };
    this.workspaceCreates.push(op);
    const { code } = result.attempt;
    if (code === "OK") {
      const workspace = result.payload.workspace;
      if (workspace.owner.username !== actor.username || workspace.organization.name !== tenant.organizationName) {
        this.leak(actor, `created ${JSON.stringify(workspace)}`);
      }
      op.outcome = "ok";
      op.id = (decodeGlobalId(workspace.id) ?? "").split(":")[1] ?? null;
      const owned = this.owned.get(actor.index) ?? [];
      owned.push({ id: op.id as string, globalId: workspace.id, busy: false });
      this.owned.set(actor.index, owned);
      return "ok";
    }
    if (code === "QUOTA_EXCEEDED") {
      op.outcome = "refused";
      return "refused";
    }
    return result.gaveUp ? "unresolved" : this.noteUnexpected("createWorkspace", code, result.body);
  }

  private async transitionWorkspace(actor: Actor): Promise<string> {
    const workspace = this.takeOwned(actor);
    if (!workspace) return this.createWorkspace(actor);
    const roll = Math.random();
    const transition = roll < 0.5 ? "DELETE" : roll < 0.75 ? "STOP" : "START";
    const input = { workspaceId: workspace.globalId, transition };
    const result = await this.perform(
      "transitionWorkspace",
      actor,
      Q.transitionWorkspace,
      { input },
      "transitionWorkspace",
    );
    const op: Transition = {
      kind: "transitionWorkspace",
      actor,
      attempts: result.attempts,
      outcome: "unresolved",
      uncertain: result.uncertain,
      workspaceId: workspace.id,
      transition,
      buildNumber: null,
    };
    this.transitions.push(op);
    workspace.busy = false;
    const { code } = result.attempt;
    if (code === "OK") {
      op.outcome = "ok";
      op.buildNumber = result.payload.workspace.latestBuild.buildNumber;
      if (transition === "DELETE") this.forget(actor, workspace);
      return "ok";
    }
    if (code === "QUOTA_EXCEEDED" && transition === "START") {
      op.outcome = "refused";
      return "refused";
    }
    // A retried DELETE whose first attempt committed finds the workspace gone.
    if (code === "NOT_FOUND" && transition === "DELETE" && result.uncertain) {
      op.outcome = "confirmed";
      this.forget(actor, workspace);
      return "confirmed";
    }
    // Its state is unknown now: later operations leave it alone.
    this.forget(actor, workspace);
    return result.gaveUp ? "unresolved" : this.noteUnexpected("transitionWorkspace", code, result.body);
  }

  private async createGroup(actor: Actor): Promise<string> {
    const tenant = this.seeded.tenants[actor.adminOf as number] as Tenant;
    const name = `${tenant.tag}-g${++this.sequence}`;
    const input = { organizationId: globalIdOf("Organization", tenant.organizationId), name };
    const result = await this.perform("createGroup", actor, Q.createGroup, { input }, "createGroup");
    const op: GroupCreate = {
      kind: "createGroup",
      actor,
      attempts: result.attempts,
      outcome: "unresolved",
      uncertain: result.uncertain,
      name,
      tenant: tenant.index,
      id: null,
    };
    this.groupCreates.push(op);
    const { code } = result.attempt;
    if (code === "OK") {
      const group = result.payload.group;
      op.outcome = "ok";
      op.id = (decodeGlobalId(group.id) ?? "").split(":")[1] ?? null;
      const groups = this.groups.get(tenant.index) ?? [];
      groups.push({ id: op.id as string, globalId: group.id, busy: false });
      this.groups.set(tenant.index, groups);
      return "ok";
    }
    // A retry whose first attempt committed: the name is taken by that very group.
    if (code === "NAME_TAKEN" && result.uncertain) {
      op.outcome = "confirmed";
      return "confirmed";
    }
    return result.gaveUp ? "unresolved" : this.noteUnexpected("createGroup", code, result.body);
  }

  private async updateGroup(actor: Actor): Promise<string> {
    const tenant = actor.adminOf as number;
    const free = (this.groups.get(tenant) ?? []).filter((g) => !g.busy);
    if (free.length === 0) return this.createGroup(actor);
    const group = pick(free);
    group.busy = true;
    const displayName = `d${++this.sequence}`;
    // Never the quota allowance: budgets stay what the seed made them.
    const input = { groupId: group.globalId, displayName };
    const result = await this.perform("updateGroup", actor, Q.updateGroup, { input }, "updateGroup");
    group.busy = false;
    const op: GroupUpdate = {
      kind: "updateGroup",
      actor,
      attempts: result.attempts,
      outcome: "unresolved",
      uncertain: result.uncertain,
      groupId: group.id,
      displayName,
      end: this.now(),
    };
    this.groupUpdates.push(op);
    const { code } = result.attempt;
    if (code === "OK") {
      op.outcome = "ok";
      return "ok";
    }
    return result.gaveUp ? "unresolved" : this.noteUnexpected("updateGroup", code, result.body);
  }
}
