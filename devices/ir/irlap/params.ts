/**
 * IrLAP negotiation parameters (IrLAP 1.1 §6.6.1), carried in SNRM and UA as PI/PL/PV triplets with a
 * bit field for each value. Type 0 parameters (baud rate, link disconnect threshold) must agree: both
 * stations use the highest bit both offered. Type 1 parameters describe what one station can receive
 * or needs; the other station obeys the highest bit offered.
 */

export const PI_BAUD_RATE = 0x01;
export const PI_MAX_TURN_TIME = 0x82;
export const PI_DATA_SIZE = 0x83;
export const PI_WINDOW_SIZE = 0x84;
export const PI_ADDITIONAL_BOFS = 0x85;
export const PI_MIN_TURN_TIME = 0x86;
export const PI_LINK_DISCONNECT = 0x08;

/** Values of bits 0..n of each parameter's bit field. */
export const BAUD_RATES = [2400, 9600, 19200, 38400, 57600, 115200, 576000, 1152000, 4000000] as const;
export const MAX_TURN_TIMES_MS = [500, 250, 100, 50] as const;
export const DATA_SIZES = [64, 128, 256, 512, 1024, 2048] as const;
export const WINDOW_SIZES = [1, 2, 3, 4, 5, 6, 7] as const;
export const ADDITIONAL_BOFS = [48, 24, 12, 5, 3, 2, 1, 0] as const;
export const MIN_TURN_TIMES_US = [10000, 5000, 1000, 500, 100, 50, 10, 0] as const;
export const LINK_DISCONNECT_S = [3, 8, 12, 16, 20, 25, 30, 40] as const;

/** The bit fields a station offers. */
export interface IrlapQos {
  baudRates: number;
  maxTurnTime: number;
  dataSize: number;
  windowSize: number;
  additionalBofs: number;
  minTurnTime: number;
  linkDisconnect: number;
}

/** Bits with values up to a limit: `upTo(DATA_SIZES, 2048)` → 0x3F. */
export function maskUpTo(values: readonly number[], limit: number): number {
  let mask = 0;
  values.forEach((v, i) => {
    if (v <= limit) mask |= 1 << i;
  });
  return mask;
}

/** The bit of one value: `bitOf(BAUD_RATES, 9600)` → 0x02. */
export function bitOf(values: readonly number[], value: number): number {
  const i = values.indexOf(value);
  if (i < 0) throw new RangeError(`no such IrLAP parameter value: ${value}`);
  return 1 << i;
}

export function defaultQos(maxBaud = 115200): IrlapQos {
  return {
    baudRates: maskUpTo(BAUD_RATES, maxBaud) & ~1, // 2400 is not offered by modern dongles
    maxTurnTime: bitOf(MAX_TURN_TIMES_MS, 500),
    dataSize: maskUpTo(DATA_SIZES, 2048),
    windowSize: maskUpTo(WINDOW_SIZES, 7),
    additionalBofs: bitOf(ADDITIONAL_BOFS, 0),
    minTurnTime: bitOf(MIN_TURN_TIMES_US, 0),
    linkDisconnect: maskUpTo(LINK_DISCONNECT_S, 40),
  };
}

/** Encode as PI/PL/PV triplets (baud rate as 2 bytes, little-endian bit field). */
export function encodeQos(q: IrlapQos): Uint8Array {
  return Uint8Array.from([
    PI_BAUD_RATE,
    2,
    q.baudRates & 0xff,
    (q.baudRates >>> 8) & 0xff,
    PI_MAX_TURN_TIME,
    1,
    q.maxTurnTime & 0xff,
    PI_DATA_SIZE,
    1,
    q.dataSize & 0xff,
    PI_WINDOW_SIZE,
    1,
    q.windowSize & 0xff,
    PI_ADDITIONAL_BOFS,
    1,
    q.additionalBofs & 0xff,
    PI_MIN_TURN_TIME,
    1,
    q.minTurnTime & 0xff,
    PI_LINK_DISCONNECT,
    1,
    q.linkDisconnect & 0xff,
  ]);
}

export type QosParseResult = { ok: true; qos: IrlapQos } | { ok: false; error: string };

/**
 * Decode triplets. Unknown PIs are skipped (a station ignores what it does not know); a parameter missing
 * takes the IrLAP default (9600 baud, 500 ms, 64 bytes, window 1, 12 BOFs, 10 ms, 3 s).
 */
export function decodeQos(bytes: Uint8Array): QosParseResult {
  const q: IrlapQos = {
    baudRates: bitOf(BAUD_RATES, 9600),
    maxTurnTime: bitOf(MAX_TURN_TIMES_MS, 500),
    dataSize: bitOf(DATA_SIZES, 64),
    windowSize: bitOf(WINDOW_SIZES, 1),
    additionalBofs: bitOf(ADDITIONAL_BOFS, 12),
    minTurnTime: bitOf(MIN_TURN_TIMES_US, 10000),
    linkDisconnect: bitOf(LINK_DISCONNECT_S, 3),
  };
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) return { ok: false, error: `truncated parameter at offset ${at}` };
    const pi = bytes[at]!;
    const pl = bytes[at + 1]!;
    if (at + 2 + pl > bytes.length) return { ok: false, error: `parameter 0x${hex(pi)} runs past the end` };
    let pv = 0;
    for (let i = 0; i < Math.min(pl, 4); i++) pv |= bytes[at + 2 + i]! << (8 * i);
    pv >>>= 0;
    if (pl === 0) return { ok: false, error: `parameter 0x${hex(pi)} has no value` };
    switch (pi) {
      case PI_BAUD_RATE:
        q.baudRates = pv & 0x1ff;
        break;
      case PI_MAX_TURN_TIME:
        q.maxTurnTime = pv & 0x0f;
        break;
      case PI_DATA_SIZE:
        q.dataSize = pv & 0x3f;
        break;
      case PI_WINDOW_SIZE:
        q.windowSize = pv & 0x7f;
        break;
      case PI_ADDITIONAL_BOFS:
        q.additionalBofs = pv & 0xff;
        break;
      case PI_MIN_TURN_TIME:
        q.minTurnTime = pv & 0xff;
        break;
      case PI_LINK_DISCONNECT:
        q.linkDisconnect = pv & 0xff;
        break;
      default:
        break;
    }
    at += 2 + pl;
  }
  return { ok: true, qos: q };
}

/** What a connected station uses, from its own offer and the peer's. */
export interface NegotiatedQos {
  baudRate: number;
  linkDisconnectMs: number;
  /** Longest I-field this station may send (the peer's data size), cut to the line capacity. */
  txDataSize: number;
  /** Frames this station may send unacknowledged (the peer's window), cut to the line capacity. */
  txWindow: number;
  /** How long the peer may hold the line: what this station waits before it retries. */
  peerMaxTurnTimeMs: number;
  /** How long this station may hold the line. */
  maxTurnTimeMs: number;
  /** Extra BOFs the peer asks for. */
  txAdditionalBofs: number;
  rxDataSize: number;
}

function highest(mask: number, values: readonly number[]): number | undefined {
  for (let i = values.length - 1; i >= 0; i--) if (mask & (1 << i)) return values[i];
  return undefined;
}

/** Bytes a station may send within a turn: the line time it may hold, less a fifth for turnarounds. */
export function lineCapacity(baudRate: number, maxTurnTimeMs: number): number {
  return Math.floor(((baudRate / 10) * maxTurnTimeMs * 0.8) / 1000);
}

export type NegotiationResult = { ok: true; qos: NegotiatedQos } | { ok: false; error: string };

export function negotiate(own: IrlapQos, peer: IrlapQos): NegotiationResult {
  const baudRate = highest(own.baudRates & peer.baudRates, BAUD_RATES);
  if (baudRate === undefined) return { ok: false, error: 'no common baud rate' };
  const disconnectS = highest(own.linkDisconnect & peer.linkDisconnect, LINK_DISCONNECT_S);
  if (disconnectS === undefined) return { ok: false, error: 'no common link disconnect threshold' };
  // Type 1: a bit field with bits set announces the smallest-constraint value as its highest bit.
  const ownTurn = lowestValue(own.maxTurnTime, MAX_TURN_TIMES_MS) ?? 500;
  const peerTurn = lowestValue(peer.maxTurnTime, MAX_TURN_TIMES_MS) ?? 500;
  let txDataSize = highest(peer.dataSize, DATA_SIZES) ?? 64;
  let txWindow = highest(peer.windowSize, WINDOW_SIZES) ?? 1;
  const capacity = lineCapacity(baudRate, ownTurn);
  // Keep the window and shrink frames first; IrLAP sends at least one 64-byte frame per turn.
  while (txWindow * txDataSize > capacity && txDataSize > 64) txDataSize /= 2;
  while (txWindow * txDataSize > capacity && txWindow > 1) txWindow--;
  return {
    ok: true,
    qos: {
      baudRate,
      linkDisconnectMs: disconnectS * 1000,
      txDataSize,
      txWindow,
      peerMaxTurnTimeMs: peerTurn,
      maxTurnTimeMs: ownTurn,
      txAdditionalBofs: highest(peer.additionalBofs, ADDITIONAL_BOFS) ?? 0,
      rxDataSize: highest(own.dataSize, DATA_SIZES) ?? 64,
    },
  };
}

/** Max turnaround bits are listed longest first: the station may hold the line for the longest it offers. */
function lowestValue(mask: number, values: readonly number[]): number | undefined {
  for (let i = 0; i < values.length; i++) if (mask & (1 << i)) return values[i];
  return undefined;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
