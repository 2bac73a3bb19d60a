// Organizations and what lives in them for people: members, roles, groups, IdP sync, audit.
import { updateProfile } from "../config.js";
import {
  type Command,
  type Ctx,
  count,
  enumList,
  groupByName,
  list,
  type Named,
  need,
  notFound,
  organizationByName,
  USER_ERRORS,
  UsageError,
  userByName,
} from "../context.js";
import { type Columns, json, lower, names } from "../output.js";

type Row = Record<string, any>;

// ---- organizations

const ORG_FIELDS = "id name displayName description icon isDefault createdAt";
const ORG_COLUMNS: Columns<Row> = {
  name: (o) => o.name,
  "display name": (o) => o.displayName,
  default: (o) => (o.isDefault ? "yes" : ""),
  description: (o) => o.description,
  id: (o) => o.id,
};

/** The organization named by the first argument, else the one the command acts in. */
async function orgArgument(ctx: Ctx): Promise<Named> {
  return ctx.args[0] ? organizationByName(await ctx.api(), ctx.args[0]) : ctx.org();
}

const organizationsCreate: Command = {
  name: "organizations create",
  usage: "organizations create NAME [--display-name TEXT] [--description TEXT] [--icon URL]",
  summary: "create an organization (site owners)",
  async run(ctx) {
    const v = ctx.values;
    const { organization } = await (await ctx.api()).mutate(
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { ${ORG_FIELDS} } ${USER_ERRORS} } }`,
      {
        name: ctx.arg(0, "the organization NAME"),
        displayName: v["display-name"],
        description: v.description,
        icon: v.icon,
      },
      "createOrganization",
    );
    ctx.done(organization, `Organization ${organization.name} has been created!`);
  },
};

const organizationsList: Command = {
  name: "organizations list",
  usage: "organizations list",
  summary: "organizations you can see",
  async run(ctx) {
    const rows = await (await ctx.api()).all<Row>(
      `query($first: Int, $after: String) { organizations(first: $first, after: $after) {
        edges { node { ${ORG_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      {},
      (d) => d.organizations,
    );
    ctx.print(rows ?? [], ORG_COLUMNS);
  },
};

const organizationsShow: Command = {
  name: "organizations show",
  usage: "organizations show [NAME]",
  summary: "one organization with its counts (default: the one -O or the profile selects)",
  async run(ctx) {
    const org = await orgArgument(ctx);
    const data = await (await ctx.api()).request(
      `query($name: String!) { organization(name: $name) { ${ORG_FIELDS}
        members { totalCount } groups { totalCount } templates { totalCount } workspaces { totalCount }
        provisionerDaemons { name status } } }`,
      { name: org.name },
    );
    const online = (o: Row) => (o.provisionerDaemons as Row[]).filter((d) => d.status !== "OFFLINE").length;
    ctx.printOne(data.organization as Row, {
      ...ORG_COLUMNS,
      members: (o) => o.members.totalCount,
      groups: (o) => o.groups.totalCount,
      templates: (o) => o.templates.totalCount,
      workspaces: (o) => o.workspaces.totalCount,
      provisioners: (o) => `${o.provisionerDaemons.length} (${online(o)} online)`,
    });
  },
};

const organizationsEdit: Command = {
  name: "organizations edit",
  usage: "organizations edit NAME [--name NEW] [--display-name TEXT] [--description TEXT] [--icon URL]",
  summary: "change an organization's name, display name, description or icon",
  async run(ctx) {
    const v = ctx.values;
    const org = await organizationByName(await ctx.api(), ctx.arg(0, "the organization NAME"));
    const { organization } = await (await ctx.api()).mutate(
      `mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { ${ORG_FIELDS} } ${USER_ERRORS} } }`,
      {
        organizationId: org.id,
        name: v.name,
        displayName: v["display-name"],
        description: v.description,
        icon: v.icon,
      },
      "updateOrganization",
    );
    ctx.done(organization, `Organization ${organization.name} updated.`);
  },
};

const organizationsDelete: Command = {
  name: "organizations delete",
  usage: "organizations delete NAME",
  summary: "delete an empty organization (not the default one)",
  async run(ctx) {
    const org = await organizationByName(await ctx.api(), ctx.arg(0, "the organization NAME"));
    await (await ctx.api()).mutate(
      `mutation($input: DeleteOrganizationInput!) { deleteOrganization(input: $input) { deletedId ${USER_ERRORS} } }`,
      { organizationId: org.id },
      "deleteOrganization",
    );
    ctx.done({ deleted: org }, `Organization ${org.name} deleted.`);
  },
};

const organizationsSelect: Command = {
  name: "organizations select",
  usage: "organizations select [NAME]",
  summary: "the organization commands act in when -O is not given (no NAME: back to the default)",
  async run(ctx) {
    const target = await ctx.target();
    const org = ctx.args[0] ? await organizationByName(await ctx.api(), ctx.args[0]) : undefined;
    await updateProfile(ctx.io.env, target.profile, { organization: org?.name });
    ctx.done(
      { profile: target.profile, organization: org?.name ?? null },
      org ? `Selected organization ${org.name} (profile ${target.profile}).` : "Back to the default organization.",
    );
  },
};

// ---- members

const MEMBER_FIELDS = "user { id username email name status } roles { name } groups { name } createdAt";
const MEMBER_COLUMNS: Columns<Row> = {
  username: (m) => m.user.username,
  email: (m) => m.user.email,
  roles: (m) => names(m.roles),
  groups: (m) => names(m.groups),
  "joined at": (m) => m.createdAt,
};

function memberChange(verb: "add" | "remove"): Command {
  const field = verb === "add" ? "addOrganizationMember" : "removeOrganizationMember";
  return {
    name: `members ${verb}`,
    usage: `members ${verb} USERNAME`,
    summary: verb === "add" ? "add a user to the organization" : "remove a member (their workspaces stay)",
    async run(ctx) {
      const api = await ctx.api();
      const org = await ctx.org();
      const user = await userByName(api, ctx.arg(0, "the USERNAME"));
      await api.mutate(
        `mutation($input: OrganizationMemberInput!) { ${field}(input: $input) { ${verb === "add" ? "member { createdAt }" : "deletedId"} ${USER_ERRORS} } }`,
        { organizationId: org.id, userId: user.id },
        field,
      );
      ctx.done(
        { organization: org.name, username: user.username, [verb === "add" ? "added" : "removed"]: true },
        verb === "add" ? `Added ${user.username} to ${org.name}.` : `Removed ${user.username} from ${org.name}.`,
      );
    },
  };
}

const membersList: Command = {
  name: "members list",
  usage: "members list",
  summary: "the organization's members with their roles and groups",
  async run(ctx) {
    const org = await ctx.org();
    const rows = await (await ctx.api()).all<Row>(
      `query($org: String!, $first: Int, $after: String) { organization(name: $org) { members(first: $first, after: $after) {
        edges { node { ${MEMBER_FIELDS} } } pageInfo { hasNextPage endCursor } } } }`,
      { org: org.name },
      (d) => d.organization?.members,
    );
    ctx.print(rows ?? [], MEMBER_COLUMNS);
  },
};

const membersEditRoles: Command = {
  name: "members edit-roles",
  usage: "members edit-roles USERNAME [ROLE ...] | --roles ROLE,...",
  summary: "replace a member's organization roles (none given: only organization-member)",
  async run(ctx) {
    const api = await ctx.api();
    const org = await ctx.org();
    const user = await userByName(api, ctx.arg(0, "the USERNAME"));
    const roles = [...ctx.args.slice(1), ...list(ctx.values.roles)];
    const { member } = await api.mutate(
      `mutation($input: UpdateOrganizationMemberRolesInput!) { updateOrganizationMemberRoles(input: $input) { member { ${MEMBER_FIELDS} } ${USER_ERRORS} } }`,
      { organizationId: org.id, userId: user.id, roles },
      "updateOrganizationMemberRoles",
    );
    ctx.done(
      member,
      `Roles of ${user.username} in ${org.name}: ${names(member.roles) || "(organization-member only)"}.`,
    );
  },
};

// ---- roles

const ROLE_FIELDS = "name displayName builtIn assignable permissions { resource action negate }";
type Permission = { resource: string; action: string; negate?: boolean };
const ROLE_COLUMNS: Columns<Row> = {
  name: (r) => r.name,
  "display name": (r) => r.displayName,
  "built in": (r) => (r.builtIn ? "yes" : ""),
  assignable: (r) => (r.assignable ? "yes" : ""),
  permissions: (r) =>
    (r.permissions as Permission[])
      .map((p) => `${p.negate ? "-" : ""}${lower(p.resource)}:${lower(p.action)}`)
      .join(","),
};

async function orgRoles(ctx: Ctx, org: Named): Promise<Row[]> {
  const data = await (await ctx.api()).request(
    `query($org: String!) { organization(name: $org) { roles { ${ROLE_FIELDS} } } }`,
    { org: org.name },
  );
  if (!data.organization) throw notFound(`organization "${org.name}"`);
  return data.organization.roles;
}

/** `workspace:read` pairs (case and -/_ free) or a JSON list of {resource, action}; JSON "-" is stdin. */
async function permissions(ctx: Ctx): Promise<Permission[]> {
  const pairs = [...ctx.args.slice(1), ...(ctx.values.permission ?? []).flatMap((p) => p.split(","))].filter(Boolean);
  const raw = ctx.values.permissions;
  const parsed: Permission[] = [];
  if (raw !== undefined) {
    const text = raw === "-" ? await ctx.io.readStdin() : raw;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new UsageError("--permissions must be a JSON list of {resource, action}");
    }
    if (!Array.isArray(value)) throw new UsageError("--permissions must be a JSON list of {resource, action}");
    for (const p of value as Permission[]) parsed.push({ resource: p.resource, action: p.action });
  }
  for (const pair of pairs) {
    const [resource, action, extra] = pair.split(":");
    if (!resource || !action || extra !== undefined) {
      throw new UsageError(`a permission is RESOURCE:ACTION (e.g. workspace:read), got "${pair}"`);
    }
    parsed.push({ resource, action });
  }
  const upper = (s: string) => String(s).toUpperCase().replaceAll("-", "_");
  return parsed.map((p) => ({ resource: upper(p.resource), action: upper(p.action) }));
}

const rolesList: Command = {
  name: "roles list",
  usage: "roles list",
  summary: "the organization's roles, built-in and custom",
  async run(ctx) {
    ctx.print(await orgRoles(ctx, await ctx.org()), ROLE_COLUMNS);
  },
};

const rolesShow: Command = {
  name: "roles show",
  usage: "roles show NAME",
  summary: "one role with its permissions",
  async run(ctx) {
    const name = ctx.arg(0, "the role NAME");
    const org = await ctx.org();
    const role = (await orgRoles(ctx, org)).find((r) => r.name === name);
    if (!role) throw notFound(`role "${name}" in ${org.name}`);
    ctx.printOne(role, ROLE_COLUMNS);
  },
};

function roleWrite(verb: "create" | "update"): Command {
  const field = verb === "create" ? "createCustomRole" : "updateCustomRole";
  return {
    name: `roles ${verb}`,
    usage: `roles ${verb} NAME [RESOURCE:ACTION ...] [--permission RESOURCE:ACTION ...] [--permissions JSON|-] [--display-name TEXT]`,
    summary: verb === "create" ? "create a custom organization role" : "replace a custom role's permissions",
    help: `  Permissions as pairs (workspace:read template:use) or JSON ('[{"resource":"WORKSPACE","action":"READ"}]',
  "-" reads it from stdin); resources and actions are those of \`roles list\` (case and -/_ do not matter).`,
    async run(ctx) {
      const org = await ctx.org();
      const { role } = await (await ctx.api()).mutate(
        `mutation($input: CustomRoleInput!) { ${field}(input: $input) { role { ${ROLE_FIELDS} } ${USER_ERRORS} } }`,
        {
          organizationId: org.id,
          name: ctx.arg(0, "the role NAME"),
          displayName: ctx.values["display-name"],
          permissions: await permissions(ctx),
        },
        field,
      );
      ctx.done(role, `Role ${role.name} ${verb}d in ${org.name}.`);
    },
  };
}

const rolesDelete: Command = {
  name: "roles delete",
  usage: "roles delete NAME",
  summary: "delete a custom role; members who held it lose it",
  async run(ctx) {
    const org = await ctx.org();
    const name = ctx.arg(0, "the role NAME");
    await (await ctx.api()).mutate(
      `mutation($input: DeleteCustomRoleInput!) { deleteCustomRole(input: $input) { deletedId ${USER_ERRORS} } }`,
      { organizationId: org.id, name },
      "deleteCustomRole",
    );
    ctx.done({ deleted: { organization: org.name, name } }, `Role ${name} deleted from ${org.name}.`);
  },
};

// ---- groups

const GROUP_FIELDS = "id name displayName avatarUrl quotaAllowance source isEveryone totalMemberCount";
const GROUP_COLUMNS: Columns<Row> = {
  name: (g) => g.name,
  "display name": (g) => g.displayName,
  members: (g) => g.totalMemberCount,
  "quota allowance": (g) => g.quotaAllowance,
  source: (g) => lower(g.source),
  id: (g) => g.id,
};

const groupsCreate: Command = {
  name: "groups create",
  usage: "groups create NAME [--display-name TEXT] [--avatar-url URL] [--quota-allowance N]",
  summary: "create a group in the organization",
  async run(ctx) {
    const org = await ctx.org();
    const v = ctx.values;
    const { group } = await (await ctx.api()).mutate(
      `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { ${GROUP_FIELDS} } ${USER_ERRORS} } }`,
      {
        organizationId: org.id,
        name: ctx.arg(0, "the group NAME"),
        displayName: v["display-name"],
        avatarUrl: v["avatar-url"],
        quotaAllowance: count(v["quota-allowance"], "--quota-allowance"),
      },
      "createGroup",
    );
    ctx.done(group, `Group ${group.name} created in ${org.name}.`);
  },
};

const groupsList: Command = {
  name: "groups list",
  usage: "groups list",
  summary: "the organization's groups",
  async run(ctx) {
    const org = await ctx.org();
    const rows = await (await ctx.api()).all<Row>(
      `query($org: String!, $first: Int, $after: String) { organization(name: $org) { groups(first: $first, after: $after) {
        edges { node { ${GROUP_FIELDS} } } pageInfo { hasNextPage endCursor } } } }`,
      { org: org.name },
      (d) => d.organization?.groups,
    );
    ctx.print(rows ?? [], GROUP_COLUMNS);
  },
};

const groupsShow: Command = {
  name: "groups show",
  usage: "groups show NAME",
  summary: "one group with its members",
  async run(ctx) {
    const api = await ctx.api();
    const group = await groupByName(api, await ctx.org(), ctx.arg(0, "the group NAME"));
    const data = await api.request(`query($id: ID!) { node(id: $id) { ... on Group { ${GROUP_FIELDS} } } }`, {
      id: group.id,
    });
    const members = await api.all<Row>(
      `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Group { members(first: $first, after: $after) {
        edges { node { username } } pageInfo { hasNextPage endCursor } } } } }`,
      { id: group.id },
      (d) => d.node?.members,
    );
    ctx.printOne({ ...data.node, members: (members ?? []).map((m) => m.username) } as Row, {
      ...GROUP_COLUMNS,
      members: (g) => (g.members as string[]).join(","),
    });
  },
};

async function updateGroup(ctx: Ctx, group: Named, input: Record<string, unknown>): Promise<Row> {
  const { group: updated } = await (await ctx.api()).mutate(
    `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { group { ${GROUP_FIELDS} } ${USER_ERRORS} } }`,
    { groupId: group.id, ...input },
    "updateGroup",
  );
  return updated;
}

const groupsEdit: Command = {
  name: "groups edit",
  usage: "groups edit NAME [--name NEW] [--display-name TEXT] [--avatar-url URL] [--quota-allowance N]",
  summary: "change a group",
  async run(ctx) {
    const v = ctx.values;
    const group = await groupByName(await ctx.api(), await ctx.org(), ctx.arg(0, "the group NAME"));
    const updated = await updateGroup(ctx, group, {
      name: v.name,
      displayName: v["display-name"],
      avatarUrl: v["avatar-url"],
      quotaAllowance: count(v["quota-allowance"], "--quota-allowance"),
    });
    ctx.done(updated, `Group ${updated.name} updated.`);
  },
};

function groupMembership(verb: "add-member" | "remove-member"): Command {
  return {
    name: `groups ${verb}`,
    usage: `groups ${verb} GROUP USERNAME...`,
    summary: verb === "add-member" ? "add organization members to a group" : "remove users from a group",
    async run(ctx) {
      const api = await ctx.api();
      const group = await groupByName(api, await ctx.org(), ctx.arg(0, "the GROUP"));
      const usernames = ctx.args.slice(1);
      need(usernames[0], "a USERNAME");
      const ids = await Promise.all(usernames.map(async (u) => (await userByName(api, u)).id));
      const updated = await updateGroup(
        ctx,
        group,
        verb === "add-member" ? { addUserIds: ids } : { removeUserIds: ids },
      );
      ctx.done(
        updated,
        `${verb === "add-member" ? "Added" : "Removed"} ${usernames.join(", ")} ${verb === "add-member" ? "to" : "from"} group ${group.name}.`,
      );
    },
  };
}

const groupsDelete: Command = {
  name: "groups delete",
  usage: "groups delete NAME",
  summary: "delete a group",
  async run(ctx) {
    const group = await groupByName(await ctx.api(), await ctx.org(), ctx.arg(0, "the group NAME"));
    await (await ctx.api()).mutate(
      `mutation($input: DeleteGroupInput!) { deleteGroup(input: $input) { deletedId ${USER_ERRORS} } }`,
      { groupId: group.id },
      "deleteGroup",
    );
    ctx.done({ deleted: group }, `Group ${group.name} deleted.`);
  },
};

// ---- IdP sync: JSON in, JSON out

const SYNC = {
  organization: "field mapping { claimValue targets } assignDefault",
  groups: "field mapping { claimValue targets } regexFilter autoCreateMissingGroups",
  roles: "field mapping { claimValue targets }",
};
type SyncKind = keyof typeof SYNC;

function syncKind(raw: string | undefined): SyncKind {
  if (raw === "organization" || raw === "groups" || raw === "roles") return raw;
  throw new UsageError(`which settings: organization, groups or roles (got "${raw ?? ""}")`);
}

const idpSyncShow: Command = {
  name: "idp-sync show",
  usage: "idp-sync show [organization|groups|roles]",
  summary: "IdP sync settings as JSON (organization sync is deployment-wide; groups and roles per organization)",
  async run(ctx) {
    const api = await ctx.api();
    const org = await ctx.org();
    const data = await api.request(
      `query($org: String!) { organizationSyncSettings { ${SYNC.organization} }
        organization(name: $org) { groupSyncSettings { ${SYNC.groups} } roleSyncSettings { ${SYNC.roles} } } }`,
      { org: org.name },
    );
    const all = {
      organization: data.organizationSyncSettings,
      groups: data.organization?.groupSyncSettings ?? null,
      roles: data.organization?.roleSyncSettings ?? null,
    };
    json(ctx.io.stdout, ctx.args[0] ? all[syncKind(ctx.args[0])] : all);
  },
};

const idpSyncSet: Command = {
  name: "idp-sync set",
  usage: "idp-sync set organization|groups|roles JSON|-",
  summary: "replace IdP sync settings with a JSON document (- reads stdin); prints the result as JSON",
  help: `  organization: {"field":"groups","mapping":[{"claimValue":"data","targets":["<organization id>"]}],"assignDefault":true}
  groups:       {"field":"groups","mapping":[...group ids...],"regexFilter":null,"autoCreateMissingGroups":false}
  roles:        {"field":"roles","mapping":[{"claimValue":"admins","targets":["organization-admin"]}]}`,
  async run(ctx) {
    const kind = syncKind(ctx.args[0]);
    const raw = ctx.arg(1, "the settings as JSON (or - for stdin)");
    let input: Row;
    try {
      input = JSON.parse(raw === "-" ? await ctx.io.readStdin() : raw);
    } catch {
      throw new UsageError("the settings must be a JSON object");
    }
    const api = await ctx.api();
    const field = {
      organization: "updateOrganizationSyncSettings",
      groups: "updateGroupSyncSettings",
      roles: "updateRoleSyncSettings",
    }[kind];
    const type = { organization: "Organization", groups: "Group", roles: "Role" }[kind];
    if (kind !== "organization") input = { ...input, organizationId: (await ctx.org()).id };
    const { settings } = await api.mutate(
      `mutation($input: Update${type}SyncSettingsInput!) { ${field}(input: $input) { settings { ${SYNC[kind]} } ${USER_ERRORS} } }`,
      input,
      field,
    );
    json(ctx.io.stdout, settings);
  },
};

// ---- audit

const auditList: Command = {
  name: "audit list",
  usage:
    "audit list [--action ACTION ...] [--resource-type TYPE ...] [--actor USERNAME] [--since TIME] [--until TIME] [--search TEXT]",
  summary: "audit log entries, newest first (of the -O or selected organization, else all you may read)",
  help: `  --action ACTION        create, update, delete, login, ... (repeat or comma-separate)
  --resource-type TYPE   user, organization, template, workspace, ... (repeat or comma-separate)
  --actor USERNAME       who acted
  --since/--until TIME   an ISO 8601 time (2026-01-31T12:00:00Z)
  --search TEXT          part of the resource's name`,
  async run(ctx) {
    const org = await ctx.orgFilter();
    const v = ctx.values;
    const filter = {
      actions: enumList(v.action),
      resourceTypes: enumList(v["resource-type"]),
      actorUsername: v.actor,
      since: v.since,
      until: v.until,
      search: v.search,
    };
    const rows = await (await ctx.api()).all<Row>(
      `query($org: ID, $filter: AuditLogFilter, $first: Int, $after: String) { auditLogs(organizationId: $org, filter: $filter, first: $first, after: $after) {
        edges { node { id time action resourceType resourceId resourceName actor { username } organization { name } diff requestId } }
        pageInfo { hasNextPage endCursor } } }`,
      { org: org?.id, filter },
      (d) => d.auditLogs,
    );
    ctx.print(rows ?? [], {
      time: (a) => a.time,
      action: (a) => lower(a.action),
      "resource type": (a) => lower(a.resourceType),
      resource: (a) => a.resourceName,
      actor: (a) => a.actor?.username,
      organization: (a) => a.organization?.name,
      diff: (a) => a.diff,
    });
  },
};

// ---- access review ("who can?")

const accessReview: Command = {
  name: "access review",
  usage: "access review --action ACTION --object ID [-o csv|json|table]",
  summary: "every user who may perform ACTION on the object, one row per grant (what allows them)",
  help: `  --action ACTION   create, read, update, delete, use, start, stop, assign or unassign
  --object ID       the object's global id (an organization, user, group, template, workspace, ...)
  Users you may not read are only counted (on stderr). Organization admins and auditors, owners.`,
  async run(ctx) {
    const actions = ctx.values.action?.flatMap((a) => a.split(",")) ?? [];
    if (actions.length !== 1) throw new UsageError("give one --action");
    const input = {
      action: (actions[0] as string).toUpperCase(),
      objectId: need(ctx.values.object, "--object ID"),
    };
    let hidden = 0;
    const users = await (await ctx.api()).all<Row>(
      `query AccessReview($input: AccessReviewInput!, $first: Int, $after: String) {
        accessReview(input: $input, first: $first, after: $after) {
          totalCount hiddenCount pageInfo { hasNextPage endCursor }
          edges { node { id username email } grants { kind role groupName } } } }`,
      { input },
      (d) => {
        hidden = d.accessReview.hiddenCount;
        return {
          ...d.accessReview,
          edges: d.accessReview.edges.map((e: Row) => ({ node: { ...e.node, grants: e.grants } })),
        };
      },
    );
    const rows = (users ?? []).flatMap((u) =>
      u.grants.map((g: Row) => ({
        username: u.username,
        email: u.email,
        kind: g.kind,
        role: g.role,
        group: g.groupName ?? null,
      })),
    );
    if (hidden > 0) ctx.note(`${hidden} more user(s) may, whom you may not read (not listed)`);
    ctx.print(rows, {
      username: (r) => r.username,
      email: (r) => r.email,
      kind: (r) => lower(r.kind),
      role: (r) => r.role,
      group: (r) => r.group,
    });
  },
};

export const ORGANIZATION_COMMANDS: Command[] = [
  organizationsCreate,
  organizationsList,
  organizationsShow,
  organizationsEdit,
  organizationsDelete,
  organizationsSelect,
  memberChange("add"),
  memberChange("remove"),
  membersList,
  membersEditRoles,
  rolesList,
  rolesShow,
  roleWrite("create"),
  roleWrite("update"),
  rolesDelete,
  groupsCreate,
  groupsList,
  groupsShow,
  groupsEdit,
  groupsDelete,
  groupMembership("add-member"),
  groupMembership("remove-member"),
  idpSyncShow,
  idpSyncSet,
  auditList,
  accessReview,
];
