-- Names are unique case-insensitively within their scope, enforced here rather than by a
-- check-then-insert in the services (which let concurrent case variants through). Prisma's
-- schema language cannot express expression indexes: schema.prisma notes each one next to its
-- model, and a `prisma migrate dev` that proposes dropping them must have those lines removed.
-- The services map a violation of these indexes to NAME_TAKEN / EMAIL_TAKEN (src/db/names.ts).
-- Applying this to a database that already holds case variants fails: rename them first.
CREATE UNIQUE INDEX "User_username_lower_key" ON "User" (lower("username"));
CREATE UNIQUE INDEX "User_email_lower_key" ON "User" (lower("email"));
CREATE UNIQUE INDEX "Organization_name_lower_key" ON "Organization" (lower("name"));
CREATE UNIQUE INDEX "Group_organizationId_name_lower_key" ON "Group" ("organizationId", lower("name"));
CREATE UNIQUE INDEX "CustomRole_organizationId_name_lower_key" ON "CustomRole" ("organizationId", lower("name"));
CREATE UNIQUE INDEX "Template_organizationId_name_lower_key" ON "Template" ("organizationId", lower("name"));
CREATE UNIQUE INDEX "ProvisionerKey_organizationId_name_lower_key" ON "ProvisionerKey" ("organizationId", lower("name"));
