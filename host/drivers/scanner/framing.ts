/**
 * Framing of a scanner's serial output: `[prefix][AIM id][data][suffix]`, one label after another.
 *
 * A serial line delivers bytes in chunks of any size (a real UART paces them, USB CDC packs them, a PTY
 * hands over whatever was written), so one `data` event is never one label. Two signals end a label:
 * - the suffix (CR LF, CR, TAB…) followed by silence, or followed at once by the start of the next label
 *   (its prefix / AIM identifier, when the scanner sends one);
 * - silence longer than the inter-byte timeout, suffix or not.
 * A suffix followed by anything else is data: a CR may occur inside 2D symbols (QR, Data Matrix, PDF417).
 * The silence after a suffix need only be short (a few character times: the rest of a label follows
 * without a pause), and none at all when the label's symbology cannot carry the suffix bytes (EAN digits).
 */
import type { Clock, TimerHandle } from '../../../firmware-sim/clock.js';

/** Decides whether bytes following a suffix start a new label: true, false, or undefined (too few bytes). */
export type FrameStartPredicate = (bytes: Uint8Array) => boolean | undefined;

export interface SerialFramerOptions {
  /** The suffix the scanner appends; empty: labels end on silence only. */
  suffix: Uint8Array;
  /** Silence (ms) that ends a label. */
  interByteTimeoutMs: number;
  /** Silence (ms) after a suffix that ends a label; default interByteTimeoutMs. */
  suffixQuietMs?: number;
  /**
   * False when the label begun in `frame` cannot contain the suffix bytes as data (its symbology's character
   * set has no CR): the suffix then ends the label at once. Default: any label may.
   */
  mayContainSuffix?: (frame: Uint8Array) => boolean;
  clock: Clock;
  /** A longer label is an input error: it is dropped up to the next silence. Default 16 KiB. */
  maxFrameLength?: number;
  /**
   * Recognises the start of a label right after a suffix. Without it, every suffix ends a label at once
   * (the only choice when nothing marks where a label starts).
   */
  frameStart?: FrameStartPredicate;
  /** A complete label, without the suffix; `endedBy` says which signal ended it. */
  onFrame(frame: Buffer, endedBy: 'suffix' | 'silence'): void;
  /** A label longer than maxFrameLength was dropped. */
  onOverflow?(droppedBytes: number): void;
}

export const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024;

const AIM_FLAG = 0x5d; // ']'

/**
 * A timer that fires this much later than asked tells of a stall in this process, not of a quiet line:
 * bytes may be waiting unread, so the silence is measured again before it ends a label.
 */
const STALL_MS = 10;
const STALL_GRACE_MS = 20;

function isAsciiLetter(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function isAimModifier(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || isAsciiLetter(b);
}

/**
 * True when `bytes` start with an AIM symbology identifier (ISO/IEC 15424: `]`, a symbology letter and a
 * modifier character); undefined while fewer than three bytes are known and they could still be one.
 */
export function startsWithAimId(bytes: Uint8Array): boolean | undefined {
  const [flag, code, modifier] = bytes;
  if (flag === undefined) return undefined;
  if (flag !== AIM_FLAG) return false;
  if (code === undefined) return undefined;
  if (!isAsciiLetter(code)) return false;
  if (modifier === undefined) return undefined;
  return isAimModifier(modifier);
}

/** A frame-start predicate: the configured prefix (if any), then an AIM id (if the scanner sends them). */
export function labelStart(prefix: Uint8Array, aimId: boolean): FrameStartPredicate | undefined {
  if (prefix.length === 0 && !aimId) return undefined;
  return (bytes) => {
    const n = Math.min(prefix.length, bytes.length);
    for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return false;
    if (bytes.length < prefix.length) return undefined;
    return aimId ? startsWithAimId(bytes.subarray(prefix.length)) : true;
  };
}

function indexOfBytes(haystack: Buffer, needle: Uint8Array, from: number): number {
  return needle.length === 0 ? -1 : haystack.indexOf(needle, from);
}

export class SerialFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Where the next suffix search starts: suffixes before it were judged to be data. */
  private searchFrom = 0;
  /** Dropping an over-long label until the line falls silent. */
  private discarding = false;
  private dropped = 0;
  private timer: TimerHandle | undefined;
  private timerDue = 0;
  private readonly max: number;

  constructor(private readonly options: SerialFramerOptions) {
    this.max = options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH;
  }

  /** Bytes of a label not yet complete. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.restartTimer();
    if (this.discarding) {
      this.dropped += chunk.length;
      return;
    }
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    this.scan();
    if (this.buf.length > this.max) {
      this.discarding = true;
      this.dropped = this.buf.length;
      this.buf = Buffer.alloc(0);
      this.searchFrom = 0;
    }
  }

  /** Drop any partial label (port closed, input cleared). */
  reset(): void {
    this.cancelTimer();
    this.buf = Buffer.alloc(0);
    this.searchFrom = 0;
    this.discarding = false;
    this.dropped = 0;
  }

  dispose(): void {
    this.reset();
  }

  private scan(): void {
    const { suffix, frameStart } = this.options;
    for (;;) {
      const at = indexOfBytes(this.buf, suffix, this.searchFrom);
      if (at < 0) {
        this.searchFrom = Math.max(0, this.buf.length - suffix.length + 1);
        return;
      }
      const next = at + suffix.length;
      if (this.options.mayContainSuffix && !this.options.mayContainSuffix(this.buf.subarray(0, at))) {
        const frame = Buffer.from(this.buf.subarray(0, at));
        this.buf = this.buf.subarray(next);
        this.searchFrom = 0;
        this.emit(frame, 'suffix');
        if (this.buf.length === 0) this.cancelTimer();
        continue;
      }
      if (next === this.buf.length) {
        // Suffix at the end of what we have: a short silence will tell.
        this.searchFrom = at;
        this.restartTimer(this.options.suffixQuietMs);
        return;
      }
      const starts = frameStart ? frameStart(this.buf.subarray(next)) : true;
      if (starts === undefined) {
        this.searchFrom = at;
        return;
      }
      if (!starts) {
        this.searchFrom = at + 1;
        continue;
      }
      const frame = Buffer.from(this.buf.subarray(0, at));
      this.buf = this.buf.subarray(next);
      this.searchFrom = 0;
      this.emit(frame, 'suffix');
    }
  }

  private onSilence(): void {
    this.timer = undefined;
    const late = this.options.clock.now() - this.timerDue;
    if (late > STALL_MS) {
      this.restartTimer(STALL_GRACE_MS);
      this.timerDue = -Infinity; // one grace period per silence
      return;
    }
    if (this.discarding) {
      const dropped = this.dropped;
      this.discarding = false;
      this.dropped = 0;
      this.options.onOverflow?.(dropped);
      return;
    }
    if (this.buf.length === 0) return;
    const { suffix } = this.options;
    const endsWithSuffix =
      suffix.length > 0 &&
      this.buf.length >= suffix.length &&
      this.buf.subarray(this.buf.length - suffix.length).equals(suffix);
    const frame = Buffer.from(
      endsWithSuffix ? this.buf.subarray(0, this.buf.length - suffix.length) : this.buf,
    );
    this.buf = Buffer.alloc(0);
    this.searchFrom = 0;
    this.emit(frame, endsWithSuffix ? 'suffix' : 'silence');
  }

  private emit(frame: Buffer, endedBy: 'suffix' | 'silence'): void {
    if (frame.length === 0) return; // a bare suffix (e.g. a stray CR LF) carries no label
    this.options.onFrame(frame, endedBy);
  }

  private restartTimer(ms = this.options.interByteTimeoutMs): void {
    this.cancelTimer();
    this.timerDue = this.options.clock.now() + ms;
    this.timer = this.options.clock.setTimeout(() => this.onSilence(), ms);
  }

  private cancelTimer(): void {
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
