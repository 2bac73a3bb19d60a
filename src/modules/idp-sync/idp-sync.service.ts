// IdP sync: at every OIDC login, inside the login's transaction, the user's organizations, then
// groups, then organization roles are made to match the ID token's claims, as the settings say.
// Each change is audited with the system as the actor.
import { type AuditMeta, recordAudit } from "../../audit/audit.js";
import { EXPLICIT_ORG_ROLE_NAMES } from "../../authz/roles.js";
import { defaultOrganizationId, EVERYONE_GROUP_NAME } from "../../db/default-organization.js";
import { Prisma, type User } from "../../generated/prisma/client.js";
import { parseId } from "../../graphql/ids.js";
import { checkName } from "../shared/validation.js";
import { compileIdpRegex } from "./idp-sync.regex.js";
import { type ClaimMapping, mappingOf, readOrganizationSyncSettings } from "./idp-sync.settings.js";

type Tx = Prisma.TransactionClient;
type Claims = Record<string, unknown>;

/** What a claim holds: nothing, something unusable, or a list of strings. */
export type ClaimValues = { kind: "absent" } | { kind: "malformed" } | { kind: "values"; values: string[] };

const MAX_CLAIM_VALUES = 1000;
const MAX_CLAIM_VALUE_LENGTH = 1024;
export const GROUP_NAME_MAX = 36;

/** A string or an array of strings; anything else is malformed. Oversized values are ignored. */
export function claimValues(claims: Claims, field: string): ClaimValues {
  if (!Object.hasOwn(claims, field) || claims[field] === null || claims[field] === undefined) return { kind: "absent" };
  const raw = claims[field];
  const list = typeof raw === "string" ? [raw] : raw;
  if (!Array.isArray(list) || !list.every((v) => typeof v === "string")) return { kind: "malformed" };
  const values = [...new Set(list as string[])].filter((v) => v.length <= MAX_CLAIM_VALUE_LENGTH);
  return { kind: "values", values: values.slice(0, MAX_CLAIM_VALUES) };
}

/** The mapped targets of the values; values without a mapping are passed to `unmapped`. */
function mapValues(mapping: ClaimMapping[], values: string[], unmapped: (value: string) => void): string[] {
  const byValue = new Map(mapping.map((m) => [m.claimValue, m.targets]));
  const targets: string[] = [];
  for (const value of values) {
    const mapped = byValue.get(value);
    if (mapped) targets.push(...mapped);
    else unmapped(value);
  }
  return targets;
}

const SYSTEM = (meta: AuditMeta): AuditMeta => ({ ...meta, actorId: null });
const REASON = "idp-sync";

/** Why a claim was not used: it held something unusable, or its values could not be read (a groups overage). */
type Skipped = "claim malformed" | "claim unknown";

export type SyncSummary = {
  organizations?: { added: string[]; removed: string[] } | Skipped;
  groups?: Record<string, { added: string[]; removed: string[] } | Skipped>;
  roles?: Record<string, { from: string[]; to: string[] } | Skipped>;
};

/**
 * Claims whose values are unknown (`unknown`: named by the provider but not delivered, e.g. Entra
 * ID's groups overage without a groups endpoint) leave what they sync untouched, like a
 * malformed claim; an absent claim means no values.
 */
function readClaim(claims: Claims, field: string, unknown: ReadonlySet<string>): ClaimValues | { kind: Skipped } {
  if (unknown.has(field)) return { kind: "claim unknown" };
  const claim = claimValues(claims, field);
  return claim.kind === "malformed" ? { kind: "claim malformed" } : claim;
}

/** Runs organization, group and role sync, in that order. Returns what changed, for the login's audit event. */
export async function runIdpSync(
  tx: Tx,
  meta: AuditMeta,
  user: User,
  claims: Claims,
  unknown: ReadonlySet<string> = new Set(),
): Promise<SyncSummary> {
  const summary: SyncSummary = {};
  await syncOrganizations(tx, meta, user, claims, summary, unknown);
  await syncGroups(tx, meta, user, claims, summary, unknown);
  await syncRoles(tx, meta, user, claims, summary, unknown);
  return summary;
}

/** The claim fields sync reads under the current settings (what a login's recorded claims keep). */
export async function syncedClaimFields(tx: Tx): Promise<string[]> {
  const organization = await readOrganizationSyncSettings(tx);
  const groups = await tx.groupSyncSettings.findMany({ where: { field: { not: "" } }, select: { field: true } });
  const roles = await tx.roleSyncSettings.findMany({ where: { field: { not: "" } }, select: { field: true } });
  return [organization.field, ...groups.map((g) => g.field), ...roles.map((r) => r.field)].filter((f) => f !== "");
}

async function syncOrganizations(
  tx: Tx,
  meta: AuditMeta,
  user: User,
  claims: Claims,
  summary: SyncSummary,
  unknown: ReadonlySet<string>,
) {
  const settings = await readOrganizationSyncSettings(tx);
  if (settings.field === "") return;
  const claim = readClaim(claims, settings.field, unknown);
  if (claim.kind === "claim malformed" || claim.kind === "claim unknown") {
    // Unusable claim: memberships stay as they are rather than being wiped.
    summary.organizations = claim.kind;
    return;
  }
  const values = claim.kind === "values" ? claim.values : [];
  const wanted = mapValues(settings.mapping, values, () => {})
    .map((id) => parseId("Organization", id))
    .filter((id): id is string => id !== null);
  if (settings.assignDefault) wanted.push(await defaultOrganizationId(tx));
  // Unknown or deleted organizations are dropped.
  const existing = await tx.organization.findMany({
    where: { id: { in: [...new Set(wanted)] } },
    select: { id: true },
  });
  const expected = new Set(existing.map((o) => o.id));
  const current = await tx.organizationMember.findMany({
    where: { userId: user.id },
    select: { organizationId: true },
  });
  const have = new Set(current.map((m) => m.organizationId));
  const added = [...expected].filter((id) => !have.has(id));
  const removed = [...have].filter((id) => !expected.has(id));
  if (added.length > 0) {
    await tx.organizationMember.createMany({
      data: added.map((organizationId) => ({ organizationId, userId: user.id })),
    });
  }
  if (removed.length > 0) {
    // Group memberships go with the membership (foreign key cascade).
    await tx.organizationMember.deleteMany({ where: { userId: user.id, organizationId: { in: removed } } });
  }
  for (const [action, ids] of [
    ["ADD_MEMBER", added],
    ["REMOVE_MEMBER", removed],
  ] as const) {
    for (const organizationId of ids) {
      await recordAudit(tx, SYSTEM(meta), {
        action,
        resourceType: "ORGANIZATION_MEMBER",
        resourceId: user.id,
        resourceName: user.username,
        organizationId,
        diff: { reason: REASON },
      });
    }
  }
  summary.organizations = { added, removed };
}

async function syncGroups(
  tx: Tx,
  meta: AuditMeta,
  user: User,
  claims: Claims,
  summary: SyncSummary,
  unknown: ReadonlySet<string>,
) {
  const settingsList = await tx.groupSyncSettings.findMany({
    where: { field: { not: "" }, organization: { members: { some: { userId: user.id } } } },
  });
  for (const settings of settingsList) {
    const claim = readClaim(claims, settings.field, unknown);
    summary.groups ??= {};
    if (claim.kind === "claim malformed" || claim.kind === "claim unknown") {
      // A malformed or unknown claim skips this organization; it never blocks the login.
      summary.groups[settings.organizationId] = claim.kind;
      continue;
    }
    const filter = settings.regexFilter ? compileIdpRegex(settings.regexFilter) : null;
    // A stored pattern that no longer compiles (saved before RE2) skips sync, like a malformed claim.
    if (filter && "problem" in filter) continue;
    const values = (claim.kind === "values" ? claim.values : []).filter((v) => filter === null || filter.regex.test(v));
    const change = await syncGroupsIn(tx, meta, user, settings, values);
    summary.groups[settings.organizationId] = change;
  }
}

async function syncGroupsIn(
  tx: Tx,
  meta: AuditMeta,
  user: User,
  settings: { organizationId: string; mapping: unknown; autoCreateMissingGroups: boolean },
  values: string[],
) {
  const { organizationId } = settings;
  const byName: string[] = [];
  const mappedIds = mapValues(mappingOf(settings.mapping), values, (value) => byName.push(value))
    .map((id) => parseId("Group", id))
    .filter((id): id is string => id !== null);
  const groups = await findSyncedGroups(tx, organizationId, mappedIds, byName);
  const expected = new Set(groups.map((g) => g.id));
  if (settings.autoCreateMissingGroups) {
    const found = new Set(groups.map((g) => g.name.toLowerCase()));
    for (const name of groupNamesToCreate(byName).filter((n) => !found.has(n.toLowerCase()))) {
      expected.add(await findOrCreateOidcGroup(tx, meta, organizationId, name));
    }
  }
  const current = await tx.groupMember.findMany({
    where: { organizationId, userId: user.id },
    select: { groupId: true },
  });
  const have = new Set(current.map((m) => m.groupId));
  const added = [...expected].filter((id) => !have.has(id));
  const removed = [...have].filter((id) => !expected.has(id));
  if (added.length > 0) {
    await tx.groupMember.createMany({ data: added.map((groupId) => ({ groupId, organizationId, userId: user.id })) });
  }
  if (removed.length > 0) {
    await tx.groupMember.deleteMany({ where: { userId: user.id, groupId: { in: removed } } });
  }
  for (const [action, ids] of [
    ["ADD_MEMBER", added],
    ["REMOVE_MEMBER", removed],
  ] as const) {
    for (const groupId of ids) {
      await recordAudit(tx, SYSTEM(meta), {
        action,
        resourceType: "GROUP",
        resourceId: groupId,
        organizationId,
        diff: { userId: user.id, username: user.username, reason: REASON },
      });
    }
  }
  return { added, removed };
}

/** `column IN (values)`, each value cast or transformed by `value`; false for no values. */
const inList = (column: Prisma.Sql, values: readonly string[], value: (v: string) => Prisma.Sql) =>
  values.length === 0 ? Prisma.sql`false` : Prisma.sql`${column} IN (${Prisma.join(values.map(value))})`;

/**
 * The organization's groups with one of the ids, or named like one of the names without regard
 * to case (as createGroup compares names); never Everyone, whose membership is implicit.
 */
function findSyncedGroups(tx: Tx, organizationId: string, ids: string[], names: string[]) {
  return tx.$queryRaw<{ id: string; name: string }[]>`
    SELECT id, name FROM "Group"
    WHERE "organizationId" = ${organizationId}::uuid AND NOT "isEveryone"
      AND (${inList(Prisma.sql`id`, ids, (id) => Prisma.sql`${id}::uuid`)}
        OR ${inList(Prisma.sql`lower(name)`, [...new Set(names)], (name) => Prisma.sql`lower(${name})`)})`;
}

/**
 * Claim values that may become groups: those createGroup would accept (name rules, not
 * Everyone), one per name without regard to case (the first spelling wins), sorted so that
 * concurrent logins take the name locks in the same order. Other values are skipped.
 */
function groupNamesToCreate(values: readonly string[]): string[] {
  const byLower = new Map<string, string>();
  for (const value of values) {
    const problem = checkName(value, [], { maxLength: GROUP_NAME_MAX, reserved: [EVERYONE_GROUP_NAME] });
    if (!problem && !byLower.has(value.toLowerCase())) byLower.set(value.toLowerCase(), value);
  }
  return [...byLower.keys()].sort().map((lower) => byLower.get(lower) as string);
}

/** The id of the group with this name (any case), created with source OIDC when there is none. */
async function findOrCreateOidcGroup(tx: Tx, meta: AuditMeta, organizationId: string, name: string) {
  // The unique index on (organizationId, lower(name)) makes a concurrent creation in any case wait
  // and then do nothing; the group it created is then found by name.
  const inserted = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO "Group" (id, "organizationId", name, "displayName", source, "updatedAt")
    VALUES (gen_random_uuid(), ${organizationId}::uuid, ${name}, '', 'OIDC', now())
    ON CONFLICT DO NOTHING
    RETURNING id`;
  if (!inserted[0]) {
    const existing = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM "Group" WHERE "organizationId" = ${organizationId}::uuid AND lower(name) = lower(${name})`;
    return (existing[0] as { id: string }).id;
  }
  const group = inserted[0];
  await recordAudit(tx, SYSTEM(meta), {
    action: "CREATE",
    resourceType: "GROUP",
    resourceId: group.id,
    resourceName: name,
    organizationId,
    diff: { name, source: "OIDC", reason: REASON },
  });
  return group.id;
}

async function syncRoles(
  tx: Tx,
  meta: AuditMeta,
  user: User,
  claims: Claims,
  summary: SyncSummary,
  unknown: ReadonlySet<string>,
) {
  const settingsList = await tx.roleSyncSettings.findMany({
    where: { field: { not: "" }, organization: { members: { some: { userId: user.id } } } },
  });
  if (settingsList.length === 0) return;
  const organizationIds = settingsList.map((s) => s.organizationId);
  const memberships = await tx.organizationMember.findMany({
    where: { userId: user.id, organizationId: { in: organizationIds } },
  });
  const customRoles = await tx.customRole.findMany({
    where: { organizationId: { in: organizationIds } },
    select: { organizationId: true, name: true },
  });
  for (const settings of settingsList) {
    const membership = memberships.find((m) => m.organizationId === settings.organizationId);
    if (!membership) continue;
    const claim = readClaim(claims, settings.field, unknown);
    summary.roles ??= {};
    if (claim.kind === "claim malformed" || claim.kind === "claim unknown") {
      summary.roles[settings.organizationId] = claim.kind;
      continue;
    }
    const valid = new Set([
      ...EXPLICIT_ORG_ROLE_NAMES,
      ...customRoles.filter((r) => r.organizationId === settings.organizationId).map((r) => r.name),
    ]);
    // Absent claim: no roles. Unmapped values are tried as role names; unknown names are dropped.
    const values = claim.kind === "values" ? claim.values : [];
    const unmapped: string[] = [];
    const names = [...mapValues(mappingOf(settings.mapping), values, (v) => unmapped.push(v)), ...unmapped];
    const roles = [...new Set(names.filter((n) => valid.has(n)))].sort();
    const before = [...membership.roles].sort();
    if (roles.join("\n") === before.join("\n")) continue;
    await tx.organizationMember.update({
      where: { organizationId_userId: { organizationId: settings.organizationId, userId: user.id } },
      data: { roles },
    });
    await recordAudit(tx, SYSTEM(meta), {
      action: "ASSIGN_ROLES",
      resourceType: "ORGANIZATION_MEMBER",
      resourceId: user.id,
      resourceName: user.username,
      organizationId: settings.organizationId,
      diff: { roles: { from: before, to: roles }, reason: REASON },
    });
    summary.roles[settings.organizationId] = { from: before, to: roles };
  }
}
