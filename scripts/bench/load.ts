// One load run, in its own process (started by spawn-load.ts): autocannon against a URL, every
// response body checked. Prints a LoadResult as JSON.
import autocannon from "autocannon";
import type { LoadArgs, LoadResult } from "./spawn-load.js";
import { workloads } from "./workloads.js";

const args = JSON.parse(process.argv[2] ?? "{}") as LoadArgs;
const workload = workloads(args.expectations).find((w) => w.name === args.workload);
if (!workload) throw new Error(`unknown workload ${args.workload}`);

let counter = 0;
const body = () => {
  const variables =
    workload.name === "W3"
      ? { input: { ...(workload.variables.input as object), name: `b-${process.pid}-${counter++}` } }
      : workload.variables;
  return JSON.stringify({ query: workload.query, variables });
};

let checked = 0;
let wrong = 0;
let firstProblem: string | null = null;

const result = await autocannon({
  url: args.url,
  method: "POST",
  connections: args.connections,
  duration: args.seconds,
  ...(args.rate ? { overallRate: args.rate } : {}),
  headers: {
    "content-type": "application/json",
    ...(args.token ? { authorization: `Bearer ${args.token}` } : {}),
  },
  requests: [
    {
      setupRequest: (request) => ({ ...request, body: body() }),
      onResponse: (_status, text) => {
        checked++;
        let problem: string | null;
        try {
          problem = workload.check(JSON.parse(text));
        } catch {
          problem = `not JSON: ${text.slice(0, 100)}`;
        }
        if (problem) {
          wrong++;
          firstProblem ??= problem;
        }
      },
    },
  ],
});

const output: LoadResult = {
  requests: result.requests.total,
  rps: result.requests.total / (result.duration || args.seconds),
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors - result.timeouts + result.non2xx,
  timeouts: result.timeouts,
  checked,
  wrong,
  firstProblem,
};
process.stdout.write(JSON.stringify(output));
