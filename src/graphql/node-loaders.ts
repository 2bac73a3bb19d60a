// `node(id:)` looks objects up through the loader its type registers here. Each loader applies
// the type's read rule in its query, so an object the viewer may not read is simply not found.
import type { Context } from "../context.js";

type NodeLoader = (id: string, ctx: Context) => Promise<unknown | null>;

const loaders = new Map<string, NodeLoader>();

export function registerNodeLoader(typename: string, loader: NodeLoader): void {
  loaders.set(typename, loader);
}

export function nodeLoader(typename: string): NodeLoader | undefined {
  return loaders.get(typename);
}
