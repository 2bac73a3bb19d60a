// `checkPermissions`: many `can` questions in one request. A check names a resource type and an
// action, and either describes the object (organizationId, ownerId) or names it (resourceId);
// a named object is located by its policy so that its real organization, owner and template ACL decide.
import { type AuthzObject, can, type Subject } from "../../authz/evaluator.js";
import { shortReason } from "../../authz/explain.js";
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

/**
 * The object a global id names, as the evaluator sees it for `subject` (its organization, owner
 * and the subject's template ACL role); null when the id is malformed, of another type, or names
 * an object the subject cannot read.
 */
export async function locateReadable(
  prisma: PrismaClient,
  subject: Subject,
  resource: ResourceType,
  resourceId: string,
): Promise<(AuthzObject & { id: string }) | null> {
  const locators = LOCATORS[resource];
  const named = locators && idOf(resourceId, Object.keys(locators));
  const locate = named && locators[named.typename];
  if (!named || !locate) return null;
  const located = await locate(prisma, subject, named.id);
  if (!located) return null;
  const { readable, ...attributes } = located;
  const object: AuthzObject = { type: resource, ...attributes };
  return (readable ?? can(subject, "READ", object)) ? { ...object, id: named.id } : null;
}

/** A check on an object the subject cannot read, or named by a malformed id, is not allowed. */
async function checkNamedObject(prisma: PrismaClient, subject: Subject, check: PermissionCheck): Promise<Answer> {
  const located = await locateReadable(prisma, subject, check.resource, check.resourceId as string);
  if (!located) return { key: check.key, allowed: false, reason: () => NOT_FOUND_REASON };
  const { id: _id, ...object } = located;
  return answer(subject, check, object, true);
}

function checkDescribedObject(subject: Subject, check: PermissionCheck): Answer {
  // An empty id is a malformed id (false), not an absent one (a broader check).
  const organizationId = check.organizationId != null ? parseId("Organization", check.organizationId) : undefined;
  const ownerId = check.ownerId != null ? parseId("User", check.ownerId) : undefined;
  if (organizationId === null || ownerId === null) return { key: check.key, allowed: false, reason: () => MALFORMED };
  return answer(subject, check, { type: check.resource, organizationId, ownerId });
}

/** An answer, with its reason: the explanation is built only when the field asks for it. */
export type Answer = { key: string; allowed: boolean; reason: () => string };

const NOT_FOUND_REASON = "The object does not exist.";
const MALFORMED = "Malformed id.";

/** `readable`: the named object was found through the viewer's read filter (READ is then allowed). */
function answer(subject: Subject, check: PermissionCheck, object: AuthzObject, readable = false): Answer {
  const allowed = can(subject, check.action, object);
  if (readable && check.action === "READ" && !allowed) {
    return { key: check.key, allowed: true, reason: () => SHARED_ORGANIZATION };
  }
  return { key: check.key, allowed, reason: () => shortReason(subject, check.action, object).reason };
}

const SHARED_ORGANIZATION = "Readable through an organization both users belong to (ORGANIZATION_MEMBER READ).";

export async function checkPermissions(
  prisma: PrismaClient,
  subject: Subject,
  checks: readonly PermissionCheck[],
): Promise<Answer[]> {
  if (checks.length > MAX_PERMISSION_CHECKS) {
    throw badUserInput(`At most ${MAX_PERMISSION_CHECKS} checks per request.`);
  }
  const results: Answer[] = [];
  // One at a time: each named object is one indexed lookup, and PGlite has one connection anyway.
  for (const check of checks) {
    results.push(
      check.resourceId != null ? await checkNamedObject(prisma, subject, check) : checkDescribedObject(subject, check),
    );
  }
  return results;
}
