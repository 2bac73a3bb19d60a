// updateUser (by the user themself or a user admin who outranks the user; emails by owners only;
// names unique ignoring case) and changePassword
// (ends the user's other sessions).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, login } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, TEST_PASSWORD, type TestApp } from "../../support/harness.js";
import { type OwnerScope, seed } from "../../support/seed.js";

let app: TestApp;
let owner: OwnerScope;
let userAdmin: Actor;
let alice: Actor;
let bob: Actor;

beforeAll(async () => {
  app = await createTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  owner = await seed(app).owner();
  userAdmin = await owner.user("useradmin", { siteRoles: ["user-admin"] });
  alice = await owner.user("alice");
  bob = await owner.user("bob");
});
afterAll(async () => {
  await app?.close();
});

const UPDATE = `mutation($input: UpdateUserInput!) {
  updateUser(input: $input) { user { id name username email } userErrors { code field } }
}`;
const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { id } userErrors { code field } } }`;
const VIEWER = "{ viewer { id } }";

describe("updateUser", () => {
  it("lets a user change their own name and username, audited with the changes", async () => {
    const result = await app.gql(
      UPDATE,
      { input: { userId: alice.id, name: "Alice A", username: "alice2" } },
      {
        token: alice.token,
      },
    );
    expect(result.data?.updateUser).toEqual({
      user: { id: alice.id, name: "Alice A", username: "alice2", email: "alice@example.com" },
      userErrors: [],
    });
    const audit = await app.prisma.auditLog.findFirst({ where: { resourceId: uuidOf(alice.id), action: "UPDATE" } });
    expect(audit?.diff).toEqual({ name: { from: "", to: "Alice A" }, username: { from: "alice", to: "alice2" } });
  });

  it("lets only a site owner change an email; members are FORBIDDEN on others", async () => {
    // OIDC and SCIM link accounts by email: an address set by anyone else could route another
    // person's identity into the account (a user admin into a template admin's, a member into its own).
    const byAdmin = await app.gql(
      UPDATE,
      { input: { userId: bob.id, email: "x@idp.example" } },
      { token: userAdmin.token },
    );
    expect(byAdmin.data?.updateUser.userErrors).toEqual([{ code: "PERMISSION_ESCALATION", field: ["input", "email"] }]);
    const bySelf = await app.gql(
      UPDATE,
      { input: { userId: bob.id, email: "hire@corp.example" } },
      { token: bob.token },
    );
    expect(bySelf.data?.updateUser.userErrors).toEqual([{ code: "PERMISSION_ESCALATION", field: ["input", "email"] }]);
    const byOwner = await app.gql(
      UPDATE,
      { input: { userId: bob.id, email: "Bob2@Example.com" } },
      { token: owner.token },
    );
    expect(byOwner.data?.updateUser.user.email).toBe("bob2@example.com");
    const byMember = await app.gql(UPDATE, { input: { userId: bob.id, name: "x" } }, { token: alice.token });
    expect(errorCodes(byMember)).toEqual(["FORBIDDEN"]);
    expect((await app.prisma.user.findUnique({ where: { id: uuidOf(bob.id) } }))?.name).toBe("");
  });

  it("refuses a user admin any change to a user holding site roles it cannot assign", async () => {
    const templateAdmin = await owner.user("tmpl-admin", { siteRoles: ["template-admin"] });
    const rename = await app.gql(
      UPDATE,
      { input: { userId: templateAdmin.id, username: "renamed" } },
      { token: userAdmin.token },
    );
    expect(rename.data?.updateUser.userErrors).toEqual([{ code: "PERMISSION_ESCALATION", field: ["input", "userId"] }]);
    const renameOwner = await app.gql(UPDATE, { input: { userId: owner.id, name: "x" } }, { token: userAdmin.token });
    expect(renameOwner.data?.updateUser.userErrors).toEqual([
      { code: "PERMISSION_ESCALATION", field: ["input", "userId"] },
    ]);
    expect((await app.prisma.user.findUnique({ where: { id: uuidOf(templateAdmin.id) } }))?.username).toBe(
      "tmpl-admin",
    );
  });

  it("refuses a taken username or email in any case, and an invalid one, writing nothing", async () => {
    const taken = await app.gql(UPDATE, { input: { userId: bob.id, username: "ALICE2" } }, { token: bob.token });
    expect(taken.data?.updateUser.userErrors).toEqual([{ code: "NAME_TAKEN", field: ["input", "username"] }]);
    const email = await app.gql(
      UPDATE,
      { input: { userId: bob.id, email: "OWNER@example.com" } },
      { token: owner.token },
    );
    expect(email.data?.updateUser.userErrors).toEqual([{ code: "EMAIL_TAKEN", field: ["input", "email"] }]);
    const bad = await app.gql(UPDATE, { input: { userId: bob.id, username: "bad name" } }, { token: bob.token });
    expect(bad.data?.updateUser.userErrors[0]).toMatchObject({ code: "INVALID_INPUT", field: ["input", "username"] });
    expect((await app.prisma.user.findUnique({ where: { id: uuidOf(bob.id) } }))?.username).toBe("bob");
  });
});

describe("changePassword", () => {
  it("refuses a wrong current password and a weak new one", async () => {
    const wrong = await app.gql(
      CHANGE_PASSWORD,
      { input: { oldPassword: "nope-nope-nope", newPassword: "A-new-pass-123" } },
      {
        token: bob.token,
      },
    );
    expect(wrong.data?.changePassword.userErrors).toEqual([
      { code: "INVALID_CREDENTIALS", field: ["input", "oldPassword"] },
    ]);
    const weak = await app.gql(
      CHANGE_PASSWORD,
      { input: { oldPassword: TEST_PASSWORD, newPassword: "short" } },
      {
        token: bob.token,
      },
    );
    expect(weak.data?.changePassword.userErrors).toEqual([{ code: "INVALID_INPUT", field: ["input", "newPassword"] }]);
  });

  it("changes the password and ends the user's other sessions, keeping the current one", async () => {
    const other = await login(app, "bob2@example.com");
    const current = await login(app, "bob2@example.com");
    const result = await app.gql(
      CHANGE_PASSWORD,
      { input: { oldPassword: TEST_PASSWORD, newPassword: "A-new-pass-123" } },
      {
        token: current,
      },
    );
    expect(result.data?.changePassword.userErrors).toEqual([]);
    expect(errorCodes(await app.gql(VIEWER, {}, { token: other }))).toEqual(["UNAUTHENTICATED"]);
    expect((await app.gql(VIEWER, {}, { token: current })).data?.viewer.id).toBe(bob.id);
    expect(await login(app, "bob2@example.com", "A-new-pass-123")).toEqual(expect.any(String));
  });
});
