// Process entry: configuration, database, HTTP server (or, with WORKERS > 1, the primary that runs several), graceful shutdown.
import cluster from "node:cluster";
import { createServer } from "node:http";
import { createApp } from "./app.js";
import { startAuditRetention } from "./audit/retention.js";
import { ConfigError, loadConfig } from "./config.js";
import { openConfiguredDatabase } from "./db/open.js";
import { acceptRequestId } from "./http/request-id.js";
import { createLogger } from "./logger.js";
import { startStaleJobReaper } from "./modules/provisioners/provisioner-queue.js";
import { handleNodeRequest } from "./node-http.js";
import { superviseWorkers, WORKER_LISTENING } from "./workers.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  process.on("unhandledRejection", (error) => log.error("unhandled rejection", { error }));

  const started = Date.now();
  const open = () =>
    openConfiguredDatabase(config, log).catch((error: Error) => {
      log.error("cannot open the database", { error: error.message });
      process.exit(1);
    });
  if (config.workers > 1 && cluster.isPrimary) {
    await superviseWorkers(config, log, async () => {
      await (await open()).close();
    });
    return;
  }
  const db = await open();
  const app = createApp({ db, config, log });
  const { yoga } = app;
  const { live } = app.deps;
  const stopReaper = startStaleJobReaper(db.prisma, config, log, live.jobsChanged, (organizationIds) => {
    for (const organizationId of organizationIds) live.daemonsChanged(organizationId);
  });
  const stopRetention = startAuditRetention(db.prisma, config, log);

  const server = createServer((req, res) => {
    const begin = performance.now();
    // Fixed here, so the access log line and everything the request logs share one id.
    const requestId = acceptRequestId(req.headers["x-request-id"] as string | undefined);
    req.headers["x-request-id"] = requestId;
    res.on("finish", () =>
      log.info("request", {
        requestId,
        method: req.method,
        path: req.url?.split("?")[0],
        status: res.statusCode,
        ms: Math.round((performance.now() - begin) * 10) / 10,
      }),
    );
    void handleNodeRequest(yoga, req, res);
  });
  server.listen(config.port, config.host, () => {
    log.info("listening", {
      url: `http://localhost:${config.port}/graphql`,
      database: db.kind,
      startupMs: Date.now() - started,
      ...(cluster.isWorker ? { worker: Number(process.env.ORGS_API_WORKER) } : {}),
    });
    if (cluster.isWorker) process.send?.(WORKER_LISTENING);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    stopReaper();
    stopRetention();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceSeconds * 1000).unref());
    await Promise.race([closed, grace]);
    server.closeAllConnections();
    await app.close().catch((error) => log.warn("closing the rate-limit store failed", { error }));
    await db.close().catch((error) => log.warn("closing the database failed", { error }));
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  // A worker whose primary is gone (killed) stops too, rather than serve unsupervised.
  if (cluster.isWorker) process.on("disconnect", () => void stop("primary gone"));
}

await main();
