// A workspace's status (Coder's workspace status) comes from its latest build's transition and
// job status. One table states which (transition, job status) pairs make each status; the
// Workspace.status field reads it one way, the workspaces(status:) filter the other, so the two
// cannot disagree.
import type { Prisma, ProvisionerJobStatus, WorkspaceTransition } from "../../generated/prisma/client.js";

type StatusCondition = { jobStatus: ProvisionerJobStatus; transition?: WorkspaceTransition };

/** Each status: its job status, and the transition when the job status alone does not tell. */
export const WORKSPACE_STATUS_CONDITIONS = {
  PENDING: { jobStatus: "PENDING" },
  STARTING: { jobStatus: "RUNNING", transition: "START" },
  RUNNING: { jobStatus: "SUCCEEDED", transition: "START" },
  STOPPING: { jobStatus: "RUNNING", transition: "STOP" },
  STOPPED: { jobStatus: "SUCCEEDED", transition: "STOP" },
  FAILED: { jobStatus: "FAILED" },
  CANCELING: { jobStatus: "CANCELING" },
  CANCELED: { jobStatus: "CANCELED" },
  DELETING: { jobStatus: "RUNNING", transition: "DELETE" },
  DELETED: { jobStatus: "SUCCEEDED", transition: "DELETE" },
} as const satisfies Record<string, StatusCondition>;

export type WorkspaceStatus = keyof typeof WORKSPACE_STATUS_CONDITIONS;

const STATUSES = Object.entries(WORKSPACE_STATUS_CONDITIONS) as [WorkspaceStatus, StatusCondition][];

/** The status of a workspace whose latest build has this transition and job status. */
export function workspaceStatus(transition: WorkspaceTransition, jobStatus: ProvisionerJobStatus): WorkspaceStatus {
  const found = STATUSES.find(
    ([, condition]) =>
      condition.jobStatus === jobStatus && (condition.transition === undefined || condition.transition === transition),
  );
  if (!found) throw new Error(`no workspace status for ${transition} ${jobStatus}`);
  return found[0];
}

/** Workspaces whose status is one of `statuses` (none: no workspace), on the latest build. */
export function workspaceStatusWhere(statuses: readonly WorkspaceStatus[]): Prisma.WorkspaceWhereInput {
  return {
    latestBuild: {
      is: {
        OR: statuses.map((status) => {
          const { jobStatus, transition } = WORKSPACE_STATUS_CONDITIONS[status] as StatusCondition;
          return { job: { is: { status: jobStatus } }, ...(transition ? { transition } : {}) };
        }),
      },
    },
  };
}

/**
 * Workspaces whose latest build used another version than the template's active one (true), or
 * the others (false), as Workspace.outdated answers. A build's version belongs to the
 * workspace's template, so "the template's active version" is "a version active for a template".
 */
export function outdatedWhere(outdated: boolean): Prisma.WorkspaceWhereInput {
  const stale = { latestBuild: { is: { templateVersion: { is: { activeFor: { is: null } } } } } };
  return outdated ? stale : { NOT: stale };
}

/** Workspace.outdated: whether the latest build (if any) used another version than the active one. */
export function isOutdated(latestBuild: { templateVersionId: string } | null, activeVersionId: string | null): boolean {
  return latestBuild !== null && latestBuild.templateVersionId !== activeVersionId;
}
