// Which src files may import which: dependencies point one way, from the composition root down
// through the modules to the core and the base. `npm run lint` fails on any violation.
//
//   composition root  src/app.ts, src/server.ts, src/workers.ts, src/node-http.ts, src/graphql/schema.ts,
//                     src/graphql/print-schema.ts: wire everything together.
//   modules           src/modules/**: GraphQL types, resolvers and services, per domain.
//   core              src/{auth,authz,audit,db,http,live,security,graphql}/**, src/context.ts:
//                     what the modules build on; never imports a module.
//   base              src/config.ts, src/logger.ts, src/limits.ts, src/generated/**: imports
//                     nothing else of src.
//   clients           src/cli/**, src/provisionerd/**: talk to the server over HTTP only.

/** The files that assemble the modules into a schema and an app. */
const ROOT = "^src/(app|server|workers|node-http)\\.ts$|^src/graphql/(schema|print-schema)\\.ts$";
const BASE = "^src/(config|logger|limits)\\.ts$|^src/generated/";
const CORE = "^src/(auth|authz|audit|db|http|live|security|graphql)/|^src/context\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: "no-circular",
      comment: "A cycle has no direction: split the shared part into a file both import.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "core-imports-no-module",
      comment:
        "The core (auth, authz, audit, db, http, live, security, graphql, context) never imports src/modules; " +
        "what a module and the core share belongs in the core. graphql/builder.ts has its own, stricter rule.",
      severity: "error",
      from: { path: `${CORE}|${BASE}`, pathNot: `${ROOT}|^src/graphql/builder\\.ts$` },
      to: { path: "^src/modules/" },
    },
    {
      name: "builder-imports-only-core",
      comment:
        "graphql/builder.ts configures Pothos (plugins, scalars, scopes) and defines no object types: " +
        "it imports only authz, the context, the limits, the generated Prisma types and the error factories.",
      severity: "error",
      from: { path: "^src/graphql/builder\\.ts$" },
      to: {
        path: "^src/",
        pathNot: [
          "^src/authz/",
          "^src/generated/",
          "^src/(context|limits)\\.ts$",
          "^src/graphql/errors\\.ts$",
        ],
      },
    },
    {
      name: "root-on-top",
      comment: "Only the composition root imports the composition root (tests and scripts aside).",
      severity: "error",
      from: { path: "^src/", pathNot: ROOT },
      to: { path: ROOT },
    },
    {
      name: "base-imports-base",
      comment: "Configuration, logging, limits and generated code import nothing else of src.",
      severity: "error",
      from: { path: BASE },
      to: { path: "^src/", pathNot: BASE },
    },
    {
      name: "infrastructure-imports-base",
      comment: "db, audit, http and live are leaves: they import their own folder and the base only.",
      severity: "error",
      from: { path: "^src/(db|audit|http|live)/" },
      to: { path: "^src/", pathNot: [BASE, "^src/$1/"] },
    },
    {
      name: "clients-stay-apart",
      comment: "The CLI and the provisioner daemon talk to the server over HTTP: they share only the logger.",
      severity: "error",
      from: { path: "^src/(cli|provisionerd)/" },
      to: { path: "^src/", pathNot: "^src/(cli|provisionerd)/|^src/logger\\.ts$" },
    },
    {
      name: "server-imports-no-client",
      comment: "Nothing of the server imports the CLI or the provisioner daemon.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(cli|provisionerd)/" },
      to: { path: "^src/(cli|provisionerd)/" },
    },
  ],
  options: {
    // Type-only imports count: a type import is a dependency too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: ["node_modules", "^src/generated/"] },
    includeOnly: "^src/",
  },
};
