// `checkPermissions`: many `can` questions in one request. A check names a resource type and an
// action, and either describes the object (organizationId, ownerId) or names it (resourceId);
// a named object is located by its policy so that its real organization, owner and template ACL decide.
import { type AuthzObject, can, type Subject } from "../../authz/evaluator.js";
import type { Action, ResourceType } from "../../authz/permissions.js";
import { LOCATORS } from "../../authz/policies/index.js";
import type { PrismaClient } from "../../generated/prisma/client.js";
import { badUserInput } from "../../graphql/errors.js";
import { parseId } from "../../graphql/ids.js";

export type PermissionCheck = {
  key: string;
  resource: ResourceType;
  action: Action;
  organizationId?: string | null;
  ownerId?: string | null;
  resourceId?: string | null;
};

export const MAX_PERMISSION_CHECKS = 200;

/** The global id's type name, when it is a well-formed id of one of the given types. */
function idOf(value: string, typenames: string[]): { typename: string; id: string } | null {
  for (const typename of typenames) {
    const id = parseId(typename, value);
    if (id !== null) return { typename, id };
  }
  return null;
}

/** A check on an object the subject cannot read, or named by a malformed id, is not allowed. */
async function checkNamedObject(prisma: PrismaClient, subject: Subject, check: PermissionCheck): Promise<boolean> {
  const locators = LOCATORS[check.resource];
  const named = locators && idOf(check.resourceId as string, Object.keys(locators));
  const locate = named && locators[named.typename];
  if (!named || !locate) return false;
  const located = await locate(prisma, subject, named.id);
  if (!located) return false;
  const { readable, ...attributes } = located;
  const object: AuthzObject = { type: check.resource, ...attributes };
  if (!(readable ?? can(subject, "READ", object))) return false;
  return check.action === "READ" || can(subject, check.action, object);
}

function checkDescribedObject(subject: Subject, check: PermissionCheck): boolean {
  // An empty id is a malformed id (false), not an absent one (a broader check).
  const organizationId = check.organizationId != null ? parseId("Organization", check.organizationId) : undefined;
  const ownerId = check.ownerId != null ? parseId("User", check.ownerId) : undefined;
  if (organizationId === null || ownerId === null) return false;
  return can(subject, check.action, { type: check.resource, organizationId, ownerId });
}

export async function checkPermissions(
  prisma: PrismaClient,
  subject: Subject,
  checks: readonly PermissionCheck[],
): Promise<{ key: string; allowed: boolean }[]> {
  if (checks.length > MAX_PERMISSION_CHECKS) {
    throw badUserInput(`At most ${MAX_PERMISSION_CHECKS} checks per request.`);
  }
  const results: { key: string; allowed: boolean }[] = [];
  // One at a time: each named object is one indexed lookup, and PGlite has one connection anyway.
  for (const check of checks) {
    const allowed =
      check.resourceId != null ? await checkNamedObject(prisma, subject, check) : checkDescribedObject(subject, check);
    results.push({ key: check.key, allowed });
  }
  return results;
}
