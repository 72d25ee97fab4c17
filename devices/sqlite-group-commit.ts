/**
 * Group commit for a better-sqlite3 database in WAL mode. With synchronous=FULL every COMMIT calls fsync
 * on the event loop's thread, so a service spends most of its time waiting for the disk, one commit at a
 * time. Here commits run with synchronous=NORMAL (the frames reach the WAL file, not yet the platter) and
 * `durable()` flushes the WAL with one fsync on libuv's thread pool that covers every commit made before
 * it started. A service answers (or sends anything that depends on its state) only after
 * `await durable()`, so what it acknowledged is on disk exactly as with FULL; concurrent requests share
 * a flush and the event loop keeps working meanwhile.
 *
 * Why fsync of the WAL file is enough: SQLite writes a commit's frames (and the commit marker) to the WAL
 * before COMMIT returns, so after fsync they survive a power cut; with NORMAL it still syncs the WAL before
 * a checkpoint and the database after it, so a WAL that is later reset only ever drops frames already in
 * the synced database. The WAL file keeps its inode while a connection is open (reset rewrites it in
 * place), so one descriptor opened here stays valid until `close()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { holdClock, type Clock } from '../firmware-sim/clock.js';

/** A flush under way: the change count it covers. */
interface Flush {
  upTo: number;
  done: Promise<void>;
}

export class GroupCommit {
  private readonly totalChanges: Database.Statement;
  private fd: number | undefined;
  private synced: number;
  private inFlight: Flush | undefined;
  /** The flush that starts when the one in flight ends (shared by everyone who came meanwhile). */
  private queued: Promise<void> | undefined;
  private closed = false;
  private failure: Error | undefined;

  /**
   * Takes over `db` (already in WAL mode, its schema created): switches it to synchronous=NORMAL after
   * making everything written so far durable. A flush holds `clock` (Clock.hold): a virtual clock does not
   * jump over a service waiting for its disk.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly clock?: Clock,
  ) {
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal')
      throw new Error(`${file}: group commit needs journal_mode=WAL`);
    // total_changes() counts every row written on this connection: a flush is due when it moved.
    this.totalChanges = db.prepare('SELECT total_changes()').pluck();
    const wal = `${file}-wal`;
    this.fd = fs.openSync(wal, fs.constants.O_RDONLY | fs.constants.O_CREAT);
    fs.fsyncSync(this.fd);
    // The WAL's directory entry must survive too (SQLite syncs it only under FULL).
    const dir = fs.openSync(path.dirname(path.resolve(wal)), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
    db.pragma('synchronous = NORMAL');
    this.synced = this.changes();
  }

  /**
   * Resolves once every commit made before this call is on disk. Call it after the transaction, never
   * inside one. Rejects when the flush failed: the state on disk is then unknown, and nothing that
   * depends on it may be acknowledged (every later call rejects too).
   */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error(`${this.file}: closed`));
    if (this.db.inTransaction) throw new Error(`${this.file}: durable() inside a transaction`);
    const target = this.changes();
    if (target <= this.synced) return Promise.resolve();
    if (!this.inFlight) return this.flush().done;
    if (target <= this.inFlight.upTo) return this.inFlight.done;
    this.queued ??= this.inFlight.done
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        if (this.failure) throw this.failure;
        if (this.closed) throw new Error(`${this.file}: closed`);
        return this.flush().done;
      });
    return this.queued;
  }

  /** Flushes started so far (a measure for tests and benchmarks). */
  flushes = 0;

  /** Commits not yet known to be on disk (a measure for tests and benchmarks). */
  get pending(): number {
    return this.closed ? 0 : this.changes() - this.synced;
  }

  /** Closes the descriptor (after a flush under way). The database itself is the caller's to close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    const shut = () => fs.close(fd, () => undefined);
    if (this.inFlight) void this.inFlight.done.catch(() => undefined).then(shut);
    else shut();
  }

  private changes(): number {
    return this.totalChanges.get() as number;
  }

  private flush(): Flush {
    const upTo = this.changes();
    const fd = this.fd!;
    this.flushes++;
    const release = this.clock ? holdClock(this.clock) : () => {};
    const flush: Flush = {
      upTo,
      done: new Promise<void>((resolve, reject) => {
        fs.fsync(fd, (err) => {
          release();
          if (this.inFlight === flush) this.inFlight = undefined;
          if (err) {
            this.failure ??= new Error(`${this.file}: fsync of the WAL failed: ${err.message}`);
            reject(this.failure);
            return;
          }
          this.synced = Math.max(this.synced, upTo);
          resolve();
        });
      }),
    };
    this.inFlight = flush;
    return flush;
  }
}
