// Serving the app from node:http.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { App } from "./app.js";

/**
 * Hands a request to Yoga; the promise settles when Yoga is done with it. @whatwg-node/server
 * 0.11 waits only for 'drain' after a write that fills the response's buffer, and a response
 * whose client has gone never drains: the handler, and everything the request holds, would wait
 * forever (seen under `npm run bench`: clients gone just as their answer started, its 25 KB left
 * buffered on the destroyed response). A response that closes unfinished therefore emits 'drain'
 * once, which lets the handler end.
 */
export function handleNodeRequest(yoga: App["yoga"], req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.once("close", () => {
    if (!res.writableFinished) res.emit("drain");
  });
  return Promise.resolve(yoga(req, res)).then(() => undefined);
}
