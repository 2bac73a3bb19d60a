// The request body size limit (MAX_BODY_BYTES) for GraphQL and SCIM, checked before anything parses
// a body: a declared Content-Length at once, a streamed (chunked) body while it is read.
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

/** The body's bytes, or null once it exceeds `max` (the rest is not read). */
export async function readBodyWithin(body: ReadableStream<Uint8Array> | null, max: number): Promise<Buffer | null> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await reader.read();
    if (next.done) return Buffer.concat(chunks);
    size += next.value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(next.value);
  }
}

export const bodyTooLargeMessage = (max: number) => `Request body exceeds ${max} bytes.`;

/** One non-negative integer, nothing else: a list or a sign is how smuggled requests disagree on a length. */
const CONTENT_LENGTH = /^\d+$/;

function invalidContentLength(): GraphQLError {
  return new GraphQLError("The Content-Length header is invalid.", {
    extensions: { code: "BAD_REQUEST", http: { status: 400 } },
  });
}

function payloadTooLarge(max: number): GraphQLError {
  return new GraphQLError(bodyTooLargeMessage(max), {
    extensions: { code: "PAYLOAD_TOO_LARGE", http: { status: 413 } },
  });
}

/**
 * Refuses GraphQL bodies over `max` bytes. A declared length is checked before the request is
 * parsed (and refused unless it is one whole number); a body without one (chunked) is read up to the limit and handed to Yoga's parser as
 * bytes. Yoga's own limit (off in createApp) would pipe every body through a counting stream.
 */
export function bodyLimitPlugin(max: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (request.method !== "POST") return;
      const declared = request.headers.get("content-length");
      if (declared !== null) {
        if (!CONTENT_LENGTH.test(declared)) throw invalidContentLength();
        if (Number(declared) > max) throw payloadTooLarge(max);
        return;
      }
      if (!requestParser || !request.body) return;
      setRequestParser(async (streamed) => {
        const bytes = await readBodyWithin(streamed.body, max);
        if (bytes === null) throw payloadTooLarge(max);
        const buffered = new fetchAPI.Request(streamed.url, {
          method: streamed.method,
          headers: streamed.headers,
          body: new Uint8Array(bytes),
        });
        return requestParser(buffered);
      });
    },
  };
}
