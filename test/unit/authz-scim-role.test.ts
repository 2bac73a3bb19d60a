// The SCIM role (src/authz/roles.ts, SCIM_ROLE) through the evaluator: what SCIM does and no more
// (users everywhere; memberships and groups of the default organization only), nothing "own",
// no role to assign; and a user whose row names it gains nothing.
import { describe, expect, it } from "vitest";
import {
  type AuthzObject,
  can,
  canAssignRole,
  compileSubject,
  compileSystemSubject,
  NO_USER_ID,
} from "../../src/authz/evaluator.js";
import { ALL_PERMISSIONS } from "../../src/authz/permissions.js";
import { ASSIGNABLE_SITE_ROLE_NAMES, BUILT_IN_ROLES, SCIM_ROLE, SITE_ROLES } from "../../src/authz/roles.js";

const DEFAULT_ORG = "00000000-0000-4000-8000-000000000001";
const OTHER_ORG = "00000000-0000-4000-8000-000000000002";
const USER = "00000000-0000-4000-8000-00000000000a";

const scim = compileSystemSubject(SCIM_ROLE, [DEFAULT_ORG]);

/** Every permission the subject holds on objects of `place`, as RESOURCE:ACTION. */
const granted = (subject: typeof scim, place: Omit<AuthzObject, "type">) =>
  ALL_PERMISSIONS.filter((p) => can(subject, p.action, { type: p.resource, ...place }))
    .map((p) => `${p.resource}:${p.action}`)
    .sort();

const USERS = ["USER:CREATE", "USER:DELETE", "USER:READ", "USER:UPDATE"];

describe("the SCIM subject", () => {
  it("holds users everywhere, and memberships and groups in the default organization only", () => {
    expect(granted(scim, {})).toEqual(USERS);
    expect(granted(scim, { organizationId: OTHER_ORG })).toEqual(USERS);
    expect(granted(scim, { organizationId: DEFAULT_ORG })).toEqual(
      [
        ...USERS,
        "ORGANIZATION:READ",
        "ORGANIZATION_MEMBER:CREATE",
        "ORGANIZATION_MEMBER:READ",
        "GROUP:CREATE",
        "GROUP:READ",
        "GROUP:UPDATE",
        "GROUP:DELETE",
        "GROUP_MEMBER:READ",
      ].sort(),
    );
  });

  it("owns nothing and assigns no role", () => {
    expect(scim.userId).toBe(NO_USER_ID);
    for (const organizationId of [undefined, DEFAULT_ORG]) {
      expect(granted(scim, { organizationId, ownerId: NO_USER_ID })).toEqual(granted(scim, { organizationId }));
    }
    for (const role of BUILT_IN_ROLES) {
      expect(canAssignRole(scim, role.name, role.scope === "site" ? null : DEFAULT_ORG)).toBe(false);
    }
    expect(canAssignRole(scim, "ops", DEFAULT_ORG, true)).toBe(false);
  });
});

describe("the SCIM role's name", () => {
  it("is not a site role anyone lists or assigns", () => {
    expect(SITE_ROLES.map((r) => r.name)).not.toContain(SCIM_ROLE.name);
    expect(ASSIGNABLE_SITE_ROLE_NAMES).not.toContain(SCIM_ROLE.name);
  });

  it("grants nothing when stored on a user or a membership", () => {
    const plain = compileSubject(USER, [], [{ organizationId: DEFAULT_ORG, roles: [] }]);
    const named = compileSubject(USER, [SCIM_ROLE.name], [{ organizationId: DEFAULT_ORG, roles: [SCIM_ROLE.name] }]);
    for (const place of [{}, { organizationId: DEFAULT_ORG }, { organizationId: DEFAULT_ORG, ownerId: USER }]) {
      expect(granted(named, place)).toEqual(granted(plain, place));
    }
  });
});
