// The registry of policies by GraphQL node type and by resource type. `node(id:)` loads through
// NODE_LOADERS, `checkPermissions` locates named objects through LOCATORS; test/node-policies.test.ts
// fails when a node type of the schema has no entry here.
import type { ResourceType } from "../permissions.js";
import { loadApiToken, locateApiToken } from "./api-token.js";
import { loadAuditLog, locateAuditLog } from "./audit-log.js";
import { loadGroup, locateGroup } from "./group.js";
import { loadOrganization, locateOrganization } from "./organization.js";
import type { Locator, NodeLoad } from "./policy.js";
import { loadDaemon, loadJob, loadKey, locateDaemon, locateJob, locateKey } from "./provisioner.js";
import { loadTemplate, loadTemplateVersion, locateTemplate } from "./template.js";
import { loadUser, locateUser } from "./user.js";
import { loadWorkspace, loadWorkspaceBuild, locateWorkspace } from "./workspace.js";

/** Each node type's loader: its row by id through the type's read filter. */
export const NODE_LOADERS: Readonly<Record<string, NodeLoad>> = {
  Organization: loadOrganization,
  User: loadUser,
  ApiToken: loadApiToken,
  Group: loadGroup,
  Template: loadTemplate,
  TemplateVersion: loadTemplateVersion,
  Workspace: loadWorkspace,
  WorkspaceBuild: loadWorkspaceBuild,
  ProvisionerKey: loadKey,
  ProvisionerDaemon: loadDaemon,
  ProvisionerJob: loadJob,
  AuditLog: loadAuditLog,
};

/**
 * For each resource type that has objects of its own, the node types naming them in a
 * `checkPermissions` resourceId and how to locate one. Other resource types take no resourceId.
 */
export const LOCATORS: Partial<Record<ResourceType, Record<string, Locator>>> = {
  USER: { User: locateUser },
  API_KEY: { ApiToken: locateApiToken },
  ORGANIZATION: { Organization: locateOrganization },
  GROUP: { Group: locateGroup },
  GROUP_MEMBER: { Group: locateGroup },
  TEMPLATE: { Template: locateTemplate },
  WORKSPACE: { Workspace: locateWorkspace },
  PROVISIONER_DAEMON: { ProvisionerDaemon: locateDaemon, ProvisionerKey: locateKey },
  PROVISIONER_JOBS: { ProvisionerJob: locateJob },
  AUDIT_LOG: { AuditLog: locateAuditLog },
};
