// Keyset cursors of the sortable lists (those with an `orderBy` argument): the cursor holds the
// sort key's name, the row's sort value and its tie-break id, so a page continues after that
// value even when the row itself was deleted or moved meanwhile, and a cursor of another order is
// refused instead of silently paging the wrong list.
import { decodeBase64, encodeBase64 } from "@pothos/core";
import { isUuid } from "./ids.js";

const PREFIX = "KSC:";

export type KeysetCursor = { key: string; value: string; id: string };

export function encodeKeysetCursor({ key, value, id }: KeysetCursor): string {
  return encodeBase64(`${PREFIX}${JSON.stringify([key, value, id])}`);
}

/** The cursor's parts, or null when it is not a keyset cursor this API issued. */
export function decodeKeysetCursor(cursor: string): KeysetCursor | null {
  if (cursor.length > 2000) return null;
  try {
    const decoded = decodeBase64(cursor);
    if (!decoded.startsWith(PREFIX)) return null;
    const parts: unknown = JSON.parse(decoded.slice(PREFIX.length));
    if (!Array.isArray(parts) || parts.length !== 3) return null;
    const [key, value, id] = parts;
    if (typeof key !== "string" || typeof value !== "string" || typeof id !== "string" || !isUuid(id)) return null;
    return { key, value, id: id.toLowerCase() };
  } catch {
    return null;
  }
}
