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
  fields: (t) => ({
    claimValue: t.exposeString("claimValue"),
    targets: t.exposeStringList("targets", {
      description: "Organization ids, group ids or role names, by the settings it belongs to.",
    }),
  }),
});

const ClaimMappingInput = builder.inputType("ClaimMappingInput", {
  fields: (t) => ({
    claimValue: t.string({ required: true }),
    targets: t.stringList({ required: true }),
  }),
});

const OrganizationSyncSettingsType = builder.objectRef<OrganizationSyncView>("OrganizationSyncSettings").implement({
  fields: (t) => ({
    field: t.exposeString("field", { description: "The claim to read; empty disables organization sync." }),
    mapping: t.field({ type: [ClaimMappingType], resolve: (s) => s.mapping }),
    assignDefault: t.exposeBoolean("assignDefault"),
  }),
});

const GroupSyncSettingsType = builder.objectRef<GroupSyncView>("GroupSyncSettings").implement({
  fields: (t) => ({
    field: t.exposeString("field"),
    mapping: t.field({ type: [ClaimMappingType], resolve: (s) => s.mapping }),
    regexFilter: t.exposeString("regexFilter", { nullable: true }),
    autoCreateMissingGroups: t.exposeBoolean("autoCreateMissingGroups"),
  }),
});

const RoleSyncSettingsType = builder.objectRef<RoleSyncView>("RoleSyncSettings").implement({
  fields: (t) => ({
    field: t.exposeString("field"),
    mapping: t.field({ type: [ClaimMappingType], resolve: (s) => s.mapping }),
  }),
});

builder.queryField("organizationSyncSettings", (t) =>
  t.field({
    type: OrganizationSyncSettingsType,
    nullable: true,
    description: "Null unless the viewer may read IdP sync settings (owner, user-admin).",
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
    description: "Null unless the viewer may read IdP sync settings here.",
    ...SYNC_SETTINGS_GUARD,
    resolve: (org, _args, ctx) => readGroupSyncSettings(ctx.prisma, org.id),
  }),
  roleSyncSettings: t.field({
    type: RoleSyncSettingsType,
    nullable: true,
    ...SYNC_SETTINGS_GUARD,
    resolve: (org, _args, ctx) => readRoleSyncSettings(ctx.prisma, org.id),
  }),
}));

// ---- mutations

const UpdateOrganizationSyncSettingsInput = builder.inputType("UpdateOrganizationSyncSettingsInput", {
  fields: (t) => ({
    field: t.string({ required: true }),
    mapping: t.field({ type: [ClaimMappingInput], required: true }),
    assignDefault: t.boolean({ required: true }),
  }),
});

const UpdateGroupSyncSettingsInput = builder.inputType("UpdateGroupSyncSettingsInput", {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    field: t.string({ required: true }),
    mapping: t.field({ type: [ClaimMappingInput], required: true }),
    regexFilter: t.string(),
    autoCreateMissingGroups: t.boolean({ required: true }),
  }),
});

const UpdateRoleSyncSettingsInput = builder.inputType("UpdateRoleSyncSettingsInput", {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    field: t.string({ required: true }),
    mapping: t.field({ type: [ClaimMappingInput], required: true }),
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
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateOrganizationSyncSettingsInput, required: true }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => updateOrganizationSyncSettings(ctx, input)),
  }),
  updateGroupSyncSettings: t.field({
    nullable: true,
    type: GroupSyncSettingsPayload,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateGroupSyncSettingsInput, required: true }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => updateGroupSyncSettings(ctx, input)),
  }),
  updateRoleSyncSettings: t.field({
    nullable: true,
    type: RoleSyncSettingsPayload,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateRoleSyncSettingsInput, required: true }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => updateRoleSyncSettings(ctx, input)),
  }),
}));
