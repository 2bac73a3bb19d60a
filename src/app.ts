// createApp wires configuration, database and schema into a Yoga instance. The server and the
// tests both use it; tests pass their own database.

import { GraphQLError, type GraphQLSchema, getOperationAST } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import type { AuditExport } from "./audit/audit.js";
import type { KnownActor } from "./auth/actor.js";
import { CREDENTIAL_CHANGES, CredentialCache } from "./auth/credential-cache.js";
import { pendingCookies } from "./auth/session-cookie.js";
import { SessionTokens } from "./auth/session-tokens.js";
import type { Subject } from "./authz/evaluator.js";
import type { Config } from "./config.js";
import { type AppDeps, buildContext, type Context } from "./context.js";
import type { Database } from "./db/database.js";
import { countRequestStatements, currentStatementTally } from "./db/statement-counter.js";
import { afterCommit } from "./db/transaction.js";
import { schema as defaultSchema } from "./graphql/schema.js";
import { bodyLimitPlugin } from "./http/body-limit.js";
import { corsOptions, varyOnOriginPlugin } from "./http/cors.js";
import { GRAPHIQL_OPTIONS, renderOfflineGraphiQL } from "./http/graphiql.js";
import { requestIdOf } from "./http/request-id.js";
import { schemaFilePlugin } from "./http/schema-file.js";
import { createLiveEvents } from "./live/live-events.js";
import { createLogger, type Logger } from "./logger.js";
import { oidcHttpPlugin } from "./modules/oidc/oidc-http.js";
import { scimPlugin } from "./modules/scim/scim.js";
import { badPaginationInput, databaseTrouble } from "./security/errors.js";
import { securityPlugins } from "./security/pipeline.js";
import { createRateLimiter } from "./security/rate-limit.js";

export type App = {
  yoga: ReturnType<typeof createYoga<Record<string, unknown>, Context>>;
  deps: AppDeps;
  /** Releases what the app holds besides the database (rate-limit store and pub/sub connections). */
  close(): Promise<void>;
};

// By name, not instanceof: graphql's CommonJS and ESM builds can both be loaded (bundlers, test
// runners), each with its own class.
const isGraphQLError = (error: unknown): error is GraphQLError =>
  error instanceof Error && error.name === "GraphQLError";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** /healthz: the process is up. /readyz: the database answers. */
function healthPlugin(db: Database, log: Logger): Plugin {
  return {
    async onRequest({ url, endResponse }) {
      if (url.pathname === "/healthz") return endResponse(json(200, { status: "ok" }));
      if (url.pathname !== "/readyz") return;
      try {
        await db.ping();
        endResponse(json(200, { status: "ready", database: db.kind }));
      } catch (error) {
        log.warn("readiness check failed", { error });
        endResponse(json(503, { status: "unavailable", database: db.kind }));
      }
    },
  };
}

/** Echoes the request id, so a client can quote it and operators can find the log lines. */
const requestIdPlugin: Plugin = {
  onResponse({ request, response }) {
    response.headers.set("x-request-id", requestIdOf(request));
  },
};

/** Writes the Set-Cookie headers a sign-in or logout queued (SESSION_COOKIE). */
const cookiesPlugin: Plugin = {
  onResponse({ request, response }) {
    for (const cookie of pendingCookies(request)) response.headers.append("set-cookie", cookie);
  },
};

/** Counts each request's SQL statements (context, auth and resolvers) into `x-sql-statements`. */
const statementCountPlugin: Plugin = {
  instrumentation: {
    request: (_payload, wrapped) => countRequestStatements({ count: 0 }, wrapped),
  },
  onResponse({ response }) {
    const tally = currentStatementTally();
    if (tally) response.headers.set("x-sql-statements", String(tally.count));
  },
};

/**
 * A mutation answers only once this instance has dropped the credentials its writes changed, so
 * the client's next request (a logged-out session, a revoked token) is refused here at once.
 */
function settleCredentialsPlugin(credentials: { settle(): Promise<void> }): Plugin {
  return {
    onExecute: ({ args }) => {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== "mutation") return;
      return { onExecuteDone: () => credentials.settle() };
    },
  };
}

/**
 * AUDIT_LOG_STDOUT: one JSON line per audit event (`msg: "audit_log"`), written once its
 * transaction has committed, whatever LOG_LEVEL says (Coder's audit export to the server log).
 */
function auditToStdout(): AuditExport {
  const out = createLogger("info");
  return (tx, line) => afterCommit(tx, () => out.info("audit_log", line));
}

export function createApp({
  db,
  config,
  log,
  schema = defaultSchema,
}: {
  db: Database;
  config: Config;
  log: Logger;
  /** Another build of the schema (the benchmark compares one without scope-auth). */
  schema?: GraphQLSchema;
}): App {
  const live = createLiveEvents({ prisma: db.prisma, redisUrl: config.redisUrl, log });
  const credentials = new CredentialCache<Subject, KnownActor>({
    ttlMs: config.credentialCacheSeconds * 1000,
    maxEntries: 10_000,
  });
  const credentialChanges =
    config.credentialCacheSeconds > 0
      ? db.listen(CREDENTIAL_CHANGES, {
          message: (payload) => credentials.invalidate(payload),
          ready: (settle) => credentials.resume(settle),
          lost: () => {
            credentials.suspend();
            log.warn("credential change notifications interrupted; not caching credentials until reconnected");
          },
        })
      : null;
  const deps: AppDeps = {
    prisma: db.prisma,
    config,
    log,
    sessionTokens: new SessionTokens(db.prisma),
    live,
    credentials,
    auditExport: config.auditLogStdout ? auditToStdout() : undefined,
  };
  const limiter = createRateLimiter(
    config.redisUrl,
    config.rateLimits,
    (error) => log.warn("rate-limit store unavailable; not limiting", { error }),
    config.workers,
  );
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // Served from the installed package, no CDN; off when GRAPHIQL=false.
    graphiql: config.graphiql ? GRAPHIQL_OPTIONS : false,
    renderGraphiQL: renderOfflineGraphiQL,
    cors: corsOptions(config.corsOrigins),
    landingPage: false,
    logging: false,
    batching: false,
    // No Upload scalar: multipart bodies would only be parsed to be refused.
    multipart: false,
    // bodyLimitPlugin refuses oversized bodies (declared or streamed) before anything parses them;
    // Yoga's own limit would pipe every body through a counting stream (8 % of a small query's CPU).
    maxRequestBodySize: false,
    context: (initial) => buildContext(initial, deps),
    maskedErrors: {
      // Typed errors (ours, and Yoga's own for bad requests) pass; anything else is logged and masked.
      maskError: (error, message) => {
        if (isGraphQLError(error) && (!error.originalError || isGraphQLError(error.originalError))) return error;
        const cause = isGraphQLError(error) ? (error.originalError ?? error) : error;
        const precise = badPaginationInput(cause) ?? databaseTrouble(cause);
        if (precise) {
          log.warn("request failed", { code: precise.extensions.code, error: cause });
          return precise;
        }
        log.error("unexpected error", { error: isGraphQLError(error) ? (error.originalError ?? error) : error });
        return new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
      },
    },
    plugins: [
      ...(config.sqlStatementCounter ? [statementCountPlugin] : []),
      requestIdPlugin,
      ...(config.corsOrigins.length > 0 ? [varyOnOriginPlugin] : []),
      healthPlugin(db, log),
      ...(config.introspection ? [schemaFilePlugin(schema)] : []),
      cookiesPlugin,
      oidcHttpPlugin({ ...deps, limiter }),
      // SCIM answers its own errors (size limit included) in SCIM's format.
      scimPlugin({ prisma: db.prisma, config, log, limiter, credentials, auditExport: deps.auditExport, live }),
      bodyLimitPlugin(config.maxBodyBytes),
      ...securityPlugins(config, limiter),
      settleCredentialsPlugin(credentials),
    ],
  });
  return {
    yoga,
    deps,
    close: async () => {
      await Promise.all([limiter.close(), live.close(), credentialChanges?.close()]);
    },
  };
}
