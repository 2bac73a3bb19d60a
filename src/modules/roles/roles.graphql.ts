// Roles and permissions as the API shows them: built-in roles from src/authz, custom roles from
// the database, both described by the same evaluator data.
import { canAssignRole } from "../../authz/evaluator.js";
import { ACTIONS, type Permission, RESOURCE_TYPES } from "../../authz/permissions.js";
import { type BuiltInRole, SITE_ROLES } from "../../authz/roles.js";
import { builder } from "../../graphql/builder.js";

export const ResourceTypeEnum = builder.enumType("ResourceType", { values: RESOURCE_TYPES });
export const ActionEnum = builder.enumType("Action", { values: ACTIONS });

export const PermissionType = builder.objectRef<Permission>("Permission").implement({
  fields: (t) => ({
    resource: t.field({ type: ResourceTypeEnum, resolve: (p) => p.resource }),
    action: t.field({ type: ActionEnum, resolve: (p) => p.action }),
    negate: t.boolean({
      description: "A negated permission denies, and a denial wins over any grant at the same or a lower level.",
      resolve: (p) => p.negate ?? false,
    }),
  }),
});

export const PermissionInput = builder.inputType("PermissionInput", {
  fields: (t) => ({
    resource: t.field({ type: ResourceTypeEnum, required: true }),
    action: t.field({ type: ActionEnum, required: true }),
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

export const siteRoleViews = (): RoleView[] => SITE_ROLES.map((role) => builtInRoleView(role, null));

export const RoleType = builder.objectRef<RoleView>("Role").implement({
  description:
    "A role: built in (site roles: owner, member, auditor, user-admin, template-admin; organization roles: organization-admin, organization-member, organization-auditor, organization-user-admin, organization-template-admin, organization-workspace-creation-ban) or a custom organization role.",
  fields: (t) => ({
    name: t.exposeString("name"),
    displayName: t.exposeString("displayName"),
    builtIn: t.exposeBoolean("builtIn"),
    assignable: t.boolean({
      description: "Whether the viewer may assign this role.",
      resolve: async (role, _args, ctx) => {
        const subject = await ctx.subject();
        return subject !== null && canAssignRole(subject, role.name, role.organizationId, !role.builtIn);
      },
    }),
    permissions: t.field({ type: [PermissionType], resolve: (role) => role.permissions }),
  }),
});

builder.queryField("siteRoles", (t) =>
  t.field({
    type: [RoleType],
    authScopes: { authenticated: true },
    resolve: () => siteRoleViews(),
  }),
);
