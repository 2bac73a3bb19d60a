// A throwaway PostgreSQL cluster for fault tests and the soak: its own data directory and port,
// so stopping, restarting or freezing it never touches the shared server. PostgreSQL refuses to
// run as root, so as root the server binaries run as the `postgres` OS user.
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/** The directory holding initdb and pg_ctl, or null when this machine has no PostgreSQL server. */
export function postgresBinaries(): string | null {
  const candidates = ["/usr/local/bin"];
  if (existsSync("/usr/lib/postgresql")) {
    const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) ?? null;
}

const asRoot = process.getuid?.() === 0;

function osUser(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", name]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", name]).toString().trim());
  return { uid, gid };
}

/** Runs a server binary, as `postgres` when this process is root. */
async function pgCommand(bin: string, args: string[]): Promise<string> {
  const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
  const { stdout } = await run(file, argv, { timeout: 60_000 });
  return stdout;
}

/** A port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;

/** initdb + start on a free port (trust auth, fsync off: it is thrown away). */
export async function startCluster(settings: Record<string, string> = {}) {
  const bin = postgresBinaries();
  if (!bin) throw new Error("no PostgreSQL server binaries (initdb, pg_ctl) on this machine");
  const dir = mkdtempSync(join(tmpdir(), "orgs-api-pg-"));
  if (asRoot) {
    const { uid, gid } = osUser("postgres");
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const port = await freePort();
  await pgCommand(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
  const options = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: dir,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "50",
    ...settings,
  };
  const serverOptions = Object.entries(options)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(" ");
  const pgCtl = (...args: string[]) => pgCommand(join(bin, "pg_ctl"), ["-D", data, ...args]);
  const start = () => pgCtl("-w", "-t", "30", "-o", serverOptions, "-l", join(dir, "server.log"), "start");
  await start();

  const url = (database = "postgres") => `postgresql://postgres@127.0.0.1:${port}/${database}`;

  /** One-off statement on a fresh connection (admin work: the app's pool is what is under test). */
  async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    params: unknown[] = [],
    database = "postgres",
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  return {
    port,
    url,
    sql,
    /** Stops the server; `immediate` aborts open transactions like a crash would, `fast` rolls them back. */
    stop: (mode: "fast" | "immediate" = "fast") => pgCtl("-w", "-t", "30", "-m", mode, "stop"),
    start,
    /** Terminates every backend connected to `database` except the caller's; returns how many. */
    async terminateBackends(database: string, where = "true"): Promise<number> {
      const rows = await sql<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() AND ${where}`,
        [database],
      );
      return Number(rows[0]?.n ?? 0);
    },
    /** Backend pids of `database` that are in the given state ('idle', 'idle in transaction', 'active'). */
    async backends(database: string, state?: string): Promise<{ pid: number; state: string; query: string }[]> {
      return sql(
        `SELECT pid, state, query FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
           AND ($2::text IS NULL OR state = $2)`,
        [database, state ?? null],
      );
    },
    /** SIGSTOP/SIGCONT one backend: it holds its socket and locks but answers nothing. */
    freeze: (pid: number) => process.kill(pid, "SIGSTOP"),
    thaw: (pid: number) => process.kill(pid, "SIGCONT"),
    async close(): Promise<void> {
      await pgCtl("-w", "-t", "30", "-m", "immediate", "stop").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
