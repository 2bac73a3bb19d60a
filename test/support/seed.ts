// Scoped seed builders (the fixture style of test/README.md): each step returns the scope the next
// one works in, so a test states who exists and where in a few lines:
//
//   const owner = await seed(app).owner();
//   const acme = await owner.org("acme");
//   const alice = await acme.member("alice", ["organization-admin"]);
//
// Users (and their tokens) come from the API; organizations, roles and groups go straight to the
// database (test/support/fixtures.ts), as state a test needs but does not test: no audit rows, no
// SQL on the request path. Behaviour is always asserted through the API.

import { expect } from "vitest";
import {
  type Actor,
  addOrganizationMember,
  createApiToken,
  createOrganization,
  createUser,
  login,
  setupOwner,
} from "./actors.js";
import { addMember, makeOrganization, uuidOf } from "./fixtures.js";
import type { TestApp } from "./harness.js";
import { createTemplate, makeGroup, setEveryoneAllowance } from "./workloads.js";

/** A user made through the API, with a session token, who can make API tokens of their own. */
export type SeededUser = Actor & {
  /** A new API token (oat_...) of this user, made through the API. */
  apiToken(name?: string): Promise<string>;
};

/** The site owner (the first user) and what they can make. */
export type OwnerScope = SeededUser & {
  /**
   * An organization (with its Everyone group), made straight in the database. `throughApi`: made by
   * the owner with createOrganization (audited, the owner a role-less member), and `add` goes
   * through addOrganizationMember, for tests whose assertions see audit rows or memberships.
   */
  org(name: string, options?: { throughApi?: boolean }): Promise<OrgScope>;
  /** A user made by the owner through the API, with site roles, member of `orgs` (omitted: the default organization; []: none). */
  user(username: string, options?: { siteRoles?: string[]; orgs?: OrganizationRef[] }): Promise<SeededUser>;
};

/** An organization: `id` is its global id, `uuid` its row id. */
export type OrganizationRef = { id: string; uuid: string; name: string };

/** One organization and what can be made in it. */
export type OrgScope = OrganizationRef & {
  /** A new user, member of this organization only, with these explicit organization roles. */
  member(username: string, roles?: string[]): Promise<SeededUser>;
  /** Makes an existing user (by global id) a member with these roles; straight in the database, it also sets the roles of a member. */
  add<T extends { id: string }>(user: T, roles?: string[]): Promise<T>;
  /** A group with explicit members, made straight in the database. */
  group(name: string, options?: { quotaAllowance?: number; members?: Actor[] }): Promise<{ id: string; uuid: string }>;
  /** Sets the Everyone group's daily quota allowance: every member's base budget (the default is 0). */
  setEveryoneAllowance(quotaAllowance: number): Promise<void>;
  /** A template created through the API by `as` (default: the owner); ready (imported) unless told. */
  template(
    name: string,
    options?: { as?: Actor; ready?: boolean; dailyCost?: number; input?: Record<string, unknown> },
  ): Promise<string>;
};

export function seed(app: TestApp) {
  return {
    async owner(username = "owner"): Promise<OwnerScope> {
      const owner = seededUser(app, await setupOwner(app, username));
      return ownerScope(app, owner);
    },
    /** The site owner a test made itself (testing createFirstUser), signed in again: a new session. */
    async existingOwner(email = "owner@example.com"): Promise<OwnerScope> {
      const token = await login(app, email);
      const viewer = await app.gql("{ viewer { id username } }", {}, { token });
      expect(viewer.errors).toBeUndefined();
      const { id, username } = viewer.data?.viewer ?? {};
      return ownerScope(app, seededUser(app, { id, username, email, token }));
    },
    /** An organization and nothing else, for a test that needs rows but no one to act (no owner). */
    async org(name: string): Promise<OrganizationRef> {
      return { ...(await makeOrganization(app, name)), name };
    },
  };
}

function seededUser(app: TestApp, actor: Actor): SeededUser {
  return { ...actor, apiToken: (name) => createApiToken(app, actor.token, name) };
}

function ownerScope(app: TestApp, owner: SeededUser): OwnerScope {
  return {
    ...owner,
    async org(name, options = {}) {
      if (options.throughApi) {
        const { id } = await createOrganization(app, owner.token, name);
        return orgScope(app, owner, { id, uuid: uuidOf(id), name }, { throughApi: true });
      }
      const org = await makeOrganization(app, name);
      return orgScope(app, owner, { ...org, name }, { throughApi: false });
    },
    async user(username, options = {}) {
      const user = await createUser(app, owner.token, username, {
        siteRoles: options.siteRoles,
        organizationIds: options.orgs?.map((org) => org.id),
      });
      return seededUser(app, user);
    },
  };
}

function orgScope(app: TestApp, owner: Actor, org: OrganizationRef, made: { throughApi: boolean }): OrgScope {
  return {
    ...org,
    async member(username, roles = []) {
      const user = await createUser(app, owner.token, username, { organizationIds: [org.id] });
      if (roles.length > 0) await addMember(app, org.uuid, user.id, roles);
      return seededUser(app, user);
    },
    async add(user, roles = []) {
      if (made.throughApi) await addOrganizationMember(app, owner.token, org.id, user.id, roles);
      else await addMember(app, org.uuid, user.id, roles);
      return user;
    },
    group(name, options = {}) {
      const memberIds = options.members?.map((member) => member.id);
      return makeGroup(app, org.uuid, name, { quotaAllowance: options.quotaAllowance, memberIds });
    },
    setEveryoneAllowance(quotaAllowance) {
      return setEveryoneAllowance(app, org.uuid, quotaAllowance);
    },
    template(name, options = {}) {
      const input = { organizationId: org.id, name, ...options.input };
      return createTemplate(app, (options.as ?? owner).token, input, {
        ready: options.ready,
        dailyCost: options.dailyCost,
      });
    },
  };
}
