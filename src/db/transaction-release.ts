// Prisma 6.19's transaction manager ends a transaction by sending COMMIT or ROLLBACK through the
// transaction's executeRaw and only then calling its commit() or rollback(), which is where
// adapter-pg gives the connection back to the pool. When that statement fails (the backend was
// terminated, the server restarted) neither is called: the pool slot is lost for good, and
// after DB_POOL_MAX such failures every request waits for a connection and answers 503. Here a
// failed COMMIT or ROLLBACK gives the connection back (a broken one leaves the pool).
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from "@prisma/driver-adapter-utils";
import { override } from "./statement-counter.js";

const ENDS_TRANSACTION = /^\s*(COMMIT|ROLLBACK)\s*;?\s*$/i;

function releasingTransaction(tx: Transaction): Transaction {
  let released = false;
  const releaseOnce = async (release: () => Promise<void>) => {
    if (released) return;
    released = true;
    await release();
  };
  return override(tx, {
    executeRaw: async (query: SqlQuery) => {
      try {
        return await tx.executeRaw(query);
      } catch (error) {
        if (ENDS_TRANSACTION.test(query.sql)) await releaseOnce(() => tx.rollback()).catch(() => {});
        throw error;
      }
    },
    commit: () => releaseOnce(() => tx.commit()),
    rollback: () => releaseOnce(() => tx.rollback()),
  });
}

function releasingAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return override(adapter, {
    startTransaction: async (...args: Parameters<SqlDriverAdapter["startTransaction"]>) =>
      releasingTransaction(await adapter.startTransaction(...args)),
  });
}

export function releasingAdapterFactory(factory: SqlDriverAdapterFactory): SqlDriverAdapterFactory {
  return override(factory, { connect: async () => releasingAdapter(await factory.connect()) });
}
