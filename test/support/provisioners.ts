// Provisioner helpers for tests: key and daemon calls through the API, and job fixtures made
// directly in the database (the way the templates module makes them: through enqueueJob).
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { ProvisionerJobType, WorkspaceTransition } from "../../src/generated/prisma/client.js";
import { globalId } from "../../src/graphql/ids.js";
import { enqueueJob, type Tags } from "../../src/modules/provisioners/provisioner-jobs.js";
import type { GqlResult, TestApp } from "./harness.js";

export const CREATE_KEY = `mutation($input: CreateProvisionerKeyInput!) {
  createProvisionerKey(input: $input) { key provisionerKey { id name tags { key value } } userErrors { code message field } }
}`;

export async function createKey(
  app: TestApp,
  token: string,
  organizationId: string,
  name: string,
  tags: { key: string; value: string }[] = [],
): Promise<{ key: string; id: string }> {
  const result = await app.gql(CREATE_KEY, { input: { organizationId, name, tags } }, { token });
  expect(result.errors).toBeUndefined();
  expect(result.data?.createProvisionerKey.userErrors).toEqual([]);
  return { key: result.data?.createProvisionerKey.key, id: result.data?.createProvisionerKey.provisionerKey.id };
}

export function asDaemon(app: TestApp, key: string, query: string, variables: Record<string, unknown> = {}) {
  return app.gql(query, variables, { headers: { "provisioner-key": key } });
}

export const REGISTER = `mutation($input: RegisterProvisionerDaemonInput!) {
  registerProvisionerDaemon(input: $input) { daemon { id name tags { key value } provisioners status } userErrors { code message field } }
}`;
export const ACQUIRE = `mutation($input: AcquireProvisionerJobInput!) {
  acquireProvisionerJob(input: $input) { acquired { job { id type status tags { key value } } declaredDailyCost } userErrors { code message } }
}`;
export const COMPLETE = `mutation($input: CompleteProvisionerJobInput!) {
  completeProvisionerJob(input: $input) { job { id status error } userErrors { code message field } }
}`;

export async function register(app: TestApp, key: string, name: string): Promise<string> {
  const result = await asDaemon(app, key, REGISTER, { input: { name, version: "test" } });
  expect(result.errors).toBeUndefined();
  expect(result.data?.registerProvisionerDaemon.userErrors).toEqual([]);
  return result.data?.registerProvisionerDaemon.daemon.id;
}

export type Acquired = { job: { id: string; type: string; status: string }; declaredDailyCost: number | null } | null;

export async function acquire(app: TestApp, key: string, daemonId: string): Promise<Acquired> {
  const result = await asDaemon(app, key, ACQUIRE, { input: { daemonId } });
  expect(result.errors).toBeUndefined();
  return result.data?.acquireProvisionerJob.acquired ?? null;
}

export function complete(
  app: TestApp,
  key: string,
  input: { jobId: string; daemonId?: string; error?: string; dailyCost?: number },
): Promise<GqlResult> {
  return asDaemon(app, key, COMPLETE, { input });
}

/** A template version with its PENDING import job; returns the job's and version's uuids. */
export async function importJob(
  app: TestApp,
  organizationId: string,
  tags: Tags = {},
  dailyCost = 0,
): Promise<{ jobId: string; versionId: string; templateId: string }> {
  return app.prisma.$transaction(async (tx) => {
    const template = await tx.template.create({ data: { organizationId, name: `t-${randomUUID()}`, tags } });
    const job = await enqueueJob(tx, { organizationId, type: "TEMPLATE_VERSION_IMPORT", tags });
    const version = await tx.templateVersion.create({
      data: { organizationId, templateId: template.id, name: "v1", dailyCost, jobId: job.id },
    });
    return { jobId: job.id, versionId: version.id, templateId: template.id };
  });
}

/** A workspace build job on an existing template version; returns the job's and workspace's uuids. */
export async function buildJob(
  app: TestApp,
  version: { versionId: string; templateId: string },
  ownerId: string,
  transition: WorkspaceTransition,
): Promise<{ jobId: string; workspaceId: string }> {
  return app.prisma.$transaction(async (tx) => {
    const template = await tx.template.findUniqueOrThrow({ where: { id: version.templateId } });
    const workspace = await tx.workspace.create({
      data: {
        organizationId: template.organizationId,
        ownerId,
        templateId: template.id,
        name: `w-${randomUUID().slice(0, 8)}`,
      },
    });
    const job = await enqueueJob(tx, {
      organizationId: template.organizationId,
      type: "WORKSPACE_BUILD",
      tags: template.tags as Tags,
    });
    await tx.workspaceBuild.create({
      data: {
        workspaceId: workspace.id,
        organizationId: template.organizationId,
        buildNumber: 1,
        transition,
        templateVersionId: version.versionId,
        jobId: job.id,
      },
    });
    return { jobId: job.id, workspaceId: workspace.id };
  });
}

/** Plain PENDING jobs without a version or build, for queue tests. */
export async function bareJobs(app: TestApp, organizationId: string, count: number, tags: Tags = {}) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const type: ProvisionerJobType = "TEMPLATE_VERSION_IMPORT";
    ids.push((await enqueueJob(app.prisma, { organizationId, type, tags })).id);
  }
  return ids;
}

export const jobGlobalId = (uuid: string) => globalId("ProvisionerJob", uuid);
