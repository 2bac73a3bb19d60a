// `node(id:)`: any object by its global id, through the loader its type registered (which
// applies the type's read rule), so an unreadable or malformed id is just null.
import { brandWithType } from "@pothos/core";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../../graphql/builder.js";
import { isUuid } from "../../graphql/ids.js";
import { nodeLoader } from "../../graphql/node-loaders.js";

builder.queryField("node", (t) =>
  t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description:
      "Any object by its global id (Relay). Null when the id is malformed, names nothing, or names an object the viewer may not read.",
    authScopes: { public: true },
    args: { id: t.arg.id({ required: true, description: "A global id, as answered in any `id` field." }) },
    resolve: async (_root, args, ctx) => {
      let decoded: { typename: string; id: string };
      try {
        decoded = decodeGlobalID(String(args.id));
      } catch {
        return null;
      }
      const loader = nodeLoader(decoded.typename);
      if (!loader || !isUuid(decoded.id)) return null;
      const found = await loader(decoded.id.toLowerCase(), ctx);
      if (found === null || found === undefined) return null;
      brandWithType(found, decoded.typename as never);
      return found as never;
    },
  }),
);
