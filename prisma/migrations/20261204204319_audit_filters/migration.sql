-- Audit log search (issue 19): sign-in events carry the user agent and their outcome; one index per
-- filter of auditLogs, each ending in (time, id) for the newest-first order.
-- AlterTable
ALTER TABLE "AuditLog" ADD COLUMN     "success" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "userAgent" TEXT;

-- CreateIndex
CREATE INDEX "AuditLog_actorId_time_id_idx" ON "AuditLog"("actorId", "time", "id");

-- CreateIndex
CREATE INDEX "AuditLog_resourceId_time_id_idx" ON "AuditLog"("resourceId", "time", "id");

-- CreateIndex
CREATE INDEX "AuditLog_resourceType_time_id_idx" ON "AuditLog"("resourceType", "time", "id");

-- CreateIndex
CREATE INDEX "AuditLog_action_time_id_idx" ON "AuditLog"("action", "time", "id");
