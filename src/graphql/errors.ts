// The typed GraphQL errors of the contract. Anything else thrown is masked by Yoga.
import { GraphQLError } from "graphql";
import type { Action, ResourceType } from "../authz/permissions.js";

export function unauthenticated(reason = "authentication required"): GraphQLError {
  return new GraphQLError(`Unauthenticated: ${reason}.`, {
    extensions: { code: "UNAUTHENTICATED", http: { status: 200 } },
  });
}

export function notFound(what = "object"): GraphQLError {
  return new GraphQLError(`The ${what} does not exist.`, { extensions: { code: "NOT_FOUND" } });
}

export function forbidden(resource: ResourceType, action: Action): GraphQLError {
  return new GraphQLError(`Forbidden: missing permission ${action} on ${resource}.`, {
    extensions: { code: "FORBIDDEN", resource, action },
  });
}

export type UserError = { code: string; message: string; field?: string[] };

/** Thrown by services for errors the user can fix; mutations turn it into `userErrors`. */
export class UserErrors extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join(" "));
  }
}

export function userError(code: string, message: string, field?: string[]): UserErrors {
  return new UserErrors([{ code, message, ...(field ? { field } : {}) }]);
}
