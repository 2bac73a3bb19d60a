// Unexpected errors that still deserve a precise answer instead of a masked INTERNAL_SERVER_ERROR:
// the database being unreachable or timing out (the client should retry later) and Pothos's own argument
// checks (pagination arguments and cursors the client got wrong).
import { GraphQLError } from "graphql";
import { badUserInput } from "../graphql/errors.js";

// Connection-level failures: refused, reset, timed out, terminated by the server, pool wait
// exceeded, no answer within the client-side query timeout (a frozen backend).
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
  /Connection terminated|Query read timeout|timeout exceeded when trying to connect|Can't reach database|Server has closed the connection|Client has encountered a connection error|connect ECONNREFUSED|DatabaseNotReachable|ConnectionClosed/i;

// Statement or lock timeout: the database is up, but the request waited too long for it (a held
// lock, an overloaded server). As transient as an outage, and answered the same way.
const BUSY_CODES = new Set(["57014", "55P03"]); // query_canceled (statement_timeout), lock_not_available
const BUSY_MESSAGES = /canceling statement due to (statement|lock) timeout/i;

/** Whether `test` holds for the error, one of its causes or Prisma's wrapped driver error. */
function someCause(error: unknown, test: (candidate: Record<string, any>) => boolean): boolean {
  const seen = new Set<unknown>();
  let current = error as Record<string, any> | undefined;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    if (test(current)) return true;
    // Raw queries ($queryRaw, $executeRaw) carry the driver's error in meta, not as a cause.
    current = current.cause ?? current.originalError ?? current.meta?.driverAdapterError;
  }
  return false;
}

const codesOf = (candidate: Record<string, any>): unknown[] => [
  candidate.code,
  candidate.errorCode,
  candidate.originalCode,
  candidate.kind,
  candidate.meta?.code,
];

/** A lost connection: refused, reset, terminated, timed out, pool wait exceeded. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return someCause(
    error,
    (current) =>
      codesOf(current).some((code) => typeof code === "string" && UNAVAILABLE_CODES.has(code)) ||
      (typeof current.kind === "string" && /DatabaseNotReachable|ConnectionClosed|SocketTimeout/.test(current.kind)) ||
      (typeof current.message === "string" && UNAVAILABLE_MESSAGES.test(current.message)),
  );
}

/** A statement or lock timeout. */
export function isDatabaseBusy(error: unknown): boolean {
  return someCause(
    error,
    (current) =>
      codesOf(current).some((code) => typeof code === "string" && BUSY_CODES.has(code)) ||
      (typeof current.message === "string" && BUSY_MESSAGES.test(current.message)),
  );
}

/** The precise answer to a database that is out of reach or too slow, or null for other errors. */
export function databaseTrouble(error: unknown): GraphQLError | null {
  if (isDatabaseUnavailable(error)) return serviceUnavailable("The database is unavailable; try again shortly.");
  if (isDatabaseBusy(error)) return serviceUnavailable("The database is busy; try again shortly.");
  return null;
}

function serviceUnavailable(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: "SERVICE_UNAVAILABLE", http: { status: 503, headers: { "retry-after": "1" } } },
  });
}

/** Pothos rejects bad connection arguments (negative `first`, a garbled cursor) with this error. */
export function badPaginationInput(error: unknown): GraphQLError | null {
  if (!(error instanceof Error) || error.name !== "PothosValidationError") return null;
  return badUserInput(error.message);
}
