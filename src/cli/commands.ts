// The CLI's commands, in the words of the organizations guide. Each takes the parsed arguments
// and an IO bundle; lookups by name (organization, user, template, group, workspace) happen here,
// because the API takes global ids.
import { hostname } from "node:os";
import { createLogger, type LogLevel } from "../logger.js";
import { DaemonClient } from "../provisionerd/client.js";
import { runDaemon } from "../provisionerd/daemon.js";
import { Api, ApiError, type Fetch } from "./api.js";
import { type Env, endpoint, resolveTarget, writeStored } from "./config.js";
import { json, type Out, table, tagText } from "./output.js";

export type Io = {
  env: Env;
  stdout: Out;
  stderr: Out;
  fetch: Fetch;
  /** The whole of standard input (login --password-stdin). */
  readStdin(): Promise<string>;
  /** Aborted on SIGINT/SIGTERM: provisionerd stops after its current job, waits stop. */
  signal: AbortSignal;
};

export type Args = {
  positionals: string[];
  values: {
    json?: boolean;
    org?: string;
    email?: string;
    token?: string;
    "password-stdin"?: boolean;
    tag?: string[];
    "daily-cost"?: string;
    "display-name"?: string;
    "quota-allowance"?: string;
    template?: string;
    owner?: string;
    detach?: boolean;
    timeout?: string;
    name?: string;
    "poll-interval-ms"?: string;
  };
};

export class UsageError extends Error {}

type Run = { args: Args; io: Io };

// ---- helpers

async function connect(io: Io, requireToken = true): Promise<Api> {
  const { url, token } = await resolveTarget(io.env);
  if (requireToken && !token) {
    throw new ApiError("NOT_LOGGED_IN", "not logged in: run `orgs-api login URL --email EMAIL` or set ORGS_API_TOKEN");
  }
  return new Api(url, token, io.fetch);
}

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

function count(raw: string | undefined, option: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${option} must be a whole number, got "${raw}"`);
  return Number(raw);
}

function tags(raw: string[] | undefined): { key: string; value: string }[] {
  return (raw ?? []).map((pair) => {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--tag must be KEY=VALUE, got "${pair}"`);
    return { key: pair.slice(0, at), value: pair.slice(at + 1) };
  });
}

const notFound = (what: string) => new ApiError("NOT_FOUND", `${what} not found (or not visible to you)`);

type Named = { id: string; name: string };

async function organizationByName(api: Api, name: string): Promise<Named> {
  const data = await api.request(`query($name: String!) { organization(name: $name) { id name } }`, { name });
  if (!data.organization) throw notFound(`organization "${name}"`);
  return data.organization;
}

async function userByName(api: Api, username: string): Promise<{ id: string; username: string }> {
  const data = await api.request(`query($u: String!) { user(username: $u) { id username } }`, { u: username });
  if (!data.user) throw notFound(`user "${username}"`);
  return data.user;
}

// Page sizes given through variables count in the query cost like literal ones: the costliest
// list here (workspaces with their latest build) weighs about 100 per row, so 150 rows stay
// within the default MAX_QUERY_COST (20,000) where 1,000 would not.
const PAGE = 150;

async function templateByName(api: Api, organizationId: string, name: string) {
  const data = await api.request(
    `query($org: ID!, $first: Int) { templates(organizationId: $org, first: $first) { edges { node { id name } } } }`,
    { org: organizationId, first: PAGE },
  );
  const found = (data.templates.edges as { node: Named }[]).find((e) => e.node.name === name);
  if (!found) throw notFound(`template "${name}"`);
  return found.node;
}

async function groupByName(api: Api, orgName: string, name: string) {
  const data = await api.request(
    `query($org: String!, $first: Int) { organization(name: $org) { groups(first: $first) { edges { node { id name } } } } }`,
    { org: orgName, first: PAGE },
  );
  if (!data.organization) throw notFound(`organization "${orgName}"`);
  const found = (data.organization.groups.edges as { node: Named }[]).find((e) => e.node.name === name);
  if (!found) throw notFound(`group "${name}"`);
  return found.node;
}

const BUILD_FIELDS = "latestBuild { buildNumber transition job { id status error } }";

async function workspaceByName(api: Api, name: string, args: Args) {
  const ownerId = (args.values.owner ? await userByName(api, args.values.owner) : await viewer(api)).id;
  const organizationId = args.values.org ? (await organizationByName(api, args.values.org)).id : undefined;
  const data = await api.request(
    `query($owner: ID, $org: ID, $first: Int) { workspaces(ownerId: $owner, organizationId: $org, first: $first) {
      edges { node { id name organization { name } ${BUILD_FIELDS} } } } }`,
    { owner: ownerId, org: organizationId, first: PAGE },
  );
  const matches = (data.workspaces.edges as { node: { id: string; name: string } }[]).filter(
    (e) => e.node.name === name,
  );
  if (matches.length === 0) throw notFound(`workspace "${name}"`);
  if (matches.length > 1) throw new UsageError(`several workspaces are named "${name}": add --org`);
  return matches[0]?.node as { id: string; name: string };
}

async function viewer(api: Api): Promise<{ id: string; username: string }> {
  const data = await api.request("{ viewer { id username } }");
  if (!data.viewer) throw new ApiError("UNAUTHENTICATED", "the stored credential is not accepted: log in again");
  return data.viewer;
}

const FINISHED = ["SUCCEEDED", "FAILED", "CANCELED"];

/**
 * Polls a provisioner job until it finishes or `timeout` passes, printing each status it moves
 * to on stderr. A failed or canceled job is an error.
 */
async function waitForJob(api: Api, io: Io, jobId: string, label: string, args: Args): Promise<void> {
  const timeoutMs = (count(args.values.timeout, "--timeout") ?? 300) * 1000;
  const pollMs = Number(io.env.ORGS_API_POLL_MS) || 500;
  const started = Date.now();
  let last = "";
  for (;;) {
    const data = await api.request(`query($id: ID!) { node(id: $id) { ... on ProvisionerJob { status error } } }`, {
      id: jobId,
    });
    const job = data.node as { status: string; error: string | null } | null;
    if (!job) throw notFound("the provisioner job");
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (job.status !== last) {
      last = job.status;
      io.stderr.write(`${label}: ${job.status.toLowerCase()} (${seconds}s)\n`);
    }
    if (job.status === "SUCCEEDED") return;
    if (FINISHED.includes(job.status)) {
      throw new ApiError(
        `JOB_${job.status}`,
        `${label} ${job.status.toLowerCase()}: ${job.error ?? "no reason given"}`,
      );
    }
    if (Date.now() - started > timeoutMs) {
      throw new ApiError(
        "TIMEOUT",
        `${label} is still ${job.status.toLowerCase()} after ${seconds}s; is a provisioner daemon of the organization running (\`orgs-api provisionerd start\`)?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

// ---- login

async function login({ args, io }: Run): Promise<void> {
  const url = endpoint(args.positionals[1] ?? io.env.ORGS_API_URL ?? (await resolveTarget(io.env)).url);
  let token = args.values.token;
  if (!token) {
    const email = need(args.values.email, "--email (or --token)");
    const password = args.values["password-stdin"]
      ? (await io.readStdin()).replace(/\r?\n$/, "")
      : io.env.ORGS_API_PASSWORD;
    if (!password) throw new UsageError("give the password on stdin with --password-stdin, or in ORGS_API_PASSWORD");
    const payload = await new Api(url, undefined, io.fetch).mutate<{ token: string }>(
      `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code message field } } }`,
      { email, password },
      "login",
    );
    token = payload.token;
  }
  const me = await viewer(new Api(url, token, io.fetch));
  const file = await writeStored(io.env, { url, token });
  if (args.values.json) json(io.stdout, { url, username: me.username, config: file });
  else io.stdout.write(`Logged in to ${url} as ${me.username}. Credentials saved in ${file}.\n`);
}

// ---- organizations

const ORG_FIELDS = "id name displayName description isDefault createdAt";

async function organizations({ args, io }: Run): Promise<void> {
  const api = await connect(io);
  const sub = args.positionals[1];
  if (sub === "create") {
    const name = need(args.positionals[2], "the organization NAME");
    const input = { name, displayName: args.values["display-name"] };
    const { organization } = await api.mutate(
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { ${ORG_FIELDS} } userErrors { code message field } } }`,
      input,
      "createOrganization",
    );
    if (args.values.json) return json(io.stdout, organization);
    io.stdout.write(`Organization ${organization.name} has been created!\n`);
    return;
  }
  if (sub === "list") {
    const data = await api.request(
      `query($first: Int) { organizations(first: $first) { edges { node { ${ORG_FIELDS} } } } }`,
      { first: PAGE },
    );
    const rows = (data.organizations.edges as { node: Record<string, any> }[]).map((e) => e.node);
    if (args.values.json) return json(io.stdout, rows);
    return table(
      io.stdout,
      ["NAME", "DISPLAY NAME", "DEFAULT", "ID"],
      rows.map((o) => [o.name, o.displayName, o.isDefault ? "yes" : "", o.id]),
    );
  }
  if (sub === "show") {
    const name = need(args.positionals[2] ?? args.values.org, "the organization NAME");
    const data = await api.request(
      `query($name: String!) { organization(name: $name) { ${ORG_FIELDS}
        members { totalCount } groups { totalCount } templates { totalCount } workspaces { totalCount }
        provisionerDaemons { name status } } }`,
      { name },
    );
    const org = data.organization;
    if (!org) throw notFound(`organization "${name}"`);
    if (args.values.json) return json(io.stdout, org);
    const online = (org.provisionerDaemons as { status: string }[]).filter((d) => d.status !== "OFFLINE").length;
    table(
      io.stdout,
      ["FIELD", "VALUE"],
      [
        ["name", org.name],
        ["display name", org.displayName],
        ["description", org.description],
        ["default", org.isDefault ? "yes" : "no"],
        ["id", org.id],
        ["members", org.members.totalCount],
        ["groups", org.groups.totalCount],
        ["templates", org.templates.totalCount],
        ["workspaces", org.workspaces.totalCount],
        ["provisioner daemons", `${org.provisionerDaemons.length} (${online} online)`],
        ["created", org.createdAt],
      ],
    );
    return;
  }
  throw new UsageError("organizations create NAME | list | show NAME");
}

// ---- provisioner keys and daemon

async function provisioner({ args, io }: Run): Promise<void> {
  if (args.positionals[1] !== "keys") throw new UsageError("provisioner keys create|list|delete");
  const api = await connect(io);
  const sub = args.positionals[2];
  const org = await organizationByName(api, need(args.values.org, "--org ORG"));
  if (sub === "create") {
    const name = need(args.positionals[3], "the key NAME");
    const payload = await api.mutate(
      `mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) {
        key provisionerKey { id name tags { key value } } userErrors { code message field } } }`,
      { organizationId: org.id, name, tags: tags(args.values.tag) },
      "createProvisionerKey",
    );
    if (args.values.json) return json(io.stdout, { ...payload.provisionerKey, key: payload.key });
    io.stdout.write(
      `Successfully created provisioner key ${name}! Save this authentication token, it will not be shown again.\n\n${payload.key}\n`,
    );
    return;
  }
  if (sub === "list") {
    const data = await api.request(
      `query($org: String!) { organization(name: $org) { provisionerKeys { id name createdAt tags { key value } daemons { name } } } }`,
      { org: org.name },
    );
    const keys = data.organization.provisionerKeys as Record<string, any>[];
    if (args.values.json) return json(io.stdout, keys);
    return table(
      io.stdout,
      ["NAME", "TAGS", "DAEMONS", "CREATED"],
      keys.map((k) => [k.name, tagText(k.tags), (k.daemons as Named[]).map((d) => d.name).join(","), k.createdAt]),
    );
  }
  if (sub === "delete") {
    const name = need(args.positionals[3], "the key NAME");
    const data = await api.request(
      `query($org: String!) { organization(name: $org) { provisionerKeys { id name } } }`,
      {
        org: org.name,
      },
    );
    const key = (data.organization.provisionerKeys as Named[]).find((k) => k.name === name);
    if (!key) throw notFound(`provisioner key "${name}"`);
    await api.mutate(
      `mutation($input: DeleteProvisionerKeyInput!) { deleteProvisionerKey(input: $input) { deletedId userErrors { code message field } } }`,
      { provisionerKeyId: key.id },
      "deleteProvisionerKey",
    );
    if (args.values.json) return json(io.stdout, { deleted: key });
    io.stdout.write(`Deleted provisioner key ${name}.\n`);
    return;
  }
  throw new UsageError("provisioner keys create NAME --org ORG | list --org ORG | delete NAME --org ORG");
}

/** The daemon of src/provisionerd, with its settings from the environment (see README, Provisioners). */
async function provisionerd({ args, io }: Run): Promise<void> {
  if (args.positionals[1] !== "start") throw new UsageError("provisionerd start --org ORG [--name NAME]");
  const org = need(args.values.org, "--org ORG");
  const key = io.env.PROVISIONER_DAEMON_KEY;
  if (!key) throw new UsageError("PROVISIONER_DAEMON_KEY is not set (create one with `provisioner keys create`)");
  const { url } = await resolveTarget(io.env);
  const name = args.values.name ?? io.env.PROVISIONER_DAEMON_NAME ?? hostname();
  const pollIntervalMs =
    count(args.values["poll-interval-ms"] ?? io.env.PROVISIONER_POLL_INTERVAL_MS, "--poll-interval-ms") ?? 1000;
  const level = (io.env.LOG_LEVEL as LogLevel | undefined) ?? "info";
  const log = createLogger(level, { component: "provisionerd" }).child({ daemon: name, organization: org });
  log.info("starting", { url, pollIntervalMs });
  await runDaemon({
    client: new DaemonClient(url, key, io.fetch),
    name,
    version: "cli",
    pollIntervalMs: Math.max(1, pollIntervalMs),
    heartbeatMs: count(io.env.PROVISIONER_HEARTBEAT_MS, "PROVISIONER_HEARTBEAT_MS") ?? 15_000,
    echo: { fail: io.env.ECHO_FAIL === "1", delayMs: count(io.env.ECHO_DELAY_MS, "ECHO_DELAY_MS") ?? 0 },
    log,
    signal: io.signal,
  });
}

// ---- templates

async function templates({ args, io }: Run): Promise<void> {
  const api = await connect(io);
  const sub = args.positionals[1];
  if (sub === "create") {
    const name = need(args.positionals[2], "the template NAME");
    const org = await organizationByName(api, need(args.values.org, "--org ORG"));
    const { template } = await api.mutate(
      `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) {
        template { id name organization { name } activeVersion { name dailyCost job { id status } } } userErrors { code message field } } }`,
      {
        organizationId: org.id,
        name,
        displayName: args.values["display-name"],
        dailyCost: count(args.values["daily-cost"], "--daily-cost"),
        tags: tags(args.values.tag),
      },
      "createTemplate",
    );
    if (!args.values.json) io.stdout.write(`Template ${name} created in ${org.name}; importing its first version.\n`);
    if (!args.values.detach) await waitForJob(api, io, template.activeVersion.job.id, `Import of ${name}`, args);
    if (args.values.json) return json(io.stdout, template);
    return;
  }
  if (sub === "list") {
    const organizationId = args.values.org ? (await organizationByName(api, args.values.org)).id : undefined;
    const data = await api.request(
      `query($org: ID, $first: Int) { templates(organizationId: $org, first: $first) { edges { node {
        id name displayName organization { name } activeVersion { name dailyCost job { status } } } } } }`,
      { org: organizationId, first: PAGE },
    );
    const rows = (data.templates.edges as { node: Record<string, any> }[]).map((e) => e.node);
    if (args.values.json) return json(io.stdout, rows);
    return table(
      io.stdout,
      ["NAME", "ORGANIZATION", "VERSION", "IMPORT", "DAILY COST"],
      rows.map((t) => [
        t.name,
        t.organization.name,
        t.activeVersion.name,
        t.activeVersion.job.status.toLowerCase(),
        t.activeVersion.dailyCost,
      ]),
    );
  }
  throw new UsageError("templates create NAME --org ORG [--daily-cost N] [--tag K=V] | list [--org ORG]");
}

// ---- members and groups

const MEMBER_FIELDS = "user { username email } roles { name } groups { name } createdAt";

async function members({ args, io }: Run): Promise<void> {
  const api = await connect(io);
  const sub = args.positionals[1];
  const org = await organizationByName(api, need(args.values.org, "--org ORG"));
  if (sub === "add" || sub === "remove") {
    const user = await userByName(api, need(args.positionals[2], "the USERNAME"));
    const input = { organizationId: org.id, userId: user.id };
    if (sub === "add") {
      await api.mutate(
        `mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { member { createdAt } userErrors { code message field } } }`,
        input,
        "addOrganizationMember",
      );
    } else {
      await api.mutate(
        `mutation($input: OrganizationMemberInput!) { removeOrganizationMember(input: $input) { deletedId userErrors { code message field } } }`,
        input,
        "removeOrganizationMember",
      );
    }
    if (args.values.json) return json(io.stdout, { organization: org.name, username: user.username, [sub]: true });
    io.stdout.write(
      sub === "add" ? `Added ${user.username} to ${org.name}.\n` : `Removed ${user.username} from ${org.name}.\n`,
    );
    return;
  }
  if (sub === "list") {
    const data = await api.request(
      `query($org: String!, $first: Int) { organization(name: $org) { members(first: $first) { edges { node { ${MEMBER_FIELDS} } } } } }`,
      { org: org.name, first: PAGE },
    );
    const rows = (data.organization.members.edges as { node: Record<string, any> }[]).map((e) => e.node);
    if (args.values.json) return json(io.stdout, rows);
    return table(
      io.stdout,
      ["USERNAME", "EMAIL", "ROLES", "GROUPS"],
      rows.map((m) => [
        m.user.username,
        m.user.email,
        (m.roles as { name: string }[]).map((r) => r.name).join(","),
        (m.groups as Named[]).map((g) => g.name).join(","),
      ]),
    );
  }
  throw new UsageError("members add USERNAME --org ORG | remove USERNAME --org ORG | list --org ORG");
}

async function groups({ args, io }: Run): Promise<void> {
  const api = await connect(io);
  const sub = args.positionals[1];
  const orgName = need(args.values.org, "--org ORG");
  if (sub === "list") {
    const data = await api.request(
      `query($org: String!, $first: Int) { organization(name: $org) { groups(first: $first) { edges { node {
        id name displayName quotaAllowance source totalMemberCount } } } } }`,
      { org: orgName, first: PAGE },
    );
    if (!data.organization) throw notFound(`organization "${orgName}"`);
    const rows = (data.organization.groups.edges as { node: Record<string, any> }[]).map((e) => e.node);
    if (args.values.json) return json(io.stdout, rows);
    return table(
      io.stdout,
      ["NAME", "DISPLAY NAME", "MEMBERS", "QUOTA ALLOWANCE", "SOURCE"],
      rows.map((g) => [g.name, g.displayName, g.totalMemberCount, g.quotaAllowance, g.source.toLowerCase()]),
    );
  }
  if (sub === "create") {
    const org = await organizationByName(api, orgName);
    const { group } = await api.mutate(
      `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id name quotaAllowance } userErrors { code message field } } }`,
      {
        organizationId: org.id,
        name: need(args.positionals[2], "the group NAME"),
        displayName: args.values["display-name"],
        quotaAllowance: count(args.values["quota-allowance"], "--quota-allowance"),
      },
      "createGroup",
    );
    if (args.values.json) return json(io.stdout, group);
    io.stdout.write(`Group ${group.name} created in ${org.name}.\n`);
    return;
  }
  if (sub === "add-member") {
    const group = await groupByName(api, orgName, need(args.positionals[2], "the GROUP"));
    const user = await userByName(api, need(args.positionals[3], "the USERNAME"));
    await api.mutate(
      `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { id } userErrors { code message field } } }`,
      { groupId: group.id, addUserIds: [user.id] },
      "updateGroup",
    );
    if (args.values.json) return json(io.stdout, { group: group.name, username: user.username, added: true });
    io.stdout.write(`Added ${user.username} to group ${group.name}.\n`);
    return;
  }
  throw new UsageError(
    "groups list --org ORG | create NAME --org ORG [--quota-allowance N] | add-member GROUP USERNAME --org ORG",
  );
}

// ---- workspaces

async function workspaces({ args, io }: Run): Promise<void> {
  const api = await connect(io);
  const sub = args.positionals[1];
  if (sub === "create") {
    const name = need(args.positionals[2], "the workspace NAME");
    const org = await organizationByName(api, need(args.values.org, "--org ORG"));
    const template = await templateByName(api, org.id, need(args.values.template, "--template TEMPLATE"));
    const ownerId = args.values.owner ? (await userByName(api, args.values.owner)).id : undefined;
    const { workspace } = await api.mutate(
      `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) {
        workspace { id name owner { username } ${BUILD_FIELDS} } userErrors { code message field } } }`,
      { templateId: template.id, name, ownerId },
      "createWorkspace",
    );
    if (!args.values.json) io.stdout.write(`Workspace ${name} created; building.\n`);
    return finishBuild(api, io, args, workspace);
  }
  if (sub === "stop" || sub === "start" || sub === "delete") {
    const found = await workspaceByName(api, need(args.positionals[2], "the workspace NAME"), args);
    const { workspace } = await api.mutate(
      `mutation($input: WorkspaceTransitionInput!) { transitionWorkspace(input: $input) {
        workspace { id name owner { username } ${BUILD_FIELDS} } userErrors { code message field } } }`,
      { workspaceId: found.id, transition: sub.toUpperCase() },
      "transitionWorkspace",
    );
    return finishBuild(api, io, args, workspace);
  }
  if (sub === "list") {
    const organizationId = args.values.org ? (await organizationByName(api, args.values.org)).id : undefined;
    const ownerId = args.values.owner ? (await userByName(api, args.values.owner)).id : undefined;
    const data = await api.request(
      `query($org: ID, $owner: ID, $first: Int) { workspaces(organizationId: $org, ownerId: $owner, first: $first) {
        edges { node { id name owner { username } organization { name } template { name } ${BUILD_FIELDS} } } } }`,
      { org: organizationId, owner: ownerId, first: PAGE },
    );
    const rows = (data.workspaces.edges as { node: Record<string, any> }[]).map((e) => e.node);
    if (args.values.json) return json(io.stdout, rows);
    return table(
      io.stdout,
      ["NAME", "OWNER", "ORGANIZATION", "TEMPLATE", "LAST BUILD", "STATUS"],
      rows.map((w) => [
        w.name,
        w.owner.username,
        w.organization.name,
        w.template.name,
        `#${w.latestBuild.buildNumber} ${w.latestBuild.transition.toLowerCase()}`,
        w.latestBuild.job.status.toLowerCase(),
      ]),
    );
  }
  throw new UsageError(
    "workspaces create NAME --org ORG --template TEMPLATE [--owner USERNAME] | list [--org ORG] [--owner USERNAME] | start|stop|delete NAME [--owner USERNAME] [--org ORG]",
  );
}

type BuiltWorkspace = {
  name: string;
  latestBuild: { buildNumber: number; transition: string; job: { id: string } };
};

/** Waits for the workspace's new build (unless --detach) and reports it. */
async function finishBuild(api: Api, io: Io, args: Args, workspace: BuiltWorkspace): Promise<void> {
  const build = workspace.latestBuild;
  const label = `Build #${build.buildNumber} (${build.transition.toLowerCase()}) of ${workspace.name}`;
  if (!args.values.detach) await waitForJob(api, io, build.job.id, label, args);
  if (args.values.json) return json(io.stdout, workspace);
  io.stdout.write(args.values.detach ? `${label} queued.\n` : `${label} succeeded.\n`);
}

export const COMMANDS: Record<string, (run: Run) => Promise<void>> = {
  login,
  organizations,
  provisioner,
  provisionerd,
  templates,
  members,
  groups,
  workspaces,
};
