/**
 * Fault injection on a serial line, per direction, from a seeded PRNG so that a failing run can be
 * replayed byte for byte.
 */

export interface DirectionFaults {
  /** Probability that a byte is lost (0..1). */
  dropRate?: number;
  /** Probability that a byte that is kept has one random data bit flipped (0..1). */
  corruptRate?: number;
  /** Extra latency added to every chunk (a write toward the host; a read from the host), in ms. */
  delayMs?: number;
  /** Deliver each chunk in random pieces with small gaps: breaks hosts that take one read for one message. */
  splitWrites?: boolean;
}

export interface FaultSettings {
  /** Device → host. */
  toHost?: DirectionFaults;
  /** Host → device. */
  fromHost?: DirectionFaults;
}

export interface DirectionStats {
  /** Bytes offered to the line (before faults). */
  bytes: number;
  dropped: number;
  corrupted: number;
  /** Bytes thrown away because the device was unplugged or closed while they waited. */
  discarded: number;
}

/** Piece sizes and gaps used by `splitWrites`. */
const SPLIT_MAX_PIECE = 8;
const SPLIT_MAX_GAP_MS = 4;

/** mulberry32: tiny, fast, good enough for fault dice; same seed, same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Throws a RangeError naming the bad field; settings come from bench files and the control API. */
export function validateFaults(f: FaultSettings): void {
  for (const dir of ['toHost', 'fromHost'] as const) {
    const d = f[dir];
    if (!d) continue;
    for (const key of ['dropRate', 'corruptRate'] as const) {
      const v = d[key];
      if (v !== undefined && !(v >= 0 && v <= 1)) {
        throw new RangeError(`faults.${dir}.${key}: expected a probability from 0 to 1, got ${v}`);
      }
    }
    if (d.delayMs !== undefined && !(d.delayMs >= 0 && Number.isFinite(d.delayMs))) {
      throw new RangeError(`faults.${dir}.delayMs: expected a finite number of ms >= 0, got ${d.delayMs}`);
    }
  }
}

export interface Piece {
  bytes: Buffer;
  /** Idle line time before this piece. */
  gapMs: number;
}

/** Applies one direction's faults. Each direction has its own PRNG so host timing cannot reorder dice. */
export class FaultInjector {
  readonly stats: DirectionStats = { bytes: 0, dropped: 0, corrupted: 0, discarded: 0 };
  private readonly random: () => number;

  constructor(
    seed: number,
    public settings: DirectionFaults = {},
  ) {
    this.random = mulberry32(seed);
  }

  /** Drop and corrupt bytes; flipped bits stay within the character's data bits. */
  apply(bytes: Uint8Array, dataBits: number): Buffer {
    this.stats.bytes += bytes.length;
    const { dropRate = 0, corruptRate = 0 } = this.settings;
    if (dropRate === 0 && corruptRate === 0) return Buffer.from(bytes);
    const out: number[] = [];
    for (const b of bytes) {
      if (dropRate > 0 && this.random() < dropRate) {
        this.stats.dropped++;
        continue;
      }
      if (corruptRate > 0 && this.random() < corruptRate) {
        this.stats.corrupted++;
        out.push(b ^ (1 << Math.floor(this.random() * dataBits)));
      } else {
        out.push(b);
      }
    }
    return Buffer.from(out);
  }

  /** The chunk as pieces to deliver: one piece, or random pieces with gaps under `splitWrites`. */
  split(bytes: Buffer): Piece[] {
    if (!this.settings.splitWrites || bytes.length <= 1) return [{ bytes, gapMs: 0 }];
    const pieces: Piece[] = [];
    for (let at = 0; at < bytes.length;) {
      const size = 1 + Math.floor(this.random() * SPLIT_MAX_PIECE);
      const gapMs = at === 0 ? 0 : 1 + Math.floor(this.random() * SPLIT_MAX_GAP_MS);
      pieces.push({ bytes: bytes.subarray(at, at + size), gapMs });
      at += size;
    }
    return pieces;
  }
}
