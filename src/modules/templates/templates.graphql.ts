// Templates, their versions and access lists. Reads go through templateWhere (roles or an
// ACL entry), so lists, counts and lookups agree with the evaluator.

import type { GraphQLResolveInfo } from "graphql";
import { allOf } from "../../authz/filters.js";
import { PARENT_JOB_GRANT } from "../../authz/policies/provisioner.js";
import { templateWhere, viewerCanOnTemplate } from "../../authz/policies/template.js";
import type { Context } from "../../context.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { builder } from "../../graphql/builder.js";
import { filterId, globalId, uuidParts } from "../../graphql/ids.js";
import { registerNodeLoader } from "../../graphql/node-loaders.js";
import { IDEMPOTENCY_KEY_DESCRIPTION } from "../idempotency/idempotency.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import { TagInput } from "../provisioners/tags.js";
import {
  type Direction,
  type NameOrCreated,
  nameOrCreatedConnection,
  nameOrCreatedListArgs,
  type PageArgs,
  searchWhere,
} from "../shared/order.graphql.js";
import { DeletePayload, payloadType, unsetAsNull, withUserErrors } from "../shared/shared.graphql.js";
import * as versions from "./template-versions.service.js";
import * as templates from "./templates.service.js";

export const TemplateRoleEnum = builder.enumType("TemplateRole", {
  description: "What a template ACL entry grants.",
  values: {
    USE: { description: "Read the template and create workspaces from it." },
    ADMIN: { description: "USE, plus change and delete the template and its ACL." },
  } as const,
});

/** Daemons read the versions they import, but only in their own organization. */
function isProvisionerOf(ctx: Context, organizationId: string): boolean {
  return ctx.actor.kind === "provisioner" && ctx.actor.organizationId === organizationId;
}

/** Granted by the WorkspaceBuild type: whoever reads a build sees the version it built. */
export const BUILD_VERSION_GRANT = "buildVersion";

export const TemplateVersionType = builder.prismaNode("TemplateVersion", {
  id: { field: "id" },
  description:
    "A version of a template, imported by a provisioner job; builds use a version whose import succeeded. Readable by whoever may read its template, and with a build that used it.",
  authScopes: (version, ctx) => {
    if (isProvisionerOf(ctx, version.organizationId)) return true;
    const template = version.templateId ? { id: version.templateId, organizationId: version.organizationId } : null;
    return template
      ? { $granted: BUILD_VERSION_GRANT, template: { template, action: "READ" } }
      : { $granted: BUILD_VERSION_GRANT };
  },
  // Whoever may read a version may see the job that imports it (its job field).
  grantScopes: () => [PARENT_JOB_GRANT],
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique within its template (v1, v2, ... unless named)." }),
    message: t.string({
      nullable: true,
      description: "What changed in this version; null when unset.",
      resolve: (version) => unsetAsNull(version.message),
    }),
    template: t.relation("template", {
      nullable: true,
      description: "Its template; null when the template was deleted or the viewer may not read it.",
    }),
    dailyCost: t.exposeInt("dailyCost", {
      description: "Quota credits a workspace built from this version consumes per day.",
    }),
    archived: t.exposeBoolean("archived", {
      description: "Archived versions cannot be promoted or built; workspaces already on one can stop and be deleted.",
    }),
    active: t.boolean({
      description: "Whether this is its template's active version (what new workspaces build).",
      select: { activeFor: { select: { id: true } } },
      resolve: (version) => version.activeFor !== null,
    }),
    createdBy: t.relation("createdBy", { nullable: true, description: "Null once that user was deleted." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
  }),
});

export const TemplateUserPermissionType = builder.prismaObject("TemplateUserAcl", {
  name: "TemplateUserPermission",
  description: "A user's entry in a template ACL.",
  fields: (t) => ({
    user: t.relation("user", { description: "The user." }),
    role: t.field({ type: TemplateRoleEnum, description: "What the entry grants.", resolve: (entry) => entry.role }),
  }),
});

/** `group: Group!` is added where the Group type lives. */
export const TemplateGroupPermissionType = builder.prismaObject("TemplateGroupAcl", {
  name: "TemplateGroupPermission",
  description: "A group's entry in a template ACL: every member of the group gets the role.",
  fields: (t) => ({
    groupId: t.id({ description: "Global id of the group.", resolve: (entry) => globalId("Group", entry.groupId) }),
    role: t.field({ type: TemplateRoleEnum, description: "What the entry grants.", resolve: (entry) => entry.role }),
  }),
});

const TemplateAclType = builder.objectRef<{ templateId: string }>("TemplateAcl").implement({
  description: "A template's access list: the users and groups given USE or ADMIN on it.",
  interfaces: [builder.nodeInterfaceRef()],
  fields: (t) => ({
    id: t.id({
      description: "Global id of the template's access list (one per template), for normalized client caches.",
      resolve: (acl) => globalId("TemplateAcl", acl.templateId),
    }),
    users: t.prismaField({
      type: [TemplateUserPermissionType],
      description: "User entries, by user id.",
      resolve: (query, acl, _args, ctx) =>
        ctx.prisma.templateUserAcl.findMany({
          ...query,
          where: { templateId: acl.templateId },
          orderBy: { userId: "asc" },
        }),
    }),
    groups: t.prismaField({
      type: [TemplateGroupPermissionType],
      description: "Group entries, by group id (the Everyone group's USE unless disabled).",
      resolve: (query, acl, _args, ctx) =>
        ctx.prisma.templateGroupAcl.findMany({
          ...query,
          where: { templateId: acl.templateId },
          orderBy: { groupId: "asc" },
        }),
    }),
  }),
});

/** Granted by the Workspace type to its fields: a workspace's reader sees its template even without template access. */
export const WORKSPACE_TEMPLATE_GRANT = "workspaceTemplate";

export const TemplateType = builder.prismaNode("Template", {
  description:
    "A workspace template of an organization. Readable by role (template admins, organization admins, owners) or through a TemplateAcl entry (the Everyone group's USE by default), and by whoever reads a workspace built from it.",
  id: { field: "id" },
  // Select mode: a query reads only the columns its selected fields need; authorization needs
  // the organization. The names are always read, so their fields are plain (no per-row
  // loader-mapping lookup, which plugin-prisma adds to every field with a `select`).
  select: { id: true, organizationId: true, name: true, displayName: true },
  // Readable by role or ACL; a workspace also shows its own template to whoever reads the workspace.
  // The grant is tested first (scope-auth checks $granted before scope loaders): a workspace list
  // then needs no ACL lookup.
  authScopes: (template) => ({ $granted: WORKSPACE_TEMPLATE_GRANT, template: { template, action: "READ" } }),
  fields: (t) => ({
    name: t.string({ description: "Unique in its organization (case-insensitive).", resolve: (tpl) => tpl.name }),
    displayName: t.string({
      description: "Human-readable name; the name when none was given.",
      resolve: (tpl) => tpl.displayName,
    }),
    description: t.string({
      nullable: true,
      description: "Null when unset.",
      select: { description: true },
      resolve: (template) => unsetAsNull(template.description),
    }),
    icon: t.string({
      nullable: true,
      description: "Null when unset.",
      select: { icon: true },
      resolve: (template) => unsetAsNull(template.icon),
    }),
    organization: t.relation("organization", { description: "The organization it belongs to." }),
    activeVersion: t.field({
      type: TemplateVersionType,
      description: "The version new workspaces are built from.",
      select: { activeVersion: true },
      resolve: (template) => {
        // Set in the transaction that creates the template; only a broken row lacks it.
        if (!template.activeVersion) throw new Error(`template ${template.id} has no active version`);
        return template.activeVersion;
      },
    }),
    requireActiveVersion: t.exposeBoolean("requireActiveVersion", {
      description: "When true, workspaces always start on the active version (Coder's require_active_version).",
    }),
    versions: t.relatedConnection(
      "versions",
      {
        cursor: "id",
        description: "The template's versions, newest first, archived ones included.",
        query: () => ({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
        totalCount: true,
      },
      { description: "A page of template versions." },
      { description: "A template version in a page, with its cursor." },
    ),
    createdBy: t.relation("createdBy", {
      nullable: true,
      description: "The user who created it; null when that user was deleted.",
    }),
    acl: t.field({
      type: TemplateAclType,
      nullable: true,
      description: "Null unless the viewer may administer the template (TEMPLATE UPDATE, or an ADMIN ACL entry).",
      authScopes: (template) => ({ template: { template, action: "UPDATE" } }),
      unauthorizedResolver: () => null,
      resolve: (template) => ({ templateId: template.id }),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
  }),
});

/** One connection type for every list of templates; totalCount comes from the field's count query. */
export const TemplateConnection = builder.connectionObject(
  {
    type: TemplateType,
    name: "TemplateConnection",
    description: "A page of templates.",
  },
  { name: "TemplateEdge", description: "A template in a page, with its cursor." },
);

const templateListArgs = nameOrCreatedListArgs("Template", "templates", "template");

type TemplateListArgs = PageArgs & {
  organizationId?: string | null;
  search?: string | null;
  orderBy?: { field: NameOrCreated; direction: Direction } | null;
};

/** The templates a list shows: readable ones (the read rule in SQL), optionally in one organization, matching the search. */
async function templateListWhere(ctx: Context, args: TemplateListArgs): Promise<Prisma.TemplateWhereInput> {
  const readable = await ctx.viewer.readWhere(templateWhere);
  return allOf(
    readable,
    args.organizationId ? { organizationId: args.organizationId } : {},
    searchWhere(args.search, ["name"]),
  );
}

/** A page of templates in the requested order (keyset cursors). */
async function templatePage(ctx: Context, info: GraphQLResolveInfo, args: TemplateListArgs) {
  return nameOrCreatedConnection({
    ctx,
    info,
    args,
    where: await templateListWhere(ctx, args),
    findMany: (query) => ctx.prisma.template.findMany(query),
    count: (where) => ctx.prisma.template.count({ where }),
  });
}

builder.queryField("templates", (t) =>
  t.connection(
    {
      type: TemplateType,
      description: "Templates the viewer may read (by role or by an ACL entry), across organizations.",
      authScopes: { authenticated: true },
      args: {
        organizationId: t.arg.id({ description: "Keeps the templates of this organization." }),
        ...templateListArgs,
      },
      resolve: (_root, args, ctx, info) =>
        templatePage(ctx, info, { ...args, organizationId: filterId("Organization", args.organizationId) }),
    },
    TemplateConnection,
  ),
);

builder.prismaObjectFields(OrganizationType, (t) => ({
  templates: t.connection(
    {
      type: TemplateType,
      description: "The organization's templates the viewer may read (by role or by an ACL entry).",
      args: templateListArgs,
      resolve: (org, args, ctx, info) => templatePage(ctx, info, { ...args, organizationId: org.id }),
    },
    TemplateConnection,
  ),
}));

/** A template's access list by its node id: for whoever may administer the template, as Template.acl. */
registerNodeLoader("TemplateAcl", async (id, ctx) => {
  const [templateId] = uuidParts(id, 1) ?? [];
  const subject = await ctx.viewer.subject();
  if (!templateId || !subject) return null;
  const template = await ctx.prisma.template.findFirst({
    where: allOf({ id: templateId }, templateWhere(subject)),
    select: { id: true, organizationId: true },
  });
  return template && (await viewerCanOnTemplate(ctx, template, "UPDATE")) ? { templateId: template.id } : null;
});

// ---- mutations

const CreateTemplateInput = builder.inputType("CreateTemplateInput", {
  description: "A new template.",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    name: t.string({ required: true, description: "Unique in the organization (case-insensitive)." }),
    displayName: t.string({ description: "Human-readable name; the name when left out." }),
    description: t.string({ description: "Free text; unset when left out." }),
    icon: t.string({ description: "An icon URL or path; unset when left out." }),
    dailyCost: t.int({ description: "The daily cost that the template's resources declare; used by quotas." }),
    tags: t.field({
      type: [TagInput],
      description: "Tags that the import job and the workspace builds carry, to pick a provisioner.",
    }),
    disableEveryoneGroupAccess: t.boolean({
      description: "When true, the Everyone group does not get USE on the template.",
    }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
  }),
});

const UpdateTemplateInput = builder.inputType("UpdateTemplateInput", {
  description: "Changes to a template: only the fields given change.",
  fields: (t) => ({
    templateId: t.id({ required: true, description: "Global id of the template." }),
    name: t.string({ description: "A new name, with the same rules as on creation." }),
    displayName: t.string({ description: "New display name." }),
    description: t.string({ description: 'New description; "" unsets it.' }),
    icon: t.string({ description: 'New icon URL or path; "" unsets it.' }),
    disableEveryoneGroupAccess: t.boolean({
      description: "When true, removes the Everyone group's entry from the ACL; false changes nothing.",
    }),
    requireActiveVersion: t.boolean({
      description: "When true, workspaces always start on the active version; a START asking for another is refused.",
    }),
  }),
});

const CreateTemplateVersionInput = builder.inputType("CreateTemplateVersionInput", {
  description: "A new version of a template, to import.",
  fields: (t) => ({
    templateId: t.id({ required: true, description: "Global id of the template." }),
    name: t.string({ description: "Unique within the template; v<n> when left out." }),
    message: t.string({ description: "What changed (at most 1024 characters)." }),
    dailyCost: t.int({ description: "The daily cost the version's resources declare; used by quotas." }),
    tags: t.field({
      type: [TagInput],
      description: "Tags of the import job and of the version's builds; the template's tags when left out.",
    }),
  }),
});

const TemplateVersionIdInput = builder.inputType("TemplateVersionIdInput", {
  description: "Names a template version, for promote, archive and unarchive.",
  fields: (t) => ({ templateVersionId: t.id({ required: true, description: "Global id of the template version." }) }),
});

const DeleteTemplateInput = builder.inputType("DeleteTemplateInput", {
  description: "The template to delete.",
  fields: (t) => ({ templateId: t.id({ required: true, description: "Global id of the template." }) }),
});

const TemplateUserPermissionInput = builder.inputType("TemplateUserPermissionInput", {
  description: "Sets or removes a user's ACL entry.",
  fields: (t) => ({
    userId: t.id({ required: true, description: "Global id of the user." }),
    role: t.field({ type: TemplateRoleEnum, description: "Null removes the user's entry." }),
  }),
});

const TemplateGroupPermissionInput = builder.inputType("TemplateGroupPermissionInput", {
  description: "Sets or removes a group's ACL entry.",
  fields: (t) => ({
    groupId: t.id({ required: true, description: "Global id of the group." }),
    role: t.field({ type: TemplateRoleEnum, description: "Null removes the group's entry." }),
  }),
});

const UpdateTemplateAclInput = builder.inputType("UpdateTemplateAclInput", {
  description: "Changes to a template ACL: the entries listed are set or removed, the others stay.",
  fields: (t) => ({
    templateId: t.id({ required: true, description: "Global id of the template." }),
    users: t.field({ type: [TemplateUserPermissionInput], description: "User entries to set or remove." }),
    groups: t.field({ type: [TemplateGroupPermissionInput], description: "Group entries to set or remove." }),
  }),
});

const TemplatePayload = payloadType("TemplatePayload", "template", TemplateType);
const TemplateVersionPayload = payloadType("TemplateVersionPayload", "templateVersion", TemplateVersionType);

builder.mutationFields((t) => ({
  createTemplate: t.field({
    nullable: true,
    type: TemplatePayload,
    description:
      "Creates the template and its first version, whose import job a provisioner of the organization must run before workspaces can use it.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateTemplateInput, required: true, description: "The template." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => templates.createTemplate(ctx, input)),
  }),
  updateTemplate: t.field({
    nullable: true,
    type: TemplatePayload,
    description:
      "Changes the template's name, display name, description, icon, Everyone access or requireActiveVersion. Template admins only.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateTemplateInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => templates.updateTemplate(ctx, input)),
  }),
  deleteTemplate: t.field({
    nullable: true,
    type: DeletePayload,
    description:
      "Deletes the template (TEMPLATE_IN_USE while workspaces that are not deleted use it); its pending jobs are canceled and its name is free again.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: DeleteTemplateInput, required: true, description: "The template." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => templates.deleteTemplate(ctx, input)),
  }),
  createTemplateVersion: t.field({
    nullable: true,
    type: TemplateVersionPayload,
    description:
      "Queues the import of a new version of the template (in its organization, with its tags unless others are given). It becomes active only when promoted. Template admins only.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateTemplateVersionInput, required: true, description: "The version." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => versions.createTemplateVersion(ctx, input)),
  }),
  promoteTemplateVersion: t.field({
    nullable: true,
    type: TemplateVersionPayload,
    description:
      "Makes the version the template's active one (new workspaces build it). TEMPLATE_VERSION_NOT_READY unless its import SUCCEEDED; TEMPLATE_VERSION_ARCHIVED when archived. Template admins only.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: TemplateVersionIdInput, required: true, description: "The version." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => versions.promoteTemplateVersion(ctx, input)),
  }),
  archiveTemplateVersion: t.field({
    nullable: true,
    type: TemplateVersionPayload,
    description:
      "Archives the version: it can no longer be promoted or built. TEMPLATE_VERSION_ACTIVE for the active version. Template admins only.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: TemplateVersionIdInput, required: true, description: "The version." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => versions.archiveTemplateVersion(ctx, input)),
  }),
  unarchiveTemplateVersion: t.field({
    nullable: true,
    type: TemplateVersionPayload,
    description: "Makes an archived version usable again. Template admins only.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: TemplateVersionIdInput, required: true, description: "The version." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => versions.unarchiveTemplateVersion(ctx, input)),
  }),
  updateTemplateAcl: t.field({
    nullable: true,
    type: TemplatePayload,
    description: "Needs TEMPLATE UPDATE on the template (template admins, or an ADMIN ACL entry).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateTemplateAclInput, required: true, description: "The entries." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => templates.updateTemplateAcl(ctx, input)),
  }),
}));
