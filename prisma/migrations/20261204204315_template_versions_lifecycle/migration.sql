-- DropIndex
DROP INDEX "TemplateVersion_templateId_idx";

-- AlterTable
ALTER TABLE "ProvisionerJob" ADD COLUMN     "initiatorId" UUID;

-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "requireActiveVersion" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "TemplateVersion" ADD COLUMN     "archived" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "createdById" UUID,
ADD COLUMN     "message" TEXT NOT NULL DEFAULT '';

-- CreateIndex
CREATE INDEX "ProvisionerJob_initiatorId_idx" ON "ProvisionerJob"("initiatorId");

-- CreateIndex
CREATE INDEX "TemplateVersion_templateId_createdAt_id_idx" ON "TemplateVersion"("templateId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateVersion_templateId_name_key" ON "TemplateVersion"("templateId", "name");

-- AddForeignKey
ALTER TABLE "ProvisionerJob" ADD CONSTRAINT "ProvisionerJob_initiatorId_fkey" FOREIGN KEY ("initiatorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateVersion" ADD CONSTRAINT "TemplateVersion_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Backfill (hand-written): every template has a first, active version.
-- A template without any version gets one, imported (its workspaces were built before versions existed).
WITH bare AS (
  SELECT t.id AS "templateId", t."organizationId", t.tags, t."createdById", gen_random_uuid() AS "jobId"
  FROM "Template" t
  WHERE NOT EXISTS (SELECT 1 FROM "TemplateVersion" v WHERE v."templateId" = t.id)
), jobs AS (
  INSERT INTO "ProvisionerJob" (id, "organizationId", type, status, tags, "initiatorId", "createdAt", "startedAt", "completedAt", "updatedAt")
  SELECT "jobId", "organizationId", 'TEMPLATE_VERSION_IMPORT', 'SUCCEEDED', tags, "createdById", now(), now(), now(), now() FROM bare
  RETURNING id
)
INSERT INTO "TemplateVersion" (id, "templateId", "organizationId", name, "jobId", "createdById")
SELECT gen_random_uuid(), b."templateId", b."organizationId", 'v1', b."jobId", b."createdById"
FROM bare b JOIN jobs j ON j.id = b."jobId";

-- A template without an active version gets its newest successfully imported version, else its newest.
UPDATE "Template" t SET "activeVersionId" = (
  SELECT v.id FROM "TemplateVersion" v
  JOIN "ProvisionerJob" j ON j.id = v."jobId"
  WHERE v."templateId" = t.id
  ORDER BY (j.status = 'SUCCEEDED') DESC, v."createdAt" DESC, v.id DESC
  LIMIT 1)
WHERE t."activeVersionId" IS NULL;

-- Versions were created with their template: its creator made them.
UPDATE "TemplateVersion" v SET "createdById" = t."createdById"
FROM "Template" t WHERE v."templateId" = t.id AND v."createdById" IS NULL;

-- Who queued each job: a version's creator, a build's initiator.
UPDATE "ProvisionerJob" j SET "initiatorId" = v."createdById"
FROM "TemplateVersion" v WHERE v."jobId" = j.id AND j."initiatorId" IS NULL;
UPDATE "ProvisionerJob" j SET "initiatorId" = b."initiatorId"
FROM "WorkspaceBuild" b WHERE b."jobId" = j.id AND j."initiatorId" IS NULL;
