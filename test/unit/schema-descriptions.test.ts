// Every type, field, argument, enum value and input field of the schema is described: a UI team
// reads the schema (GraphiQL, codegen) as its manual.
import {
  buildSchema,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../src/graphql/schema.js";

const described = (description: string | null | undefined) => (description ?? "").trim().length > 0;

/** The schema coordinates (`Type.field(arg:)`, `Enum.VALUE`) that have no description. */
function undocumented(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    if (!described(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!described(field.description)) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) {
          if (!described(arg.description)) missing.push(`${type.name}.${field.name}(${arg.name}:)`);
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!described(field.description)) missing.push(`${type.name}.${field.name}`);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (!described(value.description)) missing.push(`${type.name}.${value.name}`);
      }
    }
  }
  return missing;
}

describe("schema descriptions", () => {
  it("describe the schema itself, including how to authenticate", () => {
    expect(schema.description ?? "").toMatch(/Authorization: Bearer/);
  });

  it("describe every type, field, argument, enum value and input field", () => {
    expect(undocumented(schema)).toEqual([]);
  });

  it("are checked on every kind of schema element (the walk finds each one missing)", () => {
    const sample = buildSchema(`
      """Described."""
      type Query {
        """Described."""
        a("""Described.""" x: Int, y: Int): Kind
        b(input: In): Int
      }
      enum Kind { """Described.""" ONE TWO }
      """Described."""
      input In { """Described.""" p: Int, q: Int }
    `);
    expect(undocumented(sample)).toEqual(["Query.a(y:)", "Query.b", "Query.b(input:)", "Kind", "Kind.TWO", "In.q"]);
  });
});
