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

/** Timer order: due time, then the order they were set in. */
const earlier = (a: VirtualTimer, b: VirtualTimer): boolean =>
  a.due < b.due || (a.due === b.due && a.seq < b.seq);

/**
 * The timers of a virtual clock as a binary min-heap. A bench with a hundred phones keeps hundreds of
 * timers, most of them cleared before they fall due (a two-minute timeout per request): a sorted array
 * re-sorted on every set and filtered on every clear made each of those O(n). A cleared timer stays in
 * the heap, marked by its absence from `live`, and is dropped when it reaches the top or at a compaction.
 */
class TimerHeap {
  private heap: VirtualTimer[] = [];
  private readonly live = new Map<number, VirtualTimer>();

  get size(): number {
    return this.live.size;
  }

  push(timer: VirtualTimer): void {
    this.live.set(timer.id, timer);
    this.heap.push(timer);
    this.up(this.heap.length - 1);
  }

  delete(id: number): void {
    if (!this.live.delete(id)) return;
    // Cleared entries may outnumber live ones only boundedly: rebuild once they pass both.
    if (this.heap.length > 64 && this.heap.length > 2 * this.live.size) this.rebuild();
  }

  /** The next live timer, without removing it. */
  peek(): VirtualTimer | undefined {
    this.dropCleared();
    return this.heap[0];
  }

  /** Removes and returns the next live timer. */
  shift(): VirtualTimer | undefined {
    this.dropCleared();
    const top = this.heap[0];
    if (!top) return undefined;
    this.removeTop();
    this.live.delete(top.id);
    return top;
  }

  private dropCleared(): void {
    while (this.heap.length > 0 && this.live.get(this.heap[0]!.id) !== this.heap[0]) this.removeTop();
  }

  private removeTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private rebuild(): void {
    this.heap = [...this.live.values()];
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private up(i: number): void {
    const h = this.heap;
    const t = h[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(t, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = t;
  }

  private down(i: number): void {
    const h = this.heap;
    const t = h[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= h.length) break;
      const right = left + 1;
      const child = right < h.length && earlier(h[right]!, h[left]!) ? right : left;
      if (!earlier(h[child]!, t)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = t;
  }
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
  private readonly queue = new TimerHeap();
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
    this.schedulePump();
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.queue.delete(handle.id);
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
    return this.queue.size;
  }

  /** Move time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.time + Math.max(0, ms);
    for (;;) {
      const next = this.queue.peek();
      if (!next || next.due > target) break;
      this.queue.shift();
      this.time = next.due;
      next.fn();
    }
    this.time = target;
  }

  /** Jump to the next timer and run it (and any due at the same instant). Returns false when none waits. */
  runNext(): boolean {
    const next = this.queue.peek();
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
      if (this.queue.size === 0) return;
      const now = performance.now();
      // A pump that wakes up late found the thread busy (a commit, a key derivation, a handshake): that is
      // work under way, not quiet, and the I/O it queued has not run yet. Count it as activity.
      if (now - due > quiet) this.lastTouch = now;
      const idle = now - this.lastTouch;
      if (idle >= quiet && this.holds === 0) this.runNext();
      // A timer that ran may have scheduled another and with it a pump: one pump chain only.
      if (this.queue.size > 0 && !this.pump) {
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
