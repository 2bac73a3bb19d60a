// SCIM 2.0 (RFC 7643/7644) user provisioning at /scim/v2, for identity providers that push
// users: discovery (ServiceProviderConfig, Schemas, ResourceTypes), Users (create, list with
// filters, get, PATCH, PUT, DELETE) and Groups (the default organization's; scim-groups.ts). Authenticated by the shared SCIM_API_KEY; off (404) when it
// is unset. Rate limited like GraphQL; every change is audited with no actor user (SCIM). Who a
// request means and what SCIM may not do: scim-users.ts. A request with the key acts as the SCIM
// actor, whose viewer holds the SCIM role (src/authz/roles.ts): the services' permission checks
// run for it through the one evaluator. Only this edge makes that actor.

import { createHash, timingSafeEqual } from "node:crypto";
import type { Plugin } from "graphql-yoga";
import { type AuditExport, type AuditMeta, recordAudit } from "../../audit/audit.js";
import { auditMeta } from "../../authz/assert.js";
import { compileSystemSubject, type Subject } from "../../authz/evaluator.js";
import { SCIM_ROLE } from "../../authz/roles.js";
import { createScimViewer } from "../../authz/viewer.js";
import type { Config } from "../../config.js";
import type { ServiceContext } from "../../context.js";
import { defaultOrganizationId } from "../../db/default-organization.js";
import type { Prisma, PrismaClient, User } from "../../generated/prisma/client.js";
import { isUuid } from "../../graphql/ids.js";
import { clientIp, userAgentOf } from "../../http/client-ip.js";
import { requestIdOf } from "../../http/request-id.js";
import type { LiveEvents } from "../../live/live-events.js";
import type { Logger } from "../../logger.js";
import { credentialKey, type RateLimiter } from "../../security/rate-limit.js";
import { discovery } from "./scim-discovery.js";
import { displayNameIs, groupChangesFromPatch, groupFromBody, ScimGroups, toScimGroup } from "./scim-groups.js";
import { changesFromPatch, readJson, rejectNul, ScimError, scimErrorOf, userFromBody } from "./scim-input.js";
import { ScimUsers, toScimUser, userNameIs } from "./scim-users.js";

type Deps = {
  prisma: PrismaClient;
  config: Config;
  log: Logger;
  limiter: RateLimiter;
  /** Writes answer once this instance dropped the credentials they changed (a suspended user's). */
  credentials: { settle(): Promise<void> };
  auditExport?: AuditExport | undefined;
  /** Suspensions and deletions end the user's subscriptions at once. */
  live: LiveEvents;
};

export const SCIM_BASE = "/scim/v2";
const CONTENT_TYPE = "application/scim+json";
const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const DEFAULT_COUNT = 100;
const MAX_COUNT = 1000;

function scimResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  if (status === 204) return new Response(null, { status });
  return new Response(JSON.stringify(body), { status, headers: { "content-type": CONTENT_TYPE, ...headers } });
}

function errorResponse(error: ScimError, headers: Record<string, string> = {}): Response {
  return scimResponse(
    error.status,
    {
      schemas: [ERROR_SCHEMA],
      status: String(error.status),
      detail: error.message,
      ...(error.scimType ? { scimType: error.scimType } : {}),
    },
    error.status === 401 ? { "www-authenticate": 'Bearer realm="scim"', ...headers } : headers,
  );
}

// ---- authentication

const digest = (value: string) => createHash("sha256").update(value).digest();

/** `Authorization: Bearer <key>` (or the bare key, as some IdPs send it), compared in constant time. */
function authorized(request: Request, key: string): boolean {
  const header = request.headers.get("authorization") ?? "";
  const given = header.replace(/^Bearer\s+/i, "");
  return given !== "" && timingSafeEqual(digest(given), digest(key));
}

// ---- filters

const QUOTED = String.raw`"((?:[^"\\]|\\.)*)"`;
const USERNAME_EQ = new RegExp(String.raw`^userName\s+eq\s+${QUOTED}$`, "i");
const EXTERNAL_ID_EQ = new RegExp(String.raw`^externalId\s+eq\s+${QUOTED}$`, "i");
const EMAIL_EQ = new RegExp(String.raw`^emails(?:\[type\s+eq\s+${QUOTED}\])?\.value\s+eq\s+${QUOTED}$`, "i");
const ID_EQ = new RegExp(String.raw`^id\s+eq\s+${QUOTED}$`, "i");

function unquote(raw: string): string {
  const value = JSON.parse(`"${raw}"`) as string;
  rejectNul(value);
  return value;
}

type FilterRule<W> = [RegExp, (groups: string[]) => W];

/** The `where` of the first rule matching the whole filter; 400 invalidFilter when none does. */
function parseFilter<W>(filter: string | null, rules: FilterRule<W>[], unsupported: string): W | Record<string, never> {
  const text = filter?.trim();
  if (!text) return {};
  try {
    for (const [pattern, where] of rules) {
      const match = pattern.exec(text);
      if (match) return where(match.slice(1).map((raw) => (raw === undefined ? raw : unquote(raw))) as string[]);
    }
  } catch (error) {
    if (error instanceof ScimError) throw error;
    // A malformed escape in a quoted value: an invalid filter like any other.
  }
  throw new ScimError(400, `Unsupported filter; use ${unsupported}.`, "invalidFilter");
}

const byId = (id = "") => (isUuid(id) ? { id: id.toLowerCase() } : { id: { in: [] } });

/**
 * The supported user filters, each an exact comparison (no wildcards): `userName eq` (ignoring
 * case, SCIM's userNames only), `externalId eq` (case-exact), `emails.value eq`,
 * `emails[type eq "work"].value eq` (ignoring case), `id eq`.
 */
const filterWhere = (filter: string | null): Prisma.UserWhereInput =>
  parseFilter<Prisma.UserWhereInput>(
    filter,
    [
      [USERNAME_EQ, ([userName = ""]) => userNameIs(userName)],
      [EXTERNAL_ID_EQ, ([externalId = ""]) => ({ scimExternalId: externalId })],
      // Every user has exactly one email, of type work.
      [
        EMAIL_EQ,
        ([type = "work", email = ""]) =>
          type.toLowerCase() === "work" ? { email: email.toLowerCase() } : { id: { in: [] } },
      ],
      [ID_EQ, ([id]) => byId(id)],
    ],
    'userName eq "x", externalId eq "x", emails.value eq "x", emails[type eq "work"].value eq "x" or id eq "x"',
  );

const DISPLAY_NAME_EQ = new RegExp(String.raw`^displayName\s+eq\s+${QUOTED}$`, "i");

/** Group filters: `displayName eq` (exact, ignoring case) and `id eq`. */
const groupFilterWhere = (filter: string | null): Prisma.GroupWhereInput =>
  parseFilter<Prisma.GroupWhereInput>(
    filter,
    [
      [DISPLAY_NAME_EQ, ([displayName = ""]) => displayNameIs(displayName)],
      [ID_EQ, ([id]) => byId(id)],
    ],
    'displayName eq "x" or id eq "x"',
  );

function positiveInt(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new ScimError(400, "startIndex and count must be integers.", "invalidValue");
  return Math.min(Math.max(value, min), max);
}

// ---- handlers

class ScimHandler {
  private readonly users: ScimUsers;

  constructor(
    private readonly deps: Deps,
    private readonly request: Request,
    private readonly url: URL,
    private readonly ctx: ServiceContext,
  ) {
    this.users = new ScimUsers(ctx);
  }

  async route(): Promise<Response> {
    const parts = this.url.pathname.slice(SCIM_BASE.length).split("/").filter(Boolean);
    const method = this.request.method;
    const document = discovery(parts, `${this.url.origin}${SCIM_BASE}`);
    if (document !== undefined) {
      if (method !== "GET") throw new ScimError(405, "Method not allowed.");
      if (document === null) throw new ScimError(404, "No such schema or resource type.");
      return scimResponse(200, document);
    }
    if (parts[0] === "Groups" && parts.length <= 2) return this.groupsRoute(parts[1]);
    if (parts[0] !== "Users" || parts.length > 2) throw new ScimError(404, "No such SCIM resource.");
    if (parts.length === 1) {
      if (method === "GET") return this.listUsers();
      if (method === "POST") return this.createUser();
      throw new ScimError(405, "Method not allowed.");
    }
    const raw = parts[1] ?? "";
    if (!isUuid(raw)) throw new ScimError(404, "User not found.");
    const id = raw.toLowerCase();
    if (method === "GET") return this.getUser(id);
    if (method === "PATCH") return this.respond(200, await this.users.update(id, changesFromPatch(await this.body())));
    if (method === "PUT") return this.respond(200, await this.users.update(id, userFromBody(await this.body())));
    if (method === "DELETE") {
      await this.users.delete(id);
      return scimResponse(204, null);
    }
    throw new ScimError(405, "Method not allowed.");
  }

  private async groupsRoute(raw: string | undefined): Promise<Response> {
    const method = this.request.method;
    const groups = new ScimGroups(this.ctx);
    const respond = (status: 200 | 201, group: Parameters<typeof toScimGroup>[0]) => {
      const resource = toScimGroup(group, this.base);
      return scimResponse(status, resource, status === 201 ? { location: resource.meta.location } : {});
    };
    if (raw === undefined) {
      if (method === "GET") return this.listGroups(groups);
      if (method === "POST") return respond(201, await groups.create(groupFromBody(await this.body())));
      throw new ScimError(405, "Method not allowed.");
    }
    if (!isUuid(raw)) throw new ScimError(404, "Group not found.");
    const id = raw.toLowerCase();
    if (method === "GET") return respond(200, await groups.get(id));
    if (method === "PATCH") return respond(200, await groups.update(id, groupChangesFromPatch(await this.body())));
    if (method === "PUT") return respond(200, await groups.update(id, groupFromBody(await this.body())));
    if (method === "DELETE") {
      await groups.delete(id);
      return scimResponse(204, null);
    }
    throw new ScimError(405, "Method not allowed.");
  }

  private async listGroups(groups: ScimGroups): Promise<Response> {
    const params = this.url.searchParams;
    rejectNul(params.get("filter"));
    const where = groupFilterWhere(params.get("filter"));
    const startIndex = positiveInt(params.get("startIndex"), 1, 1, Number.MAX_SAFE_INTEGER);
    const count = positiveInt(params.get("count"), DEFAULT_COUNT, 0, MAX_COUNT);
    const { total, groups: page } = await groups.list(where, startIndex - 1, count);
    // Entra asks for groups without their members (excludedAttributes=members).
    const withMembers = !/\bmembers\b/i.test(params.get("excludedAttributes") ?? "");
    return scimResponse(200, {
      schemas: [LIST_SCHEMA],
      totalResults: total,
      startIndex,
      itemsPerPage: page.length,
      Resources: page.map((g) => toScimGroup(g, this.base, withMembers)),
    });
  }

  private get base(): string {
    return `${this.url.origin}${SCIM_BASE}`;
  }

  private body() {
    return readJson(this.request, this.deps.config.maxBodyBytes);
  }

  private respond(status: 200 | 201, user: User): Response {
    const resource = toScimUser(user, `${this.url.origin}${SCIM_BASE}/Users/${user.id}`);
    return scimResponse(status, resource, status === 201 ? { location: resource.meta.location } : {});
  }

  private async getUser(id: string): Promise<Response> {
    const user = await this.deps.prisma.user.findUnique({ where: { id } });
    if (!user) throw new ScimError(404, "User not found.");
    return this.respond(200, user);
  }

  private async listUsers(): Promise<Response> {
    const params = this.url.searchParams;
    rejectNul(params.get("filter"));
    const where = filterWhere(params.get("filter"));
    const startIndex = positiveInt(params.get("startIndex"), 1, 1, Number.MAX_SAFE_INTEGER);
    const count = positiveInt(params.get("count"), DEFAULT_COUNT, 0, MAX_COUNT);
    const total = await this.deps.prisma.user.count({ where });
    const users =
      count === 0
        ? []
        : await this.deps.prisma.user.findMany({
            where,
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
            skip: startIndex - 1,
            take: count,
          });
    return scimResponse(200, {
      schemas: [LIST_SCHEMA],
      totalResults: total,
      startIndex,
      itemsPerPage: users.length,
      Resources: users.map((u) => toScimUser(u, `${this.url.origin}${SCIM_BASE}/Users/${u.id}`)),
    });
  }

  private async createUser(): Promise<Response> {
    return this.respond(201, await this.users.create(userFromBody(await this.body())));
  }
}

function rateLimited(retryAfterSeconds: number): Response {
  const error = new ScimError(429, `Too many requests: try again in ${retryAfterSeconds} s.`);
  return errorResponse(error, { "retry-after": String(retryAfterSeconds) });
}

/**
 * Each call to /scim/v2 past the rate limit is a sign-in event of the SCIM key: refused (401,
 * `success: false`) or accepted, with the answer's status. A failure to record is logged, never
 * the client's problem.
 */
async function recordScimCall(deps: Deps, meta: AuditMeta, request: Request, url: URL, status: number) {
  await recordAudit(deps.prisma, meta, {
    resourceType: "SCIM_KEY",
    action: "LOGIN",
    resourceName: "SCIM",
    success: status !== 401,
    diff: { method: request.method, path: url.pathname.slice(0, 256), status },
  }).catch((error: unknown) => deps.log.warn("recording a SCIM call failed", { error, requestId: meta.requestId }));
}

/** What the SCIM actor's services need of a request (ServiceContext), its viewer holding `subject`. */
function scimContext(deps: Deps, request: Request, ip: string | null, subject: () => Promise<Subject>): ServiceContext {
  return {
    prisma: deps.prisma,
    config: deps.config,
    live: deps.live,
    auditExport: deps.auditExport,
    actor: { kind: "scim" },
    viewer: createScimViewer(subject),
    requestId: requestIdOf(request),
    ip,
    userAgent: userAgentOf(request),
  };
}

/**
 * SCIM's subject: the SCIM role in the default organization, looked up once (it is made at
 * start and cannot be deleted); looked up again after a failed attempt.
 */
function scimSubjectOf(prisma: PrismaClient): () => Promise<Subject> {
  let subject: Promise<Subject> | undefined;
  return () => {
    if (subject) return subject;
    const loading = defaultOrganizationId(prisma).then((id) => compileSystemSubject(SCIM_ROLE, [id]));
    subject = loading;
    loading.catch(() => {
      if (subject === loading) subject = undefined;
    });
    return loading;
  };
}

/**
 * Serves /scim/v2 before GraphQL sees the request, with the pipeline's defences: the client
 * address as GraphQL reads it (X-Forwarded-For only with TRUST_PROXY) and its rate limits, per
 * address and per credential, checked before the key so guessing keys is limited too.
 */
export function scimPlugin(deps: Deps): Plugin {
  const scimSubject = scimSubjectOf(deps.prisma);
  return {
    async onRequest({ request, url, serverContext, endResponse }) {
      if (url.pathname !== SCIM_BASE && !url.pathname.startsWith(`${SCIM_BASE}/`)) return;
      const key = deps.config.scimApiKey;
      try {
        // Disabled: as if the endpoint did not exist.
        if (!key) throw new ScimError(404, "SCIM is not enabled.");
        const ip = clientIp(request, serverContext, deps.config.trustProxy);
        const decision = await deps.limiter.checkRequest(ip, credentialKey(request.headers));
        if (!decision.allowed) return endResponse(rateLimited(decision.retryAfterSeconds));
        if (!authorized(request, key)) {
          const refused = errorResponse(new ScimError(401, "A valid SCIM bearer key is required."));
          const meta: AuditMeta = {
            actorId: null,
            requestId: requestIdOf(request),
            ip,
            userAgent: userAgentOf(request),
            export: deps.auditExport,
          };
          await recordScimCall(deps, meta, request, url, refused.status);
          return endResponse(refused);
        }
        // The key is the only way to the SCIM actor.
        const ctx = scimContext(deps, request, ip, scimSubject);
        // Loaded before any transaction: on PGlite's single connection, a read through the main
        // client inside one would wait for itself.
        await ctx.viewer.requireSubject();
        const response = await new ScimHandler(deps, request, url, ctx).route();
        await recordScimCall(deps, auditMeta(ctx), request, url, response.status);
        if (request.method !== "GET") await deps.credentials.settle();
        endResponse(response);
      } catch (error) {
        const scimError = scimErrorOf(error);
        if (scimError) return endResponse(errorResponse(scimError));
        deps.log.error("SCIM request failed", { error, requestId: requestIdOf(request) });
        endResponse(errorResponse(new ScimError(500, "Internal error.")));
      }
    },
  };
}
