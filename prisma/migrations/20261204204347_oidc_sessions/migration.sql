-- AlterTable
ALTER TABLE "User" ADD COLUMN     "lastOidcClaims" JSONB;

-- CreateTable
CREATE TABLE "OidcTokenUse" (
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OidcTokenUse_pkey" PRIMARY KEY ("tokenHash")
);

-- CreateIndex
CREATE INDEX "OidcTokenUse_expiresAt_idx" ON "OidcTokenUse"("expiresAt");
