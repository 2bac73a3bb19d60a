// The build: the Prisma client generated into src/generated, then everything under src/ compiled
// by tsc to dist/ (tsconfig.build.json), which `npm start`, the CLI and the daemon run.
//
//   node scripts/build/build.mjs               generate if the schema changed, compile
//   node scripts/build/build.mjs --if-changed  the same, but compile only if a source changed
//   node scripts/build/build.mjs generate      generate the Prisma client (always)
//   node scripts/build/build.mjs generate --if-changed
//
// "Changed" is decided by stamps: src/generated/.generate-stamp holds a hash of the Prisma schema
// and the generator versions, dist/.build-stamp a hash of the sources and compiler settings, so
// an unchanged tree costs one hash (~0.1 s) instead of a prisma generate (~10 s) or a tsc (~5 s).
// Everything this script or its children print goes to stderr: `npm run --silent cli -- ... --json`
// runs it first and its stdout must stay clean.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const GENERATED = join(root, "src", "generated");
const GENERATE_STAMP = join(GENERATED, ".generate-stamp");
const DIST = join(root, "dist");
const BUILD_STAMP = join(DIST, ".build-stamp");
const LOCK = join(root, ".build.lock");
// Children's stdout joins our stderr (fd 2).
const CHILD_STDIO = ["ignore", 2, 2];

function versionOf(pkg) {
  return JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")).version;
}

function hash(parts) {
  const h = createHash("sha256");
  for (const part of parts) h.update(part).update("\0");
  return h.digest("hex");
}

function stampMatches(file, value) {
  return existsSync(file) && readFileSync(file, "utf8") === value;
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function generateStamp() {
  const versions = ["prisma", "@prisma/client", "@pothos/plugin-prisma"].map((pkg) => `${pkg}@${versionOf(pkg)}`);
  return hash([readFileSync(join(root, "prisma", "schema.prisma")), ...versions]);
}

/** `prisma generate`, offline (scripts/prisma-generate.mjs), then the stamp. */
function generate(extraArgs) {
  const stamp = generateStamp();
  const result = spawnSync(process.execPath, ["scripts/prisma-generate.mjs", ...extraArgs], {
    cwd: root,
    stdio: CHILD_STDIO,
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(GENERATE_STAMP, stamp);
}

function buildStamp() {
  const sources = filesUnder(join(root, "src")).filter((file) => file !== GENERATE_STAMP);
  const settings = ["tsconfig.json", "tsconfig.build.json"].map((file) => readFileSync(join(root, file)));
  const parts = sources.flatMap((file) => [relative(root, file), readFileSync(file)]);
  return hash([`typescript@${versionOf("typescript")}`, ...settings, ...parts]);
}

/** tsc to a clean dist/, plus the generated client's files that are not TypeScript (if any). */
function compile(stamp) {
  rmSync(DIST, { recursive: true, force: true });
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: CHILD_STDIO });
  if (result.status !== 0) process.exit(result.status ?? 1);
  for (const file of filesUnder(GENERATED)) {
    if (file.endsWith(".ts") || file === GENERATE_STAMP) continue;
    const target = join(DIST, "generated", relative(GENERATED, file));
    mkdirSync(join(target, ".."), { recursive: true });
    cpSync(file, target);
  }
  writeFileSync(BUILD_STAMP, stamp);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** One build at a time (a test run and `npm start` may start one together); a dead holder's lock is taken over. */
function withLock(work) {
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      const holder = Number(readFileSync(LOCK, "utf8")) || 0;
      if (holder && !alive(holder) && Date.now() - statSync(LOCK).mtimeMs > 1000) rmSync(LOCK, { force: true });
      else sleep(100);
    }
  }
  try {
    work();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

const args = process.argv.slice(2);
const ifChanged = args.includes("--if-changed");
const rest = args.filter((arg) => arg !== "--if-changed" && arg !== "generate");

withLock(() => {
  if (args[0] === "generate") {
    if (!(ifChanged && stampMatches(GENERATE_STAMP, generateStamp()))) generate(rest);
    return;
  }
  if (!stampMatches(GENERATE_STAMP, generateStamp())) generate([]);
  const stamp = buildStamp();
  if (!(ifChanged && stampMatches(BUILD_STAMP, stamp))) compile(stamp);
});
