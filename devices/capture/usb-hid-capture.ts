/**
 * usbmon captures (LINKTYPE_USB_LINUX_MMAPPED, see usbmon.ts) of a USB HID function, as a capture taken on
 * a Linux host with `usbmon` would show it: the enumeration — Device and Configuration descriptors (one
 * HID interface with its HID class descriptor announcing the report descriptor's length), SET_CONFIGURATION,
 * SET_IDLE, and GET_DESCRIPTOR(Report) answered with the report descriptor — then the reports: interrupt IN
 * for input reports, interrupt OUT or SET_REPORT for output reports, SET/GET_REPORT for feature reports.
 * Wireshark needs the enumeration to know which interface and endpoints are HID: with it, its usbhid
 * dissector decodes the report descriptor item by item and the reports. See docs/USB-CAPTURES.md.
 */
import os from 'node:os';
import type { Clock } from '../../firmware-sim/clock.js';
import { HidDescriptorError, parseReportDescriptor } from '../../firmware-sim/hid/descriptor.js';
import type { HidTransferSink } from '../hid/emulated-device.js';
import { LINKTYPE_USB_LINUX_MMAPPED, PcapngWriter } from './pcapng.js';
import { VIRTUAL_EPOCH_MS } from './serial-capture.js';
import {
  USB_DIR_IN,
  controlTransfer,
  encodeUsbmonPacket,
  interruptComplete,
  interruptSubmit,
  type UsbSetup,
  type UsbmonPacket,
} from './usbmon.js';

/** What a capture needs to know of the device and its HID interface. */
export interface UsbHidFunction {
  vendorId: number;
  productId: number;
  /** The report descriptor, as GET_DESCRIPTOR(Report) returns it. */
  descriptor: Uint8Array;
  /** bInterfaceNumber of the HID interface. Default 0. */
  interfaceNumber?: number;
  /** Interrupt IN endpoint number (1–15). Default 1. */
  inEndpoint?: number;
  /** Interrupt OUT endpoint number (1–15); without one, output reports go by SET_REPORT. */
  outEndpoint?: number;
  /** bcdDevice. Default 0x0100. */
  release?: number;
  /** Boot interface subclass (HID 1.11 §4.2–4.3): interface subclass 1 and protocol 1 or 2. Default none. */
  boot?: 'keyboard' | 'mouse';
  /** wMaxPacketSize of the interrupt endpoints. Default: the longest report, 8–64 bytes. */
  maxPacketSize?: number;
  /** bInterval, in frames (ms at full speed). Default 1. */
  interval?: number;
  /** usbmon bus number and device address. Default 1 and 2. */
  bus?: number;
  address?: number;
}

const DESCRIPTOR_DEVICE = 0x01;
const DESCRIPTOR_CONFIGURATION = 0x02;
const DESCRIPTOR_INTERFACE = 0x04;
const DESCRIPTOR_ENDPOINT = 0x05;
const DESCRIPTOR_HID = 0x21;
const DESCRIPTOR_REPORT = 0x22;
const CLASS_HID = 0x03;
const REQUEST_GET_DESCRIPTOR = 0x06;
const REQUEST_SET_CONFIGURATION = 0x09;
const HID_GET_REPORT = 0x01;
const HID_SET_REPORT = 0x09;
const HID_SET_IDLE = 0x0a;
const REPORT_TYPE = { input: 1, output: 2, feature: 3 } as const;

interface Resolved {
  vendorId: number;
  productId: number;
  descriptor: Uint8Array;
  interfaceNumber: number;
  inEndpoint: number;
  outEndpoint: number | undefined;
  release: number;
  boot: 'keyboard' | 'mouse' | undefined;
  maxPacketSize: number;
  interval: number;
  bus: number;
  address: number;
  usesReportIds: boolean;
  longestInput: number;
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`USB HID capture: ${what} must be an integer ${min}–${max} (got ${value})`);
  }
}

function resolve(fn: UsbHidFunction): Resolved {
  // The capture records whatever descriptor the device serves, even a malformed one: the parse only
  // supplies defaults (packet size, report IDs) when it succeeds.
  let usesReportIds = false;
  let longestInput = 0;
  let longest = 0;
  try {
    const parsed = parseReportDescriptor(fn.descriptor);
    usesReportIds = parsed.usesReportIds;
    longestInput = Math.max(0, ...parsed.inputReports.map((r) => r.byteLength));
    longest = Math.max(longestInput, ...parsed.outputReports.map((r) => r.byteLength));
  } catch (e) {
    if (!(e instanceof HidDescriptorError)) throw e;
  }
  const resolved: Resolved = {
    vendorId: fn.vendorId,
    productId: fn.productId,
    descriptor: Uint8Array.from(fn.descriptor),
    interfaceNumber: fn.interfaceNumber ?? 0,
    inEndpoint: fn.inEndpoint ?? 1,
    outEndpoint: fn.outEndpoint,
    release: fn.release ?? 0x0100,
    boot: fn.boot,
    maxPacketSize: fn.maxPacketSize ?? Math.min(64, Math.max(8, longest)),
    interval: fn.interval ?? 1,
    bus: fn.bus ?? 1,
    address: fn.address ?? 2,
    usesReportIds,
    longestInput,
  };
  checkRange('vendorId', resolved.vendorId, 0, 0xffff);
  checkRange('productId', resolved.productId, 0, 0xffff);
  checkRange('release', resolved.release, 0, 0xffff);
  checkRange('interfaceNumber', resolved.interfaceNumber, 0, 0xff);
  checkRange('inEndpoint', resolved.inEndpoint, 1, 15);
  if (resolved.outEndpoint !== undefined) checkRange('outEndpoint', resolved.outEndpoint, 1, 15);
  checkRange('maxPacketSize', resolved.maxPacketSize, 1, 1024);
  checkRange('interval', resolved.interval, 1, 255);
  checkRange('bus', resolved.bus, 0, 0xffff);
  checkRange('address', resolved.address, 1, 127);
  checkRange('report descriptor length', resolved.descriptor.length, 0, 0xffff);
  return resolved;
}

/** Device descriptor (USB 2.0 §9.6.1): class defined at the interface, one configuration, no strings. */
export function usbDeviceDescriptor(fn: UsbHidFunction): Uint8Array {
  const r = resolve(fn);
  const d = Buffer.alloc(18);
  d.writeUInt8(18, 0);
  d.writeUInt8(DESCRIPTOR_DEVICE, 1);
  d.writeUInt16LE(0x0200, 2); // bcdUSB 2.0
  // bDeviceClass, bDeviceSubClass, bDeviceProtocol: 0, the class is the interface's
  d.writeUInt8(64, 7); // bMaxPacketSize0
  d.writeUInt16LE(r.vendorId, 8);
  d.writeUInt16LE(r.productId, 10);
  d.writeUInt16LE(r.release, 12);
  // iManufacturer, iProduct, iSerialNumber: 0, no string descriptors
  d.writeUInt8(1, 17); // bNumConfigurations
  return d;
}

/**
 * Configuration descriptor with everything that follows it (USB 2.0 §9.6.3, HID 1.11 §7.1): configuration,
 * the HID interface, its HID descriptor (one Report descriptor of the right length), its endpoints.
 */
export function usbHidConfigurationDescriptor(fn: UsbHidFunction): Uint8Array {
  const r = resolve(fn);
  const endpoint = (address: number): Buffer => {
    const e = Buffer.alloc(7);
    e.writeUInt8(7, 0);
    e.writeUInt8(DESCRIPTOR_ENDPOINT, 1);
    e.writeUInt8(address, 2);
    e.writeUInt8(0x03, 3); // interrupt
    e.writeUInt16LE(r.maxPacketSize, 4);
    e.writeUInt8(r.interval, 6);
    return e;
  };
  const endpoints = [endpoint(USB_DIR_IN | r.inEndpoint)];
  if (r.outEndpoint !== undefined) endpoints.push(endpoint(r.outEndpoint));

  const iface = Buffer.alloc(9);
  iface.writeUInt8(9, 0);
  iface.writeUInt8(DESCRIPTOR_INTERFACE, 1);
  iface.writeUInt8(r.interfaceNumber, 2);
  iface.writeUInt8(0, 3); // bAlternateSetting
  iface.writeUInt8(endpoints.length, 4);
  iface.writeUInt8(CLASS_HID, 5);
  iface.writeUInt8(r.boot ? 1 : 0, 6); // bInterfaceSubClass: 1 = boot interface
  iface.writeUInt8(r.boot === 'keyboard' ? 1 : r.boot === 'mouse' ? 2 : 0, 7);

  const hid = Buffer.alloc(9);
  hid.writeUInt8(9, 0);
  hid.writeUInt8(DESCRIPTOR_HID, 1);
  hid.writeUInt16LE(0x0111, 2); // bcdHID 1.11
  hid.writeUInt8(0, 4); // bCountryCode: not localized
  hid.writeUInt8(1, 5); // bNumDescriptors
  hid.writeUInt8(DESCRIPTOR_REPORT, 6);
  hid.writeUInt16LE(r.descriptor.length, 7);

  const body = Buffer.concat([iface, hid, ...endpoints]);
  const config = Buffer.alloc(9);
  config.writeUInt8(9, 0);
  config.writeUInt8(DESCRIPTOR_CONFIGURATION, 1);
  config.writeUInt16LE(9 + body.length, 2); // wTotalLength
  config.writeUInt8(1, 4); // bNumInterfaces
  config.writeUInt8(1, 5); // bConfigurationValue
  config.writeUInt8(0x80, 7); // bmAttributes: bus powered
  config.writeUInt8(50, 8); // bMaxPower: 100 mA
  return Buffer.concat([config, body]);
}

/** URB ids and times of a capture; ids look like the kernel addresses usbmon shows. */
export interface UrbClock {
  nextId(): bigint;
}

export function urbIds(first = 0xffff_8880_0000_0000n): UrbClock {
  let next = first;
  return {
    nextId: () => {
      const id = next;
      next += 0x100n;
      return id;
    },
  };
}

export interface EnumerationTiming {
  /** Time of the first packet, µs since 1970. Default VIRTUAL_EPOCH_MS. */
  startUs?: bigint;
  /** Time between one packet and the next. Default 1000 µs. */
  stepUs?: bigint;
  ids?: UrbClock;
}

/**
 * The enumeration of a HID function as usbmon packets: GET_DESCRIPTOR(Device), GET_DESCRIPTOR
 * (Configuration) first for 9 bytes then in full, SET_CONFIGURATION(1), SET_IDLE(0) on the interface,
 * GET_DESCRIPTOR(Report) on the interface answered with the report descriptor, and the first interrupt IN
 * Submit (the host polling for input reports), whose Complete the first input report will be.
 */
export function hidEnumerationPackets(fn: UsbHidFunction, timing: EnumerationTiming = {}): UsbmonPacket[] {
  const r = resolve(fn);
  const ids = timing.ids ?? urbIds();
  const step = timing.stepUs ?? 1000n;
  let t = timing.startUs ?? BigInt(VIRTUAL_EPOCH_MS) * 1000n;
  const packets: UsbmonPacket[] = [];
  const control = (setup: UsbSetup, data?: Uint8Array): void => {
    const urb = { id: ids.nextId(), bus: r.bus, device: r.address, submitUs: t, completeUs: t + step / 2n };
    packets.push(...controlTransfer(urb, setup, data));
    t += step;
  };
  const getDescriptor = (
    type: number,
    length: number,
    answer: Uint8Array,
    recipient = 0x80,
    index = 0,
  ): void =>
    control(
      {
        bmRequestType: recipient,
        bRequest: REQUEST_GET_DESCRIPTOR,
        wValue: type << 8,
        wIndex: index,
        wLength: length,
      },
      answer.subarray(0, length),
    );
  const device = usbDeviceDescriptor(fn);
  const config = usbHidConfigurationDescriptor(fn);
  getDescriptor(DESCRIPTOR_DEVICE, device.length, device);
  getDescriptor(DESCRIPTOR_CONFIGURATION, 9, config);
  getDescriptor(DESCRIPTOR_CONFIGURATION, config.length, config);
  control({ bmRequestType: 0x00, bRequest: REQUEST_SET_CONFIGURATION, wValue: 1, wIndex: 0, wLength: 0 });
  control({ bmRequestType: 0x21, bRequest: HID_SET_IDLE, wValue: 0, wIndex: r.interfaceNumber, wLength: 0 });
  // Standard request to the interface (bmRequestType 0x81), HID 1.11 §7.1.1.
  getDescriptor(DESCRIPTOR_REPORT, r.descriptor.length, r.descriptor, 0x81, r.interfaceNumber);
  packets.push(
    interruptSubmit(
      { id: ids.nextId(), bus: r.bus, device: r.address, submitUs: t },
      USB_DIR_IN | r.inEndpoint,
      r.interval,
      Math.max(r.maxPacketSize, r.longestInput),
    ),
  );
  return packets;
}

/** What `usbHidFunctionOf` reads: node-hid's HIDAsync surface, emulated or real. */
export interface HidIdentitySource {
  getDeviceInfo(): Promise<{ vendorId: number; productId: number; release?: number; interface?: number }>;
  getReportDescriptor(): Promise<Uint8Array>;
}

/**
 * The capture's view of an opened HID device (an EmulatedHidDevice, or a real one opened with node-hid):
 * its IDs, bcdDevice, interface number and report descriptor; `overrides` set the rest (endpoints…).
 */
export async function usbHidFunctionOf(
  hid: HidIdentitySource,
  overrides: Partial<UsbHidFunction> = {},
): Promise<UsbHidFunction> {
  const info = await hid.getDeviceInfo();
  const descriptor = Uint8Array.from(await hid.getReportDescriptor());
  // hidapi reports -1 when the platform does not know the interface number.
  const iface =
    info.interface !== undefined && info.interface >= 0 ? { interfaceNumber: info.interface } : {};
  return {
    vendorId: info.vendorId,
    productId: info.productId,
    descriptor,
    ...(info.release !== undefined ? { release: info.release } : {}),
    ...iface,
    ...overrides,
  };
}

export interface UsbHidCaptureOptions {
  file: string;
  clock: Clock;
  function: UsbHidFunction;
  /** Epoch (ms since 1970) of clock time 0 for a virtual clock. Default VIRTUAL_EPOCH_MS. */
  virtualEpochMs?: number;
}

/**
 * A pcapng file of one HID function on its own usbmon bus: the enumeration is written when the capture
 * opens (at the clock's current time), the reports as they are recorded. Times are clock times in ms
 * (default: now), in the order they happened.
 */
export class UsbHidCapture implements HidTransferSink {
  readonly file: string;
  private readonly writer: PcapngWriter;
  private readonly interfaceId: number;
  private readonly clock: Clock;
  private readonly epochOffsetMs: number;
  private readonly fn: Resolved;
  private readonly ids = urbIds();
  /** The interrupt IN URB waiting for the next input report. */
  private pendingIn: bigint;

  constructor(options: UsbHidCaptureOptions) {
    this.file = options.file;
    this.clock = options.clock;
    this.fn = resolve(options.function);
    this.epochOffsetMs = this.clock.virtual
      ? (options.virtualEpochMs ?? VIRTUAL_EPOCH_MS)
      : Date.now() - this.clock.now();
    this.writer = new PcapngWriter(this.file, { os: `${os.type()} ${os.release()}`, userAppl: 'benchtwin' });
    this.interfaceId = this.writer.addInterface({
      linkType: LINKTYPE_USB_LINUX_MMAPPED,
      name: `usbmon${this.fn.bus}`,
      description: 'benchtwin emulated USB HID device, as Linux usbmon shows it',
      tsresolDecimal: 6,
    });
    const enumeration = hidEnumerationPackets(options.function, {
      startUs: this.us(this.clock.now()),
      ids: this.ids,
    });
    for (const p of enumeration) this.write(p);
    this.pendingIn = (enumeration[enumeration.length - 1] as UsbmonPacket).id;
  }

  /** An input report (`[ID][payload]`, or the payload alone without report IDs) on the interrupt IN pipe. */
  inputReport(report: Uint8Array, timeMs = this.clock.now()): void {
    if (this.writer.closed) return;
    const t = this.us(timeMs);
    const endpoint = USB_DIR_IN | this.fn.inEndpoint;
    const at = { bus: this.fn.bus, device: this.fn.address };
    this.write(
      interruptComplete({ ...at, id: this.pendingIn, completeUs: t }, endpoint, this.fn.interval, report),
    );
    // The host resubmits at once to keep polling.
    this.pendingIn = this.ids.nextId();
    const length = Math.max(this.fn.maxPacketSize, this.fn.longestInput);
    this.write(
      interruptSubmit({ ...at, id: this.pendingIn, submitUs: t }, endpoint, this.fn.interval, length),
    );
  }

  /** An output report, framed as the input one: interrupt OUT when the function has that endpoint, else SET_REPORT. */
  outputReport(report: Uint8Array, timeMs = this.clock.now()): void {
    if (this.writer.closed) return;
    const t = this.us(timeMs);
    if (this.fn.outEndpoint === undefined) {
      this.setReport('output', report, t);
      return;
    }
    const urb = { id: this.ids.nextId(), bus: this.fn.bus, device: this.fn.address };
    this.write(interruptSubmit({ ...urb, submitUs: t }, this.fn.outEndpoint, this.fn.interval, report));
    this.write(interruptComplete({ ...urb, completeUs: t }, this.fn.outEndpoint, this.fn.interval, report));
  }

  /** SET_REPORT(Feature) with this report. */
  setFeatureReport(report: Uint8Array, timeMs = this.clock.now()): void {
    if (this.writer.closed) return;
    this.setReport('feature', report, this.us(timeMs));
  }

  /** GET_REPORT(Feature) answered with this report. */
  getFeatureReport(report: Uint8Array, timeMs = this.clock.now()): void {
    if (this.writer.closed) return;
    const t = this.us(timeMs);
    const urb = {
      id: this.ids.nextId(),
      bus: this.fn.bus,
      device: this.fn.address,
      submitUs: t,
      completeUs: t,
    };
    const setup = this.reportSetup(0xa1, HID_GET_REPORT, 'feature', report);
    for (const p of controlTransfer(urb, setup, report)) this.write(p);
  }

  get closed(): boolean {
    return this.writer.closed;
  }

  /** Idempotent; reports after close are ignored (a device may outlive its capture). */
  close(): void {
    this.writer.close();
  }

  private setReport(type: 'output' | 'feature', report: Uint8Array, t: bigint): void {
    const urb = {
      id: this.ids.nextId(),
      bus: this.fn.bus,
      device: this.fn.address,
      submitUs: t,
      completeUs: t,
    };
    const setup = this.reportSetup(0x21, HID_SET_REPORT, type, report);
    for (const p of controlTransfer(urb, setup, report)) this.write(p);
  }

  /** SET_REPORT / GET_REPORT setup (HID 1.11 §7.2): wValue = report type << 8 | report ID. */
  private reportSetup(
    bmRequestType: number,
    bRequest: number,
    type: keyof typeof REPORT_TYPE,
    report: Uint8Array,
  ): UsbSetup {
    const reportId = this.fn.usesReportIds ? (report[0] ?? 0) : 0;
    return {
      bmRequestType,
      bRequest,
      wValue: (REPORT_TYPE[type] << 8) | reportId,
      wIndex: this.fn.interfaceNumber,
      wLength: report.length,
    };
  }

  private us(timeMs: number): bigint {
    return BigInt(Math.round((this.epochOffsetMs + timeMs) * 1000));
  }

  private write(packet: UsbmonPacket): void {
    this.writer.writePacket({
      interfaceId: this.interfaceId,
      timestamp: packet.timestampUs,
      data: encodeUsbmonPacket(packet),
    });
  }
}
