// Opens the database the service runs on: PostgreSQL through node-postgres when a URL is
// configured, otherwise the embedded PGlite in a local folder. Both expose the same Prisma client
// plus the few raw operations that Prisma cannot do (running migration scripts under a lock).
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { DEFAULT_PREPARED_STATEMENTS } from "../config.js";
import { PrismaClient } from "../generated/prisma/client.js";
import { PGLITE_EXTENSIONS } from "./pglite-extensions.js";
import { statementNames } from "./prepared-statements.js";
import { retryingEndedConnections } from "./stale-connections.js";
import { countingAdapterFactory, StatementCounter } from "./statement-counter.js";
import { releasingTransactions } from "./transaction-release.js";

export type Raw = {
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
};

/** What a channel's listener is told. */
export type NotificationHandlers = {
  message(payload: string): void;
  /** Listening (again): from now on no notification is missed. Gets the `settle` of this connection. */
  ready(settle: () => Promise<void>): void;
  /** Notifications may have been missed (the connection was lost); a reconnect follows. */
  lost(): void;
};

export type Database = {
  kind: "pglite" | "postgres";
  prisma: PrismaClient;
  /** The SQL statements Prisma has sent (benchmarks and query-count tests read it). */
  statements: StatementCounter;
  /** Runs `work` on one connection held for its whole duration (advisory locks need that). */
  withConnection<T>(work: (raw: Raw) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /**
   * LISTENs on `channel` (PostgreSQL: on a connection of its own, reconnecting after a loss). The
   * `settle` given to `ready` resolves once every notification committed before the call has been
   * delivered: the listening backend sends pending notifications before it answers a query.
   */
  listen(channel: string, handlers: NotificationHandlers): { close(): Promise<void> };
  close(): Promise<void>;
};

type StatementNameGenerator = NonNullable<ConstructorParameters<typeof PrismaPg>[1]>["statementNameGenerator"];

export class DatabaseUnavailableError extends Error {}

/**
 * pglite-prisma-adapter 0.7.2 pins @prisma/driver-adapter-utils 7.2.0, whose types differ
 * from 7.10's in name only; the runtime protocol is the same.
 */
export function pgliteAdapter(client: PGlite): SqlDriverAdapterFactory {
  return new PrismaPGlite(client) as unknown as SqlDriverAdapterFactory;
}

/** A data directory path, a dumped data directory to load (tests), or an open instance. */
export async function openPglite(source: string | Blob | PGlite | undefined): Promise<Database> {
  const client =
    source instanceof PGlite
      ? source
      : typeof source === "string" || source === undefined
        ? await PGlite.create(source, { extensions: PGLITE_EXTENSIONS })
        : await PGlite.create({ loadDataDir: source, extensions: PGLITE_EXTENSIONS });
  const statements = new StatementCounter();
  const prisma = new PrismaClient({ adapter: countingAdapterFactory(pgliteAdapter(client), statements) });
  const raw: Raw = {
    exec: async (sql) => {
      await client.exec(sql);
    },
    query: async <T>(sql: string, params?: unknown[]) => (await client.query<T>(sql, params)).rows,
  };
  return {
    kind: "pglite",
    prisma,
    statements,
    // PGlite is a single connection: every caller already holds it.
    withConnection: (work) => work(raw),
    ping: async () => {
      await client.query("select 1");
    },
    listen: (channel, handlers) => listenPglite(client, channel, handlers),
    close: async () => {
      await prisma.$disconnect();
      await client.close();
    },
  };
}

export type PostgresOptions = {
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /**
   * Client-side bound on each query: a backend that stops answering (frozen, or its host gone
   * without closing the socket) never reports statement_timeout. Default: statement timeout + 5 s,
   * so the server's own timeout normally answers first.
   */
  queryTimeoutMs?: number;
  onPoolError?: (error: Error) => void;
  /**
   * Distinct statements each connection keeps prepared (0: none, every statement is parsed and
   * planned again). Off behind a pooler that hands a session's statements to other clients
   * (PgBouncer in transaction mode). Default 500.
   */
  preparedStatements?: number;
};

const isQueryReadTimeout = (error: unknown) => error instanceof Error && error.message === "Query read timeout";

/**
 * node-postgres answers `query_timeout` to the caller but keeps the connection waiting on the
 * silent backend; back in the pool it would stall whoever got it next (first of all the
 * transaction's own ROLLBACK). Closing it at once fails what is queued behind it fast and makes
 * the pool discard it.
 */
class ClosingOnTimeoutClient extends pg.Client {
  // pg's query has a dozen overloads; this forwards them all.
  override query(...args: any[]): any {
    const forward = super.query as (...forwarded: unknown[]) => unknown;
    const closeOnTimeout = (error: unknown) => {
      if (isQueryReadTimeout(error)) this.end().catch(() => {});
    };
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === "function") {
      // pg-pool's pool.query passes a callback.
      args[last] = (error: unknown, result: unknown) => {
        closeOnTimeout(error);
        callback(error, result);
      };
      return forward.apply(this, args);
    }
    const result = forward.apply(this, args);
    if (!(result instanceof Promise)) return result;
    return result.catch((error: unknown) => {
      closeOnTimeout(error);
      throw error;
    });
  }
}

export async function openPostgres(url: string, options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    Client: ClosingOnTimeoutClient,
    connectionString: url,
    max: options.poolMax,
    // node-postgres waits forever for a connection unless told otherwise.
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    lock_timeout: options.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    query_timeout: options.queryTimeoutMs ?? options.statementTimeoutMs + 5000,
  });
  // An idle client that loses its connection emits on the pool; unhandled, it kills the process.
  pool.on("error", (error) => options.onPoolError?.(error));
  // A client handed out by the pool has no listener of the pool's until it is released, and its
  // borrower may attach one only later (adapter-pg after an await) or never (withConnection): a
  // FATAL the server sends meanwhile (a terminated backend) would be an unhandled 'error' event
  // and kill the process. The query or transaction in flight still gets the error.
  pool.on("connect", (client) => client.on("error", () => {}));
  const first = await pool.connect().catch(async (error: Error) => {
    await pool.end().catch(() => {});
    throw new DatabaseUnavailableError(`cannot connect to PostgreSQL: ${error.message}`);
  });
  first.release();
  const statements = new StatementCounter();
  const prepared = options.preparedStatements ?? DEFAULT_PREPARED_STATEMENTS;
  // adapter-pg's type wants a name for every statement; undefined (past the limit) runs unnamed.
  const pgOptions = prepared > 0 ? { statementNameGenerator: statementNames(prepared) as StatementNameGenerator } : {};
  const prisma = new PrismaClient({
    adapter: countingAdapterFactory(
      releasingTransactions(retryingEndedConnections(new PrismaPg(pool, pgOptions))),
      statements,
    ),
  });
  return {
    kind: "postgres",
    prisma,
    statements,
    withConnection: async (work) => {
      const connection = await pool.connect();
      // A held connection that is lost emits 'error' (besides failing its query); unheard, that
      // would end the process. The pool discards a connection released with its error.
      let lost: Error | undefined;
      const onLost = (error: Error) => {
        lost = error;
      };
      connection.on("error", onLost);
      try {
        return await work({
          exec: async (sql) => {
            await connection.query(sql);
          },
          query: async <T>(sql: string, params?: unknown[]) => (await connection.query(sql, params)).rows as T[],
        });
      } finally {
        connection.off("error", onLost);
        connection.release(lost);
      }
    },
    ping: async () => {
      await pool.query("select 1");
    },
    listen: (channel, handlers) => listenPostgres(url, options.connectTimeoutMs, channel, handlers),
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

function listenPglite(client: PGlite, channel: string, handlers: NotificationHandlers) {
  let closed = false;
  const subscribed = client
    .listen(channel, (payload) => handlers.message(payload))
    .then(
      (unsubscribe) => {
        if (!closed) {
          handlers.ready(async () => {
            await client.query("select 1");
          });
        }
        return unsubscribe;
      },
      () => {
        handlers.lost();
        return async () => {};
      },
    );
  return {
    close: async () => {
      closed = true;
      await (await subscribed)();
    },
  };
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

function listenPostgres(url: string, connectTimeoutMs: number, channel: string, handlers: NotificationHandlers) {
  let closed = false;
  let current: pg.Client | null = null;
  let retryMs = RECONNECT_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  const connect = async () => {
    const client = new pg.Client({
      connectionString: url,
      keepAlive: true,
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: `orgs-api listener (${channel})`,
    });
    let gone = false;
    const lose = () => {
      if (gone) return;
      gone = true;
      client.end().catch(() => {});
      if (current === client) current = null;
      handlers.lost();
      if (!closed) {
        timer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
      }
    };
    client.on("error", lose);
    client.on("end", lose);
    client.on("notification", (n) => {
      if (n.channel === channel) handlers.message(n.payload ?? "");
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch {
      lose();
      return;
    }
    if (closed || gone) {
      client.end().catch(() => {});
      return;
    }
    current = client;
    retryMs = RECONNECT_MIN_MS;
    handlers.ready(async () => {
      try {
        await client.query("select 1");
      } catch {
        lose();
      }
    });
  };
  void connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      const client = current;
      current = null;
      await client?.end().catch(() => {});
    },
  };
}
