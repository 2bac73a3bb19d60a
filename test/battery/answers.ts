// What the batteries check in every answer: no internals, and a code on every error.

/** Internals that must never reach a client. */
export const LEAKS = [
  /\bat \S+ \(/,
  /node_modules/,
  /\/work\//,
  /\.ts:\d+/,
  /\bSELECT\b|\bINSERT\b/,
  /prisma/i,
  /stack/i,
];

/** Error codes of a body: extensions.code of each error and the userErrors of each payload. */
export function codesOf(body: any): string[] {
  const errors = (body?.errors ?? []).map((e: any) => e?.extensions?.code ?? "NO_CODE");
  const payloads = Object.values(body?.data ?? {}) as any[];
  const userErrors = payloads.flatMap((p) => (p && Array.isArray(p.userErrors) ? p.userErrors : []));
  return [...errors, ...userErrors.map((e: any) => e.code)];
}
