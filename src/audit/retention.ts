// AUDIT_RETENTION_DAYS: events older than the retention are deleted in batches (each batch one
// short statement through the (time, id) index, so writers of new events never wait long).
import type { Config } from "../config.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Logger } from "../logger.js";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Deletes events older than `retentionDays` before `now`, `batchSize` rows at a time; answers how many. */
export async function deleteExpiredAuditLogs(
  prisma: PrismaClient,
  now: Date,
  retentionDays: number,
  batchSize = 5000,
): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  let deleted = 0;
  for (;;) {
    const batch = await prisma.$executeRaw`
      DELETE FROM "AuditLog" WHERE id IN (
        SELECT id FROM "AuditLog" WHERE "time" < ${cutoff} ORDER BY "time", id LIMIT ${batchSize})`;
    deleted += batch;
    if (batch < batchSize) return deleted;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Runs deleteExpiredAuditLogs soon after start, then hourly, when AUDIT_RETENTION_DAYS is set
 * (the stale-job reaper's pattern); returns the function that stops it.
 */
export function startAuditRetention(prisma: PrismaClient, config: Config, log: Logger): () => void {
  const days = config.auditRetentionDays;
  if (days === null) return () => {};
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    deleteExpiredAuditLogs(prisma, new Date(), days)
      .then((deleted) => {
        if (deleted > 0) log.info("deleted audit events past retention", { deleted, retentionDays: days });
      })
      .catch((error) => log.error("the audit retention reaper failed", { error }))
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(run, 10_000);
  const timer = setInterval(run, HOUR_MS);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
