// Assembles the schema: each module registers its types and fields on the builder when imported.
import { builder } from "./builder.js";
import "../modules/shared/shared.graphql.js";
import "../modules/node/node.graphql.js";
import "../modules/roles/roles.graphql.js";
import "../modules/users/users.graphql.js";
import "../modules/organizations/organizations.graphql.js";
import "../modules/audit-logs/audit-logs.graphql.js";
import "../modules/oidc/oidc.graphql.js";
import "../modules/idp-sync/idp-sync.graphql.js";
import "../modules/templates/templates.graphql.js";
import "../modules/workspaces/workspaces.graphql.js";
import "../modules/members/members.graphql.js";
import "../modules/groups/groups.graphql.js";
import "../modules/provisioners/provisioners.graphql.js";
import "../modules/templates/template-links.graphql.js";
import "../modules/roles/organization-roles.graphql.js";
import "../modules/live/live.graphql.js";
import "../modules/access/access.graphql.js";

export const schema = builder.toSchema({ sortSchema: false });
