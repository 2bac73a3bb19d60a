import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
const a = await PGlite.create({ extensions: { pg_trgm } });
await a.exec(`CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE TABLE t(name text); CREATE INDEX t_trgm ON t USING gin (name gin_trgm_ops); INSERT INTO t SELECT 'name'||g FROM generate_series(1,5000) g; ANALYZE t;`);
console.log((await a.query(`EXPLAIN SELECT * FROM t WHERE name ILIKE '%me12%'`)).rows);
const dump = await a.dumpDataDir();
const b = await PGlite.create({ loadDataDir: dump, extensions: { pg_trgm } });
console.log((await b.query(`SELECT count(*) FROM t WHERE name ILIKE '%ME12%'`)).rows);
