// Global ids: every Node id is base64("Type:uuid"). Inputs take the same ids; an id that is
// malformed or names another type is an object that does not exist (NOT_FOUND).
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { notFound } from "./errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

export function globalId(typename: string, id: string): string {
  return encodeGlobalID(typename, id);
}

/** The uuid inside a global id of the given type, or null. */
export function parseId(typename: string, value: string): string | null {
  if (value.length > 200) return null;
  try {
    const decoded = decodeGlobalID(value);
    return decoded.typename === typename && UUID.test(decoded.id) ? decoded.id.toLowerCase() : null;
  } catch {
    return null;
  }
}

const MATCHES_NOTHING = "00000000-0000-0000-0000-000000000000";

/**
 * An id argument that filters a list: absent stays absent (no filter), and a malformed id or one
 * of another type matches nothing, like an object the viewer cannot see.
 */
export function filterId(typename: string, value: string | null | undefined): string | undefined {
  return value === null || value === undefined ? undefined : (parseId(typename, value) ?? MATCHES_NOTHING);
}

export function decodeId(typename: string, value: string, what = typename): string {
  const id = parseId(typename, value);
  if (id === null) throw notFound(what);
  return id;
}

/**
 * The global id of an object keyed by several values (an organization member: organization and
 * user): base64("Type:part1:part2"). The last part may itself hold ":" (a role's name does not).
 */
export function compositeGlobalId(typename: string, parts: readonly string[]): string {
  return encodeGlobalID(typename, parts.join(":"));
}

/** The uuids of a composite id of `count` uuids (lower-cased), or null when it is not one. */
export function uuidParts(raw: string, count: number): string[] | null {
  const parts = raw.split(":");
  return parts.length === count && parts.every(isUuid) ? parts.map((p) => p.toLowerCase()) : null;
}
