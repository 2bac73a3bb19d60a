// Builders for the people a test needs, made through the API itself.
import { expect } from "vitest";
import { TEST_PASSWORD, type TestApp } from "./harness.js";

export type Actor = { id: string; username: string; email: string; token: string };

export async function setupOwner(app: TestApp, username = "owner"): Promise<Actor> {
  const email = `${username}@example.com`;
  const result = await app.gql(
    `mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token user { id } userErrors { code } } }`,
    { input: { email, username, password: TEST_PASSWORD } },
  );
  expect(result.errors).toBeUndefined();
  const payload = result.data?.createFirstUser;
  expect(payload.userErrors).toEqual([]);
  return { id: payload.user.id, username, email, token: payload.token };
}

export async function login(app: TestApp, email: string, password = TEST_PASSWORD): Promise<string> {
  const result = await app.gql(
    `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code message } } }`,
    { input: { email, password } },
  );
  expect(result.data?.login.userErrors).toEqual([]);
  return result.data?.login.token;
}

export async function createUser(
  app: TestApp,
  adminToken: string,
  username: string,
  options: { organizationIds?: string[]; siteRoles?: string[] } = {},
): Promise<Actor> {
  const email = `${username}@example.com`;
  const created = await app.gql(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code message field } } }`,
    { input: { email, username, password: TEST_PASSWORD, organizationIds: options.organizationIds } },
    { token: adminToken },
  );
  expect(created.errors).toBeUndefined();
  expect(created.data?.createUser.userErrors).toEqual([]);
  const id = created.data?.createUser.user.id as string;
  if (options.siteRoles?.length) {
    const roles = await app.gql(
      `mutation($input: UpdateUserSiteRolesInput!) { updateUserSiteRoles(input: $input) { userErrors { code message } } }`,
      { input: { userId: id, roles: options.siteRoles } },
      { token: adminToken },
    );
    expect(roles.data?.updateUserSiteRoles.userErrors).toEqual([]);
  }
  return { id, username, email, token: await login(app, email) };
}

/** Creates an organization through the API (site owner token). */
export async function createOrganization(
  app: TestApp,
  ownerToken: string,
  name: string,
): Promise<{ id: string; name: string }> {
  const result = await app.gql(
    `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id name } userErrors { code message field } } }`,
    { input: { name } },
    { token: ownerToken },
  );
  expect(result.errors).toBeUndefined();
  expect(result.data?.createOrganization.userErrors).toEqual([]);
  return result.data?.createOrganization.organization;
}

/** Adds a user to an organization through the API, then sets their explicit organization roles. */
export async function addOrganizationMember(
  app: TestApp,
  adminToken: string,
  organizationId: string,
  userId: string,
  roles: string[] = [],
): Promise<void> {
  const added = await app.gql(
    `mutation($input: OrganizationMemberInput!) { addOrganizationMember(input: $input) { userErrors { code message } } }`,
    { input: { organizationId, userId } },
    { token: adminToken },
  );
  expect(added.errors).toBeUndefined();
  expect(added.data?.addOrganizationMember.userErrors).toEqual([]);
  if (roles.length === 0) return;
  const updated = await app.gql(
    `mutation($input: UpdateOrganizationMemberRolesInput!) { updateOrganizationMemberRoles(input: $input) { userErrors { code message } } }`,
    { input: { organizationId, userId, roles } },
    { token: adminToken },
  );
  expect(updated.errors).toBeUndefined();
  expect(updated.data?.updateOrganizationMemberRoles.userErrors).toEqual([]);
}

/** An API token (oat_...) for the actor, made through the API. */
export async function createApiToken(app: TestApp, token: string, name = "test-token"): Promise<string> {
  const result = await app.gql(
    `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token userErrors { code message } } }`,
    { input: { name } },
    { token },
  );
  expect(result.data?.createApiToken.userErrors).toEqual([]);
  return result.data?.createApiToken.token;
}
