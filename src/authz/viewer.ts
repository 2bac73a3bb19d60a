// The viewer of one request: who is asking, as the evaluator sees them. Loads the subject once
// (on first use) and answers synchronously once it is loaded, so a check on every object of a
// long list costs no promise per object. Services and resolvers ask it instead of reading the
// actor: `require()` for the signed-in user, `can`/`assert` for one object, `readWhere(policy)`
// for a list filter of src/authz/policies. SCIM's viewer has a subject and no user: `can`,
// `assert`, `readWhere` and `requireSubject()` serve it, `require()` refuses it.
import type { Actor } from "../auth/actor.js";
import type { User } from "../generated/prisma/client.js";
import { unauthenticated } from "../graphql/errors.js";
import { assertCan } from "./assert.js";
import { type AuthzObject, can, type Subject } from "./evaluator.js";
import type { Action } from "./permissions.js";

type UserActor = Extract<Actor, { kind: "user" }>;

export type SignedInViewer = { user: User; subject: Subject };

export interface Viewer {
  /** The authorization subject of a user actor (or SCIM's, at the SCIM edge); null for anyone else. Loaded once. */
  subject(): Promise<Subject | null>;
  /** The subject once `subject()` has settled, else undefined (lets list checks stay synchronous). */
  loaded(): Subject | null | undefined;
  /** The signed-in user and their subject; UNAUTHENTICATED for anyone else (SCIM included). */
  require(): Promise<SignedInViewer>;
  /** The subject of a signed-in user or of SCIM; UNAUTHENTICATED for anyone else. */
  requireSubject(): Promise<Subject>;
  /** Whether the viewer may do `action` on `object` (false for non-users); synchronous once loaded. */
  can(action: Action, object: AuthzObject): boolean | Promise<boolean>;
  /** Like `can`, throwing: NOT_FOUND when the object is unreadable, FORBIDDEN when only `action` is missing. */
  assert(action: Action, object: AuthzObject, what?: string): Promise<void>;
  /** A policy's list filter for the signed-in viewer or SCIM (UNAUTHENTICATED for anyone else). */
  readWhere<W>(policy: (subject: Subject) => W): Promise<W>;
  /**
   * Forgets the subject (and the memberships read with the credential), after a write changed the
   * viewer's own memberships or roles; the rest of the request is authorized afresh.
   */
  reset(): void;
}

export type ViewerSource = {
  /** The request's current actor (it changes when the request signs in). */
  actor(): Actor;
  /** Replaces the actor, e.g. without its stale memberships. */
  replaceActor(actor: UserActor): void;
  loadSubject(actor: UserActor): Promise<Subject>;
  /** The SCIM actor's subject: given by `createScimViewer` only (the SCIM edge), so no other edge has one. */
  scimSubject?(): Promise<Subject>;
  /** Called by `reset()`: drops whatever else the request remembered about the old subject. */
  onReset(): void;
};

export function createViewer(source: ViewerSource): Viewer & { signedIn(): void } {
  let subject: Promise<Subject | null> | undefined;
  let loaded: { from: Promise<Subject | null>; value: Subject | null } | undefined;

  const load = (): Promise<Subject | null> => {
    if (subject) return subject;
    const actor = source.actor();
    const loading =
      actor.kind === "user"
        ? source.loadSubject(actor)
        : actor.kind === "scim" && source.scimSubject
          ? source.scimSubject()
          : Promise.resolve(null);
    subject = loading;
    // Remembered only while it is still the current subject (reset may come first).
    void loading.then(
      (value) => {
        if (subject === loading) loaded = { from: loading, value };
      },
      () => {},
    );
    return loading;
  };

  const require = async (): Promise<SignedInViewer> => {
    const actor = source.actor();
    if (actor.kind === "invalid") throw unauthenticated(actor.reason);
    if (actor.kind !== "user") throw unauthenticated();
    const current = await load();
    if (!current) throw unauthenticated();
    return { user: actor.user, subject: current };
  };

  const requireSubject = async (): Promise<Subject> => {
    const actor = source.actor();
    if (actor.kind === "invalid") throw unauthenticated(actor.reason);
    const current = await load();
    if (!current) throw unauthenticated();
    return current;
  };

  const viewer: Viewer & { signedIn(): void } = {
    subject: load,
    loaded: () => (loaded && loaded.from === subject ? loaded.value : undefined),
    require,
    requireSubject,
    can: (action, object) => {
      const known = viewer.loaded();
      if (known !== undefined) return known !== null && can(known, action, object);
      return load().then((value) => value !== null && can(value, action, object));
    },
    assert: async (action, object, what) => {
      assertCan(await requireSubject(), action, object, what);
    },
    readWhere: async (policy) => policy(await requireSubject()),
    reset: () => {
      subject = undefined;
      // The memberships read with the credential may be stale now.
      const actor = source.actor();
      if (actor.kind === "user") {
        const { memberships: _stale, ...fresh } = actor;
        source.replaceActor(fresh);
      }
      source.onReset();
    },
    /** After a sign-in the subject is the new user's, loaded on next use. */
    signedIn: () => {
      subject = undefined;
    },
  };
  return viewer;
}

/** The SCIM edge's viewer: the SCIM actor with `subject` (the SCIM role's), no user, nothing to reset. */
export function createScimViewer(subject: () => Promise<Subject>): Viewer {
  const actor: Actor = { kind: "scim" };
  return createViewer({
    actor: () => actor,
    scimSubject: subject,
    // Never called: the actor is no user.
    loadSubject: () => Promise.reject(new Error("the SCIM actor is no user")),
    replaceActor: () => {},
    onReset: () => {},
  });
}
