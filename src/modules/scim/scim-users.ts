// SCIM's users: who a SCIM request means (matching rules), the writes (one transaction each,
// through the users module's shared writes as the SCIM actor, audited with no actor user) and the
// guards that keep SCIM away from the site owners.
//
// Matching: a user is SCIM's once SCIM created or linked them (`scimUserName` set). POST matches
// by externalId, then userName (both only among SCIM's users: a duplicate is 409), then email: a
// user with that email who is not SCIM's yet is linked, unless they hold the site `owner` role.
// A username alone never links: a different person's username only makes the new one `name-2`.
import type { ServiceContext } from "../../context.js";
import { defaultOrganizationId } from "../../db/default-organization.js";
import { equalsIgnoringCase } from "../../db/names.js";
import type { Prisma, User, UserStatus } from "../../generated/prisma/client.js";
import { readOrganizationSyncSettings } from "../idp-sync/idp-sync.settings.js";
import { uniqueUsername, usernameFrom } from "../oidc/oidc-users.js";
import { isLastActiveOwner } from "../users/user-status.service.js";
import {
  deleteUserRecord,
  insertUserWithMemberships,
  type UserColumns,
  updateUserRecord,
} from "../users/user-writes.js";
import { type ScimChanges, ScimError, USER_SCHEMA, writeRetryingUnique } from "./scim-input.js";

type Tx = Prisma.TransactionClient;
const OWNER = "owner";

export const isScimManaged = (user: User): boolean => user.scimUserName !== null;

/** SCIM's users with this userName, compared ignoring case and nothing else. */
export const userNameIs = (userName: string): Prisma.UserWhereInput => ({
  scimUserName: equalsIgnoringCase(userName),
});

export function toScimUser(user: User, location: string) {
  const hasName = user.scimGivenName !== null || user.scimFamilyName !== null || user.name !== "";
  return {
    schemas: [USER_SCHEMA],
    id: user.id,
    ...(user.scimExternalId !== null ? { externalId: user.scimExternalId } : {}),
    userName: user.scimUserName ?? user.username,
    ...(hasName
      ? {
          name: {
            ...(user.name ? { formatted: user.name } : {}),
            ...(user.scimGivenName !== null ? { givenName: user.scimGivenName } : {}),
            ...(user.scimFamilyName !== null ? { familyName: user.scimFamilyName } : {}),
          },
        }
      : {}),
    ...(user.name ? { displayName: user.name } : {}),
    emails: [{ value: user.email, type: "work", primary: true }],
    active: user.status !== "SUSPENDED",
    meta: {
      resourceType: "User",
      created: user.createdAt.toISOString(),
      lastModified: user.updatedAt.toISOString(),
      location,
    },
  };
}

/** The display name a change implies: displayName, else name.formatted, else "given family". */
function displayNameOf(user: User | null, changes: ScimChanges): string | undefined {
  if (changes.displayName !== undefined) return changes.displayName ?? "";
  if (changes.formatted !== undefined) return changes.formatted ?? "";
  if (changes.givenName === undefined && changes.familyName === undefined) return undefined;
  // A change of one part keeps the other.
  const given = changes.givenName !== undefined ? changes.givenName : user?.scimGivenName;
  const family = changes.familyName !== undefined ? changes.familyName : user?.scimFamilyName;
  return [given, family].filter(Boolean).join(" ");
}

/** The column values a change sets (undefined: unchanged). */
function columnsOf(user: User | null, changes: ScimChanges): UserColumns {
  const name = displayNameOf(user, changes);
  const status: UserStatus | undefined =
    changes.active === undefined
      ? undefined
      : !changes.active
        ? "SUSPENDED"
        : user?.status === "SUSPENDED"
          ? "DORMANT"
          : (user?.status ?? "ACTIVE");
  const columns: UserColumns = {
    scimUserName: changes.userName,
    scimExternalId: changes.externalId,
    scimGivenName: changes.givenName,
    scimFamilyName: changes.familyName,
    email: changes.email,
    name,
    status,
  };
  return Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined));
}

/** The `{from, to}` of each column that changes. */
function diffOf(user: User, columns: Prisma.UserUncheckedUpdateInput): Record<string, { from: unknown; to: unknown }> {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, to] of Object.entries(columns)) {
    const from = user[key as keyof User];
    if (from !== to) diff[key] = { from, to };
  }
  return diff;
}

/** Refuses a SCIM identity (userName, externalId, email) another user already has. */
async function assertFree(tx: Tx, changes: ScimChanges, selfId: string | null): Promise<void> {
  const notSelf: Prisma.UserWhereInput = selfId ? { id: { not: selfId } } : {};
  const taken = async (where: Prisma.UserWhereInput) => (await tx.user.count({ where: { ...where, ...notSelf } })) > 0;
  if (changes.externalId && (await taken({ scimExternalId: changes.externalId }))) {
    throw new ScimError(409, "Another user has this externalId.", "uniqueness");
  }
  if (changes.userName && (await taken(userNameIs(changes.userName)))) {
    throw new ScimError(409, "Another user has this userName.", "uniqueness");
  }
  if (changes.email && (await taken({ email: changes.email }))) {
    throw new ScimError(409, "Another user has this email.", "uniqueness");
  }
}

/** SCIM changes a site owner only when it created or linked the account itself. */
function assertManageable(user: User): void {
  if (user.siteRoles.includes(OWNER) && !isScimManaged(user)) {
    throw new ScimError(409, "This user is a site owner that SCIM did not provision; SCIM cannot change it.");
  }
}

/** Refuses to take away the last active site owner (the same rule as suspending or deleting by hand). */
async function assertNotLastOwner(tx: Tx, user: User): Promise<void> {
  if (await isLastActiveOwner(tx, user)) {
    throw new ScimError(409, "This user is the last active site owner and cannot be deactivated or deleted.");
  }
}

/** The audit diff of a SCIM change: the canceled builds of a suspension when there were any, and why. */
const scimDiff =
  (diff: Record<string, unknown>, reason: "scim" | "scim-link" | "scim-delete") => (canceledJobs: number) => ({
    ...diff,
    ...(canceledJobs > 0 ? { canceledJobs } : {}),
    reason,
  });

export class ScimUsers {
  constructor(private readonly ctx: ServiceContext) {}

  /** POST /Users: a new user (201), or the existing user with this email linked to SCIM (201). */
  async create(changes: ScimChanges & { userName: string; email: string; active: boolean }): Promise<User> {
    return this.write(async (tx) => {
      if (changes.externalId && (await tx.user.count({ where: { scimExternalId: changes.externalId } }))) {
        throw new ScimError(409, "A user with this externalId exists.", "uniqueness");
      }
      if (await tx.user.count({ where: userNameIs(changes.userName) })) {
        throw new ScimError(409, "A user with this userName exists.", "uniqueness");
      }
      // Locked: two POSTs linking the same account one after the other, the second sees the first's link.
      await tx.$queryRaw`SELECT id FROM "User" WHERE email = ${changes.email} FOR UPDATE`;
      const existing = await tx.user.findUnique({ where: { email: changes.email } });
      return existing ? this.link(tx, existing, changes) : this.insert(tx, changes);
    });
  }

  private async link(tx: Tx, user: User, changes: ScimChanges): Promise<User> {
    if (isScimManaged(user)) throw new ScimError(409, "A user with this email exists.", "uniqueness");
    if (user.siteRoles.includes(OWNER)) {
      throw new ScimError(409, "This email belongs to a site owner; SCIM does not link site owners.", "uniqueness");
    }
    const columns = columnsOf(user, changes);
    return updateUserRecord(this.ctx, tx, user, { data: columns, diff: scimDiff(diffOf(user, columns), "scim-link") });
  }

  private async insert(tx: Tx, changes: ScimChanges & { userName: string; email: string }): Promise<User> {
    const columns = columnsOf(null, changes);
    const data: Prisma.UserUncheckedCreateInput = {
      ...(columns as Prisma.UserUncheckedCreateInput),
      email: changes.email,
      // An email-shaped userName (Entra's UPN, Okta's login) gives its local part.
      username: await uniqueUsername(tx, usernameFrom(changes.userName.split("@")[0], changes.email)),
      loginType: "OIDC",
      siteRoles: [],
    };
    const settings = await readOrganizationSyncSettings(tx);
    const organizationIds = settings.assignDefault ? [await defaultOrganizationId(tx)] : [];
    return insertUserWithMemberships(this.ctx, tx, data, organizationIds, (user) => ({
      username: user.username,
      scimUserName: user.scimUserName,
      scimExternalId: user.scimExternalId,
      email: user.email,
      loginType: "OIDC",
      status: user.status,
      organizationIds,
      reason: "scim",
    }));
  }

  /** PATCH and PUT: the attributes given change, in one transaction with its audit event. */
  async update(id: string, changes: ScimChanges): Promise<User> {
    return this.write(async (tx) => {
      const user = await this.find(tx, id);
      const columns = columnsOf(user, changes);
      const diff = diffOf(user, columns);
      if (Object.keys(diff).length === 0) return user;
      assertManageable(user);
      if (columns.status === "SUSPENDED") await assertNotLastOwner(tx, user);
      await assertFree(tx, changes, user.id);
      return updateUserRecord(this.ctx, tx, user, { data: columns, diff: scimDiff(diff, "scim") });
    });
  }

  /**
   * DELETE: a user who owns nothing (no workspace, no template) is deleted; anyone else is
   * suspended and unlinked from SCIM, so their workspaces and templates keep an owner.
   */
  async delete(id: string): Promise<void> {
    await this.write(async (tx) => {
      const user = await this.find(tx, id);
      assertManageable(user);
      await assertNotLastOwner(tx, user);
      const owned = await tx.user.findUniqueOrThrow({
        where: { id: user.id },
        select: { _count: { select: { workspaces: true, createdTemplates: true } } },
      });
      if (owned._count.workspaces + owned._count.createdTemplates === 0) {
        await deleteUserRecord(this.ctx, tx, user, { email: user.email, reason: "scim" });
        return;
      }
      const columns = { status: "SUSPENDED", scimUserName: null, scimExternalId: null } as const;
      await updateUserRecord(this.ctx, tx, user, {
        data: columns,
        diff: scimDiff(diffOf(user, columns), "scim-delete"),
      });
    });
  }

  /** The user, locked until the transaction ends so concurrent writes apply one after the other. */
  private async find(tx: Tx, id: string): Promise<User> {
    await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${id}::uuid FOR UPDATE`;
    const user = await tx.user.findUnique({ where: { id } });
    if (!user) throw new ScimError(404, "User not found.");
    return user;
  }

  /**
   * One transaction. A unique index hit by a concurrent request is retried once: the retry sees
   * the other request's user and answers the checked 409 (or picks another username).
   */
  private write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return writeRetryingUnique(this.ctx.prisma, work, "Another user has this identity.");
  }
}
