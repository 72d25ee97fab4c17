/**
 * vsmartcard's vpcd wire format, between pcscd's vpcd driver and a virtual card: every message is a
 * 2-byte big-endian length and that many bytes of payload. A 1-byte payload is a control code from the
 * reader; a longer one is a command APDU (reader → card) or a response APDU / ATR (card → reader).
 */

/** Control codes vpcd sends to the card. Only GET_ATR is answered (with the ATR). */
export const VpcdControl = {
  POWER_OFF: 0,
  POWER_ON: 1,
  RESET: 2,
  GET_ATR: 4,
} as const;
export type VpcdControlCode = (typeof VpcdControl)[keyof typeof VpcdControl];

/** vpcd's default TCP port for slot 0 (0x8C7B); slot n listens on this + n. */
export const VPCD_DEFAULT_PORT = 0x8c7b;

/** The largest payload a 2-byte length can announce. */
export const VPCD_MAX_PAYLOAD = 0xffff;

export type VpcdMessage = { kind: 'control'; code: number } | { kind: 'apdu'; apdu: Uint8Array };

export interface VpcdDecodeResult {
  messages: VpcdMessage[];
  /** Set when the stream broke the framing; the decoder then takes no more bytes until reset(). */
  error?: string;
}

/** Frames one payload. Throws RangeError for a payload a 2-byte length cannot carry (0 or > 65535 bytes). */
export function encodeVpcdMessage(payload: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload.length > VPCD_MAX_PAYLOAD) {
    throw new RangeError(`vpcd payload of ${payload.length} bytes: expected 1..${VPCD_MAX_PAYLOAD}`);
  }
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** Splits a byte stream into messages, whatever the TCP segmentation. Never throws. */
export class VpcdDecoder {
  private buffer = new Uint8Array(0);
  private broken: string | undefined;

  /** Bytes held while a message is incomplete. */
  get pending(): number {
    return this.buffer.length;
  }

  /** The framing error, once one happened. */
  get error(): string | undefined {
    return this.broken;
  }

  push(chunk: Uint8Array): VpcdDecodeResult {
    if (this.broken !== undefined) return { messages: [], error: this.broken };
    const data = this.buffer.length === 0 ? chunk : concat(this.buffer, chunk);
    const messages: VpcdMessage[] = [];
    let offset = 0;
    while (data.length - offset >= 2) {
      const length = ((data[offset] ?? 0) << 8) | (data[offset + 1] ?? 0);
      if (length === 0) {
        // vpcd never sends an empty message; the stream is not vpcd's (or lost its alignment).
        this.broken = `empty vpcd message at stream offset ${offset}`;
        this.buffer = new Uint8Array(0);
        return { messages, error: this.broken };
      }
      if (data.length - offset - 2 < length) break;
      // A copy as a plain Uint8Array: socket chunks are Buffers whose slices share memory.
      const payload = new Uint8Array(data.subarray(offset + 2, offset + 2 + length));
      offset += 2 + length;
      messages.push(
        payload.length === 1 ? { kind: 'control', code: payload[0] ?? 0 } : { kind: 'apdu', apdu: payload },
      );
    }
    this.buffer = new Uint8Array(data.subarray(offset));
    return { messages };
  }

  /** Forget partial input and any framing error (a new connection). */
  reset(): void {
    this.buffer = new Uint8Array(0);
    this.broken = undefined;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
