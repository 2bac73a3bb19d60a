// Provisioner tags on templates: the import job and every workspace build carry them, and only
// daemons whose tags include them may run those jobs.
import type { Check } from "../shared/validation.js";
import { checkText } from "../shared/validation.js";

export type Tags = Record<string, string>;
export type TagInput = { key: string; value: string };

const MAX_TAGS = 32;
const TAG_KEY = /^[a-zA-Z0-9_.:/-]{1,64}$/;

/** The tags as a map, and the first problem with them (path under `field`). */
export function parseTags(
  input: readonly TagInput[] | null | undefined,
  field: string[],
): { tags: Tags; check: Check } {
  const tags: Tags = {};
  const list = input ?? [];
  if (list.length > MAX_TAGS) {
    return { tags, check: { code: "INVALID_INPUT", message: `At most ${MAX_TAGS} tags are allowed.`, field } };
  }
  for (const [index, { key, value }] of list.entries()) {
    const at = [...field, String(index)];
    if (!TAG_KEY.test(key)) {
      const message = "Tag keys are 1-64 letters, digits or the characters _ . : / -.";
      return { tags, check: { code: "INVALID_INPUT", message, field: [...at, "key"] } };
    }
    if (Object.hasOwn(tags, key)) {
      return { tags, check: { code: "INVALID_INPUT", message: `Tag "${key}" is given twice.`, field: [...at, "key"] } };
    }
    const valueProblem = checkText(value, [...at, "value"], 128, "Tag value");
    if (valueProblem) return { tags, check: valueProblem };
    tags[key] = value;
  }
  return { tags, check: undefined };
}
