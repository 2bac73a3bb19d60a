// Users, authentication and API tokens.

import type { MaybePromise } from "@pothos/core";
import { canReadUser, type Subject } from "../../authz/evaluator.js";
import { allOf } from "../../authz/filters.js";
import { apiTokenObject } from "../../authz/policies/api-token.js";
import { organizationWhere } from "../../authz/policies/organization.js";
import { userWhere } from "../../authz/policies/user.js";
import type { Context } from "../../context.js";
import { containsIgnoringCase, userIdByUsername } from "../../db/names.js";
import type { ApiToken, Organization, Prisma, User } from "../../generated/prisma/client.js";
import { groupBy, requestBatch } from "../../graphql/batch.js";
import { builder } from "../../graphql/builder.js";
import { unauthenticated } from "../../graphql/errors.js";
import { permissionScopes } from "../../graphql/permission-scopes.js";
import { PAGED_BY_KEY } from "../../security/argument-checks.js";
import { OrganizationType } from "../organizations/organizations.graphql.js";
import { RoleType, siteRoleViews } from "../roles/roles.graphql.js";
import { OrderDirection, sortOf } from "../shared/order.graphql.js";
import {
  DeletePayload,
  type Payload,
  payloadType,
  USER_ERRORS_DESCRIPTION,
  UserErrorType,
  unsetAsNull,
  withUserErrors,
} from "../shared/shared.graphql.js";
import * as userProfile from "./user-profile.service.js";
import * as userStatus from "./user-status.service.js";
import * as users from "./users.service.js";

export const UserStatusEnum = builder.enumType("UserStatus", {
  description: "Whether a user may sign in.",
  values: {
    ACTIVE: { description: "May sign in and use the API." },
    DORMANT: { description: "Has not signed in for a long time; becomes active again on the next sign-in." },
    SUSPENDED: { description: "Suspended by an admin: sessions, API tokens and subscriptions stop working." },
  } as const,
});
export const LoginTypeEnum = builder.enumType("LoginType", {
  description: "How a user signs in.",
  values: {
    PASSWORD: { description: "Email and password (`login`)." },
    OIDC: { description: "An OpenID Connect provider's ID token (`loginWithOidc`)." },
    NONE: { description: "No interactive sign-in: API tokens only (service accounts)." },
  } as const,
});

/** What deciding on a user's details needs from the row: the organizations the user belongs to. */
const DETAILS_SELECT = { memberships: { select: { organizationId: true } } } as const;

type DetailsRow = { id: string; memberships: { organizationId: string }[] };

/**
 * A user's account details (email, status, login type, site roles, organizations) answer null
 * unless the evaluator lets the viewer read this user (`canReadUser`); a provisioner key has no
 * subject and sees none. The rest of the type is the public profile of whoever a visible object
 * names. Decided in the resolvers, after plugin-prisma has loaded the memberships the field
 * selects (a scope check would run before that, on rows not loaded with them).
 */
function detailsVisible(subject: Subject | null, user: DetailsRow): boolean {
  if (!subject) return false;
  return canReadUser(subject, { id: user.id, organizationIds: user.memberships.map((m) => m.organizationId) });
}

/** `detail` of the user when the viewer may see it, else null; synchronous once the subject is loaded. */
function ifDetailsVisible<T>(ctx: Context, user: DetailsRow, detail: () => T): MaybePromise<T | null> {
  const loaded = ctx.viewer.loaded();
  if (loaded !== undefined) return detailsVisible(loaded, user) ? detail() : null;
  return ctx.viewer.subject().then((subject) => (detailsVisible(subject, user) ? detail() : null));
}

export const UserType = builder.prismaNode("User", {
  description:
    "A user account. Anyone who can see an object naming a user sees its public profile (id, username, name, createdAt); the account details (email, status, loginType, siteRoles, organizations, apiTokens) are null without the permission to read them.",
  id: { field: "id" },
  // Select mode: a query reads only the columns its selected fields need (users are nested in
  // many lists; the password hash and the rest of the row are never read for them). The username
  // is always read, so its field is plain: a field with a `select` is wrapped by plugin-prisma with
  // a loader-mapping lookup on every row of a list.
  select: { id: true, username: true },
  fields: (t) => ({
    username: t.string({
      description: "Unique (case-insensitive) login name, shown in the UI.",
      resolve: (user) => user.username,
    }),
    email: t.string({
      nullable: true,
      description:
        "Null unless the viewer is this user, or may read users (site) or the members of an organization this user belongs to; the same holds for status, loginType, siteRoles and organizations.",
      select: { email: true, ...DETAILS_SELECT },
      resolve: (u, _args, ctx) => ifDetailsVisible(ctx, u, () => u.email),
    }),
    name: t.string({
      nullable: true,
      description: "Null when unset, and for a provisioner key, which sees usernames only.",
      select: { name: true },
      resolve: (u, _args, ctx) => (ctx.actor.kind === "provisioner" ? null : unsetAsNull(u.name)),
    }),
    status: t.field({
      type: UserStatusEnum,
      nullable: true,
      description: "Null unless the viewer may see this user's details (see email).",
      select: { status: true, ...DETAILS_SELECT },
      resolve: (u, _args, ctx) => ifDetailsVisible(ctx, u, () => u.status),
    }),
    loginType: t.field({
      type: LoginTypeEnum,
      nullable: true,
      description: "Null unless the viewer may see this user's details (see email).",
      select: { loginType: true, ...DETAILS_SELECT },
      resolve: (u, _args, ctx) => ifDetailsVisible(ctx, u, () => u.loginType),
    }),
    siteRoles: t.field({
      type: [RoleType],
      nullable: true,
      description:
        "The site roles held, `member` (implied for everyone) included; null unless the viewer may see this user's details (see email).",
      select: { siteRoles: true, ...DETAILS_SELECT },
      resolve: (u, _args, ctx) =>
        ifDetailsVisible(ctx, u, () => {
          const held = new Set(["member", ...u.siteRoles]);
          return siteRoleViews().filter((role) => held.has(role.name));
        }),
    }),
    organizations: t.field({
      type: [OrganizationType],
      nullable: true,
      description:
        "The organizations this user is a member of that the viewer may read, by name; null unless the viewer may see this user's details (see email).",
      select: DETAILS_SELECT,
      resolve: async (user, _args, ctx) => {
        const subject = await ctx.viewer.subject();
        if (!subject || !detailsVisible(subject, user)) return null;
        return organizationsOf(ctx, user.id);
      },
    }),
    apiTokens: t.field({
      type: [ApiTokenType],
      nullable: true,
      description:
        "This user's API tokens, newest first (never their secrets); null unless the viewer is this user or may read anyone's tokens (user admins, owners).",
      authScopes: (user, _args, ctx) =>
        permissionScopes(ctx, { action: "READ", ...apiTokenObject({ userId: user.id }) }),
      unauthorizedResolver: () => null,
      resolve: (user, _args, ctx) => apiTokensOf(ctx, user.id),
    }),
    lastSeenAt: t.field({
      type: "DateTime",
      nullable: true,
      description:
        "When this user last signed in or sent a request (to the minute); null if never, and under the same rule as email.",
      select: { lastSeenAt: true, ...DETAILS_SELECT },
      resolve: (u, _args, ctx) => ifDetailsVisible(ctx, u, () => u.lastSeenAt),
    }),
    createdAt: t.expose("createdAt", {
      type: "DateTime",
      description: "When the account was created. Users only: a provisioner key reading it gets an error.",
      // A provisioner key sees usernames only; the field cannot be null (contract).
      authScopes: { authenticated: true },
    }),
  }),
});

export const UserConnection = builder.connectionObject(
  { type: UserType, name: "UserConnection", description: "A page of users." },
  { description: "A user in a page, with its cursor." },
);

/** The organizations the viewer may read of every user of a list, in one statement, by name. */
const organizationsOf = requestBatch<string, Organization[]>(
  (userId) => userId,
  async (ctx, userIds) => {
    const subject = await ctx.viewer.subject();
    if (!subject) return new Map();
    const rows = await ctx.prisma.organization.findMany({
      where: allOf({ members: { some: { userId: { in: userIds } } } }, organizationWhere(subject)),
      include: { members: { where: { userId: { in: userIds } }, select: { userId: true } } },
      orderBy: { name: "asc" },
    });
    const memberships = rows.flatMap(({ members, ...organization }) =>
      members.map(({ userId }) => ({ userId, organization })),
    );
    return new Map(
      [...groupBy(memberships, (m) => m.userId)].map(([userId, ofUser]) => [userId, ofUser.map((m) => m.organization)]),
    );
  },
  [],
);

/** The tokens of every user of a list in one statement, newest first per user. */
const apiTokensOf = requestBatch<string, ApiToken[]>(
  (userId) => userId,
  async (ctx, userIds) => {
    const rows = await ctx.prisma.apiToken.findMany({ where: { userId: { in: userIds } }, orderBy: { id: "desc" } });
    return groupBy(rows, (row) => row.userId);
  },
  [],
);

const UserOrderField = builder.enumType("UserOrderField", {
  description: "What `users(orderBy:)` sorts by; ties are broken by the user's id, in the same direction.",
  values: {
    USERNAME: { description: "The username." },
    NAME: { description: "The display name (unset names sort as empty)." },
    EMAIL: { description: "The email address." },
    CREATED_AT: { description: "When the user was created." },
    LAST_SEEN_AT: { description: "When the user was last seen; never-seen users come last in either direction." },
  },
});

const UserOrderBy = builder.inputType("UserOrderBy", {
  description: "An ordering of users.",
  fields: (t) => ({
    field: t.field({ type: UserOrderField, required: true, description: "What to sort by." }),
    direction: t.field({ type: OrderDirection, required: true, description: "Ascending or descending." }),
  }),
});

type UserOrder = typeof UserOrderBy.$inferInput;

/** A total order (the id last), so the cursor of a page is stable. */
function userOrderBy(order: UserOrder | null | undefined): Prisma.UserOrderByWithRelationInput[] {
  if (!order) return [{ id: "asc" }];
  const sort = sortOf(order.direction);
  const first: Prisma.UserOrderByWithRelationInput = {
    USERNAME: { username: sort },
    NAME: { name: sort },
    EMAIL: { email: sort },
    CREATED_AT: { createdAt: sort },
    LAST_SEEN_AT: { lastSeenAt: { sort, nulls: "last" } },
  }[order.field] as Prisma.UserOrderByWithRelationInput;
  return [first, { id: sort }];
}

export const ApiTokenType = builder.prismaNode("ApiToken", {
  description: "An API token of a user (never its secret, which createApiToken shows once).",
  id: { field: "id" },
  authScopes: (token, ctx) => permissionScopes(ctx, { action: "READ", ...apiTokenObject(token) }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "The name given at creation, unique per user." }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "When it stops working; null when it never expires.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    lastUsedAt: t.expose("lastUsedAt", {
      type: "DateTime",
      nullable: true,
      description: "When a request last authenticated with it; null when never used.",
    }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.prismaField({
    type: UserType,
    nullable: true,
    description: "The authenticated user, or null.",
    authScopes: { public: true },
    resolve: async (query, _root, _args, ctx) => {
      if (ctx.actor.kind === "invalid") throw unauthenticated(ctx.actor.reason);
      if (ctx.actor.kind !== "user") return null;
      return ctx.prisma.user.findUnique({ ...query, where: { id: ctx.actor.user.id } });
    },
  }),
  needsSetup: t.boolean({
    description: "True until the first user has been created.",
    authScopes: { public: true },
    resolve: async (_root, _args, ctx) => (await ctx.prisma.user.findFirst({ select: { id: true } })) === null,
  }),
  users: t.prismaConnection(
    {
      type: "User",
      cursor: "id",
      // Sorted by Prisma around the cursor's row, so its cursors stay plugin-prisma's id cursors.
      extensions: { [PAGED_BY_KEY]: true },
      description:
        "Users the viewer may read: everyone for site user readers (owners, user admins, auditors), else the members of the viewer's organizations and the viewer.",
      authScopes: { authenticated: true },
      args: {
        search: t.arg.string({ description: "Part of the username, email or name, in any case." }),
        status: t.arg({ type: UserStatusEnum, description: "Only users with this status." }),
        siteRole: t.arg.string({ description: "Only holders of this site role (`member`: everyone)." }),
        orderBy: t.arg({ type: UserOrderBy, description: "The order of the list; by id when left out." }),
      },
      totalCount: (_root, args, ctx) => countUsers(ctx, args),
      resolve: async (query, _root, args, ctx) => {
        const readable = await ctx.viewer.readWhere(userWhere);
        return ctx.prisma.user.findMany({
          ...query,
          where: allOf(readable, filterWhere(args)),
          orderBy: userOrderBy(args.orderBy),
        });
      },
    },
    UserConnection,
  ),
  user: t.prismaField({
    type: UserType,
    nullable: true,
    description: "The user with this username (case-insensitive); null when none exists or the viewer may not read it.",
    authScopes: { authenticated: true },
    args: { username: t.arg.string({ required: true, description: "The username." }) },
    resolve: async (query, _root, args, ctx) => {
      const readable = await ctx.viewer.readWhere(userWhere);
      const id = await userIdByUsername(ctx.prisma, args.username);
      if (!id) return null;
      return ctx.prisma.user.findFirst({ ...query, where: allOf({ id }, readable) });
    },
  }),
}));

function searchWhere(search: string | null | undefined) {
  const term = search?.trim().slice(0, 128);
  if (!term) return {};
  return {
    OR: [
      { username: containsIgnoringCase(term) },
      { email: containsIgnoringCase(term) },
      { name: containsIgnoringCase(term) },
    ],
  };
}

type UserFilters = {
  search?: string | null;
  status?: "ACTIVE" | "DORMANT" | "SUSPENDED" | null;
  siteRole?: string | null;
};

function filterWhere(args: UserFilters) {
  // `member` is implied for everyone and never stored.
  const role = args.siteRole && args.siteRole !== "member" ? { siteRoles: { has: args.siteRole } } : {};
  return allOf(searchWhere(args.search), args.status ? { status: args.status } : {}, role);
}

async function countUsers(ctx: Context, args: UserFilters) {
  const readable = await ctx.viewer.readWhere(userWhere);
  return ctx.prisma.user.count({ where: allOf(readable, filterWhere(args)) });
}

// ---- mutations

const CreateFirstUserInput = builder.inputType("CreateFirstUserInput", {
  description: "The first user (site owner).",
  fields: (t) => ({
    email: t.string({ required: true, description: "Email address, used to log in." }),
    username: t.string({ required: true, description: "Unique login name." }),
    password: t.string({ required: true, description: "The password (checked for strength)." }),
    name: t.string({ description: "Full name; unset when left out." }),
  }),
});

const LoginInput = builder.inputType("LoginInput", {
  description: "Email and password of a PASSWORD user.",
  fields: (t) => ({
    email: t.string({ required: true, description: "The user's email (case-insensitive)." }),
    password: t.string({ required: true, description: "The user's password." }),
  }),
});

const CreateUserInput = builder.inputType("CreateUserInput", {
  description: "A new user account.",
  fields: (t) => ({
    email: t.string({ required: true, description: "Unique email address." }),
    username: t.string({ required: true, description: "Unique login name." }),
    password: t.string({ description: "Required for PASSWORD users; not allowed for the other login types." }),
    name: t.string({ description: "Full name; unset when left out." }),
    loginType: t.field({ type: LoginTypeEnum, description: "How the user signs in; PASSWORD when left out." }),
    organizationIds: t.idList({ description: "Organizations to join; the default organization when left out." }),
  }),
});

const UpdateUserSiteRolesInput = builder.inputType("UpdateUserSiteRolesInput", {
  description: "The complete set of site roles a user holds.",
  fields: (t) => ({
    userId: t.id({ required: true, description: "Global id of the user." }),
    roles: t.stringList({
      required: true,
      description: "Site role names (see siteRoles); replaces the user's roles. `member` is implied.",
    }),
  }),
});

const CreateApiTokenInput = builder.inputType("CreateApiTokenInput", {
  description: "A new API token for the viewer.",
  fields: (t) => ({
    name: t.string({ required: true, description: "A name to recognise it by, unique among the viewer's tokens." }),
    lifetimeSeconds: t.int({ description: "At most MAX_TOKEN_LIFETIME_SECONDS; no expiry when left out." }),
  }),
});

const UpdateUserInput = builder.inputType("UpdateUserInput", {
  description: "Changes to a user's profile: only the fields given change.",
  fields: (t) => ({
    userId: t.id({ required: true, description: "Global id of the user." }),
    name: t.string({ description: 'New full name; "" unsets it.' }),
    username: t.string({ description: "New unique username." }),
    email: t.string({ description: "New unique email." }),
  }),
});

const ChangePasswordInput = builder.inputType("ChangePasswordInput", {
  description: "The viewer's current and new password.",
  fields: (t) => ({
    oldPassword: t.string({ required: true, description: "The current password." }),
    newPassword: t.string({ required: true, description: "The new password (checked for strength)." }),
  }),
});

const UserIdInput = builder.inputType("UserIdInput", {
  description: "The user to act on.",
  fields: (t) => ({ userId: t.id({ required: true, description: "Global id of the user." }) }),
});

const DeleteApiTokenInput = builder.inputType("DeleteApiTokenInput", {
  description: "The API token to revoke.",
  fields: (t) => ({ id: t.id({ required: true, description: "Global id of the API token (ApiToken.id)." }) }),
});

export const AuthPayload = builder
  .objectRef<Payload<{ token: string; user: User; expiresAt: Date }>>("AuthPayload")
  .implement({
    description: "The result of a sign-in: a session token and its user, or the userErrors that refused it.",
    fields: (t) => ({
      token: t.string({
        nullable: true,
        description: "A session token for the Authorization header; null when userErrors is not empty.",
        resolve: (p) => p.token ?? null,
      }),
      expiresAt: t.field({
        type: "DateTime",
        nullable: true,
        description: "When the session expires (refreshSession extends it); null when userErrors is not empty.",
        resolve: (p) => p.expiresAt ?? null,
      }),
      user: t.field({
        type: UserType,
        nullable: true,
        description: "The signed-in user; null when userErrors is not empty.",
        resolve: (p) => p.user ?? null,
      }),
      userErrors: t.field({
        type: [UserErrorType],
        description: USER_ERRORS_DESCRIPTION,
        resolve: (p) => p.userErrors,
      }),
    }),
  });

export const UserPayload = payloadType("UserPayload", "user", UserType);

const CreateApiTokenPayload = builder
  .objectRef<Payload<{ token: string; apiToken: ApiToken }>>("CreateApiTokenPayload")
  .implement({
    description: "The result of createApiToken: the secret (shown once) and the token, or the userErrors.",
    fields: (t) => ({
      token: t.string({
        nullable: true,
        description: "The secret, shown this once: `oat_<id>_<secret>`, for `Authorization: Bearer`.",
        resolve: (p) => p.token ?? null,
      }),
      apiToken: t.field({
        type: ApiTokenType,
        nullable: true,
        description: "The created token; null when userErrors is not empty.",
        resolve: (p) => p.apiToken ?? null,
      }),
      userErrors: t.field({
        type: [UserErrorType],
        description: USER_ERRORS_DESCRIPTION,
        resolve: (p) => p.userErrors,
      }),
    }),
  });

builder.mutationFields((t) => ({
  createFirstUser: t.field({
    nullable: true,
    type: AuthPayload,
    description:
      "Only while no user exists: creates the first user as site owner and member of the default organization.",
    authScopes: { public: true },
    args: { input: t.arg({ type: CreateFirstUserInput, required: true, description: "The first user." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => users.createFirstUser(ctx, input)),
  }),
  login: t.field({
    nullable: true,
    type: AuthPayload,
    description:
      "Signs in with email and password and returns a session token. A wrong password and an unknown email get the same userError.",
    authScopes: { public: true },
    args: { input: t.arg({ type: LoginInput, required: true, description: "The credentials." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => users.login(ctx, input)),
  }),
  logout: t.boolean({
    nullable: true,
    authScopes: { authenticated: true },
    description:
      "Ends the session (or deletes the API token) that authenticated the request; clears the session cookie.",
    resolve: async (_root, _args, ctx) => {
      const done = await users.logout(ctx);
      users.clearSessionCookie(ctx);
      return done;
    },
  }),
  refreshSession: t.field({
    nullable: true,
    type: AuthPayload,
    authScopes: { authenticated: true },
    description:
      "Extends the session that authenticated the request to a full lifetime from now and returns a new token (and session cookie). Sessions only, not API tokens.",
    resolve: (_root, _args, ctx) => withUserErrors(() => users.refreshSession(ctx)),
  }),
  createUser: t.field({
    nullable: true,
    type: UserPayload,
    description: "Needs USER CREATE (site user admins, owners).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateUserInput, required: true, description: "The user." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => users.createUser(ctx, input)),
  }),
  updateUserSiteRoles: t.field({
    nullable: true,
    type: UserPayload,
    description: "Needs ASSIGN_ROLE ASSIGN/UNASSIGN for the roles added/removed (owners; user admins for some roles).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateUserSiteRolesInput, required: true, description: "The user and roles." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => users.updateUserSiteRoles(ctx, input)),
  }),
  createApiToken: t.field({
    nullable: true,
    type: CreateApiTokenPayload,
    description: "Creates an API token for the viewer; the secret is in the payload, once.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateApiTokenInput, required: true, description: "The token." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => users.createApiToken(ctx, input)),
  }),
  updateUser: t.field({
    nullable: true,
    type: UserPayload,
    description: "Name, username or email (those given): the user themself, or site user admins and owners.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateUserInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => userProfile.updateUser(ctx, input)),
  }),
  changePassword: t.field({
    nullable: true,
    type: UserPayload,
    description: "The viewer's own password; their other sessions end.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: ChangePasswordInput, required: true, description: "The passwords." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => userProfile.changePassword(ctx, input)),
  }),
  suspendUser: t.field({
    nullable: true,
    type: UserPayload,
    description:
      "Site user admins and owners: the user's sessions, API tokens and subscriptions stop working at once. Never oneself or the last active owner.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UserIdInput, required: true, description: "The user." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => userStatus.suspendUser(ctx, input)),
  }),
  activateUser: t.field({
    nullable: true,
    type: UserPayload,
    description: "Site user admins and owners: a suspended (or dormant) user becomes active.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UserIdInput, required: true, description: "The user." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => userStatus.activateUser(ctx, input)),
  }),
  deleteUser: t.field({
    nullable: true,
    type: DeletePayload,
    description:
      "Site user admins and owners; refused with USER_HAS_WORKSPACES while the user owns workspaces. Never oneself or the last active owner.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UserIdInput, required: true, description: "The user." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => userStatus.deleteUser(ctx, input)),
  }),
  deleteApiToken: t.field({
    nullable: true,
    type: DeletePayload,
    description: "Revokes an API token at once: one's own, or anyone's for user admins and owners.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: DeleteApiTokenInput, required: true, description: "The token." }) },
    resolve: (_root, { input }, ctx) => withUserErrors(() => users.deleteApiToken(ctx, input)),
  }),
}));
