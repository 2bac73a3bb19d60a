// After the soak: the database against what the clients were told. Every acknowledged write
// exists exactly once with exactly one audit row (written by one of its own attempts), nothing
// refused was written, nothing exists that no client asked for, no member is over quota, and
// every object any answer contained belongs to a tenant of the viewer.
import type pg from "pg";
import type { Seeded } from "./seed.js";
import type { Attempt, Workload } from "./workload.js";

export type Verdict = { name: string; ok: boolean; detail: string };

type AuditRow = {
  action: string;
  resourceType: string;
  resourceId: string | null;
  requestId: string | null;
  buildNumber: string | null;
  displayName: string | null;
};

/** Per member and organization: what their non-deleted workspaces' latest builds cost, and their budget. */
export const QUOTA_SQL = `
  SELECT u.username, o.name AS organization, COALESCE(c.consumed, 0)::int AS consumed, COALESCE(b.budget, 0)::int AS budget
  FROM "OrganizationMember" m
  JOIN "User" u ON u.id = m."userId"
  JOIN "Organization" o ON o.id = m."organizationId"
  LEFT JOIN LATERAL (
    SELECT SUM(latest."dailyCost") AS consumed FROM "Workspace" w
    CROSS JOIN LATERAL (SELECT "dailyCost" FROM "WorkspaceBuild" b WHERE b."workspaceId" = w.id
                        ORDER BY "buildNumber" DESC LIMIT 1) latest
    WHERE w."ownerId" = m."userId" AND w."organizationId" = m."organizationId" AND NOT w.deleted) c ON true
  LEFT JOIN LATERAL (
    SELECT SUM(g."quotaAllowance") AS budget FROM "Group" g
    WHERE g."organizationId" = m."organizationId"
      AND (g."isEveryone" OR EXISTS (SELECT 1 FROM "GroupMember" gm WHERE gm."groupId" = g.id AND gm."userId" = m."userId"))) b ON true`;

const ids = (attempts: Attempt[]) => new Set(attempts.map((a) => a.requestId));
const DEFINITE_REFUSALS = (code: string) => code !== "OK" && code !== "SERVICE_UNAVAILABLE" && code !== "NETWORK";

export async function verify(client: pg.Client, seeded: Seeded, workload: Workload): Promise<Verdict[]> {
  const problems = {
    workspaces: [] as string[],
    builds: [] as string[],
    groups: [] as string[],
    refusedWrote: [] as string[],
    quota: [] as string[],
    isolation: [] as string[],
  };
  const note = (list: string[], problem: string) => {
    if (list.length < 20) list.push(problem);
    else if (list.length === 20) list.push("…");
  };

  const workspaces = (
    await client.query<{ id: string; name: string; ownerId: string; organizationId: string; deleted: boolean }>(
      `SELECT id, name, "ownerId", "organizationId", deleted FROM "Workspace"`,
    )
  ).rows;
  const builds = (
    await client.query<{ workspaceId: string; buildNumber: number; transition: string }>(
      `SELECT "workspaceId", "buildNumber", transition FROM "WorkspaceBuild" WHERE "workspaceId" IS NOT NULL`,
    )
  ).rows;
  const audits = (
    await client.query<AuditRow>(
      `SELECT action, "resourceType", "resourceId", "requestId", diff->>'buildNumber' AS "buildNumber",
              diff->'displayName'->>'to' AS "displayName" FROM "AuditLog"`,
    )
  ).rows;
  const groups = (
    await client.query<{ id: string; name: string; organizationId: string; displayName: string }>(
      `SELECT id, name, "organizationId", "displayName" FROM "Group"`,
    )
  ).rows;
  const keys = (
    await client.query<{ userId: string; key: string; resourceId: string | null }>(
      `SELECT "userId", key, "resourceId" FROM "IdempotencyKey"`,
    )
  ).rows;
  const auditsOf = (type: string, resourceId: string, action?: string) =>
    audits.filter((a) => a.resourceType === type && a.resourceId === resourceId && (!action || a.action === action));

  // Workspaces: acknowledged ones exactly once, refused ones never, unresolved ones at most once.
  const byOwnerAndName = new Map<string, typeof workspaces>();
  for (const w of workspaces) {
    const key = `${w.ownerId}/${w.name}`;
    byOwnerAndName.set(key, [...(byOwnerAndName.get(key) ?? []), w]);
  }
  const keyOf = new Map(keys.map((k) => [`${k.userId}/${k.key}`, k.resourceId]));
  const asked = new Set<string>();
  let landedUnacknowledged = 0;
  for (const op of workload.workspaceCreates) {
    const key = `${op.actor.userId}/${op.name}`;
    asked.add(key);
    const rows = byOwnerAndName.get(key) ?? [];
    if (op.outcome === "ok") {
      if (rows.length !== 1 || rows[0]?.id !== op.id) {
        note(problems.workspaces, `acknowledged ${op.name} stored ${rows.length} times`);
        continue;
      }
      const created = auditsOf("WORKSPACE", op.id as string, "CREATE");
      if (created.length !== 1 || !ids(op.attempts).has(created[0]?.requestId ?? "")) {
        note(problems.workspaces, `${op.name}: ${created.length} CREATE audit rows, not one of its own`);
      }
      if (keyOf.get(`${op.actor.userId}/${op.key}`) !== op.id)
        note(problems.workspaces, `${op.name}: idempotency key not recorded`);
    } else if (op.outcome === "refused") {
      if (rows.length > 0) note(problems.workspaces, `${op.name} was refused (quota) but stored`);
    } else {
      if (rows.length > 1) note(problems.workspaces, `unacknowledged ${op.name} stored ${rows.length} times`);
      landedUnacknowledged += rows.length;
    }
  }
  const seededUsers = new Set(seeded.users.map((u) => u.userId));
  for (const w of workspaces) {
    if (seededUsers.has(w.ownerId) && !asked.has(`${w.ownerId}/${w.name}`))
      note(problems.workspaces, `${w.name} was never asked for`);
    const created = auditsOf("WORKSPACE", w.id, "CREATE").length;
    if (created !== 1) note(problems.workspaces, `${w.name}: ${created} CREATE audit rows`);
  }

  // Builds: numbered 1..n, one audit row each; acknowledged transitions are there, by their own request.
  const buildsOf = new Map<string, typeof builds>();
  for (const b of builds) buildsOf.set(b.workspaceId, [...(buildsOf.get(b.workspaceId) ?? []), b]);
  let committedUnacknowledged = 0;
  for (const w of workspaces) {
    const numbers = (buildsOf.get(w.id) ?? []).map((b) => b.buildNumber).sort((a, b) => a - b);
    if (numbers.some((n, i) => n !== i + 1)) note(problems.builds, `${w.name}: build numbers ${numbers}`);
    const transitions = audits.filter(
      (a) => a.resourceType === "WORKSPACE" && a.resourceId === w.id && a.action !== "CREATE",
    );
    const audited = new Set(transitions.map((a) => Number(a.buildNumber)));
    if (transitions.length !== numbers.length - 1 || audited.size !== transitions.length) {
      note(problems.builds, `${w.name}: ${numbers.length} builds, ${transitions.length} transition audit rows`);
    }
    if (w.deleted !== (buildsOf.get(w.id) ?? []).some((b) => b.transition === "DELETE")) {
      note(problems.builds, `${w.name}: deleted=${w.deleted} disagrees with its builds`);
    }
  }
  const acknowledgedBuilds = new Set<string>();
  for (const op of workload.transitions) {
    if (op.outcome !== "ok") continue;
    acknowledgedBuilds.add(`${op.workspaceId}/${op.buildNumber}`);
    const build = (buildsOf.get(op.workspaceId) ?? []).find((b) => b.buildNumber === op.buildNumber);
    if (build?.transition !== op.transition)
      note(problems.builds, `acknowledged ${op.transition} build ${op.buildNumber} missing`);
    const audit = audits.filter(
      (a) => a.resourceId === op.workspaceId && a.action !== "CREATE" && Number(a.buildNumber) === op.buildNumber,
    );
    const final = op.attempts.at(-1) as Attempt;
    if (audit.length !== 1 || audit[0]?.requestId !== final.requestId) {
      note(
        problems.builds,
        `acknowledged ${op.transition} build ${op.buildNumber}: audit rows ${audit.length}, not its request's`,
      );
    }
  }
  for (const b of builds) {
    if (b.buildNumber > 1 && !acknowledgedBuilds.has(`${b.workspaceId}/${b.buildNumber}`)) committedUnacknowledged++;
  }

  // Groups: acknowledged (or confirmed by NAME_TAKEN on a retry) exactly once; updates by their own request.
  const seededGroups = new Set(seeded.tenants.flatMap((t) => [t.everyoneGroupId, t.bigGroupId]));
  const groupsByName = new Map<string, typeof groups>();
  for (const g of groups)
    groupsByName.set(`${g.organizationId}/${g.name}`, [
      ...(groupsByName.get(`${g.organizationId}/${g.name}`) ?? []),
      g,
    ]);
  const groupNames = new Set<string>();
  for (const op of workload.groupCreates) {
    const organizationId = seeded.tenants[op.tenant]?.organizationId;
    groupNames.add(`${organizationId}/${op.name}`);
    const rows = groupsByName.get(`${organizationId}/${op.name}`) ?? [];
    if (op.outcome === "ok" || op.outcome === "confirmed") {
      if (rows.length !== 1 || (op.id && rows[0]?.id !== op.id)) {
        note(problems.groups, `acknowledged group ${op.name} stored ${rows.length} times`);
        continue;
      }
      const created = auditsOf("GROUP", rows[0]?.id as string, "CREATE");
      if (created.length !== 1 || !ids(op.attempts).has(created[0]?.requestId ?? "")) {
        note(problems.groups, `${op.name}: ${created.length} CREATE audit rows, not one of its own`);
      }
    } else if (rows.length > 1) {
      note(problems.groups, `unacknowledged group ${op.name} stored ${rows.length} times`);
    }
  }
  for (const g of groups) {
    if (g.name !== "Everyone" && !seededGroups.has(g.id) && !groupNames.has(`${g.organizationId}/${g.name}`)) {
      note(problems.groups, `group ${g.name} was never asked for`);
    }
  }
  const lastUpdate = new Map<string, (typeof workload.groupUpdates)[number]>();
  for (const op of [...workload.groupUpdates].sort((a, b) => a.end - b.end)) {
    if (op.outcome === "ok") {
      // A retry after an attempt that committed changes nothing and writes no audit row.
      const own = ids(op.attempts);
      const audit = audits.filter(
        (a) => a.resourceType === "GROUP" && a.action === "UPDATE" && own.has(a.requestId ?? ""),
      );
      if (audit.length !== 1 || audit[0]?.resourceId !== op.groupId || audit[0]?.displayName !== op.displayName) {
        note(problems.groups, `update of ${op.groupId} to ${op.displayName}: ${audit.length} audit rows`);
      }
    }
    lastUpdate.set(op.groupId, op);
  }
  for (const [groupId, op] of lastUpdate) {
    const stored = groups.find((g) => g.id === groupId)?.displayName;
    if (op.outcome === "ok" && stored !== op.displayName) {
      note(problems.groups, `group ${groupId}: stored "${stored}", last acknowledged "${op.displayName}"`);
    }
  }

  // Refused attempts wrote nothing (audit rows carry the request id of the request that wrote).
  const auditByRequest = new Map<string, number>();
  for (const a of audits) if (a.requestId) auditByRequest.set(a.requestId, (auditByRequest.get(a.requestId) ?? 0) + 1);
  let unavailableButCommitted = 0;
  const writes = [
    ...workload.workspaceCreates,
    ...workload.transitions,
    ...workload.groupCreates,
    ...workload.groupUpdates,
  ];
  for (const op of writes) {
    for (const attempt of op.attempts) {
      const written = auditByRequest.get(attempt.requestId) ?? 0;
      if (written === 0) continue;
      if (DEFINITE_REFUSALS(attempt.code))
        note(problems.refusedWrote, `${attempt.kind} answered ${attempt.code} but wrote`);
      else if (attempt.code !== "OK") unavailableButCommitted++;
    }
  }

  // Quota: no member over budget in any organization, now (the run sampled it too).
  const quota = (
    await client.query<{ username: string; organization: string; consumed: number; budget: number }>(QUOTA_SQL)
  ).rows;
  for (const q of quota)
    if (q.consumed > q.budget) note(problems.quota, `${q.username} in ${q.organization}: ${q.consumed} > ${q.budget}`);
  const atQuota = quota.filter((q) => q.consumed === q.budget && q.budget > 0).length;
  const refusals = workload.attempts.filter((a) => a.code === "QUOTA_EXCEEDED").length;

  // Isolation: every object in any answer belongs to one of the viewer's tenants.
  const tenantOfOrganization = new Map(seeded.tenants.map((t) => [t.organizationId, t.index]));
  const owners = new Map<string, Set<number>>();
  const add = (id: string, organizationId: string) => {
    const tenant = tenantOfOrganization.get(organizationId);
    if (tenant === undefined) return;
    owners.set(id, new Set([...(owners.get(id) ?? []), tenant]));
  };
  for (const t of seeded.tenants) {
    add(t.organizationId, t.organizationId);
    add(t.templateId, t.organizationId);
  }
  for (const g of groups) add(g.id, g.organizationId);
  for (const w of workspaces) add(w.id, w.organizationId);
  for (const u of seeded.users) for (const t of u.tenants) add(u.userId, seeded.tenants[t]?.organizationId as string);
  let checkedIds = 0;
  for (const [actorIndex, seen] of workload.seen) {
    const user = seeded.users[actorIndex];
    if (!user) continue;
    for (const typed of seen) {
      checkedIds++;
      const uuid = typed.split(":")[1] ?? "";
      const tenants = owners.get(uuid);
      if (!tenants || !user.tenants.some((t) => tenants.has(t))) {
        note(problems.isolation, `${user.username} was shown ${typed} (tenants ${tenants ? [...tenants] : "none"})`);
      }
    }
  }
  for (const leak of workload.leaks) note(problems.isolation, leak);

  const count = (outcome: string, list: { outcome: string }[]) => list.filter((o) => o.outcome === outcome).length;
  const summary = (list: { outcome: string }[]) =>
    `${count("ok", list)} acknowledged, ${count("confirmed", list)} confirmed on retry, ${count("refused", list)} refused, ${count("unresolved", list)} unresolved`;
  const verdict = (name: string, list: string[], detail: string): Verdict => ({
    name,
    ok: list.length === 0,
    detail: list.length === 0 ? detail : list.join("; "),
  });
  return [
    verdict(
      "workspaces: every acknowledged create exists exactly once, one audit row, refused ones never",
      problems.workspaces,
      `${summary(workload.workspaceCreates)}; ${workspaces.length} rows; ${landedUnacknowledged} unacknowledged landed once`,
    ),
    verdict(
      "builds: numbered 1..n, one audit row each, acknowledged transitions present by their own request",
      problems.builds,
      `${summary(workload.transitions)}; ${builds.length} builds; ${committedUnacknowledged} committed without an acknowledgement`,
    ),
    verdict(
      "groups: acknowledged creates exactly once with one audit row, updates stored and audited once",
      problems.groups,
      `creates ${summary(workload.groupCreates)}; updates ${summary(workload.groupUpdates)}`,
    ),
    verdict(
      "refused requests wrote nothing",
      problems.refusedWrote,
      `${unavailableButCommitted} attempts answered 503/network error after committing`,
    ),
    verdict(
      "quota: no member over budget (final state)",
      problems.quota,
      `${quota.length} member-organizations, ${atQuota} at their budget, ${refusals} QUOTA_EXCEEDED answers`,
    ),
    {
      name: "quota was exercised (some creates refused)",
      ok: refusals > 0,
      detail: `${refusals} QUOTA_EXCEEDED answers`,
    },
    verdict(
      "isolation: no answer contained another tenant's data",
      problems.isolation,
      `${checkedIds} (viewer, object) pairs checked, ${workload.foreignLookups} foreign node lookups all null`,
    ),
  ];
}
