// The user-error codes are one typed list: the schema's description of UserError.code lists every
// one of them, in order, and the modules use no code outside it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { USER_ERROR_CODES } from "../../src/graphql/errors.js";
import { schema } from "../../src/graphql/schema.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Codes written as `userError("X"` or `code: "X"` in the modules (where only user errors are made). */
function codesUsedInModules(): Set<string> {
  const used = new Set<string>();
  for (const file of sourceFiles("src/modules")) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:userError\(\s*|code: )"([A-Z][A-Z_]+)"/g)) used.add(match[1] as string);
  }
  return used;
}

describe("UserErrorCode", () => {
  it("the description of UserError.code lists every code of the list, in its order", () => {
    const type = schema.getType("UserError");
    if (!isObjectType(type)) throw new Error("UserError is not an object type");
    const description = type.getFields().code?.description ?? "";
    const listed = description.match(/[A-Z][A-Z_]{2,}/g) ?? [];
    expect(listed).toEqual([...USER_ERROR_CODES]);
  });

  it("keeps the contract's first codes first, in the contract's order", () => {
    expect(USER_ERROR_CODES.slice(0, 3)).toEqual(["INVALID_INPUT", "NAME_TAKEN", "RESERVED_NAME"]);
  });

  it("every code the modules use is in the list", () => {
    const used = codesUsedInModules();
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((code) => !(USER_ERROR_CODES as readonly string[]).includes(code))).toEqual([]);
  });
});
