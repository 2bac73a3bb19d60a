// GraphQL over HTTP refusals that Yoga answers without a code or too late: a request whose Accept
// allows none of our media types (Yoga would execute it, mutations included, then answer 406), a
// body type no parser reads (Yoga: 415 with an empty body), and a last pass that gives every
// error still without `extensions.code` one.
import { GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

/** What Yoga's result processors can write. */
const SERVED_MEDIA_TYPES = [
  "application/graphql-response+json",
  "application/json",
  "text/event-stream",
  "multipart/mixed",
];

/** Yoga's own reading of Accept (result-processor/accept.ts): utf-8 only, wildcards match. */
export function acceptsMediaType(request: Request, mediaType: string): boolean {
  const [type, subtype] = mediaType.split("/");
  return (request.headers.get("accept") || "*/*")
    .replace(/\s/g, "")
    .toLowerCase()
    .split(",")
    .some((entry) => {
      const [range = "", ...params] = entry.split(";");
      const charset = params.find((param) => param.includes("charset=")) ?? "charset=utf-8";
      if (charset !== "charset=utf-8") return false;
      const [rangeType, rangeSubtype] = range.split("/");
      return (rangeType === "*" || rangeType === type) && (rangeSubtype === "*" || rangeSubtype === subtype);
    });
}

function refusal(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

type ErrorLike = GraphQLError | { message: string; extensions?: Record<string, unknown> };

/** A request error (4xx) is the client's; anything else without a code is ours. */
function withCode(error: ErrorLike): ErrorLike {
  const extensions = (error.extensions ?? {}) as Record<string, any>;
  if (extensions.code) return error;
  const status = Number(extensions.http?.status ?? 0);
  const code = status >= 400 && status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR";
  if (!(error instanceof GraphQLError)) return { ...error, extensions: { ...extensions, code } };
  return new GraphQLError(error.message, {
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...extensions, code },
  });
}

export function httpRefusalsPlugin(): Plugin {
  return {
    onRequestParse({ request, requestParser, endResponse }) {
      if (!SERVED_MEDIA_TYPES.some((type) => acceptsMediaType(request, type))) {
        return endResponse(refusal(406, "NOT_ACCEPTABLE", `Accept allows none of ${SERVED_MEDIA_TYPES.join(", ")}.`));
      }
      // Other methods are Yoga's 405, answered after this hook.
      if (!requestParser && (request.method === "GET" || request.method === "POST")) {
        endResponse(
          refusal(415, "UNSUPPORTED_MEDIA_TYPE", "Send application/json (or application/graphql-response+json)."),
        );
      }
    },
    onResultProcess({ result, setResult }) {
      if (isAsyncIterable(result) || Array.isArray(result)) return;
      const errors = result.errors as readonly ErrorLike[] | undefined;
      if (errors?.some((error) => !error.extensions?.code))
        setResult({ ...result, errors: errors.map(withCode) as GraphQLError[] });
    },
  };
}
