// Every root field declares who may call it; the public ones are an explicit, short list.
import { describe, expect, it } from "vitest";
import { getDatamodel } from "../../src/generated/pothos-types.js";
import { schema } from "../../src/graphql/schema.js";

const PUBLIC_FIELDS = new Set([
  "Query.node",
  "Query.nodes",
  "Query.viewer",
  "Query.needsSetup",
  "Query.authMethods",
  "Mutation.createFirstUser",
  "Mutation.login",
  "Mutation.loginWithOidc",
]);

type Scopes = Record<string, unknown> | ((...args: unknown[]) => unknown) | undefined;

function rootFields() {
  return (["Query", "Mutation", "Subscription"] as const).flatMap((typeName) => {
    const type = schema.getType(typeName);
    if (!type || !("getFields" in type)) return [];
    return Object.values(type.getFields()).map((field) => ({
      name: `${typeName}.${field.name}`,
      scopes: (field.extensions?.pothosOptions as { authScopes?: Scopes } | undefined)?.authScopes,
    }));
  });
}

/** Object types backed by a Prisma model that belongs to an organization (or is one). */
function organizationScopedTypes() {
  const { models } = getDatamodel().datamodel;
  return Object.values(schema.getTypeMap()).flatMap((type) => {
    const extensions = (type.extensions ?? {}) as {
      pothosPrismaModel?: string;
      pothosOptions?: { authScopes?: Scopes };
    };
    const model = extensions.pothosPrismaModel;
    if (!model) return [];
    const scoped = model === "Organization" || models[model]?.fields.some((f) => f.name === "organizationId");
    return scoped ? [{ name: type.name, scopes: extensions.pothosOptions?.authScopes }] : [];
  });
}

describe("auth scopes", () => {
  it("are declared on every organization-scoped object type", () => {
    const types = organizationScopedTypes();
    expect(types.map((t) => t.name)).toEqual(
      expect.arrayContaining(["Organization", "OrganizationMember", "Group", "Workspace"]),
    );
    expect(types.filter((t) => t.scopes === undefined).map((t) => t.name)).toEqual([]);
  });

  it("are declared on every root field", () => {
    const missing = rootFields()
      .filter((f) => f.scopes === undefined)
      .map((f) => f.name);
    expect(missing).toEqual([]);
  });

  it("make a root field public only when it is on the allow-list", () => {
    const publicFields = rootFields()
      .filter(
        (f) => typeof f.scopes === "object" && f.scopes !== null && (f.scopes as { public?: boolean }).public === true,
      )
      .map((f) => f.name);
    expect(publicFields.filter((name) => !PUBLIC_FIELDS.has(name))).toEqual([]);
  });
});
