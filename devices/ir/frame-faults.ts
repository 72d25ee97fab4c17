/**
 * Fault injection at the granularity IrDA talks about: whole SIR frames. A corrupted frame has one bit of
 * one payload byte flipped, so the receiver's FCS check throws it away (as a burst of infrared noise does);
 * a dropped frame never reaches the line. Seeded, like the serial faults, so a run replays exactly.
 */
import { mulberry32 } from '../serial/faults.js';

export interface IrFrameFaults {
  /** Probability that a frame is corrupted (0..1). */
  corruptRate?: number;
  /** Probability that a frame is lost (0..1). */
  dropRate?: number;
}

export interface IrFrameFaultStats {
  frames: number;
  corrupted: number;
  dropped: number;
}

const BOF = 0xc0;
const EOF = 0xc1;
const CE = 0x7d;

export class IrFrameFaultInjector {
  readonly stats: IrFrameFaultStats = { frames: 0, corrupted: 0, dropped: 0 };
  private readonly random: () => number;
  /** Inbound: flip a bit of the next payload byte of the frame being received. */
  private corruptNext = false;

  constructor(
    private settings: IrFrameFaults,
    seed: number,
  ) {
    this.random = mulberry32(seed ^ 0x1ad0);
    this.set(settings);
  }

  set(settings: IrFrameFaults): void {
    for (const k of ['corruptRate', 'dropRate'] as const) {
      const v = settings[k];
      if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${k}: expected 0..1, got ${v}`);
    }
    this.settings = { ...settings };
  }

  get current(): IrFrameFaults {
    return { ...this.settings };
  }

  /** One whole SIR frame (BOFs … EOF) leaving the device: as is, corrupted, or undefined (dropped). */
  outbound(frame: Uint8Array): Uint8Array | undefined {
    const { corruptRate = 0, dropRate = 0 } = this.settings;
    this.stats.frames++;
    if (dropRate > 0 && this.random() < dropRate) {
      this.stats.dropped++;
      return undefined;
    }
    if (corruptRate > 0 && this.random() < corruptRate) {
      const payload: number[] = [];
      frame.forEach((b, i) => {
        if (b !== BOF && b !== EOF && b !== CE && b !== 0xff) payload.push(i);
      });
      const at = payload[Math.floor(this.random() * payload.length)];
      if (at !== undefined) {
        const out = Uint8Array.from(frame);
        out[at] = corruptByte(out[at]!, this.random);
        this.stats.corrupted++;
        return out;
      }
    }
    return frame;
  }

  /** Bytes arriving from the host, in any chunks: frames are recognised by their BOF. */
  inbound(bytes: Uint8Array): Uint8Array {
    const { corruptRate = 0 } = this.settings;
    if (corruptRate === 0) return bytes;
    const out = Uint8Array.from(bytes);
    for (let i = 0; i < out.length; i++) {
      const b = out[i]!;
      if (b === BOF) {
        if (out[i + 1] !== BOF) {
          this.stats.frames++;
          this.corruptNext = this.random() < corruptRate;
        }
      } else if (this.corruptNext && b !== EOF && b !== CE) {
        out[i] = corruptByte(b, this.random);
        this.stats.corrupted++;
        this.corruptNext = false;
      }
    }
    return out;
  }
}

/** One bit flipped, never into a framing byte (that would be a different fault: a split frame). */
function corruptByte(b: number, random: () => number): number {
  for (let tries = 0; tries < 8; tries++) {
    const c = b ^ (1 << Math.floor(random() * 8));
    if (c !== BOF && c !== EOF && c !== CE) return c;
  }
  return b ^ 0x01 ^ 0x02;
}
