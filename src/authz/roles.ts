// Built-in roles as data. A role grants permissions at up to three levels:
// - site:   applies to every object everywhere (site roles only);
// - org:    applies to every object in the organization the role is held in (organization roles);
// - member: applies to the holder's own objects (in that organization, for organization roles).
// `assigns` lists the roles a holder may give or take away; "custom" stands for the custom
// roles of the organization the role is held in.
import {
  type Action,
  ALL_PERMISSIONS,
  actions,
  allActionsOn,
  isValidPermission,
  type Permission,
  type ResourceType,
} from "./permissions.js";

export type RoleScope = "site" | "organization";

export type BuiltInRole = {
  name: string;
  displayName: string;
  scope: RoleScope;
  /** Held by every user (site) or every member (organization) without being stored. */
  implicit?: boolean;
  site?: Permission[];
  org?: Permission[];
  member?: Permission[];
  assigns: readonly string[];
};

export const CUSTOM = "custom";

/** Resources that live inside an organization: the only ones custom roles may grant. */
export const ORGANIZATION_RESOURCES: readonly ResourceType[] = [
  "ORGANIZATION",
  "ORGANIZATION_MEMBER",
  "ASSIGN_ORG_ROLE",
  "GROUP",
  "GROUP_MEMBER",
  "TEMPLATE",
  "WORKSPACE",
  "PROVISIONER_DAEMON",
  "PROVISIONER_JOBS",
  "IDPSYNC_SETTINGS",
  "AUDIT_LOG",
];

/** Organization-resource permissions that still only make sense site-wide. */
const SITE_ONLY_ORGANIZATION_ACTIONS: readonly Action[] = ["CREATE", "DELETE"];

/** Why a permission cannot be granted by a custom organization role; undefined when it can. */
export function customRolePermissionProblem(resource: ResourceType, action: Action): string | undefined {
  if (!isValidPermission(resource, action)) return `${action} is not an action on ${resource}.`;
  if (!ORGANIZATION_RESOURCES.includes(resource)) {
    return `${resource} is not an organization resource; custom roles grant organization permissions only.`;
  }
  if (resource === "ORGANIZATION" && SITE_ONLY_ORGANIZATION_ACTIONS.includes(action)) {
    return `${action} on ORGANIZATION is a site-level permission.`;
  }
  return undefined;
}

const ORG_ROLE_NAMES = [
  "organization-admin",
  "organization-member",
  "organization-auditor",
  "organization-user-admin",
  "organization-template-admin",
  "organization-workspace-creation-ban",
] as const;

const readAroundOrganizations = [
  ...actions("ORGANIZATION", "READ"),
  ...actions("ORGANIZATION_MEMBER", "READ"),
  ...actions("GROUP", "READ"),
  ...actions("GROUP_MEMBER", "READ"),
];

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  {
    name: "owner",
    displayName: "Owner",
    scope: "site",
    site: [...ALL_PERMISSIONS],
    assigns: ["owner", "member", "auditor", "user-admin", "template-admin", ...ORG_ROLE_NAMES, CUSTOM],
  },
  {
    name: "member",
    displayName: "Member",
    scope: "site",
    implicit: true,
    site: actions("ASSIGN_ROLE", "READ"),
    // The list: own API keys, read own user (no profile updates exist in the API).
    member: [...actions("USER", "READ"), ...allActionsOn("API_KEY")],
    assigns: [],
  },
  {
    name: "auditor",
    displayName: "Auditor",
    scope: "site",
    site: [
      ...actions("AUDIT_LOG", "READ"),
      ...actions("USER", "READ"),
      ...readAroundOrganizations,
      ...actions("TEMPLATE", "READ"),
      ...actions("ASSIGN_ROLE", "READ"),
      ...actions("ASSIGN_ORG_ROLE", "READ"),
    ],
    assigns: [],
  },
  {
    name: "user-admin",
    displayName: "User Admin",
    scope: "site",
    site: [
      ...allActionsOn("USER", "ORGANIZATION_MEMBER", "GROUP", "GROUP_MEMBER", "ASSIGN_ROLE", "IDPSYNC_SETTINGS"),
      ...actions("ORGANIZATION", "READ"),
      ...actions("ASSIGN_ORG_ROLE", "READ", "ASSIGN", "UNASSIGN"),
      // Lists and revokes anyone's API tokens (a suspected leak); creates only its own.
      ...actions("API_KEY", "READ", "DELETE"),
    ],
    assigns: ["member", "organization-member"],
  },
  {
    name: "template-admin",
    displayName: "Template Admin",
    scope: "site",
    site: [
      ...allActionsOn("TEMPLATE", "PROVISIONER_DAEMON", "PROVISIONER_JOBS"),
      ...actions("WORKSPACE", "READ"),
      ...actions("USER", "READ"),
      ...readAroundOrganizations,
    ],
    assigns: [],
  },
  {
    name: "organization-admin",
    displayName: "Organization Admin",
    scope: "organization",
    org: [
      ...actions("ORGANIZATION", "READ", "UPDATE"),
      ...allActionsOn(
        "ORGANIZATION_MEMBER",
        "ASSIGN_ORG_ROLE",
        "GROUP",
        "GROUP_MEMBER",
        "TEMPLATE",
        "WORKSPACE",
        "PROVISIONER_DAEMON",
        "PROVISIONER_JOBS",
        "IDPSYNC_SETTINGS",
        "AUDIT_LOG",
      ),
    ],
    assigns: [...ORG_ROLE_NAMES, CUSTOM],
  },
  {
    name: "organization-member",
    displayName: "Organization Member",
    scope: "organization",
    implicit: true,
    org: [
      ...actions("ORGANIZATION", "READ"),
      ...actions("ORGANIZATION_MEMBER", "READ"),
      ...actions("PROVISIONER_DAEMON", "READ"),
      ...actions("ASSIGN_ORG_ROLE", "READ"),
    ],
    // The list: create, read, start, stop and delete their own workspaces (no UPDATE).
    member: actions("WORKSPACE", "CREATE", "READ", "DELETE", "START", "STOP"),
    assigns: [],
  },
  {
    name: "organization-auditor",
    displayName: "Organization Auditor",
    scope: "organization",
    org: [
      ...actions("AUDIT_LOG", "READ"),
      ...actions("TEMPLATE", "READ"),
      ...readAroundOrganizations,
      ...actions("ASSIGN_ORG_ROLE", "READ"),
    ],
    assigns: [],
  },
  {
    name: "organization-user-admin",
    displayName: "Organization User Admin",
    scope: "organization",
    org: [
      ...actions("ORGANIZATION", "READ"),
      ...allActionsOn("ORGANIZATION_MEMBER", "GROUP", "GROUP_MEMBER", "IDPSYNC_SETTINGS"),
      ...actions("ASSIGN_ORG_ROLE", "READ", "ASSIGN", "UNASSIGN"),
    ],
    assigns: ["organization-member"],
  },
  {
    name: "organization-template-admin",
    displayName: "Organization Template Admin",
    scope: "organization",
    org: [
      ...allActionsOn("TEMPLATE", "PROVISIONER_DAEMON", "PROVISIONER_JOBS"),
      ...actions("WORKSPACE", "READ"),
      ...readAroundOrganizations,
    ],
    assigns: [],
  },
  {
    name: "organization-workspace-creation-ban",
    displayName: "Organization Workspace Creation Ban",
    scope: "organization",
    org: actions("WORKSPACE", "CREATE", "DELETE").map((p) => ({ ...p, negate: true })),
    assigns: [],
  },
];

/**
 * The role of the SCIM actor (the identity provider behind SCIM_API_KEY): what SCIM does, and
 * nothing more. Users everywhere (create, link, update, suspend, delete); in the default
 * organization, the only one SCIM knows (`org`, granted there alone by `compileSystemSubject`):
 * the users' memberships and the groups with their members. Held by no user: not in
 * BUILT_IN_ROLES, so it is never stored, assigned, listed or compiled from a stored role name.
 */
export const SCIM_ROLE: BuiltInRole = {
  name: "scim",
  displayName: "SCIM",
  scope: "site",
  site: actions("USER", "CREATE", "READ", "UPDATE", "DELETE"),
  org: [
    ...actions("ORGANIZATION", "READ"),
    ...actions("ORGANIZATION_MEMBER", "CREATE", "READ"),
    ...allActionsOn("GROUP", "GROUP_MEMBER"),
  ],
  assigns: [],
};

const byName = new Map(BUILT_IN_ROLES.map((role) => [role.name, role]));

export function builtInRole(name: string): BuiltInRole | undefined {
  return byName.get(name);
}

/** Built-in role names (SCIM's too), compared without case: custom roles may not take them. */
export function isBuiltInRoleName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === SCIM_ROLE.name || BUILT_IN_ROLES.some((role) => role.name === lower);
}

export const SITE_ROLES = BUILT_IN_ROLES.filter((r) => r.scope === "site");
export const ORGANIZATION_ROLES = BUILT_IN_ROLES.filter((r) => r.scope === "organization");
/** Site roles that can be stored on a user (member is implied). */
export const ASSIGNABLE_SITE_ROLE_NAMES = SITE_ROLES.filter((r) => !r.implicit).map((r) => r.name);
/** Organization roles that can be stored on a member (organization-member is implied). */
export const EXPLICIT_ORG_ROLE_NAMES = ORGANIZATION_ROLES.filter((r) => !r.implicit).map((r) => r.name);

/** Roles every user (member) or every organization member holds without it being stored. */
export function isImplicitRole(name: string): boolean {
  return builtInRole(name)?.implicit === true;
}

/** The first user runs the deployment. */
export const FIRST_USER_SITE_ROLES: readonly string[] = ["owner"];
