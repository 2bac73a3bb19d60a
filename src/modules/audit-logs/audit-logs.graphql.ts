// The audit log, newest first: site-wide for site auditors and owners, per organization for
// whoever may read that organization's audit log.

import { auditLogObject, auditLogWhere } from "../../authz/policies/audit-log.js";
import { organizationObject } from "../../authz/policies/organization.js";
import type { Context } from "../../context.js";
import { builder } from "../../graphql/builder.js";
import { filterId } from "../../graphql/ids.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";

export const AuditLogType = builder.prismaNode("AuditLog", {
  description:
    "One recorded change or sign-in. Readable by site auditors and owners, and (for its organization's entries) by whoever may read that organization's audit log.",
  id: { field: "id" },
  authScopes: (log, ctx) => permissionScopes(ctx, { action: "READ", ...auditLogObject(log) }),
  fields: (t) => ({
    time: t.expose("time", { type: "DateTime", description: "When it happened." }),
    action: t.exposeString("action", { description: "e.g. CREATE, UPDATE, DELETE, LOGIN, REGISTER" }),
    resourceType: t.exposeString("resourceType", {
      description: "The kind of object changed, a ResourceType name (e.g. ORGANIZATION_MEMBER, TEMPLATE).",
    }),
    resourceId: t.exposeID("resourceId", {
      nullable: true,
      description: "The changed object's row id (a UUID, not a global id; it may be deleted since); null when none.",
    }),
    resourceName: t.exposeString("resourceName", {
      nullable: true,
      description: "The object's name at the time (e.g. a username, an organization name); null when it has none.",
    }),
    actor: t.relation("actor", {
      nullable: true,
      description: "Null when the actor is the system, SCIM or a provisioner daemon.",
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

async function auditLogFilter(ctx: Context, organizationGlobalId: string | null | undefined) {
  const { subject } = await ctx.viewer.require();
  return auditLogWhere(subject, filterId("Organization", organizationGlobalId));
}

builder.queryField("auditLogs", (t) =>
  t.prismaConnection(
    {
      type: "AuditLog",
      cursor: "id",
      description:
        "Audit log entries the viewer may read, newest first: every entry for site auditors and owners, else those of organizations whose audit log the viewer may read (empty when none).",
      authScopes: { authenticated: true },
      args: { organizationId: t.arg.id({ description: "Global id of an organization: only its entries." }) },
      totalCount: async (_root, args, ctx) =>
        ctx.prisma.auditLog.count({ where: await auditLogFilter(ctx, args.organizationId) }),
      resolve: async (query, _root, args, ctx) =>
        ctx.prisma.auditLog.findMany({
          ...query,
          where: await auditLogFilter(ctx, args.organizationId),
          orderBy: { id: "desc" },
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
        "This organization's audit log, newest first. Empty unless the viewer may read it (AUDIT_LOG READ: organization admins and auditors, site auditors and owners).",
      totalCount: async (org, _args, ctx) => {
        const where = await ctx.viewer.readWhere((subject) => auditLogWhere(subject, org.id));
        return ctx.prisma.auditLog.count({ where });
      },
      resolve: async (query, org, _args, ctx) => {
        const where = await ctx.viewer.readWhere((subject) => auditLogWhere(subject, org.id));
        return ctx.prisma.auditLog.findMany({
          ...query,
          where,
          orderBy: { id: "desc" },
        });
      },
    },
    AuditLogConnection,
  ),
);
