// Organization members: ORGANIZATION_MEMBER READ in their organization (every member has it).
import type { AuthzObject } from "../evaluator.js";

export const memberObject = (member: { organizationId: string }): AuthzObject => ({
  type: "ORGANIZATION_MEMBER",
  organizationId: member.organizationId,
});
