// Prisma sends a transaction's COMMIT or ROLLBACK through the adapter's executeRaw and only then
// calls commit() or rollback(), which return adapter-pg's connection to the pool. When that
// statement fails (the backend was terminated, the server stopped, the client-side query timeout
// fired) neither is called and the pool loses the connection for good: after `DB_POOL_MAX` such
// faults every request waits for a connection in vain, and only a restart helps. This returns
// the connection anyway; the pool discards a broken one.
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from "@prisma/driver-adapter-utils";
import { override } from "./adapter-proxy.js";

function releasingTransaction(tx: Transaction): Transaction {
  let released = false;
  const once = (end: () => Promise<void>) => async () => {
    if (released) return;
    released = true;
    await end();
  };
  const commit = once(() => tx.commit());
  const rollback = once(() => tx.rollback());
  return override(tx, {
    executeRaw: async (query: SqlQuery) => {
      try {
        return await tx.executeRaw(query);
      } catch (error) {
        // A failed COMMIT or ROLLBACK leaves no transaction open on a live connection either.
        if (query.sql === "COMMIT" || query.sql === "ROLLBACK") await rollback();
        throw error;
      }
    },
    commit,
    rollback,
  });
}

function releasingAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return override(adapter, {
    startTransaction: async (...args: Parameters<SqlDriverAdapter["startTransaction"]>) =>
      releasingTransaction(await adapter.startTransaction(...args)),
  });
}

export function releasingTransactions(factory: SqlDriverAdapterFactory): SqlDriverAdapterFactory {
  return override(factory, { connect: async () => releasingAdapter(await factory.connect()) });
}
