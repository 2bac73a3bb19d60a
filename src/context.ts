// The per-request context, built once at the edge: who is asking (actor), what they may do (the
// viewer, whose subject is loaded on first use), and the database to use. Nothing below reads
// the request.
import { RequestCache } from "@pothos/plugin-scope-auth";
import type { YogaInitialContext } from "graphql-yoga";
import type { AuditExport } from "./audit/audit.js";
import { type Actor, type KnownActor, resolveActor } from "./auth/actor.js";
import type { CredentialCache } from "./auth/credential-cache.js";
import { queueCookie } from "./auth/session-cookie.js";
import type { SessionTokens } from "./auth/session-tokens.js";
import type { Subject } from "./authz/evaluator.js";
import { loadSubject } from "./authz/subject-loader.js";
import { createViewer, type Viewer } from "./authz/viewer.js";
import type { Config } from "./config.js";
import type { PrismaClient } from "./generated/prisma/client.js";
import { clientIp, userAgentOf } from "./http/client-ip.js";
import { requestIdOf } from "./http/request-id.js";
import type { LiveEvents } from "./live/live-events.js";
import type { Logger } from "./logger.js";

export type AppDeps = {
  prisma: PrismaClient;
  config: Config;
  log: Logger;
  sessionTokens: SessionTokens;
  /** Live-update events: services publish after their writes commit; subscriptions listen. */
  live: LiveEvents;
  /** Verified credentials and their subjects, remembered across requests until a row behind them changes. */
  credentials: CredentialCache<Subject, KnownActor>;
  /** AUDIT_LOG_STDOUT: each committed audit event as a JSON log line; undefined when off. */
  auditExport?: AuditExport | undefined;
};

export type Context = AppDeps & {
  requestId: string;
  ip: string | null;
  /** The User-Agent header (first 256 characters), recorded with audit events. */
  userAgent: string | null;
  actor: Actor;
  /** Who is asking, as the evaluator sees them: the subject, loaded once, and the checks on it. */
  viewer: Viewer;
  /** After a successful sign-in, the rest of the request is answered as the signed-in user. */
  signedIn(actor: Extract<Actor, { kind: "user" }>): void;
  /** Queues a Set-Cookie header on this request's response. */
  setCookie(header: string): void;
  /** The request's URL (cookie attributes depend on its origin). */
  requestUrl: string;
};

/**
 * What services need of a request: the database, who is asking (actor and viewer), the audit
 * metadata (request id, client address), live events and configuration. Not the GraphQL context:
 * a service can be called from any edge (GraphQL, SCIM, the CLI) that builds these.
 */
export type ServiceContext = Pick<
  Context,
  "prisma" | "viewer" | "actor" | "requestId" | "ip" | "userAgent" | "live" | "config" | "auditExport"
>;

export async function buildContext(initial: YogaInitialContext, deps: AppDeps): Promise<Context> {
  const { request } = initial;
  const requestId = requestIdOf(request);
  const log = deps.log.child({ requestId });
  const { actor, credentialKey } = await resolveActor(request.headers, {
    prisma: deps.prisma,
    sessionTokens: deps.sessionTokens,
    credentials: deps.credentials,
    onBackgroundError: (error) => log.warn("background write failed", { error }),
    sessionCookie: deps.config.sessionCookie,
  });
  const viewer = createViewer({
    actor: () => ctx.actor,
    replaceActor: (actor) => {
      ctx.actor = actor;
    },
    // The credential's remembered subject, while the actor is still the credential's own (not
    // after a sign-in, nor after `reset` dropped its memberships).
    loadSubject: (user) => {
      const load = () => loadSubject(deps.prisma, user.user, user.memberships);
      return user === actor ? deps.credentials.subject(credentialKey, load) : load();
    },
    // Scope-auth remembers scope outcomes for the request; they were the old subject's.
    onReset: () => RequestCache.clearForContext(ctx),
  });
  const ctx: Context = {
    ...deps,
    log,
    requestId,
    ip: clientIp(request, initial, deps.config.trustProxy),
    userAgent: userAgentOf(request),
    actor,
    viewer,
    signedIn: (user) => {
      ctx.actor = user;
      viewer.signedIn();
    },
    setCookie: (header) => queueCookie(request, header),
    requestUrl: request.url,
  };
  return ctx;
}
