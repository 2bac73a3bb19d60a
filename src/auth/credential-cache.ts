// Verified credentials remembered in process, so a request whose credential is known runs no SQL to
// learn who is asking (nor to compile their subject). Entries are dropped as soon as the database
// says a row behind them changed: triggers on the user, session, API token, membership, custom role
// and provisioner key tables notify CREDENTIAL_CHANGES (see the migration
// `credential_notifications`), and every instance listens. A mutation's response waits until its
// own instance has read the notifications of its writes (`settle`), so a logout, a suspension or a
// revoked token is refused by the very next request. While the listener is not connected nothing
// is remembered and every request reads the database, as without the cache.
import { createHash } from "node:crypto";

/** The notification channel the triggers write to (lower case: PostgreSQL folds identifiers). */
export const CREDENTIAL_CHANGES = "orgs_api_credential_changes";

/** What the cache needs to know of an accepted actor (src/auth/actor.ts has the whole type). */
export type CachedActor =
  | {
      kind: "user";
      user: { id: string; siteRoles: string[] };
      memberships?: { organizationId: string; roles: string[] }[];
    }
  | { kind: "provisioner" };

type Entry<S, A extends CachedActor> = {
  actor: A;
  /** The session, API token or provisioner key id. */
  credentialId: string;
  expiresAtMs: number;
  /** API tokens: when `lastUsedAt` was last written, so the bookkeeping stays once a minute. */
  lastUsedAtMs: number | null;
  /** Users: when `lastSeenAt` was last written (or loaded fresh), for the same reason. */
  lastSeenAtMs: number | null;
  subject?: Promise<S>;
};

export type CredentialCacheOptions = { ttlMs: number; maxEntries: number };

export class CredentialCache<S, A extends CachedActor = CachedActor> {
  private readonly entries = new Map<string, Entry<S, A>>();
  /** Counts invalidations: a value read from the database before one happened is not remembered. */
  private generation = 0;
  private listening = false;
  private settleWith: () => Promise<void> = async () => {};

  constructor(private readonly options: CredentialCacheOptions) {}

  get enabled(): boolean {
    return this.listening && this.options.ttlMs > 0;
  }

  /** The cache key of a presented credential: a digest, so no secret is kept in memory. */
  static keyOf(header: string): string {
    return createHash("sha256").update(header).digest("base64url");
  }

  /** Marks the moment before a database read whose result may be remembered. */
  mark(): number {
    return this.generation;
  }

  get(key: string): Entry<S, A> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (!this.enabled || entry.expiresAtMs <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Remembers a credential read since `mark`, unless something was invalidated meanwhile. */
  remember(
    key: string,
    since: number,
    value: {
      actor: A;
      credentialId: string;
      expiresAt: Date | null;
      lastUsedAt?: Date | null;
      lastSeenAt?: Date | null;
    },
  ): void {
    if (!this.enabled || since !== this.generation) return;
    if (this.entries.size >= this.options.maxEntries) {
      // Maps iterate in insertion order: the oldest entry goes.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const ttlEnd = Date.now() + this.options.ttlMs;
    this.entries.set(key, {
      actor: freezeActor(value.actor),
      credentialId: value.credentialId,
      expiresAtMs: value.expiresAt ? Math.min(ttlEnd, value.expiresAt.getTime()) : ttlEnd,
      lastUsedAtMs: value.lastUsedAt === undefined ? null : (value.lastUsedAt?.getTime() ?? 0),
      lastSeenAtMs: value.lastSeenAt === undefined ? null : (value.lastSeenAt?.getTime() ?? 0),
    });
  }

  /** The subject of a remembered user credential, loaded once while the entry lives. */
  subject(key: string | null, load: () => Promise<S>): Promise<S> {
    const entry = key === null ? undefined : this.get(key);
    if (!entry) return load();
    if (entry.subject) return entry.subject;
    const since = this.generation;
    const loading = load();
    loading.then(
      () => {
        if (since === this.generation && this.entries.get(key as string) === entry) entry.subject = loading;
      },
      () => {},
    );
    return loading;
  }

  /** Handles one notification: `user:<id>`, `session:<id>`, `token:<id>`, `key:<id>` or `org:<id>`. */
  invalidate(payload: string): void {
    this.generation++;
    const colon = payload.indexOf(":");
    const kind = payload.slice(0, colon);
    const id = payload.slice(colon + 1);
    for (const [key, entry] of this.entries) {
      if (affects(kind, id, entry)) this.entries.delete(key);
    }
  }

  /** The listener is connected: remembering may start. */
  resume(settle: () => Promise<void>): void {
    this.generation++;
    this.entries.clear();
    this.settleWith = settle;
    this.listening = true;
  }

  /** Notifications may have been missed: forget everything and remember nothing until `resume`. */
  suspend(): void {
    this.generation++;
    this.entries.clear();
    this.listening = false;
  }

  /** Resolves once this instance has handled the notifications of every write committed so far. */
  async settle(): Promise<void> {
    if (this.listening) await this.settleWith();
  }

  get size(): number {
    return this.entries.size;
  }
}

function affects<S, A extends CachedActor>(kind: string, id: string, entry: Entry<S, A>): boolean {
  const { actor } = entry;
  switch (kind) {
    case "session":
    case "token":
    case "key":
      return entry.credentialId === id;
    case "user":
      return actor.kind === "user" && actor.user.id === id;
    case "org":
      // A custom role of the organization changed: its members' subjects; provisioner keys keep theirs.
      return actor.kind === "user" && (actor.memberships ?? []).some((m) => m.organizationId === id);
    default:
      // Unknown news: the safe answer is to forget.
      return true;
  }
}

/** A remembered actor is shared by concurrent requests: nobody may change it. */
function freezeActor<A extends CachedActor>(actor: A): A {
  if (actor.kind === "user") {
    Object.freeze(actor.user.siteRoles);
    Object.freeze(actor.user);
    for (const membership of actor.memberships ?? []) Object.freeze(Object.freeze(membership).roles);
  }
  return Object.freeze(actor);
}
