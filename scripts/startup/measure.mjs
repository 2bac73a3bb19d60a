// What both timing scripts here need: a free port for the server they start, and CPU time.
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** USER_HZ is 100 on Linux: one tick is 10 ms. */
export const TICK_MS = 10;

/** CPU ticks of a process: its own (pid), or its waited-for children's (self). */
export function cpuTicks(pid = "self", children = false) {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return Number.NaN;
  const fields = readFileSync(path, "utf8").split(") ")[1].split(" ");
  // Fields after the name start at state (field 3): utime 14, stime 15, cutime 16, cstime 17.
  return children ? Number(fields[13]) + Number(fields[14]) : Number(fields[11]) + Number(fields[12]);
}
