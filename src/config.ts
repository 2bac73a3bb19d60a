// Configuration is read from the environment once, validated, and frozen. A bad value stops
// the process at start with a message that names the variable and what it expected.
import { readFileSync } from "node:fs";
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
  /** Sign-in also sets an HttpOnly session cookie, and requests carrying it are authenticated (SESSION_COOKIE). */
  sessionCookie: boolean;
  /** Longest lifetime an API token may be given (Coder's --max-token-lifetime). */
  maxTokenLifetimeSeconds: number;
  /** scrypt cost parameter N (a power of two); lower only in tests. */
  passwordHashCost: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Upper bound of a request body, in bytes. */
  maxBodyBytes: number;
  /** Server processes sharing the port (WORKERS); more than one needs PostgreSQL. */
  workers: number;
  /** Connections per process. */
  dbPoolMax: number;
  dbConnectTimeoutMs: number;
  dbStatementTimeoutMs: number;
  /** Client-side bound on each query, for a backend that stops answering without closing its socket. */
  dbQueryTimeoutMs: number;
  /** Distinct statements each connection keeps prepared (0 = none; for poolers that share sessions). */
  dbPreparedStatements: number;
  /** Seconds SIGTERM waits for in-flight requests before closing anyway. */
  shutdownGraceSeconds: number;
  graphiql: boolean;
  /** Whether the schema may be introspected (off by default in production). */
  introspection: boolean;
  /** Query limits enforced before execution. */
  limits: Readonly<{ depth: number; cost: number; aliases: number; tokens: number; directives: number }>;
  rateLimits: Readonly<{ perMinute: number; signInPerMinute: number }>;
  /** Shared rate-limit counters (and later pub/sub) across instances; in memory when unset. */
  redisUrl: string | undefined;
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** How long a verified credential is remembered in process (0: not at all); changes drop it at once. */
  credentialCacheSeconds: number;
  /** A provisioner daemon not seen for this long is OFFLINE. */
  provisionerStaleSeconds: number;
  /** A RUNNING job whose daemon has not been seen for this long is failed by the reaper. */
  provisionerJobTimeoutSeconds: number;
  /** A PENDING job no daemon acquired within this long is failed by the reaper (Coder: 30 minutes). */
  provisionerPendingTimeoutSeconds: number;
  /** Daemons not seen for this many days are removed by the reaper (Coder prunes after 7). */
  provisionerDaemonPruneDays: number;
  /** The server's version (package.json); daemons of another major version are reported as mismatched. */
  serverVersion: string;
  /** OpenID Connect login; null when OIDC_ISSUER_URL is unset. */
  oidc: OidcConfig | null;
  /** Bearer key of the SCIM 2.0 endpoint; SCIM is off (404) when unset. */
  scimApiKey: string | undefined;
  /** Answer each request's SQL statement count in `x-sql-statements` (tests, benchmarks). */
  sqlStatementCounter: boolean;
  /** Origins other than the API's own that browsers may call it from; empty: same origin only. */
  corsOrigins: readonly string[];
  /** Trusted documents by hash (TRUSTED_DOCUMENTS); null when unset. */
  trustedDocuments: ReadonlyMap<string, string> | null;
  /** Refuse every document that is not a trusted one. */
  trustedDocumentsOnly: boolean;
  /** Also write every audit event as a JSON line on stdout (for a SIEM), whatever LOG_LEVEL says. */
  auditLogStdout: boolean;
  /** Audit events older than this many days are deleted by the reaper; null keeps them forever. */
  auditRetentionDays: number | null;
}>;

export type OidcConfig = Readonly<{
  issuerUrl: string;
  /** The audience ID tokens must carry. */
  clientId: string;
  allowedAlgorithms: readonly string[];
  emailClaim: string;
  usernameClaim: string;
  clockToleranceSeconds: number;
  /** Bound on each request to the provider (discovery, JWKS). */
  httpTimeoutMs: number;
  /** For the server-side code flow: the client secret (none: a public client with PKCE only). */
  clientSecret: string | undefined;
  /** The callback URL registered at the provider; by default the request's origin + /auth/oidc/callback. */
  redirectUri: string | undefined;
  scopes: string;
  /** Whether a login may create a user (Coder's --oidc-allow-signups). */
  allowSignups: boolean;
  /** Lower-cased email domains allowed to sign in; empty: any. */
  emailDomains: readonly string[];
  /** The claim holding the user's groups (admission by OIDC_ALLOWED_GROUPS). */
  groupField: string;
  /** One of these must be in the group claim; empty: no requirement. */
  allowedGroups: readonly string[];
  /** The claim whose values become site roles; empty: site roles are not synced. */
  userRoleField: string;
  /** Claim value -> site roles. `owner` is granted only through this mapping. */
  userRoleMapping: Readonly<Record<string, readonly string[]>>;
  signInText: string;
  iconUrl: string | null;
  /** Graph-style endpoint read with the access token when the ID token announces a groups overage. */
  groupsOverageUrl: string | null;
}>;

export class ConfigError extends Error {}

/** Distinct statements each PostgreSQL connection keeps prepared unless DB_PREPARED_STATEMENTS says otherwise. */
export const DEFAULT_PREPARED_STATEMENTS = 500;

type Env = Record<string, string | undefined>;

/** package.json's version (src/config.ts and dist/config.js both sit one level below it). */
function serverVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

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

function redisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw === "") return undefined;
  if (!/^rediss?:\/\/./.test(raw)) throw new ConfigError(`REDIS_URL must look like redis://host:6379, got "${raw}"`);
  return raw;
}

// Asymmetric JWS algorithms only: `none` and shared-secret HS* make no sense for a public JWKS.
const OIDC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/** https, or http on loopback (a provider on the same machine, e.g. in tests). */
export function isSafeProviderUrl(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.includes(url.hostname));
}

function oidcConfig(env: Env): OidcConfig | null {
  const issuer = env.OIDC_ISSUER_URL;
  if (issuer === undefined || issuer === "") return null;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(`OIDC_ISSUER_URL must be a URL like https://idp.example.com, got "${issuer}"`);
  }
  if (!isSafeProviderUrl(url) || url.search !== "" || url.hash !== "") {
    throw new ConfigError(
      "OIDC_ISSUER_URL must be an https:// URL (http:// only on localhost) without query or fragment",
    );
  }
  const clientId = env.OIDC_CLIENT_ID?.trim();
  if (!clientId) throw new ConfigError("OIDC_CLIENT_ID is required when OIDC_ISSUER_URL is set");
  const algorithms = (env.OIDC_ALLOWED_ALGORITHMS || "RS256,ES256").split(",").map((a) => a.trim());
  const unsupported = algorithms.filter((a) => !OIDC_ALGORITHMS.includes(a));
  if (unsupported.length > 0 || algorithms.length === 0) {
    throw new ConfigError(
      `OIDC_ALLOWED_ALGORITHMS must list some of ${OIDC_ALGORITHMS.join(", ")}, got "${unsupported.join(",")}"`,
    );
  }
  return Object.freeze({
    issuerUrl: issuer,
    clientId,
    allowedAlgorithms: Object.freeze([...new Set(algorithms)]),
    emailClaim: claimName(env, "OIDC_EMAIL_CLAIM", "email"),
    usernameClaim: claimName(env, "OIDC_USERNAME_CLAIM", "preferred_username"),
    clockToleranceSeconds: integer(env, "OIDC_CLOCK_TOLERANCE_SECONDS", 30, 0, 300),
    httpTimeoutMs: integer(env, "OIDC_HTTP_TIMEOUT_MS", 5000, 100, 60000),
    clientSecret: env.OIDC_CLIENT_SECRET || undefined,
    redirectUri: optionalUrl(env, "OIDC_REDIRECT_URI", false),
    scopes: env.OIDC_SCOPES?.trim() || "openid profile email",
    allowSignups: boolean(env, "OIDC_ALLOW_SIGNUPS", true),
    emailDomains: Object.freeze(list(env.OIDC_EMAIL_DOMAINS).map((d) => d.toLowerCase().replace(/^@/, ""))),
    groupField: claimName(env, "OIDC_GROUP_FIELD", "groups"),
    allowedGroups: Object.freeze(list(env.OIDC_ALLOWED_GROUPS)),
    userRoleField: env.OIDC_USER_ROLE_FIELD ? claimName(env, "OIDC_USER_ROLE_FIELD", "") : "",
    userRoleMapping: roleMapping(env.OIDC_USER_ROLE_MAPPING),
    signInText: env.OIDC_SIGN_IN_TEXT?.trim().slice(0, 64) || "OpenID Connect",
    iconUrl: optionalUrl(env, "OIDC_ICON_URL", false) ?? null,
    groupsOverageUrl: optionalUrl(env, "OIDC_GROUPS_OVERAGE_URL", true) ?? null,
  });
}

const list = (raw: string | undefined) =>
  (raw ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");

function optionalUrl(env: Env, name: string, provider: boolean): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${raw}"`);
  }
  if (provider ? !isSafeProviderUrl(url) : !/^https?:$/.test(url.protocol)) {
    throw new ConfigError(`${name} must be an https:// URL (http:// only on localhost), got "${raw}"`);
  }
  return raw;
}

/** OIDC_USER_ROLE_MAPPING: a JSON object from claim values to site role names (a string or a list). */
function roleMapping(raw: string | undefined): Readonly<Record<string, readonly string[]>> {
  if (raw === undefined || raw.trim() === "") return Object.freeze({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('OIDC_USER_ROLE_MAPPING must be JSON like {"admins": ["user-admin"]}');
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError('OIDC_USER_ROLE_MAPPING must be a JSON object like {"admins": ["user-admin"]}');
  }
  const mapping: Record<string, readonly string[]> = {};
  for (const [value, roles] of Object.entries(parsed)) {
    const names = typeof roles === "string" ? [roles] : roles;
    if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
      throw new ConfigError(`OIDC_USER_ROLE_MAPPING: "${value}" must map to a role name or a list of them`);
    }
    mapping[value] = Object.freeze([...names]);
  }
  return Object.freeze(mapping);
}

function claimName(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^[\w.:-]{1,128}$/.test(raw)) throw new ConfigError(`${name} must be a claim name, got "${raw}"`);
  return raw;
}

function scimApiKey(env: Env): string | undefined {
  const raw = env.SCIM_API_KEY;
  if (raw === undefined || raw === "") return undefined;
  if (raw.length < 32 || raw.length > 512 || /\s/.test(raw)) {
    throw new ConfigError("SCIM_API_KEY must be 32-512 characters without whitespace");
  }
  return raw;
}

/** Comma-separated origins (scheme://host[:port]) or `*` (any origin, never with credentials). */
function corsOrigins(env: Env): readonly string[] {
  const raw = env.CORS_ORIGINS?.trim();
  if (!raw) return Object.freeze([]);
  const origins = raw.split(",").map((entry) => entry.trim().replace(/\/$/, ""));
  for (const origin of origins) {
    if (origin === "*") continue;
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS must list origins like https://admin.example.com (no path), or *, got "${origin}"`,
      );
    }
  }
  return Object.freeze([...new Set(origins)]);
}

/** The trusted documents file: a JSON object from hash to document, as the codegen client preset writes it. */
function trustedDocuments(env: Env): ReadonlyMap<string, string> | null {
  const file = env.TRUSTED_DOCUMENTS;
  if (file === undefined || file === "") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`TRUSTED_DOCUMENTS must name a readable JSON file: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError("TRUSTED_DOCUMENTS must hold a JSON object from hash to document");
  }
  const documents = new Map<string, string>();
  for (const [hash, document] of Object.entries(parsed)) {
    if (typeof document !== "string" || !/^[\w:.-]{1,128}$/.test(hash)) {
      throw new ConfigError(`TRUSTED_DOCUMENTS: entry "${hash.slice(0, 40)}" must map a hash to a document string`);
    }
    documents.set(hash, document);
  }
  return documents;
}

export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === "production";
  const cost = integer(env, "PASSWORD_HASH_COST", 16384, 1024, 1048576);
  if ((cost & (cost - 1)) !== 0) {
    throw new ConfigError(`PASSWORD_HASH_COST must be a power of two, got ${cost}`);
  }
  const statementTimeout = integer(env, "DB_STATEMENT_TIMEOUT_MS", 15000, 100, 3600000);
  const documents = trustedDocuments(env);
  const documentsOnly = boolean(env, "TRUSTED_DOCUMENTS_ONLY", false);
  if (documentsOnly && !documents) throw new ConfigError("TRUSTED_DOCUMENTS_ONLY needs TRUSTED_DOCUMENTS (the file)");
  const database = databaseUrl(env);
  const workers = integer(env, "WORKERS", 1, 1, 64);
  if (workers > 1 && !database) {
    throw new ConfigError("WORKERS above 1 needs DATABASE_URL (the embedded database serves one process)");
  }
  return Object.freeze({
    port: integer(env, "PORT", 4000, 0, 65535),
    host: env.HOST || "0.0.0.0",
    databaseUrl: database,
    dataDir: path.resolve(env.DATA_DIR || ".data"),
    multiOrganization: boolean(env, "MULTI_ORGANIZATION", true),
    sessionTtlSeconds: integer(env, "SESSION_TTL_SECONDS", 86400, 60, 31536000),
    sessionCookie: boolean(env, "SESSION_COOKIE", false),
    // Coder's default: 876600 hours (100 years).
    maxTokenLifetimeSeconds: integer(env, "MAX_TOKEN_LIFETIME_SECONDS", 3155760000, 60, 3155760000),
    passwordHashCost: cost,
    logLevel: oneOf(env, "LOG_LEVEL", "info", ["debug", "info", "warn", "error", "silent"] as const),
    maxBodyBytes: integer(env, "MAX_BODY_BYTES", 1048576, 1024, 104857600),
    workers,
    dbPoolMax: integer(env, "DB_POOL_MAX", 10, 1, 1000),
    dbConnectTimeoutMs: integer(env, "DB_CONNECT_TIMEOUT_MS", 5000, 100, 600000),
    dbStatementTimeoutMs: statementTimeout,
    dbQueryTimeoutMs: integer(env, "DB_QUERY_TIMEOUT_MS", statementTimeout + 5000, 100, 3605000),
    dbPreparedStatements: integer(env, "DB_PREPARED_STATEMENTS", DEFAULT_PREPARED_STATEMENTS, 0, 10000),
    shutdownGraceSeconds: integer(env, "SHUTDOWN_GRACE_SECONDS", 10, 0, 600),
    graphiql: boolean(env, "GRAPHIQL", !production),
    introspection: boolean(env, "INTROSPECTION", !production),
    limits: Object.freeze({
      depth: integer(env, "MAX_QUERY_DEPTH", 12, 2, 100),
      cost: integer(env, "MAX_QUERY_COST", 20000, 100, 10_000_000),
      aliases: integer(env, "MAX_QUERY_ALIASES", 30, 0, 1000),
      tokens: integer(env, "MAX_QUERY_TOKENS", 4000, 100, 100_000),
      directives: integer(env, "MAX_QUERY_DIRECTIVES", 20, 0, 1000),
    }),
    sqlStatementCounter: boolean(env, "SQL_STATEMENT_COUNTER", false),
    rateLimits: Object.freeze({
      perMinute: integer(env, "RATE_LIMIT_PER_MINUTE", 1200, 1, 100_000_000),
      signInPerMinute: integer(env, "RATE_LIMIT_SIGNIN_PER_MINUTE", 20, 1, 100_000_000),
    }),
    redisUrl: redisUrl(env),
    trustProxy: boolean(env, "TRUST_PROXY", false),
    credentialCacheSeconds: integer(env, "CREDENTIAL_CACHE_SECONDS", 300, 0, 86400),
    oidc: oidcConfig(env),
    scimApiKey: scimApiKey(env),
    provisionerStaleSeconds: integer(env, "PROVISIONER_STALE_SECONDS", 90, 1, 86400),
    provisionerJobTimeoutSeconds: integer(env, "PROVISIONER_JOB_TIMEOUT_SECONDS", 300, 1, 604800),
    provisionerPendingTimeoutSeconds: integer(env, "PROVISIONER_PENDING_TIMEOUT_SECONDS", 1800, 1, 604800),
    provisionerDaemonPruneDays: integer(env, "PROVISIONER_DAEMON_PRUNE_DAYS", 7, 1, 3650),
    serverVersion: serverVersion(),
    corsOrigins: corsOrigins(env),
    trustedDocuments: documents,
    trustedDocumentsOnly: documentsOnly,
    auditLogStdout: boolean(env, "AUDIT_LOG_STDOUT", false),
    auditRetentionDays: env.AUDIT_RETENTION_DAYS ? integer(env, "AUDIT_RETENTION_DAYS", 0, 1, 36500) : null,
  });
}
