// The default organization every deployment has, with its Everyone group: seeded at start (and
// by the test set-up), then looked up by the services that place new users in it.
import type { Prisma } from "../generated/prisma/client.js";

type Db = Prisma.TransactionClient;

export const DEFAULT_ORGANIZATION_NAME = "default";
export const EVERYONE_GROUP_NAME = "Everyone";

/** Creates the default organization and its Everyone group when they do not exist yet. */
export async function ensureDefaultOrganization(db: Db): Promise<string> {
  const existing = await db.organization.findFirst({ where: { isDefault: true }, select: { id: true } });
  if (existing) return existing.id;
  // Concurrent first starts: the partial unique index lets one insert win; the other re-reads.
  const inserted = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO "Organization" (id, name, "displayName", "isDefault", "updatedAt")
    VALUES (gen_random_uuid(), ${DEFAULT_ORGANIZATION_NAME}, 'Default', true, now())
    ON CONFLICT DO NOTHING RETURNING id`;
  const id = inserted[0]?.id ?? (await defaultOrganizationId(db));
  await db.$executeRaw`
    INSERT INTO "Group" (id, "organizationId", name, "displayName", "isEveryone", "updatedAt")
    VALUES (gen_random_uuid(), ${id}::uuid, ${EVERYONE_GROUP_NAME}, '', true, now())
    ON CONFLICT DO NOTHING`;
  return id;
}

export async function defaultOrganizationId(db: Db): Promise<string> {
  const row = await db.organization.findFirst({ where: { isDefault: true }, select: { id: true } });
  if (!row) throw new Error("the default organization is missing");
  return row.id;
}
