// Client-supplied idempotency keys for create mutations whose retry would duplicate work.
// A key belongs to one user; it remembers the operation, a hash of the input (without the key)
// and the id of the object created. A retry with the same key and input answers that object;
// the same key with another input is IDEMPOTENCY_KEY_REUSED.
//
// Exactly-once under concurrency: the key row is inserted first in the write's own transaction
// with ON CONFLICT DO NOTHING. A concurrent duplicate waits on the primary key until the first
// transaction ends; if that one committed, the duplicate finds the row, rolls its own
// transaction back and replays. The row and the object commit or vanish together.
import { sha256 } from "../../auth/secrets.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma, PrismaClient } from "../../generated/prisma/client.js";
import { userError } from "../../graphql/errors.js";

type Tx = Prisma.TransactionClient;

export const IDEMPOTENCY_KEY_DESCRIPTION =
  "Optional, chosen by the client (1-255 characters, kept 24 h): a retry with the same key and input answers the object created the first time instead of creating another; the same key with another input is the userError IDEMPOTENCY_KEY_REUSED.";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY_MAX = 255;

type IdempotentRequest = { userId: string; operation: string; key: string; requestHash: string };

/** Key order and absent-versus-null do not change the hash. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && v !== null)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
}

/** The request's idempotency identity, or null when the client sent no key. */
function idempotentRequest(
  userId: string,
  operation: string,
  input: { idempotencyKey?: string | null } & Record<string, unknown>,
): IdempotentRequest | null {
  const { idempotencyKey: key, ...rest } = input;
  if (key === undefined || key === null) return null;
  if (key.length === 0 || key.length > KEY_MAX || /[\p{Cc}\p{Cf}]/u.test(key)) {
    throw userError("INVALID_INPUT", `The idempotency key must be 1-${KEY_MAX} printable characters.`, [
      "input",
      "idempotencyKey",
    ]);
  }
  return { userId, operation, key, requestHash: sha256(JSON.stringify(canonical(rest))) };
}

/** Thrown inside the write's transaction when another request already holds the key. */
class AlreadyDone extends Error {
  constructor(readonly resourceId: string) {
    super("idempotency key already used");
  }
}

const reused = () =>
  userError("IDEMPOTENCY_KEY_REUSED", "This idempotency key was already used with a different input.", [
    "input",
    "idempotencyKey",
  ]);

type Stored = { operation: string; requestHash: string; resourceId: string | null };

function resultOf(request: IdempotentRequest, stored: Stored): string | null {
  if (stored.operation !== request.operation || stored.requestHash !== request.requestHash) throw reused();
  return stored.resourceId;
}

const whereKey = (request: IdempotentRequest) => ({ userId_key: { userId: request.userId, key: request.key } });

/** The id created by an earlier request with this key, if any; expired keys are forgotten here. */
async function priorResult(prisma: PrismaClient, request: IdempotentRequest): Promise<string | null> {
  await prisma.idempotencyKey.deleteMany({ where: { userId: request.userId, expiresAt: { lt: new Date() } } });
  const stored = await prisma.idempotencyKey.findUnique({ where: whereKey(request) });
  return stored ? resultOf(request, stored) : null;
}

/** First statement of the write's transaction: takes the key, or ends the transaction with AlreadyDone. */
async function claimKey(tx: Tx, request: IdempotentRequest | null): Promise<void> {
  if (!request) return;
  const { count } = await tx.idempotencyKey.createMany({
    data: [{ ...request, expiresAt: new Date(Date.now() + IDEMPOTENCY_TTL_MS) }],
    skipDuplicates: true,
  });
  if (count === 1) return;
  const stored = await tx.idempotencyKey.findUnique({ where: whereKey(request) });
  const resourceId = stored && resultOf(request, stored);
  if (!resourceId) throw new Error("idempotency key held without a result");
  throw new AlreadyDone(resourceId);
}

/** Last statement of the write's transaction: remembers what was created. */
async function recordResult(tx: Tx, request: IdempotentRequest | null, resourceId: string): Promise<void> {
  if (request) await tx.idempotencyKey.update({ where: whereKey(request), data: { resourceId } });
}

/** Runs `write` in one transaction that claims the key first and records the id it created last. */
export type KeyedTransaction = <R>(createdId: (result: R) => string, write: (tx: Tx) => Promise<R>) => Promise<R>;

type CreateRequest = {
  userId: string;
  operation: string;
  input: { idempotencyKey?: string | null } & Record<string, unknown>;
};

/**
 * A create mutation with an optional idempotency key. `create` makes its checks and runs its
 * write through `inKeyedTransaction`; a request whose key was used before answers
 * `replay(resourceId)` instead (also when a concurrent request with the key commits first).
 */
export async function createIdempotently<T>(
  prisma: PrismaClient,
  { userId, operation, input }: CreateRequest,
  create: (inKeyedTransaction: KeyedTransaction) => Promise<T>,
  replay: (resourceId: string) => Promise<T>,
): Promise<T> {
  const request = idempotentRequest(userId, operation, input);
  const inKeyedTransaction: KeyedTransaction = (createdId, write) =>
    inTransaction(prisma, async (tx) => {
      await claimKey(tx, request);
      const result = await write(tx);
      await recordResult(tx, request, createdId(result));
      return result;
    });
  if (!request) return create(inKeyedTransaction);
  const prior = await priorResult(prisma, request);
  if (prior) return replay(prior);
  try {
    return await create(inKeyedTransaction);
  } catch (error) {
    if (error instanceof AlreadyDone) return replay(error.resourceId);
    throw error;
  }
}
