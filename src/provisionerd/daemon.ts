// The daemon loop: register, then poll for jobs, run each with the echo provisioner while
// heartbeating, and report the outcome. An abort (SIGTERM) stops polling; a job in hand is
// finished and reported first. A refused key (deleted) or registration stops the daemon with an error.
import type { Logger } from "../logger.js";
import { type AcquiredJob, ApiError, type DaemonClient } from "./client.js";
import { type EchoOptions, type JobOutcome, runEcho } from "./echo.js";

export type DaemonOptions = {
  client: DaemonClient;
  name: string;
  version: string;
  pollIntervalMs: number;
  heartbeatMs: number;
  echo: EchoOptions;
  log: Logger;
  signal: AbortSignal;
  /** The organization the daemon was told to serve: registering is refused (fatal) if the key is another's. */
  organization?: string;
  /** Stop once no job is pending (tests); otherwise poll until aborted. */
  exitWhenIdle?: boolean;
};

/** The server refused the key or the registration: the daemon stops. */
export class KeyRefusedError extends Error {}

const MAX_BACKOFF_MS = 30_000;
const COMPLETE_ATTEMPTS = 5;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * UNAUTHENTICATED means the key is gone or wrong, INVALID_INPUT that the registration (its name, or
 * an organization not the key's) is: retrying cannot help.
 */
function fatal(error: unknown): KeyRefusedError | null {
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
    return new KeyRefusedError(`the server refused the provisioner key: ${error.message}`);
  }
  if (error instanceof ApiError && error.code === "INVALID_INPUT") {
    return new KeyRefusedError(`the server refused the registration: ${error.message}`);
  }
  return null;
}

/** Runs until aborted (or idle, with exitWhenIdle); returns how many jobs it ran. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { client, log, signal } = options;
  const registration = { name: options.name, version: options.version, provisioners: ["echo"] };
  let daemonId: string | null = null;
  let backoffMs = options.pollIntervalMs;
  let ran = 0;
  while (!signal.aborted) {
    try {
      if (!daemonId) {
        daemonId = await client.register({ ...registration, organization: options.organization });
        log.info("registered", { daemonId });
      }
      const acquired = await client.acquire(daemonId);
      backoffMs = options.pollIntervalMs;
      if (!acquired) {
        if (options.exitWhenIdle) break;
        await sleep(options.pollIntervalMs, signal);
        continue;
      }
      await runJob(options, daemonId, acquired);
      ran++;
    } catch (error) {
      const stop = fatal(error);
      if (stop) throw stop;
      // The daemon row disappeared: register again on the next round.
      if (error instanceof ApiError && error.code === "NOT_FOUND") daemonId = null;
      log.warn("request failed; retrying", {
        error: error instanceof Error ? error.message : String(error),
        backoffMs,
      });
      await sleep(backoffMs, signal);
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    }
  }
  log.info("stopped", { jobsRun: ran });
  return ran;
}

async function runJob(options: DaemonOptions, daemonId: string, acquired: AcquiredJob): Promise<void> {
  const { client, log } = options;
  const jobLog = log.child({ jobId: acquired.job.id, type: acquired.job.type });
  jobLog.info("job acquired");
  // Re-registering refreshes lastSeenAt, so a long job is not mistaken for a dead daemon's; its
  // answer tells whether the job was canceled, which stops the provisioner.
  const cancel = new AbortController();
  const registration = { name: options.name, version: options.version, provisioners: ["echo"] };
  const heartbeat = setInterval(() => {
    client
      .heartbeat(registration, acquired.job.id)
      .then((canceled) => {
        if (canceled && !cancel.signal.aborted) {
          jobLog.info("job canceled; stopping it");
          cancel.abort();
        }
      })
      .catch((error) => jobLog.warn("heartbeat failed", { error: error instanceof Error ? error.message : error }));
  }, options.heartbeatMs);
  let outcome: JobOutcome;
  try {
    outcome = await runEcho(acquired, options.echo, cancel.signal);
  } catch (error) {
    outcome = { error: `echo: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    clearInterval(heartbeat);
  }
  await report(options, daemonId, acquired.job.id, outcome, jobLog);
}

/** Reports a job's outcome, retrying transient failures; a refused key or a lost job ends it. */
async function report(
  options: DaemonOptions,
  daemonId: string,
  jobId: string,
  outcome: JobOutcome,
  log: Logger,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const status = await options.client.complete({ jobId, daemonId, ...outcome });
      if (status === "CANCELED") log.info("job canceled");
      else log.info(outcome.error ? "job failed" : "job succeeded", { ...outcome });
      return;
    } catch (error) {
      const stop = fatal(error);
      if (stop) throw stop;
      const lost = error instanceof ApiError && (error.code === "NOT_FOUND" || error.code === "JOB_NOT_RUNNING");
      if (lost || attempt >= COMPLETE_ATTEMPTS) {
        log.error("could not report the job", { error: error instanceof Error ? error.message : String(error) });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs * attempt));
    }
  }
}
