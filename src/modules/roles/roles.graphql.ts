// Roles and permissions as the API shows them: built-in roles from src/authz, custom roles from
// the database, both described by the same evaluator data; the custom-role mutations and the
// batch permission check.
import { can, canAssignRole } from "../../authz/evaluator.js";
import {
  ACTIONS,
  type Action,
  PERMISSIONS,
  type Permission,
  RESOURCE_TYPES,
  type ResourceType,
} from "../../authz/permissions.js";
import { organizationObject } from "../../authz/policies/organization.js";
import { type BuiltInRole, builtInRole, isImplicitRole, ORGANIZATION_ROLES, SITE_ROLES } from "../../authz/roles.js";
import { storedPermissions } from "../../authz/subject-loader.js";
import type { CustomRole } from "../../generated/prisma/client.js";
import { builder } from "../../graphql/builder.js";
import { compositeGlobalId, uuidParts } from "../../graphql/ids.js";
import { registerNodeLoader } from "../../graphql/node-loaders.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import { DeletePayload, describedValues, payloadType, withUserErrors } from "../shared/shared.graphql.js";
import * as customRoles from "./custom-roles.service.js";
import { type Answer, checkPermissions } from "./permission-checks.js";

/** "Actions: READ (what it allows), ..." for one resource type, from the permission registry. */
const resourceDescription = (resource: ResourceType) =>
  `Actions: ${Object.entries(PERMISSIONS[resource])
    .map(([action, allows]) => `${action} (${allows})`)
    .join(" ")}`;

export const ResourceTypeEnum = builder.enumType("ResourceType", {
  description: "The kind of object a permission applies to; each lists the actions valid on it.",
  values: describedValues(RESOURCE_TYPES, resourceDescription),
});

const ACTION_DESCRIPTIONS: Record<Action, string> = {
  CREATE: "Create an object of the resource type.",
  READ: "See objects of the resource type.",
  UPDATE: "Change objects of the resource type.",
  DELETE: "Delete objects of the resource type.",
  USE: "Use a template to create workspaces.",
  START: "Start a workspace.",
  STOP: "Stop a workspace.",
  ASSIGN: "Assign roles (ASSIGN_ROLE, ASSIGN_ORG_ROLE).",
  UNASSIGN: "Remove assigned roles (ASSIGN_ROLE, ASSIGN_ORG_ROLE).",
};
export const ActionEnum = builder.enumType("Action", {
  description: "What a permission allows on its resource type; see ResourceType for the valid pairs.",
  values: describedValues(ACTIONS, (action) => ACTION_DESCRIPTIONS[action]),
});

export const PermissionType = builder.objectRef<Permission>("Permission").implement({
  description: "One permission a role grants (or, negated, denies): an action on a resource type.",
  fields: (t) => ({
    resource: t.field({ type: ResourceTypeEnum, description: "The resource type.", resolve: (p) => p.resource }),
    action: t.field({ type: ActionEnum, description: "The action on it.", resolve: (p) => p.action }),
    negate: t.boolean({
      description: "A negated permission denies, and a denial wins over any grant at the same or a lower level.",
      resolve: (p) => p.negate ?? false,
    }),
  }),
});

export const PermissionInput = builder.inputType("PermissionInput", {
  description: "One permission of a custom role: a valid action on a resource type (see ResourceType).",
  fields: (t) => ({
    resource: t.field({ type: ResourceTypeEnum, required: true, description: "The resource type." }),
    action: t.field({ type: ActionEnum, required: true, description: "An action valid on that resource type." }),
  }),
});

export type RoleView = {
  name: string;
  displayName: string;
  /** Null for site roles. */
  organizationId: string | null;
  builtIn: boolean;
  permissions: Permission[];
};

export function builtInRoleView(role: BuiltInRole, organizationId: string | null): RoleView {
  return {
    name: role.name,
    displayName: role.displayName,
    organizationId,
    builtIn: true,
    permissions: [...(role.site ?? []), ...(role.org ?? []), ...(role.member ?? [])].map((p) => ({
      resource: p.resource,
      action: p.action,
      negate: p.negate ?? false,
    })),
  };
}

export function customRoleView(role: Pick<CustomRole, "name" | "displayName" | "organizationId" | "permissions">) {
  const permissions = storedPermissions(role.permissions).map((p) => ({ ...p, negate: p.negate ?? false }));
  return {
    name: role.name,
    displayName: role.displayName,
    organizationId: role.organizationId,
    builtIn: false,
    permissions,
  };
}

export const siteRoleViews = (): RoleView[] => SITE_ROLES.map((role) => builtInRoleView(role, null));

/** The built-in organization roles as held in one organization, then its custom roles by name. */
export function organizationRoleViews(organizationId: string, custom: readonly CustomRole[]): RoleView[] {
  return [
    ...ORGANIZATION_ROLES.map((role) => builtInRoleView(role, organizationId)),
    ...[...custom].sort((a, b) => a.name.localeCompare(b.name)).map(customRoleView),
  ];
}

/** A role's raw node id: its organization (or "site") and its name. */
const roleKey = (role: Pick<RoleView, "organizationId" | "name">) => [role.organizationId ?? SITE, role.name];
const SITE = "site";

export const RoleType = builder.objectRef<RoleView>("Role").implement({
  interfaces: [builder.nodeInterfaceRef()],
  description:
    "A role: built in (site roles: owner, member, auditor, user-admin, template-admin; organization roles: organization-admin, organization-member, organization-auditor, organization-user-admin, organization-template-admin, organization-workspace-creation-ban) or a custom organization role.",
  fields: (t) => ({
    id: t.id({
      description:
        "Global id of the role as held in its organization (organization and name; site roles: the name), so a normalized client cache keeps one object per role.",
      resolve: (role) => compositeGlobalId("Role", roleKey(role)),
    }),
    name: t.exposeString("name", {
      description: "The role's identifier, as held in roles lists and role inputs (e.g. organization-admin).",
    }),
    displayName: t.exposeString("displayName", { description: "Human-readable name; the name when none was given." }),
    organization: t.field({
      type: OrganizationType,
      nullable: true,
      description:
        "The organization of an organization role; null for site roles, and when the viewer may not read it.",
      authScopes: (role, _args, ctx) =>
        role.organizationId === null ||
        permissionScopes(ctx, { action: "READ", ...organizationObject({ id: role.organizationId }) }),
      unauthorizedResolver: () => null,
      // findUnique calls of one tick are batched by Prisma: a list of roles costs one query.
      resolve: (role, _args, ctx) =>
        role.organizationId === null
          ? null
          : ctx.prisma.organization.findUnique({ where: { id: role.organizationId } }),
    }),
    builtIn: t.exposeBoolean("builtIn", { description: "True for built-in roles, false for custom roles." }),
    assignable: t.boolean({
      description:
        "Whether the viewer may assign this role. Always false for the implied roles (member, organization-member): everyone holds them and they cannot be assigned or removed.",
      resolve: async (role, _args, ctx) => {
        if (role.builtIn && isImplicitRole(role.name)) return false;
        const subject = await ctx.viewer.subject();
        return subject !== null && canAssignRole(subject, role.name, role.organizationId, !role.builtIn);
      },
    }),
    permissions: t.field({
      type: [PermissionType],
      description: "Everything the role grants or denies, at site, organization and member level.",
      resolve: (role) => role.permissions,
    }),
  }),
});

/**
 * A role by its node id: site roles for any signed-in user, an organization's roles (built-in and
 * custom) for whoever may read its roles (ASSIGN_ORG_ROLE READ there), as Organization.roles.
 */
registerNodeLoader("Role", async (id, ctx) => {
  const subject = await ctx.viewer.subject();
  const separator = id.indexOf(":");
  if (!subject || separator < 0) return null;
  const [scope, name] = [id.slice(0, separator), id.slice(separator + 1)];
  const builtIn = builtInRole(name);
  if (scope === SITE) return builtIn?.scope === "site" ? builtInRoleView(builtIn, null) : null;
  const [organizationId] = uuidParts(scope, 1) ?? [];
  if (!organizationId || !can(subject, "READ", { type: "ASSIGN_ORG_ROLE", organizationId })) return null;
  const org = await ctx.prisma.organization.findUnique({
    where: { id: organizationId },
    select: { customRoles: { where: { name }, take: 1 } },
  });
  if (!org) return null;
  if (builtIn) return builtIn.scope === "organization" ? builtInRoleView(builtIn, organizationId) : null;
  const custom = org.customRoles[0];
  return custom ? customRoleView(custom) : null;
});

builder.queryField("siteRoles", (t) =>
  t.field({
    type: [RoleType],
    description: "The built-in site roles (site roles cannot be custom).",
    authScopes: { authenticated: true },
    resolve: () => siteRoleViews(),
  }),
);

// ---- custom roles

const CustomRoleInput = builder.inputType("CustomRoleInput", {
  description: "A custom organization role: created, or (updateCustomRole) replaced by name.",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    name: t.string({
      required: true,
      description: "The role's identifier, unique in the organization; cannot be a built-in role's name.",
    }),
    displayName: t.string({ description: "Human-readable name; on update, unchanged when left out." }),
    permissions: t.field({
      type: [PermissionInput],
      required: true,
      description: "The complete list of organization permissions the role grants (replaces the old list on update).",
    }),
  }),
});

const DeleteCustomRoleInput = builder.inputType("DeleteCustomRoleInput", {
  description: "The custom role to delete.",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    name: t.string({ required: true, description: "The custom role's name." }),
  }),
});

const RolePayload = payloadType("RolePayload", "role", RoleType);

const asRolePayload = async (work: () => Promise<{ role: CustomRole }>) =>
  withUserErrors(async () => ({ role: customRoleView((await work()).role) }));

builder.mutationFields((t) => ({
  createCustomRole: t.field({
    nullable: true,
    type: RolePayload,
    description:
      "Needs ASSIGN_ORG_ROLE CREATE in the organization. Organization permissions only, each held by the caller there (else PERMISSION_ESCALATION).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CustomRoleInput, required: true, description: "The role." }) },
    resolve: (_root, { input }, ctx) => asRolePayload(() => customRoles.createCustomRole(ctx, input)),
  }),
  updateCustomRole: t.field({
    nullable: true,
    type: RolePayload,
    description:
      "Replaces the permissions of the custom role named in the input (the display name only when given). A missing role is NOT_FOUND.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CustomRoleInput, required: true, description: "The role." }) },
    resolve: (_root, { input }, ctx) => asRolePayload(() => customRoles.updateCustomRole(ctx, input)),
  }),
  deleteCustomRole: t.field({
    nullable: true,
    type: DeletePayload,
    description:
      "Deletes the custom role and removes it from every member who held it; deletedId is the role's name (roles are not nodes). A missing role is NOT_FOUND.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: DeleteCustomRoleInput, required: true, description: "The role to delete." }) },
    resolve: (_root, { input }, ctx) =>
      withUserErrors(async () => {
        const { role } = await customRoles.deleteCustomRole(ctx, input);
        return { deletedId: role.name };
      }),
  }),
}));

// ---- permission checks

const PermissionCheckInput = builder.inputType("PermissionCheckInput", {
  description: "One question for checkPermissions: may the viewer do this action on this resource?",
  fields: (t) => ({
    key: t.string({ required: true, description: "Echoed back, to match results to checks." }),
    resource: t.field({ type: ResourceTypeEnum, required: true, description: "The resource type." }),
    action: t.field({ type: ActionEnum, required: true, description: "The action." }),
    organizationId: t.id({
      description: "Global id of the organization the object would be in; left out, site-wide permissions only.",
    }),
    ownerId: t.id({ description: "Global id of the user who would own the object (e.g. a workspace's owner)." }),
    resourceId: t.id({
      description: "Global id of an existing object; its own organization, owner and template ACL then decide.",
    }),
  }),
});

const PermissionCheckResult = builder.objectRef<Answer>("PermissionCheckResult").implement({
  description: "The answer to one PermissionCheckInput.",
  fields: (t) => ({
    key: t.exposeString("key", { description: "The check's key, as sent." }),
    allowed: t.exposeBoolean("allowed", { description: "Whether the viewer may do it." }),
    reason: t.string({
      description:
        "Why, in one sentence: the role (or template ACL role) that allowed; the role whose negation denied; or the missing permission and the nearest built-in role that would grant it. An object the viewer cannot read answers only that it does not exist. explainPermission gives the whole trail.",
      resolve: (result) => result.reason(),
    }),
  }),
});

builder.queryField("checkPermissions", (t) =>
  t.field({
    type: [PermissionCheckResult],
    description:
      "Batch permission check for UIs, like an authorization 'can I' endpoint. With resourceId, the object's own organization, owner and template ACL decide; an object the viewer cannot read, or a malformed id, answers false.",
    authScopes: { authenticated: true },
    args: {
      checks: t.arg({
        type: [PermissionCheckInput],
        required: true,
        description: "The questions; the results come back in the same order, with their keys.",
      }),
    },
    resolve: async (_root, { checks }, ctx) => {
      const { subject } = await ctx.viewer.require();
      return checkPermissions(ctx.prisma, subject, checks);
    },
  }),
);
