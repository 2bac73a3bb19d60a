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
