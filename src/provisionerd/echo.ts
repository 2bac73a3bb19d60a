// The built-in `echo` provisioner: provisions nothing. An import succeeds and reports the daily
// cost its template version declares (AcquiredJob.declaredDailyCost, which createTemplate's
// dailyCost sets); a build succeeds. Told to fail, every job fails, for tests.
import type { AcquiredJob } from "./client.js";

export type EchoOptions = { fail: boolean; delayMs: number };
export type JobOutcome = { error?: string; dailyCost?: number };

export const ECHO_FAILURE = "echo: failing as told (ECHO_FAIL)";

export async function runEcho(acquired: AcquiredJob, options: EchoOptions): Promise<JobOutcome> {
  if (options.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
  if (options.fail) return { error: ECHO_FAILURE };
  if (acquired.job.type === "TEMPLATE_VERSION_IMPORT") return { dailyCost: acquired.declaredDailyCost ?? 0 };
  return {};
}
