// One mapping from "a unique name index refused the write" to the userError the caller sees.
// Writers insert and let the lower(name) indexes decide (see db/names.ts), then pass the error
// through here: a name violation becomes NAME_TAKEN (EMAIL_TAKEN for emails), anything else
// is rethrown as it is.
import { NAME_INDEXES, violatesUnique } from "../../db/names.js";
import { type UserError, UserErrors } from "../../graphql/errors.js";

export type NameKind = keyof typeof NAME_INDEXES;

const nameField = (message: string): UserError => ({ code: "NAME_TAKEN", message, field: ["input", "name"] });

const TAKEN: Record<NameKind, UserError> = {
  username: { code: "NAME_TAKEN", message: "This username is taken.", field: ["input", "username"] },
  email: { code: "EMAIL_TAKEN", message: "A user with this email already exists.", field: ["input", "email"] },
  organization: nameField("An organization with this name already exists."),
  group: nameField("A group with this name already exists here."),
  customRole: nameField("This organization already has a role with this name."),
  template: nameField("This organization already has a template with this name."),
  provisionerKey: nameField("This organization already has a key with this name."),
  workspace: nameField("The owner already has a workspace with this name."),
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
