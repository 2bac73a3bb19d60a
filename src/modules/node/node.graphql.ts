// `node(id:)` and `nodes(ids:)`: any object by its global id, through the loader its type
// registered (which applies the type's read rule), so an unreadable or malformed id is just null.
import { brandWithType } from "@pothos/core";
import { decodeGlobalID } from "@pothos/plugin-relay";
import type { Context } from "../../context.js";
import { builder } from "../../graphql/builder.js";
import { badUserInput } from "../../graphql/errors.js";
import { nodeLoader } from "../../graphql/node-loaders.js";

/** The most ids one `nodes` call looks up (one query per node type among them). */
export const MAX_NODES = 100;

/** The object of a global id, branded with its type, or null when malformed, unknown or unreadable. */
async function loadNode(ctx: Context, id: string): Promise<unknown | null> {
  if (id.length > 1000) return null;
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(id);
  } catch {
    return null;
  }
  const loader = nodeLoader(decoded.typename);
  if (!loader) return null;
  const found = await loader(decoded.id, ctx);
  if (found === null || found === undefined) return null;
  brandWithType(found, decoded.typename as never);
  return found;
}

builder.queryFields((t) => ({
  node: t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description:
      "The object with this global id, or null when it does not exist, the id is malformed, or the viewer may not read it (the three are not told apart).",
    authScopes: { public: true },
    args: { id: t.arg.id({ required: true, description: "A global id, as any object's `id` field answers it." }) },
    resolve: (_root, args, ctx) => loadNode(ctx, String(args.id)) as never,
  }),
  nodes: t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: `The objects with these global ids, in the same order: each one null when it does not exist, its id is malformed, or the viewer may not read it, exactly as node(id:) answers. At most ${MAX_NODES} ids.`,
    authScopes: { public: true },
    args: { ids: t.arg.idList({ required: true, description: "Global ids, as objects' `id` fields answer them." }) },
    resolve: (_root, args, ctx) => {
      if (args.ids.length > MAX_NODES) throw badUserInput(`nodes takes at most ${MAX_NODES} ids.`);
      return Promise.all(args.ids.map((id) => loadNode(ctx, String(id)))) as never;
    },
  }),
}));
