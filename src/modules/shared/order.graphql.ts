// Sorting and searching lists: the OrderDirection enum every `orderBy` input uses, the search
// term, and keyset pages (src/graphql/keyset.ts) for the sortable lists. A sortable list orders by
// its sort key and then by the row's id, so equal sort values keep one order and a cursor
// (sort value + id) names one position even after that row changed or went away.
import { queryFromInfo } from "@pothos/plugin-prisma";
import { resolveCursorConnection } from "@pothos/plugin-relay";
import type { GraphQLResolveInfo } from "graphql";
import { allOf } from "../../authz/filters.js";
import { containsIgnoringCase } from "../../db/names.js";
import { builder } from "../../graphql/builder.js";
import { badUserInput } from "../../graphql/errors.js";
import { decodeKeysetCursor, encodeKeysetCursor } from "../../graphql/keyset.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../limits.js";

export const OrderDirection = builder.enumType("OrderDirection", {
  description: "The direction of a list's order.",
  values: {
    ASC: { description: "Ascending: A to Z, oldest first." },
    DESC: { description: "Descending: Z to A, newest first." },
  },
});

export type Direction = "ASC" | "DESC";

/** The description of a `search` argument over `what`. */
export const searchDescription = (what: string) =>
  `Case-insensitive: keeps the rows whose ${what} contains this text (at most 128 characters are used; blank means no search).`;

/** A search argument's term, or null for no search. */
export function searchTerm(search: string | null | undefined): string | null {
  const term = search?.trim().slice(0, 128);
  return term ? term : null;
}

/** `where` matching `term` in any of `columns` (trigram-indexed ILIKE), or {} without a term. */
export function searchWhere(search: string | null | undefined, columns: readonly string[]): Record<string, unknown> {
  const term = searchTerm(search);
  if (term === null) return {};
  return { OR: columns.map((column) => ({ [column]: containsIgnoringCase(term) })) };
}

type Where = Record<string, unknown>;

/**
 * How a list sorts by one column: `column` of the row, or of a relation (`via: "user"` sorts
 * members by their user's column), then by `tieBreak` (the row's id column).
 */
export type SortKey = {
  /** Written into cursors: a cursor of another key is refused. */
  name: string;
  column: string;
  kind: "text" | "date";
  via?: string;
};

export type KeysetRequest<Row> = {
  args: { first?: number | null; last?: number | null; after?: string | null; before?: string | null };
  key: SortKey;
  direction: Direction;
  /** The row's id column, the order's tie-break. */
  tieBreak: string;
  /** Loads rows matching `where` in `orderBy`, at most `take`. */
  load: (page: { where: Where; orderBy: Where[]; take: number }) => Promise<Row[]>;
  /** Counts every row of the list (without the page's cursor condition). */
  count: () => Promise<number>;
};

const nested = (key: SortKey, condition: Where): Where => (key.via ? { [key.via]: condition } : condition);

function sortValueOf(key: SortKey, row: Record<string, unknown>): string {
  const holder = key.via ? (row[key.via] as Record<string, unknown> | undefined) : row;
  const value = holder?.[key.column];
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return value;
  throw new Error(`row lacks its sort column ${key.via ? `${key.via}.` : ""}${key.column}`);
}

function parseValue(key: SortKey, value: string): unknown {
  if (key.kind === "text") return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badUserInput("The cursor is not one of this list.");
  return date;
}

/** Rows strictly after (value, id) when walking in `direction`. */
function beyond(key: SortKey, tieBreak: string, cursor: string, direction: Direction): Where {
  const decoded = decodeKeysetCursor(cursor);
  if (decoded === null || decoded.key !== key.name) {
    throw badUserInput("The cursor belongs to another list or another orderBy; start again without it.");
  }
  const value = parseValue(key, decoded.value);
  const op = direction === "ASC" ? "gt" : "lt";
  return {
    OR: [
      nested(key, { [key.column]: { [op]: value } }),
      { AND: [nested(key, { [key.column]: value }), { [tieBreak]: { [op]: decoded.id } }] },
    ],
  };
}

type KeysetPage<Row> = {
  edges: { cursor: string; node: Row }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
};

const flip = (direction: Direction): Direction => (direction === "ASC" ? "DESC" : "ASC");

/**
 * A page of a sortable list as a connection: one query for the page (its `take` one more than the
 * page, to know whether more follow), and a count query only when totalCount is selected.
 */
export async function keysetConnection<Row extends Record<string, unknown>>(request: KeysetRequest<Row>) {
  const { args, key, direction, tieBreak } = request;
  const connection = (await resolveCursorConnection(
    {
      args,
      defaultSize: DEFAULT_PAGE_SIZE,
      maxSize: MAX_PAGE_SIZE,
      toCursor: (row) => {
        const fields = row as Record<string, unknown>;
        return encodeKeysetCursor({ key: key.name, value: sortValueOf(key, fields), id: String(fields[tieBreak]) });
      },
    },
    ({ after, before, limit, inverted }): Promise<Row[]> => {
      const walk = inverted ? flip(direction) : direction;
      const sql = walk === "ASC" ? "asc" : "desc";
      return request.load({
        where: allOf(
          after ? beyond(key, tieBreak, after, direction) : {},
          before ? beyond(key, tieBreak, before, flip(direction)) : {},
        ),
        orderBy: [nested(key, { [key.column]: sql }), { [tieBreak]: sql }],
        take: limit,
      });
    },
  )) as KeysetPage<Row>;
  return { ...connection, args, totalCount: request.count };
}

/** The page arguments of a connection. */
export type PageArgs = KeysetRequest<never>["args"];

/**
 * A sortable list's page as a connection, for a field whose args are the page arguments and
 * `orderBy`: the sort key from `orderBy` (else `defaultField` ascending), the page's query from
 * the selection (one statement, nested relations joined) and the count of `where`.
 */
export function sortedConnection<Field extends string, Row extends Record<string, unknown>>(request: {
  ctx: object;
  info: GraphQLResolveInfo;
  args: PageArgs & { orderBy?: { field: Field; direction: Direction } | null };
  keys: Record<Field, SortKey>;
  defaultField: Field;
  tieBreak: string;
  /** The list's rows: the organization, the filters and the read rule, in SQL. */
  where: Where;
  findMany: (query: { where: Where; orderBy: Where[]; take: number }) => Promise<Row[]>;
  count: (where: Where) => Promise<number>;
}) {
  const { args, tieBreak, where } = request;
  const key = request.keys[args.orderBy?.field ?? request.defaultField];
  const selection = queryFromInfo({ context: request.ctx, info: request.info, paths: [["edges", "node"], ["nodes"]] });
  const query = withSortColumns(selection, key, tieBreak);
  return keysetConnection({
    args,
    key,
    direction: args.orderBy?.direction ?? "ASC",
    tieBreak,
    load: (page) =>
      request.findMany({ ...query, where: allOf(where, page.where), orderBy: page.orderBy, take: page.take }),
    count: () => request.count(where),
  });
}

/**
 * Adds the columns a sort key needs to a plugin-prisma query (select or include mode), so the
 * cursor can be written from the loaded row.
 */
export function withSortColumns<Q extends object>(query: Q, key: SortKey, tieBreak: string): Q {
  const q = query as { select?: Where; include?: Where };
  if (q.select) {
    const sortColumn = key.via ? { [key.via]: mergeSelect(q.select[key.via], key.column) } : { [key.column]: true };
    return { ...query, select: { ...q.select, [tieBreak]: true, ...sortColumn } };
  }
  if (!key.via) return query;
  return { ...query, include: { ...(q.include ?? {}), [key.via]: mergeSelect(q.include?.[key.via], key.column) } };
}

/** A relation's selection that also reads `column`: `true` and include-mode selections read every column. */
function mergeSelect(existing: unknown, column: string): unknown {
  if (existing === undefined || existing === false) return { select: { [column]: true } };
  if (existing === true) return true;
  const relation = existing as { select?: Where };
  return relation.select ? { ...relation, select: { ...relation.select, [column]: true } } : existing;
}

/**
 * The `orderBy` input of a list: `<Prefix>OrderBy { field: <Prefix>OrderField!, direction:
 * OrderDirection! }`, with the field enum's values and their descriptions.
 */
export function orderByInput<const Fields extends Record<string, { description: string }>>(
  prefix: string,
  what: string,
  fields: Fields,
) {
  const fieldEnum = builder.enumType(`${prefix}OrderField`, {
    description: `What a list of ${what} is sorted by; rows with equal values keep the order of their ids.`,
    values: fields,
  });
  return builder.inputType(`${prefix}OrderBy`, {
    description: `The order of a list of ${what}: a field and a direction.`,
    fields: (t) => ({
      field: t.field({ type: fieldEnum, required: true, description: "The value to sort by." }),
      direction: t.field({ type: OrderDirection, required: true, description: "Ascending or descending." }),
    }),
  });
}

/** Prisma's spelling of a direction. */
export const sortOf = (direction: Direction) => (direction === "ASC" ? "asc" : "desc");

/** The orders of a list sorted by name or by creation (templates, workspaces). */
export type NameOrCreated = "NAME" | "CREATED_AT";

const NAME_OR_CREATED_KEYS: Record<NameOrCreated, SortKey> = {
  NAME: { name: "name", column: "name", kind: "text" },
  CREATED_AT: { name: "createdAt", column: "createdAt", kind: "date" },
};

/**
 * The `search` and `orderBy` arguments of a list of `what` sorted by name or by creation:
 * `<prefix>OrderBy`, CREATED_AT ascending by default.
 */
export function nameOrCreatedListArgs(prefix: string, what: string, one: string) {
  const orderBy = orderByInput(prefix, what, {
    NAME: { description: `The ${one}'s name.` },
    CREATED_AT: { description: `When the ${one} was created; the default order.` },
  });
  return builder.args((t) => ({
    search: t.string({ description: searchDescription("name") }),
    orderBy: t.field({ type: orderBy, description: "Default: CREATED_AT ascending. Ties are ordered by id." }),
  }));
}

/** A page of a list sorted by name or by creation (see `nameOrCreatedListArgs`), then by id. */
export function nameOrCreatedConnection<Row extends Record<string, unknown>>(
  request: Omit<Parameters<typeof sortedConnection<NameOrCreated, Row>>[0], "keys" | "defaultField" | "tieBreak">,
) {
  return sortedConnection({ ...request, keys: NAME_OR_CREATED_KEYS, defaultField: "CREATED_AT", tieBreak: "id" });
}
