// Row counts of every Prisma model in one query, to prove a request wrote nothing.
import { Prisma } from "../../src/generated/prisma/client.js";
import type { TestApp } from "../support/harness.js";

const MODELS = Object.values(Prisma.ModelName);

export type Counts = Record<string, number>;

/** Counts of every table (the audit log included), keyed by model name. */
export async function snapshotCounts(app: TestApp): Promise<Counts> {
  const columns = MODELS.map((model) => `(SELECT count(*) FROM "${model}")::int AS "${model}"`).join(", ");
  const [row] = await app.prisma.$queryRawUnsafe<Counts[]>(`SELECT ${columns}`);
  return row as Counts;
}
