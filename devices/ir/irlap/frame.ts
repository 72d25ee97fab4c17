/**
 * IrLAP frames (IrLAP 1.1 §5, §6): address byte (7-bit connection address, C/R bit 0), control byte,
 * information. I frames carry N(S)/N(R), S frames N(R), U frames a command or response code; bit 4 of
 * the control byte is P/F. The SIR wrapper (sir.ts) adds framing and the FCS.
 */
import { decodeQos, encodeQos, type IrlapQos } from './params.js';

export const BROADCAST_CONNECTION_ADDRESS = 0x7f;
export const BROADCAST_DEVICE_ADDRESS = 0xffffffff;
export const PF_BIT = 0x10;

/** U-frame control fields with P/F clear; commands and responses share some codes. */
export const U_SNRM_RNRM = 0x83;
export const U_DISC_RD = 0x43;
export const U_UI = 0x03;
export const U_XID_CMD = 0x2f;
export const U_XID_RSP = 0xaf;
export const U_TEST = 0xe3;
export const U_UA = 0x63;
export const U_FRMR = 0x87;
export const U_DM = 0x0f;

const S_TYPES = ['RR', 'RNR', 'REJ', 'SREJ'] as const;
export type SupervisoryType = (typeof S_TYPES)[number];

interface Base {
  /** 7-bit connection address. */
  address: number;
  /** C/R bit: true for a command (primary → secondary). */
  command: boolean;
  pf: boolean;
}

export interface IFrame extends Base {
  kind: 'I';
  ns: number;
  nr: number;
  info: Uint8Array;
}
export interface SFrame extends Base {
  kind: SupervisoryType;
  nr: number;
}

/** XID discovery (IrLAP §6.11): slot counts 1, 6, 8, 16 coded 0-3. */
export interface XidFrame extends Base {
  kind: 'XID';
  source: number;
  destination: number;
  slots: 1 | 6 | 8 | 16;
  /** Ask every device to pick a new device address. */
  newAddress: boolean;
  /** 0..slots-1, 0xFF in the final command. */
  slot: number;
  version: number;
  /** Discovery information (hints, charset, nickname); empty when absent. */
  discoveryInfo: Uint8Array;
}
export interface SnrmFrame extends Base {
  kind: 'SNRM';
  source: number;
  destination: number;
  connectionAddress: number;
  qos: IrlapQos;
}
export interface UaFrame extends Base {
  kind: 'UA';
  /** Present when the UA answers an SNRM. */
  connection?: { source: number; destination: number; qos: IrlapQos };
}
export interface FrmrFrame extends Base {
  kind: 'FRMR';
  rejectedControl: number;
  vs: number;
  vr: number;
  /** C/R of the rejected frame. */
  rejectedCommand: boolean;
  /** W: invalid control; X: information not allowed; Y: information too long; Z: invalid N(R). */
  w: boolean;
  x: boolean;
  y: boolean;
  z: boolean;
}
export interface PlainUFrame extends Base {
  kind: 'DISC' | 'RD' | 'DM' | 'RNRM' | 'UI' | 'TEST';
  info: Uint8Array;
}

export type IrlapFrame = IFrame | SFrame | XidFrame | SnrmFrame | UaFrame | FrmrFrame | PlainUFrame;

export type IrlapParseResult =
  | { ok: true; frame: IrlapFrame }
  /** `control` set when the frame got far enough to be answered with FRMR. */
  | { ok: false; error: string; address?: number; command?: boolean; control?: number; frmr?: 'w' | 'x' };

const SLOT_CODES = [1, 6, 8, 16] as const;

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
function putU32le(out: number[], v: number): void {
  out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

/** Decode an IrLAP frame (without FCS). Never throws. */
export function parseIrlapFrame(bytes: Uint8Array): IrlapParseResult {
  if (bytes.length < 2)
    return { ok: false, error: `an IrLAP frame has at least 2 bytes, got ${bytes.length}` };
  const a = bytes[0]!;
  const control = bytes[1]!;
  const base: Base = { address: a >>> 1, command: (a & 1) === 1, pf: (control & PF_BIT) !== 0 };
  const info = bytes.subarray(2);
  const fail = (error: string, frmr?: 'w' | 'x'): IrlapParseResult => ({
    ok: false,
    error,
    address: base.address,
    command: base.command,
    control,
    ...(frmr ? { frmr } : {}),
  });
  if ((control & 1) === 0) {
    return {
      ok: true,
      frame: { ...base, kind: 'I', ns: (control >>> 1) & 7, nr: control >>> 5, info: Uint8Array.from(info) },
    };
  }
  if ((control & 3) === 1) {
    if (info.length > 0) return fail('a supervisory frame carries no information', 'x');
    return { ok: true, frame: { ...base, kind: S_TYPES[(control >>> 2) & 3]!, nr: control >>> 5 } };
  }
  const code = control & ~PF_BIT & 0xff;
  const c = base.command;
  switch (code) {
    case U_XID_CMD:
    case U_XID_RSP: {
      if (c !== (code === U_XID_CMD)) return fail('XID code does not match the C/R bit', 'w');
      if (info.length < 12 || info[0] !== 0x01) return fail('XID information is not a discovery frame', 'x');
      return {
        ok: true,
        frame: {
          ...base,
          kind: 'XID',
          source: u32le(info, 1),
          destination: u32le(info, 5),
          slots: SLOT_CODES[info[9]! & 3]!,
          newAddress: (info[9]! & 4) !== 0,
          slot: info[10]!,
          version: info[11]!,
          discoveryInfo: Uint8Array.from(info.subarray(12)),
        },
      };
    }
    case U_SNRM_RNRM:
      if (!c) return { ok: true, frame: { ...base, kind: 'RNRM', info: Uint8Array.from(info) } };
      if (info.length === 0) {
        // A bare SNRM resets an existing connection (no negotiation).
        return fail('SNRM without connection parameters is not supported', 'x');
      }
      if (info.length < 9) return fail('SNRM information too short', 'x');
      {
        const qos = decodeQos(info.subarray(9));
        if (!qos.ok) return fail(`SNRM parameters: ${qos.error}`, 'x');
        return {
          ok: true,
          frame: {
            ...base,
            kind: 'SNRM',
            source: u32le(info, 0),
            destination: u32le(info, 4),
            connectionAddress: info[8]! >>> 1,
            qos: qos.qos,
          },
        };
      }
    case U_UA: {
      if (c) return fail('UA is a response', 'w');
      if (info.length === 0) return { ok: true, frame: { ...base, kind: 'UA' } };
      if (info.length < 8) return fail('UA information too short', 'x');
      const qos = decodeQos(info.subarray(8));
      if (!qos.ok) return fail(`UA parameters: ${qos.error}`, 'x');
      return {
        ok: true,
        frame: {
          ...base,
          kind: 'UA',
          connection: { source: u32le(info, 0), destination: u32le(info, 4), qos: qos.qos },
        },
      };
    }
    case U_FRMR: {
      if (c) return fail('FRMR is a response', 'w');
      if (info.length < 3) return fail('FRMR information too short', 'x');
      const v = info[1]!;
      const f = info[2]!;
      return {
        ok: true,
        frame: {
          ...base,
          kind: 'FRMR',
          rejectedControl: info[0]!,
          vs: (v >>> 1) & 7,
          rejectedCommand: (v & 0x10) !== 0,
          vr: v >>> 5,
          w: (f & 1) !== 0,
          x: (f & 2) !== 0,
          y: (f & 4) !== 0,
          z: (f & 8) !== 0,
        },
      };
    }
    case U_DISC_RD:
      return { ok: true, frame: { ...base, kind: c ? 'DISC' : 'RD', info: Uint8Array.from(info) } };
    case U_DM:
      if (c) return fail('DM is a response', 'w');
      return { ok: true, frame: { ...base, kind: 'DM', info: Uint8Array.from(info) } };
    case U_UI:
      return { ok: true, frame: { ...base, kind: 'UI', info: Uint8Array.from(info) } };
    case U_TEST:
      return { ok: true, frame: { ...base, kind: 'TEST', info: Uint8Array.from(info) } };
    default:
      return fail(`unknown U-frame control 0x${code.toString(16)}`, 'w');
  }
}

/** Encode a frame (without FCS). */
export function encodeIrlapFrame(f: IrlapFrame): Uint8Array {
  const out: number[] = [((f.address & 0x7f) << 1) | (f.command ? 1 : 0)];
  const pf = f.pf ? PF_BIT : 0;
  switch (f.kind) {
    case 'I':
      out.push(((f.nr & 7) << 5) | pf | ((f.ns & 7) << 1));
      return concat(out, f.info);
    case 'RR':
    case 'RNR':
    case 'REJ':
    case 'SREJ':
      out.push(((f.nr & 7) << 5) | pf | (S_TYPES.indexOf(f.kind) << 2) | 1);
      return Uint8Array.from(out);
    case 'XID': {
      out.push((f.command ? U_XID_CMD : U_XID_RSP) | pf, 0x01);
      putU32le(out, f.source);
      putU32le(out, f.destination);
      out.push(SLOT_CODES.indexOf(f.slots) | (f.newAddress ? 4 : 0), f.slot & 0xff, f.version & 0xff);
      return concat(out, f.discoveryInfo);
    }
    case 'SNRM':
      out.push(U_SNRM_RNRM | pf);
      putU32le(out, f.source);
      putU32le(out, f.destination);
      out.push((f.connectionAddress & 0x7f) << 1);
      return concat(out, encodeQos(f.qos));
    case 'UA':
      out.push(U_UA | pf);
      if (!f.connection) return Uint8Array.from(out);
      putU32le(out, f.connection.source);
      putU32le(out, f.connection.destination);
      return concat(out, encodeQos(f.connection.qos));
    case 'FRMR':
      out.push(
        U_FRMR | pf,
        f.rejectedControl & 0xff,
        ((f.vr & 7) << 5) | (f.rejectedCommand ? 0x10 : 0) | ((f.vs & 7) << 1),
        (f.w ? 1 : 0) | (f.x ? 2 : 0) | (f.y ? 4 : 0) | (f.z ? 8 : 0),
      );
      return Uint8Array.from(out);
    case 'DISC':
    case 'RD':
      out.push(U_DISC_RD | pf);
      return concat(out, f.info);
    case 'RNRM':
      out.push(U_SNRM_RNRM | pf);
      return concat(out, f.info);
    case 'DM':
      out.push(U_DM | pf);
      return concat(out, f.info);
    case 'UI':
      out.push(U_UI | pf);
      return concat(out, f.info);
    case 'TEST':
      out.push(U_TEST | pf);
      return concat(out, f.info);
  }
}

function concat(head: number[], tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Discovery information (IrLMP §3.4.3): hint bytes (bit 7 = another follows), charset, nickname. */
export interface DiscoveryInfo {
  hints: number[];
  /** 0 = ASCII; 0xFF = Unicode. */
  charset: number;
  nickname: string;
}

export const HINT1_PDA = 0x02;
export const HINT1_COMPUTER = 0x04;
export const HINT1_EXTENSION = 0x80;
export const HINT2_TELEPHONY = 0x01;
export const HINT2_OBEX = 0x20;

/** The longest nickname that fits (IrLMP: discovery information is at most 32 bytes here). */
export const MAX_NICKNAME = 22;

export function encodeDiscoveryInfo(d: DiscoveryInfo): Uint8Array {
  const hints = d.hints.length ? d.hints : [0];
  const h = hints.map((b, i) => (i < hints.length - 1 ? b | 0x80 : b & 0x7f));
  const name = Buffer.from(d.nickname, 'latin1').subarray(0, MAX_NICKNAME);
  return Uint8Array.from([...h, d.charset & 0xff, ...name]);
}

export function parseDiscoveryInfo(bytes: Uint8Array): DiscoveryInfo | undefined {
  const hints: number[] = [];
  let at = 0;
  for (;;) {
    if (at >= bytes.length) return undefined;
    const b = bytes[at++]!;
    hints.push(b);
    if ((b & 0x80) === 0) break;
  }
  if (at >= bytes.length) return { hints, charset: 0, nickname: '' };
  const charset = bytes[at++]!;
  return { hints, charset, nickname: Buffer.from(bytes.subarray(at)).toString('latin1') };
}
