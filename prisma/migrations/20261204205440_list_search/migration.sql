-- Case-insensitive search of lists (members, groups, templates, workspaces, organizations):
-- trigram GIN indexes serve ILIKE '%term%', which Prisma's `contains` with `mode: "insensitive"`
-- compiles to. pg_trgm ships with PostgreSQL (a trusted extension since 13: the database owner may
-- create it); PGlite loads it from src/db/pglite-extensions.ts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "Group_name_trgm_idx" ON "Group" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Organization_name_trgm_idx" ON "Organization" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Organization_displayName_trgm_idx" ON "Organization" USING GIN ("displayName" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Template_name_trgm_idx" ON "Template" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Template_organizationId_name_id_idx" ON "Template"("organizationId", "name", "id");

-- CreateIndex
CREATE INDEX "User_username_trgm_idx" ON "User" USING GIN ("username" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "User_name_trgm_idx" ON "User" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Workspace_name_trgm_idx" ON "Workspace" USING GIN ("name" gin_trgm_ops);
