// Trusted documents (persisted operations): a request may name a document by hash instead of
// sending it, as `documentId` (GraphQL over HTTP's and the codegen client preset's field, in the
// body or the GET query string) or `extensions.persistedQuery.sha256Hash` (Apollo's automatic
// persisted queries). The documents come from TRUSTED_DOCUMENTS (hash → document, the client
// preset's persisted-documents.json). With TRUSTED_DOCUMENTS_ONLY every other document is refused
// here, before it is parsed. An unknown hash without a document is PERSISTED_QUERY_NOT_FOUND, the
// answer on which Apollo's link resends the operation with its text (refused again in `only` mode).
import { GraphQLError } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";

type Params = Record<string, unknown> & { query?: unknown; extensions?: unknown };

function refused(message: string, code: string, status: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status } } });
}

/** The hash the request names, if any; a non-string is refused. */
function requestedHash(params: Params, request: Request): string | undefined {
  const persisted = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)
    ?.persistedQuery;
  let hash = params.documentId ?? persisted?.sha256Hash;
  if (hash == null && request.method === "GET") hash = new URL(request.url).searchParams.get("documentId");
  if (hash == null || hash === "") return undefined;
  if (typeof hash !== "string") throw refused("documentId must be a string.", "BAD_REQUEST", 400);
  return hash;
}

export function trustedDocumentsPlugin(documents: ReadonlyMap<string, string> | null, only: boolean): Plugin {
  const trusted = new Set(documents?.values() ?? []);
  return {
    onParams({ params, request, setParams }) {
      const given = params as Params;
      const hash = requestedHash(given, request);
      const { documentId: _dropped, ...rest } = params as GraphQLParams & { documentId?: unknown };
      if (hash !== undefined) {
        // The client preset's keys read `sha256:<hex>`; Apollo sends the bare hex.
        const document = documents?.get(hash) ?? documents?.get(`sha256:${hash}`);
        if (document !== undefined) {
          setParams({ ...rest, query: document });
          return;
        }
        if (typeof given.query !== "string") {
          // Apollo's link matches on the message; the code is the one its servers answer.
          throw refused("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 200);
        }
      }
      if (only && !(typeof given.query === "string" && trusted.has(given.query))) {
        throw refused(
          "Only trusted documents are accepted here: send a documentId from the trusted documents file.",
          "PERSISTED_QUERY_ONLY",
          400,
        );
      }
      if ("documentId" in given) setParams(rest);
    },
  };
}
