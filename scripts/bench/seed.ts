// Deterministic benchmark data, written with set-based SQL (seconds for 100k users):
// 100 organizations (org-000 has 1,000 members, the rest share the users), one ready template
// per organization whose Everyone group may use it, one workspace per user, and the actors the
// workloads run as. Ids are md5-derived, so every run sees the same rows. Builds cost 1 credit a
// day and every Everyone group allows 1,000,000, so W3's quota check runs and always passes.
import type { Raw } from "../../src/db/database.js";

export const ORGANIZATIONS = 100;
export const BIG_ORGANIZATION_MEMBERS = 1000;
/** Workspaces of the W1 actor, spread over this many organizations. */
export const W1_WORKSPACES = 20;
export const W1_ORGANIZATIONS = 5;
/** The organization (index) where the W3 actor creates workspaces: none of the W1 actor's. */
export const W3_ORGANIZATION = 6;
const QUOTA_ALLOWANCE = 1_000_000;

const uuid = (kind: string, index: string) => `md5('${kind}-' || ${index})::uuid`;

/** Users u-000000..u-(n-1); each is a member of org 1 + i % 99 and (the first 1,000) of org-000. */
export async function seed(raw: Raw, users: number, passwordHash: string): Promise<void> {
  await raw.exec(`
    INSERT INTO "Organization" ("id", "name", "displayName", "updatedAt")
      SELECT ${uuid("org", "o")}, 'org-' || lpad(o::text, 3, '0'), 'Org ' || o, now()
      FROM generate_series(0, ${ORGANIZATIONS - 1}) o;
    INSERT INTO "Group" ("id", "organizationId", "name", "isEveryone", "quotaAllowance", "updatedAt")
      SELECT ${uuid("everyone", "o")}, ${uuid("org", "o")}, 'Everyone', true, ${QUOTA_ALLOWANCE}, now() FROM generate_series(0, ${ORGANIZATIONS - 1}) o;
    INSERT INTO "Group" ("id", "organizationId", "name", "updatedAt")
      SELECT ${uuid("ops", "o")}, ${uuid("org", "o")}, 'ops', now() FROM generate_series(0, ${ORGANIZATIONS - 1}) o;
    INSERT INTO "ProvisionerJob" ("id", "organizationId", "type", "status", "updatedAt", "completedAt")
      SELECT ${uuid("job", "o")}, ${uuid("org", "o")}, 'TEMPLATE_VERSION_IMPORT', 'SUCCEEDED', now(), now()
      FROM generate_series(0, ${ORGANIZATIONS - 1}) o;
    INSERT INTO "TemplateVersion" ("id", "organizationId", "name", "dailyCost", "jobId")
      SELECT ${uuid("version", "o")}, ${uuid("org", "o")}, 'v1', 1, ${uuid("job", "o")} FROM generate_series(0, ${ORGANIZATIONS - 1}) o;
    INSERT INTO "Template" ("id", "organizationId", "name", "displayName", "activeVersionId", "updatedAt")
      SELECT ${uuid("template", "o")}, ${uuid("org", "o")}, 'tpl-' || o, 'Template ' || o, ${uuid("version", "o")}, now()
      FROM generate_series(0, ${ORGANIZATIONS - 1}) o;
    UPDATE "TemplateVersion" v SET "templateId" = t."id" FROM "Template" t WHERE t."activeVersionId" = v."id";
    INSERT INTO "TemplateGroupAcl" ("templateId", "groupId", "role")
      SELECT ${uuid("template", "o")}, ${uuid("everyone", "o")}, 'USE' FROM generate_series(0, ${ORGANIZATIONS - 1}) o;

    INSERT INTO "User" ("id", "username", "email", "passwordHash", "updatedAt", "createdAt")
      SELECT ${uuid("user", "i")}, 'u-' || lpad(i::text, 6, '0'), 'u-' || lpad(i::text, 6, '0') || '@bench.test',
             '${passwordHash}', now(), now() + i * interval '1 millisecond'
      FROM generate_series(0, ${users - 1}) i;
    INSERT INTO "OrganizationMember" ("organizationId", "userId", "updatedAt", "createdAt")
      SELECT ${uuid("org", "(1 + i % 99)")}, ${uuid("user", "i")}, now(), now() + i * interval '1 millisecond'
      FROM generate_series(0, ${users - 1}) i;
    INSERT INTO "OrganizationMember" ("organizationId", "userId", "updatedAt", "createdAt")
      SELECT ${uuid("org", "0")}, ${uuid("user", "i")}, now(), now() + i * interval '1 millisecond'
      FROM generate_series(0, ${BIG_ORGANIZATION_MEMBERS - 1}) i;
    INSERT INTO "GroupMember" ("groupId", "userId", "organizationId")
      SELECT ${uuid("ops", "0")}, ${uuid("user", "i")}, ${uuid("org", "0")} FROM generate_series(0, ${BIG_ORGANIZATION_MEMBERS - 1}, 2) i;
    INSERT INTO "Workspace" ("id", "organizationId", "ownerId", "templateId", "name", "updatedAt")
      SELECT ${uuid("ws", "i")}, ${uuid("org", "(1 + i % 99)")}, ${uuid("user", "i")}, ${uuid("template", "(1 + i % 99)")},
             'ws-' || i, now()
      FROM generate_series(0, ${users - 1}) i;
  `);
  await seedActors(raw, passwordHash);
  await raw.exec(`ANALYZE`);
}

/**
 * bench-owner (site owner), bench-admin (organization-admin of org-000), bench-member (the W1
 * actor: member of org-001..org-005 with W1_WORKSPACES workspaces among them), bench-creator (the
 * W3 actor, member of W3_ORGANIZATION: what it creates never shows in W1's list).
 */
async function seedActors(raw: Raw, passwordHash: string): Promise<void> {
  await raw.exec(`
    INSERT INTO "User" ("id", "username", "email", "passwordHash", "siteRoles", "updatedAt") VALUES
      (${uuid("actor", "'owner'")}, 'bench-owner', 'bench-owner@bench.test', '${passwordHash}', ARRAY['owner'], now()),
      (${uuid("actor", "'admin'")}, 'bench-admin', 'bench-admin@bench.test', '${passwordHash}', ARRAY[]::text[], now()),
      (${uuid("actor", "'member'")}, 'bench-member', 'bench-member@bench.test', '${passwordHash}', ARRAY[]::text[], now()),
      (${uuid("actor", "'creator'")}, 'bench-creator', 'bench-creator@bench.test', '${passwordHash}', ARRAY[]::text[], now());
    INSERT INTO "OrganizationMember" ("organizationId", "userId", "roles", "updatedAt") VALUES
      (${uuid("org", "0")}, ${uuid("actor", "'admin'")}, ARRAY['organization-admin'], now());
    INSERT INTO "OrganizationMember" ("organizationId", "userId", "updatedAt")
      SELECT ${uuid("org", "o")}, ${uuid("actor", "'member'")}, now() FROM generate_series(1, ${W1_ORGANIZATIONS}) o;
    INSERT INTO "OrganizationMember" ("organizationId", "userId", "updatedAt") VALUES
      (${uuid("org", String(W3_ORGANIZATION))}, ${uuid("actor", "'creator'")}, now());
    INSERT INTO "Workspace" ("id", "organizationId", "ownerId", "templateId", "name", "updatedAt")
      SELECT ${uuid("member-ws", "i")}, ${uuid("org", `(1 + i % ${W1_ORGANIZATIONS})`)}, ${uuid("actor", "'member'")},
             ${uuid("template", `(1 + i % ${W1_ORGANIZATIONS})`)}, 'mine-' || i, now()
      FROM generate_series(0, ${W1_WORKSPACES - 1}) i;
  `);
}

/** The global-id uuid of a seeded row, for the workloads' variables and checks. */
export async function idOf(raw: Raw, kind: string, index: string): Promise<string> {
  const rows = await raw.query<{ id: string }>(`SELECT md5($1)::uuid::text AS id`, [`${kind}-${index}`]);
  return rows[0]?.id as string;
}
