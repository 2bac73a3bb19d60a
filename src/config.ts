// Configuration is read from the environment once, validated, and frozen. A bad value stops
// the process at start with a message that names the variable and what it expected.
import path from "node:path";

export type Config = Readonly<{
  port: number;
  host: string;
  /** PostgreSQL connection string; when absent the embedded PGlite database in dataDir is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Whether organizations other than the default one may exist. */
  multiOrganization: boolean;
  sessionTtlSeconds: number;
  /** scrypt cost parameter N (a power of two); lower only in tests. */
  passwordHashCost: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Upper bound of a request body, in bytes. */
  maxBodyBytes: number;
  dbPoolMax: number;
  dbConnectTimeoutMs: number;
  dbStatementTimeoutMs: number;
  /** Seconds SIGTERM waits for in-flight requests before closing anyway. */
  shutdownGraceSeconds: number;
  graphiql: boolean;
  /** A provisioner daemon not seen for this long is OFFLINE. */
  provisionerStaleSeconds: number;
  /** A RUNNING job whose daemon has not been seen for this long is failed by the reaper. */
  provisionerJobTimeoutSeconds: number;
}>;

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === "") return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("DATABASE_URL must be a URL like postgresql://user@host:5432/db");
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new ConfigError(`DATABASE_URL must use postgresql://, got "${url.protocol}//"`);
  }
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === "production";
  const cost = integer(env, "PASSWORD_HASH_COST", 16384, 1024, 1048576);
  if ((cost & (cost - 1)) !== 0) {
    throw new ConfigError(`PASSWORD_HASH_COST must be a power of two, got ${cost}`);
  }
  return Object.freeze({
    port: integer(env, "PORT", 4000, 0, 65535),
    host: env.HOST || "0.0.0.0",
    databaseUrl: databaseUrl(env),
    dataDir: path.resolve(env.DATA_DIR || ".data"),
    multiOrganization: boolean(env, "MULTI_ORGANIZATION", true),
    sessionTtlSeconds: integer(env, "SESSION_TTL_SECONDS", 86400, 60, 31536000),
    passwordHashCost: cost,
    logLevel: oneOf(env, "LOG_LEVEL", "info", ["debug", "info", "warn", "error", "silent"] as const),
    maxBodyBytes: integer(env, "MAX_BODY_BYTES", 1048576, 1024, 104857600),
    dbPoolMax: integer(env, "DB_POOL_MAX", 10, 1, 1000),
    dbConnectTimeoutMs: integer(env, "DB_CONNECT_TIMEOUT_MS", 5000, 100, 600000),
    dbStatementTimeoutMs: integer(env, "DB_STATEMENT_TIMEOUT_MS", 15000, 100, 3600000),
    shutdownGraceSeconds: integer(env, "SHUTDOWN_GRACE_SECONDS", 10, 0, 600),
    graphiql: boolean(env, "GRAPHIQL", !production),
    provisionerStaleSeconds: integer(env, "PROVISIONER_STALE_SECONDS", 90, 1, 86400),
    provisionerJobTimeoutSeconds: integer(env, "PROVISIONER_JOB_TIMEOUT_SECONDS", 300, 1, 604800),
  });
}
