// Random bearer secrets (API tokens, provisioner keys): an id part to find the row and a
// secret part whose SHA-256 is stored and compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Hex SHA-256, the form secrets are stored in. */
export const sha256 = (value: string): string => createHash("sha256").update(value).digest("hex");

export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const hash = Buffer.from(sha256(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return hash.length === stored.length && timingSafeEqual(hash, stored);
}

const UUID_HEX = /^[0-9a-f]{32}$/;

/** `<prefix><uuid without dashes>_<secret>` */
export function formatBearer(prefix: string, id: string, secret: string): string {
  return `${prefix}${id.replaceAll("-", "")}_${secret}`;
}

export function parseBearer(prefix: string, token: string): { id: string; secret: string } | null {
  if (!token.startsWith(prefix)) return null;
  const rest = token.slice(prefix.length);
  const cut = rest.indexOf("_");
  const hex = rest.slice(0, cut);
  const secret = rest.slice(cut + 1);
  if (cut < 0 || !UUID_HEX.test(hex) || secret.length < 20 || secret.length > 100) return null;
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { id, secret };
}
