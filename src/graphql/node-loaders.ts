// `node(id:)` looks objects up through the loader of their type's policy (src/authz/policies).
// Each loader applies the type's read rule in its query, so an object the viewer may not read is
// simply not found.
import { NODE_LOADERS } from "../authz/policies/index.js";
import type { Context } from "../context.js";

type NodeLoader = (id: string, ctx: Context) => Promise<unknown | null>;

export function nodeLoader(typename: string): NodeLoader | undefined {
  if (!Object.hasOwn(NODE_LOADERS, typename)) return undefined;
  const load = NODE_LOADERS[typename];
  if (!load) return undefined;
  return async (id, ctx) => {
    const subject = await ctx.viewer.subject();
    return subject ? load(ctx.prisma, subject, id) : null;
  };
}
