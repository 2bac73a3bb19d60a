// Assembles the schema: each module registers its types and fields on the builder when imported.
import { GraphQLSchema, isObjectType } from "graphql";
import { TOTAL_COUNT_DESCRIPTION } from "../modules/shared/shared.graphql.js";
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

/** The schema's own description (printed above `schema { ... }`): how to authenticate and read it. */
const SCHEMA_DESCRIPTION = `orgs-api: multi-tenant organizations, members, roles, groups, templates, workspaces and provisioners.

Authentication: send \`Authorization: Bearer <token>\` on every request (and on subscriptions). The token is a
session token returned by \`login\`, \`loginWithOidc\` or \`createFirstUser\` (while \`needsSetup\` is true), or an
API token \`oat_<id>_<secret>\` from \`createApiToken\`. Provisioner daemons send \`Provisioner-Key: opk_<id>_<secret>\`
instead, which works only for the daemon operations. Browsers may rely on the \`orgs_session\` cookie instead
(SESSION_COOKIE=true), set by every sign-in; a mutation authenticated by the cookie must send the \`x-graphql-yoga-csrf\`
header. Without credentials only \`viewer\` (null), \`needsSetup\`, \`authMethods\`, \`node\`/\`nodes\` (null), \`createFirstUser\`,
\`login\` and \`loginWithOidc\` answer; a missing, expired or revoked credential is a
GraphQL error with \`extensions.code: "UNAUTHENTICATED"\`.

Conventions: ids are global Relay ids (opaque strings; \`node(id:)\` loads any of them). An object the viewer may not
read does not exist (null, or \`NOT_FOUND\`); a field that answers null or [] for lack of a permission says so in its
description. Mutation refusals a form can show come back in the payload's \`userErrors\`; a missing permission is a
GraphQL error with \`extensions.code: "FORBIDDEN"\`. Times are ISO-8601 UTC.`;

export const schema = new GraphQLSchema({
  ...builder.toSchema({ sortSchema: false }).toConfig(),
  description: SCHEMA_DESCRIPTION,
});

// plugin-prisma adds its own totalCount field (no description option) to the connections a
// prismaConnection field defines inline; describe it like the shared one.
for (const type of Object.values(schema.getTypeMap())) {
  const totalCount = isObjectType(type) ? type.getFields().totalCount : undefined;
  if (totalCount?.extensions?.pothosPrismaTotalCount && !totalCount.description) {
    totalCount.description = TOTAL_COUNT_DESCRIPTION;
  }
}
