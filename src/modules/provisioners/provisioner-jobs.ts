// The provisioner job queue's entry point for other modules: template imports and workspace
// builds enqueue a PENDING job in their organization, carrying the tags that pick a daemon.
import type { Prisma, ProvisionerJob, ProvisionerJobType } from "../../generated/prisma/client.js";

export type Tags = Record<string, string>;

export async function enqueueJob(
  tx: Prisma.TransactionClient,
  job: { organizationId: string; type: ProvisionerJobType; tags: Tags; initiatorId?: string | null },
): Promise<ProvisionerJob> {
  return tx.provisionerJob.create({
    data: {
      organizationId: job.organizationId,
      type: job.type,
      tags: job.tags,
      status: "PENDING",
      initiatorId: job.initiatorId ?? null,
    },
  });
}

/** A job that has not finished: a workspace with its latest build's job in one of these has a build in progress. */
export const UNFINISHED_JOB_STATUSES = ["PENDING", "RUNNING", "CANCELING"] as const;
