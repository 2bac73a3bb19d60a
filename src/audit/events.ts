// The audit events the service records: every (resource type, action) pair, with the shape of its
// diff. recordAudit accepts only these pairs and the diff of each; a new event starts here.
// Nested values owned by a module (sync settings, sync summaries, ACL changes) stay `unknown`:
// the audit layer imports no module.
import type { LoginType, UserStatus, WorkspaceTransition } from "../generated/prisma/enums.js";

/** A value before and after the change. */
export type Change<T = unknown> = { from: T; to: T };

/** `{ field: { from, to } }` for the fields that changed, built at run time. */
export type ChangedFields = Record<string, unknown>;

/** A change the identity provider's claims made at sign-in (the row has no actor). */
type IdpSyncReason = { reason: "idp-sync" };

/** No diff: the row's resource columns say it all. */
type NoDiff = undefined;

type OrganizationFields = { name: string; displayName: string; description: string; icon: string };
type GroupFields = { name: string; displayName: string; avatarUrl: string; quotaAllowance: number };
type SyncSettingsChange = { from: unknown; to: unknown };
type WorkspaceBuilt = {
  transition: WorkspaceTransition;
  buildNumber: number;
  buildId: string;
  dailyCost: number;
};

export type AuditRegistry = {
  USER: {
    CREATE:
      | { username: string; email: string; loginType: LoginType; organizationIds: string[] }
      | { username: string; email: string; loginType: "OIDC"; reason: "oidc-login" }
      | {
          username: string;
          scimUserName: string | null;
          scimExternalId: string | null;
          email: string;
          loginType: "OIDC";
          status: UserStatus;
          organizationIds: string[];
          reason: "scim";
        };
    REGISTER: { username: string; email: string; siteRoles: string[]; firstUser: true };
    /**
     * A sign-in. A refused one (`success: false`) has the same shape whether the email exists or
     * not: no resource id, the address tried as resource name.
     */
    LOGIN:
      | { loginType: "PASSWORD" }
      | { loginType: "PASSWORD"; email: string; reason: "invalid-credentials" | "suspended" }
      | { loginType: "OIDC"; reason: string }
      | {
          loginType: "OIDC";
          linkedBy: string;
          email?: Change<string>;
          status?: Change<UserStatus>;
          sync: unknown;
        };
    ASSIGN_ROLES: { siteRoles: Change<string[]> };
    /** SCIM: the attributes that changed, and `reason` "scim", "scim-link" or "scim-delete". */
    UPDATE: ChangedFields;
    DELETE: { email: string; reason: "scim" } | { email: string; username: string };
  };
  SESSION: { LOGOUT: NoDiff };
  API_KEY: {
    CREATE: { name: string; expiresAt: Date | null };
    DELETE: { name: string; owner: string };
    LOGOUT: NoDiff;
  };
  ORGANIZATION: {
    CREATE: OrganizationFields;
    UPDATE: ChangedFields;
    DELETE: { name: string };
  };
  ORGANIZATION_MEMBER: {
    ADD_MEMBER: NoDiff | IdpSyncReason;
    REMOVE_MEMBER: { roles: string[]; groups: string[] } | IdpSyncReason;
    ASSIGN_ROLES: { roles: Change<string[]> } | ({ roles: Change<string[]> } & IdpSyncReason);
  };
  CUSTOM_ROLE: {
    CREATE: { name: string; displayName: string; permissions: unknown };
    UPDATE: { displayName: Change<string>; permissions: Change<unknown> };
    DELETE: { name: string; permissions: unknown; removedFromMembers: number };
  };
  GROUP: {
    CREATE:
      | GroupFields
      | ({ name: string; source: "OIDC" } & IdpSyncReason)
      | { name: string; displayName: string; members: unknown; reason: "scim" };
    /** The fields that changed and the members added or removed (by the API or SCIM). */
    UPDATE: ChangedFields;
    DELETE: { name: string } | { name: string; reason: "scim" };
    ADD_MEMBER: { userId: string; username: string } & IdpSyncReason;
    REMOVE_MEMBER: { userId: string; username: string } & IdpSyncReason;
  };
  PROVISIONER_KEY: {
    CREATE: { name: string; tags: Record<string, string> };
    DELETE: { name: string; daemons: number; failedJobs: number };
  };
  PROVISIONER_JOB: {
    /** `to` is CANCELED for a pending job, CANCELING for a running one (its daemon finishes it). */
    CANCEL: { type: string; from: string; to: string };
  };
  PROVISIONER_DAEMON: {
    REGISTER: { keyName: string; version: string; provisioners: string[]; tags: Record<string, string> };
  };
  TEMPLATE: {
    CREATE: {
      name: string;
      displayName: string;
      description: string;
      icon: string;
      dailyCost: number;
      tags: Record<string, string>;
      everyoneGroupAccess: boolean;
      importJobId: string;
    };
    /** An ACL change, or the fields that changed (updateTemplate; `everyoneGroupAccess` when it was removed). */
    UPDATE: { acl: { users: unknown; groups: unknown } } | ChangedFields;
    /** Jobs of its versions and of its deleted workspaces' builds that were canceled; deleted workspace rows removed. */
    DELETE: { name: string; canceledJobs: number; deletedWorkspaces: number };
  };
  TEMPLATE_VERSION: {
    CREATE: { templateId: string; name: string; dailyCost: number; tags: Record<string, string>; importJobId: string };
    /** `previous`: the version that was active before. */
    PROMOTE: { templateId: string; name: string; previous?: string | null };
    ARCHIVE: { templateId: string; name: string };
    UNARCHIVE: { templateId: string; name: string };
  };
  WORKSPACE: {
    CREATE: { name: string; ownerId: string; templateId: string; buildId: string; dailyCost: number };
    START: WorkspaceBuilt & { templateVersionId: string };
    STOP: WorkspaceBuilt;
    /** `orphan`: deleted without a provisioner; `canceledJobId`: the build in progress it canceled. */
    DELETE: WorkspaceBuilt | (WorkspaceBuilt & { orphan: true; canceledJobId: string | null });
  };
  IDPSYNC_SETTINGS: { UPDATE: SyncSettingsChange };
  /** A call to /scim/v2: accepted (`success`) or refused for a missing or wrong bearer key. */
  SCIM_KEY: { LOGIN: { method: string; path: string; status: number } };
};

/**
 * The registry's pairs at run time (GraphQL's AuditAction and AuditResourceType enums, the
 * filters): `satisfies` refuses an action not registered, `_Complete` one registered but missing here.
 */
export const AUDIT_EVENTS = {
  USER: ["CREATE", "REGISTER", "LOGIN", "ASSIGN_ROLES", "UPDATE", "DELETE"],
  SESSION: ["LOGOUT"],
  API_KEY: ["CREATE", "DELETE", "LOGOUT"],
  ORGANIZATION: ["CREATE", "UPDATE", "DELETE"],
  ORGANIZATION_MEMBER: ["ADD_MEMBER", "REMOVE_MEMBER", "ASSIGN_ROLES"],
  CUSTOM_ROLE: ["CREATE", "UPDATE", "DELETE"],
  GROUP: ["CREATE", "UPDATE", "DELETE", "ADD_MEMBER", "REMOVE_MEMBER"],
  PROVISIONER_KEY: ["CREATE", "DELETE"],
  PROVISIONER_JOB: ["CANCEL"],
  PROVISIONER_DAEMON: ["REGISTER"],
  TEMPLATE: ["CREATE", "UPDATE", "DELETE"],
  TEMPLATE_VERSION: ["CREATE", "PROMOTE", "ARCHIVE", "UNARCHIVE"],
  WORKSPACE: ["CREATE", "START", "STOP", "DELETE"],
  IDPSYNC_SETTINGS: ["UPDATE"],
  SCIM_KEY: ["LOGIN"],
} as const satisfies { [R in keyof AuditRegistry]: readonly (keyof AuditRegistry[R])[] };

type Listed<R extends keyof AuditRegistry> = (typeof AUDIT_EVENTS)[R][number];
/** Never anything but `never`: each registered action of each resource type is listed above. */
export type _Complete = {
  [R in keyof AuditRegistry]: Exclude<keyof AuditRegistry[R], Listed<R>>;
}[keyof AuditRegistry];
const _complete: [_Complete] extends [never] ? true : false = true;
void _complete;

/** Every resource type, and every action some resource type records, in the registry's order. */
export const AUDIT_RESOURCE_TYPES = Object.keys(AUDIT_EVENTS) as (keyof AuditRegistry)[];
export const AUDIT_ACTIONS = [...new Set(Object.values(AUDIT_EVENTS).flat())] as AuditAction[];

export type AuditResourceType = keyof AuditRegistry;

/** Every action some resource type records. */
export type AuditAction = { [R in AuditResourceType]: keyof AuditRegistry[R] }[AuditResourceType];

/** An event of resource type R and action A (a union of actions allows the union of their diffs). */
export type EventOf<R extends AuditResourceType, A extends keyof AuditRegistry[R]> = {
  resourceType: R;
  action: A;
  resourceId?: string | null;
  resourceName?: string | null;
  organizationId?: string | null;
  /** False for a refused sign-in; true when left out. */
  success?: boolean;
} & (undefined extends AuditRegistry[R][A] ? { diff?: AuditRegistry[R][A] } : { diff: AuditRegistry[R][A] });

/** One registered event: its (resource type, action) pair decides the diff's shape. */
export type AuditEvent = {
  [R in AuditResourceType]: { [A in keyof AuditRegistry[R]]: EventOf<R, A> }[keyof AuditRegistry[R]];
}[AuditResourceType];
