/**
 * Where host drivers get HID devices: one `openHidDevice(path)` for real devices through node-hid and for
 * the emulated devices of this process, both answering with node-hid's `HIDAsync` surface plus
 * `getReportDescriptor()` — the seam of DESIGN.md for USB HID, like a PTY path for serial.
 *
 * Paths:
 * - `hid:<vid>:<pid>[:<serial>]` (hex ids, as `benchtwin devices` lists them) — the first matching real
 *   device, opened with node-hid;
 * - `/dev/hidrawN` (or any path node-hid lists) — that real device;
 * - `emu:hid/<name>` — an emulated device attached to this process's bus by a bench.
 *
 * node-hid 3 does not read report descriptors. On Linux the kernel publishes each hidraw device's descriptor
 * in sysfs (`/sys/class/hidraw/hidrawN/device/report_descriptor`), readable without privileges; that is where
 * a real device's descriptor comes from.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { HidDeviceInfo } from './emulated-device.js';

/** What a HID host driver holds: node-hid's HIDAsync plus the report descriptor. */
export interface HidDeviceHandle extends EventEmitter {
  write(data: number[] | Uint8Array): Promise<number>;
  read(timeoutMs?: number): Promise<Buffer | undefined>;
  sendFeatureReport(data: number[] | Uint8Array): Promise<number>;
  getFeatureReport(reportId: number, reportLength: number): Promise<Buffer>;
  getDeviceInfo(): Promise<HidDeviceInfo>;
  getReportDescriptor(): Promise<Buffer>;
  close(): Promise<void>;
}

/** An emulated device on the bus: a new host handle per open, as the kernel gives one per open(2). */
export interface EmulatedHidFunction {
  info(): HidDeviceInfo;
  open(): HidDeviceHandle;
}

export class HidBusError extends Error {
  override readonly name = 'HidBusError';
  constructor(
    message: string,
    /** 'not-found': nothing answers to the path; 'open': it exists but cannot be opened. */
    readonly reason: 'not-found' | 'open' | 'path',
  ) {
    super(message);
  }
}

const emulated = new Map<string, EmulatedHidFunction>();
const busEvents = new EventEmitter<{ attach: [path: string]; detach: [path: string] }>();

/** A bench plugs an emulated device in. */
export function attachEmulatedHid(devicePath: string, fn: EmulatedHidFunction): void {
  if (!devicePath.startsWith('emu:hid/'))
    throw new HidBusError(`${devicePath}: expected emu:hid/<name>`, 'path');
  if (emulated.has(devicePath)) throw new HidBusError(`${devicePath} is already attached`, 'path');
  emulated.set(devicePath, fn);
  busEvents.emit('attach', devicePath);
}

/** …and unplugs it. Open handles are the device's to fail. */
export function detachEmulatedHid(devicePath: string, fn?: EmulatedHidFunction): void {
  if (fn && emulated.get(devicePath) !== fn) return;
  if (emulated.delete(devicePath)) busEvents.emit('detach', devicePath);
}

export function onHidBus(event: 'attach' | 'detach', listener: (path: string) => void): () => void {
  busEvents.on(event, listener);
  return () => busEvents.off(event, listener);
}

export interface HidPathSpec {
  kind: 'emulated' | 'ids' | 'path';
  path: string;
  vendorId?: number;
  productId?: number;
  serialNumber?: string;
}

const HEX16 = /^[0-9a-f]{1,4}$/i;

export function parseHidPath(text: string): HidPathSpec {
  if (text.startsWith('emu:hid/') && text.length > 'emu:hid/'.length) return { kind: 'emulated', path: text };
  if (text.startsWith('hid:')) {
    const [vid, pid, ...rest] = text.slice(4).split(':');
    if (!vid || !pid || !HEX16.test(vid) || !HEX16.test(pid)) {
      throw new HidBusError(`${text}: expected hid:<vid>:<pid>[:<serial>] with hexadecimal ids`, 'path');
    }
    const serial = rest.join(':');
    return {
      kind: 'ids',
      path: text,
      vendorId: parseInt(vid, 16),
      productId: parseInt(pid, 16),
      ...(serial ? { serialNumber: serial } : {}),
    };
  }
  if (text.startsWith('/')) return { kind: 'path', path: text };
  throw new HidBusError(
    `${text}: expected hid:<vid>:<pid>[:<serial>], /dev/hidrawN or emu:hid/<name>`,
    'path',
  );
}

type NodeHid = typeof import('node-hid');
let nodeHid: NodeHid | undefined;

/** node-hid loads lazily: a bench of emulated devices never needs the native module. */
function loadNodeHid(): NodeHid {
  if (!nodeHid) nodeHid = createRequire(import.meta.url)('node-hid') as NodeHid;
  return nodeHid;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** Every HID device this process can open: node-hid's list and the emulated devices. */
export async function listHidDevices(): Promise<HidDeviceInfo[]> {
  const out: HidDeviceInfo[] = [...emulated.values()].map((fn) => fn.info());
  try {
    out.push(...(await loadNodeHid().devicesAsync()));
  } catch {
    // No hidraw on this machine (or node-hid failed to load): only the emulated devices.
  }
  return out;
}

/** The `hid:` path of a listed device. */
export function hidIdsPath(info: HidDeviceInfo): string {
  return `hid:${hex4(info.vendorId)}:${hex4(info.productId)}${info.serialNumber ? `:${info.serialNumber}` : ''}`;
}

/** Opens a HID device by path; `HidBusError` when there is none or it cannot be opened. */
export async function openHidDevice(text: string): Promise<HidDeviceHandle> {
  const spec = parseHidPath(text);
  if (spec.kind === 'emulated') {
    const fn = emulated.get(spec.path);
    if (!fn) throw new HidBusError(`${spec.path}: no such emulated HID device in this process`, 'not-found');
    return fn.open();
  }
  const hid = loadNodeHid();
  let devicePath = spec.path;
  if (spec.kind === 'ids') {
    const found = (await hid.devicesAsync(spec.vendorId!, spec.productId!)).find(
      (d) => spec.serialNumber === undefined || d.serialNumber === spec.serialNumber,
    );
    if (!found?.path) throw new HidBusError(`${text}: no such HID device`, 'not-found');
    devicePath = found.path;
  }
  let device: import('node-hid').HIDAsync;
  try {
    device = await hid.HIDAsync.open(devicePath);
  } catch (err) {
    throw new HidBusError(`${text}: ${err instanceof Error ? err.message : String(err)}`, 'open');
  }
  return withDescriptor(device, devicePath);
}

/** node-hid's HIDAsync with `getReportDescriptor` from sysfs. */
function withDescriptor(device: import('node-hid').HIDAsync, devicePath: string): HidDeviceHandle {
  const handle = device as unknown as HidDeviceHandle;
  handle.getReportDescriptor = async () => {
    const node = path.basename(devicePath);
    if (!/^hidraw\d+$/.test(node)) {
      throw new HidBusError(
        `${devicePath}: report descriptors are read from Linux hidraw devices only`,
        'open',
      );
    }
    return readFile(`/sys/class/hidraw/${node}/device/report_descriptor`);
  };
  return handle;
}
