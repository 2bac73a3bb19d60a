// Builders for the people a test needs, made through the API itself.
import { expect } from "vitest";
import { type GqlResult, TEST_PASSWORD, type TestApp } from "./harness.js";

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

export type TestOrganization = { id: string; name: string };

/** Creates an organization through the API (site owner token). */
export async function createOrganization(app: TestApp, ownerToken: string, name: string): Promise<TestOrganization> {
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

/** The standing cast of the authorization matrix around one organization. */
export type Cast = {
  owner: Actor;
  /** organization-admin in `org`. */
  orgAdmin: Actor;
  /** Plain member of `org`. */
  member: Actor;
  /** Member of `otherOrg` only (and the default organization). */
  outsider: Actor;
  /** organization-auditor in `org`. */
  orgAuditor: Actor;
  /** Site user-admin, not a member of `org`. */
  userAdmin: Actor;
  /** An API token of `member`. */
  memberApiToken: string;
  org: TestOrganization;
  otherOrg: TestOrganization;
};

/** Builds the cast on a fresh app: the first user is the site owner; everyone is in the default organization. */
export async function setupCast(app: TestApp, orgName = "org-a", otherOrgName = "org-b"): Promise<Cast> {
  const owner = await setupOwner(app);
  const org = await createOrganization(app, owner.token, orgName);
  const otherOrg = await createOrganization(app, owner.token, otherOrgName);
  const orgAdmin = await createUser(app, owner.token, "org-admin");
  const member = await createUser(app, owner.token, "plain-member");
  const outsider = await createUser(app, owner.token, "outsider");
  const orgAuditor = await createUser(app, owner.token, "org-auditor");
  const userAdmin = await createUser(app, owner.token, "user-admin", { siteRoles: ["user-admin"] });
  await addOrganizationMember(app, owner.token, org.id, orgAdmin.id, ["organization-admin"]);
  await addOrganizationMember(app, owner.token, org.id, member.id);
  await addOrganizationMember(app, owner.token, org.id, orgAuditor.id, ["organization-auditor"]);
  await addOrganizationMember(app, owner.token, otherOrg.id, outsider.id);
  const memberApiToken = await createApiToken(app, member.token);
  return { owner, orgAdmin, member, outsider, orgAuditor, userAdmin, memberApiToken, org, otherOrg };
}

export type ActorName =
  | "owner"
  | "orgAdmin"
  | "member"
  | "outsider"
  | "orgAuditor"
  | "userAdmin"
  | "anonymous"
  | "memberApiToken";

export const ACTOR_NAMES: readonly ActorName[] = [
  "owner",
  "orgAdmin",
  "member",
  "outsider",
  "orgAuditor",
  "userAdmin",
  "anonymous",
  "memberApiToken",
];

/** The bearer token an actor of the matrix sends (null: no credentials). */
export function tokenOf(cast: Cast, name: ActorName): string | null {
  if (name === "anonymous") return null;
  if (name === "memberApiToken") return cast.memberApiToken;
  return cast[name].token;
}

/**
 * One word for how a mutation answered, for compact matrix assertions: "ok", a GraphQL error code
 * ("UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN:RESOURCE:ACTION") or "userError:CODE".
 */
export function outcome(result: GqlResult, field: string): string {
  const error = result.errors?.[0];
  if (error) {
    const { code, resource, action } = error.extensions ?? {};
    return code === "FORBIDDEN" ? `FORBIDDEN:${resource}:${action}` : String(code);
  }
  const codes = (result.data?.[field]?.userErrors ?? []).map((e: { code: string }) => e.code);
  return codes.length === 0 ? "ok" : `userError:${codes.join(",")}`;
}

/** Runs one mutation per actor of the matrix (input made fresh per actor) and collects the outcomes. */
export async function runMatrix(
  app: TestApp,
  cast: Cast,
  mutation: string,
  field: string,
  input: (actor: ActorName) => Promise<Record<string, unknown>> | Record<string, unknown>,
): Promise<Record<ActorName, string>> {
  const outcomes = {} as Record<ActorName, string>;
  for (const name of ACTOR_NAMES) {
    const result = await app.gql(mutation, { input: await input(name) }, { token: tokenOf(cast, name) });
    outcomes[name] = outcome(result, field);
  }
  return outcomes;
}
