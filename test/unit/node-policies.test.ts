// Every node type of the schema is loaded through a policy (src/authz/policies), so `node(id:)`
// applies the type's read rule; a new node type without a policy fails here.
import { isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { LOCATORS, NODE_LOADERS } from "../../src/authz/policies/index.js";
import { nodeLoader } from "../../src/graphql/node-loaders.js";
import { schema } from "../../src/graphql/schema.js";

const nodeTypes = Object.values(schema.getTypeMap())
  .filter(isObjectType)
  .filter((type) => type.getInterfaces().some((i) => i.name === "Node"))
  .map((type) => type.name)
  .sort();

describe("node policies", () => {
  it("finds the node types of the schema", () => {
    expect(nodeTypes).toContain("Workspace");
  });

  // Composite-id and view types (the module registers their loader, applying the policy's rule).
  const MODULE_LOADED = ["OrganizationMember", "Role", "TemplateAcl", "WorkspaceQuota"];

  it.each(nodeTypes)("%s has a policy loader", (typename) => {
    if (!MODULE_LOADED.includes(typename)) expect(Object.keys(NODE_LOADERS)).toContain(typename);
    expect(nodeLoader(typename)).toBeTypeOf("function");
  });

  it("has no loader or locator for a type the schema does not have", () => {
    const located = Object.values(LOCATORS).flatMap((byType) => Object.keys(byType ?? {}));
    for (const typename of [...Object.keys(NODE_LOADERS), ...located]) expect(nodeTypes).toContain(typename);
  });

  it("answers no loader for names that are not node types", () => {
    expect(nodeLoader("constructor")).toBeUndefined();
    expect(nodeLoader("Query")).toBeUndefined();
  });
});
