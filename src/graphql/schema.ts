// Assembles the schema: each module registers its types and fields on the builder when imported.
import { builder } from "./builder.js";
import "../modules/shared/shared.graphql.js";
import "../modules/node/node.graphql.js";
import "../modules/roles/roles.graphql.js";
import "../modules/users/users.graphql.js";
import "../modules/organizations/organizations.graphql.js";
import "../modules/roles/organization-roles.graphql.js";

export const schema = builder.toSchema({ sortSchema: false });
