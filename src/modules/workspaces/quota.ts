// Workspace quotas, per user per organization.
// Budget: the quota allowances of the user's groups there, the Everyone group included while
// they are a member. Consumed: the daily cost of the latest build of each of their non-deleted
// workspaces there, unless that build's job FAILED or was CANCELED (it provisioned nothing). Writes that may raise consumption take the owner's lock first, so the check
// and the insert are atomic on PostgreSQL and PGlite alike.
import { can } from "../../authz/evaluator.js";
import type { ServiceContext } from "../../context.js";
import type { Prisma, PrismaClient } from "../../generated/prisma/client.js";
import { userError } from "../../graphql/errors.js";

type Db = Prisma.TransactionClient | PrismaClient;

export type WorkspaceQuota = { creditsConsumed: number; budget: number };

/** Budget and consumption in one statement (the quota check runs inside the owner's lock). */
export async function workspaceQuota(db: Db, userId: string, organizationId: string): Promise<WorkspaceQuota> {
  // Summed in bigint: a few large allowances exceed a 32-bit int (the API clamps what it reports).
  const rows = await db.$queryRaw<{ budget: bigint; consumed: bigint }[]>`
    SELECT
      (SELECT COALESCE(SUM(g."quotaAllowance"), 0) FROM "Group" g
        WHERE g."organizationId" = ${organizationId}::uuid
          AND (EXISTS (SELECT 1 FROM "GroupMember" gm WHERE gm."groupId" = g.id AND gm."userId" = ${userId}::uuid)
            OR (g."isEveryone" AND EXISTS (SELECT 1 FROM "OrganizationMember" m
                  WHERE m."organizationId" = g."organizationId" AND m."userId" = ${userId}::uuid))))::bigint AS budget,
      (SELECT COALESCE(SUM(latest."dailyCost"), 0)
        FROM "Workspace" w
        CROSS JOIN LATERAL (
          SELECT CASE WHEN j.status IN ('FAILED', 'CANCELED') THEN 0 ELSE b."dailyCost" END AS "dailyCost"
          FROM "WorkspaceBuild" b JOIN "ProvisionerJob" j ON j.id = b."jobId"
          WHERE b."workspaceId" = w.id
          ORDER BY b."buildNumber" DESC
          LIMIT 1
        ) latest
        WHERE w."ownerId" = ${userId}::uuid AND w."organizationId" = ${organizationId}::uuid AND NOT w.deleted)::bigint AS consumed`;
  return { budget: Number(rows[0]?.budget ?? 0), creditsConsumed: Number(rows[0]?.consumed ?? 0) };
}

/** What a build counts toward its owner's quota: its cost, unless its job failed or was canceled. */
export function countedCost(build: { dailyCost: number; job: { status: string } }): number {
  return build.job.status === "FAILED" || build.job.status === "CANCELED" ? 0 : build.dailyCost;
}

/**
 * Serializes a user's workspace writes until the transaction ends. One lock per owner (not per
 * owner and organization) also makes the per-owner name check race-free.
 */
export async function lockOwnerWorkspaces(tx: Prisma.TransactionClient, ownerId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`workspace-owner:${ownerId}`}::text))`;
}

/**
 * Refuses a build whose cost would take the owner over budget. `previousCost` is what the
 * workspace's latest build costs now (0 for a new workspace); a build that does not raise the
 * cost is always allowed. Call with the owner's lock held.
 */
export async function assertQuotaAllows(
  tx: Prisma.TransactionClient,
  owner: { userId: string; organizationId: string },
  cost: { next: number; previous: number },
): Promise<void> {
  if (cost.next <= cost.previous) return;
  const { budget, creditsConsumed } = await workspaceQuota(tx, owner.userId, owner.organizationId);
  const after = creditsConsumed - cost.previous + cost.next;
  if (after > budget) {
    throw userError(
      "QUOTA_EXCEEDED",
      `This build costs ${cost.next} per day; it would use ${after} of a budget of ${budget} in this organization.`,
    );
  }
}

/**
 * `OrganizationMember.workspaceQuota`: the member's quota, or null unless the viewer is that
 * member or may manage the organization's members.
 */
export async function memberWorkspaceQuota(
  ctx: ServiceContext,
  member: { userId: string; organizationId: string },
): Promise<WorkspaceQuota | null> {
  const subject = await ctx.viewer.subject();
  if (!subject) return null;
  const allowed =
    subject.userId === member.userId ||
    can(subject, "UPDATE", { type: "ORGANIZATION_MEMBER", organizationId: member.organizationId });
  return allowed ? workspaceQuota(ctx.prisma, member.userId, member.organizationId) : null;
}
