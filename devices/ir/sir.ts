/**
 * IrDA SIR framing (IrLAP 1.1 §10.1, "asynchronous wrapper"): BOF C0, the frame with C0/C1/7D escaped
 * as 7D, byte ^ 0x20, a 16-bit FCS, EOF C1. Extra BOFs (negotiated) are sent as FF before the BOF.
 * An IrDA dongle hands exactly these bytes to its host's serial port.
 */

export const SIR_BOF = 0xc0;
export const SIR_EOF = 0xc1;
export const SIR_CE = 0x7d;
export const SIR_XBOF = 0xff;
/** The CRC of a frame followed by its own FCS is always this constant. */
export const FCS_GOOD_RESIDUE = 0xf0b8;
const FCS_INIT = 0xffff;

const FCS_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** Running CRC-16-CCITT, reflected (polynomial 0x8408), from `init`; not complemented. */
export function crc16(bytes: Uint8Array, init = FCS_INIT): number {
  let crc = init;
  for (const b of bytes) crc = (crc >>> 8) ^ FCS_TABLE[(crc ^ b) & 0xff]!;
  return crc;
}

/** The FCS sent on the wire (complemented CRC); transmit low byte first. */
export function fcs16(bytes: Uint8Array): number {
  return ~crc16(bytes) & 0xffff;
}

/** Append the FCS, low byte first. */
export function withFcs(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 2);
  out.set(frame);
  const fcs = fcs16(frame);
  out[frame.length] = fcs & 0xff;
  out[frame.length + 1] = fcs >>> 8;
  return out;
}

/** True when the last two bytes are a correct FCS of the rest. */
export function checkFcs(frameWithFcs: Uint8Array): boolean {
  return frameWithFcs.length >= 2 && crc16(frameWithFcs) === FCS_GOOD_RESIDUE;
}

function escapeInto(out: number[], b: number): void {
  if (b === SIR_BOF || b === SIR_EOF || b === SIR_CE) out.push(SIR_CE, b ^ 0x20);
  else out.push(b);
}

/** Wrap an IrLAP frame (address, control, information) for the serial line. */
export function sirWrap(frame: Uint8Array, extraBofs = 0): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < extraBofs; i++) out.push(SIR_XBOF);
  out.push(SIR_BOF);
  for (const b of withFcs(frame)) escapeInto(out, b);
  out.push(SIR_EOF);
  return Uint8Array.from(out);
}

export interface SirDeframerStats {
  /** Frames with a good FCS handed on. */
  frames: number;
  /** Frames dropped for a bad FCS. */
  badFcs: number;
  /** Frames shorter than address + control + FCS. */
  runts: number;
  /** Frames given up: 7D C1 abort, a BOF inside a frame, or longer than the limit. */
  aborted: number;
}

/** A SIR receiver: feed it serial bytes in any chunking, get whole checked frames (without the FCS). */
export class SirDeframer {
  readonly stats: SirDeframerStats = { frames: 0, badFcs: 0, runts: 0, aborted: 0 };
  private buf: number[] = [];
  private state: 'hunt' | 'frame' | 'escape' | 'skip' = 'hunt';

  /** `maxFrame`: the longest frame (with FCS) accepted; longer ones are dropped. */
  constructor(private readonly maxFrame = 2048 + 2 + 2 + 8) {}

  push(bytes: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (const b of bytes) {
      if (b === SIR_BOF) {
        // Repeated BOFs are legal; a BOF after frame bytes means the end was lost.
        if (this.state === 'escape' || (this.state === 'frame' && this.buf.length > 0)) this.stats.aborted++;
        this.buf = [];
        this.state = 'frame';
        continue;
      }
      if (this.state === 'hunt' || this.state === 'skip') continue;
      if (b === SIR_EOF) {
        if (this.state === 'escape') this.stats.aborted++;
        else this.finish(frames);
        this.buf = [];
        this.state = 'hunt';
        continue;
      }
      if (this.state === 'escape') {
        this.buf.push(b ^ 0x20);
        this.state = 'frame';
      } else if (b === SIR_CE) {
        this.state = 'escape';
        continue;
      } else {
        this.buf.push(b);
      }
      if (this.buf.length > this.maxFrame) {
        this.stats.aborted++;
        this.buf = [];
        this.state = 'skip';
      }
    }
    return frames;
  }

  private finish(frames: Uint8Array[]): void {
    if (this.buf.length === 0) return;
    if (this.buf.length < 4) {
      this.stats.runts++;
      return;
    }
    const bytes = Uint8Array.from(this.buf);
    if (!checkFcs(bytes)) {
      this.stats.badFcs++;
      return;
    }
    this.stats.frames++;
    frames.push(bytes.subarray(0, bytes.length - 2));
  }
}
