// One mapping from "a unique name index refused the write" to the userError the caller sees.
// Writers insert and let the lower(name) indexes decide (see db/names.ts), then pass the error
// through here: a name violation becomes NAME_TAKEN (EMAIL_TAKEN for emails), anything else
// is rethrown as it is.
import { NAME_INDEXES, violatesUnique } from "../../db/names.js";
import { type UserError, UserErrors } from "../../graphql/errors.js";

export type NameKind = keyof typeof NAME_INDEXES;

const TAKEN: Record<NameKind, UserError> = {
  username: { code: "NAME_TAKEN", message: "This username is taken.", field: ["input", "username"] },
  email: { code: "EMAIL_TAKEN", message: "A user with this email already exists.", field: ["input", "email"] },
  organization: {
    code: "NAME_TAKEN",
    message: "An organization with this name already exists.",
    field: ["input", "name"],
  },
  group: { code: "NAME_TAKEN", message: "A group with this name already exists here.", field: ["input", "name"] },
  customRole: {
    code: "NAME_TAKEN",
    message: "This organization already has a role with this name.",
    field: ["input", "name"],
  },
  template: {
    code: "NAME_TAKEN",
    message: "This organization already has a template with this name.",
    field: ["input", "name"],
  },
  provisionerKey: {
    code: "NAME_TAKEN",
    message: "This organization already has a key with this name.",
    field: ["input", "name"],
  },
  workspace: {
    code: "NAME_TAKEN",
    message: "The owner already has a workspace with this name.",
    field: ["input", "name"],
  },
};

/** The userError for a name of `kind` already in use (for writers that check before inserting). */
export function nameTaken(kind: NameKind): UserErrors {
  return new UserErrors([TAKEN[kind]]);
}

/** The userError of the first of `kinds` whose unique index refused the write, or null. */
export function nameTakenError(error: unknown, ...kinds: NameKind[]): UserErrors | null {
  const kind = kinds.find((k) => violatesUnique(error, NAME_INDEXES[k]));
  return kind ? nameTaken(kind) : null;
}

/** For `.catch(...)`: rethrows a name violation of `kinds` as its userError, anything else unchanged. */
export function rethrowNameTaken(...kinds: NameKind[]): (error: unknown) => never {
  return (error) => {
    throw nameTakenError(error, ...kinds) ?? error;
  };
}
