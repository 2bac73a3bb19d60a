// Counts the SQL statements Prisma sends through its driver adapter: a running total per
// database (always on: one integer increment per statement) and, when a request runs inside
// `countRequestStatements`, a count for that request (tests and the benchmark use it; the
// AsyncLocalStorage costs nothing until the first request is counted).
import { AsyncLocalStorage } from "node:async_hooks";
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQueryable,
  Transaction,
} from "@prisma/driver-adapter-utils";

export type StatementTally = { count: number };

const perRequest = new AsyncLocalStorage<StatementTally>();

/** Runs `work` with its own statement tally; statements of every async continuation count. */
export function countRequestStatements<T>(tally: StatementTally, work: () => T): T {
  return perRequest.run(tally, work);
}

/** The tally of the request being handled, if it is counted. */
export function currentStatementTally(): StatementTally | undefined {
  return perRequest.getStore();
}

export class StatementCounter {
  /** Statements sent since the database was opened. */
  total = 0;

  add(statements = 1): void {
    this.total += statements;
    const tally = perRequest.getStore();
    if (tally) tally.count += statements;
  }
}

/** Replaces some methods of `target`, binding the others to it (adapters use private state). */
export function override<T extends object>(target: T, replaced: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(object, key) {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof T];
      const value = Reflect.get(object, key, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

function countingQueryable<T extends SqlQueryable>(
  inner: T,
  counter: StatementCounter,
): Partial<Record<keyof T, unknown>> {
  return {
    queryRaw: (query: Parameters<SqlQueryable["queryRaw"]>[0]) => {
      counter.add();
      return inner.queryRaw(query);
    },
    executeRaw: (query: Parameters<SqlQueryable["executeRaw"]>[0]) => {
      counter.add();
      return inner.executeRaw(query);
    },
  } as Partial<Record<keyof T, unknown>>;
}

/**
 * A transaction's BEGIN (and SET TRANSACTION) runs inside the adapter; its COMMIT or ROLLBACK is
 * sent through executeRaw, except by adapters that use "phantom" queries (PGlite), where commit()
 * and rollback() send it.
 */
function countingTransaction(tx: Transaction, counter: StatementCounter): Transaction {
  const phantom = tx.options.usePhantomQuery;
  return override(tx, {
    ...countingQueryable(tx, counter),
    commit: () => {
      if (phantom) counter.add();
      return tx.commit();
    },
    rollback: () => {
      if (phantom) counter.add();
      return tx.rollback();
    },
  });
}

function countingAdapter(adapter: SqlDriverAdapter, counter: StatementCounter): SqlDriverAdapter {
  return override(adapter, {
    ...countingQueryable(adapter, counter),
    startTransaction: async (isolationLevel?: IsolationLevel) => {
      counter.add(isolationLevel ? 2 : 1);
      return countingTransaction(await adapter.startTransaction(isolationLevel), counter);
    },
  });
}

export function countingAdapterFactory(
  factory: SqlDriverAdapterFactory,
  counter: StatementCounter,
): SqlDriverAdapterFactory {
  return override(factory, {
    connect: async () => countingAdapter(await factory.connect(), counter),
  });
}
