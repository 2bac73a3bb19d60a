// Per-request caches and batching for fields resolved once per item of a list: the calls made
// while a list is being resolved are answered by one load of all their keys.
import type { Context } from "../context.js";

/** A value kept for one request (its context), made on first use; for caches that must not outlive it. */
export function perRequest<T>(create: () => T): (ctx: Context) => T {
  const values = new WeakMap<Context, T>();
  return (ctx) => {
    let value = values.get(ctx);
    if (value === undefined) {
      value = create();
      values.set(ctx, value);
    }
    return value;
  };
}

/** Items by a key of theirs, in their order: how a batch's keys split into one load per group. */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

type Pending<K, V> = { key: K; resolve: (value: V) => void; reject: (error: unknown) => void };

/**
 * `load` receives the keys of a batch and answers a value for each (by key string). Nothing is
 * cached beyond the batch: a later mutation in the same document reads fresh rows.
 */
export function requestBatch<K, V>(
  keyOf: (key: K) => string,
  load: (ctx: Context, keys: K[]) => Promise<Map<string, V>>,
  missing: V,
): (ctx: Context, key: K) => Promise<V> {
  const queues = new WeakMap<Context, Pending<K, V>[]>();

  async function flush(ctx: Context, queue: Pending<K, V>[]): Promise<void> {
    try {
      const distinct = new Map(queue.map((item) => [keyOf(item.key), item.key]));
      const values = await load(ctx, [...distinct.values()]);
      for (const item of queue) item.resolve(values.get(keyOf(item.key)) ?? missing);
    } catch (error) {
      for (const item of queue) item.reject(error);
    }
  }

  return (ctx, key) =>
    new Promise<V>((resolve, reject) => {
      const queue = queues.get(ctx) ?? [];
      queues.set(ctx, queue);
      queue.push({ key, resolve, reject });
      // setImmediate, not a microtask: items whose resolvers await other promises first still join.
      if (queue.length === 1) {
        setImmediate(() => {
          queues.delete(ctx);
          void flush(ctx, queue);
        });
      }
    });
}
