// The real server process (src/server.ts) plus a memory probe for the soak: every
// SOAK_MEMORY_INTERVAL_MS it collects garbage (node --expose-gc) and sends heap and RSS to the
// parent over the IPC channel, so the figures are the server's own, not the load generator's.
const intervalMs = Number(process.env.SOAK_MEMORY_INTERVAL_MS ?? 5000);

setInterval(() => {
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  process.send?.({ heapUsed, rss });
}, intervalMs).unref();

await import("../../src/server.js");
