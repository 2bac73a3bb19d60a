// Stands in for a provisioner daemon in tests that are not about daemons: finishes jobs by
// writing the ProvisionerJob row (and, for imports, the version's reported cost; for DELETE
// builds, the workspace's deletion) directly.

import type { ProvisionerJobStatus } from "../../src/generated/prisma/client.js";
import { markDeletedByBuild } from "../../src/modules/provisioners/provisioners.service.js";
import { uuidOf } from "./fixtures.js";
import type { TestApp } from "./harness.js";

/** The import job of a template's active version (template by global id). */
export async function importJobOf(app: TestApp, templateId: string): Promise<string> {
  const template = await app.prisma.template.findUniqueOrThrow({
    where: { id: uuidOf(templateId) },
    include: { activeVersion: true },
  });
  if (!template.activeVersion) throw new Error("template without active version");
  return template.activeVersion.jobId;
}

/** Marks a job SUCCEEDED (or FAILED with `error`); an import's reported `dailyCost` goes on its version. */
export async function completeJob(
  app: TestApp,
  jobId: string,
  result: { dailyCost?: number; error?: string } = {},
): Promise<void> {
  await app.prisma.provisionerJob.update({
    where: { id: jobId },
    data: {
      status: result.error ? "FAILED" : "SUCCEEDED",
      error: result.error ?? null,
      startedAt: new Date(),
      completedAt: new Date(),
    },
  });
  if (result.dailyCost !== undefined) {
    await app.prisma.templateVersion.updateMany({ where: { jobId }, data: { dailyCost: result.dailyCost } });
  }
  // As completeProvisionerJob: a DELETE build that succeeded deletes its workspace.
  if (!result.error) await markDeletedByBuild(app.prisma, jobId);
}

/** Finishes the job of a workspace's latest build (workspace by global id); answers the job's uuid. */
export async function finishLatestBuild(
  app: TestApp,
  workspaceId: string,
  result: { error?: string } = {},
): Promise<string> {
  const build = await app.prisma.workspaceBuild.findFirstOrThrow({
    where: { workspaceId: uuidOf(workspaceId) },
    orderBy: { buildNumber: "desc" },
  });
  await completeJob(app, build.jobId, result);
  return build.jobId;
}

/** Completes the import of a template's active version. */
export async function completeImport(
  app: TestApp,
  templateId: string,
  result: { dailyCost?: number; error?: string } = {},
): Promise<void> {
  await completeJob(app, await importJobOf(app, templateId), result);
}

/** Sets the job status of a workspace's latest build (workspace by global id), as a daemon would; SUCCEEDED as completeJob. */
export async function setLatestBuildJob(
  app: TestApp,
  workspaceId: string,
  status: ProvisionerJobStatus,
): Promise<void> {
  if (status === "SUCCEEDED") {
    await finishLatestBuild(app, workspaceId);
    return;
  }
  const build = await app.prisma.workspaceBuild.findFirstOrThrow({
    where: { workspaceId: uuidOf(workspaceId) },
    orderBy: { buildNumber: "desc" },
  });
  await app.prisma.provisionerJob.update({ where: { id: build.jobId }, data: { status } });
}
