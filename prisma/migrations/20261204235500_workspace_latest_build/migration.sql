-- Workspace lists filter by status and outdated in SQL (workspaces(status:, outdated:)): both read
-- the latest build, which "latestBuildId" points at. A trigger keeps it in the transaction of every
-- insert of a build, whoever writes it (the services, a script, a test fixture), at no extra
-- statement; existing workspaces are backfilled from their highest buildNumber.

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "latestBuildId" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "Workspace_latestBuildId_key" ON "Workspace"("latestBuildId");

-- AddForeignKey
ALTER TABLE "Workspace" ADD CONSTRAINT "Workspace_latestBuildId_fkey" FOREIGN KEY ("latestBuildId") REFERENCES "WorkspaceBuild"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Backfill
UPDATE "Workspace" w SET "latestBuildId" = (
  SELECT b.id FROM "WorkspaceBuild" b WHERE b."workspaceId" = w.id ORDER BY b."buildNumber" DESC LIMIT 1
);

-- A new build becomes its workspace's latest unless a higher buildNumber is already there.
CREATE FUNCTION "orgs_api_set_latest_build"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Workspace" SET "latestBuildId" = NEW.id
  WHERE id = NEW."workspaceId"
    AND NOT EXISTS (
      SELECT 1 FROM "WorkspaceBuild" b WHERE b."workspaceId" = NEW."workspaceId" AND b."buildNumber" > NEW."buildNumber"
    );
  RETURN NULL;
END;
$$;

CREATE TRIGGER "WorkspaceBuild_latest" AFTER INSERT ON "WorkspaceBuild"
  FOR EACH ROW EXECUTE FUNCTION "orgs_api_set_latest_build"();
