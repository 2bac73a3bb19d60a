// Scope maps for the `permission` auth scope, one object per subject, action and object kind.
// Scope-auth remembers a map's outcome by the map's identity for the rest of the request, so a
// list of 1,000 members of one organization runs the evaluator once instead of 1,000 times.
import type { Subject } from "../authz/evaluator.js";
import type { Context } from "../context.js";
import type { PermissionScope } from "./builder.js";

type PermissionScopes = { permission: PermissionScope };

/** Keyed by the subject: a request that reloads it (viewer.reset) gets fresh maps, evaluated afresh. */
const mapsBySubject = new WeakMap<Subject, Map<string, PermissionScopes>>();

export function permissionScopes(ctx: Context, scope: PermissionScope): PermissionScopes {
  const subject = ctx.viewer.loaded();
  if (!subject) return { permission: scope };
  let maps = mapsBySubject.get(subject);
  if (!maps) {
    maps = new Map();
    mapsBySubject.set(subject, maps);
  }
  const key = `${scope.action}|${scope.type}|${scope.organizationId ?? ""}|${scope.ownerId ?? ""}|${scope.aclRole ?? ""}`;
  let map = maps.get(key);
  if (!map) {
    map = { permission: scope };
    maps.set(key, map);
  }
  return map;
}
