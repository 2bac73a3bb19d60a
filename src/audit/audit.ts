// The audit log. Services record a typed event (src/audit/events.ts) in the same transaction as
// the change it describes; the diff is scrubbed of anything that looks like a secret.
import type { Prisma } from "../generated/prisma/client.js";
import type { AuditRegistry, AuditResourceType, EventOf } from "./events.js";

/** One audit event as AUDIT_LOG_STDOUT writes it: a JSON log line per event. */
export type AuditLine = {
  id: string;
  time: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  resourceName: string | null;
  organizationId: string | null;
  actorId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  success: boolean;
  diff: unknown;
};

/**
 * Where a recorded event also goes (AUDIT_LOG_STDOUT): called with the transaction it was
 * recorded in, so the line can wait for the commit.
 */
export type AuditExport = (tx: Prisma.TransactionClient, line: AuditLine) => void;

/** Who did it and in which request; null actor for the system, SCIM or a daemon. */
export type AuditMeta = {
  actorId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent?: string | null;
  export?: AuditExport | undefined;
};

const SECRET_KEY = /pass|secret|token|hash|key$|private/i;

export function scrubDiff(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrubDiff);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !SECRET_KEY.test(key))
        .map(([key, inner]) => [key, scrubDiff(inner)]),
    );
  }
  return value;
}

/** Records a registered event: the (resourceType, action) pair must be in AuditRegistry, the diff its shape. */
export async function recordAudit<R extends AuditResourceType, A extends keyof AuditRegistry[R] & string>(
  tx: Prisma.TransactionClient,
  meta: AuditMeta,
  event: EventOf<R, A>,
): Promise<void> {
  const row = await tx.auditLog.create({
    data: {
      action: event.action,
      resourceType: event.resourceType,
      resourceId: event.resourceId ?? null,
      resourceName: event.resourceName ?? null,
      organizationId: event.organizationId ?? null,
      actorId: meta.actorId,
      requestId: meta.requestId,
      ip: meta.ip,
      userAgent: meta.userAgent ?? null,
      success: event.success ?? true,
      diff: scrubDiff(event.diff ?? {}) as Prisma.InputJsonValue,
    },
  });
  meta.export?.(tx, { ...row, time: row.time.toISOString(), diff: row.diff });
}
