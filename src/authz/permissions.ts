// The registry of everything that can be permitted: resource types, the actions each supports,
// and what each permission means. Roles, the evaluator, the schema's enums and the matrix test
// are all derived from this table.

export const RESOURCE_TYPES = [
  "USER",
  "API_KEY",
  "ORGANIZATION",
  "ORGANIZATION_MEMBER",
  "ASSIGN_ROLE",
  "ASSIGN_ORG_ROLE",
  "GROUP",
  "GROUP_MEMBER",
  "TEMPLATE",
  "WORKSPACE",
  "PROVISIONER_DAEMON",
  "PROVISIONER_JOBS",
  "IDPSYNC_SETTINGS",
  "AUDIT_LOG",
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const ACTIONS = ["CREATE", "READ", "UPDATE", "DELETE", "USE", "START", "STOP", "ASSIGN", "UNASSIGN"] as const;
export type Action = (typeof ACTIONS)[number];

export type PermissionKey = `${ResourceType}:${Action}`;

export type Permission = { resource: ResourceType; action: Action; negate?: boolean };

/** Every valid permission, with what it allows. */
export const PERMISSIONS: Readonly<Record<ResourceType, Partial<Record<Action, string>>>> = {
  USER: {
    CREATE: "Create user accounts.",
    READ: "See user accounts: username, email, name, status, site roles.",
    UPDATE: "Change a user's profile or status (suspend, reactivate).",
    DELETE: "Delete user accounts.",
  },
  API_KEY: {
    CREATE: "Create API tokens.",
    READ: "List API tokens (never their secrets).",
    DELETE: "Revoke API tokens.",
  },
  ORGANIZATION: {
    CREATE: "Create organizations.",
    READ: "See an organization's name, display name, description and icon.",
    UPDATE: "Rename an organization or change its display name, description or icon.",
    DELETE: "Delete an empty organization.",
  },
  ORGANIZATION_MEMBER: {
    CREATE: "Add users to an organization.",
    READ: "See an organization's members and their roles.",
    UPDATE: "Change organization members.",
    DELETE: "Remove members from an organization.",
  },
  ASSIGN_ROLE: {
    READ: "See site roles and who holds them.",
    ASSIGN: "Give site roles to users (only roles the assigner may assign).",
    UNASSIGN: "Take site roles away from users.",
  },
  ASSIGN_ORG_ROLE: {
    CREATE: "Create custom organization roles.",
    READ: "See an organization's roles.",
    UPDATE: "Change custom organization roles.",
    DELETE: "Delete custom organization roles.",
    ASSIGN: "Give organization roles to members (only roles the assigner may assign).",
    UNASSIGN: "Take organization roles away from members.",
  },
  GROUP: {
    CREATE: "Create groups.",
    READ: "See groups and their settings.",
    UPDATE: "Rename groups, change their quota allowance, add and remove members.",
    DELETE: "Delete groups.",
  },
  GROUP_MEMBER: {
    READ: "See who is in a group.",
  },
  TEMPLATE: {
    CREATE: "Create templates.",
    READ: "See templates.",
    UPDATE: "Change templates and their access lists.",
    DELETE: "Delete templates.",
    USE: "Create workspaces from a template.",
  },
  WORKSPACE: {
    CREATE: "Create workspaces.",
    READ: "See workspaces and their builds.",
    UPDATE: "Change workspace settings.",
    DELETE: "Delete workspaces.",
    START: "Start workspaces.",
    STOP: "Stop workspaces.",
  },
  PROVISIONER_DAEMON: {
    CREATE: "Create provisioner keys and register daemons.",
    READ: "See provisioner daemons and their health.",
    UPDATE: "Change provisioner daemons.",
    DELETE: "Delete provisioner keys, cutting off their daemons.",
  },
  PROVISIONER_JOBS: {
    READ: "See provisioner jobs.",
    UPDATE: "Cancel provisioner jobs.",
  },
  IDPSYNC_SETTINGS: {
    READ: "See identity-provider sync settings.",
    UPDATE: "Change identity-provider sync settings.",
  },
  AUDIT_LOG: {
    READ: "Read the audit log.",
  },
};

export const permissionKey = (resource: ResourceType, action: Action): PermissionKey => `${resource}:${action}`;

/** Every valid (resource, action) pair, in registry order. */
export const ALL_PERMISSIONS: readonly Permission[] = RESOURCE_TYPES.flatMap((resource) =>
  (Object.keys(PERMISSIONS[resource]) as Action[]).map((action) => ({ resource, action })),
);

export function isValidPermission(resource: ResourceType, action: Action): boolean {
  const actions = PERMISSIONS[resource];
  return actions !== undefined && Object.hasOwn(PERMISSIONS, resource) && Object.hasOwn(actions, action);
}

/** Every valid action on the given resources. */
export function allActionsOn(...resources: ResourceType[]): Permission[] {
  return ALL_PERMISSIONS.filter((p) => resources.includes(p.resource));
}

/** The given actions on a resource, checked against the registry at load time. */
export function actions(resource: ResourceType, ...list: Action[]): Permission[] {
  for (const action of list) {
    if (!isValidPermission(resource, action)) throw new Error(`unknown permission ${resource}:${action}`);
  }
  return list.map((action) => ({ resource, action }));
}
