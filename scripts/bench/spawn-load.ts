// Runs scripts/bench/load.ts in a child process, so that generating load does not take CPU from
// the server being measured in this process. Asynchronous: the server keeps serving meanwhile.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Expectations } from "./workloads.js";

export type LoadArgs = {
  url: string;
  workload: string;
  token: string | null;
  expectations: Expectations;
  connections: number;
  seconds: number;
  /** Requests per second across all connections (fixed rate, for latency); absent: as fast as possible. */
  rate?: number;
};

export type LoadResult = {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  /** Connection errors and non-2xx responses. */
  errors: number;
  /** Requests unanswered after autocannon's 10 s: an overloaded machine, not a wrong answer. */
  timeouts: number;
  checked: number;
  wrong: number;
  firstProblem: string | null;
};

export async function runLoad(args: LoadArgs): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(
    "node",
    ["--import", "tsx", "scripts/bench/load.ts", JSON.stringify(args)],
    {
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout) as LoadResult;
}
