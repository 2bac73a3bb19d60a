// Template versions after the first (which createTemplate makes): create (queues an import
// job), promote to active once imported, archive and unarchive. All take the template's row lock
// first, so a promote and an archive of one version are serialized: a version is never both
// active and archived.

import { recordAudit } from "../../audit/audit.js";
import { auditMeta } from "../../authz/assert.js";
import type { ServiceContext } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma, TemplateVersion } from "../../generated/prisma/client.js";
import { notFound, userError } from "../../graphql/errors.js";
import { decodeId } from "../../graphql/ids.js";
import { enqueueJob } from "../provisioners/provisioner-jobs.js";
import { checkTags, type Tag, type Tags, tagsObject } from "../provisioners/tags.js";
import { checkLabel, checkNonNegativeInt, checkText, ensure } from "../shared/validation.js";
import { templateByIdToChange, templateToChange } from "./templates.service.js";

type Tx = Prisma.TransactionClient;

const VERSION_NAME_MAX = 64;

/** Locks the template's row until the transaction ends; NOT_FOUND when it is gone. */
async function lockTemplate(tx: Tx, templateId: string): Promise<void> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM "Template" WHERE id = ${templateId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw notFound("template");
}

/** "v<n>": the first free name from the number of versions the template has, plus one. */
async function nextVersionName(tx: Tx, templateId: string): Promise<string> {
  const versions = await tx.templateVersion.findMany({ where: { templateId }, select: { name: true } });
  const taken = new Set(versions.map((v) => v.name.toLowerCase()));
  let n = versions.length + 1;
  while (taken.has(`v${n}`)) n++;
  return `v${n}`;
}

export type CreateTemplateVersionInput = {
  templateId: string;
  name?: string | null;
  message?: string | null;
  dailyCost?: number | null;
  tags?: readonly Tag[] | null;
};

/**
 * Queues the import of a new version of the template, in the template's organization, carrying
 * the given tags or else the template's; builds of the version carry the same tags. The version
 * is not active until promoted. Template admins only.
 */
export async function createTemplateVersion(
  ctx: ServiceContext,
  input: CreateTemplateVersionInput,
): Promise<{ templateVersion: TemplateVersion }> {
  const { templateId, found } = await templateToChange(ctx, input.templateId, "UPDATE");
  ensure(
    input.name == null ? undefined : checkLabel(input.name, ["input", "name"], "Name", VERSION_NAME_MAX),
    checkText(input.message, ["input", "message"], 1024, "Message"),
    checkNonNegativeInt(input.dailyCost, ["input", "dailyCost"], "Daily cost"),
    ...checkTags(input.tags, ["input", "tags"]),
  );
  const tags: Tags = input.tags ? tagsObject(input.tags) : (found.tags as Tags);
  const actorId = auditMeta(ctx).actorId;
  const created = await inTransaction(ctx.prisma, async (tx) => {
    await lockTemplate(tx, templateId);
    const name = input.name ?? (await nextVersionName(tx, templateId));
    const taken = await tx.templateVersion.findFirst({
      where: { templateId, name: { equals: name, mode: "insensitive" } },
      select: { id: true },
    });
    if (taken) throw userError("NAME_TAKEN", "This template already has a version with this name.", ["input", "name"]);
    const job = await enqueueJob(tx, {
      organizationId: found.organizationId,
      type: "TEMPLATE_VERSION_IMPORT",
      tags,
      initiatorId: actorId,
    });
    const templateVersion = await tx.templateVersion.create({
      data: {
        templateId,
        organizationId: found.organizationId,
        name,
        message: input.message ?? "",
        dailyCost: input.dailyCost ?? 0,
        jobId: job.id,
        createdById: actorId,
      },
    });
    await recordAudit(tx, auditMeta(ctx), {
      action: "CREATE",
      resourceType: "TEMPLATE_VERSION",
      resourceId: templateVersion.id,
      resourceName: name,
      organizationId: found.organizationId,
      diff: { templateId, name, dailyCost: templateVersion.dailyCost, tags, importJobId: job.id },
    });
    return { templateVersion, job };
  });
  ctx.live.jobsChanged([created.job]); // live update, after the commit
  return { templateVersion: created.templateVersion };
}

type VersionAction = "PROMOTE" | "ARCHIVE" | "UNARCHIVE";

/**
 * The version (by global id) with its template locked and the viewer's right to update the
 * template checked; runs `change` in that transaction and audits it.
 */
async function changeVersion(
  ctx: ServiceContext,
  globalVersionId: string,
  action: VersionAction,
  change: (
    tx: Tx,
    version: TemplateVersion & { job: { status: string; error: string | null } },
    activeVersionId: string | null,
  ) => Promise<void>,
): Promise<{ templateVersion: TemplateVersion }> {
  const versionId = decodeId("TemplateVersion", globalVersionId, "template version");
  const located = await ctx.prisma.templateVersion.findUnique({
    where: { id: versionId },
    select: { templateId: true },
  });
  if (!located?.templateId) throw notFound("template version");
  const { templateId } = await templateByIdToChange(ctx, located.templateId, "UPDATE", "template version");
  return inTransaction(ctx.prisma, async (tx) => {
    await lockTemplate(tx, templateId);
    const version = await tx.templateVersion.findUnique({
      where: { id: versionId },
      include: { job: { select: { status: true, error: true } } },
    });
    if (!version || version.templateId !== templateId) throw notFound("template version");
    const template = await tx.template.findUniqueOrThrow({
      where: { id: templateId },
      select: { activeVersionId: true },
    });
    await change(tx, version, template.activeVersionId);
    await recordAudit(tx, auditMeta(ctx), {
      action,
      resourceType: "TEMPLATE_VERSION",
      resourceId: version.id,
      resourceName: version.name,
      organizationId: version.organizationId,
      diff: { templateId, name: version.name, ...(action === "PROMOTE" ? { previous: template.activeVersionId } : {}) },
    });
    return { templateVersion: await tx.templateVersion.findUniqueOrThrow({ where: { id: versionId } }) };
  });
}

/** An archived version cannot be promoted or built (Coder's rule). */
export function archivedError(field: string[]) {
  return userError(
    "TEMPLATE_VERSION_ARCHIVED",
    "This template version is archived: unarchive it, or use the template's active version.",
    field,
  );
}

/**
 * Makes the version the template's active one: new workspaces build it, and workspaces on
 * another version are outdated. Only once its import SUCCEEDED (TEMPLATE_VERSION_NOT_READY),
 * never an archived one (TEMPLATE_VERSION_ARCHIVED).
 */
export function promoteTemplateVersion(ctx: ServiceContext, input: { templateVersionId: string }) {
  const field = ["input", "templateVersionId"];
  return changeVersion(ctx, input.templateVersionId, "PROMOTE", async (tx, version, activeVersionId) => {
    if (version.archived) throw archivedError(field);
    if (version.job.status !== "SUCCEEDED") {
      throw userError(
        "TEMPLATE_VERSION_NOT_READY",
        `Only a version whose import succeeded can be promoted; this one's import is ${version.job.status.toLowerCase()}.`,
        field,
      );
    }
    if (activeVersionId === version.id) return;
    await tx.template.update({ where: { id: version.templateId as string }, data: { activeVersionId: version.id } });
  });
}

/** Archives a version (hidden from use: no new builds, no promotion); never the active one. */
export function archiveTemplateVersion(ctx: ServiceContext, input: { templateVersionId: string }) {
  return changeVersion(ctx, input.templateVersionId, "ARCHIVE", async (tx, version, activeVersionId) => {
    if (activeVersionId === version.id) {
      throw userError(
        "TEMPLATE_VERSION_ACTIVE",
        "The template's active version cannot be archived: promote another version first.",
        ["input", "templateVersionId"],
      );
    }
    await tx.templateVersion.update({ where: { id: version.id }, data: { archived: true } });
  });
}

export function unarchiveTemplateVersion(ctx: ServiceContext, input: { templateVersionId: string }) {
  return changeVersion(ctx, input.templateVersionId, "UNARCHIVE", async (tx, version) => {
    await tx.templateVersion.update({ where: { id: version.id }, data: { archived: false } });
  });
}
