// Templates, workspaces and provisioners: the commands that queue jobs and the daemon that runs them.
import { hostname } from "node:os";
import { ApiError } from "../api.js";
import {
  type Command,
  type Ctx,
  count,
  enumList,
  followJob,
  groupByName,
  JOB_FIELDS,
  type Job,
  type Named,
  need,
  notFound,
  tags,
  templateByName,
  USER_ERRORS,
  UsageError,
  userByName,
  viewer,
} from "../context.js";
import { type Columns, lower, names, tagText } from "../output.js";

type Row = Record<string, any>;

// ---- templates

const TEMPLATE_FIELDS = `id name displayName description icon createdAt organization { name } createdBy { username }
  activeVersion { id name dailyCost job { ${JOB_FIELDS} } }`;
const TEMPLATE_COLUMNS: Columns<Row> = {
  name: (t) => t.name,
  organization: (t) => t.organization.name,
  "display name": (t) => t.displayName,
  version: (t) => t.activeVersion.name,
  import: (t) => lower(t.activeVersion.job.status),
  "daily cost": (t) => t.activeVersion.dailyCost,
  description: (t) => t.description,
  id: (t) => t.id,
};

async function templateRow(ctx: Ctx, name: string): Promise<Row> {
  const api = await ctx.api();
  const template = await templateByName(api, await ctx.org(), name);
  const data = await api.request(`query($id: ID!) { node(id: $id) { ... on Template { ${TEMPLATE_FIELDS} } } }`, {
    id: template.id,
  });
  return data.node;
}

const templatesCreate: Command = {
  name: "templates create",
  usage: "templates create NAME [--daily-cost N] [--tag KEY=VALUE ...] [--display-name TEXT] [--description TEXT]",
  summary: "create a template and wait for its first version's import (--detach: do not wait)",
  help: `  --disable-everyone-access   the Everyone group does not get USE on the template
  --timeout SECONDS           how long to wait for the import (300)`,
  async run(ctx) {
    const org = await ctx.org();
    const v = ctx.values;
    const name = ctx.arg(0, "the template NAME");
    const { template } = await (await ctx.api()).mutate(
      `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { ${TEMPLATE_FIELDS} } ${USER_ERRORS} } }`,
      {
        organizationId: org.id,
        name,
        displayName: v["display-name"],
        description: v.description,
        icon: v.icon,
        dailyCost: count(v["daily-cost"], "--daily-cost"),
        tags: tags(v.tag),
        disableEveryoneGroupAccess: v["disable-everyone-access"],
      },
      "createTemplate",
    );
    ctx.note(`Template ${name} created in ${org.name}; importing its first version.`);
    const succeeded = await followJob(ctx, template.activeVersion.job as Job, `Import of ${name}`);
    const row = succeeded ? await templateRow(ctx, name) : template;
    ctx.done(row, `Template ${name}: import ${lower(row.activeVersion.job.status)}.`);
  },
};

const templatesList: Command = {
  name: "templates list",
  usage: "templates list",
  summary: "templates you can see (of the -O or selected organization, else of all)",
  async run(ctx) {
    const org = await ctx.orgFilter();
    const rows = await (await ctx.api()).all<Row>(
      `query($org: ID, $first: Int, $after: String) { templates(organizationId: $org, first: $first, after: $after) {
        edges { node { ${TEMPLATE_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      { org: org?.id },
      (d) => d.templates,
    );
    ctx.print(rows ?? [], TEMPLATE_COLUMNS);
  },
};

const templatesShow: Command = {
  name: "templates show",
  usage: "templates show NAME",
  summary: "one template",
  async run(ctx) {
    ctx.printOne(await templateRow(ctx, ctx.arg(0, "the template NAME")), {
      ...TEMPLATE_COLUMNS,
      "created by": (t) => t.createdBy?.username,
    });
  },
};

const templatesEdit: Command = {
  name: "templates edit",
  usage:
    "templates edit NAME [--name NEW] [--display-name TEXT] [--description TEXT] [--icon URL] [--disable-everyone-access]",
  summary: "change a template (template admins)",
  async run(ctx) {
    const api = await ctx.api();
    const v = ctx.values;
    const found = await templateByName(api, await ctx.org(), ctx.arg(0, "the template NAME"));
    const { template } = await api.mutate(
      `mutation($input: UpdateTemplateInput!) { updateTemplate(input: $input) { template { ${TEMPLATE_FIELDS} } ${USER_ERRORS} } }`,
      {
        templateId: found.id,
        name: v.name,
        displayName: v["display-name"],
        description: v.description,
        icon: v.icon,
        disableEveryoneGroupAccess: v["disable-everyone-access"],
      },
      "updateTemplate",
    );
    ctx.done(template, `Template ${template.name} updated.`);
  },
};

const templatesDelete: Command = {
  name: "templates delete",
  usage: "templates delete NAME",
  summary: "delete a template (refused while workspaces use it)",
  async run(ctx) {
    const api = await ctx.api();
    const found = await templateByName(api, await ctx.org(), ctx.arg(0, "the template NAME"));
    await api.mutate(
      `mutation($input: DeleteTemplateInput!) { deleteTemplate(input: $input) { deletedId ${USER_ERRORS} } }`,
      { templateId: found.id },
      "deleteTemplate",
    );
    ctx.done({ deleted: found }, `Template ${found.name} deleted.`);
  },
};

const ACL_FIELDS = "acl { users { user { username } role } groups { group { name } role } }";

/** `alice=use`, `frontend=admin`, `bob=none` (removes the entry). */
function aclEntry(raw: string, option: string): [string, string | null] {
  const [who, role] = raw.split("=");
  const normalized = role?.toUpperCase();
  if (!who || (normalized !== "USE" && normalized !== "ADMIN" && normalized !== "NONE")) {
    throw new UsageError(`${option} must be NAME=use|admin|none, got "${raw}"`);
  }
  return [who, normalized === "NONE" ? null : normalized];
}

const templatesAcl: Command = {
  name: "templates acl",
  usage: "templates acl NAME [--user USERNAME=use|admin|none ...] [--group GROUP=use|admin|none ...]",
  summary: "show a template's access list, or change entries (none removes one)",
  async run(ctx) {
    const api = await ctx.api();
    const org = await ctx.org();
    const found = await templateByName(api, org, ctx.arg(0, "the template NAME"));
    const users = await Promise.all(
      (ctx.values.user ?? []).map(async (raw) => {
        const [who, role] = aclEntry(raw, "--user");
        return { userId: (await userByName(api, who)).id, role };
      }),
    );
    const groups = await Promise.all(
      (ctx.values.group ?? []).map(async (raw) => {
        const [who, role] = aclEntry(raw, "--group");
        return { groupId: (await groupByName(api, org, who)).id, role };
      }),
    );
    let acl: Row;
    if (users.length || groups.length) {
      ({
        template: { acl },
      } = await api.mutate(
        `mutation($input: UpdateTemplateAclInput!) { updateTemplateAcl(input: $input) { template { ${ACL_FIELDS} } ${USER_ERRORS} } }`,
        { templateId: found.id, users, groups },
        "updateTemplateAcl",
      ));
    } else {
      const data = await api.request(`query($id: ID!) { node(id: $id) { ... on Template { ${ACL_FIELDS} } } }`, {
        id: found.id,
      });
      acl = data.node.acl;
    }
    if (!acl) throw notFound(`the access list of ${found.name} (template admins only)`);
    const rows = [
      ...(acl.users as Row[]).map((u) => ({ type: "user", name: u.user.username, role: u.role })),
      ...(acl.groups as Row[]).map((g) => ({ type: "group", name: g.group.name, role: g.role })),
    ];
    ctx.print(rows, { type: (r) => r.type, name: (r) => r.name, role: (r) => lower(r.role) });
  },
};

// ---- workspaces

const BUILD_FIELDS = `latestBuild { buildNumber transition createdAt job { ${JOB_FIELDS} } }`;
const WORKSPACE_FIELDS = `id name deleted createdAt owner { username } organization { name } template { name } ${BUILD_FIELDS}`;
const WORKSPACE_COLUMNS: Columns<Row> = {
  name: (w) => w.name,
  owner: (w) => w.owner.username,
  organization: (w) => w.organization.name,
  template: (w) => w.template.name,
  "last build": (w) => `#${w.latestBuild.buildNumber} ${lower(w.latestBuild.transition)}`,
  status: (w) => lower(w.latestBuild.job.status),
  id: (w) => w.id,
};

/** The workspaces of the -O or selected organization (else all), of `ownerId` when given, filtered by the server. */
async function workspaces(
  ctx: Ctx,
  ownerId: string | undefined,
  filter: { status?: string[]; outdated?: boolean } = {},
): Promise<Row[]> {
  const org = await ctx.orgFilter();
  const rows = await (await ctx.api()).all<Row>(
    `query($org: ID, $owner: ID, $status: [WorkspaceStatus!], $outdated: Boolean, $first: Int, $after: String) {
      workspaces(organizationId: $org, ownerId: $owner, status: $status, outdated: $outdated, first: $first, after: $after) {
      edges { node { ${WORKSPACE_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
    { org: org?.id, owner: ownerId, ...filter },
    (d) => d.workspaces,
    75, // ~240 a row in the query cost
  );
  return rows ?? [];
}

/** `NAME` (yours, or --owner's) or `OWNER/NAME`, in the -O or selected organization if any. */
async function workspaceByRef(ctx: Ctx, ref: string): Promise<Row> {
  const api = await ctx.api();
  const [ownerName, name] = ref.includes("/") ? (ref.split("/", 2) as [string, string]) : [ctx.values.owner, ref];
  const owner = ownerName ? await userByName(api, ownerName) : await viewer(api);
  const matches = (await workspaces(ctx, owner.id)).filter((w) => w.name === name);
  if (matches.length === 0) throw notFound(`workspace "${owner.username}/${name}"`);
  if (matches.length > 1) throw new UsageError(`several workspaces are named "${name}": add -O ORG`);
  return matches[0] as Row;
}

/** Follows the workspace's new build (see followJob) and prints the workspace. */
async function finishBuild(ctx: Ctx, workspace: Row): Promise<void> {
  const build = workspace.latestBuild;
  const label = `Build #${build.buildNumber} (${lower(build.transition)}) of ${workspace.name}`;
  const succeeded = await followJob(ctx, build.job as Job, label);
  // Re-read after the build; a deleted workspace may no longer be visible: then the job says it.
  const latest =
    (succeeded &&
      (
        await (
          await ctx.api()
        ).request(`query($id: ID!) { node(id: $id) { ... on Workspace { ${WORKSPACE_FIELDS} } } }`, {
          id: workspace.id,
        })
      ).node) ||
    (succeeded ? { ...workspace, latestBuild: { ...build, job: { ...build.job, status: "SUCCEEDED" } } } : workspace);
  ctx.done(latest, `${label}: ${lower(latest.latestBuild.job.status)}.`);
}

const workspacesCreate: Command = {
  name: "workspaces create",
  usage: "workspaces create NAME --template TEMPLATE [--owner USERNAME] [--detach] [--timeout SECONDS]",
  summary: "create a workspace from a template of the organization and wait for its build",
  async run(ctx) {
    const api = await ctx.api();
    const org = await ctx.org();
    const template = await templateByName(api, org, need(ctx.values.template, "--template TEMPLATE"));
    const ownerId = ctx.values.owner ? (await userByName(api, ctx.values.owner)).id : undefined;
    const { workspace } = await api.mutate(
      `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { ${WORKSPACE_FIELDS} } ${USER_ERRORS} } }`,
      { templateId: template.id, name: ctx.arg(0, "the workspace NAME"), ownerId },
      "createWorkspace",
    );
    ctx.note(`Workspace ${workspace.owner.username}/${workspace.name} created in ${org.name}; building.`);
    await finishBuild(ctx, workspace);
  },
};

const workspacesList: Command = {
  name: "workspaces list",
  usage: "workspaces list [--all | --owner USERNAME] [--search TEXT] [--status STATUS,...] [--outdated]",
  summary: "your workspaces (--all: every one you can see), of the -O or selected organization, else of all",
  help: `  --search TEXT       only workspaces whose name, owner or template contains TEXT
  --status STATUS     pending, starting, running, stopping, stopped, failed, canceling, canceled,
                      deleting (repeat or comma-separate)
  --outdated          only workspaces whose latest build is not on the template's active version`,
  async run(ctx) {
    const api = await ctx.api();
    const ownerId = ctx.values.all
      ? undefined
      : (ctx.values.owner ? await userByName(api, ctx.values.owner) : await viewer(api)).id;
    const filter = { status: enumList(ctx.values.status), outdated: ctx.values.outdated || undefined };
    let rows = await workspaces(ctx, ownerId, filter);
    const search = ctx.values.search?.toLowerCase();
    if (search) {
      rows = rows.filter((w) =>
        [w.name, w.owner.username, w.template.name].some((s) => s.toLowerCase().includes(search)),
      );
    }
    ctx.print(rows, WORKSPACE_COLUMNS);
  },
};

const workspacesShow: Command = {
  name: "workspaces show",
  usage: "workspaces show [OWNER/]NAME",
  summary: "one workspace and its latest build",
  async run(ctx) {
    ctx.printOne(await workspaceByRef(ctx, ctx.arg(0, "the workspace NAME")), {
      ...WORKSPACE_COLUMNS,
      "daemons matching": (w) =>
        `${w.latestBuild.job.matchedProvisioners.count} (${w.latestBuild.job.matchedProvisioners.available} online)`,
      error: (w) => w.latestBuild.job.error,
    });
  },
};

function transition(verb: "start" | "stop" | "delete"): Command {
  return {
    name: `workspaces ${verb}`,
    usage: `workspaces ${verb} [OWNER/]NAME${verb === "delete" ? " [--orphan]" : ""} [--detach] [--timeout SECONDS]`,
    summary: `${verb} a workspace: queues a ${verb.toUpperCase()} build and waits for it`,
    help:
      verb === "delete"
        ? "  --orphan   delete at once without a provisioner, its resources left behind (owners, organization admins)"
        : undefined,
    async run(ctx) {
      const found = await workspaceByRef(ctx, ctx.arg(0, "the workspace NAME"));
      const orphan = verb === "delete" && ctx.values.orphan ? { orphan: true } : {};
      const { workspace } = await (await ctx.api()).mutate(
        `mutation($input: WorkspaceTransitionInput!) { transitionWorkspace(input: $input) { workspace { ${WORKSPACE_FIELDS} } ${USER_ERRORS} } }`,
        { workspaceId: found.id, transition: verb.toUpperCase(), ...orphan },
        "transitionWorkspace",
      );
      if (orphan.orphan) return ctx.done(workspace, `Workspace ${workspace.name} deleted (orphaned).`);
      await finishBuild(ctx, workspace);
    },
  };
}

// ---- provisioners

const keysCreate: Command = {
  name: "provisioner keys create",
  usage: "provisioner keys create NAME [--tag KEY=VALUE ...]",
  summary: "create a key for the organization's provisioner daemons; the secret is shown once",
  async run(ctx) {
    const org = await ctx.org();
    const name = ctx.arg(0, "the key NAME");
    const payload = await (await ctx.api()).mutate(
      `mutation($input: CreateProvisionerKeyInput!) { createProvisionerKey(input: $input) {
        key provisionerKey { id name createdAt tags { key value } organization { name } } ${USER_ERRORS} } }`,
      { organizationId: org.id, name, tags: tags(ctx.values.tag) },
      "createProvisionerKey",
    );
    ctx.done(
      { ...payload.provisionerKey, key: payload.key },
      `Successfully created provisioner key ${name}! Save this authentication token, it will not be shown again.\n\n${payload.key}`,
    );
  },
};

async function provisionerKeys(ctx: Ctx, org: Named): Promise<Row[]> {
  const data = await (await ctx.api()).request(
    `query($org: String!) { organization(name: $org) { provisionerKeys { id name createdAt tags { key value } daemons { name } } } }`,
    { org: org.name },
  );
  if (!data.organization) throw notFound(`organization "${org.name}"`);
  return data.organization.provisionerKeys;
}

const keysList: Command = {
  name: "provisioner keys list",
  usage: "provisioner keys list",
  summary: "the organization's provisioner keys (never their secrets)",
  async run(ctx) {
    ctx.print(await provisionerKeys(ctx, await ctx.org()), {
      name: (k) => k.name,
      tags: (k) => tagText(k.tags),
      daemons: (k) => names(k.daemons),
      "created at": (k) => k.createdAt,
      id: (k) => k.id,
    });
  },
};

const keysDelete: Command = {
  name: "provisioner keys delete",
  usage: "provisioner keys delete NAME",
  summary: "delete a key: its daemons are refused from then on",
  async run(ctx) {
    const org = await ctx.org();
    const name = ctx.arg(0, "the key NAME");
    const key = (await provisionerKeys(ctx, org)).find((k) => k.name === name);
    if (!key) throw notFound(`provisioner key "${name}" in ${org.name}`);
    await (await ctx.api()).mutate(
      `mutation($input: DeleteProvisionerKeyInput!) { deleteProvisionerKey(input: $input) { deletedId ${USER_ERRORS} } }`,
      { provisionerKeyId: key.id },
      "deleteProvisionerKey",
    );
    ctx.done({ deleted: { id: key.id, name: key.name } }, `Deleted provisioner key ${name}.`);
  },
};

const provisionerList: Command = {
  name: "provisioner list",
  usage: "provisioner list",
  summary: "the organization's provisioner daemons: status, tags, version, last seen",
  async run(ctx) {
    const org = await ctx.org();
    const data = await (await ctx.api()).request(
      `query($org: String!) { organization(name: $org) { provisionerDaemons {
        id name status version provisioners lastSeenAt createdAt tags { key value } key { name } currentJob { id type } } } }`,
      { org: org.name },
    );
    if (!data.organization) throw notFound(`organization "${org.name}"`);
    ctx.print(data.organization.provisionerDaemons as Row[], {
      name: (d) => d.name,
      status: (d) => lower(d.status),
      tags: (d) => tagText(d.tags),
      version: (d) => d.version,
      "last seen": (d) => d.lastSeenAt,
      key: (d) => d.key?.name,
      "current job": (d) => d.currentJob?.id,
      id: (d) => d.id,
    });
  },
};

const jobsList: Command = {
  name: "provisioner jobs list",
  usage: "provisioner jobs list [--status pending|running|succeeded|failed|canceling|canceled ...]",
  summary: "the organization's provisioner jobs, newest first",
  async run(ctx) {
    const org = await ctx.org();
    const status = enumList(ctx.values.status);
    const rows = await (await ctx.api()).all<Row>(
      `query($org: String!, $status: [ProvisionerJobStatus!], $first: Int, $after: String) { organization(name: $org) {
        provisionerJobs(status: $status, first: $first, after: $after) {
          edges { node { ${JOB_FIELDS} worker { name } } } pageInfo { hasNextPage endCursor } } } }`,
      { org: org.name, status },
      (d) => d.organization?.provisionerJobs,
    );
    ctx.print(rows ?? [], {
      id: (j) => j.id,
      type: (j) => lower(j.type),
      status: (j) => lower(j.status),
      "created at": (j) => j.createdAt,
      tags: (j) => tagText(j.tags),
      worker: (j) => j.worker?.name,
      "matched daemons": (j) => `${j.matchedProvisioners.count} (${j.matchedProvisioners.available} online)`,
      error: (j) => j.error,
    });
  },
};

const jobsCancel: Command = {
  name: "provisioner jobs cancel",
  usage: "provisioner jobs cancel JOB_ID",
  summary: "cancel a pending job at once, or a running one through its daemon",
  async run(ctx) {
    const { job } = await (await ctx.api()).mutate(
      `mutation($input: CancelProvisionerJobInput!) { cancelProvisionerJob(input: $input) { job { ${JOB_FIELDS} } ${USER_ERRORS} } }`,
      { jobId: ctx.arg(0, "the JOB_ID") },
      "cancelProvisionerJob",
    );
    ctx.done(job, `Job ${job.id} is ${lower(job.status)}.`);
  },
};

const provisionerdStart: Command = {
  name: "provisionerd start",
  usage: "provisionerd start [--key KEY] [--name NAME] [--poll-interval-ms N]",
  summary: "run a provisioner daemon with a key (PROVISIONER_DAEMON_KEY); its organization is the key's",
  help: `  --key KEY     the provisioner key (else PROVISIONER_DAEMON_KEY)
  -O ORG        refused unless it is the key's organization (the key decides)
  Environment: PROVISIONER_DAEMON_NAME, PROVISIONER_POLL_INTERVAL_MS, PROVISIONER_HEARTBEAT_MS,
  ECHO_FAIL=1, ECHO_DELAY_MS, LOG_LEVEL. Logs are JSON lines on stdout; SIGTERM stops after the job in hand.`,
  async run(ctx) {
    const [{ DaemonClient }, { KeyRefusedError, runDaemon }, { createLogger }] = await Promise.all([
      import("../../provisionerd/client.js"),
      import("../../provisionerd/daemon.js"),
      import("../../logger.js"),
    ]);
    const env = ctx.io.env;
    const key = ctx.values.key ?? env.PROVISIONER_DAEMON_KEY;
    if (!key)
      throw new UsageError("no key: give --key or PROVISIONER_DAEMON_KEY (create one with `provisioner keys create`)");
    const { url } = await ctx.target();
    const name = ctx.values.name ?? env.PROVISIONER_DAEMON_NAME ?? hostname();
    const pollIntervalMs =
      count(ctx.values["poll-interval-ms"] ?? env.PROVISIONER_POLL_INTERVAL_MS, "--poll-interval-ms") ?? 1000;
    const client = new DaemonClient(url, key, ctx.io.fetch);
    const registration = { name, version: "cli", provisioners: ["echo"] };
    const asked = ctx.values.org ?? env.ORGS_API_ORGANIZATION;
    // The server refuses an organization not the key's before registering anything. The daemon's
    // errors carry the server's code too: printed as the CLI's.
    const organization = await client
      .registerInOrganization({ ...registration, ...(asked ? { organization: asked } : {}) })
      .catch((error) => {
        const { code = "ERROR", message } = error as { code?: string; message: string };
        if (code === "INVALID_INPUT") throw new UsageError(asked ? `${message} Leave out -O.` : message);
        throw new ApiError(code, message);
      });
    const log = createLogger((env.LOG_LEVEL as "info" | undefined) ?? "info", { component: "provisionerd" }).child({
      daemon: name,
      organization,
    });
    log.info("starting", { url, pollIntervalMs });
    try {
      await runDaemon({
        client,
        name,
        version: registration.version,
        pollIntervalMs: Math.max(1, pollIntervalMs),
        heartbeatMs: count(env.PROVISIONER_HEARTBEAT_MS, "PROVISIONER_HEARTBEAT_MS") ?? 15_000,
        echo: { fail: env.ECHO_FAIL === "1", delayMs: count(env.ECHO_DELAY_MS, "ECHO_DELAY_MS") ?? 0 },
        log,
        signal: ctx.io.signal,
      });
    } catch (error) {
      if (error instanceof KeyRefusedError) throw new ApiError("UNAUTHENTICATED", error.message);
      throw error;
    }
  },
};

export const WORKLOAD_COMMANDS: Command[] = [
  templatesCreate,
  templatesList,
  templatesShow,
  templatesEdit,
  templatesDelete,
  templatesAcl,
  workspacesCreate,
  workspacesList,
  workspacesShow,
  transition("start"),
  transition("stop"),
  transition("delete"),
  keysCreate,
  keysList,
  keysDelete,
  provisionerList,
  jobsList,
  jobsCancel,
  provisionerdStart,
];
