// Input rules shared by the modules. Each check returns a UserError (with the input path)
// or nothing; `ensure` throws them all at once so the user sees every problem in one answer.
import { violatedUniqueIndex } from "../../db/names.js";
import { type UserError, UserErrors } from "../../graphql/errors.js";

export const NAME_PATTERN = /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/;
const RESERVED_NAMES = ["new", "create"];
// Control characters and the invisible/bidirectional characters used to spoof text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

export type Check = UserError | undefined;

export function ensure(...checks: Check[]): void {
  const errors = checks.filter((c): c is UserError => c !== undefined);
  if (errors.length > 0) throw new UserErrors(errors);
}

/** An INVALID_INPUT entry for the input field at `field`. */
export const invalidInput = (field: string[], message: string): UserError => ({
  code: "INVALID_INPUT",
  message,
  field,
});

/** Organization, group, template and workspace names (Coder's name rules). */
export function checkName(value: string, field: string[], { maxLength = 32, reserved = [] as string[] } = {}): Check {
  if (value.length === 0) return invalidInput(field, "Name is required.");
  if (value.length > maxLength) return invalidInput(field, `Name must be at most ${maxLength} characters.`);
  if (!NAME_PATTERN.test(value)) {
    return invalidInput(field, "Name may contain only letters, digits and single hyphens between them.");
  }
  const lower = value.toLowerCase();
  if ([...RESERVED_NAMES, ...reserved].some((r) => r.toLowerCase() === lower)) {
    return { code: "RESERVED_NAME", message: `The name "${value}" is reserved.`, field };
  }
  return undefined;
}

export function checkDisplayName(value: string | null | undefined, field: string[], maxLength = 64): Check {
  if (value === null || value === undefined) return undefined;
  if (value.length > maxLength) return invalidInput(field, `Display name must be at most ${maxLength} characters.`);
  if (value.trim() !== value) return invalidInput(field, "Display name must not start or end with whitespace.");
  if (UNSAFE_TEXT.test(value)) return invalidInput(field, "Display name contains control or invisible characters.");
  return undefined;
}

export function checkText(value: string | null | undefined, field: string[], maxLength: number, label: string): Check {
  if (value === null || value === undefined) return undefined;
  if (value.length > maxLength) return invalidInput(field, `${label} must be at most ${maxLength} characters.`);
  if (UNSAFE_TEXT.test(value.replaceAll(/[\n\t]/g, ""))) {
    return invalidInput(field, `${label} contains control or invisible characters.`);
  }
  return undefined;
}

/** A required one-line label (daemon names and versions, tag keys and values). */
export function checkLabel(value: string, field: string[], label: string, maxLength: number): Check {
  if (value.length === 0) return invalidInput(field, `${label} is required.`);
  if (value.length > maxLength) return invalidInput(field, `${label} must be at most ${maxLength} characters.`);
  if (UNSAFE_TEXT.test(value)) return invalidInput(field, `${label} contains control or invisible characters.`);
  if (value.trim() !== value) return invalidInput(field, `${label} must not start or end with whitespace.`);
  return undefined;
}

/** An icon or avatar: empty, an http(s) URL, or a path on this site. */
export function checkUrl(value: string | null | undefined, field: string[], label: string): Check {
  if (value === null || value === undefined || value === "") return undefined;
  const tooLong = checkText(value, field, 2048, label);
  if (tooLong) return tooLong;
  if (value.startsWith("/") && !value.startsWith("//")) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === "https:" || url.protocol === "http:") return undefined;
  } catch {
    // fall through
  }
  return invalidInput(field, `${label} must be an http(s) URL or a path starting with "/".`);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkEmail(value: string, field: string[]): Check {
  if (value.length === 0) return invalidInput(field, "Email is required.");
  if (value.length > 254 || !EMAIL.test(value) || UNSAFE_TEXT.test(value)) {
    return invalidInput(field, "Email must be a valid address like name@example.com.");
  }
  return undefined;
}

export const USERNAME_MAX = 32;

export function checkUsername(value: string, field: string[]): Check {
  if (value.length === 0) return invalidInput(field, "Username is required.");
  if (value.length > USERNAME_MAX) return invalidInput(field, `Username must be at most ${USERNAME_MAX} characters.`);
  if (!NAME_PATTERN.test(value)) {
    return invalidInput(field, "Username may contain only letters, digits and single hyphens between them.");
  }
  if (RESERVED_NAMES.includes(value.toLowerCase()) || value.toLowerCase() === "me") {
    return { code: "RESERVED_NAME", message: `The username "${value}" is reserved.`, field };
  }
  return undefined;
}

export function checkNonNegativeInt(
  value: number | null | undefined,
  field: string[],
  label: string,
  max = 1_000_000_000,
): Check {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    return invalidInput(field, `${label} must be a whole number between 0 and ${max}.`);
  }
  return undefined;
}

/** A unique-constraint violation (on either database), for races that slip past a prior existence check. */
export function isUniqueViolation(error: unknown): boolean {
  return violatedUniqueIndex(error) !== null;
}
