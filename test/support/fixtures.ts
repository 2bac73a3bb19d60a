// Test set-up that goes straight to the database, for state a test needs but does not test.
// Behaviour is always asserted through the API.
import { globalId } from "../../src/graphql/ids.js";
import type { TestApp } from "./harness.js";

export { globalId };

export const uuidOf = (id: string): string => Buffer.from(id, "base64").toString().split(":")[1] as string;

export async function makeOrganization(app: TestApp, name: string): Promise<{ id: string; uuid: string }> {
  const org = await app.prisma.organization.create({
    data: { name, displayName: name, groups: { create: { name: "Everyone", isEveryone: true } } },
  });
  return { id: globalId("Organization", org.id), uuid: org.id };
}

/** Makes a user (by global id) a member of an organization with the given explicit roles. */
export async function addMember(app: TestApp, organizationUuid: string, userGlobalId: string, roles: string[] = []) {
  await app.prisma.organizationMember.upsert({
    where: { organizationId_userId: { organizationId: organizationUuid, userId: uuidOf(userGlobalId) } },
    create: { organizationId: organizationUuid, userId: uuidOf(userGlobalId), roles },
    update: { roles },
  });
}
