// The benchmark's table and summary lines.

export type Row = {
  database: string;
  scale: number;
  workload: string;
  rps: number;
  p50: number;
  p99: number;
  /** The fixed rate p50/p99 were measured at. */
  rate: number;
  statements: number;
  cpuMs: number;
  peakRssMb: number;
  wrong: number;
  timeouts: number;
};

export const HEADER = [
  "database".padEnd(8),
  "scale".padStart(6),
  "workload".padEnd(8),
  "req/s".padStart(7),
  "p50 ms".padStart(7),
  "p99 ms".padStart(7),
  "@rate".padStart(6),
  "SQL/req".padStart(7),
  "CPU ms/req".padStart(10),
  "peak RSS MB".padStart(11),
  "wrong",
  "timeouts",
].join(" ");

export function format(r: Row): string {
  return [
    r.database.padEnd(8),
    String(r.scale).padStart(6),
    r.workload.padEnd(8),
    r.rps.toFixed(r.rps < 10 ? 1 : 0).padStart(7),
    r.p50.toFixed(1).padStart(7),
    r.p99.toFixed(1).padStart(7),
    String(r.rate).padStart(6),
    r.statements.toFixed(2).padStart(7),
    r.cpuMs.toFixed(2).padStart(10),
    r.peakRssMb.toFixed(0).padStart(11),
    String(r.wrong).padStart(5),
    String(r.timeouts).padStart(8),
  ].join(" ");
}

/** The median and the range of some ratios, as "+4.1% (-2.0% .. +9.8%, n=6)": how much a exceeds b. */
export function overhead(ratios: number[]): string {
  if (ratios.length === 0) return "n/a";
  const sorted = [...ratios].sort((a, b) => a - b);
  const pct = (ratio: number) => `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)}%`;
  return `${pct(median(ratios))} (${pct(sorted[0] as number)} .. ${pct(sorted.at(-1) as number)}, n=${ratios.length})`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2
    ? (sorted[Math.floor(mid)] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
