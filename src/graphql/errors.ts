// The error channels of the API, in one file. A mutation answers what the user can fix as
// `userErrors` (a UserError with a code from USER_ERROR_CODES); everything else is a typed
// GraphQL error made by a factory below. Anything else thrown is masked by Yoga.
import { type ASTNode, GraphQLError } from "graphql";
import type { Action, ResourceType } from "../authz/permissions.js";

export function unauthenticated(reason = "authentication required"): GraphQLError {
  return new GraphQLError(`Unauthenticated: ${reason}.`, {
    extensions: { code: "UNAUTHENTICATED", http: { status: 200 } },
  });
}

export function notFound(what = "object"): GraphQLError {
  return new GraphQLError(`The ${what} does not exist.`, { extensions: { code: "NOT_FOUND" } });
}

/**
 * The viewer may see the object but lacks `action` on it. `why` (from src/authz/explain.ts) adds
 * `reason`, one sentence (the missing permission, or the negating role) and `nearestRole`, the
 * built-in role that would grant it; never anything the viewer may not read.
 */
export function forbidden(
  resource: ResourceType,
  action: Action,
  why?: { reason: string; nearestRole: string | null },
): GraphQLError {
  return new GraphQLError(`Forbidden: missing permission ${action} on ${resource}.`, {
    extensions: { code: "FORBIDDEN", resource, action, ...why },
  });
}

type BadUserInputOptions = { nodes?: ASTNode | readonly ASTNode[]; status?: 400 };

/**
 * An argument (or variable) refused as a whole: always BAD_USER_INPUT. `status: 400` for refusals
 * made before execution (the operation does not run); resolvers answer 200 with the error.
 */
export function badUserInput(message: string, { nodes, status }: BadUserInputOptions = {}): GraphQLError {
  return new GraphQLError(message, {
    nodes,
    extensions: { code: "BAD_USER_INPUT", ...(status ? { http: { status } } : {}) },
  });
}

/**
 * Every code a `userErrors` entry may carry, listed in the schema description of UserError.code.
 * The contract's first values keep their order; add new codes at the end.
 */
export const USER_ERROR_CODES = [
  "INVALID_INPUT",
  "NAME_TAKEN",
  "RESERVED_NAME",
  "ALREADY_MEMBER",
  "NOT_A_MEMBER",
  "DEFAULT_ORGANIZATION_PROTECTED",
  "ORGANIZATION_NOT_EMPTY",
  "CANNOT_CHANGE_OWN_ROLES",
  "ROLE_NOT_ASSIGNABLE",
  "PERMISSION_ESCALATION",
  "QUOTA_EXCEEDED",
  "TEMPLATE_VERSION_NOT_READY",
  "INVALID_CREDENTIALS",
  "SETUP_ALREADY_DONE",
  "FEATURE_DISABLED",
  "EMAIL_TAKEN",
  "CANNOT_REMOVE_SELF",
  "USER_SUSPENDED",
  "IDEMPOTENCY_KEY_REUSED",
  "JOB_NOT_RUNNING",
  "IDP_UNAVAILABLE",
  "FORBIDDEN",
  "CANNOT_SUSPEND_SELF",
  "CANNOT_DELETE_SELF",
  "LAST_OWNER",
  "USER_HAS_WORKSPACES",
  "JOB_NOT_CANCELABLE",
  "TEMPLATE_IN_USE",
  "TEMPLATE_VERSION_ARCHIVED",
  "TEMPLATE_VERSION_ACTIVE",
  "ACTIVE_VERSION_REQUIRED",
  "BUILD_IN_PROGRESS",
  "SIGN_IN_NOT_ALLOWED",
  "IDP_SYNC_MANAGED",
] as const;

export type UserErrorCode = (typeof USER_ERROR_CODES)[number];

export type UserError = { code: UserErrorCode; message: string; field?: string[] };

/** Thrown by services for errors the user can fix; mutations turn it into `userErrors`. */
export class UserErrors extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join(" "));
  }
}

export function userError(code: UserErrorCode, message: string, field?: string[]): UserErrors {
  return new UserErrors([{ code, message, ...(field ? { field } : {}) }]);
}
