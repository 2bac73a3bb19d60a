// IdP sync: at every OIDC login, inside the login's transaction, the user's organizations, then
// groups, then organization roles are made to match the ID token's claims, as the settings say.
// Each change is audited with the system as the actor.
import { type AuditMeta, recordAudit } from "../../audit/audit.js";
import { EXPLICIT_ORG_ROLE_NAMES } from "../../authz/roles.js";
import type { Prisma, User } from "../../generated/prisma/client.js";
import { parseId } from "../../graphql/ids.js";
import { defaultOrganizationId } from "../organizations/organizations.service.js";
import { checkName } from "../shared/validation.js";
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

export type SyncSummary = {
  organizations?: { added: string[]; removed: string[] } | "claim malformed";
  groups?: Record<string, { added: string[]; removed: string[] } | "claim malformed">;
  roles?: Record<string, { from: string[]; to: string[] } | "claim malformed">;
};

/** Runs organization, group and role sync, in that order. Returns what changed, for the login's audit event. */
export async function runIdpSync(tx: Tx, meta: AuditMeta, user: User, claims: Claims): Promise<SyncSummary> {
  const summary: SyncSummary = {};
  await syncOrganizations(tx, meta, user, claims, summary);
  await syncGroups(tx, meta, user, claims, summary);
  await syncRoles(tx, meta, user, claims, summary);
  return summary;
}

async function syncOrganizations(tx: Tx, meta: AuditMeta, user: User, claims: Claims, summary: SyncSummary) {
  const settings = await readOrganizationSyncSettings(tx);
  if (settings.field === "") return;
  const claim = claimValues(claims, settings.field);
  if (claim.kind === "malformed") {
    // Unusable claim: memberships stay as they are rather than being wiped.
    summary.organizations = "claim malformed";
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

async function syncGroups(tx: Tx, meta: AuditMeta, user: User, claims: Claims, summary: SyncSummary) {
  const settingsList = await tx.groupSyncSettings.findMany({
    where: { field: { not: "" }, organization: { members: { some: { userId: user.id } } } },
  });
  for (const settings of settingsList) {
    const claim = claimValues(claims, settings.field);
    summary.groups ??= {};
    if (claim.kind === "malformed") {
      // A malformed claim skips this organization; it never blocks the login.
      summary.groups[settings.organizationId] = "claim malformed";
      continue;
    }
    const filter = settings.regexFilter ? compileFilter(settings.regexFilter) : null;
    if (filter === undefined) continue;
    const values = (claim.kind === "values" ? claim.values : []).filter((v) => filter === null || filter.test(v));
    const change = await syncGroupsIn(tx, meta, user, settings, values);
    summary.groups[settings.organizationId] = change;
  }
}

/** The compiled filter; undefined when the stored pattern does not compile (then sync is skipped). */
function compileFilter(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
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
  const groups = await tx.group.findMany({
    where: { organizationId, isEveryone: false, OR: [{ id: { in: mappedIds } }, { name: { in: byName } }] },
    select: { id: true, name: true },
  });
  const expected = new Set(groups.map((g) => g.id));
  if (settings.autoCreateMissingGroups) {
    const found = new Set(groups.map((g) => g.name));
    for (const name of byName.filter((n) => !found.has(n) && !checkName(n, [], { maxLength: GROUP_NAME_MAX }))) {
      const group = await createOidcGroup(tx, meta, organizationId, name);
      if (group) expected.add(group.id);
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

/** Creates a group named by a claim value (source OIDC); null when the name is already taken (e.g. Everyone). */
async function createOidcGroup(tx: Tx, meta: AuditMeta, organizationId: string, name: string) {
  const inserted = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO "Group" (id, "organizationId", name, "displayName", source, "updatedAt")
    VALUES (gen_random_uuid(), ${organizationId}::uuid, ${name}, '', 'OIDC', now())
    ON CONFLICT DO NOTHING RETURNING id`;
  const group = inserted[0];
  if (!group) return null;
  await recordAudit(tx, SYSTEM(meta), {
    action: "CREATE",
    resourceType: "GROUP",
    resourceId: group.id,
    resourceName: name,
    organizationId,
    diff: { name, source: "OIDC", reason: REASON },
  });
  return group;
}

async function syncRoles(tx: Tx, meta: AuditMeta, user: User, claims: Claims, summary: SyncSummary) {
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
    const claim = claimValues(claims, settings.field);
    summary.roles ??= {};
    if (claim.kind === "malformed") {
      summary.roles[settings.organizationId] = "claim malformed";
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
