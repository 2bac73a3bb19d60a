// Access explained: `explainPermission` (the decision trail of one user's permission) and
// `accessReview` (every user who may perform an action on an object, and through what). Thin
// resolvers over explain-permission.ts and access-review.ts; the rules live in src/authz
// (explain.ts, who-can.ts).

import type { LEVELS } from "../../authz/evaluator.js";
import { ACCESS_REASONS, type HeldRole, type TrailEntry } from "../../authz/explain.js";
import type { Grant } from "../../authz/who-can.js";
import { builder } from "../../graphql/builder.js";
import { globalId } from "../../graphql/ids.js";
import { ActionEnum, PermissionType, ResourceTypeEnum } from "../roles/roles.graphql.js";
import { TemplateRoleEnum } from "../templates/templates.graphql.js";
import "../users/users.graphql.js";
import { grantsOfRow, hiddenCount, loadGrants, review, visibleWhere } from "./access-review.js";
import { explainPermission, type PermissionExplanation } from "./explain-permission.js";

const AccessLevelEnum = builder.enumType("AccessLevel", {
  description:
    "A level of the evaluation, in order: SITE (site roles), ORGANIZATION (the roles of the membership in the object's organization), MEMBER (grants on one's own objects), TEMPLATE_ACL (template access-list entries, for members of the template's organization).",
  values: {
    SITE: { description: "The site roles (member: every user), on every object everywhere." },
    ORGANIZATION: { description: "The roles of the membership in the object's organization (custom roles included)." },
    MEMBER: { description: "Grants on the user's own objects (in that organization while a member)." },
    TEMPLATE_ACL: { description: "Template access-list entries: USE (READ, USE), ADMIN (also UPDATE, DELETE)." },
  } satisfies Record<(typeof LEVELS)[number], { description: string }>,
});

const REASON_TEXT: Record<(typeof ACCESS_REASONS)[number], string> = {
  DECIDED_EARLIER: "Not consulted: an earlier level decided.",
  NO_ROLE_GRANTS: "No role held at this level grants or denies the permission.",
  NEGATED: "A role held at this level negates the permission (a denial wins over any grant at this or a later level).",
  WORKSPACE_CREATION_BAN: "The organization-workspace-creation-ban role negates the permission.",
  NOT_IN_AN_ORGANIZATION: "Not applicable: the object is not in an organization.",
  NOT_A_MEMBER: "The user is not a member of the object's organization.",
  NO_OWNER: "Not applicable: the object has no owner.",
  OWNED_BY_SOMEONE_ELSE: "The object is owned by someone else.",
  NOT_A_TEMPLATE: "Not applicable: access lists exist on templates only.",
  NO_ACL_ENTRY: "The user has no entry on the template's access list, directly or through a group.",
  EVERYONE_ACCESS_DISABLED:
    "The user has no entry on the template's access list, and the Everyone group's access is disabled.",
  ACL_ROLE_INSUFFICIENT: "The user's template access-list role does not allow the action.",
};

const AccessReasonEnum = builder.enumType("AccessReason", {
  description: "Why a level did not allow, or was not consulted.",
  values: Object.fromEntries(ACCESS_REASONS.map((value) => [value, { description: REASON_TEXT[value] }])),
});

const AccessEffectEnum = builder.enumType("AccessEffect", {
  description: "What a role or level says about a permission: ALLOW grants it, DENY negates it.",
  values: {
    ALLOW: { description: "Grants the permission." },
    DENY: { description: "Negates the permission: refuses, whatever later levels grant." },
  } as const,
});

const AccessRoleVerdict = builder.objectRef<HeldRole>("AccessRoleVerdict").implement({
  description: "A role held at a level of the trail, and what it says about the permission asked.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The role's name (built-in or custom)." }),
    custom: t.exposeBoolean("custom", {
      description: "A custom organization role (one whose definition was deleted grants nothing).",
    }),
    effect: t.field({
      type: AccessEffectEnum,
      nullable: true,
      description: "ALLOW, DENY (a negation), or null when the role says nothing about the permission.",
      resolve: (role) => role.effect,
    }),
    permission: t.field({
      type: PermissionType,
      nullable: true,
      description: "The role's entry behind its effect (negate: true for a denial).",
      resolve: (role) => role.permission,
    }),
  }),
});

const AccessTrailEntry = builder.objectRef<TrailEntry>("AccessTrailEntry").implement({
  description: "One level of the decision trail.",
  fields: (t) => ({
    level: t.field({ type: AccessLevelEnum, description: "The level.", resolve: (e) => e.level }),
    consulted: t.exposeBoolean("consulted", {
      description: "False when an earlier level decided or the level does not apply (see reason).",
    }),
    roles: t.field({
      type: [AccessRoleVerdict],
      description: "The roles held at this level (empty when not consulted), in the order held.",
      resolve: (e) => e.roles,
    }),
    aclRole: t.field({
      type: TemplateRoleEnum,
      nullable: true,
      description: "TEMPLATE_ACL only: the best access-list role held on the template, directly or through a group.",
      resolve: (e) => e.aclRole,
    }),
    verdict: t.field({
      type: AccessEffectEnum,
      nullable: true,
      description: "The level's verdict (a denial wins over a grant); null when it said nothing.",
      resolve: (e) => e.verdict,
    }),
    deciding: t.exposeBoolean("deciding", { description: "Whether this level's verdict was final." }),
    reason: t.field({
      type: AccessReasonEnum,
      nullable: true,
      description: "Why the level did not allow, or was not consulted; null when it allowed.",
      resolve: (e) => e.reason,
    }),
  }),
});

const PermissionExplanationType = builder.objectRef<PermissionExplanation>("PermissionExplanation").implement({
  description: "Why a user may or may not perform an action: the evaluator's decision trail.",
  fields: (t) => ({
    user: t.prismaField({
      type: "User",
      description: "The user whose permission is explained.",
      resolve: (query, e, _args, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: e.userId } }),
    }),
    resource: t.field({
      type: ResourceTypeEnum,
      description: "The resource type asked about.",
      resolve: (e) => e.resource,
    }),
    action: t.field({ type: ActionEnum, description: "The action asked about.", resolve: (e) => e.action }),
    allowed: t.exposeBoolean("allowed", { description: "The evaluator's answer (what `can` answers)." }),
    decidedBy: t.field({
      type: AccessLevelEnum,
      nullable: true,
      description: "The level whose verdict was final; null when no level decided (then refused).",
      resolve: (e) => e.decidedBy,
    }),
    trail: t.field({
      type: [AccessTrailEntry],
      description: "Every level, in evaluation order: SITE, ORGANIZATION, MEMBER, TEMPLATE_ACL.",
      resolve: (e) => e.trail,
    }),
    reasons: t.field({
      type: [AccessReasonEnum],
      description: "The reasons of the trail's levels, in order (DECIDED_EARLIER left out).",
      resolve: (e) => e.reasons,
    }),
    summary: t.exposeString("summary", { description: "One sentence, as checkPermissions' reason." }),
    nearestRole: t.exposeString("nearestRole", {
      nullable: true,
      description:
        "When refused for lack of a grant: the built-in role with the fewest permissions that would grant it (an organization role for objects in an organization).",
    }),
  }),
});

const ExplainPermissionInput = builder.inputType("ExplainPermissionInput", {
  description: "The permission to explain: a user, an action on a resource type, and the object or place.",
  fields: (t) => ({
    userId: t.id({ required: true, description: "The user whose permission is explained." }),
    action: t.field({ type: ActionEnum, required: true, description: "The action." }),
    resource: t.field({ type: ResourceTypeEnum, required: true, description: "The resource type." }),
    objectId: t.id({
      description:
        "A node of the resource (as checkPermissions' resourceId): its organization, owner and template access list decide.",
    }),
    organizationId: t.id({ description: "Without objectId: any object of the resource in this organization." }),
  }),
});

builder.queryField("explainPermission", (t) =>
  t.field({
    type: PermissionExplanationType,
    description:
      "Why a user may or may not perform an action: the decision trail, level by level, with the roles held, what each grants or negates, the deciding level and why the others did not apply. For the user themself; for another user, for user admins (ORGANIZATION_MEMBER UPDATE there; USER UPDATE site-wide) and auditors (AUDIT_LOG READ there) of the object's organization, or of the site when it has none (else FORBIDDEN). A user, object or organization the viewer cannot read is NOT_FOUND.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: ExplainPermissionInput, required: true, description: "What to explain." }) },
    resolve: (_root, { input }, ctx) => explainPermission(ctx, input),
  }),
);

// ---- access review

const AccessGrantKindEnum = builder.enumType("AccessGrantKind", {
  description: "What lets a user of an access review perform the action.",
  values: {
    SITE_ROLE: { description: "A site role (member: every user)." },
    ORGANIZATION_ROLE: { description: "A built-in organization role (organization-member: every member)." },
    CUSTOM_ROLE: { description: "A custom organization role." },
    OWNERSHIP: { description: "Owning the object, through a role's grants on one's own objects." },
    USER_ACL: { description: "The user's own entry on the template's access list." },
    GROUP_ACL: { description: "A group's entry on the template's access list (Everyone: every member)." },
  } as const,
});

const AccessGrantType = builder.objectRef<Grant>("AccessGrant").implement({
  description: "One thing that lets the user perform the action, at the level that decided.",
  fields: (t) => ({
    kind: t.field({ type: AccessGrantKindEnum, description: "What kind of grant.", resolve: (g) => g.kind }),
    role: t.exposeString("role", { description: "The role's name, or the access-list role (USE, ADMIN)." }),
    groupId: t.id({
      nullable: true,
      description: "GROUP_ACL: the group's id (null for the Everyone group's entry).",
      resolve: (g) => (g.groupId ? globalId("Group", g.groupId) : null),
    }),
    groupName: t.string({
      nullable: true,
      description: "GROUP_ACL: the group's name (Everyone for the Everyone group).",
      resolve: (g) => g.groupName ?? null,
    }),
  }),
});

const AccessReviewInput = builder.inputType("AccessReviewInput", {
  description: "The action and the object to review.",
  fields: (t) => ({
    action: t.field({ type: ActionEnum, required: true, description: "The action (valid on the object's resource)." }),
    objectId: t.id({
      required: true,
      description:
        "A node: Organization, User, ApiToken, Group, Template, Workspace, ProvisionerDaemon, ProvisionerKey, ProvisionerJob or AuditLog.",
    }),
  }),
});

builder.queryField("accessReview", (t) =>
  t.prismaConnection(
    {
      type: "User",
      cursor: "id",
      description:
        "Every user who may perform the action on the object (exactly those `can` allows), with what allows them, filtered in SQL by the evaluator's rules. Users the viewer may not read are only counted (hiddenCount). For organization admins and auditors of the object's organization (AUDIT_LOG READ there); owners and site auditors everywhere; else FORBIDDEN. An object the viewer cannot read is NOT_FOUND.",
      authScopes: { authenticated: true },
      args: { input: t.arg({ type: AccessReviewInput, required: true, description: "The action and the object." }) },
      totalCount: async (_root, { input }, ctx) =>
        ctx.prisma.user.count({ where: visibleWhere(await review(ctx, input)) }),
      resolve: async (query, _root, { input }, ctx) => {
        const prepared = await review(ctx, input);
        const rows = await ctx.prisma.user.findMany({ ...query, where: visibleWhere(prepared) });
        await loadGrants(ctx, prepared, rows);
        return rows;
      },
    },
    {
      name: "AccessReviewConnection",
      description: "The users of an access review, by id.",
      fields: (t) => ({
        hiddenCount: t.int({
          description:
            "Users who may perform the action but whom the viewer may not read (e.g. site role holders outside the organization): counted, never named.",
          resolve: async (connection, _args, ctx) => hiddenCount(ctx, await review(ctx, connection.args.input)),
        }),
      }),
    },
    {
      name: "AccessReviewEdge",
      description: "A user of an access review.",
      fields: (t) => ({
        grants: t.field({
          type: [AccessGrantType],
          description: "What allows the user, at the level that decided (several when several roles grant).",
          resolve: (edge) => (edge.node ? grantsOfRow(edge.node) : []),
        }),
      }),
    },
  ),
);
