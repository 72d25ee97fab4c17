/**
 * Where a benchmark's time goes, measured in the one process that runs every part: the synchronous time
 * of SQLite commits and of other statements, of PBKDF2 and of signatures; the calls handed to libuv's
 * thread pool (the group commits' fsync, the UIM's PBKDF2, the gateway's mail signature), counted with
 * what handing them over costs this thread; the number of TLS handshakes clients start, the process's CPU
 * time (every thread, and the main thread alone) and how busy its event loop was. Wrapping costs a few microseconds a call; it is a
 * measuring instrument, not a test double: every call still runs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import tls from 'node:tls';

export interface MeterTotals {
  /** Milliseconds spent inside each kind of synchronous call. */
  syncMs: Record<string, number>;
  calls: Record<string, number>;
  tlsHandshakes: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  wallMs: number;
  /** Share of the window the event loop was running something (CPU or a synchronous fsync). */
  eventLoopBusy: number;
  /**
   * CPU time of the main thread alone (user + system), from Linux's per-thread counters; undefined where
   * they cannot be read. What the event loop counts as busy includes time the thread was runnable but
   * preempted by the thread pool; this is the time it really ran.
   */
  mainThreadCpuMs?: number;
}

/**
 * CPU milliseconds of the main thread so far: fields 14 and 15 (utime, stime) of
 * /proc/self/task/<pid>/stat, in clock ticks of 1/100 s (USER_HZ, which Linux fixes at 100 for /proc).
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

const syncMs: Record<string, number> = {};
const calls: Record<string, number> = {};
let handshakes = 0;
let installed = false;

interface SqliteStatement {
  source: string;
  reader: boolean;
  database: { inTransaction: boolean };
}

/**
 * A statement that ends with a durable commit (and so an fsync, synchronous=FULL): COMMIT, or a write
 * outside a transaction (autocommit).
 */
function commits(this: unknown): boolean {
  const st = this as SqliteStatement;
  const sql = st.source.trimStart().slice(0, 6).toUpperCase();
  if (sql === 'COMMIT') return true;
  return !st.reader && !st.database.inTransaction && sql !== 'BEGIN' && sql !== 'SAVEPO';
}

/** A call given a callback: crypto.sign then runs on the thread pool. */
function pooled(this: unknown, ...args: unknown[]): boolean {
  return typeof args[args.length - 1] === 'function';
}

function wrap<T extends object>(
  target: T,
  name: keyof T & string,
  kind: string,
  special?: { kind: string; test: (this: unknown, ...args: unknown[]) => boolean },
): void {
  const original = target[name] as unknown as (...args: unknown[]) => unknown;
  (target as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    const k = special?.test.call(this, ...args) ? special.kind : kind;
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      syncMs[k] = (syncMs[k] ?? 0) + performance.now() - t0;
      calls[k] = (calls[k] ?? 0) + 1;
    }
  };
}

/** Installs the wrappers once per process. */
export function installMeter(): void {
  if (installed) return;
  installed = true;
  const Database = createRequire(import.meta.url)('better-sqlite3') as {
    prototype: object;
    new (f: string): { prepare(s: string): object; close(): void };
  };
  const db = new Database(':memory:');
  const Statement = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, unknown>;
  db.close();
  wrap(Statement, 'run', 'sqlite other', { kind: 'sqlite commit', test: commits });
  for (const m of ['get', 'all'] as const) wrap(Statement, m, 'sqlite other');
  wrap(Database.prototype as Record<string, unknown>, 'exec', 'sqlite other');
  wrap(Database.prototype as Record<string, unknown>, 'pragma', 'sqlite other');
  wrap(crypto, 'pbkdf2Sync', 'pbkdf2');
  // Work handed to libuv's thread pool: counted, and its (small) cost on this thread timed.
  wrap(crypto, 'pbkdf2', 'pbkdf2 (pool)');
  wrap(crypto, 'sign', 'sign/verify', { kind: 'sign (pool)', test: pooled });
  wrap(crypto, 'verify', 'sign/verify');
  wrap(fs, 'fsync', 'fsync (pool)');
  for (const m of ['verify', 'checkIssued', 'checkHost'] as const)
    wrap(crypto.X509Certificate.prototype, m, 'x509');
  syncBuiltinESMExports();
  const connect = tls.connect;
  (tls as { connect: typeof tls.connect }).connect = ((...args: Parameters<typeof tls.connect>) => {
    handshakes++;
    return connect(...args);
  }) as typeof tls.connect;
}

/** Milliseconds of one durable commit of a lone row on this disk now (WAL, synchronous=FULL). */
export function commitBaselineMs(file: string, n = 50): number {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => {
    pragma(s: string): unknown;
    exec(s: string): void;
    prepare(s: string): { run(...a: unknown[]): unknown };
    close(): void;
  };
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (x)');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) insert.run(i);
  const ms = (performance.now() - t0) / n;
  db.close();
  return ms;
}

/** Starts a measurement window; `stop()` gives what happened inside it. */
export function meter(): { stop(): MeterTotals } {
  const s0 = { ...syncMs };
  const c0 = { ...calls };
  const h0 = handshakes;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const main0 = mainThreadCpuMs();
  const w0 = performance.now();
  return {
    stop() {
      const cpu = process.cpuUsage(cpu0);
      const main1 = mainThreadCpuMs();
      const diff = (a: Record<string, number>, b: Record<string, number>) =>
        Object.fromEntries(Object.keys(a).map((k) => [k, a[k]! - (b[k] ?? 0)]));
      return {
        syncMs: diff(syncMs, s0),
        calls: diff(calls, c0),
        tlsHandshakes: handshakes - h0,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        wallMs: performance.now() - w0,
        eventLoopBusy: performance.eventLoopUtilization(elu0).utilization,
        ...(main0 !== undefined && main1 !== undefined ? { mainThreadCpuMs: main1 - main0 } : {}),
      };
    },
  };
}
