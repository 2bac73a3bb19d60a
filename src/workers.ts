// WORKERS > 1: the primary process prepares the database (migrations, the default organization)
// once, then runs that many server processes sharing the port (node:cluster hands them the
// connections in turn), relays live events between them, replaces a worker that dies, and stops
// them all on SIGTERM/SIGINT. Node runs JavaScript on one thread: a single process leaves the
// other cores to PostgreSQL alone.
import cluster, { type Worker } from "node:cluster";
import type { Config } from "./config.js";
import { relayLiveEvents } from "./live/cluster-relay.js";
import type { Logger } from "./logger.js";

/** What a worker tells the primary once its server listens. */
export const WORKER_LISTENING = "orgs-api:listening";

const RESTART_DELAY_MS = 1000;

export async function superviseWorkers(config: Config, log: Logger, prepareDatabase: () => Promise<void>) {
  await prepareDatabase();
  relayLiveEvents();
  let stopping = false;
  const listening = new WeakSet<Worker>();

  const start = (index: number) => {
    const worker = cluster.fork({ ORGS_API_WORKER: String(index) });
    worker.on("message", (message) => {
      if (message === WORKER_LISTENING) listening.add(worker);
    });
    worker.on("exit", (code, signal) => {
      if (stopping) return;
      if (!listening.has(worker)) {
        // It never served: a start-up failure the next one would repeat (port taken, database gone).
        log.error("worker failed to start; stopping", { worker: index, code, signal });
        void stop("worker failed to start", 1);
        return;
      }
      log.warn("worker exited; starting another", { worker: index, code, signal });
      setTimeout(() => {
        if (!stopping) start(index);
      }, RESTART_DELAY_MS).unref();
    });
  };

  const stop = async (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping workers", { reason });
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exits = workers.map(
      (w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once("exit", () => resolve()))),
    );
    for (const worker of workers) worker.process.kill("SIGTERM");
    // Each worker waits SHUTDOWN_GRACE_SECONDS for its requests; then it is killed.
    const deadline = setTimeout(
      () => {
        for (const worker of workers) if (!worker.isDead()) worker.process.kill("SIGKILL");
      },
      (config.shutdownGraceSeconds + 5) * 1000,
    );
    await Promise.all(exits);
    clearTimeout(deadline);
    log.info("stopped");
    process.exit(exitCode);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));

  for (let index = 1; index <= config.workers; index++) start(index);
  log.info("workers started", { workers: config.workers, port: config.port });
}
