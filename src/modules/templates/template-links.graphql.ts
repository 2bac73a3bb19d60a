// Fields that join templates and workspaces to the provisioner and group modules. They live
// here, not in either module, so neither module's types depend on the other's.
import { builder } from "../../graphql/builder.js";
import { AcquiredJobType, ProvisionerJobType } from "../provisioners/provisioners.graphql.js";
import { WorkspaceBuildType } from "../workspaces/workspaces.graphql.js";
import { TemplateGroupPermissionType, TemplateVersionType } from "./templates.graphql.js";

// A version's or build's job: the parent type grants PARENT_JOB_GRANT to its readers.
builder.prismaObjectField(TemplateVersionType, "job", (t) =>
  t.relation("job", { type: ProvisionerJobType, description: "The provisioner job that imports this version." }),
);
builder.prismaObjectField(WorkspaceBuildType, "job", (t) =>
  t.relation("job", { type: ProvisionerJobType, description: "The provisioner job that runs this build." }),
);
// The version a build used: the build grants BUILD_VERSION_GRANT, so its readers see it without template access.
builder.prismaObjectField(WorkspaceBuildType, "templateVersion", (t) =>
  t.relation("templateVersion", { type: TemplateVersionType, description: "The template version this build used." }),
);

builder.prismaObjectField(TemplateGroupPermissionType, "group", (t) =>
  t.relation("group", { description: "The group." }),
);

builder.objectFields(AcquiredJobType, (t) => ({
  templateVersion: t.field({
    type: TemplateVersionType,
    nullable: true,
    description: "For TEMPLATE_VERSION_IMPORT: the version to import.",
    resolve: (acquired) => acquired.templateVersion,
  }),
  workspaceBuild: t.field({
    type: WorkspaceBuildType,
    nullable: true,
    description: "For WORKSPACE_BUILD: the build to run.",
    resolve: (acquired) => acquired.workspaceBuild,
  }),
}));
