// Suspending, reactivating and deleting users by hand: who may, what takes effect at once, and the
// refusals (oneself, the last active owner, a user who still owns workspaces).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { type OwnerScope, seed } from "../../support/seed.js";
import { createTemplate, createWorkspace } from "../../support/workloads.js";

let app: TestApp;
let owner: OwnerScope;
let userAdmin: Actor;
let member: Actor;

beforeAll(async () => {
  app = await createTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  owner = await seed(app).owner();
  userAdmin = await owner.user("useradmin", { siteRoles: ["user-admin"] });
  member = await owner.user("member");
});
afterAll(async () => {
  await app?.close();
});

const SUSPEND = `mutation($input: UserIdInput!) { suspendUser(input: $input) { user { id status } userErrors { code field } } }`;
const ACTIVATE = `mutation($input: UserIdInput!) { activateUser(input: $input) { user { id status } userErrors { code } } }`;
const DELETE = `mutation($input: UserIdInput!) { deleteUser(input: $input) { deletedId userErrors { code } } }`;
const VIEWER = "{ viewer { id } }";

describe("suspendUser and activateUser", () => {
  it("ends the user's sessions and API tokens at once, and activation restores them; both audited", async () => {
    const target = await owner.user("suspended-one");
    const apiToken = await target.apiToken("cli");
    const suspended = await app.gql(SUSPEND, { input: { userId: target.id } }, { token: userAdmin.token });
    expect(suspended.data?.suspendUser).toEqual({ user: { id: target.id, status: "SUSPENDED" }, userErrors: [] });
    for (const token of [target.token, apiToken]) {
      expect(errorCodes(await app.gql(VIEWER, {}, { token }))).toEqual(["UNAUTHENTICATED"]);
    }
    const activated = await app.gql(ACTIVATE, { input: { userId: target.id } }, { token: owner.token });
    expect(activated.data?.activateUser.user.status).toBe("ACTIVE");
    expect((await app.gql(VIEWER, {}, { token: apiToken })).data?.viewer.id).toBe(target.id);
    const audits = await app.prisma.auditLog.findMany({
      where: { resourceId: uuidOf(target.id), action: "UPDATE" },
      orderBy: { time: "asc" },
    });
    expect(audits.map((a) => (a.diff as { status: unknown }).status)).toEqual([
      { from: "ACTIVE", to: "SUSPENDED" },
      { from: "SUSPENDED", to: "ACTIVE" },
    ]);
  });

  it("refuses members with FORBIDDEN and writes nothing", async () => {
    const result = await app.gql(SUSPEND, { input: { userId: userAdmin.id } }, { token: member.token });
    expect(errorCodes(result)).toEqual(["FORBIDDEN"]);
    expect((await app.gql(VIEWER, {}, { token: userAdmin.token })).data?.viewer.id).toBe(userAdmin.id);
  });

  it("refuses suspending oneself", async () => {
    const result = await app.gql(SUSPEND, { input: { userId: userAdmin.id } }, { token: userAdmin.token });
    expect(result.data?.suspendUser.userErrors).toEqual([{ code: "CANNOT_SUSPEND_SELF", field: ["input", "userId"] }]);
  });

  it("refuses a user admin an owner; an owner suspends another owner while one stays active", async () => {
    // A user admin cannot assign `owner`, so it may not act on one (the last one included).
    const byUserAdmin = await app.gql(SUSPEND, { input: { userId: owner.id } }, { token: userAdmin.token });
    expect(byUserAdmin.data?.suspendUser.userErrors).toEqual([
      { code: "PERMISSION_ESCALATION", field: ["input", "userId"] },
    ]);
    const second = await owner.user("second-owner", { siteRoles: ["owner"] });
    const ok = await app.gql(SUSPEND, { input: { userId: owner.id } }, { token: second.token });
    expect(ok.data?.suspendUser.userErrors).toEqual([]);
    // Now `second` is the last active owner.
    const refused = await app.gql(SUSPEND, { input: { userId: second.id } }, { token: userAdmin.token });
    expect(refused.data?.suspendUser.userErrors[0].code).toBe("PERMISSION_ESCALATION");
    const restored = await app.gql(ACTIVATE, { input: { userId: owner.id } }, { token: second.token });
    expect(restored.data?.activateUser.userErrors).toEqual([]);
  });
});

describe("deleteUser", () => {
  it("refuses with USER_HAS_WORKSPACES while the user owns a workspace, then deletes once it is deleted", async () => {
    const target = await owner.user("has-workspace");
    const orgs = await app.gql("{ viewer { organizations { id isDefault } } }", {}, { token: owner.token });
    const organizationId = orgs.data?.viewer.organizations.find((o: { isDefault: boolean }) => o.isDefault).id;
    const templateId = await createTemplate(app, owner.token, { organizationId, name: "for-delete" });
    const workspace = await createWorkspace(app, owner.token, { templateId, name: "ws", ownerId: target.id });
    expect(workspace.payload?.userErrors).toEqual([]);
    const refused = await app.gql(DELETE, { input: { userId: target.id } }, { token: userAdmin.token });
    expect(refused.data?.deleteUser.userErrors).toEqual([{ code: "USER_HAS_WORKSPACES" }]);
    await app.prisma.workspace.updateMany({ where: { ownerId: uuidOf(target.id) }, data: { deleted: true } });
    const deleted = await app.gql(DELETE, { input: { userId: target.id } }, { token: userAdmin.token });
    expect(deleted.data?.deleteUser).toEqual({ deletedId: target.id, userErrors: [] });
    expect(errorCodes(await app.gql(VIEWER, {}, { token: target.token }))).toEqual(["UNAUTHENTICATED"]);
    expect(await app.prisma.auditLog.count({ where: { resourceId: uuidOf(target.id), action: "DELETE" } })).toBe(1);
  });

  it("refuses deleting oneself, and an owner to a user admin; members are FORBIDDEN", async () => {
    const self = await app.gql(DELETE, { input: { userId: userAdmin.id } }, { token: userAdmin.token });
    expect(self.data?.deleteUser.userErrors).toEqual([{ code: "CANNOT_DELETE_SELF" }]);
    await app.prisma.user.updateMany({ where: { username: "second-owner" }, data: { status: "SUSPENDED" } });
    const last = await app.gql(DELETE, { input: { userId: owner.id } }, { token: userAdmin.token });
    expect(last.data?.deleteUser.userErrors).toEqual([{ code: "PERMISSION_ESCALATION" }]);
    const byMember = await app.gql(DELETE, { input: { userId: userAdmin.id } }, { token: member.token });
    expect(errorCodes(byMember)).toEqual(["FORBIDDEN"]);
  });
});
