// The audit log, newest first (time, then id: a stable cursor): site-wide for site auditors and
// owners, per organization for whoever may read that organization's audit log. Filters by action,
// resource type, resource, actor, time range, outcome and resource name; each is served by an
// index of AuditLog (prisma/schema.prisma) in newest-first order.

import { brandWithType } from "@pothos/core";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES, type AuditAction, type AuditResourceType } from "../../audit/events.js";
import { allOf } from "../../authz/filters.js";
import { auditLogObject, auditLogWhere } from "../../authz/policies/audit-log.js";
import { organizationObject } from "../../authz/policies/organization.js";
import type { Context } from "../../context.js";
import { containsIgnoringCase, userIdByUsername } from "../../db/names.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { perRequest } from "../../graphql/batch.js";
import { builder } from "../../graphql/builder.js";
import { filterId, isUuid } from "../../graphql/ids.js";
import { nodeLoader } from "../../graphql/node-loaders.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import { describedValues } from "../shared/shared.graphql.js";

const AUDIT_ACTION_DESCRIPTIONS: Record<AuditAction, string> = {
  CREATE: "Something was created.",
  REGISTER: "A provisioner daemon registered.",
  LOGIN: "A sign-in (success false when refused).",
  ASSIGN_ROLES: "Roles were assigned or removed.",
  UPDATE: "Something was changed.",
  DELETE: "Something was deleted.",
  LOGOUT: "A session ended by logout.",
  ADD_MEMBER: "A user joined an organization or group.",
  REMOVE_MEMBER: "A user left an organization or group.",
  CANCEL: "A provisioner job was canceled.",
  PROMOTE: "A template version became the active one.",
  ARCHIVE: "A template version was archived.",
  UNARCHIVE: "A template version was unarchived.",
  START: "A workspace start was queued.",
  STOP: "A workspace stop was queued.",
};

const AUDIT_RESOURCE_DESCRIPTIONS: Record<AuditResourceType, string> = {
  USER: "A user account.",
  SESSION: "A sign-in session.",
  API_KEY: "An API token.",
  ORGANIZATION: "An organization.",
  ORGANIZATION_MEMBER: "A membership (resourceId: the user).",
  CUSTOM_ROLE: "A custom organization role.",
  GROUP: "A group.",
  PROVISIONER_KEY: "A provisioner key.",
  PROVISIONER_JOB: "A provisioner job.",
  PROVISIONER_DAEMON: "A provisioner daemon.",
  TEMPLATE: "A template.",
  TEMPLATE_VERSION: "A template version.",
  WORKSPACE: "A workspace.",
  IDPSYNC_SETTINGS: "IdP sync settings (site or organization).",
  SCIM_KEY: "A SCIM request authenticated with the SCIM key.",
};

export const AuditActionEnum = builder.enumType("AuditAction", {
  description: "Every action the audit log records (src/audit/events.ts); which resource types record which: README.",
  values: describedValues(AUDIT_ACTIONS, (action) => AUDIT_ACTION_DESCRIPTIONS[action]),
});

export const AuditResourceTypeEnum = builder.enumType("AuditResourceType", {
  description: "Every resource type the audit log records (src/audit/events.ts).",
  values: describedValues(AUDIT_RESOURCE_TYPES, (type) => AUDIT_RESOURCE_DESCRIPTIONS[type]),
});

/** The node type an event's resourceId names, by resource type; null where it names no node. */
const RESOURCE_NODE_TYPE: Record<AuditResourceType, string | null> = {
  USER: "User",
  ORGANIZATION_MEMBER: "User",
  SESSION: null,
  API_KEY: "ApiToken",
  ORGANIZATION: "Organization",
  CUSTOM_ROLE: null,
  GROUP: "Group",
  PROVISIONER_KEY: "ProvisionerKey",
  PROVISIONER_JOB: "ProvisionerJob",
  PROVISIONER_DAEMON: "ProvisionerDaemon",
  TEMPLATE: "Template",
  TEMPLATE_VERSION: "TemplateVersion",
  WORKSPACE: "Workspace",
  IDPSYNC_SETTINGS: null,
  SCIM_KEY: null,
};

function resourceNodeType(resourceType: string): string | null {
  return Object.hasOwn(RESOURCE_NODE_TYPE, resourceType) ? RESOURCE_NODE_TYPE[resourceType as AuditResourceType] : null;
}

export const AuditLogType = builder.prismaNode("AuditLog", {
  description:
    "One recorded change or sign-in. Readable by site auditors and owners, and (for its organization's entries) by whoever may read that organization's audit log.",
  id: { field: "id" },
  authScopes: (log, ctx) => permissionScopes(ctx, { action: "READ", ...auditLogObject(log) }),
  fields: (t) => ({
    time: t.expose("time", { type: "DateTime", description: "When it happened." }),
    action: t.exposeString("action", {
      description: "e.g. CREATE, UPDATE, DELETE, LOGIN, REGISTER; one of the AuditAction values.",
    }),
    resourceType: t.exposeString("resourceType", { description: "One of the AuditResourceType values." }),
    resourceId: t.exposeID("resourceId", {
      nullable: true,
      description: "The raw id of the resource; `resource` is the object itself, with its global id.",
    }),
    resourceName: t.exposeString("resourceName", {
      nullable: true,
      description: "The object's name at the time (e.g. a username, an organization name); null when it has none.",
    }),
    resource: t.field({
      type: builder.nodeInterfaceRef(),
      nullable: true,
      description:
        "The object the event is about, while it exists and the viewer may read it; else null (also for sessions, custom roles, IdP sync settings and SCIM calls).",
      resolve: async (log, _args, ctx) => {
        const typename = resourceNodeType(log.resourceType);
        const load = typename ? nodeLoader(typename) : undefined;
        if (!typename || !load || !log.resourceId || !isUuid(log.resourceId)) return null;
        const found = await load(log.resourceId, ctx);
        if (found === null || found === undefined) return null;
        brandWithType(found, typename as never);
        return found as never;
      },
    }),
    actor: t.relation("actor", {
      nullable: true,
      description: "Null when the actor is the system, SCIM or a provisioner daemon, and for refused sign-ins.",
    }),
    organization: t.prismaField({
      type: OrganizationType,
      nullable: true,
      description:
        "The organization it happened in; null for site-wide entries, when deleted, or not readable by the viewer.",
      // No foreign key: the organization may be gone, or not readable by the viewer.
      authScopes: (log, _args, ctx) =>
        log.organizationId !== null &&
        permissionScopes(ctx, { action: "READ", ...organizationObject({ id: log.organizationId }) }),
      unauthorizedResolver: () => null,
      resolve: (query, log, _args, ctx) =>
        log.organizationId ? ctx.prisma.organization.findUnique({ ...query, where: { id: log.organizationId } }) : null,
    }),
    diff: t.string({
      description: "A JSON document of the fields that changed, secrets left out.",
      resolve: (log) => JSON.stringify(log.diff),
    }),
    changes: t.field({
      type: "JSON",
      description: "`diff` as a JSON value (its shape per resource type and action: src/audit/events.ts).",
      resolve: (log) => log.diff,
    }),
    success: t.exposeBoolean("success", {
      description: "False for a refused sign-in (wrong password, refused ID token, bad SCIM key); true otherwise.",
    }),
    ip: t.exposeString("ip", {
      nullable: true,
      description: "The client's address (X-Forwarded-For's first hop only with TRUST_PROXY).",
    }),
    userAgent: t.exposeString("userAgent", { nullable: true, description: "The client's User-Agent header." }),
    requestId: t.exposeString("requestId", {
      nullable: true,
      description:
        "The x-request-id of the HTTP request that made it, to correlate with logs; null when not made by a request.",
    }),
  }),
});

export const AuditLogConnection = builder.connectionObject(
  { type: AuditLogType, name: "AuditLogConnection", description: "A page of audit log entries, newest first." },
  { description: "An audit log entry in a page, with its cursor." },
);

const AuditLogFilter = builder.inputType("AuditLogFilter", {
  description: "Conditions an event must all meet; each left out matches every event.",
  fields: (t) => ({
    actions: t.field({ type: [AuditActionEnum], description: "Any of these actions." }),
    resourceTypes: t.field({ type: [AuditResourceTypeEnum], description: "Any of these resource types." }),
    resource: t.id({
      description: "The global id of the object the events are about (a user, template, workspace...).",
    }),
    actorId: t.id({ description: "The global id of the user who acted." }),
    actorUsername: t.string({ description: "The username (any case) of the user who acted." }),
    since: t.field({ type: "DateTime", description: "At or after this time." }),
    until: t.field({ type: "DateTime", description: "Before this time." }),
    search: t.string({ description: "Part of the resource's name, in any case (at most 128 characters)." }),
    success: t.boolean({ description: "Only refused sign-ins (false) or only the rest (true)." }),
  }),
});

type Filter = typeof AuditLogFilter.$inferInput;

const MATCHES_NOTHING = "00000000-0000-0000-0000-000000000000";

/** The uuid of any node's global id; a malformed one matches nothing. */
function resourceIdOf(value: string): string {
  try {
    const { id } = decodeGlobalID(value);
    return isUuid(id) ? id.toLowerCase() : MATCHES_NOTHING;
  } catch {
    return MATCHES_NOTHING;
  }
}

async function filterWhere(ctx: Context, filter: Filter | null | undefined): Promise<Prisma.AuditLogWhereInput> {
  if (!filter) return {};
  const actorIds = [
    filter.actorId !== null && filter.actorId !== undefined ? filterId("User", filter.actorId) : undefined,
    filter.actorUsername ? ((await userIdByUsername(ctx.prisma, filter.actorUsername)) ?? MATCHES_NOTHING) : undefined,
  ].filter((id) => id !== undefined);
  const search = filter.search?.trim().slice(0, 128);
  return allOf(
    filter.actions ? { action: { in: filter.actions } } : {},
    filter.resourceTypes ? { resourceType: { in: filter.resourceTypes } } : {},
    filter.resource ? { resourceId: resourceIdOf(filter.resource) } : {},
    ...actorIds.map((actorId) => ({ actorId })),
    filter.since ? { time: { gte: filter.since } } : {},
    filter.until ? { time: { lt: filter.until } } : {},
    search ? { resourceName: containsIgnoringCase(search) } : {},
    typeof filter.success === "boolean" ? { success: filter.success } : {},
  );
}

/** Newest first; id breaks ties between events of one instant (one transaction). */
const NEWEST_FIRST = [{ time: "desc" }, { id: "desc" }] as const satisfies Prisma.AuditLogOrderByWithRelationInput[];

/** The events the viewer may read (of one organization when given) that meet the filter. */
async function auditLogsWhere(
  ctx: Context,
  organizationId: string | null | undefined,
  filter: Filter | null | undefined,
) {
  const visible = await ctx.viewer.readWhere((subject) => auditLogWhere(subject, organizationId));
  return allOf(visible, await filterWhere(ctx, filter));
}

/**
 * totalCount and the page use the same where, computed once per (organization, filter) in a
 * request: they share the username lookup.
 */
const whereCache = perRequest(() => new Map<string, Promise<Prisma.AuditLogWhereInput>>());

function cachedWhere(ctx: Context, organizationId: string | null | undefined, filter: Filter | null | undefined) {
  const wheres = whereCache(ctx);
  const key = JSON.stringify([organizationId ?? null, filter ?? null]);
  let where = wheres.get(key);
  if (!where) {
    where = auditLogsWhere(ctx, organizationId, filter);
    wheres.set(key, where);
  }
  return where;
}

const FILTER_DESCRIPTION = "Only the events that meet every condition given.";

builder.queryField("auditLogs", (t) =>
  t.prismaConnection(
    {
      type: "AuditLog",
      cursor: "id",
      description:
        "Audit events the viewer may read, newest first: every event for site auditors and owners (sign-in events have no organization), else those of organizations whose audit log the viewer may read.",
      authScopes: { authenticated: true },
      args: {
        organizationId: t.arg.id({ description: "Global id of an organization: only its events." }),
        filter: t.arg({ type: AuditLogFilter, description: FILTER_DESCRIPTION }),
      },
      totalCount: async (_root, args, ctx) =>
        ctx.prisma.auditLog.count({
          where: await cachedWhere(ctx, filterId("Organization", args.organizationId), args.filter),
        }),
      resolve: async (query, _root, args, ctx) =>
        ctx.prisma.auditLog.findMany({
          ...query,
          where: await cachedWhere(ctx, filterId("Organization", args.organizationId), args.filter),
          orderBy: NEWEST_FIRST,
        }),
    },
    AuditLogConnection,
  ),
);

builder.prismaObjectField(OrganizationType, "auditLogs", (t) =>
  t.prismaConnection(
    {
      type: "AuditLog",
      cursor: "id",
      description:
        "This organization's audit events the viewer may read, newest first. Empty unless the viewer may read its audit log (AUDIT_LOG READ: organization admins and auditors, site auditors and owners).",
      args: { filter: t.arg({ type: AuditLogFilter, description: FILTER_DESCRIPTION }) },
      totalCount: async (org, args, ctx) =>
        ctx.prisma.auditLog.count({ where: await cachedWhere(ctx, org.id, args.filter) }),
      resolve: async (query, org, args, ctx) =>
        ctx.prisma.auditLog.findMany({
          ...query,
          where: await cachedWhere(ctx, org.id, args.filter),
          orderBy: NEWEST_FIRST,
        }),
    },
    AuditLogConnection,
  ),
);
