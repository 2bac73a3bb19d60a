// Permission assertions for services: every write calls one of these (or `ctx.viewer.assert`)
// before it writes.

import type { AuditExport, AuditMeta } from "../audit/audit.js";
import type { Actor } from "../auth/actor.js";
import { forbidden, notFound } from "../graphql/errors.js";
import { type AuthzObject, can, type Subject } from "./evaluator.js";
import { shortReason } from "./explain.js";
import type { Action } from "./permissions.js";

/**
 * The viewer may do `action` on `object`. When they may not even read it, it does not exist
 * for them (NOT_FOUND); when they may read it, the answer names the missing permission.
 */
export function assertCan(subject: Subject, action: Action, object: AuthzObject, what = "object"): void {
  if (can(subject, action, object)) return;
  if (action !== "READ" && can(subject, "READ", object)) throw forbiddenFor(subject, action, object);
  throw notFound(what);
}

/** FORBIDDEN with the short reason of the refusal (built only now, on the refusal path). */
export function forbiddenFor(subject: Subject, action: Action, object: AuthzObject) {
  return forbidden(object.type, action, shortReason(subject, action, object));
}

/** Like assertCan, for checks where the object is known to be visible (FORBIDDEN, never NOT_FOUND). */
export function assertAllowed(subject: Subject, action: Action, object: AuthzObject): void {
  if (!can(subject, action, object)) throw forbiddenFor(subject, action, object);
}

export function auditMeta(ctx: {
  actor: Actor;
  requestId: string;
  ip: string | null;
  userAgent?: string | null;
  auditExport?: AuditExport | undefined;
}): AuditMeta {
  return {
    actorId: ctx.actor.kind === "user" ? ctx.actor.user.id : null,
    requestId: ctx.requestId,
    ip: ctx.ip,
    userAgent: ctx.userAgent ?? null,
    export: ctx.auditExport,
  };
}
