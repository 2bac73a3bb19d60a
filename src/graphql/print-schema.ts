// Writes schema.graphql from the Pothos schema, or with --check fails when the committed file
// is stale.
import { fileURLToPath } from "node:url";
import { printSchema } from "graphql";
import { writeOrCheck } from "../generated-file.js";
import { schema } from "./schema.js";

const target = fileURLToPath(new URL("../../schema.graphql", import.meta.url));
writeOrCheck(target, `${printSchema(schema)}\n`, "schema.graphql", "npm run schema:print");
