// The soak's tenants, written with SQL: per tenant an organization, a ready template (its import
// job succeeded, every member may use it), an admin and members, some of whom also belong to
// the next tenant. Every name starts with its tenant's tag (`t0-`, `t1-`...), so a response
// that carries another tenant's data is easy to spot. Quotas are small, so members hit them.
import { randomUUID } from "node:crypto";
import type pg from "pg";

/** Every soak template costs this per day; the Everyone allowance and the `big` group's bound the budget. */
export const DAILY_COST = 1;
export const EVERYONE_ALLOWANCE = 2;
export const BIG_GROUP_ALLOWANCE = 3;

export type Tenant = {
  index: number;
  tag: string;
  organizationId: string;
  organizationName: string;
  templateId: string;
  everyoneGroupId: string;
  bigGroupId: string;
};

export type SeededUser = {
  userId: string;
  username: string;
  email: string;
  /** Tenant indices of the organizations the user belongs to (the first is their own). */
  tenants: number[];
  /** The tenant whose organization-admin they are, if any. */
  adminOf: number | null;
};

export type Seeded = { tenants: Tenant[]; users: SeededUser[] };

export async function seedTenants(
  client: pg.Client,
  count: number,
  membersPerTenant: number,
  passwordHash: string,
): Promise<Seeded> {
  const tenants: Tenant[] = Array.from({ length: count }, (_, index) => ({
    index,
    tag: `t${index}`,
    organizationId: randomUUID(),
    organizationName: `t${index}-org`,
    templateId: randomUUID(),
    everyoneGroupId: randomUUID(),
    bigGroupId: randomUUID(),
  }));
  const users: SeededUser[] = [];
  for (const tenant of tenants) {
    const admin = `${tenant.tag}-admin`;
    users.push({
      userId: randomUUID(),
      username: admin,
      email: `${admin}@soak.test`,
      tenants: [tenant.index],
      adminOf: tenant.index,
    });
    for (let m = 0; m < membersPerTenant; m++) {
      const username = `${tenant.tag}-m${m}`;
      // Even members also belong to the next tenant: their lists span two organizations.
      const memberOf = m % 2 === 0 && count > 1 ? [tenant.index, (tenant.index + 1) % count] : [tenant.index];
      users.push({ userId: randomUUID(), username, email: `${username}@soak.test`, tenants: memberOf, adminOf: null });
    }
  }

  await client.query("BEGIN");
  for (const t of tenants) {
    const jobId = randomUUID();
    const versionId = randomUUID();
    await client.query(`INSERT INTO "Organization" (id, name, "displayName", "updatedAt") VALUES ($1, $2, $3, now())`, [
      t.organizationId,
      t.organizationName,
      `Tenant ${t.index}`,
    ]);
    await client.query(
      `INSERT INTO "Group" (id, "organizationId", name, "isEveryone", "quotaAllowance", "updatedAt")
       VALUES ($1, $2, 'Everyone', true, $3, now()), ($4, $2, $5, false, $6, now())`,
      [t.everyoneGroupId, t.organizationId, EVERYONE_ALLOWANCE, t.bigGroupId, `${t.tag}-big`, BIG_GROUP_ALLOWANCE],
    );
    await client.query(
      `INSERT INTO "ProvisionerJob" (id, "organizationId", type, status, "updatedAt", "completedAt")
       VALUES ($1, $2, 'TEMPLATE_VERSION_IMPORT', 'SUCCEEDED', now(), now())`,
      [jobId, t.organizationId],
    );
    await client.query(
      `INSERT INTO "TemplateVersion" (id, "organizationId", name, "jobId", "dailyCost") VALUES ($1, $2, 'v1', $3, $4)`,
      [versionId, t.organizationId, jobId, DAILY_COST],
    );
    await client.query(
      `INSERT INTO "Template" (id, "organizationId", name, "displayName", "activeVersionId", "updatedAt")
       VALUES ($1, $2, $3, $3, $4, now())`,
      [t.templateId, t.organizationId, `${t.tag}-tpl`, versionId],
    );
    await client.query(`UPDATE "TemplateVersion" SET "templateId" = $1 WHERE id = $2`, [t.templateId, versionId]);
    await client.query(`INSERT INTO "TemplateGroupAcl" ("templateId", "groupId", role) VALUES ($1, $2, 'USE')`, [
      t.templateId,
      t.everyoneGroupId,
    ]);
  }
  for (const u of users) {
    await client.query(
      `INSERT INTO "User" (id, username, email, "passwordHash", "updatedAt") VALUES ($1, $2, $3, $4, now())`,
      [u.userId, u.username, u.email, passwordHash],
    );
    for (const index of u.tenants) {
      const tenant = tenants[index] as Tenant;
      const roles = u.adminOf === index ? ["organization-admin"] : [];
      await client.query(
        `INSERT INTO "OrganizationMember" ("organizationId", "userId", roles, "updatedAt") VALUES ($1, $2, $3, now())`,
        [tenant.organizationId, u.userId, roles],
      );
    }
    // Members 2, 3, 6, 7... get the `big` group's allowance in their own organization on top of Everyone's.
    const own = tenants[u.tenants[0] as number] as Tenant;
    if (u.adminOf === null && Number(u.username.split("-m")[1]) % 4 >= 2) {
      await client.query(`INSERT INTO "GroupMember" ("groupId", "userId", "organizationId") VALUES ($1, $2, $3)`, [
        own.bigGroupId,
        u.userId,
        own.organizationId,
      ]);
    }
  }
  await client.query("COMMIT");
  return { tenants, users };
}
