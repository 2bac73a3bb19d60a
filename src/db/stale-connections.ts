// A pooled connection whose backend the server ended while it sat idle (an administrator, a
// restart, idle_session_timeout) still looks usable to the pool until its socket is read: the
// next statement sent on it receives the backend's FATAL 57P01 instead of an answer. Such a
// statement never ran — a backend that is terminated while executing a statement outside a
// transaction rolls it back — so it is sent again on another connection (the pool discards the
// dead one), a few times at most, before the error reaches the request as a 503.
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery } from "@prisma/driver-adapter-utils";
import { override } from "./adapter-proxy.js";

/** Attempts after the first: enough for every idle connection of a small pool to have been ended. */
const RETRIES = 4;

const ADMIN_SHUTDOWN = "57P01";

/** The backend had been terminated: adapter-pg's error carries PostgreSQL's code in its cause. */
export function endedWhileIdle(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; originalCode?: unknown } } | null)?.cause;
  return cause?.originalCode === ADMIN_SHUTDOWN || cause?.code === ADMIN_SHUTDOWN;
}

async function withRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= RETRIES || !endedWhileIdle(error)) throw error;
    }
  }
}

/**
 * Statements outside a transaction, and the start of a transaction (BEGIN on a pooled
 * connection), are retried on a connection ended while idle. Statements inside a transaction are
 * not: the transaction is gone with its connection.
 */
function retryingAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return override(adapter, {
    queryRaw: (query: SqlQuery) => withRetries(() => adapter.queryRaw(query)),
    executeRaw: (query: SqlQuery) => withRetries(() => adapter.executeRaw(query)),
    startTransaction: (...args: Parameters<SqlDriverAdapter["startTransaction"]>) =>
      withRetries(() => adapter.startTransaction(...args)),
  });
}

export function retryingEndedConnections(factory: SqlDriverAdapterFactory): SqlDriverAdapterFactory {
  return override(factory, { connect: async () => retryingAdapter(await factory.connect()) });
}
