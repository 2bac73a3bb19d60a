// updateTemplate: template admins change name, display name, description, icon and Everyone
// access; name rules and uniqueness; everyone else is refused and nothing changes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";

const UPDATE = `mutation($input: UpdateTemplateInput!) {
  updateTemplate(input: $input) {
    template { id name displayName description icon acl { groups { groupId role } } }
    userErrors { code message field }
  }
}`;

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let tmplAdmin: Actor;
let alice: Actor;
let gina: Actor;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  const globex = await owner.org("globex");
  tmplAdmin = await acme.member("tmpl-admin", ["organization-template-admin"]);
  alice = await acme.member("alice");
  gina = await globex.member("gina");
});
afterAll(async () => {
  await app?.close();
});

const update = (token: string, input: Record<string, unknown>) => app.gql(UPDATE, { input }, { token });

describe("updateTemplate", () => {
  it("changes the fields given, removes Everyone's access when asked, and audits the changes", async () => {
    const templateId = await acme.template("docker");
    const result = await update(tmplAdmin.token, {
      templateId,
      name: "docker-2",
      displayName: "Docker",
      description: "Containers",
      icon: "https://example.com/docker.svg",
      disableEveryoneGroupAccess: true,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.updateTemplate.userErrors).toEqual([]);
    expect(result.data?.updateTemplate.template).toMatchObject({
      name: "docker-2",
      displayName: "Docker",
      description: "Containers",
      icon: "https://example.com/docker.svg",
      acl: { groups: [] },
    });
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { resourceType: "TEMPLATE", action: "UPDATE", resourceId: uuidOf(templateId) },
    });
    expect(audit.diff).toMatchObject({
      name: { from: "docker", to: "docker-2" },
      displayName: { from: "", to: "Docker" },
      everyoneGroupAccess: { from: true, to: false },
    });
    // Left-out fields stay; the old name is free again.
    const partial = await update(tmplAdmin.token, { templateId, description: "Still containers" });
    expect(partial.data?.updateTemplate.template).toMatchObject({ name: "docker-2", displayName: "Docker" });
    await acme.template("docker");
  });

  it("refuses a malformed or taken name (any case) with userErrors and changes nothing", async () => {
    const templateId = await acme.template("alpha");
    await acme.template("beta");
    const bad = await update(owner.token, { templateId, name: "not a name" });
    expect(bad.data?.updateTemplate.userErrors[0]).toMatchObject({ code: "INVALID_INPUT", field: ["input", "name"] });
    const taken = await update(owner.token, { templateId, name: "BETA" });
    expect(taken.data?.updateTemplate.userErrors[0]?.code).toBe("NAME_TAKEN");
    const stored = await app.prisma.template.findUniqueOrThrow({ where: { id: uuidOf(templateId) } });
    expect(stored.name).toBe("alpha");
  });

  it("is FORBIDDEN for a member who may only use the template, NOT_FOUND for another organization's user", async () => {
    const templateId = await acme.template("gamma");
    expect(errorCodes(await update(alice.token, { templateId, displayName: "Mine" }))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await update(gina.token, { templateId, displayName: "Mine" }))).toEqual(["NOT_FOUND"]);
    const stored = await app.prisma.template.findUniqueOrThrow({ where: { id: uuidOf(templateId) } });
    expect(stored.displayName).toBe("");
    expect(await app.prisma.auditLog.count({ where: { resourceId: uuidOf(templateId), action: "UPDATE" } })).toBe(0);
  });
});
