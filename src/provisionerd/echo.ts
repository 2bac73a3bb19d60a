// The built-in `echo` provisioner: provisions nothing. An import succeeds and reports the daily
// cost its template version declares (AcquiredJob.declaredDailyCost, which createTemplate's
// dailyCost sets); a build succeeds. Told to fail, every job fails, for tests.
import type { AcquiredJob } from "./client.js";

export type EchoOptions = { fail: boolean; delayMs: number };
export type JobOutcome = { error?: string; dailyCost?: number };

export const ECHO_FAILURE = "echo: failing as told (ECHO_FAIL)";
export const ECHO_CANCELED = "echo: canceled";

/** `canceled` aborts the job: the echo provisioner stops at once and reports it. */
export async function runEcho(
  acquired: AcquiredJob,
  options: EchoOptions,
  canceled?: AbortSignal,
): Promise<JobOutcome> {
  if (options.delayMs > 0) await delay(options.delayMs, canceled);
  if (canceled?.aborted) return { error: ECHO_CANCELED };
  if (options.fail) return { error: ECHO_FAILURE };
  if (acquired.job.type === "TEMPLATE_VERSION_IMPORT") return { dailyCost: acquired.declaredDailyCost ?? 0 };
  return {};
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
