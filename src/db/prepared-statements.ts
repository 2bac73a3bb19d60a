// Names for the statements Prisma sends to PostgreSQL. node-postgres prepares a named statement
// once per connection and afterwards only binds and executes it, so PostgreSQL parses, analyses
// and (once it settles on a generic plan) plans each query shape once per connection instead of
// on every request: a list query's backend CPU fell by about two thirds.

/** What adapter-pg passes to its name generator. */
type Statement = { sql: string };

/**
 * A generator of statement names, one per distinct SQL text, at most `limit` of them; texts past
 * the limit run unnamed. Every pooled connection keeps each named statement it has run prepared in
 * its backend for as long as it lives, so the limit bounds that memory (Prisma's shapes are few,
 * but `IN` lists of each length are a text of their own).
 */
export function statementNames(limit: number): (statement: Statement) => string | undefined {
  const names = new Map<string, string>();
  return ({ sql }) => {
    const known = names.get(sql);
    if (known !== undefined || names.size >= limit) return known;
    const name = `orgs_api_${names.size}`;
    names.set(sql, name);
    return name;
  };
}
