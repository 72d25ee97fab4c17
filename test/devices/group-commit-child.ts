/**
 * Child of sqlite-group-commit.test.ts: commits `count` rows from eight concurrent "requests", each
 * telling on stdout (one write(2) per line) when its row is committed and, only after `durable()`, acknowledging it. Prints the descriptors
 * that point at the WAL first, so a tracer can tell SQLite's writes and the flushes apart.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { GroupCommit } from '../../devices/sqlite-group-commit.js';

const [file, countText] = process.argv.slice(2) as [string, string];
const count = Number(countText);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)');
const commits = new GroupCommit(db, file);
const walFds = fs
  .readdirSync('/proc/self/fd')
  .filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith('-wal');
    } catch {
      return false;
    }
  })
  .join(',');
fs.writeSync(1, `WAL_FDS ${walFds}\n`);
const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
let next = 1;
async function request(): Promise<void> {
  while (next <= count) {
    const k = next++;
    insert.run(k, `row ${k}`);
    fs.writeSync(1, `COMMIT ${k}\n`);
    await commits.durable();
    fs.writeSync(1, `ACK ${k}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, request));
commits.close();
db.close();
