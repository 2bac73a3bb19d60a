// Live-update events: services announce, after their transaction commits, that a job, a
// workspace's builds or an organization's daemons changed; subscriptions listen per object.
// Events carry only ids: each subscriber reloads the object with its own, re-checked access.
// In memory by default (through the primary process between the workers of one server); with
// REDIS_URL the events go through Redis pub/sub, so a subscriber on one instance hears about
// changes made through another.
import cluster from "node:cluster";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSub } from "graphql-yoga";
import { Redis } from "ioredis";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Logger } from "../logger.js";
import { clusterEventTarget } from "./cluster-relay.js";

type Changed = { at: number };

/** Topic → [object id, payload]; the pub/sub keys each topic by the id (Redis channel `topic:id`). */
type Topics = {
  "live:job": [jobId: string, payload: Changed];
  "live:workspace": [workspaceId: string, payload: Changed];
  "live:daemons": [organizationId: string, payload: Changed];
  /** The user's access changed (suspended, deleted, a credential revoked): their streams re-check at once. */
  "live:user": [userId: string, payload: Changed];
};

export type LiveTopic = keyof Topics;

export type ChangedJob = { id: string; organizationId: string; type: "TEMPLATE_VERSION_IMPORT" | "WORKSPACE_BUILD" };

export type LiveEvents = {
  /** Jobs whose status changed: their own topic, their organization's daemons, and the workspaces they build. */
  jobsChanged(jobs: readonly ChangedJob[]): void;
  /** A workspace got a new build. */
  workspaceChanged(workspaceId: string): void;
  /** An organization's daemons registered, changed or went busy/idle. */
  daemonsChanged(organizationId: string): void;
  /** The user's access changed: every stream of theirs re-checks its credential now (and ends if it no longer holds). */
  userAccessChanged(userId: string): void;
  subscribe(topic: LiveTopic, id: string): AsyncIterator<Changed>;
  /** Resolves once the subscriptions made so far receive events (Redis confirms them in order). */
  listening(): Promise<void>;
  close(): Promise<void>;
};

/** A client whose `methods` never reject: failures are reported instead (the event target does not await them). */
function reportingFailures(client: Redis, methods: readonly string[], onError: (error: unknown) => void): Redis {
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (typeof property === "string" && methods.includes(property)) {
        return (...args: unknown[]) => Promise.resolve(value.apply(target, args)).catch(onError);
      }
      return value.bind(target);
    },
  });
}

function redisPubSub(url: string, log: Logger) {
  // Like the rate limiter's client: give up on a command quickly while Redis is away.
  const options = {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  };
  // A connection in subscriber mode cannot publish, hence two clients.
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, options);
  let reported = false;
  const onError = (error: unknown) => {
    // Once per outage is enough in the logs.
    if (reported) return;
    reported = true;
    log.warn("live-update pub/sub (Redis) unavailable", { error: error instanceof Error ? error.message : error });
  };
  for (const client of [publisher, subscriber]) {
    client.on("error", onError);
    client.on("ready", () => {
      reported = false;
    });
  }
  const pubSub = createPubSub<Topics>({
    eventTarget: createRedisEventTarget({
      publishClient: reportingFailures(publisher, ["publish"], onError),
      subscribeClient: reportingFailures(subscriber, ["subscribe", "unsubscribe"], onError),
    }),
  });
  const close = async () => {
    publisher.disconnect();
    subscriber.disconnect();
  };
  // Redis answers a connection's commands in order: the PONG comes after earlier SUBSCRIBEs took effect.
  const listening = () =>
    subscriber.ping().then(
      () => {},
      () => {},
    );
  return { pubSub, close, listening };
}

export function createLiveEvents(deps: {
  prisma: PrismaClient;
  redisUrl: string | undefined;
  log: Logger;
}): LiveEvents {
  const { prisma, log } = deps;
  const { pubSub, close, listening } = deps.redisUrl
    ? redisPubSub(deps.redisUrl, log)
    : {
        // A worker of several (WORKERS > 1) relays through the primary process to its siblings.
        pubSub: createPubSub<Topics>(
          cluster.isWorker ? { eventTarget: clusterEventTarget() } : undefined,
        ) as PubSub<Topics>,
        close: async () => {},
        listening: async () => {},
      };
  const publish = (topic: LiveTopic, id: string) => {
    try {
      pubSub.publish(topic, id, { at: Date.now() });
    } catch (error) {
      // A live update is a convenience: the write already committed, so never fail it.
      log.warn("publishing a live update failed", { topic, error });
    }
  };

  async function buildsOf(jobIds: string[]): Promise<string[]> {
    if (jobIds.length === 0) return [];
    const builds = await prisma.workspaceBuild.findMany({
      where: { jobId: { in: jobIds } },
      select: { workspaceId: true },
    });
    return [...new Set(builds.map((b) => b.workspaceId))];
  }

  return {
    jobsChanged(jobs) {
      for (const job of jobs) publish("live:job", job.id);
      for (const organizationId of new Set(jobs.map((j) => j.organizationId))) publish("live:daemons", organizationId);
      const buildJobs = jobs.filter((j) => j.type === "WORKSPACE_BUILD").map((j) => j.id);
      buildsOf(buildJobs)
        .then((workspaceIds) => {
          for (const workspaceId of workspaceIds) publish("live:workspace", workspaceId);
        })
        .catch((error) => log.warn("finding the workspaces of changed jobs failed", { error }));
    },
    workspaceChanged: (workspaceId) => publish("live:workspace", workspaceId),
    daemonsChanged: (organizationId) => publish("live:daemons", organizationId),
    userAccessChanged: (userId) => publish("live:user", userId),
    subscribe: (topic, id) => pubSub.subscribe(topic, id)[Symbol.asyncIterator](),
    listening,
    close,
  };
}
