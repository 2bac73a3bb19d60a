// The authorization matrix's one vocabulary, for the integration matrix and for the per-domain
// matrix tests: the standing cast of actors around organization A, the credential each sends, how
// an answer is classified in one word, expectations written as one line, and the list of
// operations the schema serves (so a table can prove it has a row for each).
import { schema } from "../../src/graphql/schema.js";
import { createTestApp, type GqlResult, type TestApp } from "./harness.js";
import { type OrgScope, type OwnerScope, type SeededUser, seed } from "./seed.js";

/** Every actor of the integration matrix. The last two need set-up of their own (see CAST_ACTORS). */
export const MATRIX_ACTORS = [
  "owner",
  "orgAdmin",
  "member",
  "outsider",
  "orgAuditor",
  "userAdmin",
  "customRole",
  "anonymous",
  "memberApiToken",
  "provisionerKey",
] as const;

export type MatrixActor = (typeof MATRIX_ACTORS)[number];

/** The actors `setupCast` provides; the per-domain matrix tests (`runMatrix`) use these. */
export const CAST_ACTORS = [
  "owner",
  "orgAdmin",
  "member",
  "outsider",
  "orgAuditor",
  "userAdmin",
  "anonymous",
  "memberApiToken",
] as const satisfies readonly MatrixActor[];

export type CastActor = (typeof CAST_ACTORS)[number];

/** The standing cast of the authorization matrix around one organization. */
export type Cast = {
  owner: OwnerScope;
  /** organization-admin in `org`. */
  orgAdmin: SeededUser;
  /** Plain member of `org`. */
  member: SeededUser;
  /** Member of `otherOrg` only (and the default organization). */
  outsider: SeededUser;
  /** organization-auditor in `org`. */
  orgAuditor: SeededUser;
  /** Site user-admin, not a member of `org`. */
  userAdmin: SeededUser;
  /** An API token of `member`. */
  memberApiToken: string;
  /** Made through the API, as are its members (`org.add` goes through addOrganizationMember). */
  org: OrgScope;
  otherOrg: OrgScope;
};

/** Builds the cast on a fresh app: the first user is the site owner; everyone is in the default organization. */
export async function setupCast(app: TestApp, orgName = "org-a", otherOrgName = "org-b"): Promise<Cast> {
  const owner = await seed(app).owner();
  const org = await owner.org(orgName, { throughApi: true });
  const otherOrg = await owner.org(otherOrgName, { throughApi: true });
  const orgAdmin = await owner.user("org-admin");
  const member = await owner.user("plain-member");
  const outsider = await owner.user("outsider");
  const orgAuditor = await owner.user("org-auditor");
  const userAdmin = await owner.user("user-admin", { siteRoles: ["user-admin"] });
  await org.add(orgAdmin, ["organization-admin"]);
  await org.add(member);
  await org.add(orgAuditor, ["organization-auditor"]);
  await otherOrg.add(outsider);
  const memberApiToken = await member.apiToken();
  return { owner, orgAdmin, member, outsider, orgAuditor, userAdmin, memberApiToken, org, otherOrg };
}

/** A fresh app with the standing cast: the set-up of a test file built around the cast. */
export async function castApp(orgName?: string, otherOrgName?: string): Promise<{ app: TestApp; cast: Cast }> {
  const app = await createTestApp();
  return { app, cast: await setupCast(app, orgName, otherOrgName) };
}

/** How a request authenticates: a bearer token, a provisioner key, or nothing. */
export type Credential = { token?: string; provisionerKey?: string };

/** What an actor of the cast sends. */
export function credentialOf(cast: Cast, actor: CastActor): Credential {
  if (actor === "anonymous") return {};
  if (actor === "memberApiToken") return { token: cast.memberApiToken };
  return { token: cast[actor].token };
}

export function headersOf(credential: Credential): Record<string, string> {
  if (credential.provisionerKey) return { "provisioner-key": credential.provisionerKey };
  if (credential.token) return { authorization: `Bearer ${credential.token}` };
  return {};
}

/**
 * One word for an answer: a GraphQL error code (FORBIDDEN with its resource and action), else
 * "userError:CODE[,CODE]" from the payload, else what `read` makes of the field's value
 * (default: "null" for null, an empty list or a connection without rows, otherwise "ok").
 */
export function classify(result: GqlResult, field: string, read?: (value: any) => string): string {
  const error = result.errors?.[0];
  if (error) {
    const { code, resource, action } = error.extensions ?? {};
    return code === "FORBIDDEN" ? `FORBIDDEN:${resource}:${action}` : String(code);
  }
  const value = result.data?.[field];
  const codes = (value?.userErrors ?? []).map((e: { code: string }) => e.code);
  if (codes.length > 0) return `userError:${codes.join(",")}`;
  if (read) return read(value);
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value) && value.length === 0) return "null";
  if (typeof value === "object" && "totalCount" in value && value.totalCount === 0) return "null";
  return "ok";
}

type Scopes = { public?: boolean } | ((...args: unknown[]) => unknown) | undefined;

/** Every Mutation field and every Query field that is not public, as "Mutation.x" / "Query.y". */
export function guardedOperations(): string[] {
  return (["Query", "Mutation"] as const).flatMap((typeName) => {
    const type = schema.getType(typeName);
    if (!type || !("getFields" in type)) return [];
    return Object.values(type.getFields())
      .filter((field) => {
        const scopes = (field.extensions?.pothosOptions as { authScopes?: Scopes } | undefined)?.authScopes;
        const isPublic = typeof scopes === "object" && scopes?.public === true;
        return typeName === "Mutation" || !isPublic;
      })
      .map((field) => `${typeName}.${field.name}`);
  });
}

/**
 * Parses an expectation like "owner orgAdmin: ok | member: FORBIDDEN:GROUP:CREATE | *: NOT_FOUND".
 * `*` stands for every actor not named; anonymous and the provisioner key default to
 * UNAUTHENTICATED unless named (or covered by `*` with `unauthenticatedDefault` off).
 */
export function expectations(spec: string, unauthenticatedDefault = true): Record<MatrixActor, string> {
  const result = {} as Record<MatrixActor, string>;
  let rest: string | undefined;
  for (const part of spec.split("|")) {
    const colon = part.indexOf(":");
    if (colon < 0) throw new Error(`bad expectation part "${part}"`);
    const names = part.slice(0, colon).trim().split(/\s+/);
    const value = part.slice(colon + 1).trim();
    for (const name of names) {
      if (name === "*") rest = value;
      else if ((MATRIX_ACTORS as readonly string[]).includes(name)) result[name as MatrixActor] = value;
      else throw new Error(`unknown actor "${name}" in "${spec}"`);
    }
  }
  for (const actor of MATRIX_ACTORS) {
    if (result[actor]) continue;
    if (unauthenticatedDefault && (actor === "anonymous" || actor === "provisionerKey")) {
      result[actor] = "UNAUTHENTICATED";
    } else if (rest) {
      result[actor] = rest;
    } else {
      throw new Error(`no expectation for ${actor} in "${spec}"`);
    }
  }
  return result;
}

/** Runs one mutation per actor of the cast (input made fresh per actor) and classifies each answer. */
export async function runMatrix(
  app: TestApp,
  cast: Cast,
  mutation: string,
  field: string,
  input: (actor: CastActor) => Promise<Record<string, unknown>> | Record<string, unknown>,
): Promise<Record<CastActor, string>> {
  const outcomes = {} as Record<CastActor, string>;
  for (const actor of CAST_ACTORS) {
    const headers = headersOf(credentialOf(cast, actor));
    const result = await app.gql(mutation, { input: await input(actor) }, { headers });
    outcomes[actor] = classify(result, field);
  }
  return outcomes;
}
