// The per-request context, built once at the edge: who is asking (actor), what they may do
// (subject, loaded on first use), and the database to use. Nothing below reads the request.
import type { YogaInitialContext } from "graphql-yoga";
import { type Actor, resolveActor } from "./auth/actor.js";
import type { SessionTokens } from "./auth/session-tokens.js";
import type { Subject } from "./authz/evaluator.js";
import { loadSubject } from "./authz/subject-loader.js";
import type { Config } from "./config.js";
import type { PrismaClient } from "./generated/prisma/client.js";
import { clientIp } from "./http/client-ip.js";
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
};

export type Context = AppDeps & {
  requestId: string;
  ip: string | null;
  actor: Actor;
  /** The authorization subject of a user actor; null for anyone else. Loaded once per request. */
  subject(): Promise<Subject | null>;
  /**
   * The subject once `subject()` has settled, else undefined: lets a check on every object of a
   * long list answer synchronously instead of awaiting a promise per object.
   */
  loadedSubject(): Subject | null | undefined;
  /** Drops the loaded subject, after a write changed the viewer's own memberships or roles. */
  forgetSubject(): void;
  /** After a successful sign-in, the rest of the request is answered as the signed-in user. */
  signedIn(actor: Extract<Actor, { kind: "user" }>): void;
};

export async function buildContext(initial: YogaInitialContext, deps: AppDeps): Promise<Context> {
  const { request } = initial;
  const requestId = requestIdOf(request);
  const log = deps.log.child({ requestId });
  const actor = await resolveActor(request.headers, {
    prisma: deps.prisma,
    sessionTokens: deps.sessionTokens,
    onBackgroundError: (error) => log.warn("background write failed", { error }),
  });
  let subject: Promise<Subject | null> | undefined;
  let loaded: { from: Promise<Subject | null>; value: Subject | null } | undefined;
  const ctx: Context = {
    ...deps,
    log,
    requestId,
    ip: clientIp(request, initial, deps.config.trustProxy),
    actor,
    subject: () => {
      const current = ctx.actor;
      if (subject) return subject;
      const loading =
        current.kind === "user" ? loadSubject(deps.prisma, current.user, current.memberships) : Promise.resolve(null);
      subject = loading;
      // Remembered only while it is still the current subject (forgetSubject may come first).
      void loading.then(
        (value) => {
          if (subject === loading) loaded = { from: loading, value };
        },
        () => {},
      );
      return loading;
    },
    loadedSubject: () => (loaded && loaded.from === subject ? loaded.value : undefined),
    forgetSubject: () => {
      subject = undefined;
      // The memberships read with the credential may be stale now.
      if (ctx.actor.kind === "user") {
        const { memberships: _stale, ...actor } = ctx.actor;
        ctx.actor = actor;
      }
    },
    signedIn: (user) => {
      ctx.actor = user;
      subject = undefined;
    },
  };
  return ctx;
}
