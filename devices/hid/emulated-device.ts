/**
 * An emulated USB HID device with node-hid's `HIDAsync` surface (node-hid 3: `write`, `read`, `data` and
 * `error` events, `sendFeatureReport`, `getFeatureReport`, `pause`/`resume`, `setNonBlocking`, `close`,
 * `getDeviceInfo`, `getReportDescriptor`), so a host driver holds the same kind of object for an emulated
 * scanner as for a real one opened with node-hid.
 *
 * Report framing follows hidapi as node-hid exposes it:
 * - `write` / `sendFeatureReport`: the first byte is the report ID, `0x00` for a device without report IDs
 *   (that byte is not part of the report and is not sent). The rest must be exactly the report's length as
 *   the descriptor declares it (hidraw passes any length on, Windows refuses a longer one and pads a shorter
 *   one: we refuse both, so a driver that gets it wrong fails on the bench, not in the field). The promise
 *   resolves with the number of bytes passed in, as hidapi returns.
 * - `read` and `data` events: the report as hidraw reads it: `[ID][payload]`, the payload alone for a device
 *   without report IDs. `read(timeoutMs)` resolves `undefined` on timeout; without a timeout it waits; in
 *   non-blocking mode it resolves at once. `read` is refused while `data` listeners run the read loop
 *   (as node-hid refuses it).
 * - `getFeatureReport(id, length)`: `[ID][payload]`, at most `length` bytes; `[00][payload]` for a device
 *   without report IDs (hidapi keeps the report-number byte).
 * `disconnect()` (unplug) fails pending reads and emits `error` when someone listens.
 * Errors are `HidDeviceError`s with node-hid's wording at the front ("Cannot write to hid device: …").
 *
 * Input reports come from the device side (`queueInputReport`), each after its pacing delay on the injected
 * Clock; on a virtual clock they are delivered at once. Unread reports wait in a 64-report buffer, the size
 * of the Linux hidraw buffer; as there, reports arriving on a full buffer are dropped (and counted).
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../firmware-sim/clock.js';
import {
  HidDescriptorError,
  findReport,
  parseReportDescriptor,
  type HidReportDescriptor,
  type HidReportInfo,
  type HidReportType,
} from '../../firmware-sim/hid/descriptor.js';

/** node-hid's `Device` (one entry of `devices()`, and `getDeviceInfo()`). */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  serialNumber?: string | undefined;
  manufacturer?: string | undefined;
  product?: string | undefined;
  release: number;
  interface: number;
  usagePage?: number | undefined;
  usage?: number | undefined;
}

export class HidDeviceError extends Error {
  override readonly name = 'HidDeviceError';
}

/** The device side: what the emulated function does with what the host sends. */
export interface HidDeviceHandler {
  /** An output report the host wrote: `[ID][payload]`, or the payload alone without report IDs. */
  output?(report: Uint8Array): void;
  /** A feature report the host set, framed as `output`. */
  setFeature?(report: Uint8Array): void;
  /**
   * The feature report the host asks for, framed as `output` and of the descriptor's length; undefined
   * answers with the last report set, or zeros.
   */
  getFeature?(reportId: number): Uint8Array | undefined;
}

/**
 * Where the device reports the transfers it makes, framed as on the USB wire (`[ID][payload]`, or the
 * payload alone without report IDs), with the clock time: `UsbHidCapture` (devices/capture) is one.
 */
export interface HidTransferSink {
  /** An input report the host receives (recorded even when a full buffer then drops it). */
  inputReport(report: Uint8Array, timeMs: number): void;
  /** An output report the host wrote and the device accepted. */
  outputReport(report: Uint8Array, timeMs: number): void;
  setFeatureReport(report: Uint8Array, timeMs: number): void;
  /** The feature report the device answered. */
  getFeatureReport(report: Uint8Array, timeMs: number): void;
}

export interface EmulatedHidDeviceOptions {
  /** The device's real report descriptor. */
  descriptor: Uint8Array;
  /** Identity; usagePage and usage default to the first top-level collection's. */
  info: Omit<HidDeviceInfo, 'release' | 'interface'> & { release?: number; interface?: number };
  clock: Clock;
  handler?: HidDeviceHandler;
  /** Records the device's transfers (see `setCapture`). */
  capture?: HidTransferSink;
}

/** Input reports the host side buffers, as Linux hidraw (HIDRAW_BUFFER_SIZE). */
export const INPUT_BUFFER_REPORTS = 64;

type Bytes = number[] | Uint8Array;

interface PendingRead {
  resolve: (report: Buffer | undefined) => void;
  reject: (error: Error) => void;
  timer: TimerHandle | undefined;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export class EmulatedHidDevice extends EventEmitter {
  readonly descriptor: HidReportDescriptor;
  private readonly rawDescriptor: Uint8Array;
  private readonly info: HidDeviceInfo;
  private readonly clock: Clock;
  private handler: HidDeviceHandler;
  private capture: HidTransferSink | undefined;
  private readonly buffer: Buffer[] = [];
  private readonly reads: PendingRead[] = [];
  private readonly features = new Map<number, Uint8Array>();
  private readonly timers = new Set<TimerHandle>();
  /** When the last queued input report is due (pacing is serial, like an interrupt endpoint). */
  private lastDue = Number.NEGATIVE_INFINITY;
  private closed = false;
  private failed: HidDeviceError | undefined;
  private paused = false;
  private nonBlocking = false;
  private dropped = 0;
  private flushQueued = false;

  constructor(options: EmulatedHidDeviceOptions) {
    super();
    try {
      this.descriptor = parseReportDescriptor(options.descriptor);
    } catch (e) {
      if (e instanceof HidDescriptorError)
        throw new HidDeviceError(`invalid report descriptor: ${e.message}`);
      throw e;
    }
    this.rawDescriptor = Uint8Array.from(options.descriptor);
    const top = this.descriptor.collections[0];
    const { vendorId, productId } = options.info;
    this.info = {
      path: `emu:hid/${hex4(vendorId)}:${hex4(productId)}`,
      release: 0,
      interface: 0,
      usagePage: top?.usagePage,
      usage: top?.usage,
      ...options.info,
    };
    this.clock = options.clock;
    this.handler = options.handler ?? {};
    this.capture = options.capture;
    // node-hid starts its read loop when the first 'data' listener is added.
    this.on('newListener', (event: string) => {
      if (event === 'data') this.scheduleFlush();
    });
  }

  // ——— device side ———

  /** Replaces the device-side handler (the firmware attaches after construction). */
  setHandler(handler: HidDeviceHandler): void {
    this.handler = handler;
  }

  /**
   * Queues an input report (`[ID][payload]`, or the payload alone without report IDs) for delivery
   * `delayMs` after the previous one (on a virtual clock: at once). A report the descriptor does not
   * declare is a programming error of the device side and throws.
   */
  queueInputReport(report: Uint8Array, delayMs = 0): void {
    const info = this.reportFor('input', report);
    if (!info) {
      throw new HidDeviceError(
        `input report ${this.describe(report)} is not declared by the descriptor (${this.declared('input')})`,
      );
    }
    if (this.closed || this.failed) return;
    const copy = Buffer.from(report);
    if (this.clock.virtual || (delayMs <= 0 && this.lastDue <= this.clock.now())) {
      this.deliver(copy);
      return;
    }
    const due = Math.max(this.clock.now(), this.lastDue) + Math.max(0, delayMs);
    this.lastDue = due;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      this.deliver(copy);
    }, due - this.clock.now());
    this.timers.add(timer);
  }

  /** Starts (or with undefined stops) recording the device's transfers. */
  setCapture(sink: HidTransferSink | undefined): void {
    this.capture = sink;
  }

  /** Input reports dropped on a full buffer since open. */
  get droppedInputReports(): number {
    return this.dropped;
  }

  /** Unplug (fault injection): pending reads fail, an `error` event fires, every later call fails. */
  disconnect(): void {
    if (this.closed || this.failed) return;
    this.failed = new HidDeviceError('could not read from HID device');
    this.cancelTimers();
    for (const r of this.reads.splice(0)) {
      if (r.timer) this.clock.clearTimeout(r.timer);
      r.reject(this.failed);
    }
    // An EventEmitter throws an 'error' nobody listens to: fault injection must not crash the bench.
    if (this.listenerCount('error') > 0) this.emit('error', this.failed);
  }

  // ——— host side: node-hid HIDAsync ———

  async getDeviceInfo(): Promise<HidDeviceInfo> {
    this.check('Cannot get device info');
    return { ...this.info };
  }

  async getReportDescriptor(): Promise<Buffer> {
    this.check('Cannot get report descriptor');
    return Buffer.from(this.rawDescriptor);
  }

  async write(data: Bytes): Promise<number> {
    this.check('Cannot write to hid device');
    const report = this.outgoing('output', data, 'Cannot write to hid device');
    this.capture?.outputReport(report, this.clock.now());
    this.handler.output?.(report);
    return data.length;
  }

  async sendFeatureReport(data: Bytes): Promise<number> {
    this.check('could not send feature report to device');
    const report = this.outgoing('feature', data, 'could not send feature report to device');
    this.capture?.setFeatureReport(report, this.clock.now());
    this.features.set(this.descriptor.usesReportIds ? (report[0] as number) : 0, report);
    this.handler.setFeature?.(report);
    return data.length;
  }

  async getFeatureReport(reportId: number, reportLength: number): Promise<Buffer> {
    const what = 'could not get feature report from device';
    this.check(what);
    if (!Number.isInteger(reportId) || reportId < 0 || reportId > 255) {
      throw new HidDeviceError(`${what}: report ID ${reportId} is not a byte`);
    }
    if (!Number.isInteger(reportLength) || reportLength <= 0) {
      throw new HidDeviceError(`${what}: report length must be > 0`);
    }
    const id = this.descriptor.usesReportIds ? reportId : 0;
    const info = findReport(this.descriptor, 'feature', id);
    if (!info || (!this.descriptor.usesReportIds && reportId !== 0)) {
      throw new HidDeviceError(`${what}: no feature report ${reportId} (${this.declared('feature')})`);
    }
    let report = this.handler.getFeature?.(id) ?? this.features.get(id);
    if (!report) {
      report = new Uint8Array(info.byteLength);
      if (id) report[0] = id;
    }
    if (report.length !== info.byteLength || (id !== 0 && report[0] !== id)) {
      throw new HidDeviceError(`${what}: the device answered ${report.length} bytes for report ${reportId}`);
    }
    this.capture?.getFeatureReport(report, this.clock.now());
    const framed = id ? Buffer.from(report) : Buffer.concat([Buffer.of(0), report]);
    return framed.subarray(0, Math.min(reportLength, framed.length));
  }

  async read(timeoutMs?: number): Promise<Buffer | undefined> {
    this.check('could not read from HID device');
    if (this.listenerCount('data') > 0 && !this.paused) {
      throw new HidDeviceError('Cannot use read while async read loop is running');
    }
    const next = this.buffer.shift();
    if (next) return next;
    if (this.nonBlocking || timeoutMs === 0) return undefined;
    return new Promise<Buffer | undefined>((resolve, reject) => {
      const pending: PendingRead = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined && timeoutMs > 0) {
        pending.timer = this.clock.setTimeout(() => {
          const at = this.reads.indexOf(pending);
          if (at >= 0) this.reads.splice(at, 1);
          resolve(undefined);
        }, timeoutMs);
      }
      this.reads.push(pending);
    });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.scheduleFlush();
  }

  async setNonBlocking(noBlock: boolean): Promise<void> {
    this.check('Error setting non-blocking mode');
    this.nonBlocking = noBlock;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimers();
    const error = new HidDeviceError('device has been closed');
    for (const r of this.reads.splice(0)) {
      if (r.timer) this.clock.clearTimeout(r.timer);
      r.reject(error);
    }
    this.buffer.length = 0;
  }

  // ——— internals ———

  private check(what: string): void {
    if (this.closed) throw new HidDeviceError(`${what}: device has been closed`);
    if (this.failed) throw new HidDeviceError(`${what}: ${this.failed.message}`);
  }

  private cancelTimers(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  private declared(type: HidReportType): string {
    const list =
      type === 'input'
        ? this.descriptor.inputReports
        : type === 'output'
          ? this.descriptor.outputReports
          : this.descriptor.featureReports;
    if (list.length === 0) return `the device has no ${type} reports`;
    return list.map((r: HidReportInfo) => `ID ${r.reportId}: ${r.byteLength} bytes`).join(', ');
  }

  private describe(report: Uint8Array): string {
    return this.descriptor.usesReportIds
      ? `${report[0]} of ${report.length} bytes`
      : `of ${report.length} bytes`;
  }

  /** The declared report a framed report (`[ID][payload]` or payload alone) matches, or undefined. */
  private reportFor(type: HidReportType, report: Uint8Array): HidReportInfo | undefined {
    if (report.length === 0) return undefined;
    const id = this.descriptor.usesReportIds ? (report[0] as number) : 0;
    const info = findReport(this.descriptor, type, id);
    return info && info.byteLength === report.length ? info : undefined;
  }

  /** Checks a host write (`[ID or 0][payload]`) and returns the report as the device receives it. */
  private outgoing(type: HidReportType, data: Bytes, what: string): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.from(data);
    } catch {
      throw new HidDeviceError(`${what}: data must be bytes`);
    }
    if (bytes.length === 0) throw new HidDeviceError(`${what}: empty report`);
    if (!Array.isArray(data) ? false : data.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
      throw new HidDeviceError(`${what}: data must be bytes`);
    }
    const id = bytes[0] as number;
    if (!this.descriptor.usesReportIds) {
      if (id !== 0) {
        throw new HidDeviceError(`${what}: report ID ${id} on a device without report IDs (prefix 0x00)`);
      }
      const payload = bytes.subarray(1);
      if (!this.reportFor(type, payload)) {
        throw new HidDeviceError(`${what}: ${payload.length}-byte ${type} report (${this.declared(type)})`);
      }
      return Uint8Array.from(payload);
    }
    if (!this.reportFor(type, bytes)) {
      const info = findReport(this.descriptor, type, id);
      throw new HidDeviceError(
        info
          ? `${what}: ${type} report ${id} has ${info.byteLength} bytes with its ID, not ${bytes.length}`
          : `${what}: no ${type} report ${id} (${this.declared(type)})`,
      );
    }
    return bytes;
  }

  private deliver(report: Buffer): void {
    if (this.closed || this.failed) return;
    this.capture?.inputReport(report, this.clock.now());
    const reader = this.reads.shift();
    if (reader) {
      if (reader.timer) this.clock.clearTimeout(reader.timer);
      reader.resolve(report);
      return;
    }
    if (this.buffer.length >= INPUT_BUFFER_REPORTS) {
      this.dropped++;
      return;
    }
    this.buffer.push(report);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** The read loop: hands buffered reports to `data` listeners while they listen and are not paused. */
  private flush(): void {
    while (!this.closed && !this.paused && this.listenerCount('data') > 0) {
      const next = this.buffer.shift();
      if (!next) return;
      this.emit('data', next);
    }
  }
}
