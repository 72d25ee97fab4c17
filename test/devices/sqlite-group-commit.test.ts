/**
 * Group commit on a real SQLite file: one flush covers the commits made before it, a commit made during a
 * flush waits for the next one, and — watched by strace from outside the process — every acknowledgement
 * comes after an fsync of the WAL that followed its commit. A child killed with SIGKILL loses nothing it
 * acknowledged.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../devices/sqlite-group-commit.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-group-commit-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function open(name: string): { db: Database.Database; commits: GroupCommit; file: string } {
  const file = path.join(dir, name);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)');
  return { db, commits: new GroupCommit(db, file), file };
}

const STRACE = spawnSync('strace', ['-V']).status === 0;

describe('GroupCommit', () => {
  it('runs the database with synchronous=NORMAL once it takes over', () => {
    const { db, commits } = open('mode.sqlite');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    commits.close();
    db.close();
  });

  it('refuses a database that is not in WAL mode', () => {
    const file = path.join(dir, 'rollback.sqlite');
    const db = new Database(file);
    expect(() => new GroupCommit(db, file)).toThrow(/journal_mode=WAL/);
    db.close();
  });

  it('flushes nothing when nothing was committed since the last flush', async () => {
    const { db, commits } = open('idle.sqlite');
    await commits.durable();
    expect(commits.flushes).toBe(0);
    db.prepare('INSERT INTO t (v) VALUES (?)').run('a');
    expect(commits.pending).toBe(1);
    await commits.durable();
    await commits.durable();
    expect(commits.flushes).toBe(1);
    expect(commits.pending).toBe(0);
    commits.close();
    db.close();
  });

  it('covers every commit made before a flush with that one flush', async () => {
    const { db, commits } = open('before.sqlite');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 10; i++) insert.run(`a${i}`);
    await Promise.all(Array.from({ length: 10 }, () => commits.durable()));
    expect(commits.flushes).toBe(1);
    expect(commits.pending).toBe(0);
    commits.close();
    db.close();
  });

  it('makes a commit that comes during a flush wait for the next one, shared by all who came meanwhile', async () => {
    const { db, commits } = open('during.sqlite');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    insert.run('first');
    const first = commits.durable();
    const later: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      insert.run(`b${i}`);
      later.push(commits.durable());
    }
    await first;
    // The first flush covered only the first row.
    expect(commits.pending).toBeGreaterThan(0);
    await Promise.all(later);
    expect(commits.flushes).toBe(2);
    expect(commits.pending).toBe(0);
    commits.close();
    db.close();
  });

  it('refuses to be awaited inside a transaction, and rejects once closed', async () => {
    const { db, commits } = open('misuse.sqlite');
    expect(() =>
      db.transaction(() => {
        db.prepare('INSERT INTO t (v) VALUES (?)').run('x');
        void commits.durable();
      })(),
    ).toThrow(/inside a transaction/);
    commits.close();
    await expect(commits.durable()).rejects.toThrow(/closed/);
    db.close();
  });

  it.skipIf(!STRACE)(
    'every acknowledgement follows an fsync of the WAL that came after its commit (strace)',
    async () => {
      const script = path.join(ROOT, 'test/devices/group-commit-child.ts');
      const file = path.join(dir, 'strace.sqlite');
      const r = spawnSync(
        'strace',
        [
          '-f',
          '-qq',
          '-e',
          'trace=fsync,fdatasync,write,pwrite64',
          '-e',
          'signal=none',
          process.execPath,
          '--import',
          'tsx',
          script,
          file,
          '40',
        ],
        { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      const walFds = (/WAL_FDS ([\d,]+)/.exec(r.stdout)?.[1] ?? '').split(',').filter(Boolean);
      // SQLite's own descriptor (its writes) and GroupCommit's (its flushes).
      expect(walFds.length).toBe(2);
      const fd = `(?:${walFds.join('|')})`;
      const write = new RegExp(`^pwrite64\\(${fd},`);
      const syncStart = new RegExp(`^f(?:data)?sync\\(${fd}[) ]`);
      const syncEnd = /^(?:f(?:data)?sync\(\d+\)|<\.\.\. f(?:data)?sync resumed>\)) += 0/;
      // strace's lines in order: SQLite's pwrite64 of frames to the WAL, the flushes (started on a pool
      // thread, possibly finished on a later line), and the child's own "COMMIT n" and "ACK n" lines to stdout
      // (fd 1). A flush covers the writes made before it started, once it has finished.
      let written = 0;
      let synced = 0;
      let flushes = 0;
      const started = new Map<string, number>();
      const committedAt = new Map<number, number>();
      const acks: { n: number; ok: boolean }[] = [];
      for (const line of r.stderr.split('\n')) {
        const pid = /^\[pid\s+(\d+)\]/.exec(line)?.[1] ?? 'main';
        const body = line.replace(/^\[pid\s+\d+\]\s*/, '');
        if (write.test(body)) written++;
        if (syncStart.test(body)) {
          flushes++;
          started.set(pid, written);
        }
        if (syncEnd.test(body) && started.has(pid)) {
          synced = Math.max(synced, started.get(pid)!);
          started.delete(pid);
        }
        const commit = /^write\(1, "COMMIT (\d+)\\n"/.exec(body);
        if (commit) committedAt.set(Number(commit[1]), written);
        const ack = /^write\(1, "ACK (\d+)\\n"/.exec(body);
        if (ack) acks.push({ n: Number(ack[1]), ok: synced >= committedAt.get(Number(ack[1]))! });
      }
      expect(acks.length).toBe(40);
      // No acknowledgement before a flush that started after its commit's frames were written had ended.
      expect(acks.filter((a) => !a.ok)).toEqual([]);
      // And the 40 commits were grouped into fewer flushes (the first one is GroupCommit taking over).
      expect(flushes).toBeLessThan(40);
    },
  );

  it('a child killed with SIGKILL keeps every row it acknowledged', async () => {
    const script = path.join(ROOT, 'test/devices/group-commit-child.ts');
    const file = path.join(dir, 'killed.sqlite');
    const child = spawn(process.execPath, ['--import', 'tsx', script, file, '100000'], { cwd: ROOT });
    const acked: number[] = [];
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        for (const m of out.matchAll(/ACK (\d+)\n/g)) acked.push(Number(m[1]));
        out = out.slice(out.lastIndexOf('\n') + 1);
        if (acked.length >= 300 && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(acked.length).toBeGreaterThanOrEqual(300);
    const db = new Database(file, { readonly: true });
    const have = new Set(db.prepare('SELECT k FROM t').pluck().all() as number[]);
    db.close();
    expect(acked.filter((k) => !have.has(k))).toEqual([]);
  });
});
