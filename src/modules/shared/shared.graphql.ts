// Types every module's payloads use, and the wrapper that turns service UserErrors into them.
import type { ObjectRef } from "@pothos/core";
import { builder } from "../../graphql/builder.js";
import { USER_ERROR_CODES, type UserError, UserErrors } from "../../graphql/errors.js";

export const UserErrorType = builder.objectRef<UserError>("UserError").implement({
  description: "Why a mutation was refused, in terms a form can show next to the input at fault.",
  fields: (t) => ({
    code: t.exposeString("code", {
      description: `Machine-readable, stable: ${USER_ERROR_CODES.join(", ")}.`,
    }),
    message: t.exposeString("message", {
      description: "Human-readable explanation (English); may change, match on code.",
    }),
    field: t.stringList({
      nullable: true,
      description: 'Path to the input field at fault, e.g. ["input", "name"].',
      resolve: (e) => e.field ?? null,
    }),
  }),
});

/** Enum values with a description each, for `builder.enumType(name, { values })` over a list of names. */
export function describedValues<const V extends string>(
  values: readonly V[],
  describe: (value: V) => string,
): Record<V, { description: string }> {
  return Object.fromEntries(values.map((value) => [value, { description: describe(value) }])) as Record<
    V,
    { description: string }
  >;
}

/** Optional text is stored as "" when unset and answered as null ("Null when unset" in the contract). */
export function unsetAsNull(value: string): string | null {
  return value === "" ? null : value;
}

/** A mutation payload: the service's result, or nothing but userErrors. */
export type Payload<T> = Partial<T> & { userErrors: UserError[] };

/** Runs a mutation's service call; a UserErrors thrown inside becomes the payload's userErrors. */
export async function withUserErrors<T extends object>(work: () => Promise<T>): Promise<Payload<T>> {
  try {
    return { ...(await work()), userErrors: [] };
  } catch (error) {
    if (error instanceof UserErrors) return { userErrors: error.errors } as Payload<T>;
    throw error;
  }
}

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;

/**
 * The payload of a mutation answering one object: `{ <key>: T, userErrors }`, the object null
 * when userErrors is not empty. Resolvers fill it with `withUserErrors`.
 */
export function payloadType<Key extends string, T>(name: string, key: Key, type: ObjectRef<BuilderTypes, T>) {
  return builder.objectRef<Payload<Record<Key, T>>>(name).implement({
    description: `The result of a mutation: the ${key} it wrote, or the userErrors that refused it.`,
    fields: (t) => ({
      // Pothos cannot resolve its result type for a generic T; the value is T or null.
      [key]: t.field({
        type,
        nullable: true,
        description: `The ${key} as written; null when userErrors is not empty.`,
        resolve: (p) => (p[key] ?? null) as never,
      }),
      userErrors: t.field({
        type: [UserErrorType],
        description: USER_ERRORS_DESCRIPTION,
        resolve: (p) => p.userErrors,
      }),
    }),
  });
}

/** The `userErrors` field of every payload. */
export const USER_ERRORS_DESCRIPTION = "Why the mutation was refused (nothing was written); empty on success.";

export type DeleteResult = { deletedId?: string | null; userErrors: UserError[] };

export const DeletePayload = builder.objectRef<DeleteResult>("DeletePayload").implement({
  description: "The result of a delete or remove mutation: the id of what is gone, or the userErrors that refused it.",
  fields: (t) => ({
    deletedId: t.id({
      nullable: true,
      description:
        "Global id of the deleted object (a removed member: the user's id; a custom role: its name); null when userErrors is not empty.",
      resolve: (p) => p.deletedId ?? null,
    }),
    userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
  }),
});

/**
 * What a guarded connection field answers when its scopes refuse (`unauthorizedResolver`): no
 * edges, a count of 0. It stands in for the connection's resolver, so it answers a connection;
 * Pothos types a connection's `unauthorizedResolver` by its node type, hence the generic result.
 */
export function emptyConnection<T>(): T {
  const empty = {
    edges: [],
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    totalCount: 0,
  };
  return empty as T;
}

type PageArgs = { after?: string | null; before?: string | null; last?: number | null };
type BuiltConnection = {
  args?: PageArgs;
  edges: unknown;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean };
};

/**
 * The page's length when it holds every row of the list: it starts at one end (no cursor) and
 * does not reach the other. Counts and pages use the same filter, so no count query is needed.
 * plugin-prisma keeps the field's arguments on the connections it builds; others have none.
 */
function wholeListLength({ args, edges, pageInfo }: BuiltConnection): number | null {
  if (!args || args.after != null || args.before != null || !Array.isArray(edges)) return null;
  const reachesOtherEnd = args.last != null ? pageInfo.hasPreviousPage : pageInfo.hasNextPage;
  return reachesOtherEnd ? null : edges.length;
}

/** Also given (src/graphql/schema.ts) to the totalCount fields plugin-prisma adds to inline connections. */
export const TOTAL_COUNT_DESCRIPTION =
  "Number of items in the whole list (every page), with the same filters as the page.";

builder.globalConnectionField("totalCount", (t) =>
  t.int({
    description: TOTAL_COUNT_DESCRIPTION,
    resolve: (connection) =>
      wholeListLength(connection as BuiltConnection) ??
      (typeof connection.totalCount === "function" ? connection.totalCount() : connection.totalCount),
  }),
);
