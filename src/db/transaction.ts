// Every multi-step write goes through here: one interactive transaction, retried when the
// database aborts it for a serialization failure or a deadlock (which adapter-pg reports raw).
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";

const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]);
const MAX_ATTEMPTS = 3;

function isRetryable(error: unknown): boolean {
  const e = error as { code?: string; meta?: { code?: string }; cause?: { code?: string; originalCode?: string } };
  if (e?.code === "P2034") return true;
  const sqlState = e?.meta?.code ?? e?.cause?.originalCode ?? e?.cause?.code ?? e?.code;
  return typeof sqlState === "string" && RETRYABLE_SQLSTATES.has(sqlState);
}

/** What each open transaction of inTransaction runs once it has committed. */
const committing = new WeakMap<object, (() => void)[]>();

/**
 * Runs `effect` once `tx` has committed (nothing when it rolls back, once per committed attempt);
 * at once when `tx` is not a transaction of inTransaction (the client itself: already committed).
 */
export function afterCommit(tx: Prisma.TransactionClient, effect: () => void): void {
  const pending = committing.get(tx);
  if (pending) pending.push(effect);
  else effect();
}

export async function inTransaction<T>(
  prisma: PrismaClient,
  work: (tx: Prisma.TransactionClient) => Promise<T>,
  options: { isolationLevel?: Prisma.TransactionIsolationLevel } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const effects: (() => void)[] = [];
    try {
      const result = await prisma.$transaction(
        (tx) => {
          committing.set(tx, effects);
          return work(tx);
        },
        { maxWait: 5000, timeout: 15000, ...options },
      );
      for (const effect of effects) effect();
      return result;
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.random() * 20));
    }
  }
}
