// Live-update events between the workers of one server (WORKERS > 1, no REDIS_URL): a worker's
// publish goes to the primary process, which hands it to every worker, the sender included, so a
// subscriber hears about a change whichever worker served the write.
import cluster from "node:cluster";
import type { createPubSub } from "graphql-yoga";

const CHANNEL = "orgs-api:live";

type PubSubEventTarget = NonNullable<NonNullable<Parameters<typeof createPubSub>[0]>["eventTarget"]>;

type RelayedEvent = { channel: typeof CHANNEL; type: string; detail: unknown };

const isRelayed = (message: unknown): message is RelayedEvent =>
  typeof message === "object" && message !== null && (message as { channel?: unknown }).channel === CHANNEL;

/** The event target of a worker's pub/sub: listeners are local, dispatches go through the primary. */
export function clusterEventTarget(): PubSubEventTarget {
  const local = new globalThis.EventTarget();
  process.on("message", (message) => {
    if (isRelayed(message)) local.dispatchEvent(new CustomEvent(message.type, { detail: message.detail }));
  });
  return {
    addEventListener: (type, listener, options) => local.addEventListener(type, listener as EventListener, options),
    removeEventListener: (type, listener, options) =>
      local.removeEventListener(type, listener as EventListener, options),
    dispatchEvent(event) {
      const relayed: RelayedEvent = { channel: CHANNEL, type: event.type, detail: event.detail };
      process.send?.(relayed);
      return true;
    },
  };
}

/** In the primary: every live event a worker sends reaches every worker. */
export function relayLiveEvents(): void {
  cluster.on("message", (_sender, message) => {
    if (!isRelayed(message)) return;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) worker.send(message);
    }
  });
}
