// The job queue's database operations: claiming the next job for a daemon, failing jobs whose
// daemon went away or that no daemon acquired in time, and counting the daemons that could run a job.
import type { Config } from "../../config.js";
import type { Prisma, PrismaClient, ProvisionerDaemon, ProvisionerJob } from "../../generated/prisma/client.js";
import type { Logger } from "../../logger.js";
import { type Tags, tagsSatisfy } from "./tags.js";

type Tx = Prisma.TransactionClient;

/**
 * Locks the oldest PENDING job of the organization that a daemon with `daemonTags` may run, for
 * the rest of the caller's transaction. SKIP LOCKED lets concurrent daemons (and server
 * instances) pass over a job another transaction holds instead of waiting for it, so each job is
 * claimed exactly once. Tag rule (same as tagsSatisfy): the daemon's tags contain the job's, and
 * an untagged job needs an untagged daemon.
 */
export async function lockNextJob(tx: Tx, organizationId: string, daemonTags: Tags): Promise<string | null> {
  const tags = JSON.stringify(daemonTags);
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM "ProvisionerJob"
    WHERE "organizationId" = ${organizationId}::uuid
      AND status = 'PENDING'
      AND ${tags}::jsonb @> tags
      AND (tags <> '{}'::jsonb OR ${tags}::jsonb = '{}'::jsonb)
    ORDER BY "createdAt", id
    LIMIT 1
    FOR UPDATE SKIP LOCKED`;
  return rows[0]?.id ?? null;
}

export const STALE_JOB_ERROR = "The provisioner daemon running this job stopped responding.";

/**
 * Fails RUNNING (and CANCELING) jobs whose daemon has not been seen for `timeoutSeconds` (or no longer exists),
 * so nothing waits forever on a daemon that died. Returns how many jobs it failed.
 */
export async function failStaleJobs(
  prisma: PrismaClient | Tx,
  now: Date,
  timeoutSeconds: number,
  onFailed?: (jobs: FailedJob[]) => void,
): Promise<number> {
  const cutoff = new Date(now.getTime() - timeoutSeconds * 1000);
  const failed = await prisma.provisionerJob.updateManyAndReturn({
    where: {
      status: { in: ["RUNNING", "CANCELING"] },
      OR: [{ workerId: null }, { worker: { is: { OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: cutoff } }] } } }],
    },
    data: { status: "FAILED", error: STALE_JOB_ERROR, completedAt: now },
    select: { id: true, organizationId: true, type: true },
  });
  if (failed.length > 0) onFailed?.(failed);
  return failed.length;
}

export type FailedJob = Pick<ProvisionerJob, "id" | "organizationId" | "type">;

export const pendingTimeoutError = (timeoutSeconds: number) =>
  `No provisioner daemon acquired this job within ${timeoutSeconds} seconds: check that a daemon of the organization whose tags include the job's is running.`;

/**
 * Fails PENDING jobs older than `timeoutSeconds`, so a job no daemon can take (a mistyped tag)
 * does not wait forever. A daemon acquiring one concurrently holds its row lock: the update then
 * sees it RUNNING and leaves it. Returns how many jobs it failed.
 */
export async function failUnacquiredJobs(
  prisma: PrismaClient | Tx,
  now: Date,
  timeoutSeconds: number,
  onFailed?: (jobs: FailedJob[]) => void,
): Promise<number> {
  const failed = await prisma.provisionerJob.updateManyAndReturn({
    where: { status: "PENDING", createdAt: { lt: new Date(now.getTime() - timeoutSeconds * 1000) } },
    data: { status: "FAILED", error: pendingTimeoutError(timeoutSeconds), completedAt: now },
    select: { id: true, organizationId: true, type: true },
  });
  if (failed.length > 0) onFailed?.(failed);
  return failed.length;
}

/**
 * Removes daemons not seen for `pruneDays` days (never seen: counted from their creation), as
 * Coder prunes them after a week. Jobs they ran keep no worker. Returns the organizations whose
 * daemon lists changed.
 */
export async function pruneDaemons(prisma: PrismaClient | Tx, now: Date, pruneDays: number): Promise<string[]> {
  const cutoff = new Date(now.getTime() - pruneDays * 86_400_000);
  const pruned = await prisma.$queryRaw<{ organizationId: string }[]>`
    DELETE FROM "ProvisionerDaemon"
    WHERE COALESCE("lastSeenAt", "createdAt") < ${cutoff}
    RETURNING "organizationId"::text AS "organizationId"`;
  return [...new Set(pruned.map((d) => d.organizationId))];
}

/** Runs failStaleJobs, failUnacquiredJobs and pruneDaemons periodically in the server process; returns the function that stops it. */
export function startStaleJobReaper(
  prisma: PrismaClient,
  config: Config,
  log: Logger,
  onFailed?: (jobs: FailedJob[]) => void,
  onPruned?: (organizationIds: string[]) => void,
): () => void {
  const everyMs = Math.min(30_000, Math.max(1000, (config.provisionerJobTimeoutSeconds * 1000) / 2));
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    const now = new Date();
    failStaleJobs(prisma, now, config.provisionerJobTimeoutSeconds, onFailed)
      .then(async (failed) => {
        if (failed > 0) log.warn("failed provisioner jobs whose daemon stopped responding", { failed });
        const unacquired = await failUnacquiredJobs(prisma, now, config.provisionerPendingTimeoutSeconds, onFailed);
        if (unacquired > 0) log.warn("failed provisioner jobs no daemon acquired in time", { failed: unacquired });
        const pruned = await pruneDaemons(prisma, now, config.provisionerDaemonPruneDays);
        if (pruned.length > 0) {
          log.info("pruned provisioner daemons not seen for days", { organizations: pruned.length });
          onPruned?.(pruned);
        }
      })
      .catch((error) => log.error("the stale provisioner job reaper failed", { error }))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function isOnline(lastSeenAt: Date | null, now: number, staleSeconds: number): boolean {
  return lastSeenAt !== null && now - lastSeenAt.getTime() <= staleSeconds * 1000;
}

export type MatchedProvisioners = { count: number; available: number };

type DaemonTags = Pick<ProvisionerDaemon, "tags" | "lastSeenAt">;

/** Daemons that could run a job with `jobTags`, and how many of them are online. */
export function matchProvisioners(
  daemons: readonly DaemonTags[],
  jobTags: Tags,
  now: number,
  staleSeconds: number,
): MatchedProvisioners {
  const matching = daemons.filter((d) => tagsSatisfy(d.tags as Tags, jobTags));
  return {
    count: matching.length,
    available: matching.filter((d) => isOnline(d.lastSeenAt, now, staleSeconds)).length,
  };
}
