// Audit log events: AUDIT_LOG READ in their organization; site-level events (no organization)
// need site-wide permission.
import type { AuthzObject, Subject } from "../evaluator.js";
import { scopeOf } from "../evaluator.js";
import { allOf } from "../filters.js";
import type { Locator, NodeLoad } from "./policy.js";

export const auditLogObject = (log: { organizationId: string | null }): AuthzObject => ({
  type: "AUDIT_LOG",
  organizationId: log.organizationId,
});

/** Events the subject may read, optionally of one organization. */
export function auditLogWhere(subject: Subject, organizationId?: string | null) {
  const scope = scopeOf(subject, "AUDIT_LOG", "READ");
  const visible = scope.all ? {} : { organizationId: { in: scope.organizationIds } };
  return organizationId === undefined ? visible : allOf(visible, { organizationId });
}

export const loadAuditLog: NodeLoad = (prisma, subject, ids) =>
  prisma.auditLog.findMany({ where: allOf({ id: { in: ids } }, auditLogWhere(subject)) });

export const locateAuditLog: Locator = (prisma, _subject, id) =>
  prisma.auditLog.findUnique({ where: { id }, select: { organizationId: true } });
