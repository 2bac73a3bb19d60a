// How a UI uses the typed results: permission-gated buttons from viewerPermissions, the role
// editor offering only assignable roles, the members table's rows and the mutation's userErrors.
// Type-checked by `npm run examples:check`; it runs no request.
import type { ResultOf, VariablesOf } from "@graphql-typed-document-node/core";
import type { Action, ResourceType } from "./gql/graphql.js";
import type { MembersTable, OrganizationRoles, UpdateMemberRoles } from "./operations.js";

type Organization = NonNullable<ResultOf<typeof MembersTable>["organization"]>;
type Permission = Organization["viewerPermissions"][number];

/** Whether to show a button: a granted permission and no denial (a denial wins). */
export function can(permissions: readonly Permission[], resource: ResourceType, action: Action): boolean {
  const matching = permissions.filter((p) => p.resource === resource && p.action === action);
  return matching.some((p) => !p.negate) && !matching.some((p) => p.negate);
}

/** The members table's rows. */
export function memberRows(organization: Organization) {
  return organization.members.edges.map(({ node }) => ({
    id: node.user.id,
    username: node.user.username,
    email: node.user.email ?? "—",
    roles: node.roles.map((role) => role.displayName).join(", "),
    groups: node.groups.map((group) => group.displayName ?? group.name),
  }));
}

/** The role editor offers the roles that can be assigned. */
export function assignableRoles(result: ResultOf<typeof OrganizationRoles>) {
  return (result.organization?.roles ?? []).filter((role) => role.assignable);
}

export function editRolesVariables(organizationId: string, userId: string, roles: string[]) {
  return { input: { organizationId, userId, roles } } satisfies VariablesOf<typeof UpdateMemberRoles>;
}

/** A mutation's refusal the user can fix, shown by field; null when it succeeded. */
export function formErrors(result: ResultOf<typeof UpdateMemberRoles>): Map<string, string> | null {
  const payload = result.updateOrganizationMemberRoles;
  if (!payload || payload.userErrors.length === 0) return null;
  return new Map(payload.userErrors.map((error) => [error.field?.join(".") ?? "", error.message]));
}

export const buttons = (organization: Organization) => ({
  addMember: can(organization.viewerPermissions, "ORGANIZATION_MEMBER", "CREATE"),
  editRoles: can(organization.viewerPermissions, "ASSIGN_ORG_ROLE", "UPDATE"),
});
