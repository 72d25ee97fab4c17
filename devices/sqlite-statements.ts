/**
 * Prepared statements kept per database. better-sqlite3 compiles the SQL at every `prepare()`; a store
 * that prepares in each call pays the compilation on every request. Statements here are only run with
 * run / get / all (never left iterating), so one compiled statement can serve every caller in turn.
 */
import type Database from 'better-sqlite3';

/** Statements with SQL built from column lists stay few; the bound only guards against a mistake. */
const MAX_STATEMENTS = 256;

export function statementCache(db: Database.Database): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= MAX_STATEMENTS) cache.clear();
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}
