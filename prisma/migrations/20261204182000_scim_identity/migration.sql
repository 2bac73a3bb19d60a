-- SCIM identity (issue 16.8/16.10/16.11): the userName and externalId the SCIM client gave, kept as
-- given, and the name parts it sent. userName is unique ignoring case, as SCIM compares it.
ALTER TABLE "User" ADD COLUMN "scimUserName" TEXT,
ADD COLUMN "scimExternalId" TEXT,
ADD COLUMN "scimGivenName" TEXT,
ADD COLUMN "scimFamilyName" TEXT;

CREATE UNIQUE INDEX "User_scimExternalId_key" ON "User"("scimExternalId");

CREATE UNIQUE INDEX "User_scimUserName_lower_key" ON "User"(lower("scimUserName"));
