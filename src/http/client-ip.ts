// The client's address, as rate limits, sessions and the audit log record it.

type NodeServerContext = { req?: { socket?: { remoteAddress?: string } } };

/** X-Forwarded-For's first hop behind a trusted proxy, else the socket's peer. */
export function clientIp(request: Request, serverContext: unknown, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  return (serverContext as NodeServerContext)?.req?.socket?.remoteAddress ?? "unknown";
}

/** The User-Agent header, cut to 256 characters; null when absent. */
export function userAgentOf(request: Request): string | null {
  return request.headers.get("user-agent")?.slice(0, 256) || null;
}
