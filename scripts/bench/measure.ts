// One measurement of a workload against an endpoint of the in-process service: the load comes
// from a child process; server CPU (process.cpuUsage of this process, which runs the server, and
// for PGlite the database too), SQL statements and peak RSS are read around it and divided by
// the requests the server handled.
import type { Database } from "../../src/db/database.js";
import { type Served, settled } from "./service.js";
import { type LoadArgs, type LoadResult, runLoad } from "./spawn-load.js";

export type Measured = LoadResult & {
  handled: number;
  statementsPerRequest: number;
  cpuMsPerRequest: number;
  peakRssMb: number;
};

/** The load to generate (its url comes from the endpoint), and where to read the figures. */
export type MeasureArgs = Omit<LoadArgs, "url"> & { endpoint: Served; db: Database };

export async function measure(args: MeasureArgs): Promise<Measured> {
  const { endpoint, db, ...load } = args;
  await settled(endpoint.traffic);
  const statementsBefore = db.statements.total;
  const handledBefore = endpoint.traffic.handled;
  const cpuBefore = process.cpuUsage();
  let peakRss = process.memoryUsage.rss();
  const rssSampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  try {
    const result = await runLoad({ ...load, url: endpoint.url });
    await settled(endpoint.traffic);
    const cpu = process.cpuUsage(cpuBefore);
    const handled = endpoint.traffic.handled - handledBefore;
    return {
      ...result,
      handled,
      statementsPerRequest: (db.statements.total - statementsBefore) / Math.max(1, handled),
      cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / Math.max(1, handled),
      peakRssMb: Math.max(peakRss, process.memoryUsage.rss()) / 2 ** 20,
    };
  } finally {
    clearInterval(rssSampler);
  }
}
