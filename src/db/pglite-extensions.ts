// The PostgreSQL extensions the schema needs, as PGlite loads them: every PGlite instance that
// opens or migrates this database (service, tests, migration authoring) passes these. pg_trgm
// backs the case-insensitive search of lists (trigram GIN indexes serve Prisma's
// `contains`/`mode: "insensitive"`, i.e. ILIKE '%term%'); on PostgreSQL the migration runs
// CREATE EXTENSION (pg_trgm is a trusted extension: the database owner may create it).
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";

export const PGLITE_EXTENSIONS = { pg_trgm };
