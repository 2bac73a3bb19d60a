// Membership writes: add, remove, and replace a member's explicit organization roles.

import { recordAudit } from "../../audit/audit.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import { unassignableRoleChanges } from "../../authz/evaluator.js";
import { allOf } from "../../authz/filters.js";
import { userWhere } from "../../authz/policies/user.js";
import { EXPLICIT_ORG_ROLE_NAMES } from "../../authz/roles.js";
import type { Viewer } from "../../authz/viewer.js";
import type { ServiceContext } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { notFound, userError } from "../../graphql/errors.js";
import { decodeId, globalId } from "../../graphql/ids.js";
import { assertNotSyncManaged } from "../idp-sync/idp-sync.managed.js";
import { visibleOrganization } from "../organizations/organizations.service.js";
import { isUniqueViolation } from "../shared/validation.js";

type Tx = Prisma.TransactionClient;
type MemberInput = { organizationId: string; userId: string };

function decodeMemberInput(input: MemberInput) {
  return {
    organizationId: decodeId("Organization", input.organizationId, "organization"),
    userId: decodeId("User", input.userId, "user"),
  };
}

const notAMember = () =>
  userError("NOT_A_MEMBER", "The user is not a member of this organization.", ["input", "userId"]);

/** The membership a write names; the organization and its members must be visible to the viewer. */
async function visibleMembership(tx: Tx, viewer: Viewer, organizationId: string, userId: string) {
  await visibleOrganization(tx, (await viewer.require()).subject, organizationId);
  await viewer.assert("READ", { type: "ORGANIZATION_MEMBER", organizationId }, "organization");
  const membership = await tx.organizationMember.findUnique({
    where: { organizationId_userId: { organizationId, userId } },
    include: { user: { select: { username: true } } },
  });
  if (!membership) throw notAMember();
  return membership;
}

export async function addOrganizationMember(ctx: ServiceContext, input: MemberInput) {
  const { user: viewer, subject } = await ctx.viewer.require();
  const { organizationId, userId } = decodeMemberInput(input);
  const member = await inTransaction(ctx.prisma, async (tx) => {
    await visibleOrganization(tx, subject, organizationId);
    await ctx.viewer.assert("CREATE", { type: "ORGANIZATION_MEMBER", organizationId }, "organization");
    const user = await tx.user.findFirst({ where: allOf({ id: userId }, userWhere(subject)) });
    if (!user) throw notFound("user");
    const existing = await tx.organizationMember.findUnique({
      where: { organizationId_userId: { organizationId, userId } },
      select: { userId: true },
    });
    if (existing) throw alreadyMember();
    await assertNotSyncManaged(tx, "memberships", organizationId, [userId], ["input", "userId"]);
    const created = await tx.organizationMember.create({ data: { organizationId, userId } }).catch((error) => {
      if (isUniqueViolation(error)) throw alreadyMember();
      throw error;
    });
    await recordAudit(tx, auditMeta(ctx), {
      action: "ADD_MEMBER",
      resourceType: "ORGANIZATION_MEMBER",
      resourceId: userId,
      resourceName: user.username,
      organizationId,
    });
    return created;
  });
  if (userId === viewer.id) ctx.viewer.reset();
  return { member };
}

const alreadyMember = () =>
  userError("ALREADY_MEMBER", "The user is already a member of this organization.", ["input", "userId"]);

export async function removeOrganizationMember(ctx: ServiceContext, input: MemberInput) {
  const { user: viewer, subject } = await ctx.viewer.require();
  const { organizationId, userId } = decodeMemberInput(input);
  await inTransaction(ctx.prisma, async (tx) => {
    const membership = await visibleMembership(tx, ctx.viewer, organizationId, userId);
    assertAllowed(subject, "DELETE", { type: "ORGANIZATION_MEMBER", organizationId });
    if (userId === viewer.id) {
      throw userError("CANNOT_REMOVE_SELF", "You cannot remove yourself from an organization.", ["input", "userId"]);
    }
    await assertNotSyncManaged(tx, "memberships", organizationId, [userId], ["input", "userId"]);
    const groups = await tx.groupMember.findMany({
      where: { organizationId, userId },
      select: { group: { select: { name: true } } },
    });
    // Group memberships go with the membership (foreign key cascade); workspaces stay.
    await tx.organizationMember.delete({ where: { organizationId_userId: { organizationId, userId } } });
    await recordAudit(tx, auditMeta(ctx), {
      action: "REMOVE_MEMBER",
      resourceType: "ORGANIZATION_MEMBER",
      resourceId: userId,
      resourceName: membership.user.username,
      organizationId,
      diff: { roles: membership.roles, groups: groups.map((g) => g.group.name) },
    });
  });
  return { deletedId: globalId("User", userId) };
}

/** Role names a member may hold explicitly: built-in organization roles and this organization's custom roles. */
async function customRoleNames(tx: Tx, organizationId: string, candidates: string[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  const rows = await tx.customRole.findMany({
    where: { organizationId, name: { in: candidates } },
    select: { name: true },
  });
  return new Set(rows.map((r) => r.name));
}

export async function updateOrganizationMemberRoles(
  ctx: ServiceContext,
  input: MemberInput & { roles: readonly string[] },
) {
  const { user: viewer, subject } = await ctx.viewer.require();
  const { organizationId, userId } = decodeMemberInput(input);
  const roles = [...new Set(input.roles)];
  const member = await inTransaction(ctx.prisma, async (tx) => {
    const membership = await visibleMembership(tx, ctx.viewer, organizationId, userId);
    const candidates = roles.filter((r) => !EXPLICIT_ORG_ROLE_NAMES.includes(r));
    const custom = await customRoleNames(tx, organizationId, candidates);
    const unknown = candidates.filter((r) => !custom.has(r));
    if (unknown.length > 0) {
      throw userError("INVALID_INPUT", `Not roles of this organization: ${unknown.join(", ")}.`, ["input", "roles"]);
    }
    const added = roles.filter((r) => !membership.roles.includes(r));
    const removed = membership.roles.filter((r) => !roles.includes(r));
    if (added.length === 0 && removed.length === 0) {
      const { user: _user, ...unchanged } = membership;
      return unchanged;
    }
    if (added.length > 0) assertAllowed(subject, "ASSIGN", { type: "ASSIGN_ORG_ROLE", organizationId });
    if (removed.length > 0) assertAllowed(subject, "UNASSIGN", { type: "ASSIGN_ORG_ROLE", organizationId });
    if (userId === viewer.id) {
      throw userError("CANNOT_CHANGE_OWN_ROLES", "You cannot change your own roles.", ["input", "roles"]);
    }
    await assertNotSyncManaged(tx, "roles", organizationId, [userId], ["input", "roles"]);
    const refused = unassignableRoleChanges(subject, organizationId, membership.roles, roles);
    if (refused.length > 0) {
      throw userError("ROLE_NOT_ASSIGNABLE", `You may not assign or remove: ${refused.join(", ")}.`, [
        "input",
        "roles",
      ]);
    }
    const updated = await tx.organizationMember.update({
      where: { organizationId_userId: { organizationId, userId } },
      data: { roles },
    });
    await recordAudit(tx, auditMeta(ctx), {
      action: "ASSIGN_ROLES",
      resourceType: "ORGANIZATION_MEMBER",
      resourceId: userId,
      resourceName: membership.user.username,
      organizationId,
      diff: { roles: { from: membership.roles, to: roles } },
    });
    return updated;
  });
  return { member };
}
