// Templates and workspaces through the API, and groups straight in the database (the groups
// mutations live in another module), for the template, workspace and quota tests.
import { expect } from "vitest";
import { globalId, uuidOf } from "./fixtures.js";
import type { TestApp } from "./harness.js";
import { completeImport } from "./jobs.js";

export const CREATE_TEMPLATE = `mutation($input: CreateTemplateInput!) {
  createTemplate(input: $input) {
    template {
      id name displayName description icon createdAt
      organization { id }
      createdBy { id }
      activeVersion { id name dailyCost template { id } }
      acl { users { user { id } role } groups { groupId role } }
    }
    userErrors { code message field }
  }
}`;

export const CREATE_WORKSPACE = `mutation($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) {
    workspace {
      id name deleted
      owner { id }
      organization { id }
      template { id }
      latestBuild { id buildNumber transition dailyCost initiator { id } }
    }
    userErrors { code message field }
  }
}`;

export const TRANSITION = `mutation($input: WorkspaceTransitionInput!) {
  transitionWorkspace(input: $input) {
    workspace { id deleted latestBuild { buildNumber transition dailyCost } }
    userErrors { code message field }
  }
}`;

export const UPDATE_ACL = `mutation($input: UpdateTemplateAclInput!) {
  updateTemplateAcl(input: $input) {
    template { id acl { users { user { id } role } groups { groupId role } } }
    userErrors { code message field }
  }
}`;

/** Creates a template as `token` and fails the test on any error; returns its global id. */
export async function createTemplate(
  app: TestApp,
  token: string,
  input: { organizationId: string; name: string } & Record<string, unknown>,
  options: { ready?: boolean; dailyCost?: number } = {},
): Promise<string> {
  const result = await app.gql(CREATE_TEMPLATE, { input }, { token });
  expect(result.errors).toBeUndefined();
  expect(result.data?.createTemplate.userErrors).toEqual([]);
  const id = result.data?.createTemplate.template.id as string;
  if (options.ready ?? true) await completeImport(app, id, { dailyCost: options.dailyCost });
  return id;
}

/** Creates a workspace as `token`; returns the payload (workspace or userErrors) and the errors. */
export async function createWorkspace(
  app: TestApp,
  token: string,
  input: { templateId: string; name: string; ownerId?: string },
) {
  const result = await app.gql(CREATE_WORKSPACE, { input }, { token });
  return { payload: result.data?.createWorkspace, errors: result.errors, result };
}

export async function transition(app: TestApp, token: string, workspaceId: string, to: "START" | "STOP" | "DELETE") {
  const result = await app.gql(TRANSITION, { input: { workspaceId, transition: to } }, { token });
  return { payload: result.data?.transitionWorkspace, errors: result.errors, result };
}

/** A group with explicit members (user global ids), made directly in the database. */
export async function makeGroup(
  app: TestApp,
  organizationUuid: string,
  name: string,
  options: { quotaAllowance?: number; memberIds?: string[] } = {},
): Promise<{ id: string; uuid: string }> {
  const group = await app.prisma.group.create({
    data: { organizationId: organizationUuid, name, quotaAllowance: options.quotaAllowance ?? 0 },
  });
  for (const member of options.memberIds ?? []) {
    await app.prisma.groupMember.create({
      data: { groupId: group.id, userId: uuidOf(member), organizationId: organizationUuid },
    });
  }
  return { id: globalId("Group", group.id), uuid: group.id };
}

export async function setEveryoneAllowance(app: TestApp, organizationUuid: string, quotaAllowance: number) {
  await app.prisma.group.updateMany({
    where: { organizationId: organizationUuid, isEveryone: true },
    data: { quotaAllowance },
  });
}
