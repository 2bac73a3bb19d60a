// Workspaces and their builds: WORKSPACE READ in their organization, or as their owner where the
// subject's roles grant own workspaces. Deleted workspaces leave lists and lookups, except for the
// live build subscription, which follows a DELETE build to its end. A build is readable with its
// workspace.
import type { Prisma } from "../../generated/prisma/client.js";
import { type AuthzObject, can, type Subject } from "../evaluator.js";
import { organizationScopedWhere } from "../filters.js";
import type { Locator, NodeLoad } from "./policy.js";

export const workspaceObject = (workspace: { organizationId: string; ownerId: string }): AuthzObject => ({
  type: "WORKSPACE",
  organizationId: workspace.organizationId,
  ownerId: workspace.ownerId,
});

/** Workspaces the subject may read, deleted ones included. */
export const workspaceWhereWithDeleted = (subject: Subject) =>
  organizationScopedWhere(subject, "WORKSPACE", "READ", "ownerId") as Prisma.WorkspaceWhereInput;

/** Non-deleted workspaces the subject may read. */
export function workspaceWhere(subject: Subject): Prisma.WorkspaceWhereInput {
  return { AND: [{ deleted: false }, workspaceWhereWithDeleted(subject)] };
}

/**
 * Whether the subject may read a build: `ownerOf` is asked only when the organization-wide
 * permission does not decide, so administrators never pay for the owner lookup.
 */
export async function canReadBuild(
  subject: Subject,
  build: { workspaceId: string; organizationId: string },
  ownerOf: (workspaceId: string) => Promise<string | null>,
): Promise<boolean> {
  const object = { type: "WORKSPACE" as const, organizationId: build.organizationId };
  if (can(subject, "READ", object)) return true;
  const ownerId = await ownerOf(build.workspaceId);
  return ownerId !== null && can(subject, "READ", { ...object, ownerId });
}

export const loadWorkspace: NodeLoad = (prisma, subject, ids) =>
  prisma.workspace.findMany({ where: { AND: [{ id: { in: ids } }, workspaceWhere(subject)] } });

export const loadWorkspaceBuild: NodeLoad = (prisma, subject, ids) =>
  prisma.workspaceBuild.findMany({ where: { id: { in: ids }, workspace: workspaceWhere(subject) } });

export const locateWorkspace: Locator = (prisma, _subject, id) =>
  prisma.workspace.findFirst({ where: { id, deleted: false }, select: { organizationId: true, ownerId: true } });
