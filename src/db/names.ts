// How names are matched and kept unique. Usernames, emails, and the names of organizations,
// groups, custom roles, templates and provisioner keys are unique case-insensitively within
// their scope; expression unique indexes on lower(name) enforce it (migration
// 20261204180515_case_insensitive_names), so writers insert and map a violation to a userError
// instead of checking first. Lookups by name must not treat `%` or `_` as wildcards.
import type { Prisma } from "../generated/prisma/client.js";

/** Escapes LIKE/ILIKE metacharacters (`\`, `%`, `_`) so the pattern matches only the value itself. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A Prisma string filter matching exactly `value` ignoring case. Prisma compiles `mode: "insensitive"`
 * to ILIKE, so the value is escaped; composable with any other `where` (it does not use the
 * lower() indexes: `userIdByUsername` does).
 */
export function equalsIgnoringCase(value: string): { equals: string; mode: "insensitive" } {
  return { equals: escapeLike(value), mode: "insensitive" };
}

/** `contains` ignoring case with the wildcards escaped: a search term matches only itself. */
export function containsIgnoringCase(value: string): { contains: string; mode: "insensitive" } {
  return { contains: escapeLike(value), mode: "insensitive" };
}

type Db = Pick<Prisma.TransactionClient, "$queryRaw">;

/** The id of the user with this username in any case, found through the lower(username) index. */
export async function userIdByUsername(db: Db, username: string): Promise<string | null> {
  const rows = await db.$queryRaw<{ id: string }[]>`SELECT id FROM "User" WHERE lower("username") = lower(${username})`;
  return rows[0]?.id ?? null;
}

type DriverCause = { code?: string; originalCode?: string; message?: string; originalMessage?: string };
type PrismaLikeError = { code?: string; cause?: DriverCause; meta?: { driverAdapterError?: { cause?: DriverCause } } };

const UNIQUE_CONSTRAINT = /unique constraint "([^"]+)"/;

/**
 * The unique index a write violated: its name, "" when the error does not say which, or null when
 * the error is not a unique violation. Covers Prisma's P2002 and raw-query P2010 (adapter-pg) and
 * the PostgreSQL error PGlite's adapter passes through as it is.
 */
export function violatedUniqueIndex(error: unknown): string | null {
  const e = error as PrismaLikeError | null;
  const cause = e?.meta?.driverAdapterError?.cause ?? e?.cause;
  const sqlState = cause?.originalCode ?? cause?.code;
  if (e?.code !== "P2002" && sqlState !== "23505") return null;
  const message = cause?.originalMessage ?? cause?.message ?? "";
  return UNIQUE_CONSTRAINT.exec(message)?.[1] ?? "";
}

/** Whether `error` violates one of `indexes` (or a unique index the error does not name). */
export function violatesUnique(error: unknown, indexes: readonly string[]): boolean {
  const index = violatedUniqueIndex(error);
  return index !== null && (index === "" || indexes.includes(index));
}

/** The unique indexes, case-sensitive (Prisma's) and case-insensitive, that keep each name unique. */
export const NAME_INDEXES = {
  username: ["User_username_key", "User_username_lower_key"],
  email: ["User_email_key", "User_email_lower_key"],
  organization: ["Organization_name_key", "Organization_name_lower_key"],
  group: ["Group_organizationId_name_key", "Group_organizationId_name_lower_key"],
  customRole: ["CustomRole_organizationId_name_key", "CustomRole_organizationId_name_lower_key"],
  template: ["Template_organizationId_name_key", "Template_organizationId_name_lower_key"],
  provisionerKey: ["ProvisionerKey_organizationId_name_key", "ProvisionerKey_organizationId_name_lower_key"],
  workspace: ["Workspace_owner_name_live"],
} as const;
