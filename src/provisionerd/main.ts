// `npm run provisionerd -- start --org ORG [--name NAME] [--poll-interval-ms N]`
// Environment: ORGS_API_URL (default http://localhost:4000/graphql), PROVISIONER_DAEMON_KEY
// (required), PROVISIONER_DAEMON_NAME (default: the host name), PROVISIONER_POLL_INTERVAL_MS
// (default 1000), PROVISIONER_HEARTBEAT_MS (default 15000), ECHO_FAIL=1 (every job fails),
// ECHO_DELAY_MS (how long each echo job takes), LOG_LEVEL. Logs are JSON lines on stdout.
// The organization comes from the key; --org must name it (the server refuses the registration
// otherwise, before writing anything) and labels the logs.
// SIGTERM/SIGINT: stop polling, finish and report the job in hand, exit 0. A refused key or
// registration: exit 1.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { createLogger, type LogLevel } from "../logger.js";
import { DaemonClient } from "./client.js";
import { KeyRefusedError, runDaemon } from "./daemon.js";

const USAGE = "usage: provisionerd start --org ORG [--name NAME] [--poll-interval-ms N]";

class UsageError extends Error {}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new UsageError(`${name} must be a positive whole number, got "${raw}"`);
  return Number(raw);
}

function settings(argv: string[], env: NodeJS.ProcessEnv) {
  let parsed: ReturnType<typeof parseArgs<{ allowPositionals: true; options: typeof OPTIONS }>>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { positionals, values } = parsed;
  if (positionals[0] !== "start" || !values.org) throw new UsageError(USAGE);
  if (!env.PROVISIONER_DAEMON_KEY) throw new UsageError("PROVISIONER_DAEMON_KEY is not set");
  return {
    org: values.org,
    key: env.PROVISIONER_DAEMON_KEY,
    url: env.ORGS_API_URL || "http://localhost:4000/graphql",
    name: values.name ?? env.PROVISIONER_DAEMON_NAME ?? hostname(),
    pollIntervalMs: positiveInt(
      "--poll-interval-ms",
      values["poll-interval-ms"] ?? env.PROVISIONER_POLL_INTERVAL_MS,
      1000,
    ),
    heartbeatMs: positiveInt("PROVISIONER_HEARTBEAT_MS", env.PROVISIONER_HEARTBEAT_MS, 15_000),
    echo: {
      fail: env.ECHO_FAIL === "1",
      delayMs: env.ECHO_DELAY_MS ? positiveInt("ECHO_DELAY_MS", env.ECHO_DELAY_MS, 0) : 0,
    },
  };
}

const OPTIONS = {
  org: { type: "string" },
  name: { type: "string" },
  "poll-interval-ms": { type: "string" },
} as const;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function main(): Promise<number> {
  const log = createLogger((process.env.LOG_LEVEL as LogLevel | undefined) ?? "info", { component: "provisionerd" });
  let config: ReturnType<typeof settings>;
  try {
    config = settings(process.argv.slice(2), process.env);
  } catch (error) {
    log.error((error as Error).message, { usage: USAGE });
    return 2;
  }
  const stop = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      log.info("stopping after the current job", { signal });
      stop.abort();
    });
  }
  const daemonLog = log.child({ daemon: config.name, organization: config.org });
  daemonLog.info("starting", { url: config.url, pollIntervalMs: config.pollIntervalMs, echoFail: config.echo.fail });
  try {
    await runDaemon({
      client: new DaemonClient(config.url, config.key),
      name: config.name,
      version: version(),
      pollIntervalMs: config.pollIntervalMs,
      heartbeatMs: config.heartbeatMs,
      echo: config.echo,
      log: daemonLog,
      signal: stop.signal,
      organization: config.org,
    });
    return 0;
  } catch (error) {
    if (error instanceof KeyRefusedError) daemonLog.error(error.message);
    else daemonLog.error("the daemon failed", { error });
    return 1;
  }
}

// Exit explicitly: idle keep-alive sockets must not hold the process open.
process.exit(await main());
