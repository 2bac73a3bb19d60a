// The Pothos builder: plugins, scalar and scope definitions. It defines no object types.
import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { GraphQLError, Kind } from "graphql";
import type { Action } from "../authz/permissions.js";
import type { PermissionScope } from "../authz/policies/policy.js";
import { viewerCanOnTemplate } from "../authz/policies/template.js";
import type { Context } from "../context.js";
import type PrismaTypes from "../generated/pothos-types.js";
import { getDatamodel } from "../generated/pothos-types.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../limits.js";
import { notFound, unauthenticated } from "./errors.js";

export type { PermissionScope };

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  /** Every connection counts its rows with the same filter as its page. */
  Connection: { totalCount: number | (() => number | Promise<number>) };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string };
    JSON: { Input: never; Output: unknown };
  };
  AuthScopes: {
    /** Anyone, credentials or not. */
    public: boolean;
    /** A signed-in user (session or API token). */
    authenticated: boolean;
    /** A provisioner daemon (Provisioner-Key header). */
    provisioner: boolean;
    /** The evaluator allows the action on the object. */
    permission: PermissionScope;
    /** The evaluator allows the action on a template, by role or (looked up only then) by ACL entry. */
    template: { template: { id: string; organizationId: string }; action: Action };
  };
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Subscription fields are authorized once, when subscribing; events re-check access themselves.
    authorizeOnSubscribe: true,
    // A type's scopes run once per object (in isTypeOf), not once per selected field. Grants are
    // then made by types (grantScopes on the parent type), which scope-auth keys by the parent
    // object's path, where a child object's $granted looks; grants made by fields would not be found.
    runScopesOnType: true,
    authScopes: async (ctx) => ({
      public: true,
      authenticated: ctx.actor.kind === "user",
      provisioner: ctx.actor.kind === "provisioner",
      // Synchronous once the subject is loaded: type checks run once per object of a list.
      permission: ({ action, ...object }) => ctx.viewer.can(action, object),
      template: ({ template, action }) => viewerCanOnTemplate(ctx, template, action),
    }),
    // Root fields fail on missing credentials; an object the viewer may not read does not exist.
    unauthorizedError: (_parent, ctx, info) => {
      if (ctx.actor.kind === "invalid") return unauthenticated(ctx.actor.reason);
      const root = ["Query", "Mutation", "Subscription"].includes(info.parentType.name);
      if (ctx.actor.kind !== "user" && root) {
        return ctx.actor.kind === "provisioner"
          ? unauthenticated("a provisioner key can only call the provisioner daemon operations")
          : unauthenticated();
      }
      return notFound();
    },
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
    maxConnectionSize: MAX_PAGE_SIZE,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    // Descriptions of what the relay plugin generates (Node, PageInfo, connection arguments, edges).
    nodeTypeOptions: { description: "An object with a global id, loadable with `node(id:)`." },
    idFieldOptions: {
      description:
        "Global Relay id (opaque; encodes the type and the row's UUID). Use it with `node(id:)` and as input ids.",
    },
    pageInfoTypeOptions: {
      description: "Where a page sits in its list, and the cursors to fetch the next or previous page.",
    },
    hasNextPageFieldOptions: {
      description: "True when more items follow this page (paginating forward with `first`).",
    },
    hasPreviousPageFieldOptions: {
      description: "True when more items precede this page (paginating backward with `last`).",
    },
    startCursorFieldOptions: {
      description: "Cursor of the page's first item, for `before`; null when the page is empty.",
    },
    endCursorFieldOptions: { description: "Cursor of the page's last item, for `after`; null when the page is empty." },
    pageInfoFieldOptions: { description: "Cursors and whether more pages exist." },
    edgesFieldOptions: { description: "The page's items, in the list's order, each with its cursor." },
    nodeFieldOptions: { description: "The item." },
    cursorFieldOptions: { description: "Opaque cursor of this item, for `after` or `before`." },
    firstArgOptions: {
      description: `Page size counted from the start (or from \`after\`); default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}.`,
    },
    lastArgOptions: {
      description: `Page size counted from the end (or from \`before\`); at most ${MAX_PAGE_SIZE}.`,
    },
    afterArgOptions: { description: "Return items after this cursor (an edge's `cursor` or `pageInfo.endCursor`)." },
    beforeArgOptions: {
      description: "Return items before this cursor (an edge's `cursor` or `pageInfo.startCursor`).",
    },
    // Every connection also answers `nodes`, its page without the edges.
    nodesOnConnection: { description: "The page's objects, in order: the nodes of `edges`, without their cursors." },
  },
});

builder.scalarType("DateTime", {
  description: "A point in time, as an ISO-8601 string in UTC with milliseconds (e.g. 2024-05-01T12:00:00.000Z).",
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) throw new GraphQLError("DateTime must be an ISO-8601 string");
    return date;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("DateTime must be an ISO-8601 string");
    const date = new Date(ast.value);
    if (Number.isNaN(date.getTime())) throw new GraphQLError("DateTime must be an ISO-8601 string");
    return date;
  },
});

builder.scalarType("JSON", {
  description: "A JSON value (object, array, string, number, boolean or null); output only.",
  serialize: (value) => value,
  parseValue: () => {
    throw new GraphQLError("JSON is an output type");
  },
  parseLiteral: () => {
    throw new GraphQLError("JSON is an output type");
  },
});

builder.queryType({ description: "Reads. Lists are Relay connections filtered by what the viewer may read." });
builder.mutationType({
  description:
    'Writes. Refusals a form can show (validation, name conflicts, rules) come back as the payload\'s `userErrors`; a missing permission is a GraphQL error with `extensions.code: "FORBIDDEN"` (and `resource`, `action`), an object the viewer may not read `NOT_FOUND`.',
});
