// What SCIM clients send, read into the user attributes we keep. Okta and Entra differ: `op` in
// any case, PATCH paths or path-less value objects (whose keys may themselves be paths such as
// "name.givenName"), `emails[type eq "work"].value`, and `active` as the string "False".

import { GraphQLError } from "graphql";
import { inTransaction } from "../../db/transaction.js";
import type { Prisma, PrismaClient } from "../../generated/prisma/client.js";
import { UserErrors } from "../../graphql/errors.js";
import { bodyTooLargeMessage, readBodyWithin } from "../../http/body-limit.js";
import { emailFrom } from "../oidc/oidc-users.js";
import { checkText, isUniqueViolation } from "../shared/validation.js";

/** An answer in SCIM's error format; `scimType` as RFC 7644 section 3.12 names them. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: string,
  ) {
    super(message);
  }
}

/** The HTTP status of a service's typed error, by its GraphQL code. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404 };

/**
 * A service's error as SCIM answers it (the services speak GraphQL's errors; only this edge
 * speaks SCIM's): user errors are 400 invalidValue (a taken name 409 uniqueness), typed errors
 * their status. Null for anything else: a fault, answered 500.
 */
export function scimErrorOf(error: unknown): ScimError | null {
  if (error instanceof ScimError) return error;
  if (error instanceof UserErrors) {
    return error.errors.some((e) => e.code === "NAME_TAKEN")
      ? new ScimError(409, error.message, "uniqueness")
      : new ScimError(400, error.message, "invalidValue");
  }
  const status = error instanceof GraphQLError ? STATUS_OF_CODE[String(error.extensions.code)] : undefined;
  return status === undefined ? null : new ScimError(status, (error as GraphQLError).message);
}

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** The attributes SCIM may set; `null` clears an optional one. */
export type ScimChanges = {
  userName?: string;
  externalId?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  formatted?: string | null;
  displayName?: string | null;
  email?: string;
  active?: boolean;
};

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

export async function readJson(request: Request, max: number): Promise<Json> {
  const declared = request.headers.get("content-length");
  const bytes = declared !== null && Number(declared) > max ? null : await readBodyWithin(request.body, max);
  if (bytes === null) throw new ScimError(413, bodyTooLargeMessage(max));
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new ScimError(400, "The request body must be a JSON object.", "invalidSyntax");
  }
  if (!isObject(body)) throw new ScimError(400, "The request body must be a JSON object.", "invalidSyntax");
  rejectNul(body);
  return body;
}

/** PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database. */
export function rejectNul(value: unknown): void {
  if (typeof value === "string") {
    if (value.includes("\u0000")) throw new ScimError(400, "Values must not contain NUL characters.", "invalidValue");
  } else if (Array.isArray(value)) {
    for (const item of value) rejectNul(item);
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      rejectNul(key);
      rejectNul(item);
    }
  }
}

/** SCIM clients send booleans, and some (Entra) the strings "True"/"False". */
function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return undefined;
}

function activeOf(value: unknown): boolean {
  const active = booleanOf(value);
  if (active === undefined) throw new ScimError(400, "active must be true or false.", "invalidValue");
  return active;
}

function textOf(value: unknown, label: string, max: number, { required = false } = {}): string | null {
  if (value === null || value === undefined || value === "") {
    if (required) throw new ScimError(400, `${label} is required.`, "invalidValue");
    return null;
  }
  if (typeof value !== "string") throw new ScimError(400, `${label} must be a string.`, "invalidValue");
  const text = value.trim();
  if (required && text === "") throw new ScimError(400, `${label} is required.`, "invalidValue");
  const problem = checkText(text, [], max, label);
  if (problem) throw new ScimError(400, problem.message, "invalidValue");
  return text === "" ? null : text;
}

function emailOf(value: unknown): string {
  const email = emailFrom(value);
  if (!email) throw new ScimError(400, "A valid email address is required.", "invalidValue");
  return email;
}

/** The primary email of an `emails` list (else the work one, else the first, unless `primaryOnly`). */
function emailOfList(value: unknown, primaryOnly: boolean): string {
  const emails = (Array.isArray(value) ? value : []).filter(isObject);
  const chosen =
    emails.find((e) => booleanOf(e.primary) === true) ??
    (primaryOnly ? undefined : (emails.find((e) => e.type === "work") ?? emails[0]));
  if (!chosen) throw new ScimError(400, "A valid primary email is required.", "invalidValue");
  return emailOf(chosen.value);
}

const MAX_IDENTIFIER = 256;
const MAX_NAME = 128;

function nameParts(name: Json, into: ScimChanges): void {
  if ("givenName" in name) into.givenName = textOf(name.givenName, "name.givenName", MAX_NAME);
  if ("familyName" in name) into.familyName = textOf(name.familyName, "name.familyName", MAX_NAME);
  if ("formatted" in name) into.formatted = textOf(name.formatted, "name.formatted", MAX_NAME);
}

/** A full user (POST, PUT): `userName`, `active` and a primary email are required. */
export function userFromBody(body: Json): ScimChanges & { userName: string; email: string; active: boolean } {
  if (body.active === undefined) throw new ScimError(400, "The active attribute is required.", "invalidValue");
  const user = {
    active: activeOf(body.active),
    email: emailOfList(body.emails, true),
    userName: textOf(body.userName, "userName", MAX_IDENTIFIER, { required: true }) as string,
  };
  const changes: ScimChanges = { ...user };
  if ("externalId" in body) changes.externalId = textOf(body.externalId, "externalId", MAX_IDENTIFIER);
  if ("displayName" in body) changes.displayName = textOf(body.displayName, "displayName", MAX_NAME);
  if (isObject(body.name)) nameParts(body.name, changes);
  return { ...changes, ...user };
}

const CORE_PREFIX = `${USER_SCHEMA.toLowerCase()}:`;
const EMAIL_VALUE_PATH = /^emails\[(type|primary)\s+eq\s+("?)([^"\]]*)\2\]\.value$/;

/** Applies one attribute at `path` (lower-cased, without the schema prefix); unknown attributes are ignored. */
function setPath(path: string, value: unknown, into: ScimChanges): void {
  switch (path) {
    case "active":
      into.active = activeOf(value);
      return;
    case "username":
      into.userName = textOf(value, "userName", MAX_IDENTIFIER, { required: true }) as string;
      return;
    case "externalid":
      into.externalId = textOf(value, "externalId", MAX_IDENTIFIER);
      return;
    case "displayname":
      into.displayName = textOf(value, "displayName", MAX_NAME);
      return;
    case "name":
      if (!isObject(value)) throw new ScimError(400, "name must be an object.", "invalidValue");
      nameParts(value, into);
      return;
    case "name.givenname":
    case "name.familyname":
    case "name.formatted": {
      const part = { "name.givenname": "givenName", "name.familyname": "familyName", "name.formatted": "formatted" }[
        path
      ];
      nameParts({ [part]: value }, into);
      return;
    }
    case "emails":
      into.email = emailOfList(Array.isArray(value) ? value : [value], false);
      return;
  }
  const emailValue = EMAIL_VALUE_PATH.exec(path);
  // We keep one email: the work or primary one. Other types (home...) are ignored.
  if (emailValue && (emailValue[1] === "primary" ? emailValue[3] === "true" : emailValue[3] === "work")) {
    into.email = emailOf(value);
  }
}

function removePath(path: string, into: ScimChanges): void {
  if (["active", "username", "emails"].includes(path) || path.startsWith("emails[")) {
    throw new ScimError(400, `${path} is required and cannot be removed.`, "mutability");
  }
  if (path === "name") {
    into.givenName = into.familyName = into.formatted = null;
    return;
  }
  setPath(path, null, into);
}

const normalizedPath = (path: string): string => {
  const lower = path.trim().toLowerCase();
  return lower.startsWith(CORE_PREFIX) ? lower.slice(CORE_PREFIX.length) : lower;
};

/** RFC 7644 section 3.5.2: `add` and `replace` set, `remove` clears; later operations win. */
export function changesFromPatch(body: Json): ScimChanges {
  if (Array.isArray(body.schemas) && !body.schemas.includes(PATCH_SCHEMA)) {
    throw new ScimError(400, `A PATCH body must use the ${PATCH_SCHEMA} schema.`, "invalidSyntax");
  }
  if (!Array.isArray(body.Operations)) throw new ScimError(400, "Operations must be a list.", "invalidSyntax");
  const changes: ScimChanges = {};
  for (const operation of body.Operations) {
    if (!isObject(operation)) throw new ScimError(400, "Each operation must be an object.", "invalidSyntax");
    const op = typeof operation.op === "string" ? operation.op.toLowerCase() : "";
    const path = typeof operation.path === "string" ? normalizedPath(operation.path) : "";
    if (op === "remove") {
      if (!path) throw new ScimError(400, "remove needs a path.", "noTarget");
      removePath(path, changes);
    } else if (op === "add" || op === "replace") {
      if (path) setPath(path, operation.value, changes);
      else if (isObject(operation.value)) {
        for (const [key, value] of Object.entries(operation.value)) setPath(normalizedPath(key), value, changes);
      } else throw new ScimError(400, "An operation without a path needs an object value.", "invalidValue");
    } else throw new ScimError(400, 'op must be "add", "replace" or "remove".', "invalidSyntax");
  }
  return changes;
}

/** Runs `work` in one transaction; a unique index hit by a concurrent write is retried once, then 409. */
export async function writeRetryingUnique<T>(
  prisma: PrismaClient,
  work: (tx: Prisma.TransactionClient) => Promise<T>,
  conflict: string,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(prisma, work);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (attempt > 1) throw new ScimError(409, conflict, "uniqueness");
    }
  }
}
