// Where the CLI finds its server, credential and organization. One file holds named profiles
// (`--profile`, ORGS_API_PROFILE, else "default"), so one shell can act as two users:
//   ORGS_API_CONFIG (a file), else ORGS_API_CONFIG_DIR/config.json, else
//   $XDG_CONFIG_HOME/orgs-api/config.json, else ~/.config/orgs-api/config.json; mode 0600.
// ORGS_API_URL and ORGS_API_TOKEN win over the profile; ORGS_API_ORGANIZATION over its selected
// organization.
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";

export type Env = Record<string, string | undefined>;

/** One profile: a server, the credential `login` stored, the organization `organizations select` chose. */
export type Profile = { url?: string; token?: string; organization?: string };
type ConfigFile = { profiles: Record<string, Profile> };

export const DEFAULT_URL = "http://localhost:4000/graphql";
export const DEFAULT_PROFILE = "default";

export function configPath(env: Env): string {
  if (env.ORGS_API_CONFIG) return env.ORGS_API_CONFIG;
  const dir =
    env.ORGS_API_CONFIG_DIR ||
    path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), ".config"), "orgs-api");
  return path.join(dir, "config.json");
}

async function readConfig(env: Env): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(configPath(env), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { profiles: {} };
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<ConfigFile> & Profile;
  if (parsed.profiles && typeof parsed.profiles === "object") return { profiles: parsed.profiles };
  // The first format: one unnamed profile at the top level.
  return { profiles: { [DEFAULT_PROFILE]: { url: parsed.url, token: parsed.token } } };
}

export async function readProfile(env: Env, name: string): Promise<Profile> {
  return (await readConfig(env)).profiles[name] ?? {};
}

/**
 * Changes one profile (fields set to undefined are removed) and writes the file readable by its
 * owner only: it holds credentials. Answers the file's path.
 */
export async function updateProfile(env: Env, name: string, change: Partial<Profile>): Promise<string> {
  const file = configPath(env);
  const config = await readConfig(env);
  const profile: Profile = { ...config.profiles[name], ...change };
  for (const key of Object.keys(profile) as (keyof Profile)[]) if (profile[key] === undefined) delete profile[key];
  config.profiles[name] = profile;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  return file;
}

/** The GraphQL endpoint: a bare server address gets /graphql. */
export function endpoint(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === "/" || parsed.pathname === "") parsed.pathname = "/graphql";
  return parsed.toString();
}

export type Target = { profile: string; url: string; token: string | undefined; organization: string | undefined };

export async function resolveTarget(env: Env, profileName: string | undefined): Promise<Target> {
  const profile = profileName || env.ORGS_API_PROFILE || DEFAULT_PROFILE;
  const stored = await readProfile(env, profile);
  return {
    profile,
    url: endpoint(env.ORGS_API_URL || stored.url || DEFAULT_URL),
    token: env.ORGS_API_TOKEN || stored.token,
    organization: env.ORGS_API_ORGANIZATION || stored.organization,
  };
}
