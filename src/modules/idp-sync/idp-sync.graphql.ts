// IdP sync settings: types, the queries next to them (site-level organization sync, per-org
// group and role sync on Organization), and their mutations.
import type { Context } from "../../context.js";
import { builder } from "../../graphql/builder.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import { payloadType, withUserErrors } from "../shared/shared.graphql.js";
import {
  type ClaimMapping,
  type GroupSyncView,
  type OrganizationSyncView,
  type RoleSyncView,
  readGroupSyncSettings,
  readOrganizationSyncSettings,
  readRoleSyncSettings,
  updateGroupSyncSettings,
  updateOrganizationSyncSettings,
  updateRoleSyncSettings,
} from "./idp-sync.settings.js";

const ClaimMappingType = builder.objectRef<ClaimMapping>("ClaimMapping").implement({
  description: "One rule of an IdP sync mapping: users whose claim holds this value get these targets.",
  fields: (t) => ({
    claimValue: t.exposeString("claimValue", { description: "A value of the claim named by the settings' field." }),
    targets: t.exposeStringList("targets", {
      description: "Organization ids, group ids or role names, by the settings it belongs to.",
    }),
  }),
});

const ClaimMappingInput = builder.inputType("ClaimMappingInput", {
  description: "One rule of an IdP sync mapping (see ClaimMapping).",
  fields: (t) => ({
    claimValue: t.string({ required: true, description: "A value of the claim." }),
    targets: t.stringList({
      required: true,
      description: "Organization ids, group ids or role names (by the settings), given to users with that value.",
    }),
  }),
});

const OrganizationSyncSettingsType = builder.objectRef<OrganizationSyncView>("OrganizationSyncSettings").implement({
  description: "Site-wide: which organizations an OIDC user joins, from a claim of the ID token, at each sign-in.",
  fields: (t) => ({
    field: t.exposeString("field", { description: "The claim to read; empty disables organization sync." }),
    mapping: t.field({
      type: [ClaimMappingType],
      description: "Claim values to organizations.",
      resolve: (s) => s.mapping,
    }),
    assignDefault: t.exposeBoolean("assignDefault", {
      description: "Whether every OIDC user also joins the default organization.",
    }),
  }),
});

const GroupSyncSettingsType = builder.objectRef<GroupSyncView>("GroupSyncSettings").implement({
  description:
    "Per organization: which groups an OIDC member belongs to, from a claim of the ID token, at each sign-in.",
  fields: (t) => ({
    field: t.exposeString("field", { description: "The claim to read; empty disables group sync." }),
    mapping: t.field({
      type: [ClaimMappingType],
      description: "Claim values to group ids.",
      resolve: (s) => s.mapping,
    }),
    regexFilter: t.exposeString("regexFilter", {
      nullable: true,
      description: "Only claim values matching this regular expression are synced; null: all.",
    }),
    autoCreateMissingGroups: t.exposeBoolean("autoCreateMissingGroups", {
      description: "Whether a claim value with no mapping and no group of that name creates the group.",
    }),
  }),
});

const RoleSyncSettingsType = builder.objectRef<RoleSyncView>("RoleSyncSettings").implement({
  description:
    "Per organization: which organization roles an OIDC member holds, from a claim of the ID token, at each sign-in.",
  fields: (t) => ({
    field: t.exposeString("field", { description: "The claim to read; empty disables role sync." }),
    mapping: t.field({
      type: [ClaimMappingType],
      description: "Claim values to organization role names.",
      resolve: (s) => s.mapping,
    }),
  }),
});

builder.queryField("organizationSyncSettings", (t) =>
  t.field({
    type: OrganizationSyncSettingsType,
    nullable: true,
    description:
      "Null unless the viewer may read IdP sync settings site-wide (IDPSYNC_SETTINGS READ: owner, user-admin).",
    authScopes: (_root, _args, ctx) => permissionScopes(ctx, { action: "READ", type: "IDPSYNC_SETTINGS" }),
    // Refused signed-in viewers get null; anyone else the UNAUTHENTICATED error scope-auth made.
    unauthorizedResolver: (_root, _args, ctx, _info, error) => {
      if (ctx.actor.kind !== "user") throw error;
      return null;
    },
    resolve: (_root, _args, ctx) => readOrganizationSyncSettings(ctx.prisma),
  }),
);

/** An organization's sync settings answer null unless the viewer may read them there. */
const SYNC_SETTINGS_GUARD = {
  authScopes: (org: { id: string }, _args: unknown, ctx: Context) =>
    permissionScopes(ctx, { action: "READ", type: "IDPSYNC_SETTINGS", organizationId: org.id }),
  unauthorizedResolver: () => null,
} as const;

builder.prismaObjectFields(OrganizationType, (t) => ({
  groupSyncSettings: t.field({
    type: GroupSyncSettingsType,
    nullable: true,
    description:
      "Null unless the viewer may read IdP sync settings here (IDPSYNC_SETTINGS READ: organization admins and user admins, site user admins, owners).",
    ...SYNC_SETTINGS_GUARD,
    resolve: (org, _args, ctx) => readGroupSyncSettings(ctx.prisma, org.id),
  }),
  roleSyncSettings: t.field({
    type: RoleSyncSettingsType,
    nullable: true,
    description:
      "Null unless the viewer may read IdP sync settings here (IDPSYNC_SETTINGS READ: organization admins and user admins, site user admins, owners).",
    ...SYNC_SETTINGS_GUARD,
    resolve: (org, _args, ctx) => readRoleSyncSettings(ctx.prisma, org.id),
  }),
}));

// ---- mutations

const UpdateOrganizationSyncSettingsInput = builder.inputType("UpdateOrganizationSyncSettingsInput", {
  description: "The complete organization sync settings (replace the old ones).",
  fields: (t) => ({
    field: t.string({ required: true, description: 'The claim to read; "" disables organization sync.' }),
    mapping: t.field({
      type: [ClaimMappingInput],
      required: true,
      description: "Claim values to organization global ids.",
    }),
    assignDefault: t.boolean({
      required: true,
      description: "Whether every OIDC user also joins the default organization.",
    }),
  }),
});

const UpdateGroupSyncSettingsInput = builder.inputType("UpdateGroupSyncSettingsInput", {
  description: "The complete group sync settings of an organization (replace the old ones).",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    field: t.string({ required: true, description: 'The claim to read; "" disables group sync.' }),
    mapping: t.field({ type: [ClaimMappingInput], required: true, description: "Claim values to group global ids." }),
    regexFilter: t.string({ description: "A regular expression claim values must match; left out: all." }),
    autoCreateMissingGroups: t.boolean({
      required: true,
      description: "Whether unmapped claim values create groups of that name.",
    }),
  }),
});

const UpdateRoleSyncSettingsInput = builder.inputType("UpdateRoleSyncSettingsInput", {
  description: "The complete role sync settings of an organization (replace the old ones).",
  fields: (t) => ({
    organizationId: t.id({ required: true, description: "Global id of the organization." }),
    field: t.string({ required: true, description: 'The claim to read; "" disables role sync.' }),
    mapping: t.field({
      type: [ClaimMappingInput],
      required: true,
      description: "Claim values to organization role names.",
    }),
  }),
});

const OrganizationSyncSettingsPayload = payloadType(
  "OrganizationSyncSettingsPayload",
  "settings",
  OrganizationSyncSettingsType,
);

const GroupSyncSettingsPayload = payloadType("GroupSyncSettingsPayload", "settings", GroupSyncSettingsType);

const RoleSyncSettingsPayload = payloadType("RoleSyncSettingsPayload", "settings", RoleSyncSettingsType);

builder.mutationFields((t) => ({
  updateOrganizationSyncSettings: t.field({
    nullable: true,
    type: OrganizationSyncSettingsPayload,
    description: "Needs IDPSYNC_SETTINGS UPDATE site-wide (owners).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateOrganizationSyncSettingsInput, required: true, description: "The settings." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => updateOrganizationSyncSettings(ctx, input)),
  }),
  updateGroupSyncSettings: t.field({
    nullable: true,
    type: GroupSyncSettingsPayload,
    description: "Needs IDPSYNC_SETTINGS UPDATE in the organization (organization admins, owners).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateGroupSyncSettingsInput, required: true, description: "The settings." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => updateGroupSyncSettings(ctx, input)),
  }),
  updateRoleSyncSettings: t.field({
    nullable: true,
    type: RoleSyncSettingsPayload,
    description: "Needs IDPSYNC_SETTINGS UPDATE in the organization (organization admins, owners).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateRoleSyncSettingsInput, required: true, description: "The settings." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => updateRoleSyncSettings(ctx, input)),
  }),
}));
