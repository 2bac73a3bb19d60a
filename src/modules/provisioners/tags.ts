// Provisioner tags: key/value pairs on keys (and so on daemons), templates and jobs. A job runs
// only on a daemon whose tags satisfy it. Templates reuse TagType, TagInput and checkTags.

import { builder } from "../../graphql/builder.js";
import type { UserError } from "../../graphql/errors.js";
import { type Check, checkLabel, invalidInput } from "../shared/validation.js";
import type { Tags } from "./provisioner-jobs.js";

export type { Tags };
export type Tag = { key: string; value: string };

export const TagType = builder.objectRef<Tag>("Tag").implement({
  description:
    "A provisioner tag. A job runs only on a daemon that has every tag of the job (an untagged job needs an untagged daemon).",
  fields: (t) => ({
    key: t.exposeString("key", { description: "Tag key." }),
    value: t.exposeString("value", { description: "Tag value." }),
  }),
});

export const TagInput = builder.inputType("TagInput", {
  description: "A provisioner tag (see Tag).",
  fields: (t) => ({
    key: t.string({
      required: true,
      description: "1-64 characters: letters, digits and _ . : / -; unique in the list.",
    }),
    value: t.string({ required: true, description: "1-256 characters." }),
  }),
});

export const MAX_TAGS = 50;
const KEY_MAX = 64;
const TAG_KEY = /^[a-zA-Z0-9_.:/-]+$/;
const VALUE_MAX = 256;

/** A stored tags document (JSON object of strings) as a sorted list for the API. */
export function tagList(stored: unknown): Tag[] {
  if (stored === null || typeof stored !== "object" || Array.isArray(stored)) return [];
  return Object.entries(stored as Record<string, unknown>)
    .filter((entry): entry is [string, string] => typeof entry[1] === "string")
    .map(([key, value]) => ({ key, value }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** Every problem with a list of tags; `field` is the path of the list in the input. */
export function checkTags(tags: readonly Tag[] | null | undefined, field: string[]): UserError[] {
  if (!tags) return [];
  const problems: Check[] = [];
  if (tags.length > MAX_TAGS) problems.push(invalidInput(field, `At most ${MAX_TAGS} tags are allowed.`));
  const seen = new Set<string>();
  tags.forEach((tag, index) => {
    const keyField = [...field, String(index), "key"];
    const keyProblem =
      checkLabel(tag.key, keyField, "Tag key", KEY_MAX) ??
      (TAG_KEY.test(tag.key)
        ? undefined
        : invalidInput(keyField, "Tag keys may contain only letters, digits and _ . : / -"));
    if (keyProblem) problems.push(keyProblem);
    else if (seen.has(tag.key)) problems.push(invalidInput(keyField, `Tag key "${tag.key}" appears more than once.`));
    seen.add(tag.key);
    problems.push(checkLabel(tag.value, [...field, String(index), "value"], "Tag value", VALUE_MAX));
  });
  return problems.filter((problem) => problem !== undefined);
}

export function tagsObject(tags: readonly Tag[] | null | undefined): Tags {
  return Object.fromEntries((tags ?? []).map((tag) => [tag.key, tag.value]));
}

/**
 * Whether a daemon with `daemonTags` may run a job with `jobTags`: an untagged job needs an
 * untagged daemon; a tagged job needs every one of its tags on the daemon. The SQL in
 * provisioner-queue.ts says the same with jsonb `@>`.
 */
export function tagsSatisfy(daemonTags: Tags, jobTags: Tags): boolean {
  const required = Object.entries(jobTags);
  if (required.length === 0) return Object.keys(daemonTags).length === 0;
  return required.every(([key, value]) => daemonTags[key] === value);
}
