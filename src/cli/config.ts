// Where the CLI finds its server and credential: ORGS_API_URL and ORGS_API_TOKEN win; otherwise
// the file `login` wrote (ORGS_API_CONFIG, else ~/.config/orgs-api/config.json, mode 0600).
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";

export type Env = Record<string, string | undefined>;
export type Stored = { url?: string; token?: string };

export const DEFAULT_URL = "http://localhost:4000/graphql";

export function configPath(env: Env): string {
  return env.ORGS_API_CONFIG || path.join(env.HOME || homedir(), ".config", "orgs-api", "config.json");
}

export async function readStored(env: Env): Promise<Stored> {
  let text: string;
  try {
    text = await readFile(configPath(env), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  const parsed = JSON.parse(text) as Stored;
  return { url: typeof parsed.url === "string" ? parsed.url : undefined, token: parsed.token };
}

/** Writes the file readable by its owner only: it holds a credential. */
export async function writeStored(env: Env, stored: Stored): Promise<string> {
  const file = configPath(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/** The GraphQL endpoint: a bare server address gets /graphql. */
export function endpoint(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === "/" || parsed.pathname === "") parsed.pathname = "/graphql";
  return parsed.toString();
}

export async function resolveTarget(env: Env): Promise<{ url: string; token: string | undefined }> {
  const stored = await readStored(env);
  return {
    url: endpoint(env.ORGS_API_URL || stored.url || DEFAULT_URL),
    token: env.ORGS_API_TOKEN || stored.token,
  };
}
