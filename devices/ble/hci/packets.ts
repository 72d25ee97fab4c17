/**
 * H4 packets (Vol 4 Part A): one indicator octet, then an HCI Command, ACL Data or Event packet
 * (Vol 4 Part E, 5.4). `parseH4` never throws: a packet it cannot frame comes back as an error with
 * the HCI status a controller answers it with.
 */
import { H4, HciStatus } from './constants.js';
import { decodeCommand, encodeCommandParameters, type HciCommand } from './commands.js';

export interface CommandPacket {
  type: 'command';
  opcode: number;
  params: Buffer;
}
export interface AclPacket {
  type: 'acl';
  handle: number;
  /** Packet_Boundary_Flag (2 bits). */
  packetBoundary: number;
  /** Broadcast_Flag (2 bits). */
  broadcast: number;
  data: Buffer;
}
export interface EventPacket {
  type: 'event';
  code: number;
  params: Buffer;
}
export type HciPacket = CommandPacket | AclPacket | EventPacket;

export interface HciFramingError {
  /** HCI status for the answer: 0x12 when a command's opcode could be read, 0x01 otherwise. */
  status: number;
  /** Present when the packet was a command whose opcode was readable. */
  opcode?: number;
  reason: string;
}

export type ParseResult = { ok: true; packet: HciPacket } | { ok: false; error: HciFramingError };

const fail = (status: number, reason: string, opcode?: number): ParseResult => ({
  ok: false,
  error: opcode === undefined ? { status, reason } : { status, reason, opcode },
});

/** Frames one H4 packet; the length fields must match the bytes given exactly. */
export function parseH4(bytes: Uint8Array): ParseResult {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length === 0) return fail(HciStatus.InvalidHciCommandParameters, 'empty packet');
  const indicator = b[0];
  if (indicator === H4.Command) {
    if (b.length < 3) return fail(HciStatus.InvalidHciCommandParameters, 'command shorter than its header');
    const opcode = b.readUInt16LE(1);
    if (b.length < 4) return fail(HciStatus.InvalidHciCommandParameters, 'command without length', opcode);
    const length = b[3]!;
    if (b.length - 4 !== length) {
      return fail(
        HciStatus.InvalidHciCommandParameters,
        `command length ${length} but ${b.length - 4} parameter octets`,
        opcode,
      );
    }
    return { ok: true, packet: { type: 'command', opcode, params: Buffer.from(b.subarray(4)) } };
  }
  if (indicator === H4.AclData) {
    if (b.length < 5) return fail(HciStatus.InvalidHciCommandParameters, 'ACL shorter than its header');
    const hf = b.readUInt16LE(1);
    const length = b.readUInt16LE(3);
    if (b.length - 5 !== length) {
      return fail(
        HciStatus.InvalidHciCommandParameters,
        `ACL length ${length} but ${b.length - 5} data octets`,
      );
    }
    return {
      ok: true,
      packet: {
        type: 'acl',
        handle: hf & 0x0fff,
        packetBoundary: (hf >> 12) & 0b11,
        broadcast: (hf >> 14) & 0b11,
        data: Buffer.from(b.subarray(5)),
      },
    };
  }
  if (indicator === H4.Event) {
    if (b.length < 3) return fail(HciStatus.InvalidHciCommandParameters, 'event shorter than its header');
    const length = b[2]!;
    if (b.length - 3 !== length) {
      return fail(HciStatus.InvalidHciCommandParameters, `event length ${length} but ${b.length - 3} octets`);
    }
    return { ok: true, packet: { type: 'event', code: b[1]!, params: Buffer.from(b.subarray(3)) } };
  }
  return fail(HciStatus.UnknownHciCommand, `unsupported H4 packet indicator 0x${indicator!.toString(16)}`);
}

export function encodeH4(packet: HciPacket): Buffer {
  if (packet.type === 'command') {
    if (packet.params.length > 255) throw new RangeError('command parameters longer than 255 octets');
    const head = Buffer.from([H4.Command, packet.opcode & 0xff, packet.opcode >> 8, packet.params.length]);
    return Buffer.concat([head, packet.params]);
  }
  if (packet.type === 'acl') {
    if (packet.data.length > 0xffff) throw new RangeError('ACL data longer than 65535 octets');
    const head = Buffer.alloc(5);
    head[0] = H4.AclData;
    head.writeUInt16LE(
      (packet.handle & 0x0fff) | ((packet.packetBoundary & 3) << 12) | ((packet.broadcast & 3) << 14),
      1,
    );
    head.writeUInt16LE(packet.data.length, 3);
    return Buffer.concat([head, packet.data]);
  }
  if (packet.params.length > 255) throw new RangeError('event parameters longer than 255 octets');
  return Buffer.concat([Buffer.from([H4.Event, packet.code, packet.params.length]), packet.params]);
}

/** A typed command as an H4 packet (what a host writes). */
export function encodeCommand(command: HciCommand): Buffer {
  const { opcode, params } = encodeCommandParameters(command);
  return encodeH4({ type: 'command', opcode, params });
}

export type DecodedCommand =
  | { ok: true; opcode: number; command: HciCommand }
  | { ok: false; opcode: number | undefined; status: number; reason: string };

/** Frames and decodes a command packet in one step; never throws. */
export function decodeCommandPacket(bytes: Uint8Array): DecodedCommand {
  const framed = parseH4(bytes);
  if (!framed.ok)
    return {
      ok: false,
      opcode: framed.error.opcode,
      status: framed.error.status,
      reason: framed.error.reason,
    };
  if (framed.packet.type !== 'command') {
    return {
      ok: false,
      opcode: undefined,
      status: HciStatus.UnknownHciCommand,
      reason: 'not a command packet',
    };
  }
  const decoded = decodeCommand(framed.packet.opcode, framed.packet.params);
  return decoded.ok
    ? { ok: true, opcode: framed.packet.opcode, command: decoded.command }
    : { ok: false, opcode: decoded.opcode, status: decoded.status, reason: decoded.reason };
}
