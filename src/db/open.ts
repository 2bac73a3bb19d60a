// Opens, migrates and seeds the configured database at start.
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { type Database, openPglite, openPostgres } from "./database.js";
import { ensureDefaultOrganization } from "./default-organization.js";
import { migrate } from "./migrate.js";

export async function openConfiguredDatabase(config: Config, log: Logger): Promise<Database> {
  const db = config.databaseUrl
    ? await openPostgres(config.databaseUrl, {
        poolMax: config.dbPoolMax,
        connectTimeoutMs: config.dbConnectTimeoutMs,
        statementTimeoutMs: config.dbStatementTimeoutMs,
        queryTimeoutMs: config.dbQueryTimeoutMs,
        preparedStatements: config.dbPreparedStatements,
        onPoolError: (error) => log.warn("database connection lost", { error }),
      })
    : await openPglite(config.dataDir);
  try {
    const applied = await migrate(db);
    if (applied.length > 0) log.info("migrations applied", { applied });
    await ensureDefaultOrganization(db.prisma);
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return db;
}
