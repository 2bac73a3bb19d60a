// A client that is gone just as its answer starts: the request's handler must still end (until it
// does it holds the request's objects). Seen under load in `npm run bench`: the answer's bytes
// were left buffered on a destroyed response and the handler waited for 'drain' forever.
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleNodeRequest } from "../../src/node-http.js";
import { createTestApp, type TestApp } from "../support/harness.js";

let app: TestApp;
let server: Server;
let port: number;
const handlers: { settled: boolean }[] = [];

// About 180 KB of introspection: more than a response buffers before asking its writer to wait.
const BIG = `{ ${Array.from({ length: 5 }, (_, i) => `a${i}: __schema { types { name description fields { name description } } }`).join(" ")} }`;

beforeAll(async () => {
  app = await createTestApp();
  server = createServer((req, res) => {
    const handler = { settled: false };
    handlers.push(handler);
    // The client leaves at the moment the answer starts: its socket is destroyed before the body is written.
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => typeof res;
    res.writeHead = ((...args: unknown[]) => {
      req.socket.destroy();
      return writeHead(...args);
    }) as typeof res.writeHead;
    void handleNodeRequest(app.yoga, req, res).finally(() => {
      handler.settled = true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await app?.close();
});

describe("a client gone as its answer starts", () => {
  it("lets the request's handler end", async () => {
    const body = JSON.stringify({ query: BIG });
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await new Promise((resolve) => socket.once("close", resolve));
    const handler = handlers.at(-1);
    for (let i = 0; i < 100 && !handler?.settled; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handler?.settled).toBe(true);
  });
});
