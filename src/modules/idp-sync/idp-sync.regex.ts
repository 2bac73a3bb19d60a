// IdP regexes (the group sync filter) run on RE2 (re2js): matching time is linear in the input,
// whatever the pattern, so a saved pattern cannot stall logins by backtracking. RE2's syntax is
// Go's, as in Coder; lookarounds and backreferences do not exist there.
import { RE2JS } from "re2js";

export const MAX_REGEX_LENGTH = 256;
// Linear, but in the input times the compiled program: counted repetitions such as (.|x){300}
// make programs of thousands of instructions, each costing a few ms per claim value.
const MAX_REGEX_INSTRUCTIONS = 500;

export type IdpRegex = { test(value: string): boolean };

/** The compiled pattern, or why it cannot be used. */
export function compileIdpRegex(pattern: string): { regex: IdpRegex } | { problem: string } {
  if (pattern.length > MAX_REGEX_LENGTH) return { problem: `must be at most ${MAX_REGEX_LENGTH} characters` };
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    return { problem: `does not compile (RE2 syntax): ${(error as Error).message}` };
  }
  const instructions: number = regex.re2().prog.numInst();
  if (instructions > MAX_REGEX_INSTRUCTIONS) {
    return { problem: "is too complex (large repetition counts); simplify it" };
  }
  return { regex };
}
