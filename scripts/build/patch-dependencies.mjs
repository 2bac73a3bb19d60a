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

const PATCHES = [
  {
    package: "@pothos/selection-mapper",
    version: "0.1.0",
    files: ["esm/loader-map.js", "lib/loader-map.js"],
    // getLoaderMapping runs for every row of every relation field (plugin-prisma's field wrapper).
    // As published it builds the field's whole response path first, memoizing a string for every
    // new path link in a module-wide WeakMap (three new links per row and relation), then mostly
    // answers from an ancestor's scope without using it. Those WeakMap entries and their garbage
    // cost a member's 20 workspaces with three relations about a fifth of the request's CPU
    // (scripts/bench/RESULTS.md). Patched: the key below the scope is built while walking up to
    // it, and the whole path only when no ancestor has a scope (what the published code returns
    // in both cases, unchanged).
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
];

/** Each patched file: "applied", "patched now", or why it cannot be patched. */
function patchAll(apply) {
  const problems = [];
  for (const patch of PATCHES) {
    const dir = join(root, "node_modules", patch.package);
    const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    for (const file of patch.files) {
      const path = join(dir, file);
      const text = readFileSync(path, "utf8");
      if (text.includes(patch.replace)) continue;
      if (!text.includes(patch.find)) {
        problems.push(
          `${patch.package}@${version} ${file}: the text to patch is not there (patched for ${patch.version}); re-read the package and adapt or drop the patch`,
        );
      } else if (apply) {
        writeFileSync(path, text.replace(patch.find, patch.replace));
        console.error(`patched ${patch.package}@${version} ${file}`);
      } else {
        problems.push(
          `${patch.package}@${version} ${file}: not patched (run node scripts/build/patch-dependencies.mjs)`,
        );
      }
    }
  }
  return problems;
}

const problems = patchAll(!process.argv.includes("--check"));
for (const problem of problems) console.error(problem);
process.exit(problems.length === 0 ? 0 : 1);
