// GraphQL Code Generator's client preset over the examples, against the printed schema: a field
// or variable that does not exist fails generation, and `tsc -p examples` checks how the typed
// results are used. Output in ./gql (not committed), with the trusted documents file the server
// reads through TRUSTED_DOCUMENTS (./gql/persisted-documents.json).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["examples/**/*.ts", "!examples/gql/**"],
  ignoreNoDocuments: false,
  errorsOnly: false,
  generates: {
    "examples/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: "replaceDocumentWithHash", hashAlgorithm: "sha256" },
      },
      config: { enumsAsTypes: true, useTypeImports: true, scalars: { DateTime: "string" } },
    },
  },
};

export default config;
