/**
 * Releases bytes onto a serial line in order. Paced (wall clock): each character occupies the line for
 * its character time, and every byte whose due time has passed goes out; due times come from a cursor
 * (when the line becomes free), not from when a timer fired, so late timers never add drift.
 * Unpaced (virtual clock): bytes go out at once; only explicit gaps and delays take (virtual) time.
 */
import type { Clock, TimerHandle } from '../../firmware-sim/clock.js';

export interface PacerOptions {
  clock: Clock;
  paced: boolean;
  characterTimeMs: () => number;
  /** Hand bytes to the other side; returns how many it took (fewer when the PTY buffer is full). */
  deliver: (chunk: Buffer) => number;
}

interface Item {
  bytes: Buffer;
  offset: number;
  /** Earliest start (enqueue time + fault delay). */
  notBefore: number;
  /** Idle line time before this item (split-write gaps). */
  gapMs: number;
  started: boolean;
  done?: () => void;
}

/** How long to wait before retrying a PTY whose buffer is full (the host is not reading). */
const BACKPRESSURE_RETRY_MS = 2;
/**
 * Node's timers fire a millisecond or more late, which at 9600 baud is a whole character: waits shorter than
 * this are finished by yielding with setImmediate (I/O still runs in between) until the due time.
 */
const PRECISE_WAIT_MS = 2;

export class LinePacer {
  private queue: Item[] = [];
  private lineFreeAt = -Infinity;
  private timer: TimerHandle | undefined;
  private retry: NodeJS.Timeout | undefined;
  private precise: NodeJS.Immediate | undefined;

  constructor(private readonly options: PacerOptions) {}

  /** Queue bytes; `done` runs when the last of them has been delivered. */
  enqueue(bytes: Buffer, opts: { delayMs?: number; gapMs?: number; done?: () => void } = {}): void {
    this.queue.push({
      bytes,
      offset: 0,
      notBefore: this.options.clock.now() + (opts.delayMs ?? 0),
      gapMs: opts.gapMs ?? 0,
      started: false,
      ...(opts.done ? { done: opts.done } : {}),
    });
    if (this.timer === undefined && this.retry === undefined && this.precise === undefined) this.pump();
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Throw away everything queued (unplug, close); returns the number of bytes never delivered. */
  clear(): number {
    const { clock } = this.options;
    clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    if (this.precise) clearImmediate(this.precise);
    this.precise = undefined;
    let lost = 0;
    for (const item of this.queue) {
      lost += item.bytes.length - item.offset;
      item.done?.();
    }
    this.queue = [];
    this.lineFreeAt = -Infinity;
    return lost;
  }

  private pump(): void {
    this.timer = undefined;
    this.retry = undefined;
    this.precise = undefined;
    const { clock, paced, deliver } = this.options;
    for (;;) {
      const item = this.queue[0];
      if (!item) return;
      if (item.offset >= item.bytes.length) {
        this.queue.shift();
        item.done?.();
        continue;
      }
      const now = clock.now();
      if (!item.started) {
        const start = Math.max(this.lineFreeAt + item.gapMs, item.notBefore);
        if (start > now) return this.wait(start - now);
        item.started = true;
        this.lineFreeAt = start;
      }
      let count = item.bytes.length - item.offset;
      const charMs = this.options.characterTimeMs();
      if (paced) {
        // Byte k (from the cursor) has fully left the line at cursor + k * charMs.
        count = Math.min(count, Math.floor((now - this.lineFreeAt) / charMs + 1e-9));
        if (count <= 0) return this.wait(this.lineFreeAt + charMs - now);
      }
      const taken = deliver(item.bytes.subarray(item.offset, item.offset + count));
      clock.touch();
      item.offset += taken;
      this.lineFreeAt = paced ? this.lineFreeAt + taken * charMs : now;
      if (taken < count) {
        // The host is not reading: real I/O, so wait on a real timer and keep the virtual clock held.
        this.retry = setTimeout(() => this.pump(), BACKPRESSURE_RETRY_MS);
        this.retry.unref();
        return;
      }
    }
  }

  private wait(ms: number): void {
    const { clock, paced } = this.options;
    if (!paced || clock.virtual || ms > PRECISE_WAIT_MS) {
      this.timer = clock.setTimeout(() => this.pump(), ms);
      return;
    }
    const due = clock.now() + ms;
    const spin = (): void => {
      if (clock.now() >= due) this.pump();
      else this.precise = setImmediate(spin);
    };
    this.precise = setImmediate(spin);
  }
}
