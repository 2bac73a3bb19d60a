// Template writes: creation (template, first version and its import job together) and the ACL.

import { recordAudit } from "../../audit/audit.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import type { TemplateAclRole } from "../../authz/evaluator.js";
import { applicableAclEntries, bestAclRole } from "../../authz/policies/template.js";
import type { ServiceContext } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma, Template } from "../../generated/prisma/client.js";
import { notFound, type UserError, UserErrors, userError } from "../../graphql/errors.js";
import { decodeId, globalId } from "../../graphql/ids.js";
import { createIdempotently, type KeyedTransaction } from "../idempotency/idempotency.js";
import { enqueueJob } from "../provisioners/provisioner-jobs.js";
import { checkTags, type Tag, tagsObject } from "../provisioners/tags.js";
import { nameTakenError } from "../shared/name-taken.js";
import { checkDisplayName, checkName, checkNonNegativeInt, checkText, checkUrl, ensure } from "../shared/validation.js";

type Tx = Prisma.TransactionClient;

/** The first version's name; later ones count up (createTemplateVersion). */
const FIRST_VERSION_NAME = "v1";

export type CreateTemplateInput = {
  organizationId: string;
  name: string;
  displayName?: string | null;
  description?: string | null;
  icon?: string | null;
  dailyCost?: number | null;
  tags?: readonly Tag[] | null;
  disableEveryoneGroupAccess?: boolean | null;
  idempotencyKey?: string | null;
};

/** With an idempotency key, a retry answers the template created the first time. */
export async function createTemplate(ctx: ServiceContext, input: CreateTemplateInput): Promise<{ template: Template }> {
  const { user } = await ctx.viewer.require();
  return createIdempotently(
    ctx.prisma,
    { userId: user.id, operation: "createTemplate", input },
    (inKeyedTransaction) => createNewTemplate(ctx, input, inKeyedTransaction),
    async (id) => ({ template: await ctx.prisma.template.findUniqueOrThrow({ where: { id } }) }),
  );
}

const createdTemplateId = (created: { template: Template }) => created.template.id;

async function createNewTemplate(
  ctx: ServiceContext,
  input: CreateTemplateInput,
  inKeyedTransaction: KeyedTransaction,
): Promise<{ template: Template }> {
  const { user, subject } = await ctx.viewer.require();
  const organizationId = decodeId("Organization", input.organizationId, "organization");
  await ctx.viewer.assert("READ", { type: "ORGANIZATION", organizationId }, "organization");
  assertAllowed(subject, "CREATE", { type: "TEMPLATE", organizationId });
  ensure(
    checkName(input.name, ["input", "name"]),
    checkDisplayName(input.displayName, ["input", "displayName"]),
    checkText(input.description, ["input", "description"], 1024, "Description"),
    checkUrl(input.icon, ["input", "icon"], "Icon"),
    checkNonNegativeInt(input.dailyCost, ["input", "dailyCost"], "Daily cost"),
    ...checkTags(input.tags, ["input", "tags"]),
  );
  const tags = tagsObject(input.tags);
  const dailyCost = input.dailyCost ?? 0;
  try {
    return await inKeyedTransaction(createdTemplateId, async (tx) => {
      if (!(await tx.organization.findUnique({ where: { id: organizationId }, select: { id: true } }))) {
        throw notFound("organization");
      }
      const job = await enqueueJob(tx, {
        organizationId,
        type: "TEMPLATE_VERSION_IMPORT",
        tags,
        initiatorId: user.id,
      });
      const created = await tx.template.create({
        data: {
          organizationId,
          name: input.name,
          displayName: input.displayName ?? "",
          description: input.description ?? "",
          icon: input.icon ?? "",
          tags,
          createdById: user.id,
        },
      });
      const version = await tx.templateVersion.create({
        data: {
          templateId: created.id,
          organizationId,
          name: FIRST_VERSION_NAME,
          dailyCost,
          jobId: job.id,
          createdById: user.id,
        },
      });
      const template = await tx.template.update({ where: { id: created.id }, data: { activeVersionId: version.id } });
      const everyoneUses = !input.disableEveryoneGroupAccess;
      if (everyoneUses) {
        const everyone = await tx.group.findFirst({
          where: { organizationId, isEveryone: true },
          select: { id: true },
        });
        if (everyone)
          await tx.templateGroupAcl.create({ data: { templateId: template.id, groupId: everyone.id, role: "USE" } });
      }
      await recordAudit(tx, auditMeta(ctx), {
        action: "CREATE",
        resourceType: "TEMPLATE",
        resourceId: template.id,
        resourceName: template.name,
        organizationId,
        diff: {
          name: template.name,
          displayName: template.displayName,
          description: template.description,
          icon: template.icon,
          dailyCost,
          tags,
          everyoneGroupAccess: everyoneUses,
          importJobId: job.id,
        },
      });
      return { template };
    });
  } catch (error) {
    // The unique index on (organization, lower(name)) refuses a name taken in any case.
    throw nameTakenError(error, "template") ?? error;
  }
}

type AclEntryInput = { role?: TemplateAclRole | null };
export type UpdateTemplateAclInput = {
  templateId: string;
  users?: readonly (AclEntryInput & { userId: string })[] | null;
  groups?: readonly (AclEntryInput & { groupId: string })[] | null;
};

type AclChange = { id: string; role: TemplateAclRole | null };

/** Decodes the entries' ids; an id given twice is an input error. */
function aclChanges<T extends AclEntryInput>(
  entries: readonly T[],
  idOf: (entry: T) => string,
  typename: string,
  field: string,
): AclChange[] {
  const seen = new Set<string>();
  const errors: UserError[] = [];
  const changes = entries.map((entry, index) => {
    const id = decodeId(typename, idOf(entry), typename.toLowerCase());
    if (seen.has(id)) {
      errors.push({
        code: "INVALID_INPUT",
        message: `This ${typename.toLowerCase()} is listed twice.`,
        field: ["input", field, String(index)],
      });
    }
    seen.add(id);
    return { id, role: entry.role ?? null };
  });
  if (errors.length > 0) throw new UserErrors(errors);
  return changes;
}

/** Users must be members, and groups must belong to, the template's organization. */
async function assertAclTargets(
  tx: Tx,
  organizationId: string,
  users: AclChange[],
  groups: AclChange[],
): Promise<void> {
  const members = await tx.organizationMember.findMany({
    where: { organizationId, userId: { in: users.map((u) => u.id) } },
    select: { userId: true },
  });
  const ownGroups = await tx.group.findMany({
    where: { organizationId, id: { in: groups.map((g) => g.id) } },
    select: { id: true },
  });
  const memberIds = new Set(members.map((m) => m.userId));
  const groupIds = new Set(ownGroups.map((g) => g.id));
  const errors: UserError[] = [
    ...users.flatMap((u, index): UserError[] =>
      memberIds.has(u.id)
        ? []
        : [
            {
              code: "NOT_A_MEMBER",
              message: "The user is not a member of the template's organization.",
              field: ["input", "users", String(index), "userId"],
            },
          ],
    ),
    ...groups.flatMap((g, index): UserError[] =>
      groupIds.has(g.id)
        ? []
        : [
            {
              code: "INVALID_INPUT",
              message: "No such group in the template's organization.",
              field: ["input", "groups", String(index), "groupId"],
            },
          ],
    ),
  ];
  if (errors.length > 0) throw new UserErrors(errors);
}

/**
 * The template the viewer may change (`action`, by role or by its ACL entries, read with the
 * template in one statement): NOT_FOUND when the viewer may not read it, FORBIDDEN otherwise.
 */
export async function templateToChange(ctx: ServiceContext, globalTemplateId: string, action: "UPDATE" | "DELETE") {
  return templateByIdToChange(ctx, decodeId("Template", globalTemplateId, "template"), action);
}

/** templateToChange by the template's uuid; `what` names the missing object in NOT_FOUND. */
export async function templateByIdToChange(
  ctx: ServiceContext,
  templateId: string,
  action: "UPDATE" | "DELETE",
  what = "template",
) {
  const { user } = await ctx.viewer.require();
  const found = await ctx.prisma.template.findUnique({
    where: { id: templateId },
    include: applicableAclEntries(user.id),
  });
  if (!found) throw notFound(what);
  const aclRole = bestAclRole(found);
  await ctx.viewer.assert(action, { type: "TEMPLATE", organizationId: found.organizationId, aclRole }, what);
  return { templateId, found };
}

export async function updateTemplateAcl(
  ctx: ServiceContext,
  input: UpdateTemplateAclInput,
): Promise<{ template: Template }> {
  const { templateId, found } = await templateToChange(ctx, input.templateId, "UPDATE");
  const users = aclChanges(input.users ?? [], (u) => u.userId, "User", "users");
  const groups = aclChanges(input.groups ?? [], (g) => g.groupId, "Group", "groups");
  return inTransaction(ctx.prisma, async (tx) => {
    await assertAclTargets(tx, found.organizationId, users, groups);
    for (const { id: userId, role } of users) {
      const key = { templateId_userId: { templateId, userId } };
      if (role === null) await tx.templateUserAcl.deleteMany({ where: { templateId, userId } });
      else await tx.templateUserAcl.upsert({ where: key, create: { templateId, userId, role }, update: { role } });
    }
    for (const { id: groupId, role } of groups) {
      const key = { templateId_groupId: { templateId, groupId } };
      if (role === null) await tx.templateGroupAcl.deleteMany({ where: { templateId, groupId } });
      else await tx.templateGroupAcl.upsert({ where: key, create: { templateId, groupId, role }, update: { role } });
    }
    const template = await tx.template.update({ where: { id: templateId }, data: { updatedAt: new Date() } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "UPDATE",
      resourceType: "TEMPLATE",
      resourceId: template.id,
      resourceName: template.name,
      organizationId: template.organizationId,
      diff: { acl: { users, groups } },
    });
    return { template };
  });
}

export type UpdateTemplateInput = {
  templateId: string;
  name?: string | null;
  displayName?: string | null;
  description?: string | null;
  icon?: string | null;
  disableEveryoneGroupAccess?: boolean | null;
  requireActiveVersion?: boolean | null;
};

/**
 * Changes a template's name (same rules as creation, unique case-insensitively per organization),
 * display name, description, icon or `requireActiveVersion` (starts then always build the active
 * version, Coder's rule). `disableEveryoneGroupAccess: true` removes the Everyone
 * group's ACL entry; false changes nothing (as Coder). For who may update the template only.
 */
export async function updateTemplate(ctx: ServiceContext, input: UpdateTemplateInput): Promise<{ template: Template }> {
  const { templateId } = await templateToChange(ctx, input.templateId, "UPDATE");
  ensure(
    input.name == null ? undefined : checkName(input.name, ["input", "name"]),
    checkDisplayName(input.displayName, ["input", "displayName"]),
    checkText(input.description, ["input", "description"], 1024, "Description"),
    checkUrl(input.icon, ["input", "icon"], "Icon"),
  );
  const wanted = {
    name: input.name ?? undefined,
    displayName: input.displayName ?? undefined,
    description: input.description ?? undefined,
    icon: input.icon ?? undefined,
    requireActiveVersion: input.requireActiveVersion ?? undefined,
  };
  try {
    return await inTransaction(ctx.prisma, async (tx) => {
      const current = await tx.template.findUnique({ where: { id: templateId } });
      if (!current) throw notFound("template");
      const diff: Record<string, unknown> = changedFields(current, wanted);
      if (input.disableEveryoneGroupAccess) {
        const removed = await tx.templateGroupAcl.deleteMany({ where: { templateId, group: { isEveryone: true } } });
        if (removed.count > 0) diff.everyoneGroupAccess = { from: true, to: false };
      }
      if (Object.keys(diff).length === 0) return { template: current };
      const template = await tx.template.update({ where: { id: templateId }, data: wanted });
      await recordAudit(tx, auditMeta(ctx), {
        action: "UPDATE",
        resourceType: "TEMPLATE",
        resourceId: template.id,
        resourceName: template.name,
        organizationId: template.organizationId,
        diff,
      });
      return { template };
    });
  } catch (error) {
    // The unique index on (organization, lower(name)) refuses a name taken in any case.
    throw nameTakenError(error, "template") ?? error;
  }
}

/** The fields of `wanted` that differ from `current`, as { field: { from, to } }. */
function changedFields<T extends object>(
  current: T,
  wanted: Partial<T>,
): Record<string, { from: unknown; to: unknown }> {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, to] of Object.entries(wanted)) {
    const from = current[key as keyof T];
    if (to !== undefined && to !== from) diff[key] = { from, to };
  }
  return diff;
}

/**
 * Deletes a template, refused with TEMPLATE_IN_USE while workspaces that are not deleted use it
 * (Coder's rule). Its versions' jobs and its deleted workspaces' build jobs still pending are
 * CANCELED (running ones CANCELING); the deleted workspace rows go with it (as they go with their
 * organization), and the name is free again. For who may delete the template only.
 */
export async function deleteTemplate(ctx: ServiceContext, input: { templateId: string }) {
  const { templateId, found } = await templateToChange(ctx, input.templateId, "DELETE");
  const deleted = await inTransaction(ctx.prisma, async (tx) => {
    // A workspace being created holds a key-share lock on its template: wait for it, and make
    // later ones wait for this delete, so the count below stays true until it commits.
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM "Template" WHERE id = ${templateId}::uuid FOR UPDATE`;
    if (locked.length === 0) throw notFound("template");
    const inUse = await tx.workspace.count({ where: { templateId, deleted: false } });
    if (inUse > 0) {
      throw userError(
        "TEMPLATE_IN_USE",
        `${inUse} workspace${inUse === 1 ? " uses" : "s use"} this template; delete ${inUse === 1 ? "it" : "them"} first.`,
        ["input", "templateId"],
      );
    }
    const now = new Date();
    const ofTemplate = {
      OR: [{ templateVersion: { is: { templateId } } }, { workspaceBuild: { is: { workspace: { templateId } } } }],
    };
    const select = { id: true, organizationId: true, type: true } as const;
    const canceled = await tx.provisionerJob.updateManyAndReturn({
      where: { ...ofTemplate, status: "PENDING" },
      data: { status: "CANCELED", error: "The job's template was deleted.", completedAt: now },
      select,
    });
    const canceling = await tx.provisionerJob.updateManyAndReturn({
      where: { ...ofTemplate, status: "RUNNING" },
      data: { status: "CANCELING" },
      select,
    });
    const workspaces = await tx.workspace.deleteMany({ where: { templateId, deleted: true } });
    await tx.template.delete({ where: { id: templateId } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "DELETE",
      resourceType: "TEMPLATE",
      resourceId: templateId,
      resourceName: found.name,
      organizationId: found.organizationId,
      diff: {
        name: found.name,
        canceledJobs: canceled.length + canceling.length,
        deletedWorkspaces: workspaces.count,
      },
    });
    return { jobs: [...canceled, ...canceling] };
  });
  ctx.live.jobsChanged(deleted.jobs); // live updates, after the commit
  return { deletedId: globalId("Template", templateId) };
}
