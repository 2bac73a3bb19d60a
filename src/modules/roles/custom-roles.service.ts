// Custom organization roles: create, update, delete. A custom role grants organization-level
// permissions only, never one its author does not hold in that organization, and deleting it
// takes it away from every member in the same transaction.

import { recordAudit } from "../../audit/audit.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import { can, type Subject } from "../../authz/evaluator.js";
import type { Action, Permission, ResourceType } from "../../authz/permissions.js";
import { customRolePermissionProblem, isBuiltInRoleName } from "../../authz/roles.js";
import type { ServiceContext } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type { CustomRole, Prisma } from "../../generated/prisma/client.js";
import { notFound, type UserError, userError } from "../../graphql/errors.js";
import { decodeId } from "../../graphql/ids.js";
import { nameTakenError } from "../shared/name-taken.js";
import { type Check, checkDisplayName, checkName, ensure } from "../shared/validation.js";

type Tx = Prisma.TransactionClient;

export type CustomRoleInput = {
  organizationId: string;
  name: string;
  displayName?: string | null;
  permissions: readonly { resource: ResourceType; action: Action }[];
};

/** More entries than the registry has permissions can only be duplicates or abuse. */
const MAX_PERMISSION_ENTRIES = 200;

/** The organization, when the viewer may see it at all (else it does not exist for them). */
async function visibleOrganization(
  ctx: ServiceContext,
  subject: Subject,
  globalOrganizationId: string,
): Promise<string> {
  const organizationId = decodeId("Organization", globalOrganizationId, "organization");
  const org = await ctx.prisma.organization.findUnique({ where: { id: organizationId }, select: { id: true } });
  if (!org || !can(subject, "READ", { type: "ORGANIZATION", organizationId })) throw notFound("organization");
  return organizationId;
}

function checkRoleName(name: string): Check {
  const problem = checkName(name, ["input", "name"]);
  if (problem) return problem;
  if (isBuiltInRoleName(name)) {
    return { code: "RESERVED_NAME", message: `"${name}" is a built-in role name.`, field: ["input", "name"] };
  }
  return undefined;
}

/**
 * The permissions, deduplicated, after checking each is a valid organization permission
 * (INVALID_INPUT) that the author holds in the organization (PERMISSION_ESCALATION).
 */
function validPermissions(subject: Subject, organizationId: string, input: CustomRoleInput["permissions"]) {
  if (input.length > MAX_PERMISSION_ENTRIES) {
    throw userError("INVALID_INPUT", `At most ${MAX_PERMISSION_ENTRIES} permissions.`, ["input", "permissions"]);
  }
  const errors: UserError[] = [];
  const seen = new Set<string>();
  const permissions: Permission[] = [];
  input.forEach(({ resource, action }, index) => {
    const field = ["input", "permissions", String(index)];
    const problem = customRolePermissionProblem(resource, action);
    if (problem) {
      errors.push({ code: "INVALID_INPUT", message: problem, field });
    } else if (!can(subject, action, { type: resource, organizationId })) {
      errors.push({
        code: "PERMISSION_ESCALATION",
        message: `You cannot grant ${action} on ${resource}: you do not hold it in this organization.`,
        field,
      });
    } else if (!seen.has(`${resource}:${action}`)) {
      seen.add(`${resource}:${action}`);
      permissions.push({ resource, action });
    }
  });
  ensure(...errors);
  return permissions;
}

async function existingRole(tx: Tx, organizationId: string, name: string): Promise<CustomRole> {
  const role = await tx.customRole.findUnique({ where: { organizationId_name: { organizationId, name } } });
  if (!role) throw notFound("role");
  return role;
}

/** Built-in roles are not custom roles: changing one by name is refused, never "not found". */
function refuseBuiltIn(name: string): void {
  if (isBuiltInRoleName(name)) {
    throw userError("RESERVED_NAME", `"${name}" is a built-in role and cannot be changed.`, ["input", "name"]);
  }
}

export async function createCustomRole(ctx: ServiceContext, input: CustomRoleInput): Promise<{ role: CustomRole }> {
  const { subject } = await ctx.viewer.require();
  const organizationId = await visibleOrganization(ctx, subject, input.organizationId);
  assertAllowed(subject, "CREATE", { type: "ASSIGN_ORG_ROLE", organizationId });
  ensure(checkRoleName(input.name), checkDisplayName(input.displayName, ["input", "displayName"]));
  const permissions = validPermissions(subject, organizationId, input.permissions);
  const displayName = input.displayName ?? input.name;
  try {
    return await inTransaction(ctx.prisma, async (tx) => {
      const role = await tx.customRole.create({ data: { organizationId, name: input.name, displayName, permissions } });
      await recordAudit(tx, auditMeta(ctx), {
        action: "CREATE",
        resourceType: "CUSTOM_ROLE",
        resourceId: role.id,
        resourceName: role.name,
        organizationId,
        diff: { name: role.name, displayName, permissions },
      });
      return { role };
    });
  } catch (error) {
    // The unique index on (organization, lower(name)) refuses a name taken in any case.
    throw nameTakenError(error, "customRole") ?? error;
  }
}

/** Replaces the role's permissions; the display name changes only when given. */
export async function updateCustomRole(ctx: ServiceContext, input: CustomRoleInput): Promise<{ role: CustomRole }> {
  const { subject } = await ctx.viewer.require();
  const organizationId = await visibleOrganization(ctx, subject, input.organizationId);
  refuseBuiltIn(input.name);
  if (!can(subject, "READ", { type: "ASSIGN_ORG_ROLE", organizationId })) throw notFound("role");
  const result = await inTransaction(ctx.prisma, async (tx) => {
    const before = await existingRole(tx, organizationId, input.name);
    assertAllowed(subject, "UPDATE", { type: "ASSIGN_ORG_ROLE", organizationId });
    ensure(checkDisplayName(input.displayName, ["input", "displayName"]));
    const permissions = validPermissions(subject, organizationId, input.permissions);
    const displayName = input.displayName ?? before.displayName;
    const role = await tx.customRole.update({ where: { id: before.id }, data: { displayName, permissions } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "UPDATE",
      resourceType: "CUSTOM_ROLE",
      resourceId: role.id,
      resourceName: role.name,
      organizationId,
      diff: {
        displayName: { from: before.displayName, to: displayName },
        permissions: { from: before.permissions, to: permissions },
      },
    });
    return { role };
  });
  // The viewer may hold the role: later fields of this request must see its new permissions.
  ctx.viewer.reset();
  return result;
}

/** Deletes the role and removes it from every member of the organization who held it. */
export async function deleteCustomRole(
  ctx: ServiceContext,
  input: { organizationId: string; name: string },
): Promise<{ role: CustomRole; removedFromMembers: number }> {
  const { subject } = await ctx.viewer.require();
  const organizationId = await visibleOrganization(ctx, subject, input.organizationId);
  refuseBuiltIn(input.name);
  if (!can(subject, "READ", { type: "ASSIGN_ORG_ROLE", organizationId })) throw notFound("role");
  const result = await inTransaction(ctx.prisma, async (tx) => {
    const role = await existingRole(tx, organizationId, input.name);
    assertAllowed(subject, "DELETE", { type: "ASSIGN_ORG_ROLE", organizationId });
    await tx.customRole.delete({ where: { id: role.id } });
    const removedFromMembers = await tx.$executeRaw`
      UPDATE "OrganizationMember" SET roles = array_remove(roles, ${role.name}), "updatedAt" = now()
      WHERE "organizationId" = ${organizationId}::uuid AND ${role.name} = ANY(roles)`;
    await recordAudit(tx, auditMeta(ctx), {
      action: "DELETE",
      resourceType: "CUSTOM_ROLE",
      resourceId: role.id,
      resourceName: role.name,
      organizationId,
      diff: { name: role.name, permissions: role.permissions, removedFromMembers },
    });
    return { role, removedFromMembers };
  });
  ctx.viewer.reset();
  return result;
}
