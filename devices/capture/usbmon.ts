/**
 * USB packets as Linux usbmon delivers them through its binary (mmap) interface, for captures of link type
 * LINKTYPE_USB_LINUX_MMAPPED (220): a 64-byte header, then the data (Linux Documentation/usb/usbmon.rst,
 * "Raw binary format and API"; libpcap pcap/usb.h). Wireshark's usb dissector reads these, and from a
 * recorded enumeration its usbhid dissector reads the report descriptor and the reports.
 *
 * One URB gives two packets with the same id: a Submit ('S') when the host hands it to the controller and
 * a Complete ('C') when it is done (or an Error 'E'). Control Submits carry the 8 setup bytes; data
 * travels on the Submit for OUT transfers and on the Complete for IN transfers.
 *
 * Multi-byte fields are in the byte order of the capturing host; benchtwin writes little-endian, the order
 * of a little-endian pcapng section, which is how Wireshark reads them from our files.
 */

export const USBMON_HEADER_BYTES = 64;

export type UsbmonEventType = 'S' | 'C' | 'E';

/** xfer_type (usbmon.rst). */
export const UsbTransferType = {
  ISOCHRONOUS: 0,
  INTERRUPT: 1,
  CONTROL: 2,
  BULK: 3,
} as const;

/** Bit 7 of the endpoint address: device → host. */
export const USB_DIR_IN = 0x80;
/** URB transfer_flags bit the kernel sets on IN URBs (URB_DIR_IN). */
export const URB_DIR_IN = 0x0200;
/** Status of a Submit that has not completed, as Linux writes it (-EINPROGRESS). */
export const STATUS_IN_PROGRESS = -115;

/** flag_setup / flag_data: binary 0 when the setup packet or the data is present. */
const FLAG_PRESENT = 0;
/** flag_setup when a packet has no setup bytes ('-'). */
const FLAG_NO_SETUP = 0x2d;
/** flag_data when an IN Submit has no data yet ('<') or an OUT Complete no longer carries it ('>'). */
const FLAG_DATA_IN = 0x3c;
const FLAG_DATA_OUT = 0x3e;

export interface UsbmonPacket {
  /** URB id, the same on the Submit and the Complete of one URB. */
  id: bigint;
  type: UsbmonEventType;
  /** A `UsbTransferType`. */
  transferType: number;
  /** Endpoint address: number in bits 0–3, USB_DIR_IN for device → host. */
  endpoint: number;
  device: number;
  bus: number;
  /** The 8-byte setup packet, on control Submits only. */
  setup?: Uint8Array | undefined;
  /** Data carried by this packet (empty when none). */
  data: Uint8Array;
  /** URB length: requested on a Submit, actual on a Complete. */
  urbLength: number;
  /** 0, STATUS_IN_PROGRESS on Submits, or a negative errno. */
  status: number;
  /** Microseconds since 1970. */
  timestampUs: bigint;
  /** Polling interval of interrupt and isochronous endpoints (frames); 0 otherwise. */
  interval?: number;
  startFrame?: number;
  /** URB transfer_flags; defaults to URB_DIR_IN for IN endpoints. */
  xferFlags?: number;
}

export class UsbmonError extends Error {
  override readonly name = 'UsbmonError';
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {
    super(`usbmon packet, byte ${offset}: expected ${expected}`);
  }
}

const EVENT_BYTES: Record<UsbmonEventType, number> = { S: 0x53, C: 0x43, E: 0x45 };

/** The 64-byte header followed by the data. */
export function encodeUsbmonPacket(packet: UsbmonPacket): Uint8Array {
  if (packet.setup && packet.setup.length !== 8) throw new RangeError('usbmon: a setup packet has 8 bytes');
  const out = Buffer.alloc(USBMON_HEADER_BYTES + packet.data.length);
  const isIn = (packet.endpoint & USB_DIR_IN) !== 0;
  // Floor division, so that ts_usec stays 0–999999 before 1970 too.
  let seconds = packet.timestampUs / 1_000_000n;
  if (packet.timestampUs % 1_000_000n < 0n) seconds -= 1n;
  out.writeBigUInt64LE(BigInt.asUintN(64, packet.id), 0);
  out.writeUInt8(EVENT_BYTES[packet.type], 8);
  out.writeUInt8(packet.transferType, 9);
  out.writeUInt8(packet.endpoint, 10);
  out.writeUInt8(packet.device, 11);
  out.writeUInt16LE(packet.bus, 12);
  out.writeUInt8(packet.setup ? FLAG_PRESENT : FLAG_NO_SETUP, 14);
  out.writeUInt8(
    packet.data.length > 0 ? FLAG_PRESENT : packet.type === 'S' && isIn ? FLAG_DATA_IN : FLAG_DATA_OUT,
    15,
  );
  out.writeBigInt64LE(seconds, 16);
  out.writeInt32LE(Number(packet.timestampUs - seconds * 1_000_000n), 24);
  out.writeInt32LE(packet.status, 28);
  out.writeUInt32LE(packet.urbLength, 32);
  out.writeUInt32LE(packet.data.length, 36);
  if (packet.setup) out.set(packet.setup, 40);
  out.writeInt32LE(packet.interval ?? 0, 48);
  out.writeInt32LE(packet.startFrame ?? 0, 52);
  out.writeUInt32LE(packet.xferFlags ?? (isIn ? URB_DIR_IN : 0), 56);
  out.writeUInt32LE(0, 60); // ndesc: no isochronous descriptors
  out.set(packet.data, USBMON_HEADER_BYTES);
  return out;
}

/** Reads a packet back; a UsbmonError names the first field that is not what usbmon writes. */
export function decodeUsbmonPacket(bytes: Uint8Array): UsbmonPacket | UsbmonError {
  if (bytes.length < USBMON_HEADER_BYTES) {
    return new UsbmonError(bytes.length, `a ${USBMON_HEADER_BYTES}-byte header (got ${bytes.length} bytes)`);
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const typeByte = b.readUInt8(8);
  const type = (Object.keys(EVENT_BYTES) as UsbmonEventType[]).find((t) => EVENT_BYTES[t] === typeByte);
  if (!type) return new UsbmonError(8, `event type 'S', 'C' or 'E' (got 0x${typeByte.toString(16)})`);
  const transferType = b.readUInt8(9);
  if (transferType > UsbTransferType.BULK)
    return new UsbmonError(9, `a transfer type 0–3 (got ${transferType})`);
  const dataLength = b.readUInt32LE(36);
  if (USBMON_HEADER_BYTES + dataLength !== bytes.length) {
    return new UsbmonError(36, `a data length of ${bytes.length - USBMON_HEADER_BYTES} (got ${dataLength})`);
  }
  const usec = b.readInt32LE(24);
  if (usec < 0 || usec >= 1_000_000) return new UsbmonError(24, `microseconds 0–999999 (got ${usec})`);
  const ndesc = b.readUInt32LE(60);
  if (ndesc !== 0) return new UsbmonError(60, `no isochronous descriptors (got ${ndesc}): not supported`);
  const hasSetup = b.readUInt8(14) === FLAG_PRESENT;
  return {
    id: b.readBigUInt64LE(0),
    type,
    transferType,
    endpoint: b.readUInt8(10),
    device: b.readUInt8(11),
    bus: b.readUInt16LE(12),
    setup: hasSetup ? Uint8Array.from(b.subarray(40, 48)) : undefined,
    data: Uint8Array.from(b.subarray(USBMON_HEADER_BYTES)),
    urbLength: b.readUInt32LE(32),
    status: b.readInt32LE(28),
    timestampUs: b.readBigInt64LE(16) * 1_000_000n + BigInt(usec),
    interval: b.readInt32LE(48),
    startFrame: b.readInt32LE(52),
    xferFlags: b.readUInt32LE(56),
  };
}

/** The USB setup packet (USB 2.0 §9.3): bmRequestType, bRequest, wValue, wIndex, wLength. */
export interface UsbSetup {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

export function encodeSetup(setup: UsbSetup): Uint8Array {
  const out = Buffer.alloc(8);
  out.writeUInt8(setup.bmRequestType, 0);
  out.writeUInt8(setup.bRequest, 1);
  out.writeUInt16LE(setup.wValue, 2);
  out.writeUInt16LE(setup.wIndex, 4);
  out.writeUInt16LE(setup.wLength, 6);
  return out;
}

/** Where a URB goes and when its two halves happen. */
export interface UrbAddress {
  id: bigint;
  bus: number;
  device: number;
  submitUs: bigint;
  completeUs: bigint;
}

/**
 * A control transfer as two packets. Device-to-host requests (bmRequestType bit 7) carry `data` on the
 * Complete (the answer, at most wLength bytes); host-to-device ones carry it on the Submit.
 */
export function controlTransfer(
  urb: UrbAddress,
  setup: UsbSetup,
  data: Uint8Array = new Uint8Array(0),
): UsbmonPacket[] {
  const isIn = (setup.bmRequestType & USB_DIR_IN) !== 0;
  const common = { id: urb.id, bus: urb.bus, device: urb.device, transferType: UsbTransferType.CONTROL };
  const endpoint = isIn ? USB_DIR_IN : 0;
  const empty = new Uint8Array(0);
  return [
    {
      ...common,
      type: 'S',
      endpoint,
      setup: encodeSetup(setup),
      data: isIn ? empty : data,
      urbLength: isIn ? setup.wLength : data.length,
      status: STATUS_IN_PROGRESS,
      timestampUs: urb.submitUs,
    },
    {
      ...common,
      type: 'C',
      endpoint,
      data: isIn ? data : empty,
      urbLength: data.length,
      status: 0,
      timestampUs: urb.completeUs,
    },
  ];
}

/** The Submit of an interrupt URB: an IN one waits for up to `length` bytes; an OUT one carries its data. */
export function interruptSubmit(
  urb: Omit<UrbAddress, 'completeUs'>,
  endpoint: number,
  interval: number,
  dataOrLength: Uint8Array | number,
): UsbmonPacket {
  const isIn = (endpoint & USB_DIR_IN) !== 0;
  const data = typeof dataOrLength === 'number' || isIn ? new Uint8Array(0) : dataOrLength;
  return {
    id: urb.id,
    type: 'S',
    transferType: UsbTransferType.INTERRUPT,
    endpoint,
    device: urb.device,
    bus: urb.bus,
    data,
    urbLength: typeof dataOrLength === 'number' ? dataOrLength : dataOrLength.length,
    status: STATUS_IN_PROGRESS,
    timestampUs: urb.submitUs,
    interval,
  };
}

/** The Complete of an interrupt URB: an IN one brings the report; an OUT one reports the length sent. */
export function interruptComplete(
  urb: Omit<UrbAddress, 'submitUs'>,
  endpoint: number,
  interval: number,
  data: Uint8Array,
): UsbmonPacket {
  const isIn = (endpoint & USB_DIR_IN) !== 0;
  return {
    id: urb.id,
    type: 'C',
    transferType: UsbTransferType.INTERRUPT,
    endpoint,
    device: urb.device,
    bus: urb.bus,
    data: isIn ? data : new Uint8Array(0),
    urbLength: data.length,
    status: 0,
    timestampUs: urb.completeUs,
    interval,
  };
}
