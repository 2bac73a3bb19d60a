// Unexpected errors that still deserve a precise answer instead of a masked INTERNAL_SERVER_ERROR:
// the database being unreachable (the client should retry later) and Pothos's own argument
// checks (pagination arguments and cursors the client got wrong).
import { GraphQLError } from "graphql";

// Connection-level failures: refused, reset, timed out, terminated by the server, pool wait exceeded.
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "57P01", // admin_shutdown (pg_terminate_backend)
  "57P02",
  "57P03", // cannot_connect_now (starting up, shutting down)
  "08000",
  "08001",
  "08003",
  "08006",
  "P1001",
  "P1002",
  "P1017",
  "P2024",
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Can't reach database|Server has closed the connection|Client has encountered a connection error|connect ECONNREFUSED|DatabaseNotReachable|ConnectionClosed/i;

/** Walks the error, its causes and Prisma's wrapped driver errors, looking for a lost connection. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current = error as Record<string, any> | undefined;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const codes = [current.code, current.errorCode, current.originalCode, current.kind, current.meta?.code];
    if (codes.some((code) => typeof code === "string" && UNAVAILABLE_CODES.has(code))) return true;
    if (typeof current.kind === "string" && /DatabaseNotReachable|ConnectionClosed|SocketTimeout/.test(current.kind)) {
      return true;
    }
    if (typeof current.message === "string" && UNAVAILABLE_MESSAGES.test(current.message)) return true;
    // Raw queries ($queryRaw, $executeRaw) carry the driver's error in meta, not as a cause.
    current = current.cause ?? current.originalError ?? current.meta?.driverAdapterError;
  }
  return false;
}

export function serviceUnavailable(): GraphQLError {
  return new GraphQLError("The database is unavailable; try again shortly.", {
    extensions: { code: "SERVICE_UNAVAILABLE", http: { status: 503, headers: { "retry-after": "1" } } },
  });
}

/** Pothos rejects bad connection arguments (negative `first`, a garbled cursor) with this error. */
export function badPaginationInput(error: unknown): GraphQLError | null {
  if (!(error instanceof Error) || error.name !== "PothosValidationError") return null;
  return new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } });
}
