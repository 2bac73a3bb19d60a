// IdP sync settings: organization sync (deployment-wide, one row), group and role sync (per
// organization). Mapping targets are stored as the client gave them (global ids for
// organizations and groups, names for roles) and validated against what exists when saved.

import { recordAudit } from "../../audit/audit.js";
import { assertAllowed, auditMeta } from "../../authz/assert.js";
import { can, canAssignRole } from "../../authz/evaluator.js";
import { EXPLICIT_ORG_ROLE_NAMES } from "../../authz/roles.js";
import type { ServiceContext } from "../../context.js";
import { defaultOrganizationId } from "../../db/default-organization.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { notFound, type UserError } from "../../graphql/errors.js";
import { decodeId, parseId } from "../../graphql/ids.js";
import { type Check, checkText, ensure, invalidInput } from "../shared/validation.js";
import { compileIdpRegex } from "./idp-sync.regex.js";

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

function checkField(field: string): Check {
  if (field.length > MAX_FIELD_LENGTH)
    return invalidInput(["input", "field"], `Field must be at most ${MAX_FIELD_LENGTH} characters.`);
  if (field.trim() !== field) return invalidInput(["input", "field"], "Field must not start or end with whitespace.");
  return checkText(field, ["input", "field"], MAX_FIELD_LENGTH, "Field");
}

/** Shape rules every mapping follows: bounded sizes, unique non-empty claim values. */
function checkMappingShape(mapping: readonly ClaimMapping[]): Check[] {
  if (mapping.length > MAX_MAPPINGS) return [invalidInput(["input", "mapping"], `At most ${MAX_MAPPINGS} mappings.`)];
  const seen = new Set<string>();
  return mapping.flatMap((entry, i) => {
    const at = ["input", "mapping", String(i)];
    const problems: Check[] = [];
    if (entry.claimValue.length === 0 || entry.claimValue.length > MAX_CLAIM_VALUE_LENGTH) {
      problems.push(
        invalidInput([...at, "claimValue"], `Claim values must be 1-${MAX_CLAIM_VALUE_LENGTH} characters.`),
      );
    } else if (seen.has(entry.claimValue)) {
      problems.push(invalidInput([...at, "claimValue"], `The claim value "${entry.claimValue}" is mapped twice.`));
    }
    seen.add(entry.claimValue);
    if (entry.targets.length > MAX_TARGETS) {
      problems.push(invalidInput([...at, "targets"], `At most ${MAX_TARGETS} targets per claim value.`));
    }
    return problems;
  });
}

type TargetProblem = Omit<UserError, "field"> | undefined;

/** The problem `problemOf` finds with each target, at the target's input path. */
function targetErrors(mapping: readonly ClaimMapping[], problemOf: (target: string) => TargetProblem): Check[] {
  return mapping.flatMap((entry, i) =>
    entry.targets.flatMap((target, j) => {
      const problem = problemOf(target);
      return problem ? [{ ...problem, field: ["input", "mapping", String(i), "targets", String(j)] }] : [];
    }),
  );
}

const unknownTarget = (what: string, target: string): TargetProblem => ({
  code: "INVALID_INPUT",
  message: `Unknown ${what}: "${target}".`,
});

// Saving sync settings hands their powers to every future login: the editor must hold each of
// them (the codes are those of the direct operations: FORBIDDEN, ROLE_NOT_ASSIGNABLE).
const forbidden = (message: string): TargetProblem => ({ code: "FORBIDDEN", message });
const notAssignable = (message: string): TargetProblem => ({ code: "ROLE_NOT_ASSIGNABLE", message });
const atInput = (problem: TargetProblem, field: string): Check => problem && { ...problem, field: ["input", field] };

function checkRegex(pattern: string | null): Check {
  if (pattern === null) return undefined;
  const compiled = compileIdpRegex(pattern);
  return "problem" in compiled
    ? invalidInput(["input", "regexFilter"], `The regex filter ${compiled.problem}.`)
    : undefined;
}

const unique = (values: readonly string[]) => [...new Set(values)];
const mappingInput = (mapping: readonly ClaimMapping[]): ClaimMapping[] =>
  mapping.map((m) => ({ claimValue: m.claimValue, targets: unique(m.targets) }));

// ---- writes

export async function updateOrganizationSyncSettings(
  ctx: ServiceContext,
  input: { field: string; mapping: readonly ClaimMapping[]; assignDefault: boolean },
) {
  const { subject } = await ctx.viewer.require();
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
    const idOf = new Map(ids.filter(([, id]) => id !== null && existing.has(id)) as [string, string][]);
    // Sync adds the user to the mapped organizations (and the default one when assigned).
    const mayAddMembers = (organizationId: string) =>
      can(subject, "CREATE", { type: "ORGANIZATION_MEMBER", organizationId });
    const defaultId = await defaultOrganizationId(tx);
    ensure(
      ...targetErrors(mapping, (t) => {
        const id = idOf.get(t);
        if (id === undefined) return unknownTarget("organization id", t);
        return mayAddMembers(id) ? undefined : forbidden("You may not add members to this organization.");
      }),
      atInput(
        settings.assignDefault && !mayAddMembers(defaultId)
          ? forbidden("You may not add members to the default organization.")
          : undefined,
        "assignDefault",
      ),
    );
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
async function writableOrganization(ctx: ServiceContext, organizationGlobalId: string) {
  const { subject } = await ctx.viewer.require();
  const organizationId = decodeId("Organization", organizationGlobalId, "organization");
  await ctx.viewer.assert("READ", { type: "ORGANIZATION", organizationId }, "organization");
  assertAllowed(subject, "UPDATE", { type: "IDPSYNC_SETTINGS", organizationId });
  return { subject, organizationId };
}

async function requireOrganization(tx: Db, organizationId: string) {
  const org = await tx.organization.findUnique({ where: { id: organizationId }, select: { id: true, name: true } });
  if (!org) throw notFound("organization");
  return org;
}

export async function updateGroupSyncSettings(
  ctx: ServiceContext,
  input: {
    organizationId: string;
    field: string;
    mapping: readonly ClaimMapping[];
    regexFilter?: string | null;
    autoCreateMissingGroups: boolean;
  },
) {
  const { subject, organizationId } = await writableOrganization(ctx, input.organizationId);
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
    // Sync changes the members of the mapped groups and, while on, of any group a claim names.
    const mayManageGroups = can(subject, "UPDATE", { type: "GROUP", organizationId });
    const mayCreateGroups = can(subject, "CREATE", { type: "GROUP", organizationId });
    const groupsForbidden = forbidden("You may not change the members of this organization's groups.");
    ensure(
      ...targetErrors(mapping, (t) => {
        if (!valid.has(t)) return unknownTarget("group id in this organization", t);
        return mayManageGroups ? undefined : groupsForbidden;
      }),
      atInput(settings.field !== "" && !mayManageGroups ? groupsForbidden : undefined, "field"),
      atInput(
        settings.autoCreateMissingGroups && !mayCreateGroups
          ? forbidden("You may not create groups in this organization.")
          : undefined,
        "autoCreateMissingGroups",
      ),
    );
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
  ctx: ServiceContext,
  input: { organizationId: string; field: string; mapping: readonly ClaimMapping[] },
) {
  const { subject, organizationId } = await writableOrganization(ctx, input.organizationId);
  const mapping = mappingInput(input.mapping);
  ensure(checkField(input.field), ...checkMappingShape(mapping));
  const settings: RoleSyncView = { field: input.field, mapping };
  return inTransaction(ctx.prisma, async (tx) => {
    const org = await requireOrganization(tx, organizationId);
    const custom = await tx.customRole.findMany({ where: { organizationId }, select: { name: true } });
    const customNames = new Set(custom.map((r) => r.name));
    const roles = new Set([...EXPLICIT_ORG_ROLE_NAMES, ...customNames]);
    const assignable = (role: string) => canAssignRole(subject, role, organizationId, customNames.has(role));
    // While on, sync also grants any role a claim value names (unmapped values are tried as role
    // names), so turning it on needs the right to assign every role of the organization.
    const unassignable = [...roles].filter((role) => !assignable(role));
    ensure(
      ...targetErrors(mapping, (t) => {
        if (!roles.has(t)) return unknownTarget("organization role", t);
        return assignable(t) ? undefined : notAssignable(`You may not assign the role "${t}".`);
      }),
      atInput(
        settings.field !== "" && unassignable.length > 0
          ? notAssignable(
              `Role sync can grant any role of the organization; you may not assign: ${unassignable.join(", ")}.`,
            )
          : undefined,
        "field",
      ),
    );
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
