// Organization writes.

import { recordAudit } from "../../audit/audit.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import { can, type Subject } from "../../authz/evaluator.js";
import type { ServiceContext } from "../../context.js";
import { DEFAULT_ORGANIZATION_NAME, EVERYONE_GROUP_NAME } from "../../db/default-organization.js";
import { inTransaction } from "../../db/transaction.js";
import type { Organization, Prisma } from "../../generated/prisma/client.js";
import { notFound, userError } from "../../graphql/errors.js";
import { decodeId, globalId } from "../../graphql/ids.js";
import { rethrowNameTaken } from "../shared/name-taken.js";
import { type Check, checkDisplayName, checkName, checkText, checkUrl, ensure } from "../shared/validation.js";

type Db = Prisma.TransactionClient;

const DESCRIPTION_MAX = 1024;

/**
 * The organization named by a mutation, when the viewer may read it. Another tenant's
 * organization and an id that never existed get the same NOT_FOUND.
 */
export async function visibleOrganization(db: Db, subject: Subject, organizationId: string): Promise<Organization> {
  const organization = await db.organization.findUnique({ where: { id: organizationId } });
  if (!organization || !can(subject, "READ", { type: "ORGANIZATION", organizationId })) {
    throw notFound("organization");
  }
  return organization;
}

type OrganizationFields = {
  name?: string | null;
  displayName?: string | null;
  description?: string | null;
  icon?: string | null;
};

/** Input rules shared by create and update; `default` is reserved except for the default organization itself. */
function checkOrganizationFields(input: OrganizationFields, isDefault: boolean): void {
  const checks: Check[] = [
    checkDisplayName(input.displayName, ["input", "displayName"]),
    checkText(input.description, ["input", "description"], DESCRIPTION_MAX, "Description"),
    checkUrl(input.icon, ["input", "icon"], "Icon"),
  ];
  if (input.name !== null && input.name !== undefined) {
    const reserved = isDefault ? [] : [DEFAULT_ORGANIZATION_NAME];
    checks.unshift(checkName(input.name, ["input", "name"], { reserved }));
  }
  ensure(...checks);
}

export async function createOrganization(
  ctx: ServiceContext,
  input: { name: string; displayName?: string | null; description?: string | null; icon?: string | null },
) {
  const { user, subject } = await ctx.viewer.require();
  assertAllowed(subject, "CREATE", { type: "ORGANIZATION" });
  if (!ctx.config.multiOrganization) {
    throw userError("FEATURE_DISABLED", "Multiple organizations are turned off in this deployment.");
  }
  checkOrganizationFields(input, false);
  const data = {
    name: input.name,
    displayName: input.displayName || input.name,
    description: input.description ?? "",
    icon: input.icon ?? "",
  };
  const organization = await inTransaction(ctx.prisma, async (tx) => {
    const created = await tx.organization.create({ data });
    await tx.group.create({ data: { organizationId: created.id, name: EVERYONE_GROUP_NAME, isEveryone: true } });
    // The creator joins as a plain member: a site owner needs no organization role.
    await tx.organizationMember.create({ data: { organizationId: created.id, userId: user.id } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "CREATE",
      resourceType: "ORGANIZATION",
      resourceId: created.id,
      resourceName: created.name,
      organizationId: created.id,
      diff: data,
    });
    return created;
  }).catch(rethrowOrganizationNameTaken);
  ctx.viewer.reset();
  return { organization };
}

/** The unique index on lower(name) refuses a name another organization has in any case. */
const rethrowOrganizationNameTaken = rethrowNameTaken("organization");

/** The fields that differ, as { field: { from, to } } for the audit diff. */
function changes<T extends object>(before: T, after: Partial<T>): Record<string, { from: unknown; to: unknown }> {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, to] of Object.entries(after)) {
    const from = before[key as keyof T];
    if (to !== undefined && to !== from) diff[key] = { from, to };
  }
  return diff;
}

export async function updateOrganization(ctx: ServiceContext, input: OrganizationFields & { organizationId: string }) {
  const { subject } = await ctx.viewer.require();
  const organizationId = decodeId("Organization", input.organizationId, "organization");
  const organization = await inTransaction(ctx.prisma, async (tx) => {
    const current = await visibleOrganization(tx, subject, organizationId);
    await ctx.viewer.assert("UPDATE", { type: "ORGANIZATION", organizationId }, "organization");
    checkOrganizationFields(input, current.isDefault);
    const name = input.name ?? current.name;
    const wanted = {
      name,
      // An emptied display name falls back to the name, as on creation.
      displayName: input.displayName === "" ? name : (input.displayName ?? undefined),
      description: input.description ?? undefined,
      icon: input.icon ?? undefined,
    };
    const diff = changes(current, wanted);
    if (Object.keys(diff).length === 0) return current;
    const updated = await tx.organization.update({ where: { id: current.id }, data: wanted });
    await recordAudit(tx, auditMeta(ctx), {
      action: "UPDATE",
      resourceType: "ORGANIZATION",
      resourceId: updated.id,
      resourceName: updated.name,
      organizationId: updated.id,
      diff,
    });
    return updated;
  }).catch(rethrowOrganizationNameTaken);
  return { organization };
}

/** What still lives in an organization besides its Everyone group and the caller, as "2 templates". */
async function remainingContents(tx: Db, organizationId: string, callerId: string): Promise<string[]> {
  // One statement at a time: a transaction holds a single connection.
  const counts: [number, string][] = [
    [await tx.workspace.count({ where: { organizationId, deleted: false } }), "workspace"],
    [await tx.template.count({ where: { organizationId } }), "template"],
    [await tx.provisionerKey.count({ where: { organizationId } }), "provisioner key"],
    [await tx.group.count({ where: { organizationId, isEveryone: false } }), "group"],
    [await tx.organizationMember.count({ where: { organizationId, NOT: { userId: callerId } } }), "member"],
  ];
  return counts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}${n === 1 ? "" : "s"}`);
}

export async function deleteOrganization(ctx: ServiceContext, input: { organizationId: string }) {
  const { user, subject } = await ctx.viewer.require();
  const organizationId = decodeId("Organization", input.organizationId, "organization");
  await inTransaction(ctx.prisma, async (tx) => {
    const organization = await visibleOrganization(tx, subject, organizationId);
    await ctx.viewer.assert("DELETE", { type: "ORGANIZATION", organizationId }, "organization");
    if (organization.isDefault) {
      throw userError("DEFAULT_ORGANIZATION_PROTECTED", "The default organization cannot be deleted.", [
        "input",
        "organizationId",
      ]);
    }
    // Rows being added to the organization hold a key-share lock on it: wait for them, and make
    // later ones wait for this delete, so the counts below stay true until it commits.
    await tx.$executeRaw`SELECT 1 FROM "Organization" WHERE id = ${organizationId}::uuid FOR UPDATE`;
    const left = await remainingContents(tx, organizationId, user.id);
    if (left.length > 0) {
      const counted = left.join(", ");
      throw userError(
        "ORGANIZATION_NOT_EMPTY",
        `The organization still has ${counted}; remove them before deleting it.`,
        ["input", "organizationId"],
      );
    }
    // Deleted workspaces are kept as rows; they go with their organization.
    await tx.workspace.deleteMany({ where: { organizationId, deleted: true } });
    await tx.organization.delete({ where: { id: organizationId } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "DELETE",
      resourceType: "ORGANIZATION",
      resourceId: organizationId,
      resourceName: organization.name,
      organizationId,
      diff: { name: organization.name },
    });
  });
  ctx.viewer.reset();
  return { deletedId: globalId("Organization", organizationId) };
}
