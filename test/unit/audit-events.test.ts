// The audit registry (src/audit/events.ts) at the type level: recordAudit refuses an unregistered
// (resourceType, action) pair, a diff of another shape and a missing diff. `npm run typecheck`
// fails when one of the expected errors below stops being one.
import { describe, expect, it } from "vitest";
import { type AuditMeta, recordAudit } from "../../src/audit/audit.js";
import type { Prisma } from "../../src/generated/prisma/client.js";

/** Never called: only compiled. */
function refusedEvents(tx: Prisma.TransactionClient, meta: AuditMeta) {
  // @ts-expect-error: a workspace is never registered
  void recordAudit(tx, meta, { resourceType: "WORKSPACE", action: "REGISTER", diff: {} });
  // @ts-expect-error: LOGOUT is recorded on sessions and API keys, not users
  void recordAudit(tx, meta, { resourceType: "USER", action: "LOGOUT" });
  // @ts-expect-error: a deleted organization's diff is { name }
  void recordAudit(tx, meta, { resourceType: "ORGANIZATION", action: "DELETE", diff: { id: "x" } });
  // @ts-expect-error: a workspace build's diff is required
  void recordAudit(tx, meta, { resourceType: "WORKSPACE", action: "START" });
  // @ts-expect-error: an unknown resource type
  void recordAudit(tx, meta, { resourceType: "SECRET", action: "CREATE", diff: {} });
  // Registered pairs pass, with their diff or none.
  void recordAudit(tx, meta, { resourceType: "SESSION", action: "LOGOUT" });
  void recordAudit(tx, meta, { resourceType: "ORGANIZATION", action: "DELETE", diff: { name: "acme" } });
}

describe("audit events", () => {
  it("are checked by the compiler (see the expected errors above)", () => {
    expect(typeof refusedEvents).toBe("function");
  });
});
