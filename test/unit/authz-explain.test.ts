// Property: the decision trail (`explain`, rebuilt from the role data) always agrees with the
// evaluator (`can`, `verdictOf`, from the compiled grant sets): same answer, same deciding level,
// for random site roles, memberships, built-in and custom roles (negations included), stored
// names that grant nothing, owners and template ACL roles. Plus the shape of the trail and the
// short reasons of FORBIDDEN errors and checkPermissions.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AuthzObject,
  can,
  compileSubject,
  LEVELS,
  type Subject,
  type TemplateAclRole,
  verdictOf,
} from "../../src/authz/evaluator.js";
import { decidingLevel, explain, nearestRole, shortReason } from "../../src/authz/explain.js";
import { ALL_PERMISSIONS, type Permission } from "../../src/authz/permissions.js";
import { BUILT_IN_ROLES, ORGANIZATION_RESOURCES } from "../../src/authz/roles.js";

const ME = "00000000-0000-4000-8000-00000000000a";
const OTHER = "00000000-0000-4000-8000-00000000000b";
const ORGS = [1, 2, 3].map((i) => `00000000-0000-4000-8000-00000000000${i}`);
const SITE_NAMES = BUILT_IN_ROLES.filter((r) => r.scope === "site").map((r) => r.name);
const ORG_NAMES = BUILT_IN_ROLES.filter((r) => r.scope === "organization").map((r) => r.name);
const CUSTOM_NAMES = ["ops", "viewer", "deleted-role"];
const ORG_PERMISSIONS = ALL_PERMISSIONS.filter((p) => ORGANIZATION_RESOURCES.includes(p.resource));

const arbPermission: fc.Arbitrary<Permission> = fc
  .tuple(fc.constantFrom(...ORG_PERMISSIONS), fc.boolean())
  .map(([p, negate]) => (negate ? { ...p, negate } : { ...p }));

const arbSubject: fc.Arbitrary<Subject> = fc
  .record({
    // Stored names may be anything a buggy writer put there: organization names at site level too.
    siteRoles: fc.subarray([...SITE_NAMES, "organization-admin", "ops"], { maxLength: 3 }),
    memberships: fc.array(
      fc.record({
        organizationId: fc.constantFrom(...ORGS),
        roles: fc.subarray([...ORG_NAMES, ...CUSTOM_NAMES, "owner", "auditor"], { maxLength: 4 }),
      }),
      { maxLength: 3 },
    ),
    custom: fc.array(
      fc.record({
        organizationId: fc.constantFrom(...ORGS),
        name: fc.constantFrom("ops", "viewer"),
        permissions: fc.array(arbPermission, { maxLength: 10 }),
      }),
      { maxLength: 4 },
    ),
  })
  .map(({ siteRoles, memberships, custom }) => {
    const index = new Map<string, Map<string, Permission[]>>();
    for (const role of custom) {
      const byName = index.get(role.organizationId) ?? new Map<string, Permission[]>();
      byName.set(role.name, role.permissions);
      index.set(role.organizationId, byName);
    }
    const unique = [...new Map(memberships.map((m) => [m.organizationId, m])).values()];
    return compileSubject(ME, siteRoles, unique, index);
  });

const arbObject: fc.Arbitrary<{ object: AuthzObject; action: Permission["action"] }> = fc
  .record({
    permission: fc.constantFrom(...ALL_PERMISSIONS),
    organizationId: fc.constantFrom(undefined, ...ORGS),
    ownerId: fc.constantFrom(undefined, ME, OTHER),
    aclRole: fc.constantFrom<TemplateAclRole | null>(null, "USE", "ADMIN"),
  })
  .map(({ permission, organizationId, ownerId, aclRole }) => ({
    action: permission.action,
    object: { type: permission.resource, organizationId, ownerId, aclRole },
  }));

describe("explain agrees with the evaluator", () => {
  it("same answer and same deciding level, for random subjects and objects", () => {
    fc.assert(
      fc.property(arbSubject, fc.array(arbObject, { minLength: 1, maxLength: 40 }), (subject, objects) => {
        for (const { object, action } of objects) {
          const explanation = explain(subject, action, object);
          const verdict = verdictOf(subject, action, object);
          expect(explanation.allowed).toBe(can(subject, action, object));
          expect(explanation.decidedBy).toBe(decidingLevel(subject, action, object));
          // The trail: every level once, in order; at most one deciding entry, the one verdictOf names.
          expect(explanation.trail.map((e) => e.level)).toEqual([...LEVELS]);
          const deciding = explanation.trail.filter((e) => e.deciding);
          expect(deciding.length).toBe(verdict === 0 ? 0 : 1);
          if (verdict !== 0) {
            expect(deciding[0]?.level).toBe(LEVELS[Math.abs(verdict) - 1]);
            expect(deciding[0]?.verdict).toBe(verdict > 0 ? "ALLOW" : "DENY");
          }
          const at = explanation.trail.findIndex((e) => e.deciding);
          for (const [i, e] of explanation.trail.entries()) {
            if (at >= 0 && i > at) expect(e).toMatchObject({ consulted: false, reason: "DECIDED_EARLIER" });
            if (!e.consulted) expect(e.roles).toEqual([]);
            // Each consulted level's verdict follows from the roles it names: a denial wins.
            if (e.consulted && e.level !== "TEMPLATE_ACL") {
              const effects = e.roles.map((r) => r.effect);
              expect(e.verdict).toBe(effects.includes("DENY") ? "DENY" : effects.includes("ALLOW") ? "ALLOW" : null);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("the trail's words", () => {
  const ORG = ORGS[0] as string;
  const member = (roles: string[], custom = new Map<string, Map<string, Permission[]>>()) =>
    compileSubject(ME, [], [{ organizationId: ORG, roles }], custom);

  it("names the workspace-creation ban as the deciding negation", () => {
    const subject = member(["organization-admin", "organization-workspace-creation-ban"]);
    const object = { type: "WORKSPACE" as const, organizationId: ORG, ownerId: ME };
    const explanation = explain(subject, "CREATE", object);
    expect(explanation).toMatchObject({ allowed: false, decidedBy: "ORGANIZATION" });
    const org = explanation.trail[1];
    expect(org?.reason).toBe("WORKSPACE_CREATION_BAN");
    expect(org?.roles).toContainEqual({
      name: "organization-workspace-creation-ban",
      custom: false,
      effect: "DENY",
      permission: { resource: "WORKSPACE", action: "CREATE", negate: true },
    });
    expect(org?.roles).toContainEqual(expect.objectContaining({ name: "organization-admin", effect: "ALLOW" }));
    expect(shortReason(subject, "CREATE", object)).toEqual({
      reason: "Denied by organization-workspace-creation-ban (negates CREATE on WORKSPACE).",
      nearestRole: null,
    });
  });

  it("says why nothing applied: not a member, someone else's object, Everyone's access disabled", () => {
    const subject = member([]);
    const elsewhere = explain(subject, "READ", { type: "WORKSPACE", organizationId: ORGS[1], ownerId: ME });
    expect(elsewhere.reasons).toEqual(["NO_ROLE_GRANTS", "NOT_A_MEMBER", "NOT_A_TEMPLATE"]);
    const theirs = explain(subject, "UPDATE", { type: "WORKSPACE", organizationId: ORG, ownerId: OTHER });
    expect(theirs.reasons).toContain("OWNED_BY_SOMEONE_ELSE");
    const template = { type: "TEMPLATE" as const, organizationId: ORG };
    expect(explain(subject, "USE", template, { everyoneAccess: false }).reasons).toContain("EVERYONE_ACCESS_DISABLED");
    expect(explain(subject, "USE", template).reasons).toContain("NO_ACL_ENTRY");
    expect(shortReason(subject, "UPDATE", { ...template, aclRole: "USE" })).toEqual({
      reason:
        "Missing UPDATE on TEMPLATE (template ACL role USE does not allow it); organization-template-admin would grant it.",
      nearestRole: "organization-template-admin",
    });
  });

  it("names custom roles and deleted ones (which grant nothing)", () => {
    const custom = new Map([[ORG, new Map([["ops", [{ resource: "GROUP" as const, action: "CREATE" as const }]]])]]);
    const subject = member(["ops", "deleted-role"], custom);
    const org = explain(subject, "CREATE", { type: "GROUP", organizationId: ORG }).trail[1];
    expect(org?.roles).toEqual([
      { name: "organization-member", custom: false, effect: null, permission: null },
      {
        name: "ops",
        custom: true,
        effect: "ALLOW",
        permission: { resource: "GROUP", action: "CREATE", negate: false },
      },
      { name: "deleted-role", custom: true, effect: null, permission: null },
    ]);
    expect(shortReason(subject, "CREATE", { type: "GROUP", organizationId: ORG }).reason).toBe(
      "Allowed by organization role ops.",
    );
  });

  it("nearest role: the smallest organization role for organization objects, else a site role", () => {
    const subject = member([]);
    expect(nearestRole(subject, "UPDATE", { type: "WORKSPACE", organizationId: ORG })?.name).toBe("organization-admin");
    expect(nearestRole(subject, "CREATE", { type: "GROUP", organizationId: ORG })?.name).toBe(
      "organization-user-admin",
    );
    expect(nearestRole(subject, "UPDATE", { type: "USER", ownerId: OTHER })?.name).toBe("user-admin");
    expect(nearestRole(subject, "CREATE", { type: "ORGANIZATION" })?.name).toBe("owner");
  });
});
