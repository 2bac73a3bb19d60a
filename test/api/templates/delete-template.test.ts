// deleteTemplate: refused while workspaces use the template; cancels its pending jobs; frees the
// name; lets the organization be deleted once nothing else remains; template admins only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../support/actors.js";
import { uuidOf } from "../../support/fixtures.js";
import { createTestApp, errorCodes, type TestApp } from "../../support/harness.js";
import { finishLatestBuild, importJobOf } from "../../support/jobs.js";
import { type OrgScope, type OwnerScope, seed } from "../../support/seed.js";
import { createWorkspace, transition } from "../../support/workloads.js";

const DELETE = `mutation($input: DeleteTemplateInput!) {
  deleteTemplate(input: $input) { deletedId userErrors { code message field } }
}`;
const DELETE_ORG = `mutation($input: DeleteOrganizationInput!) {
  deleteOrganization(input: $input) { deletedId userErrors { code message } }
}`;

let app: TestApp;
let owner: OwnerScope;
let acme: OrgScope;
let alice: Actor;
let gina: Actor;

beforeAll(async () => {
  app = await createTestApp();
  owner = await seed(app).owner();
  acme = await owner.org("acme");
  const globex = await owner.org("globex");
  alice = await acme.member("alice");
  gina = await globex.member("gina");
});
afterAll(async () => {
  await app?.close();
});

const remove = (token: string, templateId: string) => app.gql(DELETE, { input: { templateId } }, { token });

describe("deleteTemplate", () => {
  it("is refused with TEMPLATE_IN_USE while a workspace uses it (being deleted too), then deletes it, canceling its pending import", async () => {
    const templateId = await acme.template("docker");
    const created = await createWorkspace(app, alice.token, { templateId, name: "dev" });
    const workspaceId = created.payload?.workspace.id as string;
    const refused = await remove(owner.token, templateId);
    expect(refused.data?.deleteTemplate.userErrors).toEqual([
      expect.objectContaining({ code: "TEMPLATE_IN_USE", field: ["input", "templateId"] }),
    ]);
    expect(await app.prisma.template.count({ where: { id: uuidOf(templateId) } })).toBe(1);

    await finishLatestBuild(app, workspaceId);
    expect((await transition(app, alice.token, workspaceId, "DELETE")).payload?.userErrors).toEqual([]);
    // As Coder: a workspace whose DELETE build has not succeeded still uses the template.
    expect((await remove(owner.token, templateId)).data?.deleteTemplate.userErrors[0].code).toBe("TEMPLATE_IN_USE");
    await finishLatestBuild(app, workspaceId);
    const pendingImport = await app.gql(
      `mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { templateVersion { job { id } } } }`,
      { input: { templateId } },
      { token: owner.token },
    );
    const importJobId = uuidOf(pendingImport.data?.createTemplateVersion.templateVersion.job.id);
    const result = await remove(owner.token, templateId);
    expect(result.errors).toBeUndefined();
    expect(result.data?.deleteTemplate).toEqual({ deletedId: templateId, userErrors: [] });
    const job = await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: importJobId } });
    expect(job.status).toBe("CANCELED");
    expect(await app.prisma.workspace.count({ where: { id: uuidOf(workspaceId) } })).toBe(0);
    const audit = await app.prisma.auditLog.findFirstOrThrow({
      where: { resourceType: "TEMPLATE", action: "DELETE", resourceId: uuidOf(templateId) },
    });
    expect(audit.diff).toEqual({ name: "docker", canceledJobs: 1, deletedWorkspaces: 1 });
    // The name is free again.
    await acme.template("docker");
  });

  it("deletes a template whose first import is still pending, canceling the import", async () => {
    const templateId = await acme.template("pending", { ready: false });
    const importJob = await importJobOf(app, templateId);
    expect((await remove(owner.token, templateId)).data?.deleteTemplate.userErrors).toEqual([]);
    expect((await app.prisma.provisionerJob.findUniqueOrThrow({ where: { id: importJob } })).status).toBe("CANCELED");
  });

  it("lets the organization be deleted once its last template is gone", async () => {
    const solo = await owner.org("solo");
    const templateId = await solo.template("only");
    const before = await app.gql(DELETE_ORG, { input: { organizationId: solo.id } }, { token: owner.token });
    expect(before.data?.deleteOrganization.userErrors[0]?.code).toBe("ORGANIZATION_NOT_EMPTY");
    expect((await remove(owner.token, templateId)).data?.deleteTemplate.userErrors).toEqual([]);
    const after = await app.gql(DELETE_ORG, { input: { organizationId: solo.id } }, { token: owner.token });
    expect(after.data?.deleteOrganization.userErrors).toEqual([]);
  });

  it("is FORBIDDEN for a member who may only use it, NOT_FOUND for another organization's user", async () => {
    const templateId = await acme.template("kept");
    expect(errorCodes(await remove(alice.token, templateId))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await remove(gina.token, templateId))).toEqual(["NOT_FOUND"]);
    expect(await app.prisma.template.count({ where: { id: uuidOf(templateId) } })).toBe(1);
  });

  it("racing createWorkspace has exactly one outcome: the workspace and TEMPLATE_IN_USE, or the delete and NOT_FOUND", async () => {
    for (let round = 0; round < 8; round++) {
      const templateId = await acme.template(`race-${round}`);
      const [created, deleted] = await Promise.all([
        createWorkspace(app, alice.token, { templateId, name: `race-${round}` }),
        remove(owner.token, templateId),
      ]);
      const deleteErrors = deleted.data?.deleteTemplate.userErrors;
      if (created.payload?.workspace) {
        expect(created.errors).toBeUndefined();
        expect(deleteErrors?.[0]?.code).toBe("TEMPLATE_IN_USE");
      } else {
        expect(errorCodes(created.result)).toEqual(["NOT_FOUND"]);
        expect(deleteErrors).toEqual([]);
      }
    }
  });
});
