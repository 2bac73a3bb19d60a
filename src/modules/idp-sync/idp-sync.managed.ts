// What IdP sync owns cannot be changed by hand (Coder's rule): while organization sync is on, the
// memberships of users who sign in through the IdP (login type OIDC); while an organization's
// role sync is on, their roles there; while its group sync is on, their groups there. Otherwise
// the change would succeed and silently revert at the user's next login.
import type { Prisma } from "../../generated/prisma/client.js";
import { userError } from "../../graphql/errors.js";
import { readGroupSyncSettings, readOrganizationSyncSettings, readRoleSyncSettings } from "./idp-sync.settings.js";

type Tx = Prisma.TransactionClient;

export type SyncedThing = "memberships" | "roles" | "groups";

async function syncOn(tx: Tx, thing: SyncedThing, organizationId: string): Promise<boolean> {
  if (thing === "memberships") return (await readOrganizationSyncSettings(tx)).field !== "";
  if (thing === "roles") return (await readRoleSyncSettings(tx, organizationId)).field !== "";
  return (await readGroupSyncSettings(tx, organizationId)).field !== "";
}

/** Refuses with IDP_SYNC_MANAGED when the sync of `thing` is on and one of `userIds` is an OIDC user. */
export async function assertNotSyncManaged(
  tx: Tx,
  thing: SyncedThing,
  organizationId: string,
  userIds: readonly string[],
  field: string[],
): Promise<void> {
  if (userIds.length === 0 || !(await syncOn(tx, thing, organizationId))) return;
  const synced = await tx.user.findMany({
    where: { id: { in: [...userIds] }, loginType: "OIDC" },
    select: { username: true },
  });
  if (synced.length === 0) return;
  const names = synced.map((u) => u.username).join(", ");
  throw userError(
    "IDP_SYNC_MANAGED",
    `The identity provider manages the ${thing} of ${names} (${thing === "memberships" ? "organization" : thing === "roles" ? "role" : "group"} sync is on); change them there.`,
    field,
  );
}
