// The audit log, newest first: site-wide for site auditors and owners, per organization for
// whoever may read that organization's audit log.
import { requireViewer } from "../../authz/assert.js";
import { can, type Subject, scopeOf } from "../../authz/evaluator.js";
import { allOf } from "../../authz/filters.js";
import type { Context } from "../../context.js";
import { builder } from "../../graphql/builder.js";
import { filterId } from "../../graphql/ids.js";
import { registerNodeLoader } from "../../graphql/node-loaders.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";

/** Events the subject may read; site-level events (no organization) need site-wide permission. */
function auditLogWhere(subject: Subject, organizationId?: string | null) {
  const scope = scopeOf(subject, "AUDIT_LOG", "READ");
  const visible = scope.all ? {} : { organizationId: { in: scope.organizationIds } };
  return organizationId === undefined ? visible : allOf(visible, { organizationId });
}

export const AuditLogType = builder.prismaNode("AuditLog", {
  id: { field: "id" },
  authScopes: (log, ctx) =>
    permissionScopes(ctx, { action: "READ", type: "AUDIT_LOG", organizationId: log.organizationId }),
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
      resolve: async (query, log, _args, ctx) => {
        if (!log.organizationId) return null;
        const subject = await ctx.subject();
        if (!subject || !can(subject, "READ", { type: "ORGANIZATION", organizationId: log.organizationId }))
          return null;
        return ctx.prisma.organization.findUnique({ ...query, where: { id: log.organizationId } });
      },
    }),
    diff: t.string({
      description: "A JSON document of the fields that changed, secrets left out.",
      resolve: (log) => JSON.stringify(log.diff),
    }),
    requestId: t.exposeString("requestId", { nullable: true }),
  }),
});

export const AuditLogConnection = builder.connectionObject({ type: AuditLogType, name: "AuditLogConnection" });

registerNodeLoader("AuditLog", async (id, ctx) => {
  const subject = await ctx.subject();
  return subject ? ctx.prisma.auditLog.findFirst({ where: allOf({ id }, auditLogWhere(subject)) }) : null;
});

async function auditLogFilter(ctx: Context, organizationGlobalId: string | null | undefined) {
  const { subject } = await requireViewer(ctx);
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
        const { subject } = await requireViewer(ctx);
        return ctx.prisma.auditLog.count({ where: auditLogWhere(subject, org.id) });
      },
      resolve: async (query, org, _args, ctx) => {
        const { subject } = await requireViewer(ctx);
        return ctx.prisma.auditLog.findMany({
          ...query,
          where: auditLogWhere(subject, org.id),
          orderBy: { id: "desc" },
        });
      },
    },
    AuditLogConnection,
  ),
);
