// Organizations: the tenant type, its lookups, and its lifecycle mutations.
import { allOf } from "../../authz/filters.js";
import { organizationObject, organizationWhere } from "../../authz/policies/organization.js";
import type { Context } from "../../context.js";
import { equalsIgnoringCase } from "../../db/names.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { builder } from "../../graphql/builder.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { searchDescription, searchWhere } from "../shared/order.graphql.js";
import { DeletePayload, payloadType, unsetAsNull, withUserErrors } from "../shared/shared.graphql.js";
import * as organizations from "./organizations.service.js";

/**
 * Granted by a provisioner daemon object to its organization: the Provisioner-Key credential reads
 * its own organization there, and only its id, name and displayName (the other fields are
 * users-only or answer nothing without a user subject).
 */
export const DAEMON_ORGANIZATION_GRANT = "daemonOrganization";
// Decided per field, not by the request's cached `authenticated` scope: a sign-in mutation's
// payload (createFirstUser) is read by a request that started anonymous.
const USERS_ONLY = {
  authScopes: (_org: unknown, _args: unknown, ctx: Context) => ctx.actor.kind !== "provisioner",
} as const;

export const OrganizationType = builder.prismaNode("Organization", {
  description:
    "A tenant: its members, groups, roles, templates, workspaces and provisioners. Readable by its members and site-wide readers (owners, auditors); a provisioner key reads only its own organization's id, name and displayName.",
  id: { field: "id" },
  // Select mode: a query reads only the columns its selected fields need. The names are always
  // read, so their fields are plain (no per-row loader-mapping lookup, which plugin-prisma adds to
  // every field with a `select`).
  select: { id: true, name: true, displayName: true },
  authScopes: (org, ctx) =>
    ctx.actor.kind === "provisioner"
      ? ctx.actor.organizationId === org.id && { $granted: DAEMON_ORGANIZATION_GRANT }
      : permissionScopes(ctx, { action: "READ", ...organizationObject(org) }),
  fields: (t) => ({
    name: t.string({
      description:
        "Unique; 1-32 characters of letters, digits and single hyphens; 'default', 'new' and 'create' are reserved for new organizations.",
      resolve: (org) => org.name,
    }),
    displayName: t.string({
      description: "Human-readable name; the name when none was given.",
      resolve: (org) => org.displayName,
    }),
    description: t.string({
      nullable: true,
      description: "Null when unset.",
      select: { description: true },
      ...USERS_ONLY,
      resolve: (org) => unsetAsNull(org.description),
    }),
    icon: t.string({
      nullable: true,
      description: "Null when unset.",
      select: { icon: true },
      ...USERS_ONLY,
      resolve: (org) => unsetAsNull(org.icon),
    }),
    isDefault: t.exposeBoolean("isDefault", {
      description: "True for the default organization (exactly one; new users join it; it cannot be deleted).",
      ...USERS_ONLY,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created.", ...USERS_ONLY }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed.", ...USERS_ONLY }),
  }),
});

export const OrganizationConnection = builder.connectionObject(
  {
    type: OrganizationType,
    name: "OrganizationConnection",
    description: "A page of organizations.",
  },
  { description: "An organization in a page, with its cursor." },
);

/** The organizations a list shows: readable ones (the read rule in SQL), matching the search. */
async function organizationListWhere(ctx: Context, args: { search?: string | null }) {
  const readable = await ctx.viewer.readWhere(organizationWhere);
  return allOf<Prisma.OrganizationWhereInput>(readable, searchWhere(args.search, ["name", "displayName"]));
}

builder.queryFields((t) => ({
  organizations: t.prismaConnection(
    {
      type: "Organization",
      cursor: "id",
      description: "Organizations the viewer may read, oldest first.",
      authScopes: { authenticated: true },
      args: { search: t.arg.string({ description: searchDescription("name or display name") }) },
      totalCount: async (_root, args, ctx) =>
        ctx.prisma.organization.count({ where: await organizationListWhere(ctx, args) }),
      resolve: async (query, _root, args, ctx) => {
        return ctx.prisma.organization.findMany({
          ...query,
          where: await organizationListWhere(ctx, args),
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        });
      },
    },
    OrganizationConnection,
  ),
  organization: t.prismaField({
    type: OrganizationType,
    nullable: true,
    description:
      "The organization with this name (case-insensitive); null when none exists or the viewer may not read it.",
    authScopes: { authenticated: true },
    args: { name: t.arg.string({ required: true, description: "The organization's name (not its display name)." }) },
    resolve: async (query, _root, args, ctx) => {
      const readable = await ctx.viewer.readWhere(organizationWhere);
      // One statement (escaped ILIKE) rather than an indexed id lookup first: organizations are few.
      return ctx.prisma.organization.findFirst({
        ...query,
        where: allOf({ name: equalsIgnoringCase(args.name) }, readable),
      });
    },
  }),
  defaultOrganization: t.prismaField({
    type: OrganizationType,
    nullable: true,
    description: "The default organization; null when the viewer may not read it (is not a member).",
    authScopes: { authenticated: true },
    resolve: async (query, _root, _args, ctx) => {
      const readable = await ctx.viewer.readWhere(organizationWhere);
      return ctx.prisma.organization.findFirst({
        ...query,
        where: allOf({ isDefault: true }, readable),
      });
    },
  }),
}));

// ---- mutations

const CreateOrganizationInput = builder.inputType("CreateOrganizationInput", {
  description: "A new organization.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique name; see Organization.name for the format." }),
    displayName: t.string({ description: "Human-readable name; the name when left out." }),
    description: t.string({ description: "Free text; unset when left out." }),
    icon: t.string({ description: "An icon URL or path; unset when left out." }),
  }),
});

const UpdateOrganizationInput = builder.inputType("UpdateOrganizationInput", {
  description: "Changes to an organization: only the fields given change.",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    name: t.string({ description: "New unique name (the default organization's name can change too)." }),
    displayName: t.string({ description: "New display name." }),
    description: t.string({ description: 'New description; "" unsets it.' }),
    icon: t.string({ description: 'New icon URL or path; "" unsets it.' }),
  }),
});

const DeleteOrganizationInput = builder.inputType("DeleteOrganizationInput", {
  description: "The organization to delete.",
  fields: (t) => ({ organizationId: t.id({ required: true, description: "Global id of the organization." }) }),
});

const OrganizationPayload = payloadType("OrganizationPayload", "organization", OrganizationType);

builder.mutationFields((t) => ({
  createOrganization: t.field({
    nullable: true,
    type: OrganizationPayload,
    description: "Site owners only. Creates the organization, its Everyone group and the creator's membership.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateOrganizationInput, required: true, description: "The organization." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => organizations.createOrganization(ctx, input)),
  }),
  updateOrganization: t.field({
    nullable: true,
    type: OrganizationPayload,
    description: "Needs ORGANIZATION UPDATE in the organization (organization admins, owners).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateOrganizationInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => organizations.updateOrganization(ctx, input)),
  }),
  deleteOrganization: t.field({
    nullable: true,
    type: DeletePayload,
    description:
      "Refused for the default organization and while anything but the Everyone group and the caller is left.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: DeleteOrganizationInput, required: true, description: "The organization." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => organizations.deleteOrganization(ctx, input)),
  }),
}));
