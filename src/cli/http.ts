// A fetch for the CLI's one-shot process on node:http(s): the global fetch loads undici on first
// use (~60 ms of CPU per command, a quarter of a command's cost); this answers what Api and
// DaemonClient read of a Response (ok, status, json) and nothing more.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Fetch } from "./api.js";

export const nodeFetch: Fetch = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(
      target,
      { method: init.method ?? "GET", headers: init.headers as Record<string, string> },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          resolve({ ok: status >= 200 && status < 300, status, json: async () => JSON.parse(text) } as Response);
        });
      },
    );
    // The shape fetch rejects with, which Api turns into UNREACHABLE: cause.code (ECONNREFUSED...).
    request.on("error", (error) => reject(Object.assign(new TypeError("fetch failed"), { cause: error })));
    if (init.signal) init.signal.addEventListener("abort", () => request.destroy(new Error("aborted")), { once: true });
    request.end(typeof init.body === "string" ? init.body : undefined);
  });
