// Who may see what of the provisioner resources, derived from the evaluator's permissions only.
//
// - Daemons: PROVISIONER_DAEMON READ in their organization (every member has it).
// - Keys: PROVISIONER_DAEMON CREATE in their organization. Keys are credentials: only those who
//   may create them (and so hand daemons to the organization) see their names, tags and daemons.
//   The secret is never readable by anyone.
// - Jobs: PROVISIONER_JOBS READ, or PROVISIONER_DAEMON READ, in their organization: whoever sees
//   a daemon busy may see the job it runs, and template authors (members) see their imports.
// - A provisioner daemon (Provisioner-Key actor) sees its own organization's daemons and jobs,
//   and that organization's id, name and displayName through its daemon (DAEMON_ORGANIZATION_GRANT).
import type { Actor } from "../../auth/actor.js";
import { type AuthzObject, can, type Subject } from "../evaluator.js";
import { allOf, organizationScopedWhere } from "../filters.js";
import type { Locator, NodeLoad, PermissionScope } from "./policy.js";

export const KEY_READ_ACTION = "CREATE" as const;

export function canReadKeys(subject: Subject | null, organizationId: string): boolean {
  return subject !== null && can(subject, KEY_READ_ACTION, { type: "PROVISIONER_DAEMON", organizationId });
}

export function canReadDaemons(subject: Subject | null, organizationId: string): boolean {
  return subject !== null && can(subject, "READ", { type: "PROVISIONER_DAEMON", organizationId });
}

export function canReadJobs(subject: Subject | null, organizationId: string): boolean {
  return (
    subject !== null &&
    (can(subject, "READ", { type: "PROVISIONER_JOBS", organizationId }) || canReadDaemons(subject, organizationId))
  );
}

export const keyObject = (key: { organizationId: string }): AuthzObject => ({
  type: "PROVISIONER_DAEMON",
  organizationId: key.organizationId,
});
export const daemonObject = keyObject;
export const jobObject = (job: { organizationId: string }): AuthzObject => ({
  type: "PROVISIONER_JOBS",
  organizationId: job.organizationId,
});

export const keyWhere = (subject: Subject) => organizationScopedWhere(subject, "PROVISIONER_DAEMON", KEY_READ_ACTION);
export const daemonWhere = (subject: Subject) => organizationScopedWhere(subject, "PROVISIONER_DAEMON", "READ");
export function jobWhere(subject: Subject): Record<string, unknown> {
  const branches = [organizationScopedWhere(subject, "PROVISIONER_JOBS", "READ"), daemonWhere(subject)];
  // An empty branch means "everywhere"; Prisma does not read `OR: [{}]` as true.
  if (branches.some((where) => Object.keys(where).length === 0)) return {};
  return { OR: branches };
}

const permission = (action: PermissionScope["action"], type: PermissionScope["type"], organizationId: string) => ({
  permission: { action, type, organizationId },
});

export const isProvisionerOf = (actor: Actor, organizationId: string): boolean =>
  actor.kind === "provisioner" && actor.organizationId === organizationId;

/** A provisioner actor of the object's organization, or the user permission scopes given (templates reuse it for AcquiredJob's version and build). */
export function orProvisionerOf<T extends object>(actor: Actor, organizationId: string, scopes: T): T | boolean {
  if (actor.kind === "provisioner") return actor.organizationId === organizationId;
  return scopes;
}

export const keyScopes = (organizationId: string) => permission(KEY_READ_ACTION, "PROVISIONER_DAEMON", organizationId);

export const daemonScopes = (actor: Actor, organizationId: string) =>
  orProvisionerOf(actor, organizationId, permission("READ", "PROVISIONER_DAEMON", organizationId));

/** Granted by the TemplateVersion and WorkspaceBuild types: whoever reads those sees their job. */
export const PARENT_JOB_GRANT = "parentJob";

export const jobScopes = (actor: Actor, organizationId: string) =>
  orProvisionerOf(actor, organizationId, {
    ...permission("READ", "PROVISIONER_JOBS", organizationId),
    $any: permission("READ", "PROVISIONER_DAEMON", organizationId),
    $granted: PARENT_JOB_GRANT,
  });

export const loadKey: NodeLoad = (prisma, subject, ids) =>
  prisma.provisionerKey.findMany({ where: { id: { in: ids }, ...keyWhere(subject) } });
export const loadDaemon: NodeLoad = (prisma, subject, ids) =>
  prisma.provisionerDaemon.findMany({ where: { id: { in: ids }, ...daemonWhere(subject) } });
export const loadJob: NodeLoad = (prisma, subject, ids) =>
  prisma.provisionerJob.findMany({ where: allOf({ id: { in: ids } }, jobWhere(subject)) });

export const locateKey: Locator = (prisma, _subject, id) =>
  prisma.provisionerKey.findUnique({ where: { id }, select: { organizationId: true } });
export const locateDaemon: Locator = (prisma, _subject, id) =>
  prisma.provisionerDaemon.findUnique({ where: { id }, select: { organizationId: true } });
export const locateJob: Locator = (prisma, _subject, id) =>
  prisma.provisionerJob.findUnique({ where: { id }, select: { organizationId: true } });
