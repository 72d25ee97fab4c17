/**
 * A small pcapng writer (draft-ietf-opsawg-pcapng): Section Header, Interface Description and Enhanced
 * Packet Blocks, little-endian, every block padded to 32 bits with its total length at both ends.
 */
import fs from 'node:fs';

/** Link types (https://www.tcpdump.org/linktypes.html) used by benchtwin's links. */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IRDA = 144;
/** DLT_USER0..DLT_USER15 are 147..162: private use, decoded through Wireshark's DLT_User table. */
export const LINKTYPE_USER0 = 147;
export const LINKTYPE_BLUETOOTH_HCI_H4 = 187;
export const LINKTYPE_BLUETOOTH_HCI_H4_WITH_PHDR = 201;
export const LINKTYPE_USB_LINUX_MMAPPED = 220;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_BLUETOOTH_LE_LL = 251;
export const LINKTYPE_WIRESHARK_UPPER_PDU = 252;
export const LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR = 256;

export const BLOCK_TYPE_SHB = 0x0a0d0d0a;
export const BLOCK_TYPE_IDB = 0x00000001;
export const BLOCK_TYPE_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_HARDWARE = 2;
const SHB_OS = 3;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;

/** epb_flags bits 0-1: the direction of the packet as seen by the capturing interface. */
export type PacketDirection = 'inbound' | 'outbound';
const DIRECTION_BITS: Record<PacketDirection, number> = { inbound: 0b01, outbound: 0b10 };

export interface SectionOptions {
  hardware?: string;
  os?: string;
  userAppl?: string;
}

export interface InterfaceDescription {
  linkType: number;
  /** 0: no limit. */
  snapLen?: number;
  name?: string;
  description?: string;
  /** Timestamp resolution as a power of ten (6 = µs, the pcapng default). */
  tsresolDecimal?: number;
}

export interface EnhancedPacket {
  interfaceId: number;
  /** In units of the interface's resolution (µs unless the interface says otherwise). */
  timestamp: bigint;
  data: Uint8Array;
  /** Length on the wire when `data` was truncated. */
  originalLength?: number;
  direction?: PacketDirection;
  comment?: string;
}

type Option = [code: number, value: Buffer];

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function encodeOptions(options: Option[]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const size = options.reduce((n, [, v]) => n + 4 + pad4(v.length), 0) + 4;
  const out = Buffer.alloc(size);
  let at = 0;
  for (const [code, value] of options) {
    if (value.length > 0xffff) throw new RangeError(`pcapng: option ${code} is longer than 65535 bytes`);
    out.writeUInt16LE(code, at);
    out.writeUInt16LE(value.length, at + 2);
    value.copy(out, at + 4);
    at += 4 + pad4(value.length);
  }
  out.writeUInt32LE(OPT_ENDOFOPT, at); // opt_endofopt: code 0, length 0
  return out;
}

function stringOption(code: number, value: string | undefined): Option[] {
  return value === undefined ? [] : [[code, Buffer.from(value, 'utf8')]];
}

/** Frame a block body: type, total length, body (padded), total length again. */
function block(type: number, body: Buffer): Buffer {
  const total = 12 + pad4(body.length);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type >>> 0, 0);
  out.writeUInt32LE(total, 4);
  body.copy(out, 8);
  out.writeUInt32LE(total, total - 4);
  return out;
}

export function sectionHeaderBlock(options: SectionOptions = {}): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  fixed.writeUInt16LE(1, 4); // major version
  fixed.writeUInt16LE(0, 6); // minor version
  fixed.writeBigInt64LE(-1n, 8); // section length not specified: we append as we go
  const opts = encodeOptions([
    ...stringOption(SHB_HARDWARE, options.hardware),
    ...stringOption(SHB_OS, options.os),
    ...stringOption(SHB_USERAPPL, options.userAppl),
  ]);
  return block(BLOCK_TYPE_SHB, Buffer.concat([fixed, opts]));
}

export function interfaceDescriptionBlock(iface: InterfaceDescription): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(iface.linkType, 0);
  fixed.writeUInt16LE(0, 2); // reserved
  fixed.writeUInt32LE(iface.snapLen ?? 0, 4);
  const opts = encodeOptions([
    ...stringOption(IF_NAME, iface.name),
    ...stringOption(IF_DESCRIPTION, iface.description),
    [IF_TSRESOL, Buffer.from([iface.tsresolDecimal ?? 6])],
  ]);
  return block(BLOCK_TYPE_IDB, Buffer.concat([fixed, opts]));
}

export function enhancedPacketBlock(packet: EnhancedPacket): Buffer {
  const fixed = Buffer.alloc(20);
  fixed.writeUInt32LE(packet.interfaceId, 0);
  fixed.writeUInt32LE(Number((packet.timestamp >> 32n) & 0xffffffffn), 4);
  fixed.writeUInt32LE(Number(packet.timestamp & 0xffffffffn), 8);
  fixed.writeUInt32LE(packet.data.length, 12);
  fixed.writeUInt32LE(packet.originalLength ?? packet.data.length, 16);
  const data = Buffer.alloc(pad4(packet.data.length));
  data.set(packet.data);
  const flags: Option[] = [];
  if (packet.direction) {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(DIRECTION_BITS[packet.direction]);
    flags.push([EPB_FLAGS, v]);
  }
  const opts = encodeOptions([...stringOption(OPT_COMMENT, packet.comment), ...flags]);
  return block(BLOCK_TYPE_EPB, Buffer.concat([fixed, data, opts]));
}

/**
 * Appends blocks to a file with synchronous writes: every packet is in the file when `writePacket`
 * returns, so a crash loses nothing already captured. Captures are small (serial bytes, HCI packets).
 */
export class PcapngWriter {
  private fd: number | undefined;
  private interfaces = 0;

  constructor(
    readonly file: string,
    section: SectionOptions = {},
  ) {
    this.fd = fs.openSync(file, 'w');
    this.append(sectionHeaderBlock(section));
  }

  /** Describe an interface; returns its id for `writePacket`. May follow packets of other interfaces. */
  addInterface(iface: InterfaceDescription): number {
    this.append(interfaceDescriptionBlock(iface));
    return this.interfaces++;
  }

  writePacket(packet: EnhancedPacket): void {
    if (packet.interfaceId >= this.interfaces) {
      throw new RangeError(`pcapng: interface ${packet.interfaceId} has not been described`);
    }
    this.append(enhancedPacketBlock(packet));
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private append(bytes: Buffer): void {
    if (this.fd === undefined) throw new Error(`pcapng: ${this.file} is closed`);
    for (let at = 0; at < bytes.length;) at += fs.writeSync(this.fd, bytes, at);
  }
}
