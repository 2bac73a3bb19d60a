// What every resource policy provides (see README.md): the authorization object of a row (Coder's
// `RBACObject()`), the read filter for lists (a Prisma `where`, applied in SQL) and how to find one
// object by id, for `node(id:)` and for `checkPermissions`.
import type { PrismaClient } from "../../generated/prisma/client.js";
import type { AuthzObject, Subject } from "../evaluator.js";
import type { Action } from "../permissions.js";

/** The `permission` auth scope: the evaluator allows `action` on the object. */
export type PermissionScope = AuthzObject & { action: Action };

/** A located object's attributes; `readable` when visibility is decided by a list filter, not by `can`. */
export type Located = (Omit<AuthzObject, "type"> & { readable?: boolean }) | null;

/** Finds an object's organization, owner and ACL role by id, for `checkPermissions`. */
export type Locator = (prisma: PrismaClient, subject: Subject, id: string) => Promise<Located>;

/** Loads the rows of a node type by ids, through the type's read filter (unreadable ones left out). */
export type NodeLoad = (prisma: PrismaClient, subject: Subject, ids: string[]) => Promise<{ id: string }[]>;
