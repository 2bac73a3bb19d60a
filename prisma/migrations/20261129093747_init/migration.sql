-- CreateEnum
CREATE TYPE "UserStatus" AS ENUM ('ACTIVE', 'DORMANT', 'SUSPENDED');

-- CreateEnum
CREATE TYPE "LoginType" AS ENUM ('PASSWORD', 'OIDC', 'NONE');

-- CreateEnum
CREATE TYPE "GroupSource" AS ENUM ('USER', 'OIDC');

-- CreateEnum
CREATE TYPE "TemplateRole" AS ENUM ('USE', 'ADMIN');

-- CreateEnum
CREATE TYPE "ProvisionerJobType" AS ENUM ('TEMPLATE_VERSION_IMPORT', 'WORKSPACE_BUILD');

-- CreateEnum
CREATE TYPE "ProvisionerJobStatus" AS ENUM ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELING', 'CANCELED');

-- CreateEnum
CREATE TYPE "WorkspaceTransition" AS ENUM ('START', 'STOP', 'DELETE');

-- CreateTable
CREATE TABLE "User" (
    "id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "passwordHash" TEXT,
    "status" "UserStatus" NOT NULL DEFAULT 'ACTIVE',
    "loginType" "LoginType" NOT NULL DEFAULT 'PASSWORD',
    "siteRoles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "oidcSubject" TEXT,
    "lastSeenAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "loginType" "LoginType" NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SigningKey" (
    "id" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "publicJwk" JSONB NOT NULL,
    "privateJwk" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "SigningKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Organization" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "icon" TEXT NOT NULL DEFAULT '',
    "isDefault" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganizationMember" (
    "organizationId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "roles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrganizationMember_pkey" PRIMARY KEY ("organizationId","userId")
);

-- CreateTable
CREATE TABLE "CustomRole" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "permissions" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomRole_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Group" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "avatarUrl" TEXT NOT NULL DEFAULT '',
    "quotaAllowance" INTEGER NOT NULL DEFAULT 0,
    "source" "GroupSource" NOT NULL DEFAULT 'USER',
    "isEveryone" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Group_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupMember" (
    "groupId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GroupMember_pkey" PRIMARY KEY ("groupId","userId")
);

-- CreateTable
CREATE TABLE "ProvisionerKey" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "tags" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProvisionerKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProvisionerDaemon" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "keyId" UUID,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "provisioners" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "tags" JSONB NOT NULL DEFAULT '{}',
    "lastSeenAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProvisionerDaemon_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProvisionerJob" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "type" "ProvisionerJobType" NOT NULL,
    "status" "ProvisionerJobStatus" NOT NULL DEFAULT 'PENDING',
    "tags" JSONB NOT NULL DEFAULT '{}',
    "workerId" UUID,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProvisionerJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Template" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "description" TEXT NOT NULL DEFAULT '',
    "icon" TEXT NOT NULL DEFAULT '',
    "tags" JSONB NOT NULL DEFAULT '{}',
    "activeVersionId" UUID,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Template_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TemplateVersion" (
    "id" UUID NOT NULL,
    "templateId" UUID,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "dailyCost" INTEGER NOT NULL DEFAULT 0,
    "jobId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TemplateVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TemplateUserAcl" (
    "templateId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "role" "TemplateRole" NOT NULL,

    CONSTRAINT "TemplateUserAcl_pkey" PRIMARY KEY ("templateId","userId")
);

-- CreateTable
CREATE TABLE "TemplateGroupAcl" (
    "templateId" UUID NOT NULL,
    "groupId" UUID NOT NULL,
    "role" "TemplateRole" NOT NULL,

    CONSTRAINT "TemplateGroupAcl_pkey" PRIMARY KEY ("templateId","groupId")
);

-- CreateTable
CREATE TABLE "Workspace" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "ownerId" UUID NOT NULL,
    "templateId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Workspace_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WorkspaceBuild" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "buildNumber" INTEGER NOT NULL,
    "transition" "WorkspaceTransition" NOT NULL,
    "templateVersionId" UUID NOT NULL,
    "jobId" UUID NOT NULL,
    "dailyCost" INTEGER NOT NULL DEFAULT 0,
    "initiatorId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkspaceBuild_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" UUID NOT NULL,
    "time" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "resourceType" TEXT NOT NULL,
    "resourceId" TEXT,
    "resourceName" TEXT,
    "actorId" UUID,
    "organizationId" UUID,
    "diff" JSONB NOT NULL DEFAULT '{}',
    "requestId" TEXT,
    "ip" TEXT,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganizationSyncSettings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "field" TEXT NOT NULL DEFAULT '',
    "mapping" JSONB NOT NULL DEFAULT '[]',
    "assignDefault" BOOLEAN NOT NULL DEFAULT true,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrganizationSyncSettings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupSyncSettings" (
    "organizationId" UUID NOT NULL,
    "field" TEXT NOT NULL DEFAULT '',
    "mapping" JSONB NOT NULL DEFAULT '[]',
    "regexFilter" TEXT,
    "autoCreateMissingGroups" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GroupSyncSettings_pkey" PRIMARY KEY ("organizationId")
);

-- CreateTable
CREATE TABLE "RoleSyncSettings" (
    "organizationId" UUID NOT NULL,
    "field" TEXT NOT NULL DEFAULT '',
    "mapping" JSONB NOT NULL DEFAULT '[]',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RoleSyncSettings_pkey" PRIMARY KEY ("organizationId")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "User_oidcSubject_key" ON "User"("oidcSubject");

-- CreateIndex
CREATE INDEX "User_createdAt_id_idx" ON "User"("createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_userId_name_key" ON "ApiToken"("userId", "name");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "Organization_name_key" ON "Organization"("name");

-- CreateIndex
CREATE INDEX "Organization_createdAt_id_idx" ON "Organization"("createdAt", "id");

-- CreateIndex
CREATE INDEX "OrganizationMember_userId_idx" ON "OrganizationMember"("userId");

-- CreateIndex
CREATE INDEX "OrganizationMember_organizationId_createdAt_userId_idx" ON "OrganizationMember"("organizationId", "createdAt", "userId");

-- CreateIndex
CREATE UNIQUE INDEX "CustomRole_organizationId_name_key" ON "CustomRole"("organizationId", "name");

-- CreateIndex
CREATE INDEX "Group_organizationId_createdAt_id_idx" ON "Group"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Group_organizationId_name_key" ON "Group"("organizationId", "name");

-- CreateIndex
CREATE INDEX "GroupMember_organizationId_userId_idx" ON "GroupMember"("organizationId", "userId");

-- CreateIndex
CREATE INDEX "GroupMember_userId_idx" ON "GroupMember"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "ProvisionerKey_organizationId_name_key" ON "ProvisionerKey"("organizationId", "name");

-- CreateIndex
CREATE INDEX "ProvisionerDaemon_keyId_idx" ON "ProvisionerDaemon"("keyId");

-- CreateIndex
CREATE UNIQUE INDEX "ProvisionerDaemon_organizationId_name_key" ON "ProvisionerDaemon"("organizationId", "name");

-- CreateIndex
CREATE INDEX "ProvisionerJob_organizationId_status_createdAt_idx" ON "ProvisionerJob"("organizationId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "ProvisionerJob_workerId_status_idx" ON "ProvisionerJob"("workerId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "Template_activeVersionId_key" ON "Template"("activeVersionId");

-- CreateIndex
CREATE INDEX "Template_organizationId_createdAt_id_idx" ON "Template"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Template_organizationId_name_key" ON "Template"("organizationId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateVersion_jobId_key" ON "TemplateVersion"("jobId");

-- CreateIndex
CREATE INDEX "TemplateVersion_templateId_idx" ON "TemplateVersion"("templateId");

-- CreateIndex
CREATE INDEX "TemplateUserAcl_userId_idx" ON "TemplateUserAcl"("userId");

-- CreateIndex
CREATE INDEX "TemplateGroupAcl_groupId_idx" ON "TemplateGroupAcl"("groupId");

-- CreateIndex
CREATE INDEX "Workspace_organizationId_deleted_createdAt_id_idx" ON "Workspace"("organizationId", "deleted", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Workspace_ownerId_deleted_idx" ON "Workspace"("ownerId", "deleted");

-- CreateIndex
CREATE INDEX "Workspace_templateId_idx" ON "Workspace"("templateId");

-- CreateIndex
CREATE UNIQUE INDEX "WorkspaceBuild_jobId_key" ON "WorkspaceBuild"("jobId");

-- CreateIndex
CREATE INDEX "WorkspaceBuild_organizationId_idx" ON "WorkspaceBuild"("organizationId");

-- CreateIndex
CREATE UNIQUE INDEX "WorkspaceBuild_workspaceId_buildNumber_key" ON "WorkspaceBuild"("workspaceId", "buildNumber");

-- CreateIndex
CREATE INDEX "AuditLog_organizationId_time_id_idx" ON "AuditLog"("organizationId", "time", "id");

-- CreateIndex
CREATE INDEX "AuditLog_time_id_idx" ON "AuditLog"("time", "id");

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganizationMember" ADD CONSTRAINT "OrganizationMember_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganizationMember" ADD CONSTRAINT "OrganizationMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CustomRole" ADD CONSTRAINT "CustomRole_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Group" ADD CONSTRAINT "Group_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_organizationId_userId_fkey" FOREIGN KEY ("organizationId", "userId") REFERENCES "OrganizationMember"("organizationId", "userId") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProvisionerKey" ADD CONSTRAINT "ProvisionerKey_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProvisionerDaemon" ADD CONSTRAINT "ProvisionerDaemon_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProvisionerDaemon" ADD CONSTRAINT "ProvisionerDaemon_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "ProvisionerKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProvisionerJob" ADD CONSTRAINT "ProvisionerJob_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProvisionerJob" ADD CONSTRAINT "ProvisionerJob_workerId_fkey" FOREIGN KEY ("workerId") REFERENCES "ProvisionerDaemon"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_activeVersionId_fkey" FOREIGN KEY ("activeVersionId") REFERENCES "TemplateVersion"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateVersion" ADD CONSTRAINT "TemplateVersion_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateVersion" ADD CONSTRAINT "TemplateVersion_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateVersion" ADD CONSTRAINT "TemplateVersion_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "ProvisionerJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateUserAcl" ADD CONSTRAINT "TemplateUserAcl_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateUserAcl" ADD CONSTRAINT "TemplateUserAcl_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateGroupAcl" ADD CONSTRAINT "TemplateGroupAcl_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateGroupAcl" ADD CONSTRAINT "TemplateGroupAcl_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Workspace" ADD CONSTRAINT "Workspace_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Workspace" ADD CONSTRAINT "Workspace_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Workspace" ADD CONSTRAINT "Workspace_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkspaceBuild" ADD CONSTRAINT "WorkspaceBuild_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkspaceBuild" ADD CONSTRAINT "WorkspaceBuild_templateVersionId_fkey" FOREIGN KEY ("templateVersionId") REFERENCES "TemplateVersion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkspaceBuild" ADD CONSTRAINT "WorkspaceBuild_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "ProvisionerJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkspaceBuild" ADD CONSTRAINT "WorkspaceBuild_initiatorId_fkey" FOREIGN KEY ("initiatorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditLog" ADD CONSTRAINT "AuditLog_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupSyncSettings" ADD CONSTRAINT "GroupSyncSettings_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoleSyncSettings" ADD CONSTRAINT "RoleSyncSettings_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Constraints Prisma's schema language cannot express.
-- Exactly one default organization.
CREATE UNIQUE INDEX "Organization_single_default" ON "Organization" ("isDefault") WHERE "isDefault";
-- At most one Everyone group per organization.
CREATE UNIQUE INDEX "Group_single_everyone" ON "Group" ("organizationId") WHERE "isEveryone";
-- Workspace names are unique per owner among workspaces that are not deleted.
CREATE UNIQUE INDEX "Workspace_owner_name_live" ON "Workspace" ("ownerId", "name") WHERE NOT "deleted";
-- Pending jobs are picked oldest first per organization.
CREATE INDEX "ProvisionerJob_pending" ON "ProvisionerJob" ("organizationId", "createdAt") WHERE "status" = 'PENDING';
ALTER TABLE "Group" ADD CONSTRAINT "Group_quotaAllowance_nonnegative" CHECK ("quotaAllowance" >= 0);
ALTER TABLE "TemplateVersion" ADD CONSTRAINT "TemplateVersion_dailyCost_nonnegative" CHECK ("dailyCost" >= 0);
ALTER TABLE "WorkspaceBuild" ADD CONSTRAINT "WorkspaceBuild_dailyCost_nonnegative" CHECK ("dailyCost" >= 0);
