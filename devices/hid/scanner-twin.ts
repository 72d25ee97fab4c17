/**
 * A USB HID barcode scanner twin: the scanner firmware behind an emulated HID device with node-hid's
 * HIDAsync surface. HID POS mode (usage page 0x8C) sends Scanned Data reports laid out by its report
 * descriptor and takes trigger reports; keyboard-wedge mode types the label as boot-keyboard key reports
 * in the scanner's keyboard layout and follows the host's Caps Lock LED.
 */
import type { Clock } from '../../firmware-sim/clock.js';
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { HID_POS_SCANNER_DESCRIPTOR } from '../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import { decode as defaultDecode } from '../../firmware-sim/scanner/decode.js';
import { ScannerFirmware, type ScanResult, type ScannerEvent } from '../../firmware-sim/scanner/engine.js';
import {
  encodeScannedData,
  hidPosLayout,
  parseTriggerReport,
  type HidPosLayout,
} from '../../firmware-sim/scanner/hid-pos.js';
import type { KeyboardLayoutId } from '../../firmware-sim/scanner/keyboard-layouts.js';
import type { ScannerProfile } from '../../firmware-sim/scanner/profile.js';
import { symbologyInfo } from '../../firmware-sim/scanner/symbology.js';
import type { DecodeFn, DecodedSymbol, ScanInput } from '../../firmware-sim/scanner/types.js';
import { encodeWedgeBytes, parseLedReport, wedgeSchedule } from '../../firmware-sim/scanner/wedge.js';
import {
  HidDescriptorError,
  parseReportDescriptor,
  type HidReportDescriptor,
} from '../../firmware-sim/hid/descriptor.js';
import {
  EmulatedHidDevice,
  HidDeviceError,
  type HidDeviceInfo,
  type HidTransferSink,
} from './emulated-device.js';
import { attachEmulatedHid, detachEmulatedHid, type EmulatedHidFunction } from './hid-bus.js';

export type HidScannerMode = 'hid-pos' | 'wedge';

export interface HidScannerTwinOptions {
  name: string;
  profile: ScannerProfile;
  mode: HidScannerMode;
  clock: Clock;
  /** Wedge: the scanner's keyboard country (default us). */
  layout?: KeyboardLayoutId;
  decode?: DecodeFn;
  /** Plug into this process's HID bus so `openHidDevice(path)` finds it (default true). */
  attach?: boolean;
}

type TwinEvent = ScannerEvent | { type: 'hid-reports'; count: number; skipped: string[] };

/**
 * The twin is a USB function: each host open gets its own handle (as each open(2) of a hidraw node does),
 * and every open handle receives the input reports.
 */
export class HidScannerTwin implements EmulatedHidFunction {
  /** The device's path as `benchtwin devices` and the control API show it (`emu:hid/<name>`). */
  readonly path: string;
  readonly mode: HidScannerMode;
  readonly layout: KeyboardLayoutId;
  readonly profile: ScannerProfile;
  readonly descriptorBytes: Uint8Array;
  readonly descriptor: HidReportDescriptor;
  private fw: ScannerFirmware;
  private readonly clock: Clock;
  private readonly decode: DecodeFn;
  private readonly posLayout: HidPosLayout | undefined;
  private readonly deviceInfo: HidDeviceInfo;
  private readonly handles = new Set<EmulatedHidDevice>();
  private readonly attach: boolean;
  private pluggedIn = false;
  private capture: (HidTransferSink & { close(): void }) | undefined;
  private capsLock = false;
  private reportsSent = 0;
  private readonly listeners = new Set<(event: TwinEvent) => void>();

  constructor(options: HidScannerTwinOptions) {
    this.mode = options.mode;
    this.layout = options.layout ?? 'us';
    this.profile = options.profile;
    this.clock = options.clock;
    this.decode = options.decode ?? defaultDecode;
    this.attach = options.attach ?? true;
    this.path = `emu:hid/${options.name}`;
    this.descriptorBytes = options.mode === 'hid-pos' ? HID_POS_SCANNER_DESCRIPTOR : BOOT_KEYBOARD_DESCRIPTOR;
    try {
      this.descriptor = parseReportDescriptor(this.descriptorBytes);
    } catch (e) {
      if (e instanceof HidDescriptorError)
        throw new HidDeviceError(`invalid report descriptor: ${e.message}`);
      throw e;
    }
    const top = this.descriptor.collections[0];
    this.deviceInfo = {
      vendorId: options.profile.usb.vendorId,
      productId: options.profile.usb.productIds[options.mode],
      path: this.path,
      manufacturer: options.profile.identity.manufacturer,
      product: `${options.profile.identity.model} (${options.mode === 'hid-pos' ? 'HID POS' : 'keyboard'})`,
      serialNumber: options.profile.identity.serialNumber,
      release: 0,
      interface: 0,
      usagePage: top?.usagePage,
      usage: top?.usage,
    };
    this.posLayout = options.mode === 'hid-pos' ? hidPosLayout(this.descriptor) : undefined;
    this.fw = this.boot();
    this.plug();
  }

  // ——— the USB function, as the bus sees it ———

  info(): HidDeviceInfo {
    return { ...this.deviceInfo };
  }

  /** A new host handle with node-hid's HIDAsync surface. */
  open(): EmulatedHidDevice {
    if (!this.pluggedIn) throw new HidDeviceError(`could not open HID device: ${this.path} is unplugged`);
    const handle = new EmulatedHidDevice({
      descriptor: this.descriptorBytes,
      info: this.deviceInfo,
      clock: this.clock,
      handler: { output: (report) => this.onOutputReport(report) },
      ...(this.capture ? { capture: this.capture } : {}),
    });
    const close = handle.close.bind(handle);
    handle.close = async (): Promise<void> => {
      this.handles.delete(handle);
      await close();
    };
    this.handles.add(handle);
    return handle;
  }

  /** Record the USB traffic of every handle opened from now on; closed with the twin. */
  setCapture(capture: HidTransferSink & { close(): void }): void {
    this.capture = capture;
    for (const h of this.handles) h.setCapture(capture);
  }

  get plugged(): boolean {
    return this.pluggedIn;
  }

  /** Handles the host holds open. */
  get openHandles(): number {
    return this.handles.size;
  }

  /** Pull the cable: every open handle fails and the path leaves the bus until replug. */
  unplug(): void {
    if (!this.pluggedIn) return;
    this.pluggedIn = false;
    if (this.attach) detachEmulatedHid(this.path, this);
    for (const h of this.handles) h.disconnect();
    this.handles.clear();
    // A re-enumerated keyboard starts with its LEDs off until the host sets them again.
    this.capsLock = false;
  }

  replug(): void {
    if (!this.pluggedIn) this.plug();
  }

  private plug(): void {
    this.pluggedIn = true;
    if (this.attach) attachEmulatedHid(this.path, this);
  }

  // ——— the scanner ———

  get firmware(): ScannerFirmware {
    return this.fw;
  }

  /** Reports handed to the host since start. */
  get sent(): number {
    return this.reportsSent;
  }

  /** The host's Caps Lock, as its last LED output report said (wedge). */
  get hostCapsLock(): boolean {
    return this.capsLock;
  }

  onEvent(listener: (event: TwinEvent) => void): void {
    this.listeners.add(listener);
  }

  /** The user aims at a symbol and pulls the trigger. */
  scan(input: ScanInput): ScanResult {
    return this.fw.scan(input);
  }

  powerCycle(): void {
    this.fw.powerOff();
    this.fw = this.boot();
  }

  close(): void {
    this.fw.powerOff();
    if (this.pluggedIn && this.attach) detachEmulatedHid(this.path, this);
    this.pluggedIn = false;
    for (const h of [...this.handles]) void h.close();
    this.handles.clear();
    this.capture?.close();
    this.capture = undefined;
  }

  private boot(): ScannerFirmware {
    // The serial formatter still runs (it gives the wedge its prefix, identifier and suffix); its wire is unused.
    const fw = new ScannerFirmware({ profile: this.profile, clock: this.clock, decode: this.decode });
    fw.on('read', (e) => this.send(e.symbol, e.bytes));
    for (const type of ['read', 'beep', 'led', 'session-timeout', 'transmit-error'] as const) {
      fw.on(type, (e) => this.emit(e));
    }
    return fw;
  }

  private send(symbol: DecodedSymbol, formatted: Uint8Array): void {
    let reports: Uint8Array[];
    let skipped: string[] = [];
    /** Delay of each report after the one before (the device queues them serially). */
    let gaps: number[];
    if (this.posLayout) {
      reports = encodeScannedData(this.posLayout, {
        aim: symbol.aim,
        data: symbol.data,
        codeId: symbologyInfo(symbol.symbology).honeywellCodeId.charCodeAt(0),
      });
      gaps = reports.map(() => this.profile.usb.reportIntervalMs);
    } else {
      const typed = encodeWedgeBytes(formatted, { layout: this.layout, capsLock: this.capsLock });
      reports = typed.reports;
      skipped = typed.skipped;
      const at = wedgeSchedule(reports.length, this.profile.usb.wedgePacing);
      gaps = at.map((t, i) => (i === 0 ? 0 : t - at[i - 1]!));
    }
    reports.forEach((r, i) => {
      for (const h of this.handles) h.queueInputReport(r, this.clock.virtual ? 0 : gaps[i]!);
      this.reportsSent++;
    });
    this.emit({ type: 'hid-reports', count: reports.length, skipped });
  }

  private onOutputReport(report: Uint8Array): void {
    try {
      if (this.posLayout) {
        const commands = parseTriggerReport(this.posLayout, report);
        if (commands.initiateRead) this.fw.trigger();
        if (commands.preventRead) this.fw.untrigger();
      } else {
        this.capsLock = parseLedReport(report).capsLock;
      }
    } catch {
      // A malformed output report is ignored, as a scanner's firmware would.
    }
  }

  private emit(event: TwinEvent): void {
    for (const l of this.listeners) l(event);
  }
}
