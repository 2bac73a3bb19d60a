// The role fields of an organization: its roles (built-in organization roles and its custom
// roles) and what the viewer may do in it.
import { permissionsIn } from "../../authz/evaluator.js";
import { builder } from "../../graphql/builder.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import { organizationRoleViews, PermissionType, RoleType } from "./roles.graphql.js";

builder.prismaObjectFields(OrganizationType, (t) => ({
  roles: t.field({
    type: [RoleType],
    description:
      "The roles of this organization a member can hold: the built-in organization roles and its custom roles. organization-member is listed but implied (every member holds it; assignable: false); a role's assignable says whether the viewer may grant it, so a role editor offers exactly the roles with assignable true. Empty (not an error) unless the viewer may read the organization's roles (ASSIGN_ORG_ROLE READ there; every member may).",
    // Loaded with the organization itself: no query per organization in a list.
    select: { customRoles: true },
    authScopes: (org, _args, ctx) =>
      permissionScopes(ctx, { action: "READ", type: "ASSIGN_ORG_ROLE", organizationId: org.id }),
    unauthorizedResolver: () => [],
    resolve: (org) => organizationRoleViews(org.id, org.customRoles),
  }),
  viewerPermissions: t.field({
    type: [PermissionType],
    description:
      "Every permission the viewer holds in this organization, after denials: on all its objects or only on their own (e.g. their workspaces). Template ACL entries are per template: see checkPermissions.",
    resolve: async (org, _args, ctx) => {
      const subject = await ctx.viewer.subject();
      return subject ? permissionsIn(subject, org.id) : [];
    },
  }),
}));
