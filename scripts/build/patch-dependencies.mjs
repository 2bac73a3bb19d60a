// Small patches to installed dependencies, applied by `npm ci`/`npm install` (this package's
// postinstall) and verified by test/perf/dependency-patches.test.ts.
//
//   node scripts/build/patch-dependencies.mjs          apply (idempotent)
//   node scripts/build/patch-dependencies.mjs --check  exit 1 if a patch is missing
//
// A patch replaces one exact text of a published file. When the text is not there (the package
// changed), this fails loudly instead of guessing: re-read the package, then adapt or drop the
// patch. A patch changes speed only, never results: without it the service answers the same.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** plugin-relay's published `globalID` resolver; `encode`: its id-encoding call as each build spells it. */
const asyncGlobalId = (encode) => `        resolve: async (parent, args, context, info)=>{
            const result = await resolve(parent, args, context, info);
            if (!result || typeof result !== 'object') {
                return result;
            }
            const item = result;
            return ${encode}(this.builder, this.builder.configStore.getTypeConfig(item.type).name, String(item.id), context);
        }`;

/** The same resolver, synchronous when the id it encodes is. */
const syncGlobalId = (encode) => `        resolve: (parent, args, context, info)=>{
            /* orgs-api patch (scripts/build/patch-dependencies.mjs): synchronous when the id is */
            const encodeId = (item)=>{
                if (!item || typeof item !== 'object') {
                    return item;
                }
                return ${encode}(this.builder, this.builder.configStore.getTypeConfig(item.type).name, String(item.id), context);
            };
            const result = resolve(parent, args, context, info);
            return typeof result?.then === 'function' ? Promise.resolve(result).then(encodeId) : encodeId(result);
        }`;

const PATCHES = [
  {
    package: "@pothos/selection-mapper",
    version: "0.1.0",
    // getLoaderMapping runs for every row of every relation field (plugin-prisma's field wrapper).
    // As published it builds the field's whole response path first, memoizing a string for every
    // new path link in a module-wide WeakMap (three new links per row and relation), then mostly
    // answers from an ancestor's scope without using it. Those WeakMap entries and their garbage
    // cost a member's 20 workspaces with three relations about a fifth of the request's CPU
    // (scripts/bench/RESULTS.md). Patched: the key below the scope is built while walking up to
    // it, and the whole path only when no ancestor has a scope (what the published code returns
    // in both cases, unchanged).
    edits: [
      {
        files: ["esm/loader-map.js", "lib/loader-map.js"],
        find: `    const key = cacheKey(type, path);
    if (cached.rowScoped) {
        const owner = ownerOf(row);
        const own = owner && cached.rows.get(owner)?.get(path)?.get(type);
        if (own) {
            return own;
        }
    }
    for(let ancestor = path.prev; ancestor; ancestor = ancestor.prev){
        const scope = cached.scopes.get(ancestor);
        if (scope) {
            // A different plan may have omitted this field. Do not treat a sibling's shared mapping
            // as proof that this execution loaded it.
            return scope[\`\${type}@\${responsePath(path).slice(responsePath(ancestor).length + 1)}\`] ?? null;
        }
    }
    return cached.mappings.get(key) ?? null;`,
        replace: `    /* orgs-api patch (scripts/build/patch-dependencies.mjs): no path memoized per row */
    if (cached.rowScoped) {
        const owner = ownerOf(row);
        const own = owner && cached.rows.get(owner)?.get(path)?.get(type);
        if (own) {
            return own;
        }
    }
    let below = typeof path.key === 'string' ? path.key : '';
    for(let ancestor = path.prev; ancestor; ancestor = ancestor.prev){
        const scope = cached.scopes.get(ancestor);
        if (scope) {
            // A different plan may have omitted this field. Do not treat a sibling's shared mapping
            // as proof that this execution loaded it.
            return scope[\`\${type}@\${below}\`] ?? null;
        }
        if (typeof ancestor.key === 'string') {
            below = below ? \`\${ancestor.key}.\${below}\` : ancestor.key;
        }
    }
    return cached.mappings.get(cacheKey(type, path)) ?? null;`,
      },
    ],
  },
  {
    package: "@pothos/plugin-relay",
    version: "4.8.1",
    // Every Node type's `id` field is a `globalID` field, whose published resolver is an async
    // function: every object with an `id` selected (80 in a member's 20 workspaces with template,
    // owner and organization; 200 in a page of 100 members) gets a promise, and graphql-js then
    // completes its whole object asynchronously. Patched: the id is encoded at once when the
    // inner resolver returns it at once (ours always do), and after it settles otherwise. The
    // same ids; about a fifth less memory allocated per request on both workloads.
    edits: [
      {
        files: ["esm/field-builder.js"],
        find: asyncGlobalId("internalEncodeGlobalID"),
        replace: syncGlobalId("internalEncodeGlobalID"),
      },
      {
        files: ["lib/field-builder.js"],
        find: asyncGlobalId("(0, _internal.internalEncodeGlobalID)"),
        replace: syncGlobalId("(0, _internal.internalEncodeGlobalID)"),
      },
    ],
  },
];

/** Applies every patch (or only checks them); what is wrong, one line per file. */
function patchAll(apply) {
  const problems = [];
  for (const patch of PATCHES) {
    const dir = join(root, "node_modules", patch.package);
    const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    for (const edit of patch.edits) {
      for (const file of edit.files) {
        const problem = patchFile(join(dir, file), edit, apply);
        if (problem) problems.push(`${patch.package}@${version} ${file}: ${problem} (patched for ${patch.version})`);
      }
    }
  }
  return problems;
}

/** Applies one edit to one file (or only checks it); what is wrong, or null. */
function patchFile(path, edit, apply) {
  const text = readFileSync(path, "utf8");
  if (text.includes(edit.replace)) return null;
  if (!text.includes(edit.find))
    return "the text to patch is not there; re-read the package and adapt or drop the patch";
  if (!apply) return "not patched (run node scripts/build/patch-dependencies.mjs)";
  writeFileSync(path, text.replace(edit.find, edit.replace));
  console.error(`patched ${path}`);
  return null;
}

const problems = patchAll(!process.argv.includes("--check"));
for (const problem of problems) console.error(problem);
process.exit(problems.length === 0 ? 0 : 1);
