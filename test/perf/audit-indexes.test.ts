// The audit log's filters use indexes: on 100,000 events, the plan of each filter's first page
// (the WHERE and ORDER BY auditLogs sends: newest first, time then id) scans an index of
// AuditLog, never the whole table. The plans are in the README ("Audit log").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/harness.js";
import { seed } from "../support/seed.js";

let app: TestApp;
let ownerUuid: string;
const ROWS = 100_000;
const ORG = "0190e5f0-0000-7000-8000-000000000001";
const RESOURCE = "0190e5f0-0000-7000-8000-00000000abcd";

beforeAll(async () => {
  app = await createTestApp();
  const owner = await seed(app).owner();
  ownerUuid = (await app.prisma.user.findFirstOrThrow({ where: { username: owner.username } })).id;
  // 20 organizations, 14 resource types, 6 actions, 1% of events by the owner, a year of time.
  await app.prisma.$executeRawUnsafe(`
    INSERT INTO "AuditLog" (id, time, action, "resourceType", "resourceId", "resourceName", "actorId", "organizationId", diff)
    SELECT gen_random_uuid(),
           now() - (i % 365) * interval '1 day' - (i % 86400) * interval '1 second',
           (ARRAY['CREATE','UPDATE','DELETE','LOGIN','ADD_MEMBER','START'])[1 + i % 6],
           (ARRAY['USER','SESSION','API_KEY','ORGANIZATION','ORGANIZATION_MEMBER','CUSTOM_ROLE','GROUP',
                  'PROVISIONER_KEY','PROVISIONER_JOB','PROVISIONER_DAEMON','TEMPLATE','WORKSPACE',
                  'IDPSYNC_SETTINGS','SCIM_KEY'])[1 + i % 14],
           CASE WHEN i = 4242 THEN '${RESOURCE}' ELSE gen_random_uuid()::text END,
           'name-' || i,
           CASE WHEN i % 100 = 0 THEN '${ownerUuid}'::uuid END,
           CASE WHEN i % 21 = 0 THEN NULL ELSE ('0190e5f0-0000-7000-8000-0000000000' || lpad((i % 21)::text, 2, '0'))::uuid END,
           '{}'
    FROM generate_series(1, ${ROWS}) AS i`);
  await app.prisma.$executeRawUnsafe(`ANALYZE "AuditLog"`);
}, 300_000);
afterAll(async () => {
  await app?.close();
});

async function plan(where: string): Promise<string> {
  const rows = await app.prisma.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(
    `EXPLAIN SELECT * FROM "AuditLog" WHERE ${where} ORDER BY "time" DESC, id DESC LIMIT 51`,
  );
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

describe(`audit log filters on ${ROWS} events`, () => {
  const since = `"time" >= now() - interval '7 days'`;
  const cases: [string, () => string, RegExp][] = [
    ["no filter (site auditor)", () => "TRUE", /AuditLog_time_id_idx/],
    ["one organization", () => `"organizationId" = '${ORG}'`, /AuditLog_organizationId_time_id_idx/],
    ["an actor", () => `"actorId" = '${ownerUuid}'`, /AuditLog_actorId_time_id_idx/],
    ["a resource", () => `"resourceId" = '${RESOURCE}'`, /AuditLog_resourceId_time_id_idx/],
    ["resource types", () => `"resourceType" IN ('SCIM_KEY', 'WORKSPACE')`, /AuditLog_(resourceType|time)_/],
    ["actions", () => `action IN ('LOGIN')`, /AuditLog_(action|time)_/],
    ["a time range", () => since, /AuditLog_time_id_idx/],
    [
      "organization, action and time",
      () => `"organizationId" = '${ORG}' AND action = 'LOGIN' AND ${since}`,
      /AuditLog_/,
    ],
    ["name search", () => `"resourceName" ILIKE '%name-4242%'`, /AuditLog_time_id_idx|Seq Scan/],
  ];
  for (const [name, where, index] of cases) {
    it(`${name}: ${index.source}`, async () => {
      const text = await plan(where());
      expect(text).toMatch(index);
      // The name search alone has no index of its own (it filters the rows the others select).
      if (name !== "name search") expect(text).not.toMatch(/Seq Scan/);
    });
  }
});
