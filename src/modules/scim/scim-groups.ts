// SCIM Groups: the groups of the default organization (SCIM knows no organizations), Everyone
// excluded. displayName is the group's display name and identifies it (unique ignoring case);
// the group's name is derived from it. Members must be members of the default organization.
// Every write is one transaction through the groups service's shared writes, as the SCIM actor
// (audited with no actor user, `reason` "scim").
import type { ServiceContext } from "../../context.js";
import { defaultOrganizationId } from "../../db/default-organization.js";
import { equalsIgnoringCase } from "../../db/names.js";
import { inTransaction } from "../../db/transaction.js";
import type { Group, Prisma, PrismaClient } from "../../generated/prisma/client.js";
import { isUuid } from "../../graphql/ids.js";
import { assertMembersOf, deleteGroupRecord, insertGroup, updateGroupRecord } from "../groups/groups.service.js";
import { checkText } from "../shared/validation.js";
import { ScimError, writeRetryingUnique } from "./scim-input.js";

type Tx = Prisma.TransactionClient;
type Json = Record<string, unknown>;
type GroupWithMembers = Group & { members: { userId: string; user: { username: string } }[] };

export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
const NAME_MAX = 36;
const DISPLAY_NAME_MAX = 64;
const withMembers = { members: { select: { userId: true, user: { select: { username: true } } } } } as const;

/** What a request sets: `members` replaces, `add`/`remove` change the current list. */
export type GroupChanges = { displayName?: string; members?: string[]; add?: string[]; remove?: string[] };

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

export function toScimGroup(group: GroupWithMembers, base: string, includeMembers = true) {
  return {
    schemas: [GROUP_SCHEMA],
    id: group.id,
    displayName: group.displayName || group.name,
    ...(includeMembers
      ? {
          members: group.members.map((m) => ({
            value: m.userId,
            display: m.user.username,
            $ref: `${base}/Users/${m.userId}`,
          })),
        }
      : {}),
    meta: {
      resourceType: "Group",
      created: group.createdAt.toISOString(),
      lastModified: group.updatedAt.toISOString(),
      location: `${base}/Groups/${group.id}`,
    },
  };
}

/** Groups with this displayName, compared ignoring case and nothing else. */
export function displayNameIs(displayName: string): Prisma.GroupWhereInput {
  const same = equalsIgnoringCase(displayName);
  // A group made without a display name shows its name as displayName.
  return { OR: [{ displayName: same }, { displayName: "", name: same }] };
}

function displayNameOf(value: unknown): string {
  const text = typeof value === "string" ? value.trim() : "";
  const problem = checkText(text, [], DISPLAY_NAME_MAX, "displayName");
  if (problem) throw new ScimError(400, problem.message, "invalidValue");
  if (text === "") throw new ScimError(400, "displayName is required.", "invalidValue");
  return text;
}

function memberIdsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((member) => {
    const id = isObject(member) ? member.value : undefined;
    if (typeof id !== "string" || !isUuid(id)) {
      throw new ScimError(400, "Each member needs the value of a user id.", "invalidValue");
    }
    return id.toLowerCase();
  });
}

/** POST and PUT: displayName required, members optional. */
export function groupFromBody(body: Json): GroupChanges & { displayName: string } {
  return {
    displayName: displayNameOf(body.displayName),
    ...(body.members !== undefined ? { members: memberIdsOf(body.members) } : {}),
  };
}

const MEMBER_FILTER = /^members\[value\s+eq\s+"([^"]*)"\]$/i;

/** PATCH as Entra and Okta send it: members added, removed (by filter path or value) or replaced; displayName replaced. */
export function groupChangesFromPatch(body: Json): GroupChanges {
  if (!Array.isArray(body.Operations)) throw new ScimError(400, "Operations must be a list.", "invalidSyntax");
  const changes: GroupChanges = {};
  const push = (key: "add" | "remove", ids: string[]) => {
    changes[key] = [...(changes[key] ?? []), ...ids];
  };
  for (const operation of body.Operations) {
    if (!isObject(operation)) throw new ScimError(400, "Each operation must be an object.", "invalidSyntax");
    const op = typeof operation.op === "string" ? operation.op.toLowerCase() : "";
    const path = typeof operation.path === "string" ? operation.path.trim() : "";
    const byFilter = MEMBER_FILTER.exec(path);
    if (op === "remove") {
      if (byFilter) push("remove", memberIdsOf({ value: byFilter[1] }));
      else if (path.toLowerCase() === "members") {
        if (operation.value === undefined) changes.members = [];
        else push("remove", memberIdsOf(operation.value));
      } else throw new ScimError(400, "remove supports members only.", "noTarget");
    } else if (op === "add" || op === "replace") {
      const values: Json = path ? { [path]: operation.value } : isObject(operation.value) ? operation.value : {};
      for (const [key, value] of Object.entries(values)) {
        if (key.toLowerCase() === "displayname") changes.displayName = displayNameOf(value);
        else if (key.toLowerCase() === "members") {
          if (op === "add") push("add", memberIdsOf(value));
          else changes.members = memberIdsOf(value);
        }
      }
    } else throw new ScimError(400, 'op must be "add", "replace" or "remove".', "invalidSyntax");
  }
  return changes;
}

/** A group name (name rules) from a display name, free in the organization. */
async function uniqueGroupName(tx: Tx, organizationId: string, displayName: string): Promise<string> {
  const base =
    displayName
      .normalize("NFKD")
      .replaceAll(/[^a-zA-Z0-9]+/g, "-")
      .replaceAll(/^-+|-+$/g, "")
      .slice(0, NAME_MAX - 5)
      .replace(/-+$/, "") || "group";
  const taken = await tx.group.findMany({
    where: { organizationId, name: { startsWith: base, mode: "insensitive" } },
    select: { name: true },
  });
  const names = new Set(taken.map((g) => g.name.toLowerCase()));
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!names.has(candidate.toLowerCase())) return candidate;
  }
}

/** The members a change adds and removes, given the current ones: `members` replaces, then `add`/`remove` apply. */
function memberChanges(current: string[], changes: GroupChanges) {
  const next = new Set(changes.members ?? current);
  for (const id of changes.add ?? []) next.add(id);
  for (const id of changes.remove ?? []) next.delete(id);
  return { added: [...next].filter((id) => !current.includes(id)), removed: current.filter((id) => !next.has(id)) };
}

/** Every added member must be a member of the group's organization: NOT_A_MEMBER (400 invalidValue) otherwise. */
async function assertOrganizationMembers(tx: Tx, organizationId: string, added: string[]): Promise<void> {
  if (added.length > 0)
    await assertMembersOf(
      tx,
      organizationId,
      added.map((id, index) => ({ id, index })),
    );
}

export class ScimGroups {
  constructor(private readonly ctx: ServiceContext) {}

  async list(where: Prisma.GroupWhereInput, skip: number, take: number) {
    const prisma = this.ctx.prisma;
    const scope = { organizationId: await defaultOrganizationId(prisma), isEveryone: false, ...where };
    const [total, groups] = await Promise.all([
      prisma.group.count({ where: scope }),
      take === 0
        ? []
        : prisma.group.findMany({
            where: scope,
            include: withMembers,
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
            skip,
            take,
          }),
    ]);
    return { total, groups };
  }

  async get(id: string): Promise<GroupWithMembers> {
    return this.find(this.ctx.prisma, id);
  }

  async create(changes: GroupChanges & { displayName: string }): Promise<GroupWithMembers> {
    return this.write(async (tx) => {
      const organizationId = await defaultOrganizationId(tx);
      await this.assertDisplayNameFree(tx, organizationId, changes.displayName, null);
      const members = memberChanges([], changes);
      await assertOrganizationMembers(tx, organizationId, members.added);
      const data = {
        organizationId,
        name: await uniqueGroupName(tx, organizationId, changes.displayName),
        displayName: changes.displayName,
        source: "OIDC" as const,
      };
      const group = await insertGroup(this.ctx, tx, data, members.added, (created) => ({
        name: created.name,
        displayName: created.displayName,
        members,
        reason: "scim",
      }));
      return this.find(tx, group.id);
    });
  }

  async update(id: string, changes: GroupChanges): Promise<GroupWithMembers> {
    return this.write(async (tx) => {
      const group = await this.find(tx, id, { lock: true });
      const diff: Record<string, unknown> = {};
      const { displayName } = changes;
      const renamed = displayName !== undefined && displayName !== group.displayName;
      if (renamed) {
        await this.assertDisplayNameFree(tx, group.organizationId, displayName, group.id);
        diff.displayName = { from: group.displayName, to: displayName };
      }
      const members = memberChanges(
        group.members.map((m) => m.userId),
        changes,
      );
      await assertOrganizationMembers(tx, group.organizationId, members.added);
      if (members.added.length + members.removed.length > 0) diff.members = members;
      await updateGroupRecord(this.ctx, tx, group, {
        ...(renamed ? { data: { displayName } } : {}),
        addIds: members.added,
        removeIds: members.removed,
        diff: () => (Object.keys(diff).length > 0 ? { ...diff, reason: "scim" } : {}),
      });
      return this.find(tx, group.id);
    });
  }

  async delete(id: string): Promise<void> {
    await inTransaction(this.ctx.prisma, async (tx) => {
      const group = await this.find(tx, id, { lock: true });
      await deleteGroupRecord(this.ctx, tx, group, { name: group.name, reason: "scim" });
    });
  }

  private async assertDisplayNameFree(tx: Tx, organizationId: string, displayName: string, selfId: string | null) {
    // Display names have no unique index (GraphQL groups may share one): claim it until commit.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`scim-group:${organizationId}:${displayName.toLowerCase()}`}))`;
    const taken = await tx.group.count({
      where: { organizationId, ...displayNameIs(displayName), ...(selfId ? { id: { not: selfId } } : {}) },
    });
    if (taken > 0) throw new ScimError(409, "A group with this displayName exists.", "uniqueness");
  }

  /** One transaction; a name taken by a concurrent write (a GraphQL one too) is retried once, then 409. */
  private write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return writeRetryingUnique(this.ctx.prisma, work, "A group with this name exists.");
  }

  private async find(db: Tx | PrismaClient, id: string, { lock = false } = {}): Promise<GroupWithMembers> {
    if (lock) await db.$queryRaw`SELECT id FROM "Group" WHERE id = ${id}::uuid FOR UPDATE`;
    const group = await db.group.findFirst({
      where: { id, organizationId: await defaultOrganizationId(db), isEveryone: false },
      include: withMembers,
    });
    if (!group) throw new ScimError(404, "Group not found.");
    return group;
  }
}
