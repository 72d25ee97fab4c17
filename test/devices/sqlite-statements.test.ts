/** The per-database statement cache, on a real SQLite file (WAL, synchronous=FULL as the stores run). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { statementCache } from '../../devices/sqlite-statements.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-sqlite-statements-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function open(name: string): Database.Database {
  const db = new Database(path.join(dir, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  return db;
}

describe('statementCache', () => {
  it('compiles each SQL text once and hands the same statement to every caller', () => {
    const db = open('once.sqlite');
    const prepare = statementCache(db);
    const insert = prepare('INSERT INTO t VALUES (?, ?)');
    expect(prepare('INSERT INTO t VALUES (?, ?)')).toBe(insert);
    expect(prepare('SELECT v FROM t WHERE k = ?')).not.toBe(insert);
    db.close();
  });

  it('property: a cached statement gives what a fresh one gives, in and out of transactions', () => {
    const db = open('property.sqlite');
    const prepare = statementCache(db);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 20 }),
        (rows) => {
          db.exec('DELETE FROM t');
          db.transaction(() => {
            for (const [k, v] of rows) prepare('INSERT OR REPLACE INTO t VALUES (?, ?)').run(k, v);
          })();
          for (const [k] of rows) {
            expect(prepare('SELECT v FROM t WHERE k = ?').get(k)).toEqual(
              db.prepare('SELECT v FROM t WHERE k = ?').get(k),
            );
          }
          expect(prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({
            n: new Set(rows.map((r) => r[0])).size,
          });
        },
      ),
      { numRuns: 50 },
    );
    db.close();
  });

  it('SQL built from column lists stays bounded: past 256 texts the cache starts again, statements still work', () => {
    const db = open('bounded.sqlite');
    const prepare = statementCache(db);
    const first = prepare('SELECT 0 AS n');
    for (let i = 1; i <= 256; i++) expect(prepare(`SELECT ${i} AS n`).get()).toEqual({ n: i });
    const again = prepare('SELECT 0 AS n');
    expect(again).not.toBe(first);
    expect(again.get()).toEqual({ n: 0 });
    db.close();
  });
});
