/**
 * An in-memory IR line between two endpoints on a VirtualClock: each write occupies the line for its
 * character time at the baud rate it was sent at, and reaches the other side when its last byte has.
 * Faults come from the project's seeded PRNG: whole writes (SIR frames) dropped or hit by a bit flip,
 * or single bytes dropped or flipped.
 */
import type { VirtualClock } from '../../../firmware-sim/clock.js';
import { mulberry32 } from '../../../devices/serial/faults.js';

export interface LinkFaults {
  /** Probability that a frame (one write) is lost. */
  frameDropRate?: number;
  /** Probability that one bit of a frame (one write) is flipped. */
  frameCorruptRate?: number;
  byteDropRate?: number;
  byteCorruptRate?: number;
}

export interface LinkStats {
  writes: number;
  framesDropped: number;
  framesCorrupted: number;
  bytesDropped: number;
  bytesCorrupted: number;
}

export class VirtualIrLine {
  readonly stats: LinkStats = {
    writes: 0,
    framesDropped: 0,
    framesCorrupted: 0,
    bytesDropped: 0,
    bytesCorrupted: 0,
  };
  private freeAt = 0;
  private readonly random: () => number;
  faults: LinkFaults;

  constructor(
    private readonly clock: VirtualClock,
    private readonly deliver: (bytes: Uint8Array) => void,
    seed: number,
    faults: LinkFaults = {},
  ) {
    this.random = mulberry32(seed);
    this.faults = faults;
  }

  write = (bytes: Uint8Array, baudRate: number): void => {
    this.stats.writes++;
    const start = Math.max(this.clock.now(), this.freeAt);
    this.freeAt = start + (bytes.length * 10 * 1000) / baudRate;
    const out = this.applyFaults(bytes);
    if (!out) return;
    this.clock.setTimeout(() => this.deliver(out), this.freeAt - this.clock.now());
  };

  private applyFaults(bytes: Uint8Array): Uint8Array | undefined {
    const f = this.faults;
    if (f.frameDropRate && this.random() < f.frameDropRate) {
      this.stats.framesDropped++;
      return undefined;
    }
    const out: number[] = [];
    for (const b of bytes) {
      if (f.byteDropRate && this.random() < f.byteDropRate) {
        this.stats.bytesDropped++;
        continue;
      }
      if (f.byteCorruptRate && this.random() < f.byteCorruptRate) {
        this.stats.bytesCorrupted++;
        out.push(b ^ (1 << Math.floor(this.random() * 8)));
      } else out.push(b);
    }
    if (f.frameCorruptRate && out.length && this.random() < f.frameCorruptRate) {
      this.stats.framesCorrupted++;
      const i = Math.floor(this.random() * out.length);
      out[i] = out[i]! ^ (1 << Math.floor(this.random() * 8));
    }
    return Uint8Array.from(out);
  }
}

/** Run the virtual clock until the promise settles; fails instead of hanging after `limitMs` of virtual time. */
export async function runUntil<T>(clock: VirtualClock, promise: Promise<T>, limitMs = 600_000): Promise<T> {
  let settled = false;
  let value: T | undefined;
  let error: unknown;
  let failed = false;
  promise.then(
    (v) => {
      settled = true;
      value = v;
    },
    (e: unknown) => {
      settled = true;
      failed = true;
      error = e;
    },
  );
  const deadline = clock.now() + limitMs;
  for (;;) {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    if (settled) break;
    if (clock.now() > deadline) throw new Error(`not settled after ${limitMs} ms of virtual time`);
    if (!clock.runNext()) {
      await new Promise((r) => setImmediate(r));
      if (!settled && !clock.runNext()) throw new Error('nothing left to run and the promise is pending');
    }
  }
  if (failed) throw error;
  return value as T;
}
