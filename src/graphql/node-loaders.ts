// `node(id:)` and `nodes(ids:)` look objects up through the loader of their type's policy
// (src/authz/policies), or, for node types whose id is composite or whose object is a view a
// module builds (OrganizationMember, Role, TemplateAcl, WorkspaceQuota), through the loader that
// module registered. Each loader applies the type's read rule, so an object the viewer may not
// read is simply not found.
import { NODE_LOADERS } from "../authz/policies/index.js";
import type { Context } from "../context.js";
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

export function nodeLoader(typename: string): NodeLoader | undefined {
  const own = registered.get(typename);
  if (own) return own;
  if (!Object.hasOwn(NODE_LOADERS, typename)) return undefined;
  const load = NODE_LOADERS[typename];
  if (!load) return undefined;
  return async (id, ctx) => {
    if (!isUuid(id)) return null;
    const subject = await ctx.viewer.subject();
    return subject ? load(ctx.prisma, subject, id.toLowerCase()) : null;
  };
}
