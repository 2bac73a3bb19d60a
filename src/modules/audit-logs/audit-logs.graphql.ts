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
  id: { field: "id" },
  authScopes: (log, ctx) => permissionScopes(ctx, { action: "READ", ...auditLogObject(log) }),
  fields: (t) => ({
    time: t.expose("time", { type: "DateTime" }),
    action: t.exposeString("action", { description: "e.g. CREATE, UPDATE, DELETE, LOGIN, REGISTER" }),
    resourceType: t.exposeString("resourceType"),
    resourceId: t.exposeID("resourceId", { nullable: true }),
    resourceName: t.exposeString("resourceName", { nullable: true }),
    actor: t.relation("actor", {
      nullable: true,
      description: "Null when the actor is the system, SCIM or a provisioner daemon.",
    }),
    organization: t.prismaField({
      type: OrganizationType,
      nullable: true,
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
    requestId: t.exposeString("requestId", { nullable: true }),
  }),
});

export const AuditLogConnection = builder.connectionObject({ type: AuditLogType, name: "AuditLogConnection" });

async function auditLogFilter(ctx: Context, organizationGlobalId: string | null | undefined) {
  const { subject } = await ctx.viewer.require();
  return auditLogWhere(subject, filterId("Organization", organizationGlobalId));
}

builder.queryField("auditLogs", (t) =>
  t.prismaConnection(
    {
      type: "AuditLog",
      cursor: "id",
      authScopes: { authenticated: true },
      args: { organizationId: t.arg.id() },
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
