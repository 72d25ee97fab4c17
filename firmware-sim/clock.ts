/**
 * Time for firmware and services. Everything that waits takes a Clock, so CI can run on a virtual clock
 * that jumps over waits while a bench runs on the wall clock with real pacing — with the same code.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (not the epoch). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** True when waits are jumped over: emulated links then deliver at once instead of pacing. */
  readonly virtual: boolean;
  /** Real I/O happened: a virtual clock holds its jumps until the links have been quiet for a while. */
  touch(): void;
  /**
   * Work is under way that the clock must not jump over (a service handling a request: TLS, SQLite's
   * fsync). A virtual clock does not advance until the returned release is called; other clocks ignore it.
   */
  hold?(): () => void;
}

/** `clock.hold()` when the clock has it, else a no-op release. */
export function holdClock(clock: Clock): () => void {
  return clock.hold ? clock.hold() : () => {};
}

/** Runs `work` with the clock held (see Clock.hold). */
export async function whileHeld<T>(clock: Clock, work: () => Promise<T>): Promise<T> {
  const release = holdClock(clock);
  try {
    return await work();
  } finally {
    release();
  }
}

let nextId = 1;

export class SystemClock implements Clock {
  readonly virtual = false;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextId++;
    const t = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
  }

  touch(): void {}
}

interface VirtualTimer {
  id: number;
  due: number;
  seq: number;
  fn: () => void;
}

export interface VirtualClockOptions {
  /** Start time in ms. */
  start?: number;
  /**
   * When set, the clock advances by itself: once no real I/O has touched it for `quietMs` of real time,
   * it jumps to the next due timer. Without it, only `advance()` moves time (pure, deterministic tests).
   */
  autoAdvance?: { quietMs: number };
}

/** A clock whose time moves only by `advance()`, or by itself over quiet periods (autoAdvance). */
export class VirtualClock implements Clock {
  readonly virtual = true;
  private time: number;
  private seq = 0;
  private queue: VirtualTimer[] = [];
  private readonly quietMs: number | undefined;
  private lastTouch = performance.now();
  private pump: NodeJS.Timeout | undefined;
  private holds = 0;

  constructor(options: VirtualClockOptions = {}) {
    this.time = options.start ?? 0;
    this.quietMs = options.autoAdvance?.quietMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextId++;
    this.queue.push({ id, due: this.time + Math.max(0, ms), seq: this.seq++, fn });
    this.queue.sort((a, b) => a.due - b.due || a.seq - b.seq);
    this.schedulePump();
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.queue = this.queue.filter((t) => t.id !== handle.id);
  }

  touch(): void {
    this.lastTouch = performance.now();
  }

  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      // The quiet period counts from the end of the held work.
      this.touch();
    };
  }

  /** Number of holds not yet released. */
  get held(): number {
    return this.holds;
  }

  /** Number of timers waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /** Move time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.time + Math.max(0, ms);
    for (;;) {
      const next = this.queue[0];
      if (!next || next.due > target) break;
      this.queue.shift();
      this.time = next.due;
      next.fn();
    }
    this.time = target;
  }

  /** Jump to the next timer and run it (and any due at the same instant). Returns false when none waits. */
  runNext(): boolean {
    const next = this.queue[0];
    if (!next) return false;
    this.advance(next.due - this.time);
    return true;
  }

  /** Stop the self-advancing pump (the queue is kept). */
  dispose(): void {
    if (this.pump) clearTimeout(this.pump);
    this.pump = undefined;
  }

  private schedulePump(): void {
    if (this.quietMs === undefined || this.pump) return;
    const quiet = this.quietMs;
    let due = performance.now();
    const tick = (): void => {
      this.pump = undefined;
      if (this.queue.length === 0) return;
      const now = performance.now();
      // A pump that wakes up late found the thread busy (a commit, a key derivation, a handshake): that is
      // work under way, not quiet, and the I/O it queued has not run yet. Count it as activity.
      if (now - due > quiet) this.lastTouch = now;
      const idle = now - this.lastTouch;
      if (idle >= quiet && this.holds === 0) this.runNext();
      // A timer that ran may have scheduled another and with it a pump: one pump chain only.
      if (this.queue.length > 0 && !this.pump) {
        const wait = Math.max(1, quiet - Math.max(0, performance.now() - this.lastTouch));
        due = performance.now() + wait;
        this.pump = setTimeout(tick, wait);
        this.pump.unref();
      }
    };
    this.pump = setTimeout(tick, 0);
    this.pump.unref();
  }
}
