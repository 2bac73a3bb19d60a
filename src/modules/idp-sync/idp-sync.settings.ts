// IdP sync settings: organization sync (deployment-wide, one row), group and role sync (per
// organization). Mapping targets are stored as the client gave them (global ids for
// organizations and groups, names for roles) and validated against what exists when saved.

import { recordAudit } from "../../audit/audit.js";
import { assertAllowed, assertCan, auditMeta, requireViewer } from "../../authz/assert.js";
import { EXPLICIT_ORG_ROLE_NAMES } from "../../authz/roles.js";
import type { Context } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { notFound, type UserError } from "../../graphql/errors.js";
import { decodeId, parseId } from "../../graphql/ids.js";
import { type Check, checkText, ensure } from "../shared/validation.js";

type Db = Prisma.TransactionClient;

export type ClaimMapping = { claimValue: string; targets: string[] };
export type OrganizationSyncView = { field: string; mapping: ClaimMapping[]; assignDefault: boolean };
export type GroupSyncView = {
  field: string;
  mapping: ClaimMapping[];
  regexFilter: string | null;
  autoCreateMissingGroups: boolean;
};
export type RoleSyncView = { field: string; mapping: ClaimMapping[] };

const ORGANIZATION_SYNC_ID = 1;
const MAX_FIELD_LENGTH = 256;
const MAX_MAPPINGS = 500;
const MAX_TARGETS = 100;
const MAX_CLAIM_VALUE_LENGTH = 1024;
const MAX_REGEX_LENGTH = 256;

/** A stored mapping, read defensively (it is JSON). */
export function mappingOf(json: unknown): ClaimMapping[] {
  if (!Array.isArray(json)) return [];
  return json.flatMap((entry) => {
    const { claimValue, targets } = (entry ?? {}) as { claimValue?: unknown; targets?: unknown };
    if (typeof claimValue !== "string" || !Array.isArray(targets)) return [];
    return [{ claimValue, targets: targets.filter((t): t is string => typeof t === "string") }];
  });
}

export async function readOrganizationSyncSettings(db: Db): Promise<OrganizationSyncView> {
  const row = await db.organizationSyncSettings.findUnique({ where: { id: ORGANIZATION_SYNC_ID } });
  // No row yet: the schema's defaults (sync off, default organization assigned).
  return { field: row?.field ?? "", mapping: mappingOf(row?.mapping), assignDefault: row?.assignDefault ?? true };
}

export async function readGroupSyncSettings(db: Db, organizationId: string): Promise<GroupSyncView> {
  const row = await db.groupSyncSettings.findUnique({ where: { organizationId } });
  return {
    field: row?.field ?? "",
    mapping: mappingOf(row?.mapping),
    regexFilter: row?.regexFilter ?? null,
    autoCreateMissingGroups: row?.autoCreateMissingGroups ?? false,
  };
}

export async function readRoleSyncSettings(db: Db, organizationId: string): Promise<RoleSyncView> {
  const row = await db.roleSyncSettings.findUnique({ where: { organizationId } });
  return { field: row?.field ?? "", mapping: mappingOf(row?.mapping) };
}

// ---- validation

const invalid = (field: string[], message: string): UserError => ({ code: "INVALID_INPUT", message, field });

function checkField(field: string): Check {
  if (field.length > MAX_FIELD_LENGTH)
    return invalid(["input", "field"], `Field must be at most ${MAX_FIELD_LENGTH} characters.`);
  if (field.trim() !== field) return invalid(["input", "field"], "Field must not start or end with whitespace.");
  return checkText(field, ["input", "field"], MAX_FIELD_LENGTH, "Field");
}

/** Shape rules every mapping follows: bounded sizes, unique non-empty claim values. */
function checkMappingShape(mapping: readonly ClaimMapping[]): Check[] {
  if (mapping.length > MAX_MAPPINGS) return [invalid(["input", "mapping"], `At most ${MAX_MAPPINGS} mappings.`)];
  const seen = new Set<string>();
  return mapping.flatMap((entry, i) => {
    const at = ["input", "mapping", String(i)];
    const problems: Check[] = [];
    if (entry.claimValue.length === 0 || entry.claimValue.length > MAX_CLAIM_VALUE_LENGTH) {
      problems.push(invalid([...at, "claimValue"], `Claim values must be 1-${MAX_CLAIM_VALUE_LENGTH} characters.`));
    } else if (seen.has(entry.claimValue)) {
      problems.push(invalid([...at, "claimValue"], `The claim value "${entry.claimValue}" is mapped twice.`));
    }
    seen.add(entry.claimValue);
    if (entry.targets.length > MAX_TARGETS) {
      problems.push(invalid([...at, "targets"], `At most ${MAX_TARGETS} targets per claim value.`));
    }
    return problems;
  });
}

/** Every target for which `known` is false, as an error at its input path. */
function unknownTargets(mapping: readonly ClaimMapping[], known: (target: string) => boolean, what: string): Check[] {
  return mapping.flatMap((entry, i) =>
    entry.targets.flatMap((target, j) =>
      known(target)
        ? []
        : [invalid(["input", "mapping", String(i), "targets", String(j)], `Unknown ${what}: "${target}".`)],
    ),
  );
}

// Nested quantifiers such as (a+)+ backtrack exponentially; JavaScript has no linear-time engine.
const NESTED_QUANTIFIER = /\([^)]*[+*}][^)]*\)\s*[+*{]/;

function checkRegex(pattern: string | null): Check {
  if (pattern === null) return undefined;
  const field = ["input", "regexFilter"];
  if (pattern.length > MAX_REGEX_LENGTH)
    return invalid(field, `The regex filter must be at most ${MAX_REGEX_LENGTH} characters.`);
  if (NESTED_QUANTIFIER.test(pattern)) return invalid(field, "The regex filter must not nest quantifiers, like (a+)+.");
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    return invalid(field, `The regex filter does not compile: ${(error as Error).message}`);
  }
}

const unique = (values: readonly string[]) => [...new Set(values)];
const mappingInput = (mapping: readonly ClaimMapping[]): ClaimMapping[] =>
  mapping.map((m) => ({ claimValue: m.claimValue, targets: unique(m.targets) }));

// ---- writes

export async function updateOrganizationSyncSettings(
  ctx: Context,
  input: { field: string; mapping: readonly ClaimMapping[]; assignDefault: boolean },
) {
  const { subject } = await requireViewer(ctx);
  assertAllowed(subject, "UPDATE", { type: "IDPSYNC_SETTINGS" });
  const mapping = mappingInput(input.mapping);
  ensure(checkField(input.field), ...checkMappingShape(mapping));
  const settings: OrganizationSyncView = { field: input.field, mapping, assignDefault: input.assignDefault };
  return inTransaction(ctx.prisma, async (tx) => {
    const ids = unique(mapping.flatMap((m) => m.targets)).map((t) => [t, parseId("Organization", t)] as const);
    const found = await tx.organization.findMany({
      where: { id: { in: ids.flatMap(([, id]) => (id ? [id] : [])) } },
      select: { id: true },
    });
    const existing = new Set(found.map((o) => o.id));
    const valid = new Set(ids.filter(([, id]) => id !== null && existing.has(id)).map(([target]) => target));
    ensure(...unknownTargets(mapping, (t) => valid.has(t), "organization id"));
    const before = await readOrganizationSyncSettings(tx);
    const data = { field: settings.field, mapping: settings.mapping, assignDefault: settings.assignDefault };
    await tx.organizationSyncSettings.upsert({ where: { id: ORGANIZATION_SYNC_ID }, create: data, update: data });
    await recordAudit(tx, auditMeta(ctx), {
      action: "UPDATE",
      resourceType: "IDPSYNC_SETTINGS",
      resourceName: "organization-sync",
      diff: { from: before, to: settings },
    });
    return { settings };
  });
}

/** The organization named by the input: readable (else NOT_FOUND), and its sync settings writable (else FORBIDDEN). */
async function writableOrganization(ctx: Context, organizationGlobalId: string) {
  const { subject } = await requireViewer(ctx);
  const organizationId = decodeId("Organization", organizationGlobalId, "organization");
  assertCan(subject, "READ", { type: "ORGANIZATION", organizationId }, "organization");
  assertAllowed(subject, "UPDATE", { type: "IDPSYNC_SETTINGS", organizationId });
  return organizationId;
}

async function requireOrganization(tx: Db, organizationId: string) {
  const org = await tx.organization.findUnique({ where: { id: organizationId }, select: { id: true, name: true } });
  if (!org) throw notFound("organization");
  return org;
}

export async function updateGroupSyncSettings(
  ctx: Context,
  input: {
    organizationId: string;
    field: string;
    mapping: readonly ClaimMapping[];
    regexFilter?: string | null;
    autoCreateMissingGroups: boolean;
  },
) {
  const organizationId = await writableOrganization(ctx, input.organizationId);
  const mapping = mappingInput(input.mapping);
  const regexFilter = input.regexFilter ? input.regexFilter : null;
  ensure(checkField(input.field), ...checkMappingShape(mapping), checkRegex(regexFilter));
  const settings: GroupSyncView = {
    field: input.field,
    mapping,
    regexFilter,
    autoCreateMissingGroups: input.autoCreateMissingGroups,
  };
  return inTransaction(ctx.prisma, async (tx) => {
    const org = await requireOrganization(tx, organizationId);
    const ids = unique(mapping.flatMap((m) => m.targets)).map((t) => [t, parseId("Group", t)] as const);
    // Groups of this organization only; Everyone's membership is implicit and cannot be synced.
    const found = await tx.group.findMany({
      where: { organizationId, isEveryone: false, id: { in: ids.flatMap(([, id]) => (id ? [id] : [])) } },
      select: { id: true },
    });
    const existing = new Set(found.map((g) => g.id));
    const valid = new Set(ids.filter(([, id]) => id !== null && existing.has(id)).map(([target]) => target));
    ensure(...unknownTargets(mapping, (t) => valid.has(t), "group id in this organization"));
    const before = await readGroupSyncSettings(tx, organizationId);
    const data = {
      field: settings.field,
      mapping: settings.mapping,
      regexFilter: settings.regexFilter,
      autoCreateMissingGroups: settings.autoCreateMissingGroups,
    };
    await tx.groupSyncSettings.upsert({ where: { organizationId }, create: { organizationId, ...data }, update: data });
    await recordAudit(tx, auditMeta(ctx), {
      action: "UPDATE",
      resourceType: "IDPSYNC_SETTINGS",
      resourceName: `group-sync:${org.name}`,
      organizationId,
      diff: { from: before, to: settings },
    });
    return { settings };
  });
}

export async function updateRoleSyncSettings(
  ctx: Context,
  input: { organizationId: string; field: string; mapping: readonly ClaimMapping[] },
) {
  const organizationId = await writableOrganization(ctx, input.organizationId);
  const mapping = mappingInput(input.mapping);
  ensure(checkField(input.field), ...checkMappingShape(mapping));
  const settings: RoleSyncView = { field: input.field, mapping };
  return inTransaction(ctx.prisma, async (tx) => {
    const org = await requireOrganization(tx, organizationId);
    const custom = await tx.customRole.findMany({ where: { organizationId }, select: { name: true } });
    const roles = new Set([...EXPLICIT_ORG_ROLE_NAMES, ...custom.map((r) => r.name)]);
    ensure(...unknownTargets(mapping, (t) => roles.has(t), "organization role"));
    const before = await readRoleSyncSettings(tx, organizationId);
    const data = { field: settings.field, mapping: settings.mapping };
    await tx.roleSyncSettings.upsert({ where: { organizationId }, create: { organizationId, ...data }, update: data });
    await recordAudit(tx, auditMeta(ctx), {
      action: "UPDATE",
      resourceType: "IDPSYNC_SETTINGS",
      resourceName: `role-sync:${org.name}`,
      organizationId,
      diff: { from: before, to: settings },
    });
    return { settings };
  });
}
