// `node(id:)` and `nodes(ids:)` look objects up through the loader of their type's policy
// (src/authz/policies), or, for node types whose id is composite or whose object is a view a
// module builds (OrganizationMember, Role, TemplateAcl, WorkspaceQuota), through the loader that
// module registered. Each loader applies the type's read rule, so an object the viewer may not
// read is simply not found. Policy lookups are batched per request: the ids asked for while a
// list resolves (nodes(ids:), AuditLog.resource) cost one query per node type.
import { NODE_LOADERS } from "../authz/policies/index.js";
import type { Context } from "../context.js";
import { groupBy, requestBatch } from "./batch.js";
import { isUuid } from "./ids.js";

/** Loads an object by the id inside its global id (raw: a uuid, or a composite key), or null. */
export type NodeLoader = (id: string, ctx: Context) => Promise<unknown | null>;

const registered = new Map<string, NodeLoader>();

/**
 * Registers the loader of a node type a module builds. It gets the raw id (parse it: it may be
 * anything) and must apply the type's read rule, answering null for what the viewer may not read.
 */
export function registerNodeLoader(typename: string, load: NodeLoader): void {
  registered.set(typename, load);
}

type NodeKey = { typename: string; id: string };

/** One query per node type among the batch's keys, each through its policy's read rule. */
const loadPolicyNode = requestBatch<NodeKey, unknown | null>(
  (key) => `${key.typename}:${key.id}`,
  async (ctx, keys) => {
    const found = new Map<string, unknown>();
    const subject = await ctx.viewer.subject();
    if (!subject) return found;
    const idsByType = new Map(
      [...groupBy(keys, (key) => key.typename)].map(([typename, ofType]) => [typename, ofType.map((key) => key.id)]),
    );
    await Promise.all(
      [...idsByType].map(async ([typename, ids]) => {
        const rows = await NODE_LOADERS[typename]?.(ctx.prisma, subject, ids);
        for (const row of rows ?? []) found.set(`${typename}:${row.id}`, row);
      }),
    );
    return found;
  },
  null,
);

export function nodeLoader(typename: string): NodeLoader | undefined {
  const own = registered.get(typename);
  if (own) return own;
  if (!Object.hasOwn(NODE_LOADERS, typename)) return undefined;
  return async (id, ctx) => (isUuid(id) ? loadPolicyNode(ctx, { typename, id: id.toLowerCase() }) : null);
}
