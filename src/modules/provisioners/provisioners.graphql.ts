// Provisioner keys, daemons and jobs: types, the organization's lists, key mutations (users) and
// daemon mutations (Provisioner-Key actors). Read rules are in src/authz/policies/provisioner.ts.

import {
  daemonObject,
  daemonScopes,
  isProvisionerOf,
  jobObject,
  jobScopes,
  KEY_READ_ACTION,
  keyObject,
  keyScopes,
} from "../../authz/policies/provisioner.js";
import type { Context } from "../../context.js";
import type { Prisma, ProvisionerDaemon } from "../../generated/prisma/client.js";
import { perRequest } from "../../graphql/batch.js";
import { builder } from "../../graphql/builder.js";
import { unauthenticated } from "../../graphql/errors.js";
import { filterId } from "../../graphql/ids.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { IDEMPOTENCY_KEY_DESCRIPTION } from "../idempotency/idempotency.js";
import { DAEMON_ORGANIZATION_GRANT, OrganizationType } from "../organizations/organizations.graphql.js";
import {
  DeletePayload,
  emptyConnection,
  type Payload,
  payloadType,
  USER_ERRORS_DESCRIPTION,
  UserErrorType,
  withUserErrors,
} from "../shared/shared.graphql.js";
import { isOnline, matchProvisioners } from "./provisioner-queue.js";
import * as provisioners from "./provisioners.service.js";
import { TagInput, type Tags, TagType, tagList, tagsSatisfy } from "./tags.js";

export const ProvisionerDaemonStatusEnum = builder.enumType("ProvisionerDaemonStatus", {
  description: "Whether a daemon is reachable and working.",
  values: {
    OFFLINE: { description: "Not seen within the stale interval (PROVISIONER_STALE_SECONDS)." },
    IDLE: { description: "Online, holding no job." },
    BUSY: { description: "Online, holding a job (RUNNING or CANCELING)." },
  } as const,
});
export const ProvisionerJobTypeEnum = builder.enumType("ProvisionerJobType", {
  description: "What a provisioner job does.",
  values: {
    TEMPLATE_VERSION_IMPORT: { description: "Imports a template version (templateVersion of the acquired job)." },
    WORKSPACE_BUILD: { description: "Runs a workspace build (workspaceBuild of the acquired job)." },
  } as const,
});
export const ProvisionerJobStatusEnum = builder.enumType("ProvisionerJobStatus", {
  description: "Where a provisioner job is in its life: PENDING, RUNNING, then SUCCEEDED, FAILED or CANCELED.",
  values: {
    PENDING: { description: "Queued, waiting for a daemon whose tags match." },
    RUNNING: { description: "Acquired by a daemon (its worker), not yet reported." },
    SUCCEEDED: { description: "Finished without error." },
    FAILED: { description: "Finished with an error (see error)." },
    CANCELING: { description: "Cancel requested while running; the daemon has yet to report it canceled." },
    CANCELED: { description: "Canceled: before it ran, or reported canceled by its daemon." },
  } as const,
});

const FINISHED_STATUSES = ["SUCCEEDED", "FAILED", "CANCELED"] as const;
/** A daemon holds a job until it reports it, canceling included. */
const HELD_STATUSES = ["RUNNING", "CANCELING"] as const;

// Field guards for users only (a provisioner actor has no subject and is refused), on the shared
// per-organization scope maps.
const keyListScopes = (ctx: Context, organizationId: string) =>
  permissionScopes(ctx, { action: KEY_READ_ACTION, ...keyObject({ organizationId }) });
const daemonListScopes = (ctx: Context, organizationId: string) =>
  permissionScopes(ctx, { action: "READ", ...daemonObject({ organizationId }) });
/** Jobs: PROVISIONER_JOBS READ, or whoever sees the daemons (the policy's jobWhere). */
const jobListScopes = (ctx: Context, organizationId: string) => ({
  ...permissionScopes(ctx, { action: "READ", ...jobObject({ organizationId }) }),
  $any: daemonListScopes(ctx, organizationId),
});

export const ProvisionerKeyType = builder.prismaNode("ProvisionerKey", {
  description:
    "A credential daemons of an organization authenticate with (Provisioner-Key header); never its secret. Readable by whoever may manage the organization's provisioner keys.",
  id: { field: "id" },
  authScopes: (key) => keyScopes(key.organizationId),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique in its organization." }),
    tags: t.field({
      type: [TagType],
      description: "The tags every daemon using this key has, by key.",
      resolve: (key) => tagList(key.tags),
    }),
    organization: t.relation("organization", { description: "The organization whose jobs its daemons run." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    daemons: t.prismaField({
      type: ["ProvisionerDaemon"],
      description:
        "Daemons that authenticated with this key, by name. Empty unless the viewer may read the organization's daemons.",
      authScopes: (key, _args, ctx) => daemonListScopes(ctx, key.organizationId),
      unauthorizedResolver: () => [],
      resolve: (query, key, _args, ctx) =>
        ctx.prisma.provisionerDaemon.findMany({ ...query, where: { keyId: key.id }, orderBy: { name: "asc" } }),
    }),
  }),
});

/** Daemons of an organization that can still work, loaded once per request, for matchedProvisioners and queuePosition. */
const daemonsByOrganization = perRequest(
  () => new Map<string, Promise<Pick<ProvisionerDaemon, "tags" | "lastSeenAt">[]>>(),
);

function organizationDaemons(ctx: Context, organizationId: string) {
  const cache = daemonsByOrganization(ctx);
  let daemons = cache.get(organizationId);
  if (!daemons) {
    daemons = ctx.prisma.provisionerDaemon.findMany({
      // A daemon whose key was deleted can never acquire again.
      where: { organizationId, keyId: { not: null } },
      select: { tags: true, lastSeenAt: true },
    });
    cache.set(organizationId, daemons);
  }
  return daemons;
}

type PendingJob = { id: string; tags: Tags };

/** Each organization's pending jobs with their tags, oldest first (the queue's order), read once per request. */
const pendingQueues = perRequest(() => new Map<string, Promise<PendingJob[]>>());

/**
 * 1 + the pending jobs ahead of this one that a daemon able to run it would take first (daemons
 * take the oldest job they match). The daemons able to run it are its organization's matching
 * ones, plus the one a job with no daemon waits for: a daemon with exactly its tags, whose jobs
 * any matching daemon takes too (so counting it changes nothing when daemons exist).
 */
async function queuePosition(ctx: Context, job: { id: string; organizationId: string }): Promise<number | null> {
  const cache = pendingQueues(ctx);
  let queue = cache.get(job.organizationId);
  if (!queue) {
    queue = ctx.prisma.provisionerJob
      .findMany({
        where: { organizationId: job.organizationId, status: "PENDING" },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        select: { id: true, tags: true },
      })
      .then((rows) => rows.map((row) => ({ id: row.id, tags: row.tags as Tags })));
    cache.set(job.organizationId, queue);
  }
  const pending = await queue;
  const index = pending.findIndex((other) => other.id === job.id);
  if (index < 0) return null;
  const { tags } = pending[index] as PendingJob;
  const daemons = (await organizationDaemons(ctx, job.organizationId))
    .map((daemon) => daemon.tags as Tags)
    .filter((daemonTags) => tagsSatisfy(daemonTags, tags));
  daemons.push(tags);
  const ahead = pending
    .slice(0, index)
    .filter((other) => daemons.some((daemonTags) => tagsSatisfy(daemonTags, other.tags)));
  return ahead.length + 1;
}

const MatchedProvisionersType = builder
  .objectRef<{ count: number; available: number }>("MatchedProvisioners")
  .implement({
    description: "How many daemons could run a job.",
    fields: (t) => ({
      count: t.exposeInt("count", { description: "Daemons of the organization whose tags satisfy the job's." }),
      available: t.exposeInt("available", { description: "Of those, the ones seen within the stale interval." }),
    }),
  });

export const ProvisionerJobType = builder.prismaNode("ProvisionerJob", {
  description:
    "A unit of work for a provisioner daemon: a template version import or a workspace build. Readable with PROVISIONER_JOBS READ or daemon access in its organization, with the template version or build it runs, and by its organization's daemons.",
  id: { field: "id" },
  authScopes: (job, ctx) => jobScopes(ctx.actor, job.organizationId),
  fields: (t) => ({
    type: t.field({ type: ProvisionerJobTypeEnum, description: "What the job does.", resolve: (job) => job.type }),
    status: t.field({ type: ProvisionerJobStatusEnum, description: "Where the job is.", resolve: (job) => job.status }),
    organization: t.relation("organization", { description: "The organization whose daemons run it." }),
    tags: t.field({
      type: [TagType],
      description: "Tags a daemon needs to run it (from the template), by key.",
      resolve: (job) => tagList(job.tags),
    }),
    worker: t.relation("worker", {
      nullable: true,
      description: "The daemon that acquired it; null while PENDING, or when the viewer may not read daemons.",
    }),
    error: t.exposeString("error", { nullable: true, description: "Why it FAILED; null otherwise." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was queued." }),
    startedAt: t.expose("startedAt", {
      type: "DateTime",
      nullable: true,
      description: "When a daemon acquired it; null until then.",
    }),
    completedAt: t.expose("completedAt", {
      type: "DateTime",
      nullable: true,
      description: "When it finished (SUCCEEDED, FAILED or CANCELED); null until then.",
    }),
    initiator: t.relation("initiator", {
      nullable: true,
      description: "The user who queued the job (a version's creator, a build's initiator); null for the system.",
    }),
    queuePosition: t.int({
      nullable: true,
      description:
        "For a PENDING job: 1 + the pending jobs of its organization queued before it that a daemon able to run it would take first (daemons take the oldest job they match first; with no such daemon yet, one with exactly the job's tags). Null otherwise.",
      resolve: async (job, _args, ctx) => (job.status === "PENDING" ? queuePosition(ctx, job) : null),
    }),
    matchedProvisioners: t.field({
      type: MatchedProvisionersType,
      description:
        "How many daemons of the organization could run this job, and how many of them are online. Zero means it will wait until one appears.",
      resolve: async (job, _args, ctx) =>
        matchProvisioners(
          await organizationDaemons(ctx, job.organizationId),
          job.tags as Tags,
          Date.now(),
          ctx.config.provisionerStaleSeconds,
        ),
    }),
  }),
});

/** "1" of "v1.2.3" or "1.2"; null when the text does not start with a number. */
function majorVersion(version: string): string | null {
  return /^v?(\d+)(?:[.+-]|$)/.exec(version)?.[1] ?? null;
}

export const ProvisionerDaemonType = builder.prismaNode("ProvisionerDaemon", {
  description:
    "A registered provisioner daemon of an organization. Readable with PROVISIONER_DAEMON READ there (every member may), and by daemons of the organization.",
  id: { field: "id" },
  authScopes: (daemon, ctx) => daemonScopes(ctx.actor, daemon.organizationId),
  // A daemon reads its own organization's name (and nothing else of it) through its daemon object.
  grantScopes: (daemon, ctx) => (isProvisionerOf(ctx.actor, daemon.organizationId) ? [DAEMON_ORGANIZATION_GRANT] : []),
  fields: (t) => ({
    name: t.exposeString("name", { description: "The name it registered with, unique in its organization." }),
    version: t.exposeString("version", {
      description: "The daemon's software version, as it reported at registration.",
    }),
    versionMismatch: t.boolean({
      description:
        "True when the daemon's major version differs from the server's (or cannot be read from its version): upgrade one of them.",
      resolve: (daemon, _args, ctx) => majorVersion(daemon.version) !== majorVersion(ctx.config.serverVersion),
    }),
    organization: t.relation("organization", { description: "The organization whose jobs it runs." }),
    key: t.prismaField({
      type: ProvisionerKeyType,
      nullable: true,
      description:
        "The key it authenticates with; null when the key was deleted, or unless the viewer may read the organization's provisioner keys (PROVISIONER_DAEMON CREATE).",
      authScopes: (daemon, _args, ctx) => daemon.keyId !== null && keyListScopes(ctx, daemon.organizationId),
      unauthorizedResolver: () => null,
      resolve: (query, daemon, _args, ctx) =>
        daemon.keyId ? ctx.prisma.provisionerKey.findUnique({ ...query, where: { id: daemon.keyId } }) : null,
    }),
    tags: t.field({
      type: [TagType],
      description: "Its tags (its key's), by key: it runs jobs whose tags it has.",
      resolve: (daemon) => tagList(daemon.tags),
    }),
    provisioners: t.exposeStringList("provisioners", { description: 'Provisioner types it runs, e.g. ["echo"].' }),
    lastSeenAt: t.expose("lastSeenAt", {
      type: "DateTime",
      nullable: true,
      description:
        "When the daemon last contacted the service (registering again doubles as its heartbeat); null if never seen.",
    }),
    status: t.field({
      type: ProvisionerDaemonStatusEnum,
      description: "OFFLINE when not seen within the stale interval, else BUSY while running a job, else IDLE.",
      select: { jobs: { where: { status: { in: [...HELD_STATUSES] } }, select: { id: true }, take: 1 } },
      resolve: (daemon, _args, ctx) => {
        if (!isOnline(daemon.lastSeenAt, Date.now(), ctx.config.provisionerStaleSeconds)) return "OFFLINE";
        return daemon.jobs.length > 0 ? "BUSY" : "IDLE";
      },
    }),
    currentJob: t.prismaField({
      type: ProvisionerJobType,
      nullable: true,
      description:
        "The job the daemon holds (RUNNING, or CANCELING: the daemon learns a cancel here at its heartbeat).",
      resolve: (query, daemon, _args, ctx) =>
        ctx.prisma.provisionerJob.findFirst({
          ...query,
          where: { workerId: daemon.id, status: { in: [...HELD_STATUSES] } },
          orderBy: [{ startedAt: "desc" }, { id: "desc" }],
        }),
    }),
    previousJob: t.prismaField({
      type: ProvisionerJobType,
      nullable: true,
      description: "The last job it finished (SUCCEEDED, FAILED or CANCELED); null when none.",
      resolve: (query, daemon, _args, ctx) =>
        ctx.prisma.provisionerJob.findFirst({
          ...query,
          where: { workerId: daemon.id, status: { in: [...FINISHED_STATUSES] } },
          orderBy: [{ completedAt: "desc" }, { id: "desc" }],
        }),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it first registered." }),
  }),
});

// ---- the organization's provisioner lists (the organization itself is readable here)
// Guarded by field scopes (empty when refused), for users only: a daemon lists nothing.

type JobStatus = (typeof ProvisionerJobStatusEnum)["$inferType"];
type JobType = (typeof ProvisionerJobTypeEnum)["$inferType"];

type JobFilter = {
  status?: readonly JobStatus[] | null;
  type?: JobType | null;
  initiatorId?: string | null;
  templateId?: string | null;
};

/** The organization's jobs that the filters select (ids are global; a malformed one matches nothing). */
function jobsWhere(organizationId: string, filter: JobFilter): Prisma.ProvisionerJobWhereInput {
  const initiatorId = filterId("User", filter.initiatorId);
  const templateId = filterId("Template", filter.templateId);
  return {
    organizationId,
    ...(filter.status ? { status: { in: [...filter.status] } } : {}),
    ...(filter.type ? { type: filter.type } : {}),
    ...(initiatorId ? { initiatorId } : {}),
    ...(templateId
      ? {
          OR: [{ templateVersion: { is: { templateId } } }, { workspaceBuild: { is: { workspace: { templateId } } } }],
        }
      : {}),
  };
}

builder.prismaObjectFields(OrganizationType, (t) => ({
  provisionerKeys: t.prismaField({
    type: [ProvisionerKeyType],
    description:
      "The organization's provisioner keys, by name; never a secret. Empty unless the viewer may create provisioner keys here (PROVISIONER_DAEMON CREATE: organization and template admins, owners).",
    authScopes: (org, _args, ctx) => keyListScopes(ctx, org.id),
    unauthorizedResolver: () => [],
    resolve: (query, org, _args, ctx) =>
      ctx.prisma.provisionerKey.findMany({ ...query, where: { organizationId: org.id }, orderBy: { name: "asc" } }),
  }),
  provisionerDaemons: t.prismaField({
    type: [ProvisionerDaemonType],
    description:
      "The organization's daemons, by name. Empty unless the viewer may read them (PROVISIONER_DAEMON READ: every member may).",
    authScopes: (org, _args, ctx) => daemonListScopes(ctx, org.id),
    unauthorizedResolver: () => [],
    resolve: (query, org, _args, ctx) =>
      ctx.prisma.provisionerDaemon.findMany({ ...query, where: { organizationId: org.id }, orderBy: { name: "asc" } }),
  }),
  provisionerJobs: t.prismaConnection(
    {
      type: ProvisionerJobType,
      cursor: "id",
      description:
        "The organization's jobs, newest first; the filters combine (all must hold). Empty (totalCount 0) unless the viewer may read them (PROVISIONER_JOBS READ, or PROVISIONER_DAEMON READ).",
      args: {
        status: t.arg({ type: [ProvisionerJobStatusEnum], description: "Jobs in any of these statuses." }),
        type: t.arg({ type: ProvisionerJobTypeEnum, description: "Only imports or only builds." }),
        initiatorId: t.arg.id({ description: "Jobs queued by this user." }),
        templateId: t.arg.id({ description: "Imports of this template's versions and builds of its workspaces." }),
      },
      authScopes: (org, _args, ctx) => jobListScopes(ctx, org.id),
      unauthorizedResolver: emptyConnection,
      totalCount: (org, args, ctx) => ctx.prisma.provisionerJob.count({ where: jobsWhere(org.id, args) }),
      resolve: (query, org, args, ctx) =>
        ctx.prisma.provisionerJob.findMany({
          ...query,
          where: jobsWhere(org.id, args),
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        }),
    },
    { name: "ProvisionerJobConnection", description: "A page of provisioner jobs." },
    { name: "ProvisionerJobEdge", description: "A provisioner job in a page, with its cursor." },
  ),
}));

// ---- mutations

/** Daemon operations refuse every other credential as unauthenticated: they need a key. */
const daemonOnly = {
  authScopes: { provisioner: true },
  unauthorizedError: (_parent: unknown, _args: unknown, ctx: Context) =>
    unauthenticated(ctx.actor.kind === "invalid" ? ctx.actor.reason : "a provisioner key is required"),
} as const;

const CreateProvisionerKeyInput = builder.inputType("CreateProvisionerKeyInput", {
  description: "A new provisioner key.",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    name: t.string({
      required: true,
      description: "Unique in the organization; `built-in`, `user-auth` and `psk` are reserved.",
    }),
    tags: t.field({ type: [TagInput], description: "Tags of the daemons using the key; none when left out." }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
  }),
});

const DeleteProvisionerKeyInput = builder.inputType("DeleteProvisionerKeyInput", {
  description: "The provisioner key to delete.",
  fields: (t) => ({ provisionerKeyId: t.id({ required: true, description: "Global id of the key." }) }),
});

const RegisterProvisionerDaemonInput = builder.inputType("RegisterProvisionerDaemonInput", {
  description: "The daemon registering (or registering again under the same name).",
  fields: (t) => ({
    name: t.string({ required: true, description: "The daemon's name, unique in its organization." }),
    version: t.string({ required: true, description: "The daemon's software version." }),
    provisioners: t.stringList({ description: 'Provisioner types the daemon runs; ["echo"] when left out.' }),
    organization: t.string({
      description:
        "The organization (name) the daemon was told to serve: when it is not the key's, the registration is refused (INVALID_INPUT) and nothing is written.",
    }),
  }),
});

const AcquireProvisionerJobInput = builder.inputType("AcquireProvisionerJobInput", {
  description: "The daemon asking for work.",
  fields: (t) => ({
    daemonId: t.id({ required: true, description: "Global id of the daemon, as registerProvisionerDaemon answered." }),
  }),
});

const CompleteProvisionerJobInput = builder.inputType("CompleteProvisionerJobInput", {
  description: "The outcome of a job the daemon holds.",
  fields: (t) => ({
    jobId: t.id({ required: true, description: "Global id of the job." }),
    daemonId: t.id({ description: "The daemon completing the job; when given, it must be the job's holder." }),
    error: t.string({ description: "Set to fail the job." }),
    dailyCost: t.int({ description: "For imports: the daily cost the template's resources will have." }),
  }),
});

const CreateProvisionerKeyPayload = builder
  .objectRef<Payload<Awaited<ReturnType<typeof provisioners.createProvisionerKey>>>>("CreateProvisionerKeyPayload")
  .implement({
    description: "The result of createProvisionerKey: the secret (shown once) and the key, or the userErrors.",
    fields: (t) => ({
      key: t.string({
        nullable: true,
        description:
          "The secret, shown this once (`opk_<id>_<secret>`, for the Provisioner-Key header); only its hash is stored.",
        resolve: (p) => p.key ?? null,
      }),
      provisionerKey: t.field({
        type: ProvisionerKeyType,
        nullable: true,
        description: "The created key; null when userErrors is not empty.",
        resolve: (p) => p.provisionerKey ?? null,
      }),
      userErrors: t.field({
        type: [UserErrorType],
        description: USER_ERRORS_DESCRIPTION,
        resolve: (p) => p.userErrors,
      }),
    }),
  });

const ProvisionerDaemonPayload = payloadType("ProvisionerDaemonPayload", "daemon", ProvisionerDaemonType);

/** The templates module adds `templateVersion` and `workspaceBuild` (its types) to this type. */
export const AcquiredJobType = builder.objectRef<provisioners.AcquiredJobView>("AcquiredJob").implement({
  description: "A job handed to a daemon, with what it needs to run it.",
  fields: (t) => ({
    job: t.field({
      type: ProvisionerJobType,
      description: "The job, now RUNNING on this daemon.",
      resolve: (a) => a.job,
    }),
    declaredDailyCost: t.int({
      nullable: true,
      description:
        "For TEMPLATE_VERSION_IMPORT: the daily cost the template version declares; the echo provisioner reports it back.",
      resolve: (a) => a.templateVersion?.dailyCost ?? null,
    }),
  }),
});

const AcquireProvisionerJobPayload = builder
  .objectRef<Payload<{ acquired: provisioners.AcquiredJobView | null }>>("AcquireProvisionerJobPayload")
  .implement({
    description: "The result of acquireProvisionerJob: a job, none, or the userErrors.",
    fields: (t) => ({
      acquired: t.field({
        type: AcquiredJobType,
        nullable: true,
        description: "Null when no job of the daemon's organization matches its tags.",
        resolve: (p) => p.acquired ?? null,
      }),
      userErrors: t.field({
        type: [UserErrorType],
        description: USER_ERRORS_DESCRIPTION,
        resolve: (p) => p.userErrors,
      }),
    }),
  });

const ProvisionerJobPayload = payloadType("ProvisionerJobPayload", "job", ProvisionerJobType);

const CancelProvisionerJobInput = builder.inputType("CancelProvisionerJobInput", {
  description: "The job to cancel.",
  fields: (t) => ({ jobId: t.id({ required: true, description: "Global id of the job." }) }),
});

builder.mutationFields((t) => ({
  createProvisionerKey: t.field({
    nullable: true,
    type: CreateProvisionerKeyPayload,
    description: "Creates a key for the organization's daemons; the secret is in the payload, once.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateProvisionerKeyInput, required: true, description: "The key." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => provisioners.createProvisionerKey(ctx, input)),
  }),
  deleteProvisionerKey: t.field({
    nullable: true,
    type: DeletePayload,
    description: "Deletes the key: daemons using it can no longer authenticate or acquire jobs.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: DeleteProvisionerKeyInput, required: true, description: "The key." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => provisioners.deleteProvisionerKey(ctx, input)),
  }),
  registerProvisionerDaemon: t.field({
    nullable: true,
    type: ProvisionerDaemonPayload,
    description: "Provisioner-Key auth only: the daemon's organization and tags come from its key.",
    ...daemonOnly,
    args: { input: t.arg({ type: RegisterProvisionerDaemonInput, required: true, description: "The daemon." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => provisioners.registerDaemon(ctx, input)),
  }),
  acquireProvisionerJob: t.field({
    nullable: true,
    type: AcquireProvisionerJobPayload,
    description:
      "Provisioner-Key auth only: hands the oldest pending job of the daemon's organization whose tags the daemon satisfies to exactly one daemon.",
    ...daemonOnly,
    args: { input: t.arg({ type: AcquireProvisionerJobInput, required: true, description: "The daemon." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => provisioners.acquireJob(ctx, input)),
  }),
  cancelProvisionerJob: t.field({
    nullable: true,
    type: ProvisionerJobPayload,
    description:
      "A PENDING job becomes CANCELED at once; a RUNNING one CANCELING until its daemon reports it CANCELED. For PROVISIONER_JOBS UPDATE holders, and who may update the job's template (imports) or workspace (builds).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CancelProvisionerJobInput, required: true, description: "The job." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => provisioners.cancelJob(ctx, input)),
  }),
  completeProvisionerJob: t.field({
    nullable: true,
    type: ProvisionerJobPayload,
    description: "Provisioner-Key auth only, and only for a job this daemon holds.",
    ...daemonOnly,
    args: { input: t.arg({ type: CompleteProvisionerJobInput, required: true, description: "The outcome." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => provisioners.completeJob(ctx, input)),
  }),
}));
