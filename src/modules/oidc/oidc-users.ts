// Users that an identity provider brings (OIDC login, SCIM): their usernames come from claims
// that follow no rules, so they are made to fit ours and de-duplicated.
import type { Prisma, User, UserStatus } from "../../generated/prisma/client.js";
import { checkEmail, checkText, checkUsername, USERNAME_MAX } from "../shared/validation.js";

type Tx = Prisma.TransactionClient;

const FALLBACK_USERNAME = "user";
// Leaves room for a "-NNNN" de-duplication suffix.
const BASE_MAX = USERNAME_MAX - 5;

/** A username following the name rules, from a claim, else the email's local part, else "user". */
export function usernameFrom(raw: unknown, email: string): string {
  const candidates = [typeof raw === "string" ? raw : "", email.split("@")[0] ?? ""].map(sanitizeUsername);
  return candidates.find((name) => name !== "" && !checkUsername(name, [])) ?? FALLBACK_USERNAME;
}

function sanitizeUsername(source: string): string {
  return source
    .normalize("NFKD")
    .replaceAll(/[^a-zA-Z0-9]+/g, "-")
    .replaceAll(/^-+|-+$/g, "")
    .slice(0, BASE_MAX)
    .replace(/-+$/, "");
}

/** `base`, or `base-2`, `base-3`, ... : the first one nobody has (usernames compare case-insensitively). */
export async function uniqueUsername(tx: Tx, base: string): Promise<string> {
  const taken = await tx.user.findMany({
    where: { username: { startsWith: base, mode: "insensitive" } },
    select: { username: true },
  });
  const names = new Set(taken.map((u) => u.username.toLowerCase()));
  if (!names.has(base.toLowerCase())) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!names.has(candidate.toLowerCase())) return candidate;
  }
}

/** A display name from a claim, or empty when it is unusable. */
export function displayNameFrom(raw: unknown): string {
  if (typeof raw !== "string") return "";
  const name = raw.trim().slice(0, 128);
  return checkText(name, [], 128, "Name") ? "" : name;
}

/** The lower-cased email, or null when it is not a valid address. */
export function emailFrom(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const email = raw.trim().toLowerCase();
  return checkEmail(email, []) ? null : email;
}

export async function createExternalUser(
  tx: Tx,
  input: { email: string; username: string; name: string; oidcSubject?: string | null; status?: UserStatus },
): Promise<User> {
  return tx.user.create({
    data: {
      email: input.email,
      username: await uniqueUsername(tx, input.username),
      name: input.name,
      loginType: "OIDC",
      status: input.status ?? "ACTIVE",
      oidcSubject: input.oidcSubject ?? null,
      siteRoles: [],
    },
  });
}
