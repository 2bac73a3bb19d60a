// Conventions a client relies on: every mutation root field is nullable (a refused mutation nulls
// only its own field, the others' committed results stay in `data`), while payloads stay non-null
// inside; objects a normalized cache tracks have global ids.
import { isNonNullType, isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../src/graphql/schema.js";

describe("schema conventions", () => {
  it("makes every mutation root field nullable", () => {
    const fields = Object.values(schema.getMutationType()?.getFields() ?? {});
    expect(fields.length).toBeGreaterThan(10);
    expect(fields.filter((f) => isNonNullType(f.type)).map((f) => f.name)).toEqual([]);
  });

  it.each(["OrganizationMember", "Role", "TemplateAcl", "WorkspaceQuota"])("gives %s a global id", (name) => {
    const type = schema.getType(name);
    expect(isObjectType(type) && type.getInterfaces().map((i) => i.name)).toEqual(["Node"]);
  });
});
