// Argument values checked once, before the context is built (which is SQL): text may not hold a
// NUL character (PostgreSQL text cannot store one, and the statement would fail), and a
// connection's `after`/`before` must be a cursor of the shape this API issues, whose ids are uuids
// (else the uuid cast or Prisma's query validation fails as an internal error).
import { decodeBase64, decodeCursorChunk } from "@pothos/core";
import {
  BREAK,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";
import { getDatamodel } from "../generated/pothos-types.js";
import { badUserInput } from "../graphql/errors.js";
import { isUuid } from "../graphql/ids.js";
import { decodeKeysetCursor } from "../graphql/keyset.js";

/** Free text from a daemon's log: its service strips NUL instead, so the job still fails with the text. */
const STRIPPED_TEXT_FIELDS = new Set(["CompleteProvisionerJobInput.error"]);

const CURSOR_ARGUMENTS = new Set(["after", "before"]);

/** Primary keys by Prisma model, parsed once (getDatamodel parses JSON on each call). */
const MODELS = getDatamodel().datamodel.models as Record<string, { primaryKey: { fields: string[] } | null }>;
const widths = new WeakMap<GraphQLField<unknown, unknown>, number | null>();

function badInput(message: string, node: FieldNode): GraphQLError {
  return badUserInput(message, { nodes: node, status: 400 });
}

/** Where in `value` a string holds a NUL character, or null. */
function nulPath(value: unknown, type: GraphQLInputType, path: string): string | null {
  if (value === null || value === undefined) return null;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const items = Array.isArray(value) ? value : [value];
    for (const [index, item] of items.entries()) {
      const found = nulPath(item, nullable.ofType, `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (isInputObjectType(nullable)) {
    const fields = value as Record<string, unknown>;
    for (const field of Object.values(nullable.getFields())) {
      if (STRIPPED_TEXT_FIELDS.has(`${nullable.name}.${field.name}`)) continue;
      const found = nulPath(fields[field.name], field.type, `${path}.${field.name}`);
      if (found) return found;
    }
    return null;
  }
  return typeof value === "string" && value.includes("\0") ? path : null;
}

/**
 * How many uuids a cursor of this connection holds: a connection pages by its model's primary key
 * (one uuid, or a compound key of uuids), through plugin-prisma's `GPC:` cursors, or, when sortable,
 * by keyset cursors (KEYSET). Null when the field is not such a connection.
 */
function cursorWidth(field: GraphQLField<unknown, unknown>): number | null {
  // Sortable lists (an `orderBy` argument) page by keyset cursors instead (src/graphql/keyset.ts),
  // unless the field says it pages by its model's key (PAGED_BY_KEY) whatever the order.
  if (
    field.args.some((arg) => arg.name === "orderBy") &&
    !(field.extensions as Record<string, unknown>)[PAGED_BY_KEY]
  ) {
    return KEYSET;
  }
  if (!widths.has(field)) widths.set(field, connectionCursorWidth(field));
  return widths.get(field) ?? null;
}

function connectionCursorWidth(field: GraphQLField<unknown, unknown>): number | null {
  const connection = getNamedType(field.type);
  if (!isObjectType(connection)) return null;
  const edges = connection.getFields().edges;
  const edge = edges && getNamedType(edges.type);
  const node = edge && isObjectType(edge) ? edge.getFields().node : undefined;
  const model = node && (getNamedType(node.type).extensions as { pothosPrismaModel?: string }).pothosPrismaModel;
  if (!model) return null;
  return MODELS[model]?.primaryKey?.fields.length ?? 1;
}

/**
 * A field extension: this sortable connection's cursors are plugin-prisma's key cursors (Prisma
 * finds the cursor's row in any order), not keyset cursors.
 */
export const PAGED_BY_KEY = "pagedByKey";

/** The width of a keyset cursor's connection: its cursors are checked by decodeKeysetCursor. */
const KEYSET = 0;

function isIssuedCursor(cursor: string, width: number): boolean {
  if (width === KEYSET) return decodeKeysetCursor(cursor) !== null;
  let value: unknown;
  try {
    const decoded = decodeBase64(cursor);
    if (!decoded.startsWith("GPC:")) return false;
    value = decodeCursorChunk(decoded.slice(4));
  } catch {
    return false;
  }
  if (width === 1) return typeof value === "string" && isUuid(value);
  return Array.isArray(value) && value.length === width && value.every((id) => typeof id === "string" && isUuid(id));
}

function fieldArgumentProblem(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): GraphQLError | null {
  if (field.args.length === 0) return null;
  let values: Record<string, unknown>;
  try {
    values = getArgumentValues(field, node, variables);
  } catch {
    return null; // left to execution, which answers it as the usual argument error
  }
  for (const argument of field.args) {
    const path = nulPath(values[argument.name], argument.type, argument.name);
    if (path)
      return badInput(
        `Argument ${path} of ${field.name} contains a NUL character (\\u0000), which no text may hold.`,
        node,
      );
  }
  for (const name of CURSOR_ARGUMENTS) {
    const cursor = values[name];
    if (typeof cursor !== "string") continue;
    const width = cursorWidth(field);
    if (width !== null && !isIssuedCursor(cursor, width)) {
      return badInput(`Argument ${name} of ${field.name} is not a cursor of this list.`, node);
    }
  }
  return null;
}

/** Fragments the operation spreads, directly or through other fragments. */
function reachableFragments(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const reached = new Set<string>();
  const pending: SelectionSetNode[] = [operation.selectionSet];
  for (let selectionSet = pending.pop(); selectionSet; selectionSet = pending.pop()) {
    visit(selectionSet, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (!fragment || reached.has(spread.name.value)) return;
        reached.add(spread.name.value);
        pending.push(fragment.selectionSet);
      },
    });
  }
  return reached;
}

/** The first argument of the operation that holds NUL or a cursor this API did not issue, or null. */
export function argumentProblem(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): GraphQLError | null {
  const fragments = reachableFragments(document, operation);
  const typeInfo = new TypeInfo(schema);
  let problem: GraphQLError | null = null;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition: (definition) => (definition === operation ? undefined : false),
      FragmentDefinition: (definition) => (fragments.has(definition.name.value) ? undefined : false),
      Field(node) {
        const field = typeInfo.getFieldDef();
        problem = field ? fieldArgumentProblem(field, node, variables) : null;
        return problem ? BREAK : undefined;
      },
    }),
  );
  return problem;
}
