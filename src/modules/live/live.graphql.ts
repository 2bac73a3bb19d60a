// Subscriptions (GraphQL over server-sent events, Yoga's default transport). Each field is
// authorized when subscribing like the matching query (an object the viewer cannot read is
// NOT_FOUND), first answers the object's current state, then answers again after every change.
// Every event re-checks the credential and the viewer's access; once either is gone the stream
// ends without another event.
import { Repeater } from "graphql-yoga";
import type { Subject } from "../../authz/evaluator.js";
import { allOf } from "../../authz/filters.js";
import { canReadDaemons, daemonScopes, jobScopes, jobWhere } from "../../authz/policies/provisioner.js";
import { workspaceObject, workspaceWhereWithDeleted } from "../../authz/policies/workspace.js";
import type { Context } from "../../context.js";
import { builder } from "../../graphql/builder.js";
import { parseId } from "../../graphql/ids.js";
import type { LiveTopic } from "../../live/live-events.js";
import { ProvisionerDaemonType, ProvisionerJobType } from "../provisioners/provisioners.graphql.js";
import { WorkspaceBuildType } from "../workspaces/workspaces.graphql.js";
import { refreshViewer } from "./live-access.js";

/**
 * The object's current state, then its state after each change event, while `load` (which
 * applies the viewer's access) finds it and the viewer's credential still holds.
 */
function liveStream<T>(
  ctx: Context,
  topic: LiveTopic,
  id: string,
  load: (subject: Subject) => Promise<T | null>,
): AsyncIterable<T> {
  return new Repeater<T>(async (push, stop) => {
    const events = ctx.live.subscribe(topic, id);
    // The subscriber's own access events (suspension, a revoked credential) re-check at once.
    const access = ctx.actor.kind === "user" ? ctx.live.subscribe("live:user", ctx.actor.user.id) : null;
    void stop.then(() => {
      events.return?.();
      access?.return?.();
    });
    // Listen before reading the current state, so no change falls in between.
    let next = events.next().then((event) => ({ event, from: "object" as const }));
    const nextAccess = () =>
      access ? access.next().then((event) => ({ event, from: "access" as const })) : new Promise<never>(() => {});
    let accessNext = nextAccess();
    await ctx.live.listening();
    for (let first = true; ; first = false) {
      if (!first) {
        const { event, from } = await Promise.race([next, accessNext]);
        if (event.done) break;
        if (from === "access") {
          // Only a re-check: the object did not change, so nothing is sent while access holds.
          accessNext = nextAccess();
          if (await refreshViewer(ctx)) continue;
          break;
        }
        next = events.next().then((e) => ({ event: e, from: "object" as const }));
      }
      const subject = (await refreshViewer(ctx)) ? await ctx.viewer.subject() : null;
      const current = subject ? await load(subject) : null;
      if (current === null) break;
      await push(current);
    }
    stop();
  });
}

const decoded = (typename: string, value: string) => parseId(typename, value);

/** Anyone but a user is refused as unauthenticated, like the queries. */
const notAUser = (ctx: Context) => (ctx.actor.kind === "user" ? null : { authenticated: true });

builder.subscriptionType({
  description:
    "Live updates over server-sent events (graphql-sse or Yoga's SSE). Authorized when subscribing like the matching query; each stream answers the current state first, and ends when the viewer loses access or the credential stops working.",
});

builder.subscriptionFields((t) => ({
  provisionerJobUpdated: t.field({
    type: ProvisionerJobType,
    description: "The job now, then after each status change.",
    args: { jobId: t.arg.id({ required: true, description: "Global id of the provisioner job." }) },
    authScopes: async (_root, args, ctx) => {
      const id = decoded("ProvisionerJob", args.jobId);
      const job = id
        ? await ctx.prisma.provisionerJob.findUnique({ where: { id }, select: { organizationId: true } })
        : null;
      return notAUser(ctx) ?? (job ? jobScopes(ctx.actor, job.organizationId) : false);
    },
    subscribe: (_root, args, ctx) => {
      const id = decoded("ProvisionerJob", args.jobId) as string;
      return liveStream(ctx, "live:job", id, (subject) =>
        ctx.prisma.provisionerJob.findFirst({ where: allOf({ id }, jobWhere(subject)) }),
      );
    },
    resolve: (job) => job,
  }),
  workspaceBuildUpdated: t.field({
    type: WorkspaceBuildType,
    description:
      "The workspace's latest build now, then whenever a build is queued or its job changes; it continues through a DELETE build.",
    args: { workspaceId: t.arg.id({ required: true, description: "Global id of the workspace." }) },
    authScopes: async (_root, args, ctx) => {
      const id = decoded("Workspace", args.workspaceId);
      const workspace = id ? await ctx.prisma.workspace.findUnique({ where: { id } }) : null;
      if (!workspace || workspace.deleted) return notAUser(ctx) ?? false;
      return notAUser(ctx) ?? { permission: { action: "READ", ...workspaceObject(workspace) } };
    },
    subscribe: (_root, args, ctx) => {
      const id = decoded("Workspace", args.workspaceId) as string;
      return liveStream(ctx, "live:workspace", id, async (subject) => {
        // Deleted workspaces stay readable here: the DELETE build is followed to its end.
        const readable = allOf({ id }, workspaceWhereWithDeleted(subject));
        const workspace = await ctx.prisma.workspace.findFirst({ where: readable, select: { id: true } });
        if (!workspace) return null;
        return ctx.prisma.workspaceBuild.findFirst({ where: { workspaceId: id }, orderBy: { buildNumber: "desc" } });
      });
    },
    resolve: (build) => build,
  }),
  provisionerDaemonsUpdated: t.field({
    type: [ProvisionerDaemonType],
    description:
      "The organization's daemons now, then whenever one registers or starts or finishes a job. OFFLINE is computed when answered: a daemon that stops is shown OFFLINE at the next event.",
    args: { organizationId: t.arg.id({ required: true, description: "Global id of the organization." }) },
    authScopes: async (_root, args, ctx) => {
      const id = decoded("Organization", args.organizationId);
      const organization = id
        ? await ctx.prisma.organization.findUnique({ where: { id }, select: { id: true } })
        : null;
      return notAUser(ctx) ?? (organization ? daemonScopes(ctx.actor, organization.id) : false);
    },
    subscribe: (_root, args, ctx) => {
      const organizationId = decoded("Organization", args.organizationId) as string;
      return liveStream(ctx, "live:daemons", organizationId, async (subject) => {
        if (!canReadDaemons(subject, organizationId)) return null;
        return ctx.prisma.provisionerDaemon.findMany({ where: { organizationId }, orderBy: { name: "asc" } });
      });
    },
    resolve: (daemons) => daemons,
  }),
}));
