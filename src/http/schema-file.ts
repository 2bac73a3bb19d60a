// GET /graphql/schema.graphql: the schema in SDL for code generators (the same text as the
// repository's schema.graphql), with an ETag so a client revalidates for a 304. Served only where
// introspection is on: it tells exactly what introspection would.
import { createHash } from "node:crypto";
import { type GraphQLSchema, printSchema } from "graphql";
import type { Plugin } from "graphql-yoga";

export const SCHEMA_PATH = "/graphql/schema.graphql";

/** Whether an If-None-Match header names the tag (weak or strong, or `*`). */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "");
    return tag === "*" || tag === etag;
  });
}

export function schemaFilePlugin(schema: GraphQLSchema): Plugin {
  let printed: { text: string; etag: string } | undefined;
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname !== SCHEMA_PATH) return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        return endResponse(new Response(null, { status: 405, headers: { allow: "GET, HEAD" } }));
      }
      if (!printed) {
        const text = `${printSchema(schema)}\n`;
        printed = { text, etag: `"${createHash("sha256").update(text).digest("base64url").slice(0, 27)}"` };
      }
      const headers = { etag: printed.etag, "cache-control": "no-cache" };
      if (matches(request.headers.get("if-none-match"), printed.etag)) {
        return endResponse(new Response(null, { status: 304, headers }));
      }
      endResponse(
        new Response(request.method === "HEAD" ? null : printed.text, {
          status: 200,
          headers: { ...headers, "content-type": "application/graphql; charset=utf-8" },
        }),
      );
    },
  };
}
