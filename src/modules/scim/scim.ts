// SCIM 2.0 (RFC 7643/7644) user provisioning at /scim/v2, for identity providers that push
// users: ServiceProviderConfig, Users (create, list with filters, get, PATCH/PUT of `active`).
// Authenticated by the shared SCIM_API_KEY; off (404) when it is unset. Every change is audited
// with no actor (SCIM).

import { createHash, timingSafeEqual } from "node:crypto";
import type { Plugin } from "graphql-yoga";
import { type AuditMeta, recordAudit } from "../../audit/audit.js";
import type { Config } from "../../config.js";
import { requestIdOf } from "../../context.js";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma, PrismaClient, User, UserStatus } from "../../generated/prisma/client.js";
import type { Logger } from "../../logger.js";
import { readOrganizationSyncSettings } from "../idp-sync/idp-sync.settings.js";
import { createExternalUser, displayNameFrom, emailFrom, usernameFrom } from "../oidc/oidc-users.js";
import { defaultOrganizationId } from "../organizations/organizations.service.js";
import { isUniqueViolation } from "../shared/validation.js";

type Deps = { prisma: PrismaClient; config: Config; log: Logger };

export const SCIM_BASE = "/scim/v2";
const CONTENT_TYPE = "application/scim+json";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const DEFAULT_COUNT = 100;
const MAX_COUNT = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An answer in SCIM's error format; `scimType` as RFC 7644 section 3.12 names them. */
class ScimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: string,
  ) {
    super(message);
  }
}

function scimResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": CONTENT_TYPE, ...headers } });
}

function errorResponse(error: ScimError): Response {
  return scimResponse(
    error.status,
    {
      schemas: [ERROR_SCHEMA],
      status: String(error.status),
      detail: error.message,
      ...(error.scimType ? { scimType: error.scimType } : {}),
    },
    error.status === 401 ? { "www-authenticate": 'Bearer realm="scim"' } : {},
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

// ---- request bodies

async function readJson(request: Request, max: number): Promise<Record<string, unknown>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > max) throw new ScimError(413, `Request body exceeds ${max} bytes.`);
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await reader?.read();
    if (!next || next.done) break;
    size += next.value.byteLength;
    if (size > max) {
      await reader?.cancel();
      throw new ScimError(413, `Request body exceeds ${max} bytes.`);
    }
    chunks.push(next.value);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("not an object");
    return body as Record<string, unknown>;
  } catch {
    throw new ScimError(400, "The request body must be a JSON object.", "invalidSyntax");
  }
}

/** SCIM clients send booleans, and some (Azure AD) the strings "True"/"False". */
function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return undefined;
}

// ---- representation

function toScimUser(user: User, origin: string) {
  return {
    schemas: [USER_SCHEMA],
    id: user.id,
    userName: user.username,
    ...(user.name ? { name: { formatted: user.name }, displayName: user.name } : {}),
    emails: [{ value: user.email, type: "work", primary: true }],
    active: user.status !== "SUSPENDED",
    meta: {
      resourceType: "User",
      created: user.createdAt.toISOString(),
      lastModified: user.updatedAt.toISOString(),
      location: `${origin}${SCIM_BASE}/Users/${user.id}`,
    },
  };
}

function serviceProviderConfig(origin: string) {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "Bearer token",
        description: "The SCIM_API_KEY of this deployment in the Authorization header.",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${origin}${SCIM_BASE}/ServiceProviderConfig` },
  };
}

// ---- filters

const QUOTED = String.raw`"((?:[^"\\]|\\.)*)"`;
const USERNAME_EQ = new RegExp(String.raw`^userName\s+eq\s+${QUOTED}$`, "i");
const EMAIL_EQ = new RegExp(String.raw`^emails(?:\[type\s+eq\s+${QUOTED}\])?\.value\s+eq\s+${QUOTED}$`, "i");
const ID_EQ = new RegExp(String.raw`^id\s+eq\s+${QUOTED}$`, "i");

const unquote = (raw: string): string => JSON.parse(`"${raw}"`) as string;

/** The supported filters: `userName eq`, `emails.value eq`, `emails[type eq "work"].value eq`, `id eq`. */
function filterWhere(filter: string | null): Prisma.UserWhereInput {
  const text = filter?.trim();
  if (!text) return {};
  try {
    const byName = USERNAME_EQ.exec(text);
    if (byName) return { username: { equals: unquote(byName[1] ?? ""), mode: "insensitive" } };
    const byEmail = EMAIL_EQ.exec(text);
    if (byEmail) {
      // Every user has exactly one email, of type work.
      const type = byEmail[1] === undefined ? "work" : unquote(byEmail[1]).toLowerCase();
      return type === "work" ? { email: unquote(byEmail[2] ?? "").toLowerCase() } : { id: { in: [] } };
    }
    const byId = ID_EQ.exec(text);
    if (byId) {
      const id = unquote(byId[1] ?? "");
      return UUID.test(id) ? { id: id.toLowerCase() } : { id: { in: [] } };
    }
  } catch {
    // A malformed escape in a quoted value: an invalid filter like any other.
  }
  throw new ScimError(
    400,
    'Unsupported filter; use userName eq "x", emails.value eq "x", emails[type eq "work"].value eq "x" or id eq "x".',
    "invalidFilter",
  );
}

function positiveInt(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new ScimError(400, "startIndex and count must be integers.", "invalidValue");
  return Math.min(Math.max(value, min), max);
}

// ---- handlers

class ScimHandler {
  constructor(
    private readonly deps: Deps,
    private readonly request: Request,
    private readonly url: URL,
  ) {}

  private get meta(): AuditMeta {
    const ip = this.request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? null;
    return { actorId: null, requestId: requestIdOf(this.request), ip };
  }

  async route(): Promise<Response> {
    const parts = this.url.pathname.slice(SCIM_BASE.length).split("/").filter(Boolean);
    const method = this.request.method;
    if (parts.length === 1 && parts[0] === "ServiceProviderConfig") {
      if (method !== "GET") throw new ScimError(405, "Method not allowed.");
      return scimResponse(200, serviceProviderConfig(this.url.origin));
    }
    if (parts[0] !== "Users" || parts.length > 2) throw new ScimError(404, "No such SCIM resource.");
    if (parts.length === 1) {
      if (method === "GET") return this.listUsers();
      if (method === "POST") return this.createUser();
      throw new ScimError(405, "Method not allowed.");
    }
    const user = await this.findUser(parts[1] ?? "");
    if (method === "GET") return scimResponse(200, toScimUser(user, this.url.origin));
    if (method === "PATCH") return this.patchUser(user);
    if (method === "PUT") return this.putUser(user);
    throw new ScimError(405, "Method not allowed.");
  }

  private async findUser(id: string): Promise<User> {
    const user = UUID.test(id) ? await this.deps.prisma.user.findUnique({ where: { id: id.toLowerCase() } }) : null;
    if (!user) throw new ScimError(404, "User not found.");
    return user;
  }

  private async listUsers(): Promise<Response> {
    const params = this.url.searchParams;
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
      Resources: users.map((u) => toScimUser(u, this.url.origin)),
    });
  }

  private async createUser(): Promise<Response> {
    const body = await readJson(this.request, this.deps.config.maxBodyBytes);
    const active = booleanOf(body.active);
    if (active === undefined) throw new ScimError(400, "The active attribute is required.", "invalidValue");
    const emails = Array.isArray(body.emails) ? (body.emails as Record<string, unknown>[]) : [];
    const primary = emails.find((e) => e !== null && typeof e === "object" && booleanOf(e.primary) === true);
    const email = emailFrom(primary?.value);
    if (!email) throw new ScimError(400, "A valid primary email is required.", "invalidValue");
    const userName = typeof body.userName === "string" ? body.userName.trim() : "";

    const attempt = () =>
      inTransaction(this.deps.prisma, async (tx) => {
        const existing = await tx.user.findFirst({
          where: {
            OR: [{ email }, ...(userName ? [{ username: { equals: userName, mode: "insensitive" as const } }] : [])],
          },
          orderBy: { createdAt: "asc" },
        });
        if (existing) return { user: await this.applyActive(tx, existing, active), created: false };
        const user = await createExternalUser(tx, {
          email,
          username: usernameFrom(userName, email),
          name: displayNameFrom(nameOf(body)),
          status: active ? "ACTIVE" : "SUSPENDED",
        });
        const settings = await readOrganizationSyncSettings(tx);
        const organizationIds = settings.assignDefault ? [await defaultOrganizationId(tx)] : [];
        if (organizationIds.length > 0) {
          await tx.organizationMember.createMany({
            data: organizationIds.map((organizationId) => ({ organizationId, userId: user.id })),
          });
        }
        await recordAudit(tx, this.meta, {
          action: "CREATE",
          resourceType: "USER",
          resourceId: user.id,
          resourceName: user.username,
          diff: {
            username: user.username,
            email: user.email,
            loginType: "OIDC",
            status: user.status,
            organizationIds,
            reason: "scim",
          },
        });
        return { user, created: true };
      });
    // A concurrent POST of the same user: the retry finds it.
    const { user, created } = await attempt().catch((error: unknown) => {
      if (isUniqueViolation(error)) return attempt();
      throw error;
    });
    const resource = toScimUser(user, this.url.origin);
    return scimResponse(created ? 201 : 200, resource, created ? { location: resource.meta.location } : {});
  }

  private async patchUser(user: User): Promise<Response> {
    const body = await readJson(this.request, this.deps.config.maxBodyBytes);
    if (Array.isArray(body.schemas) && !body.schemas.includes(PATCH_SCHEMA)) {
      throw new ScimError(400, `A PATCH body must use the ${PATCH_SCHEMA} schema.`, "invalidSyntax");
    }
    if (!Array.isArray(body.Operations)) throw new ScimError(400, "Operations must be a list.", "invalidSyntax");
    let active: boolean | undefined;
    for (const operation of body.Operations as Record<string, unknown>[]) {
      const op = typeof operation?.op === "string" ? operation.op.toLowerCase() : "";
      if (op !== "replace" && op !== "add") continue;
      const path = typeof operation.path === "string" ? operation.path.toLowerCase() : "";
      const raw =
        path === "active"
          ? operation.value
          : path === "" && operation.value !== null && typeof operation.value === "object"
            ? (operation.value as Record<string, unknown>).active
            : undefined;
      if (raw === undefined) continue;
      active = booleanOf(raw);
      if (active === undefined) throw new ScimError(400, "active must be true or false.", "invalidValue");
    }
    const updated =
      active === undefined
        ? user
        : await inTransaction(this.deps.prisma, (tx) => this.applyActive(tx, user, active as boolean));
    return scimResponse(200, toScimUser(updated, this.url.origin));
  }

  private async putUser(user: User): Promise<Response> {
    const body = await readJson(this.request, this.deps.config.maxBodyBytes);
    const active = booleanOf(body.active);
    if (active === undefined) throw new ScimError(400, "The active attribute is required.", "invalidValue");
    const updated = await inTransaction(this.deps.prisma, (tx) => this.applyActive(tx, user, active));
    return scimResponse(200, toScimUser(updated, this.url.origin));
  }

  /** active false suspends; active true makes a suspended user dormant until their next login. */
  private async applyActive(tx: Prisma.TransactionClient, user: User, active: boolean): Promise<User> {
    const next: UserStatus = !active ? "SUSPENDED" : user.status === "SUSPENDED" ? "DORMANT" : user.status;
    if (next === user.status) return user;
    const updated = await tx.user.update({ where: { id: user.id }, data: { status: next } });
    await recordAudit(tx, this.meta, {
      action: "UPDATE",
      resourceType: "USER",
      resourceId: user.id,
      resourceName: user.username,
      diff: { status: { from: user.status, to: next }, reason: "scim" },
    });
    return updated;
  }
}

function nameOf(body: Record<string, unknown>): unknown {
  const name = body.name as Record<string, unknown> | undefined;
  if (typeof name?.formatted === "string") return name.formatted;
  const parts = [name?.givenName, name?.familyName].filter((p): p is string => typeof p === "string");
  return parts.length > 0 ? parts.join(" ") : body.displayName;
}

/** Serves /scim/v2 before GraphQL sees the request. */
export function scimPlugin(deps: Deps): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== SCIM_BASE && !url.pathname.startsWith(`${SCIM_BASE}/`)) return;
      const key = deps.config.scimApiKey;
      try {
        // Disabled: as if the endpoint did not exist.
        if (!key) throw new ScimError(404, "SCIM is not enabled.");
        if (!authorized(request, key)) throw new ScimError(401, "A valid SCIM bearer key is required.");
        endResponse(await new ScimHandler(deps, request, url).route());
      } catch (error) {
        if (error instanceof ScimError) return endResponse(errorResponse(error));
        deps.log.error("SCIM request failed", { error, requestId: requestIdOf(request) });
        endResponse(errorResponse(new ScimError(500, "Internal error.")));
      }
    },
  };
}
