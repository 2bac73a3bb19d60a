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
import { type Actor, createUser, setupOwner } from "./actors.js";
import { addMember, makeOrganization } from "./fixtures.js";
import type { TestApp } from "./harness.js";
import { createTemplate, makeGroup } from "./workloads.js";

/** The site owner (the first user) and what they can make. */
export type OwnerScope = Actor & {
  /** An organization (with its Everyone group), made straight in the database. */
  org(name: string): Promise<OrgScope>;
  /** A user made by the owner through the API, with site roles, member of `orgs` (omitted: the default organization; []: none). */
  user(username: string, options?: { siteRoles?: string[]; orgs?: OrgScope[] }): Promise<Actor>;
};

/** One organization: `id` is its global id, `uuid` its row id. */
export type OrgScope = {
  id: string;
  uuid: string;
  name: string;
  /** A new user, member of this organization with these explicit organization roles. */
  member(username: string, roles?: string[]): Promise<Actor>;
  /** Makes an existing user a member with these roles (or sets the roles of a member). */
  add(actor: Actor, roles?: string[]): Promise<Actor>;
  /** A group with explicit members, made straight in the database. */
  group(name: string, options?: { quotaAllowance?: number; members?: Actor[] }): Promise<{ id: string; uuid: string }>;
  /** A template created through the API by `as` (default: the owner); ready (imported) unless told. */
  template(
    name: string,
    options?: { as?: Actor; ready?: boolean; dailyCost?: number; input?: Record<string, unknown> },
  ): Promise<string>;
};

export function seed(app: TestApp) {
  return {
    async owner(username = "owner"): Promise<OwnerScope> {
      const owner = await setupOwner(app, username);
      return ownerScope(app, owner);
    },
  };
}

function ownerScope(app: TestApp, owner: Actor): OwnerScope {
  return {
    ...owner,
    async org(name) {
      const org = await makeOrganization(app, name);
      return orgScope(app, owner, { ...org, name });
    },
    user(username, options = {}) {
      return createUser(app, owner.token, username, {
        siteRoles: options.siteRoles,
        organizationIds: options.orgs?.map((org) => org.id),
      });
    },
  };
}

function orgScope(app: TestApp, owner: Actor, org: { id: string; uuid: string; name: string }): OrgScope {
  return {
    ...org,
    async member(username, roles = []) {
      const user = await createUser(app, owner.token, username, { organizationIds: [org.id] });
      if (roles.length > 0) await addMember(app, org.uuid, user.id, roles);
      return user;
    },
    async add(actor, roles = []) {
      await addMember(app, org.uuid, actor.id, roles);
      return actor;
    },
    group(name, options = {}) {
      const memberIds = options.members?.map((member) => member.id);
      return makeGroup(app, org.uuid, name, { quotaAllowance: options.quotaAllowance, memberIds });
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
