// The CLI's entry point without the process: parses arguments, runs a command, prints errors
// readably, and answers the exit code (0 ok, 1 error, 2 usage). Tests call it directly.
import { parseArgs } from "node:util";
import { ApiError, UserErrors } from "./api.js";
import { type Args, COMMANDS, type Io, UsageError } from "./commands.js";

export const USAGE = `usage: orgs-api <command> [options]

  login [URL] --email EMAIL [--password-stdin]   sign in (password from stdin or ORGS_API_PASSWORD)
  login [URL] --token TOKEN                      store an existing session or API token
  organizations create NAME | list | show NAME
  provisioner keys create NAME --org ORG [--tag KEY=VALUE ...]
  provisioner keys list --org ORG | delete NAME --org ORG
  provisionerd start --org ORG [--name NAME] [--poll-interval-ms N]   (key in PROVISIONER_DAEMON_KEY)
  templates create NAME --org ORG [--daily-cost N] [--tag KEY=VALUE ...] | list [--org ORG]
  members add USERNAME --org ORG | remove USERNAME --org ORG | list --org ORG
  groups list --org ORG | create NAME --org ORG [--quota-allowance N] | add-member GROUP USERNAME --org ORG
  workspaces create NAME --org ORG --template TEMPLATE [--owner USERNAME]
  workspaces list [--org ORG] [--owner USERNAME] | start|stop|delete NAME [--owner USERNAME] [--org ORG]

  --json         machine-readable output
  --detach       do not wait for an import or build to finish (default: wait, up to --timeout seconds, 300)

Server and credential: ORGS_API_URL and ORGS_API_TOKEN, else the file written by login
(ORGS_API_CONFIG, default ~/.config/orgs-api/config.json).
`;

const OPTIONS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  org: { type: "string" },
  email: { type: "string" },
  token: { type: "string" },
  "password-stdin": { type: "boolean" },
  tag: { type: "string", multiple: true },
  "daily-cost": { type: "string" },
  "display-name": { type: "string" },
  "quota-allowance": { type: "string" },
  template: { type: "string" },
  owner: { type: "string" },
  detach: { type: "boolean" },
  timeout: { type: "string" },
  name: { type: "string" },
  "poll-interval-ms": { type: "string" },
} as const;

function parse(argv: string[]): Args & { help: boolean } {
  try {
    const { positionals, values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    return { positionals, values, help: values.help === true };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function describe(error: unknown): string {
  if (error instanceof UserErrors) {
    return error.errors
      .map((e) => `error: ${e.message} [${e.code}${e.field?.length ? ` at ${e.field.join(".")}` : ""}]`)
      .join("\n");
  }
  if (error instanceof ApiError) return `error: ${error.message} [${error.code}]`;
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    const args = parse(argv);
    const command = args.positionals[0];
    if (args.help || !command) {
      io.stdout.write(USAGE);
      return args.help ? 0 : 2;
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}"`);
    await run({ args, io });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr.write(`${describe(error)}\n`);
    return 1;
  }
}
