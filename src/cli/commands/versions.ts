// Template versions: create (queues the import and waits for it), list, promote, archive, unarchive.
import {
  type Command,
  type Ctx,
  count,
  followJob,
  JOB_FIELDS,
  type Job,
  notFound,
  tags,
  templateByName,
  USER_ERRORS,
} from "../context.js";
import { lower } from "../output.js";

type Row = Record<string, any>;

const VERSION_FIELDS = `id name message dailyCost archived active createdAt createdBy { username } job { ${JOB_FIELDS} }`;

async function versionsOf(
  ctx: Ctx,
  templateName: string,
): Promise<{ template: { id: string; name: string }; versions: Row[] }> {
  const api = await ctx.api();
  const template = await templateByName(api, await ctx.org(), templateName);
  const versions = await api.all<Row>(
    `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Template { versions(first: $first, after: $after) {
      edges { node { ${VERSION_FIELDS} } } pageInfo { hasNextPage endCursor } } } } }`,
    { id: template.id },
    (d) => d.node?.versions,
  );
  return { template, versions: versions ?? [] };
}

const versionsCreate: Command = {
  name: "templates versions create",
  usage: "templates versions create TEMPLATE [--name NAME] [--message TEXT] [--daily-cost N] [--tag KEY=VALUE ...]",
  summary: "queue the import of a new version and wait for it (promote it to make it active)",
  async run(ctx) {
    const api = await ctx.api();
    const template = await templateByName(api, await ctx.org(), ctx.arg(0, "the TEMPLATE"));
    const v = ctx.values;
    const { templateVersion } = await api.mutate(
      `mutation($input: CreateTemplateVersionInput!) { createTemplateVersion(input: $input) { templateVersion { ${VERSION_FIELDS} } ${USER_ERRORS} } }`,
      {
        templateId: template.id,
        name: v.name,
        message: v.message,
        dailyCost: count(v["daily-cost"], "--daily-cost"),
        tags: v.tag ? tags(v.tag) : undefined,
      },
      "createTemplateVersion",
    );
    const label = `Import of ${template.name} ${templateVersion.name}`;
    const succeeded = await followJob(ctx, templateVersion.job as Job, label);
    const row = succeeded
      ? (
          await api.request(`query($id: ID!) { node(id: $id) { ... on TemplateVersion { ${VERSION_FIELDS} } } }`, {
            id: templateVersion.id,
          })
        ).node
      : templateVersion;
    ctx.done(row, `Version ${row.name} of ${template.name}: import ${lower(row.job.status)}.`);
  },
};

const versionsList: Command = {
  name: "templates versions list",
  usage: "templates versions list TEMPLATE",
  summary: "a template's versions, the active one marked",
  async run(ctx) {
    ctx.print((await versionsOf(ctx, ctx.arg(0, "the TEMPLATE"))).versions, {
      name: (r) => r.name,
      active: (r) => (r.active ? "yes" : ""),
      archived: (r) => (r.archived ? "yes" : ""),
      import: (r) => lower(r.job.status),
      "daily cost": (r) => r.dailyCost,
      "created by": (r) => r.createdBy?.username,
      "created at": (r) => r.createdAt,
      message: (r) => r.message,
      id: (r) => r.id,
    });
  },
};

function versionChange(verb: "promote" | "archive" | "unarchive"): Command {
  const field = `${verb}TemplateVersion`;
  return {
    name: `templates versions ${verb}`,
    usage: `templates versions ${verb} TEMPLATE VERSION`,
    summary: {
      promote: "make a version the template's active one (its import must have succeeded)",
      archive: "archive a version: it can no longer be promoted or built",
      unarchive: "unarchive a version",
    }[verb],
    async run(ctx) {
      const { template, versions } = await versionsOf(ctx, ctx.arg(0, "the TEMPLATE"));
      const name = ctx.arg(1, "the VERSION");
      const version = versions.find((x) => x.name === name);
      if (!version) throw notFound(`version "${name}" of ${template.name}`);
      const { templateVersion } = await (await ctx.api()).mutate(
        `mutation($input: TemplateVersionIdInput!) { ${field}(input: $input) { templateVersion { ${VERSION_FIELDS} } ${USER_ERRORS} } }`,
        { templateVersionId: version.id },
        field,
      );
      ctx.done(templateVersion, `Version ${name} of ${template.name} ${verb}d.`);
    },
  };
}

export const VERSION_COMMANDS: Command[] = [
  versionsCreate,
  versionsList,
  versionChange("promote"),
  versionChange("archive"),
  versionChange("unarchive"),
];
