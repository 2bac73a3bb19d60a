// Request ids: the client's X-Request-Id when it is sane, else a new one; the same for the whole
// request, so log lines, audit rows and the echoed header agree.
import { randomUUID } from "node:crypto";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

const requestIds = new WeakMap<Request, string>();

/** The client's X-Request-Id when it is sane, else a new one. */
export function acceptRequestId(given: string | null | undefined): string {
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/** The request's id, the same for the whole request. */
export function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (!id) {
    id = acceptRequestId(request.headers.get("x-request-id"));
    requestIds.set(request, id);
  }
  return id;
}
