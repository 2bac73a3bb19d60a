// A GraphQL-over-SSE subscriber for tests: POSTs a subscription with Accept: text/event-stream
// through any fetch (yoga.fetch or a real socket) and hands out its events one at a time.
export type SseEvent =
  | { kind: "next"; data: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, any> }[] }
  | { kind: "complete" };

export type Subscriber = {
  status: number;
  /** The next event; rejects when none arrives within timeoutMs. */
  next(timeoutMs?: number): Promise<SseEvent>;
  close(): Promise<void>;
};

type Fetch = (url: string, init: RequestInit) => Promise<Response> | Response;

export async function subscribe(
  fetch: Fetch,
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
): Promise<Subscriber> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = response.body;
  if (!body) throw new Error("no body");
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const queue: SseEvent[] = [];
  let buffer = "";
  let ended = false;

  function parseBlocks() {
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      const lines = block.split("\n").filter((line) => !line.startsWith(":"));
      const event = lines
        .find((l) => l.startsWith("event:"))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trim())
        .join("\n");
      if (event === "complete") queue.push({ kind: "complete" });
      else if (data) queue.push({ kind: "next", ...JSON.parse(data) });
    }
  }

  async function next(timeoutMs = 5000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    while (queue.length === 0) {
      if (ended) return { kind: "complete" };
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error("no event within the timeout");
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), remaining);
      });
      pending ??= reader.read();
      const read = await Promise.race([pending, timeout]);
      clearTimeout(timer);
      if (read === "timeout") throw new Error("no event within the timeout");
      pending = undefined;
      if (read.done) ended = true;
      else {
        buffer += decoder.decode(read.value, { stream: true });
        parseBlocks();
      }
    }
    return queue.shift() as SseEvent;
  }
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;

  return {
    status: response.status,
    next,
    close: async () => {
      await reader.cancel().catch(() => {});
    },
  };
}
