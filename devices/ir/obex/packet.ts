/**
 * OBEX packets (IrOBEX 1.2 §3): opcode or response code (bit 7 = final), a 2-byte big-endian length
 * of the whole packet, opcode-specific fields (Connect: version, flags, maximum packet length;
 * SetPath: flags, constants), then headers. The top two bits of a header identifier give its encoding:
 * 00 null-terminated UTF-16BE text and 01 byte sequence (both with a 2-byte length), 10 one byte,
 * 11 four bytes.
 */

export const OBEX_VERSION = 0x10;
export const OBEX_MIN_PACKET = 255;
export const OBEX_MAX_PACKET = 0xffff;
export const FINAL = 0x80;

/** Request opcodes without the final bit (Connect, Disconnect, SetPath and Abort are always final). */
export const OP = {
  CONNECT: 0x00,
  DISCONNECT: 0x01,
  PUT: 0x02,
  GET: 0x03,
  SETPATH: 0x05,
  ABORT: 0x7f,
} as const;

export const RSP = {
  CONTINUE: 0x90,
  SUCCESS: 0xa0,
  CREATED: 0xa1,
  BAD_REQUEST: 0xc0,
  UNAUTHORIZED: 0xc1,
  FORBIDDEN: 0xc3,
  NOT_FOUND: 0xc4,
  METHOD_NOT_ALLOWED: 0xc5,
  NOT_ACCEPTABLE: 0xc6,
  CONFLICT: 0xc9,
  LENGTH_REQUIRED: 0xcb,
  PRECONDITION_FAILED: 0xcc,
  REQUEST_ENTITY_TOO_LARGE: 0xcd,
  UNSUPPORTED_MEDIA_TYPE: 0xcf,
  INTERNAL_SERVER_ERROR: 0xd0,
  NOT_IMPLEMENTED: 0xd1,
  SERVICE_UNAVAILABLE: 0xd3,
  DATABASE_FULL: 0xe0,
} as const;

export const HI = {
  COUNT: 0xc0,
  NAME: 0x01,
  TYPE: 0x42,
  LENGTH: 0xc3,
  TIME: 0x44,
  DESCRIPTION: 0x05,
  TARGET: 0x46,
  HTTP: 0x47,
  BODY: 0x48,
  END_OF_BODY: 0x49,
  WHO: 0x4a,
  CONNECTION_ID: 0xcb,
  APP_PARAMETERS: 0x4c,
  OBJECT_CLASS: 0x4f,
} as const;

export type ObexHeaderValue = string | Uint8Array | number;
export interface ObexHeader {
  id: number;
  value: ObexHeaderValue;
}

export interface ConnectFields {
  version: number;
  flags: number;
  maxPacketLength: number;
}

export interface SetPathFields {
  /** Bit 0: back up a level first; bit 1: do not create the folder. */
  flags: number;
  constants: number;
}

export interface ObexRequest {
  opcode: number;
  final: boolean;
  connect?: ConnectFields;
  setPath?: SetPathFields;
  headers: ObexHeader[];
}

export interface ObexResponse {
  /** Response code with the final bit (always set). */
  code: number;
  connect?: ConnectFields;
  headers: ObexHeader[];
}

export type ObexParse<T> = { ok: true; packet: T } | { ok: false; code: number; error: string };

const u16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];

export function headerSize(h: ObexHeader): number {
  switch (h.id & 0xc0) {
    case 0x00:
      return 3 + (typeof h.value === 'string' && h.value.length ? (h.value.length + 1) * 2 : 0);
    case 0x40:
      return (
        3 + (h.value instanceof Uint8Array ? h.value.length : Buffer.byteLength(String(h.value), 'latin1'))
      );
    case 0x80:
      return 2;
    default:
      return 5;
  }
}

function encodeHeader(h: ObexHeader, out: number[]): void {
  out.push(h.id & 0xff);
  switch (h.id & 0xc0) {
    case 0x00: {
      const s = typeof h.value === 'string' ? h.value : '';
      const bytes: number[] = [];
      if (s.length) {
        for (let i = 0; i < s.length; i++) bytes.push(...u16(s.charCodeAt(i)));
        bytes.push(0, 0);
      }
      out.push(...u16(bytes.length + 3), ...bytes);
      return;
    }
    case 0x40: {
      const v = h.value instanceof Uint8Array ? h.value : Buffer.from(String(h.value), 'latin1');
      out.push(...u16(v.length + 3));
      for (const b of v) out.push(b);
      return;
    }
    case 0x80:
      out.push(Number(h.value) & 0xff);
      return;
    default: {
      const n = Number(h.value) >>> 0;
      out.push(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    }
  }
}

function finish(out: number[]): Uint8Array {
  out[1] = (out.length >>> 8) & 0xff;
  out[2] = out.length & 0xff;
  return Uint8Array.from(out);
}

export function encodeObexRequest(r: ObexRequest): Uint8Array {
  const out = [((r.final ? FINAL : 0) | r.opcode) & 0xff, 0, 0];
  if (r.opcode === OP.CONNECT) {
    const c = r.connect ?? { version: OBEX_VERSION, flags: 0, maxPacketLength: OBEX_MIN_PACKET };
    out.push(c.version, c.flags, ...u16(c.maxPacketLength));
  } else if (r.opcode === OP.SETPATH) {
    const s = r.setPath ?? { flags: 0, constants: 0 };
    out.push(s.flags, s.constants);
  }
  for (const h of r.headers) encodeHeader(h, out);
  return finish(out);
}

export function encodeObexResponse(r: ObexResponse): Uint8Array {
  const out = [r.code | FINAL, 0, 0];
  if (r.connect) out.push(r.connect.version, r.connect.flags, ...u16(r.connect.maxPacketLength));
  for (const h of r.headers) encodeHeader(h, out);
  return finish(out);
}

function parseHeaders(
  b: Uint8Array,
  at: number,
): { ok: true; headers: ObexHeader[] } | { ok: false; error: string } {
  const headers: ObexHeader[] = [];
  while (at < b.length) {
    const id = b[at]!;
    switch (id & 0xc0) {
      case 0x00:
      case 0x40: {
        if (at + 3 > b.length) return { ok: false, error: `header 0x${id.toString(16)} truncated` };
        const len = (b[at + 1]! << 8) | b[at + 2]!;
        if (len < 3 || at + len > b.length)
          return { ok: false, error: `header 0x${id.toString(16)} has a bad length ${len}` };
        const v = b.subarray(at + 3, at + len);
        if ((id & 0xc0) === 0x00) {
          if (v.length % 2 !== 0) return { ok: false, error: 'Unicode header with an odd length' };
          let s = '';
          for (let i = 0; i + 1 < v.length; i += 2) s += String.fromCharCode((v[i]! << 8) | v[i + 1]!);
          headers.push({ id, value: s.endsWith('\0') ? s.slice(0, -1) : s });
        } else headers.push({ id, value: Uint8Array.from(v) });
        at += len;
        break;
      }
      case 0x80:
        if (at + 2 > b.length) return { ok: false, error: `header 0x${id.toString(16)} truncated` };
        headers.push({ id, value: b[at + 1]! });
        at += 2;
        break;
      default:
        if (at + 5 > b.length) return { ok: false, error: `header 0x${id.toString(16)} truncated` };
        headers.push({
          id,
          value: ((b[at + 1]! << 24) | (b[at + 2]! << 16) | (b[at + 3]! << 8) | b[at + 4]!) >>> 0,
        });
        at += 5;
    }
  }
  return { ok: true, headers };
}

function checkLength(b: Uint8Array): string | undefined {
  if (b.length < 3) return `an OBEX packet has at least 3 bytes, got ${b.length}`;
  const len = (b[1]! << 8) | b[2]!;
  if (len !== b.length) return `packet length field ${len} does not match ${b.length} bytes`;
  return undefined;
}

/** Parse a request; malformed ones yield Bad Request (0xC0), unknown opcodes Not Implemented (0xD1). */
export function parseObexRequest(b: Uint8Array): ObexParse<ObexRequest> {
  const bad = (error: string, code: number = RSP.BAD_REQUEST): ObexParse<ObexRequest> => ({
    ok: false,
    code,
    error,
  });
  const lenError = checkLength(b);
  if (lenError) return bad(lenError);
  const final = (b[0]! & FINAL) !== 0;
  const opcode = b[0]! & 0x7f;
  const known: number[] = Object.values(OP);
  if (!known.includes(opcode))
    return bad(`opcode 0x${b[0]!.toString(16)} not implemented`, RSP.NOT_IMPLEMENTED);
  const req: ObexRequest = { opcode, final, headers: [] };
  let at = 3;
  if (opcode === OP.CONNECT) {
    if (b.length < 7) return bad('Connect without version, flags and maximum packet length');
    req.connect = { version: b[3]!, flags: b[4]!, maxPacketLength: (b[5]! << 8) | b[6]! };
    at = 7;
  } else if (opcode === OP.SETPATH) {
    if (b.length < 5) return bad('SetPath without flags and constants');
    req.setPath = { flags: b[3]!, constants: b[4]! };
    at = 5;
  }
  const h = parseHeaders(b, at);
  if (!h.ok) return bad(h.error);
  req.headers = h.headers;
  return { ok: true, packet: req };
}

/** Parse a response; `toConnect` when it answers a Connect (which adds version, flags and size). */
export function parseObexResponse(b: Uint8Array, toConnect = false): ObexParse<ObexResponse> {
  const lenError = checkLength(b);
  if (lenError) return { ok: false, code: RSP.BAD_REQUEST, error: lenError };
  const rsp: ObexResponse = { code: b[0]!, headers: [] };
  let at = 3;
  if (toConnect && b.length >= 7) {
    rsp.connect = { version: b[3]!, flags: b[4]!, maxPacketLength: (b[5]! << 8) | b[6]! };
    at = 7;
  }
  const h = parseHeaders(b, at);
  if (!h.ok) return { ok: false, code: RSP.BAD_REQUEST, error: h.error };
  rsp.headers = h.headers;
  return { ok: true, packet: rsp };
}

/** Splits a byte stream into OBEX packets by their length field. */
export class ObexPacketReader {
  private buf = Buffer.alloc(0);
  /** Set when a length below 3 makes the stream unreadable. */
  broken = false;

  push(bytes: Uint8Array): Uint8Array[] {
    if (this.broken) return [];
    this.buf = Buffer.concat([this.buf, bytes]);
    const out: Uint8Array[] = [];
    while (this.buf.length >= 3) {
      const len = this.buf.readUInt16BE(1);
      if (len < 3) {
        this.broken = true;
        this.buf = Buffer.alloc(0);
        break;
      }
      if (this.buf.length < len) break;
      out.push(Uint8Array.from(this.buf.subarray(0, len)));
      this.buf = this.buf.subarray(len);
    }
    return out;
  }
}

export function header(headers: ObexHeader[], id: number): ObexHeaderValue | undefined {
  return headers.find((h) => h.id === id)?.value;
}

/** Type headers are null-terminated ASCII byte sequences. */
export function typeHeader(type: string): ObexHeader {
  return { id: HI.TYPE, value: Uint8Array.from([...Buffer.from(type, 'latin1'), 0]) };
}

export function typeOf(headers: ObexHeader[]): string | undefined {
  const v = header(headers, HI.TYPE);
  if (!(v instanceof Uint8Array)) return undefined;
  const s = Buffer.from(v).toString('latin1');
  return s.endsWith('\0') ? s.slice(0, -1) : s;
}

/** The transport OBEX runs on: packets out, bytes in (any chunking). */
export interface ObexTransport {
  send(bytes: Uint8Array): void;
  setReceiver(receive: (bytes: Uint8Array) => void): void;
}
