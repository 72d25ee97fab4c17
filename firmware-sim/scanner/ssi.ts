/**
 * Zebra Simple Serial Interface (SSI) packets, used by the emulated decoder and the host driver alike.
 *
 * `[length][opcode][source][status][data…][checksum hi][checksum lo]` — length counts every byte before the
 * checksum (so 4 + data), the checksum is the two's complement of the 16-bit sum of those bytes.
 */

export const SsiOpcode = {
  REVISION_REQUEST: 0xa3,
  REPLY_REVISION: 0xa4,
  PARAM_DEFAULTS: 0xc8,
  PARAM_REQUEST: 0xc7,
  PARAM_SEND: 0xc6,
  CMD_ACK: 0xd0,
  CMD_NAK: 0xd1,
  FLUSH_QUEUE: 0xd2,
  CAPABILITIES_REQUEST: 0xd3,
  CAPABILITIES_REPLY: 0xd4,
  BEEP: 0xe6,
  LED_ON: 0xe7,
  LED_OFF: 0xe8,
  START_SESSION: 0xe4,
  STOP_SESSION: 0xe5,
  SCAN_ENABLE: 0xe9,
  SCAN_DISABLE: 0xea,
  SLEEP: 0xeb,
  WAKEUP: 0xec,
  EVENT: 0xf6,
  DECODE_DATA: 0xf3,
} as const;

export const SsiSource = { DECODER: 0x00, HOST: 0x04 } as const;

/** Status byte bits. */
export const SsiStatus = {
  RETRANSMIT: 0x01,
  CONTINUATION: 0x02,
  /** PARAM_SEND: 1 = permanent (non-volatile), 0 = temporary. */
  PERMANENT: 0x08,
} as const;

/** CMD_NAK causes (first data byte). */
export const SsiNakCause = {
  RESEND: 0x01,
  BAD_CONTEXT: 0x02,
  DENIED: 0x06,
} as const;

/** PARAM_SEND's first data byte: the beep to sound; 0xFF means none. */
export const SSI_NO_BEEP = 0xff;

export const SSI_HEADER_LENGTH = 4;
export const SSI_MAX_DATA = 255 - SSI_HEADER_LENGTH;

export interface SsiPacket {
  opcode: number;
  source: number;
  status: number;
  data: Uint8Array;
}

export function ssiChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return -sum & 0xffff;
}

export function encodeSsi(packet: SsiPacket): Buffer {
  if (packet.data.length > SSI_MAX_DATA) {
    throw new RangeError(`SSI data of ${packet.data.length} bytes exceeds ${SSI_MAX_DATA}; use continuation`);
  }
  const len = SSI_HEADER_LENGTH + packet.data.length;
  const out = Buffer.alloc(len + 2);
  out[0] = len;
  out[1] = packet.opcode & 0xff;
  out[2] = packet.source & 0xff;
  out[3] = packet.status & 0xff;
  out.set(packet.data, SSI_HEADER_LENGTH);
  out.writeUInt16BE(ssiChecksum(out.subarray(0, len)), len);
  return out;
}

export function ssiPacket(
  opcode: number,
  source: number,
  data: ArrayLike<number> = [],
  status = 0,
): SsiPacket {
  return { opcode, source, status, data: Uint8Array.from(data) };
}

export type SsiFrame =
  | { kind: 'packet'; packet: SsiPacket; raw: Buffer }
  | { kind: 'bad-checksum'; raw: Buffer }
  | { kind: 'bad-length'; byte: number };

/**
 * Reassembles packets from a byte stream that arrives in arbitrary chunks. Bytes that cannot start a packet
 * (length below the header size) are reported and skipped one at a time; a packet whose checksum fails is
 * reported whole, so the receiver can NAK it with RESEND.
 */
export class SsiDeframer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): SsiFrame[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const frames: SsiFrame[] = [];
    for (;;) {
      if (this.buf.length === 0) break;
      const len = this.buf[0]!;
      if (len < SSI_HEADER_LENGTH) {
        frames.push({ kind: 'bad-length', byte: len });
        this.buf = this.buf.subarray(1);
        continue;
      }
      if (this.buf.length < len + 2) break;
      const raw = Buffer.from(this.buf.subarray(0, len + 2));
      this.buf = this.buf.subarray(len + 2);
      const expected = raw.readUInt16BE(len);
      if (ssiChecksum(raw.subarray(0, len)) !== expected) {
        frames.push({ kind: 'bad-checksum', raw });
        continue;
      }
      frames.push({
        kind: 'packet',
        raw,
        packet: {
          opcode: raw[1]!,
          source: raw[2]!,
          status: raw[3]!,
          data: Uint8Array.from(raw.subarray(SSI_HEADER_LENGTH, len)),
        },
      });
    }
    return frames;
  }

  /** Bytes of an unfinished packet (a receiver drops them after an inter-byte timeout). */
  get pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
  }
}

/**
 * One parameter of PARAM_SEND / PARAM_REQUEST. Numbers 0x100–0x3FF travel as F0/F1/F2 + low byte
 * (Zebra writes parameter 338 as "F0h 52h"); 0xF0–0xFF are those prefixes and name no parameter.
 */
export interface SsiParam {
  number: number;
  value: number;
}

const EXTENDED_PREFIX = [0xf0, 0xf1, 0xf2] as const;

function encodeParamNumber(n: number): number[] {
  if (n >= 0 && n < 0xf0) return [n];
  const prefix = n >= 0x100 ? EXTENDED_PREFIX[Math.floor(n / 0x100) - 1] : undefined;
  if (prefix === undefined) throw new RangeError(`SSI parameter number ${n} cannot be encoded`);
  return [prefix, n & 0xff];
}

/** Reads a parameter number at `i`; returns [number, next index] or undefined if truncated. */
function decodeParamNumber(data: Uint8Array, i: number): [number, number] | undefined {
  const b = data[i];
  if (b === undefined) return undefined;
  const page = EXTENDED_PREFIX.indexOf(b as 0xf0);
  if (page < 0) return [b, i + 1];
  const low = data[i + 1];
  if (low === undefined) return undefined;
  return [(page + 1) * 0x100 + low, i + 2];
}

export function encodeParamSend(params: SsiParam[], beep = SSI_NO_BEEP): Uint8Array {
  const out: number[] = [beep];
  for (const p of params) out.push(...encodeParamNumber(p.number), p.value & 0xff);
  return Uint8Array.from(out);
}

/** Parses PARAM_SEND data; undefined when malformed (a decoder NAKs it). */
export function decodeParamSend(data: Uint8Array): { beep: number; params: SsiParam[] } | undefined {
  if (data.length < 1) return undefined;
  const params: SsiParam[] = [];
  let i = 1;
  while (i < data.length) {
    const num = decodeParamNumber(data, i);
    if (!num) return undefined;
    const value = data[num[1]];
    if (value === undefined) return undefined;
    params.push({ number: num[0], value });
    i = num[1] + 1;
  }
  return { beep: data[0]!, params };
}

/** PARAM_REQUEST data: parameter numbers; 0xFE alone asks for all. */
export const SSI_ALL_PARAMS = 0xfe;

export function encodeParamRequest(numbers: number[]): Uint8Array {
  return Uint8Array.from(numbers.flatMap(encodeParamNumber));
}

export function decodeParamRequest(data: Uint8Array): number[] | undefined {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    const num = decodeParamNumber(data, i);
    if (!num) return undefined;
    out.push(num[0]);
    i = num[1];
  }
  return out;
}
