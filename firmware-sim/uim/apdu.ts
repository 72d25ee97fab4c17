/**
 * Command and response APDUs (ISO/IEC 7816-3 §12.1, 7816-4 §5.1): parsing the four cases in short and
 * extended form, and building responses. Used by the card (which answers malformed commands with a status
 * word, never an exception) and by host readers (which build commands).
 *
 * Short:    CLA INS P1 P2                      case 1
 *           CLA INS P1 P2 Le                   case 2 (Le 00 = 256)
 *           CLA INS P1 P2 Lc data              case 3 (Lc 01–FF)
 *           CLA INS P1 P2 Lc data Le           case 4
 * Extended: CLA INS P1 P2 00 Le1 Le2           case 2E (Le 0000 = 65536)
 *           CLA INS P1 P2 00 Lc1 Lc2 data      case 3E
 *           CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2   case 4E
 *
 * Under T=0 a reader sends case-4 commands without Le (the card answers 61xx/9Fxx and the host fetches the
 * data with GET RESPONSE); both forms parse here, and the card treats them the same.
 */
import { SW, swBytes } from './codecs.js';

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (Lc bytes); empty when Lc is absent. */
  data: Uint8Array;
  /** True when an Lc field was present (an empty VERIFY differs from a VERIFY with data). */
  hasLc: boolean;
  /** Ne, the maximum response length: undefined when Le is absent; short Le 00 → 256, extended 0000 → 65536. */
  ne: number | undefined;
  extended: boolean;
  case: 1 | 2 | 3 | 4;
}

export type ApduParseResult = { ok: true; apdu: CommandApdu } | { ok: false; sw: number; error: string };

/** Parses a command APDU; a malformed one yields the status word a card answers it with (6700). */
export function parseCommandApdu(bytes: Uint8Array): ApduParseResult {
  const bad = (error: string): ApduParseResult => ({ ok: false, sw: SW.WRONG_LENGTH, error });
  if (bytes.length < 4) return bad(`a command APDU has at least 4 bytes, got ${bytes.length}`);
  const head = { cla: bytes[0]!, ins: bytes[1]!, p1: bytes[2]!, p2: bytes[3]! };
  const body = bytes.subarray(4);
  const make = (
    c: 1 | 2 | 3 | 4,
    data: Uint8Array,
    ne: number | undefined,
    extended: boolean,
  ): ApduParseResult => ({
    ok: true,
    apdu: { ...head, data: Uint8Array.from(data), hasLc: c >= 3, ne, extended, case: c },
  });
  if (body.length === 0) return make(1, new Uint8Array(0), undefined, false);
  const b0 = body[0]!;
  if (body.length === 1) return make(2, new Uint8Array(0), b0 === 0 ? 256 : b0, false);
  if (b0 !== 0) {
    // Short case 3 or 4.
    const lc = b0;
    if (body.length === 1 + lc) return make(3, body.subarray(1), undefined, false);
    if (body.length === 2 + lc) {
      const le = body[1 + lc]!;
      return make(4, body.subarray(1, 1 + lc), le === 0 ? 256 : le, false);
    }
    return bad(`Lc ${lc} does not match the ${body.length - 1} bytes that follow it`);
  }
  // b0 = 00 and more bytes follow: extended length.
  if (body.length === 3) {
    const le = (body[1]! << 8) | body[2]!;
    return make(2, new Uint8Array(0), le === 0 ? 65536 : le, true);
  }
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) return bad('extended Lc 0000 is not allowed');
  if (body.length === 3 + lc) return make(3, body.subarray(3), undefined, true);
  if (body.length === 5 + lc) {
    const le = (body[3 + lc]! << 8) | body[4 + lc]!;
    return make(4, body.subarray(3, 3 + lc), le === 0 ? 65536 : le, true);
  }
  return bad(`extended Lc ${lc} does not match the ${body.length - 3} bytes that follow it`);
}

export interface CommandApduFields {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  /** Ne; 256 is sent as short Le 00. Omit for no Le. */
  ne?: number;
  /** Force the extended form (chosen automatically when data > 255 bytes or Ne > 256). */
  extended?: boolean;
}

/** Builds a command APDU (host side). */
export function encodeCommandApdu(c: CommandApduFields): Uint8Array {
  const data = c.data ?? new Uint8Array(0);
  if (data.length > 65535) throw new RangeError('command data longer than 65535 bytes');
  if (c.ne !== undefined && (c.ne < 1 || c.ne > 65536)) throw new RangeError(`Ne ${c.ne} out of range`);
  const extended = c.extended || data.length > 255 || (c.ne ?? 0) > 256;
  const out: number[] = [c.cla & 0xff, c.ins & 0xff, c.p1 & 0xff, c.p2 & 0xff];
  if (!extended) {
    if (data.length > 0) out.push(data.length, ...data);
    if (c.ne !== undefined) out.push(c.ne & 0xff);
  } else {
    if (data.length > 0) out.push(0, data.length >> 8, data.length & 0xff, ...data);
    if (c.ne !== undefined) {
      if (data.length === 0) out.push(0);
      out.push((c.ne >> 8) & 0xff, c.ne & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** A response APDU: data followed by SW1 SW2. */
export function responseApdu(sw: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out.set(swBytes(sw), data.length);
  return out;
}

export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
}

/** Splits a response APDU; undefined when it has fewer than two bytes. */
export function parseResponseApdu(bytes: Uint8Array): ResponseApdu | undefined {
  if (bytes.length < 2) return undefined;
  const n = bytes.length;
  return { data: bytes.slice(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}
