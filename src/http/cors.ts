// CORS: browsers on the listed origins (CORS_ORIGINS) may call the API and read X-Request-Id;
// any other origin gets no CORS headers, so the browser keeps the answer from it. Unset, only the
// API's own origin (GraphiQL) can call it from a browser. Credentials are never allowed: the API
// authenticates with an Authorization header, not cookies, so no origin is reflected with them.
import type { CORSOptions, Plugin } from "graphql-yoga";

const EXPOSED_HEADERS = ["x-request-id", "retry-after"];

export function corsOptions(origins: readonly string[]): (request: Request) => CORSOptions {
  const anyOrigin = origins.includes("*");
  const listed = new Set(origins);
  return (request) => {
    const origin = request.headers.get("origin");
    if (!origin || !(anyOrigin || listed.has(origin))) return false;
    return {
      origin,
      credentials: false,
      methods: ["GET", "POST"],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    };
  };
}

/** The CORS answer depends on Origin: caches must keep one per origin. */
export const varyOnOriginPlugin: Plugin = {
  onResponse({ response }) {
    const vary = response.headers.get("vary");
    if (!vary?.toLowerCase().includes("origin")) response.headers.set("vary", vary ? `${vary}, Origin` : "Origin");
  },
};
