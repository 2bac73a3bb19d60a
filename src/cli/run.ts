// The CLI's entry point without the process: parses arguments, finds the command named by the
// leading words, runs it, prints errors readably, and answers the exit code (0 ok, 1 error,
// 2 usage). `--help` works at every level: `orgs-api --help`, `orgs-api users --help`,
// `orgs-api users create --help`.
import { parseArgs } from "node:util";
import { ApiError, UserErrors } from "./api.js";
import { IDENTITY_COMMANDS } from "./commands/identity.js";
import { ORGANIZATION_COMMANDS } from "./commands/organizations.js";
import { VERSION_COMMANDS } from "./commands/versions.js";
import { WORKLOAD_COMMANDS } from "./commands/workloads.js";
import { type Command, Ctx, type Io, UsageError, type Values } from "./context.js";
import { ColumnError } from "./output.js";

export const COMMANDS: Command[] = [
  ...IDENTITY_COMMANDS,
  ...ORGANIZATION_COMMANDS,
  ...WORKLOAD_COMMANDS,
  ...VERSION_COMMANDS,
];

const OPTIONS = {
  org: { type: "string", short: "O" },
  output: { type: "string", short: "o" },
  json: { type: "boolean" },
  column: { type: "string", short: "c", multiple: true },
  profile: { type: "string" },
  help: { type: "boolean", short: "h" },
  email: { type: "string" },
  token: { type: "string" },
  "password-stdin": { type: "boolean" },
  "first-user-email": { type: "string" },
  "first-user-username": { type: "string" },
  "first-user-password-stdin": { type: "boolean" },
  "first-user-full-name": { type: "string" },
  username: { type: "string" },
  name: { type: "string" },
  "full-name": { type: "string" },
  "login-type": { type: "string" },
  search: { type: "string" },
  status: { type: "string", multiple: true },
  role: { type: "string" },
  roles: { type: "string" },
  lifetime: { type: "string" },
  user: { type: "string", multiple: true },
  group: { type: "string", multiple: true },
  "display-name": { type: "string" },
  description: { type: "string" },
  icon: { type: "string" },
  permission: { type: "string", multiple: true },
  permissions: { type: "string" },
  "avatar-url": { type: "string" },
  "quota-allowance": { type: "string" },
  "daily-cost": { type: "string" },
  tag: { type: "string", multiple: true },
  "disable-everyone-access": { type: "boolean" },
  template: { type: "string" },
  owner: { type: "string" },
  all: { type: "boolean" },
  detach: { type: "boolean" },
  timeout: { type: "string" },
  key: { type: "string" },
  "poll-interval-ms": { type: "string" },
  orphan: { type: "boolean" },
  outdated: { type: "boolean" },
  message: { type: "string" },
  action: { type: "string", multiple: true },
  "resource-type": { type: "string", multiple: true },
  actor: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  object: { type: "string" },
} as const;

const GLOBAL_HELP = `Options of every command:
  -O, --org ORG        the organization (else ORGS_API_ORGANIZATION, else the profile's selected one
                       from \`organizations select\`, else the default organization)
  -o, --output FORMAT  table (default), json or csv (lists); --json is -o json. Results alone go to stdout.
  -c, --column COL     table columns to show (repeat, or comma-separated)
  --profile NAME       the profile (else ORGS_API_PROFILE, else "default"); one per user or server
  -h, --help           this help

Server and credential: ORGS_API_URL and ORGS_API_TOKEN, else the profile written by \`login\`, in
ORGS_API_CONFIG_DIR/config.json (else $XDG_CONFIG_HOME/orgs-api/, else ~/.config/orgs-api/; mode 0600).
Exit codes: 0 done, 1 error (refused, not found, unreachable, failed job), 2 usage.`;

function usage(prefix: string): string {
  const shown = COMMANDS.filter((c) => prefix === "" || c.name === prefix || c.name.startsWith(`${prefix} `));
  const width = Math.max(...shown.map((c) => c.name.length));
  return `usage: orgs-api ${prefix ? `${prefix} ` : ""}<command> [options]

${shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

${GLOBAL_HELP}
`;
}

function commandHelp(command: Command): string {
  return `usage: orgs-api ${command.usage}

${command.summary}
${command.help ? `\n${command.help}\n` : ""}
${GLOBAL_HELP}
`;
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

/** The command whose words lead the positionals, the longest such. */
function find(positionals: string[]): { command?: Command; rest: string[]; prefix: string } {
  for (let words = Math.min(3, positionals.length); words > 0; words--) {
    const name = positionals.slice(0, words).join(" ");
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: positionals.slice(words), prefix: name };
  }
  // A group (`users`, `provisioner keys`): its commands' usage.
  for (let words = Math.min(2, positionals.length); words > 0; words--) {
    const prefix = positionals.slice(0, words).join(" ");
    if (COMMANDS.some((c) => c.name.startsWith(`${prefix} `))) return { rest: positionals.slice(words), prefix };
  }
  return { rest: positionals, prefix: "" };
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  let helpFor = "";
  try {
    let parsed: { positionals: string[]; values: Values };
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      helpFor = find(argv.filter((a) => !a.startsWith("-"))).prefix;
      throw new UsageError((error as Error).message);
    }
    const { command, rest, prefix } = find(parsed.positionals);
    helpFor = prefix;
    if (parsed.values.help) {
      io.stdout.write(command ? commandHelp(command) : usage(prefix));
      return 0;
    }
    if (!command) {
      if (parsed.positionals.length === 0) {
        io.stdout.write(usage(""));
        return 2;
      }
      throw new UsageError(`unknown command "${parsed.positionals.join(" ")}"`);
    }
    await command.run(new Ctx(rest, parsed.values, io));
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ColumnError) {
      const command = COMMANDS.find((c) => c.name === helpFor);
      io.stderr.write(`error: ${error.message}\n\n${command ? `usage: orgs-api ${command.usage}\n` : usage(helpFor)}`);
      return 2;
    }
    io.stderr.write(`${describe(error)}\n`);
    return 1;
  }
}
