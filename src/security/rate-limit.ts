// Fixed-window rate limits, counted in memory or, with REDIS_URL, in Redis so that every
// instance shares one count. A request is charged to its credential (when it sends one) and to
// its client address; sign-in operations are also charged to a much smaller per-address budget.
import { createHash } from "node:crypto";
import { Redis } from "ioredis";

export interface CounterStore {
  /** Adds one to `key` in the current window and returns the new count. */
  hit(key: string, windowMs: number): Promise<number>;
  close(): Promise<void>;
}

export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  async hit(key: string, windowMs: number): Promise<number> {
    const now = Date.now();
    const current = this.windows.get(key);
    if (!current || current.resetAt <= now) {
      if (this.windows.size > 100_000) this.sweep(now);
      this.windows.set(key, { count: 1, resetAt: now + windowMs });
      return 1;
    }
    current.count += 1;
    return current.count;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }

  async close(): Promise<void> {}
}

export class RedisCounterStore implements CounterStore {
  constructor(private readonly redis: Redis) {}

  async hit(key: string, windowMs: number): Promise<number> {
    const window = Math.floor(Date.now() / windowMs);
    const redisKey = `orgs-api:rl:${key}:${window}`;
    const [[, count]] = (await this.redis.multi().incr(redisKey).pexpire(redisKey, windowMs).exec()) as [
      [unknown, number],
    ];
    return count;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

export type RateLimits = { perMinute: number; signInPerMinute: number };

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number; scope: string };

const WINDOW_MS = 60_000;

/** A credential is counted by a hash of it, so the store never holds a secret. */
export function credentialKey(headers: Headers): string | null {
  const credential = headers.get("authorization") ?? headers.get("provisioner-key");
  return credential ? createHash("sha256").update(credential).digest("base64url").slice(0, 22) : null;
}

export class RateLimiter {
  constructor(
    private readonly store: CounterStore,
    private readonly limits: RateLimits,
    private readonly onStoreError: (error: unknown) => void,
  ) {}

  async checkRequest(ip: string, credential: string | null): Promise<RateDecision> {
    const keys = [`ip:${ip}`, ...(credential ? [`cred:${credential}`] : [])];
    for (const key of keys) {
      if ((await this.count(key)) > this.limits.perMinute) return this.refuse(key);
    }
    return { allowed: true };
  }

  async checkSignIn(ip: string): Promise<RateDecision> {
    const key = `signin:${ip}`;
    return (await this.count(key)) > this.limits.signInPerMinute ? this.refuse(key) : { allowed: true };
  }

  /** A store that fails (Redis down) must not take the service down with it: count as zero. */
  private async count(key: string): Promise<number> {
    try {
      return await this.store.hit(key, WINDOW_MS);
    } catch (error) {
      this.onStoreError(error);
      return 0;
    }
  }

  private refuse(key: string): RateDecision {
    const retryAfterSeconds = Math.ceil((WINDOW_MS - (Date.now() % WINDOW_MS)) / 1000);
    return { allowed: false, retryAfterSeconds, scope: key.split(":")[0] as string };
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * `processes`: the server processes counting on their own (WORKERS without REDIS_URL). Each allows
 * its share of the limits, so all of them together never allow more than configured (a client
 * whose connections all reach one process gets that process's share).
 */
export function createRateLimiter(
  redisUrl: string | undefined,
  limits: RateLimits,
  onStoreError: (error: unknown) => void,
  processes = 1,
): RateLimiter {
  if (redisUrl) return new RateLimiter(new RedisCounterStore(connectRedis(redisUrl)), limits, onStoreError);
  const share = (limit: number) => Math.max(1, Math.floor(limit / processes));
  const shared = { perMinute: share(limits.perMinute), signInPerMinute: share(limits.signInPerMinute) };
  return new RateLimiter(new MemoryCounterStore(), shared, onStoreError);
}

/** A Redis client that gives up on a command quickly when Redis is away, instead of hanging requests. */
function connectRedis(url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // Connection errors surface as failed commands, which the limiter reports; nothing to add here.
  redis.on("error", () => {});
  return redis;
}
