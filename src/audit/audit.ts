// The audit log. Services record a typed event in the same transaction as the change it
// describes; the diff is scrubbed of anything that looks like a secret.
import type { Prisma } from "../generated/prisma/client.js";

export type AuditAction =
  | "CREATE"
  | "UPDATE"
  | "DELETE"
  | "LOGIN"
  | "LOGOUT"
  | "REGISTER"
  | "ADD_MEMBER"
  | "REMOVE_MEMBER"
  | "ASSIGN_ROLES"
  | "START"
  | "STOP";

export type AuditResourceType =
  | "USER"
  | "API_KEY"
  | "SESSION"
  | "ORGANIZATION"
  | "ORGANIZATION_MEMBER"
  | "CUSTOM_ROLE"
  | "GROUP"
  | "PROVISIONER_KEY"
  | "PROVISIONER_DAEMON"
  | "TEMPLATE"
  | "WORKSPACE"
  | "IDPSYNC_SETTINGS";

export type AuditEvent = {
  action: AuditAction;
  resourceType: AuditResourceType;
  resourceId?: string | null;
  resourceName?: string | null;
  organizationId?: string | null;
  diff?: Record<string, unknown>;
};

/** Who did it and in which request; null actor for the system, SCIM or a daemon. */
export type AuditMeta = { actorId: string | null; requestId: string | null; ip: string | null };

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

export async function recordAudit(tx: Prisma.TransactionClient, meta: AuditMeta, event: AuditEvent): Promise<void> {
  await tx.auditLog.create({
    data: {
      action: event.action,
      resourceType: event.resourceType,
      resourceId: event.resourceId ?? null,
      resourceName: event.resourceName ?? null,
      organizationId: event.organizationId ?? null,
      actorId: meta.actorId,
      requestId: meta.requestId,
      ip: meta.ip,
      diff: scrubDiff(event.diff ?? {}) as Prisma.InputJsonValue,
    },
  });
}
