// Property: whatever sequence of membership, role and custom-role changes happens, a user can
// neither read nor change anything in an organization they are not a member of, beyond what
// their site roles grant everywhere; and the list filters never name such an organization.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AuthzObject,
  can,
  compileSubject,
  type Subject,
  type TemplateAclRole,
} from "../../src/authz/evaluator.js";
import { organizationScopedWhere } from "../../src/authz/filters.js";
import { ALL_PERMISSIONS, type Permission, RESOURCE_TYPES } from "../../src/authz/permissions.js";
import { organizationWhere } from "../../src/authz/policies/organization.js";
import { userWhere } from "../../src/authz/policies/user.js";
import { BUILT_IN_ROLES, ORGANIZATION_RESOURCES } from "../../src/authz/roles.js";

const ME = "00000000-0000-4000-8000-00000000000a";
const OTHER_USER = "00000000-0000-4000-8000-00000000000b";
const ORGS = [1, 2, 3, 4].map((i) => `00000000-0000-4000-8000-00000000000${i}`);
const SITE_ROLE_NAMES = BUILT_IN_ROLES.filter((r) => r.scope === "site").map((r) => r.name);
const ORG_ROLE_NAMES = BUILT_IN_ROLES.filter((r) => r.scope === "organization").map((r) => r.name);
const CUSTOM_NAMES = ["ops", "viewer", "owner-ish"];
const ORG_PERMISSIONS = ALL_PERMISSIONS.filter((p) => ORGANIZATION_RESOURCES.includes(p.resource));

type State = {
  siteRoles: string[];
  memberships: Map<string, string[]>;
  customRoles: Map<string, Map<string, Permission[]>>;
};

type Change =
  | { kind: "join"; org: string }
  | { kind: "leave"; org: string }
  | { kind: "setRoles"; org: string; roles: string[] }
  | { kind: "defineCustom"; org: string; name: string; permissions: Permission[] }
  | { kind: "deleteCustom"; org: string; name: string }
  | { kind: "setSiteRoles"; roles: string[] };

const org = fc.constantFrom(...ORGS);
const arbChange: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant("join" as const), org }),
  fc.record({ kind: fc.constant("leave" as const), org }),
  fc.record({
    kind: fc.constant("setRoles" as const),
    org,
    // Stored roles may hold anything a buggy writer could put there, site role names included.
    roles: fc.subarray([...ORG_ROLE_NAMES, ...CUSTOM_NAMES, "owner", "user-admin"]),
  }),
  fc.record({
    kind: fc.constant("defineCustom" as const),
    org,
    name: fc.constantFrom(...CUSTOM_NAMES),
    permissions: fc.subarray(ORG_PERMISSIONS, { maxLength: 12 }),
  }),
  fc.record({ kind: fc.constant("deleteCustom" as const), org, name: fc.constantFrom(...CUSTOM_NAMES) }),
  fc.record({
    kind: fc.constant("setSiteRoles" as const),
    roles: fc.subarray([...SITE_ROLE_NAMES, "organization-admin"], { maxLength: 2 }),
  }),
);

function apply(state: State, change: Change): void {
  switch (change.kind) {
    case "join":
      if (!state.memberships.has(change.org)) state.memberships.set(change.org, []);
      break;
    case "leave":
      state.memberships.delete(change.org);
      break;
    case "setRoles":
      if (state.memberships.has(change.org)) state.memberships.set(change.org, change.roles);
      break;
    case "defineCustom": {
      const roles = state.customRoles.get(change.org) ?? new Map();
      roles.set(change.name, change.permissions);
      state.customRoles.set(change.org, roles);
      break;
    }
    case "deleteCustom": {
      state.customRoles.get(change.org)?.delete(change.name);
      const roles = state.memberships.get(change.org);
      if (roles)
        state.memberships.set(
          change.org,
          roles.filter((r) => r !== change.name),
        );
      break;
    }
    case "setSiteRoles":
      state.siteRoles = change.roles;
      break;
  }
}

const subjectOf = (state: State): Subject =>
  compileSubject(
    ME,
    state.siteRoles,
    [...state.memberships].map(([organizationId, roles]) => ({ organizationId, roles })),
    state.customRoles,
  );

/** Every organization id a Prisma where fragment names, wherever it sits. */
function organizationIdsIn(where: unknown): string[] {
  if (typeof where === "string") return ORGS.includes(where) ? [where] : [];
  if (Array.isArray(where)) return where.flatMap(organizationIdsIn);
  if (where && typeof where === "object") return Object.values(where).flatMap(organizationIdsIn);
  return [];
}

const ACL_ROLES: (TemplateAclRole | null)[] = [null, "USE", "ADMIN"];

/** One object of every resource type in the organization: anyone's, the user's, unowned; any ACL. */
function objectsIn(organizationId: string): AuthzObject[] {
  return RESOURCE_TYPES.flatMap((type) =>
    [undefined, ME, OTHER_USER].flatMap((ownerId) =>
      (type === "TEMPLATE" ? ACL_ROLES : [null]).map((aclRole) => ({ type, organizationId, ownerId, aclRole })),
    ),
  );
}

const actionsOn = (object: AuthzObject) => ALL_PERMISSIONS.filter((p) => p.resource === object.type);

describe("random membership and role changes", () => {
  it("never open an organization the user is not a member of, beyond their site roles", () => {
    fc.assert(
      fc.property(fc.array(arbChange, { minLength: 1, maxLength: 25 }), (changes) => {
        const state: State = { siteRoles: [], memberships: new Map(), customRoles: new Map() };
        for (const change of changes) {
          apply(state, change);
          const subject = subjectOf(state);
          const siteOnly = compileSubject(ME, state.siteRoles, []);
          const members = [...state.memberships.keys()];
          for (const outside of ORGS.filter((o) => !members.includes(o))) {
            for (const object of objectsIn(outside)) {
              for (const { action } of actionsOn(object)) {
                if (can(subject, action, object) !== can(siteOnly, action, object)) {
                  expect({ action, object, state }).toBe("decided by site roles alone");
                }
              }
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("without a site role, nothing at all in an organization the user is not a member of", () => {
    fc.assert(
      fc.property(fc.array(arbChange, { minLength: 1, maxLength: 25 }), (changes) => {
        const state: State = { siteRoles: [], memberships: new Map(), customRoles: new Map() };
        for (const change of changes.filter((c) => c.kind !== "setSiteRoles")) {
          apply(state, change);
          const subject = subjectOf(state);
          for (const outside of ORGS.filter((o) => !state.memberships.has(o))) {
            for (const object of objectsIn(outside).filter((o) => ORGANIZATION_RESOURCES.includes(o.type))) {
              for (const { action } of actionsOn(object)) {
                if (can(subject, action, object)) expect({ action, object, state }).toBe("refused");
              }
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("list filters name member organizations only, and drop the filter only for site-wide grants", () => {
    fc.assert(
      fc.property(fc.array(arbChange, { minLength: 1, maxLength: 25 }), (changes) => {
        const state: State = { siteRoles: [], memberships: new Map(), customRoles: new Map() };
        for (const change of changes) {
          apply(state, change);
          const subject = subjectOf(state);
          const siteOnly = compileSubject(ME, state.siteRoles, []);
          const members = [...state.memberships.keys()];
          const fragments = [
            { where: organizationWhere(subject), siteWide: can(siteOnly, "READ", { type: "ORGANIZATION" }) },
            {
              where: userWhere(subject),
              siteWide:
                can(siteOnly, "READ", { type: "USER" }) || can(siteOnly, "READ", { type: "ORGANIZATION_MEMBER" }),
            },
            ...ORG_PERMISSIONS.map((p) => ({
              where: organizationScopedWhere(subject, p.resource, p.action, "ownerId"),
              siteWide: can(siteOnly, p.action, { type: p.resource }),
            })),
          ];
          for (const { where, siteWide } of fragments) {
            // Spread-safe: no field key a caller's own condition could be overridden by.
            expect(Object.keys(where).filter((key) => key !== "AND" && key !== "OR")).toEqual([]);
            expect(organizationIdsIn(where).filter((id) => !members.includes(id))).toEqual([]);
            if (Object.keys(where).length === 0) expect(siteWide).toBe(true);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
