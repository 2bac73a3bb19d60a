// Group writes. The Everyone group is made with its organization and only its quota allowance
// and avatar may change; its membership is implicit (every member), so it stores no rows.
// `insertGroup`, `updateGroupRecord` and `deleteGroupRecord` are the writes SCIM shares
// (scim-groups.ts): each checks the viewer's permission and records its audit event.

import { recordAudit } from "../../audit/audit.js";
import type { AuditRegistry, ChangedFields } from "../../audit/events.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import type { Viewer } from "../../authz/viewer.js";
import type { ServiceContext } from "../../context.js";
import { EVERYONE_GROUP_NAME } from "../../db/default-organization.js";
import { inTransaction } from "../../db/transaction.js";
import type { Group, Prisma } from "../../generated/prisma/client.js";
import { notFound, type UserError, UserErrors, userError } from "../../graphql/errors.js";
import { decodeId, globalId, parseId } from "../../graphql/ids.js";
import { assertNotSyncManaged } from "../idp-sync/idp-sync.managed.js";
import { visibleOrganization } from "../organizations/organizations.service.js";
import { nameTakenError, rethrowNameTaken } from "../shared/name-taken.js";
import {
  type Check,
  checkDisplayName,
  checkName,
  checkNonNegativeInt,
  checkUrl,
  ensure,
} from "../shared/validation.js";

type Tx = Prisma.TransactionClient;

const GROUP_NAME_MAX = 36;

type GroupFields = {
  name?: string | null;
  displayName?: string | null;
  avatarUrl?: string | null;
  quotaAllowance?: number | null;
};

function checkGroupFields(input: GroupFields): void {
  const checks: Check[] = [
    checkDisplayName(input.displayName, ["input", "displayName"]),
    checkUrl(input.avatarUrl, ["input", "avatarUrl"], "Avatar URL"),
    checkNonNegativeInt(input.quotaAllowance, ["input", "quotaAllowance"], "Quota allowance"),
  ];
  if (input.name !== null && input.name !== undefined) {
    checks.unshift(
      checkName(input.name, ["input", "name"], { maxLength: GROUP_NAME_MAX, reserved: [EVERYONE_GROUP_NAME] }),
    );
  }
  ensure(...checks);
}

/** The unique index on (organization, lower(name)) refuses a name another group here has in any case. */
const rethrowGroupNameTaken = rethrowNameTaken("group");

/**
 * A new group with its first members (checked by the caller: members of the organization) and
 * its CREATE event. The viewer needs GROUP CREATE in the organization. A taken name leaves as
 * the database's unique violation, for the edge to answer.
 */
export async function insertGroup(
  ctx: ServiceContext,
  tx: Tx,
  data: Prisma.GroupUncheckedCreateInput,
  memberIds: readonly string[],
  diff: (group: Group) => AuditRegistry["GROUP"]["CREATE"],
): Promise<Group> {
  const subject = await ctx.viewer.requireSubject();
  assertAllowed(subject, "CREATE", { type: "GROUP", organizationId: data.organizationId });
  const group = await tx.group.create({ data });
  if (memberIds.length > 0) {
    await tx.groupMember.createMany({
      data: memberIds.map((userId) => ({ groupId: group.id, userId, organizationId: group.organizationId })),
    });
  }
  await recordAudit(tx, auditMeta(ctx), {
    action: "CREATE",
    resourceType: "GROUP",
    resourceId: group.id,
    resourceName: group.name,
    organizationId: group.organizationId,
    diff: diff(group),
  });
  return group;
}

export type GroupChange = {
  /** The columns written when the change is recorded. */
  data?: Prisma.GroupUncheckedUpdateInput;
  /** Users to add (checked by the caller: members of the organization; one already in stays once). */
  addIds?: readonly string[];
  removeIds?: readonly string[];
  /** The UPDATE event's diff, given how many member rows changed; empty: nothing changed, nothing is written. */
  diff: (members: { added: number; removed: number }) => ChangedFields;
};

/** Changes a group's members and columns with its UPDATE event. The viewer needs GROUP UPDATE there. */
export async function updateGroupRecord(ctx: ServiceContext, tx: Tx, group: Group, change: GroupChange) {
  const subject = await ctx.viewer.requireSubject();
  assertAllowed(subject, "UPDATE", { type: "GROUP", organizationId: group.organizationId });
  const { addIds = [], removeIds = [] } = change;
  const added =
    addIds.length === 0
      ? 0
      : (
          await tx.groupMember.createMany({
            data: addIds.map((userId) => ({ groupId: group.id, userId, organizationId: group.organizationId })),
            skipDuplicates: true,
          })
        ).count;
  const removed =
    removeIds.length === 0
      ? 0
      : (await tx.groupMember.deleteMany({ where: { groupId: group.id, userId: { in: [...removeIds] } } })).count;
  const diff = change.diff({ added, removed });
  if (Object.keys(diff).length === 0) return group;
  const updated = change.data ? await tx.group.update({ where: { id: group.id }, data: change.data }) : group;
  await recordAudit(tx, auditMeta(ctx), {
    action: "UPDATE",
    resourceType: "GROUP",
    resourceId: group.id,
    resourceName: updated.name,
    organizationId: updated.organizationId,
    diff,
  });
  return updated;
}

/** Deletes a group (its member rows go with it) with its DELETE event. The viewer needs GROUP DELETE there. */
export async function deleteGroupRecord(
  ctx: ServiceContext,
  tx: Tx,
  group: Group,
  diff: AuditRegistry["GROUP"]["DELETE"],
): Promise<void> {
  const subject = await ctx.viewer.requireSubject();
  assertAllowed(subject, "DELETE", { type: "GROUP", organizationId: group.organizationId });
  await tx.group.delete({ where: { id: group.id } });
  await recordAudit(tx, auditMeta(ctx), {
    action: "DELETE",
    resourceType: "GROUP",
    resourceId: group.id,
    resourceName: group.name,
    organizationId: group.organizationId,
    diff,
  });
}

/** The group a write names, when the viewer may read it; otherwise it does not exist for them. */
async function visibleGroup(tx: Tx, viewer: Viewer, groupId: string, action: "UPDATE" | "DELETE"): Promise<Group> {
  const group = await tx.group.findUnique({ where: { id: groupId } });
  if (!group) throw notFound("group");
  await viewer.assert(action, { type: "GROUP", organizationId: group.organizationId }, "group");
  return group;
}

export async function createGroup(ctx: ServiceContext, input: GroupFields & { organizationId: string; name: string }) {
  const { subject } = await ctx.viewer.require();
  const organizationId = decodeId("Organization", input.organizationId, "organization");
  const group = await inTransaction(ctx.prisma, async (tx) => {
    await visibleOrganization(tx, subject, organizationId);
    assertAllowed(subject, "CREATE", { type: "GROUP", organizationId });
    checkGroupFields(input);
    const data = {
      name: input.name,
      displayName: input.displayName ?? "",
      avatarUrl: input.avatarUrl ?? "",
      quotaAllowance: input.quotaAllowance ?? 0,
    };
    return insertGroup(ctx, tx, { ...data, organizationId, source: "USER" }, [], () => data);
  }).catch(rethrowGroupNameTaken);
  return { group };
}

type UpdateGroupInput = GroupFields & {
  groupId: string;
  addUserIds?: readonly string[] | null;
  removeUserIds?: readonly string[] | null;
};

/** The Everyone group keeps its name, display name and (implicit) members. */
function checkEveryoneEdit(group: Group, input: UpdateGroupInput): void {
  const errors: UserError[] = [];
  const refuse = (field: string, what: string) =>
    errors.push({
      code: "INVALID_INPUT",
      message: `The Everyone group's ${what} cannot be changed.`,
      field: ["input", field],
    });
  if (input.name != null && input.name !== group.name) refuse("name", "name");
  if (input.displayName != null && input.displayName !== group.displayName) refuse("displayName", "display name");
  if (input.addUserIds?.length) refuse("addUserIds", "members");
  if (input.removeUserIds?.length) refuse("removeUserIds", "members");
  if (errors.length > 0) throw new UserErrors(errors);
}

/** Decodes user ids; a malformed one names nobody, so it is reported like a non-member. */
function decodeUserIds(ids: readonly string[] | null | undefined) {
  return (ids ?? []).map((value, index) => ({ id: parseId("User", value), index }));
}

/** NOT_A_MEMBER (at `input.addUserIds.<index>`) for each user to add who is not a member of the organization. */
export async function assertMembersOf(tx: Tx, organizationId: string, adds: { id: string | null; index: number }[]) {
  const ids = adds.flatMap((a) => (a.id ? [a.id] : []));
  const found = await tx.organizationMember.findMany({
    where: { organizationId, userId: { in: ids } },
    select: { userId: true },
  });
  const members = new Set(found.map((m) => m.userId));
  const errors = adds
    .filter((a) => a.id === null || !members.has(a.id))
    .map(
      (a): UserError => ({
        code: "NOT_A_MEMBER",
        message: "The user is not a member of the group's organization.",
        field: ["input", "addUserIds", String(a.index)],
      }),
    );
  if (errors.length > 0) throw new UserErrors(errors);
}

export async function updateGroup(ctx: ServiceContext, input: UpdateGroupInput) {
  await ctx.viewer.require();
  const groupId = decodeId("Group", input.groupId, "group");
  const adds = decodeUserIds(input.addUserIds);
  const removes = decodeUserIds(input.removeUserIds).flatMap((r) => (r.id ? [r.id] : []));
  const group = await inTransaction(ctx.prisma, async (tx) => {
    const current = await visibleGroup(tx, ctx.viewer, groupId, "UPDATE");
    if (current.isEveryone) checkEveryoneEdit(current, input);
    // An unchanged name passes even when it is reserved (the Everyone group's own).
    checkGroupFields({ ...input, name: input.name === current.name ? null : input.name });
    const addIds = adds.flatMap((a) => (a.id ? [a.id] : []));
    if (addIds.some((id) => removes.includes(id))) {
      throw userError("INVALID_INPUT", "A user cannot be both added and removed.", ["input", "removeUserIds"]);
    }
    await assertMembersOf(tx, current.organizationId, adds);
    await assertNotSyncManaged(tx, "groups", current.organizationId, [...addIds, ...removes], ["input", "addUserIds"]);
    const name = input.name ?? current.name;
    const wanted = {
      name,
      displayName: input.displayName ?? current.displayName,
      avatarUrl: input.avatarUrl ?? current.avatarUrl,
      quotaAllowance: input.quotaAllowance ?? current.quotaAllowance,
    };
    const diff: Record<string, unknown> = {};
    for (const key of Object.keys(wanted) as (keyof typeof wanted)[]) {
      if (wanted[key] !== current[key]) diff[key] = { from: current[key], to: wanted[key] };
    }
    return updateGroupRecord(ctx, tx, current, {
      data: wanted,
      addIds,
      removeIds: removes,
      diff: (members) => ({
        ...diff,
        ...(members.added > 0 ? { addedUserIds: addIds } : {}),
        ...(members.removed > 0 ? { removedUserIds: removes } : {}),
      }),
    });
  }).catch((error) => {
    // A user removed from the organization while being added here.
    if ((error as { code?: string } | null)?.code === "P2003") {
      throw userError("NOT_A_MEMBER", "A user is no longer a member of the group's organization.", [
        "input",
        "addUserIds",
      ]);
    }
    throw nameTakenError(error, "group") ?? error;
  });
  return { group };
}

export async function deleteGroup(ctx: ServiceContext, input: { groupId: string }) {
  await ctx.viewer.require();
  const groupId = decodeId("Group", input.groupId, "group");
  await inTransaction(ctx.prisma, async (tx) => {
    const group = await visibleGroup(tx, ctx.viewer, groupId, "DELETE");
    if (group.isEveryone) {
      throw userError("INVALID_INPUT", "The Everyone group cannot be deleted.", ["input", "groupId"]);
    }
    await deleteGroupRecord(ctx, tx, group, { name: group.name });
  });
  return { deletedId: globalId("Group", groupId) };
}
