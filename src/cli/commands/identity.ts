// First start and identity: login (with first-user setup), logout, whoami, users and API tokens.
import { Api } from "../api.js";
import { endpoint, updateProfile } from "../config.js";
import {
  type Command,
  type Ctx,
  list,
  need,
  notFound,
  USER_ERRORS,
  UsageError,
  userByName,
  viewer,
} from "../context.js";
import { type Columns, lower, names } from "../output.js";

async function password(ctx: Ctx, fromStdin: boolean | undefined, what: string): Promise<string> {
  const value = fromStdin ? (await ctx.io.readStdin()).replace(/\r?\n$/, "") : ctx.io.env.ORGS_API_PASSWORD;
  if (!value) throw new UsageError(`give ${what} on stdin (--password-stdin) or in ORGS_API_PASSWORD`);
  return value;
}

const login: Command = {
  name: "login",
  usage: "login [URL] [--email EMAIL --password-stdin | --token TOKEN]",
  summary: "sign in and store the credential in the profile; on a new server, create the first user",
  help: `  --email EMAIL                 sign in with a password (stdin with --password-stdin, else ORGS_API_PASSWORD)
  --token TOKEN                 store an existing session or API token
  --first-user-email EMAIL      on a server without users: create the first user (site owner)
  --first-user-username NAME
  --first-user-full-name NAME
  --first-user-password-stdin   the first user's password from stdin (else ORGS_API_PASSWORD)
URL defaults to ORGS_API_URL, else the profile's server; a bare address gets /graphql.`,
  async run(ctx) {
    const target = await ctx.target();
    const url = endpoint(ctx.args[0] ?? ctx.io.env.ORGS_API_URL ?? target.url);
    const anonymous = new Api(url, undefined, ctx.io.fetch);
    const v = ctx.values;
    let token = v.token;
    let created = false;
    if (!token) {
      const { needsSetup } = await anonymous.request<{ needsSetup: boolean }>("{ needsSetup }");
      if (needsSetup) {
        if (!v["first-user-email"] || !v["first-user-username"]) {
          throw new UsageError(
            `${url} has no users yet: create the first one (the site owner) with --first-user-email EMAIL --first-user-username NAME --first-user-password-stdin`,
          );
        }
        const payload = await anonymous.mutate<{ token: string }>(
          `mutation($input: CreateFirstUserInput!) { createFirstUser(input: $input) { token ${USER_ERRORS} } }`,
          {
            email: v["first-user-email"],
            username: v["first-user-username"],
            name: v["first-user-full-name"],
            password: await password(ctx, v["first-user-password-stdin"], "the first user's password"),
          },
          "createFirstUser",
        );
        token = payload.token;
        created = true;
      } else {
        if (v["first-user-email"]) ctx.note(`${url} already has users: signing in instead of creating the first one`);
        const email = need(v.email ?? v["first-user-email"], "--email (or --token)");
        const payload = await anonymous.mutate<{ token: string }>(
          `mutation($input: LoginInput!) { login(input: $input) { token ${USER_ERRORS} } }`,
          {
            email,
            password: await password(ctx, v["password-stdin"] ?? v["first-user-password-stdin"], "the password"),
          },
          "login",
        );
        token = payload.token;
      }
    }
    const me = await viewer(new Api(url, token, ctx.io.fetch));
    const file = await updateProfile(ctx.io.env, target.profile, { url, token });
    ctx.done(
      { url, username: me.username, profile: target.profile, firstUser: created, config: file },
      `${created ? `Created the first user, ${me.username} (site owner). ` : ""}Logged in to ${url} as ${me.username} (profile ${target.profile}).`,
    );
  },
};

const logout: Command = {
  name: "logout",
  usage: "logout",
  summary: "end the session and forget the profile's credential",
  async run(ctx) {
    const target = await ctx.target();
    if (target.token) {
      // A session ends on the server; an API token stays valid (delete it with `tokens delete`).
      await new Api(target.url, target.token, ctx.io.fetch).request("mutation { logout }").catch(() => undefined);
    }
    await updateProfile(ctx.io.env, target.profile, { token: undefined });
    ctx.done({ profile: target.profile, loggedOut: true }, `Logged out (profile ${target.profile}).`);
  },
};

const whoami: Command = {
  name: "whoami",
  usage: "whoami",
  summary: "the signed-in user, server, profile and organization",
  async run(ctx) {
    const api = await ctx.api();
    const target = await ctx.target();
    const data = await api.request("{ viewer { id username email name siteRoles { name } organizations { name } } }");
    if (!data.viewer) throw notFound("the signed-in user (log in again)");
    const row = { ...data.viewer, url: target.url, profile: target.profile, organization: (await ctx.org()).name };
    ctx.printOne(row, {
      username: (r) => r.username,
      email: (r) => r.email,
      url: (r) => r.url,
      profile: (r) => r.profile,
      organization: (r) => r.organization,
      "site roles": (r) => names(r.siteRoles),
    });
  },
};

// ---- users

const USER_FIELDS = "id username email name status loginType siteRoles { name } organizations { name } createdAt";
type UserRow = Record<string, any>;
const USER_COLUMNS: Columns<UserRow> = {
  username: (u) => u.username,
  email: (u) => u.email,
  name: (u) => u.name,
  status: (u) => lower(u.status),
  "login type": (u) => lower(u.loginType),
  "site roles": (u) => names(u.siteRoles),
  organizations: (u) => names(u.organizations),
  "created at": (u) => u.createdAt,
  id: (u) => u.id,
};

async function userRow(ctx: Ctx, username: string): Promise<UserRow> {
  const api = await ctx.api();
  const id = (await userByName(api, username)).id;
  const data = await api.request(`query($id: ID!) { node(id: $id) { ... on User { ${USER_FIELDS} } } }`, { id });
  return data.node;
}

const usersCreate: Command = {
  name: "users create",
  usage:
    "users create --username NAME --email EMAIL [--full-name NAME] [--login-type password|oidc|none] [--password-stdin]",
  summary: "create a user, a member of the organization (-O, else the default)",
  help: `  --password-stdin   the password from stdin (else ORGS_API_PASSWORD; none with --login-type oidc|none)`,
  async run(ctx) {
    const api = await ctx.api();
    const v = ctx.values;
    const loginType = (v["login-type"] ?? "password").toUpperCase();
    const org = await ctx.org();
    const { user } = await api.mutate(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { user { ${USER_FIELDS} } ${USER_ERRORS} } }`,
      {
        username: need(v.username ?? ctx.args[0], "--username"),
        email: need(v.email, "--email"),
        name: v["full-name"],
        loginType,
        password: loginType === "PASSWORD" ? await password(ctx, v["password-stdin"], "the password") : undefined,
        organizationIds: [org.id],
      },
      "createUser",
    );
    ctx.done(user, `User ${user.username} created (member of ${org.name}).`);
  },
};

const usersList: Command = {
  name: "users list",
  usage: "users list [--search TEXT] [--status active|dormant|suspended] [--role SITE_ROLE]",
  summary: "users of the deployment",
  async run(ctx) {
    const api = await ctx.api();
    const rows = await api.all<UserRow>(
      `query($search: String, $status: UserStatus, $role: String, $first: Int, $after: String) {
        users(search: $search, status: $status, siteRole: $role, first: $first, after: $after) {
          edges { node { ${USER_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      { search: ctx.values.search, status: ctx.values.status?.[0]?.toUpperCase(), role: ctx.values.role },
      (d) => d.users,
    );
    ctx.print(rows ?? [], USER_COLUMNS);
  },
};

const usersShow: Command = {
  name: "users show",
  usage: "users show USERNAME|me",
  summary: "one user",
  async run(ctx) {
    ctx.printOne(await userRow(ctx, ctx.arg(0, "the USERNAME")), USER_COLUMNS);
  },
};

const usersEdit: Command = {
  name: "users edit",
  usage: "users edit USERNAME|me [--username NEW] [--full-name NAME] [--email EMAIL] [--roles SITE_ROLE,...]",
  summary: "change a user's name, username, email or site roles",
  help: `  --roles ROLES   replaces the site roles (comma-separated: owner, user-admin, template-admin, auditor; "" for none)`,
  async run(ctx) {
    const api = await ctx.api();
    const v = ctx.values;
    const target = await userByName(api, ctx.arg(0, "the USERNAME"));
    const profile = { userId: target.id, username: v.username, name: v["full-name"], email: v.email };
    if (v.username === undefined && v["full-name"] === undefined && v.email === undefined && v.roles === undefined) {
      throw new UsageError("nothing to change: give --username, --full-name, --email or --roles");
    }
    let user: UserRow | undefined;
    if (v.username !== undefined || v["full-name"] !== undefined || v.email !== undefined) {
      ({ user } = await api.mutate(
        `mutation($input: UpdateUserInput!) { updateUser(input: $input) { user { ${USER_FIELDS} } ${USER_ERRORS} } }`,
        profile,
        "updateUser",
      ));
    }
    if (v.roles !== undefined) {
      ({ user } = await api.mutate(
        `mutation($input: UpdateUserSiteRolesInput!) { updateUserSiteRoles(input: $input) { user { ${USER_FIELDS} } ${USER_ERRORS} } }`,
        { userId: target.id, roles: list(v.roles) },
        "updateUserSiteRoles",
      ));
    }
    ctx.done(user, `User ${user?.username} updated.`);
  },
};

function userStatusCommand(verb: "suspend" | "activate"): Command {
  const field = verb === "suspend" ? "suspendUser" : "activateUser";
  return {
    name: `users ${verb}`,
    usage: `users ${verb} USERNAME`,
    summary:
      verb === "suspend" ? "suspend a user: their sessions and tokens stop working" : "activate a suspended user",
    async run(ctx) {
      const api = await ctx.api();
      const target = await userByName(api, ctx.arg(0, "the USERNAME"));
      const { user } = await api.mutate(
        `mutation($input: UserIdInput!) { ${field}(input: $input) { user { ${USER_FIELDS} } ${USER_ERRORS} } }`,
        { userId: target.id },
        field,
      );
      ctx.done(user, `User ${user.username} is ${lower(user.status)}.`);
    },
  };
}

const usersDelete: Command = {
  name: "users delete",
  usage: "users delete USERNAME",
  summary: "delete a user (refused while they own workspaces)",
  async run(ctx) {
    const api = await ctx.api();
    const target = await userByName(api, ctx.arg(0, "the USERNAME"));
    await api.mutate(
      `mutation($input: UserIdInput!) { deleteUser(input: $input) { deletedId ${USER_ERRORS} } }`,
      { userId: target.id },
      "deleteUser",
    );
    ctx.done({ deleted: target }, `User ${target.username} deleted.`);
  },
};

// ---- tokens

const TOKEN_FIELDS = "id name createdAt expiresAt lastUsedAt";
type TokenRow = { id: string; name: string; createdAt: string; expiresAt: string | null; lastUsedAt: string | null };

async function tokensOf(ctx: Ctx): Promise<{ username: string; tokens: TokenRow[] }> {
  const api = await ctx.api();
  const username = ctx.values.user?.at(-1) ?? "me";
  const data =
    username === "me"
      ? await api.request(`{ user: viewer { username apiTokens { ${TOKEN_FIELDS} } } }`)
      : await api.request(`query($u: String!) { user(username: $u) { username apiTokens { ${TOKEN_FIELDS} } } }`, {
          u: username,
        });
  if (!data.user) throw notFound(`user "${username}"`);
  if (!data.user.apiTokens) throw notFound(`the tokens of ${username}`);
  return { username: data.user.username, tokens: data.user.apiTokens };
}

/** "30d", "12h", "90m", "45s" or a number of seconds. */
function seconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const match = /^(\d+)([dhms]?)$/.exec(raw);
  if (!match) throw new UsageError(`--lifetime must be a duration like 30d, 12h, 90m or 3600, got "${raw}"`);
  return Number(match[1]) * { d: 86400, h: 3600, m: 60, s: 1, "": 1 }[match[2] as "d"];
}

const tokensCreate: Command = {
  name: "tokens create",
  usage: "tokens create NAME [--lifetime 30d]",
  summary: "create an API token of your own; the secret is shown once",
  async run(ctx) {
    const api = await ctx.api();
    const payload = await api.mutate(
      `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { ${TOKEN_FIELDS} } ${USER_ERRORS} } }`,
      { name: ctx.arg(0, "the token NAME"), lifetimeSeconds: seconds(ctx.values.lifetime) },
      "createApiToken",
    );
    ctx.done(
      { ...payload.apiToken, token: payload.token },
      `Token ${payload.apiToken.name} created. Save it, it will not be shown again:\n\n${payload.token}`,
    );
  },
};

const tokensList: Command = {
  name: "tokens list",
  usage: "tokens list [--user USERNAME]",
  summary: "your API tokens (or a user's, for user admins), never their secrets",
  async run(ctx) {
    ctx.print((await tokensOf(ctx)).tokens, {
      name: (t) => t.name,
      "created at": (t) => t.createdAt,
      "expires at": (t) => t.expiresAt ?? "never",
      "last used": (t) => t.lastUsedAt,
      id: (t) => t.id,
    });
  },
};

const tokensDelete: Command = {
  name: "tokens delete",
  usage: "tokens delete NAME|ID [--user USERNAME]",
  summary: "revoke an API token at once",
  async run(ctx) {
    const ref = ctx.arg(0, "the token NAME or ID");
    const { username, tokens } = await tokensOf(ctx);
    const token = tokens.find((t) => t.name === ref) ?? tokens.find((t) => t.id === ref);
    if (!token) throw notFound(`token "${ref}" of ${username}`);
    await (await ctx.api()).mutate(
      `mutation($input: DeleteApiTokenInput!) { deleteApiToken(input: $input) { deletedId ${USER_ERRORS} } }`,
      { id: token.id },
      "deleteApiToken",
    );
    ctx.done({ deleted: token }, `Token ${token.name} deleted.`);
  },
};

export const IDENTITY_COMMANDS: Command[] = [
  login,
  logout,
  whoami,
  usersCreate,
  usersList,
  usersShow,
  usersEdit,
  userStatusCommand("suspend"),
  userStatusCommand("activate"),
  usersDelete,
  tokensCreate,
  tokensList,
  tokensDelete,
];
