// The browser session cookie (SESSION_COOKIE=true) and the short-lived OIDC flow cookie: reading
// them from a request, and the Set-Cookie headers a response should carry. Services record what
// to set on the request they answer (pendingCookies); a Yoga plugin writes it on the response.

export const SESSION_COOKIE_NAME = "orgs_session";
export const OIDC_FLOW_COOKIE_NAME = "orgs_oidc_flow";

/** The named cookie of a Cookie header, or null. */
export function readCookie(headers: Headers, name: string): string | null {
  const header = headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) return decodeURIComponent(part.slice(index + 1).trim());
  }
  return null;
}

/** Secure everywhere but plain http on localhost (a developer's machine, where browsers allow it). */
function secureFor(requestUrl: string): boolean {
  const url = new URL(requestUrl);
  return !(url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
}

type CookieOptions = { path?: string; expiresAt?: Date; maxAgeSeconds?: number };

export function setCookieHeader(requestUrl: string, name: string, value: string, options: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path ?? "/"}`, "HttpOnly", "SameSite=Lax"];
  if (secureFor(requestUrl)) parts.push("Secure");
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.expiresAt) parts.push(`Expires=${options.expiresAt.toUTCString()}`);
  return parts.join("; ");
}

export const clearCookieHeader = (requestUrl: string, name: string, path = "/") =>
  setCookieHeader(requestUrl, name, "", { path, maxAgeSeconds: 0 });

const pending = new WeakMap<Request, string[]>();

/** Queues a Set-Cookie header for the response to `request`. */
export function queueCookie(request: Request, header: string): void {
  const list = pending.get(request) ?? [];
  list.push(header);
  pending.set(request, list);
}

/** The Set-Cookie headers queued for the response to `request`. */
export const pendingCookies = (request: Request): readonly string[] => pending.get(request) ?? [];
