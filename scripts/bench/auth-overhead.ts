// What scope-auth (Pothos type and field checks) costs on W2: the same requests served by the
// schema as shipped and by one built with disableScopeAuth, measured in alternation so that a
// change in the machine's load hits both sides alike. Two methods, each giving per-pair ratios
// (checked / unchecked) whose median and range are reported:
// - over HTTP: rounds of a short as-fast-as-possible load on each server, the order swapped every
//   round (A B, B A, ...); CPU ms per request and throughput;
// - in process: blocks of sequential requests through yoga.fetch (no sockets, no load process),
//   alternating the same way; CPU ms per request.
import type { Database } from "../../src/db/database.js";
import { measure } from "./measure.js";
import { type Endpoint, type Service, sendInProcess } from "./service.js";
import { workloads } from "./workloads.js";

export type OverheadRatios = {
  label: string;
  /** Checked over unchecked CPU ms per request, one per round. */
  cpu: number[];
  /** Unchecked over checked requests/s, one per round (above 1: scope-auth costs throughput). */
  throughput: number[];
  wrong: number;
};

export async function overHttp(
  service: Service,
  db: Database,
  options: { workload: string; rounds: number; seconds: number; connections: number },
): Promise<OverheadRatios> {
  const result: OverheadRatios = {
    label: `HTTP ${options.workload}, ${options.rounds} A/B rounds of ${options.seconds} s`,
    cpu: [],
    throughput: [],
    wrong: 0,
  };
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? [service.checked, service.unchecked] : [service.unchecked, service.checked];
    const byEndpoint = new Map<Endpoint, { cpu: number; rps: number }>();
    for (const endpoint of order) {
      const m = await measure({
        endpoint,
        db,
        workload: options.workload,
        token: service.tokens.admin,
        expectations: service.expectations,
        connections: options.connections,
        seconds: options.seconds,
      });
      result.wrong += m.wrong + m.errors;
      byEndpoint.set(endpoint, { cpu: m.cpuMsPerRequest, rps: m.rps });
    }
    const checked = byEndpoint.get(service.checked) as { cpu: number; rps: number };
    const unchecked = byEndpoint.get(service.unchecked) as { cpu: number; rps: number };
    result.cpu.push(checked.cpu / unchecked.cpu);
    result.throughput.push(unchecked.rps / checked.rps);
  }
  return result;
}

export async function inProcess(
  service: Service,
  options: { workload: string; blocks: number; requestsPerBlock: number },
): Promise<OverheadRatios> {
  const workload = workloads(service.expectations).find((w) => w.name === options.workload);
  if (!workload) throw new Error(`unknown workload ${options.workload}`);
  const result: OverheadRatios = {
    label: `in-process ${options.workload}, ${options.blocks} A/B blocks of ${options.requestsPerBlock} sequential requests`,
    cpu: [],
    throughput: [],
    wrong: 0,
  };
  const body = JSON.stringify({ query: workload.query, variables: workload.variables });
  const block = async (endpoint: Endpoint) => {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < options.requestsPerBlock; i++) {
      if (workload.check(await sendInProcess(endpoint.app, body, service.tokens.admin))) result.wrong++;
    }
    const cpu = process.cpuUsage(cpuBefore);
    return {
      cpu: (cpu.user + cpu.system) / 1000 / options.requestsPerBlock,
      rps: options.requestsPerBlock / ((performance.now() - started) / 1000),
    };
  };
  // One block each to warm up both schemas (JIT, caches), not counted.
  await block(service.checked);
  await block(service.unchecked);
  for (let i = 0; i < options.blocks; i++) {
    const checkedFirst = i % 2 === 0;
    const first = await block(checkedFirst ? service.checked : service.unchecked);
    const second = await block(checkedFirst ? service.unchecked : service.checked);
    const [checked, unchecked] = checkedFirst ? [first, second] : [second, first];
    result.cpu.push(checked.cpu / unchecked.cpu);
    result.throughput.push(unchecked.rps / checked.rps);
  }
  return result;
}
