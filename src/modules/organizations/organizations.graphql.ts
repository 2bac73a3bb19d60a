// Organizations: the tenant type, its lookups, and its lifecycle mutations.
import { requireViewer } from "../../authz/assert.js";
import { allOf, organizationWhere } from "../../authz/filters.js";
import { builder } from "../../graphql/builder.js";
import { registerNodeLoader } from "../../graphql/node-loaders.js";

export const OrganizationType = builder.prismaNode("Organization", {
  id: { field: "id" },
  authScopes: (org) => ({ permission: { action: "READ", type: "ORGANIZATION", organizationId: org.id } }),
  fields: (t) => ({
    name: t.exposeString("name", {
      description:
        "Unique; 1-32 characters of letters, digits and single hyphens; 'default', 'new' and 'create' are reserved for new organizations.",
    }),
    displayName: t.exposeString("displayName"),
    description: t.exposeString("description"),
    icon: t.exposeString("icon"),
    isDefault: t.exposeBoolean("isDefault"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

export const OrganizationConnection = builder.connectionObject({
  type: OrganizationType,
  name: "OrganizationConnection",
});

registerNodeLoader("Organization", async (id, ctx) => {
  const subject = await ctx.subject();
  return subject ? ctx.prisma.organization.findFirst({ where: allOf({ id }, organizationWhere(subject)) }) : null;
});

builder.queryFields((t) => ({
  organizations: t.prismaConnection(
    {
      type: "Organization",
      cursor: "id",
      description: "Organizations the viewer may read.",
      authScopes: { authenticated: true },
      totalCount: async (_root, _args, ctx) => {
        const { subject } = await requireViewer(ctx);
        return ctx.prisma.organization.count({ where: organizationWhere(subject) });
      },
      resolve: async (query, _root, _args, ctx) => {
        const { subject } = await requireViewer(ctx);
        return ctx.prisma.organization.findMany({ ...query, where: organizationWhere(subject) });
      },
    },
    OrganizationConnection,
  ),
  organization: t.prismaField({
    type: OrganizationType,
    nullable: true,
    authScopes: { authenticated: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { subject } = await requireViewer(ctx);
      return ctx.prisma.organization.findFirst({
        ...query,
        where: allOf({ name: { equals: args.name, mode: "insensitive" } }, organizationWhere(subject)),
      });
    },
  }),
  defaultOrganization: t.prismaField({
    type: OrganizationType,
    nullable: true,
    authScopes: { authenticated: true },
    resolve: async (query, _root, _args, ctx) => {
      const { subject } = await requireViewer(ctx);
      return ctx.prisma.organization.findFirst({
        ...query,
        where: allOf({ isDefault: true }, organizationWhere(subject)),
      });
    },
  }),
}));
