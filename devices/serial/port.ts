/**
 * An emulated serial port: a PTY whose slave the host opens through a stable by-id symlink, paced at
 * the line rate on the wall clock, with fault injection, unplug/replug and capture of every byte.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../firmware-sim/clock.js';
import { FaultInjector, validateFaults } from './faults.js';
import type { DirectionStats, FaultSettings } from './faults.js';
import { DEFAULT_LINE_SETTINGS, characterTimeMs, validateLineSettings } from './line.js';
import type { LineSettings } from './line.js';
import { LinePacer } from './pacer.js';
import { openPty, writeMaster } from './pty.js';
import type { PtyPair } from './pty.js';

/** Named as on the wire between device and host. */
export type SerialDirection = 'toHost' | 'fromHost';

export interface SerialCaptureRecord {
  /** The port's name. */
  port: string;
  direction: SerialDirection;
  bytes: Uint8Array;
  /** clock.now() when the bytes crossed the PTY. */
  timeMs: number;
  comment?: string;
}

/** Where every byte that crosses the PTY is recorded (see devices/capture/serial-capture.ts). */
export interface SerialCaptureSink {
  record(record: SerialCaptureRecord): void;
}

export interface EmulatedSerialPortOptions {
  /** Short name used in the by-id symlink: letters, digits, '.', '_', '-'. */
  name: string;
  /** The bench's runtime directory; the symlink goes to `<runtimeDir>/serial/by-id/`. */
  runtimeDir: string;
  line?: LineSettings;
  clock: Clock;
  capture?: SerialCaptureSink;
  faults?: FaultSettings;
  seed?: number;
  /** Deliver the host's bytes to the device at the line rate (a UART receives at line rate). Wall clock only. */
  paceInbound?: boolean;
}

export interface SerialPortStats {
  toHost: DirectionStats;
  fromHost: DirectionStats;
}

export interface EmulatedSerialPortEvents {
  /** Bytes the host wrote (host → device). */
  data: [bytes: Buffer];
  unplugged: [];
  replugged: [ptsPath: string];
  close: [];
  error: [error: Error];
}

const NAME = /^[A-Za-z0-9._-]+$/;
/** Seeds the host→device dice apart from the device→host dice. */
const FROM_HOST_SEED_SALT = 0x9e3779b9;

export class EmulatedSerialPort extends EventEmitter<EmulatedSerialPortEvents> {
  readonly name: string;
  /** The stable path the host opens, like /dev/serial/by-id/usb-…; it follows the PTY across replugs. */
  readonly path: string;
  private readonly clock: Clock;
  private readonly capture: SerialCaptureSink | undefined;
  private lineSettings: LineSettings;
  private pty: PtyPair | undefined;
  private state: 'new' | 'plugged' | 'unplugged' | 'closed' = 'new';
  private readonly toHostFaults: FaultInjector;
  private readonly fromHostFaults: FaultInjector;
  private readonly toHostPacer: LinePacer;
  private readonly fromHostPacer: LinePacer;

  constructor(options: EmulatedSerialPortOptions) {
    super();
    if (!NAME.test(options.name)) {
      throw new RangeError(`serial port name '${options.name}': expected letters, digits, '.', '_' or '-'`);
    }
    this.name = options.name;
    this.path = path.join(options.runtimeDir, 'serial', 'by-id', `benchtwin-${options.name}`);
    this.clock = options.clock;
    this.capture = options.capture;
    this.lineSettings = checkedLine(options.line ?? DEFAULT_LINE_SETTINGS);
    const seed = options.seed ?? 1;
    this.toHostFaults = new FaultInjector(seed);
    this.fromHostFaults = new FaultInjector((seed ^ FROM_HOST_SEED_SALT) >>> 0);
    if (options.faults) this.setFaults(options.faults);
    const charMs = (): number => characterTimeMs(this.lineSettings);
    this.toHostPacer = new LinePacer({
      clock: this.clock,
      paced: !this.clock.virtual,
      characterTimeMs: charMs,
      deliver: (chunk) => this.deliverToHost(chunk),
    });
    this.fromHostPacer = new LinePacer({
      clock: this.clock,
      paced: !this.clock.virtual && (options.paceInbound ?? true),
      characterTimeMs: charMs,
      deliver: (chunk) => {
        this.emit('data', Buffer.from(chunk));
        return chunk.length;
      },
    });
  }

  /** The current /dev/pts/N (changes across replugs; hosts should open `path`). */
  get ptsPath(): string | undefined {
    return this.pty?.ptsPath;
  }

  get plugged(): boolean {
    return this.state === 'plugged';
  }

  get line(): LineSettings {
    return { ...this.lineSettings };
  }

  /** Change the line settings (e.g. the firmware switched baud rate on a command). */
  setLine(line: LineSettings): void {
    this.lineSettings = checkedLine(line);
  }

  get stats(): SerialPortStats {
    return { toHost: { ...this.toHostFaults.stats }, fromHost: { ...this.fromHostFaults.stats } };
  }

  get faults(): FaultSettings {
    return { toHost: { ...this.toHostFaults.settings }, fromHost: { ...this.fromHostFaults.settings } };
  }

  /** Replace the fault settings of both directions (an omitted direction gets no faults). */
  setFaults(faults: FaultSettings): void {
    validateFaults(faults);
    this.toHostFaults.settings = { ...faults.toHost };
    this.fromHostFaults.settings = { ...faults.fromHost };
  }

  /** Create the PTY and the by-id symlink. */
  async open(): Promise<void> {
    if (this.state !== 'new') throw new Error(`serial port ${this.name}: already opened`);
    await fs.promises.mkdir(path.dirname(this.path), { recursive: true });
    this.plugIn();
  }

  /**
   * Device → host. Resolves when the last byte has been handed to the PTY. While unplugged the bytes
   * go nowhere (as from a device on a pulled cable) and count as discarded.
   */
  write(bytes: Uint8Array | string): Promise<void> {
    if (this.state === 'new' || this.state === 'closed') {
      return Promise.reject(new Error(`serial port ${this.name}: not open`));
    }
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    if (this.state === 'unplugged') {
      this.toHostFaults.stats.bytes += data.length;
      this.toHostFaults.stats.discarded += data.length;
      return Promise.resolve();
    }
    const faulted = this.toHostFaults.apply(data, this.lineSettings.dataBits);
    const pieces = this.toHostFaults.split(faulted);
    const delayMs = this.toHostFaults.settings.delayMs ?? 0;
    return new Promise((resolve) => {
      pieces.forEach((piece, i) => {
        this.toHostPacer.enqueue(piece.bytes, {
          delayMs,
          gapMs: piece.gapMs,
          ...(i === pieces.length - 1 ? { done: resolve } : {}),
        });
      });
    });
  }

  /** The device vanishes, as a USB serial device pulled out: the host's port closes with `disconnected`. */
  unplug(): void {
    if (this.state !== 'plugged') return;
    this.state = 'unplugged';
    this.unplugPty();
    this.emit('unplugged');
  }

  /** Plug back in: a new PTY (maybe another pts number); the stable symlink now points to it. */
  replug(): void {
    if (this.state !== 'unplugged')
      throw new Error(`serial port ${this.name}: replug needs an unplugged port`);
    this.plugIn();
    this.emit('replugged', this.pty?.ptsPath ?? '');
  }

  /** Free the PTY and remove the symlink. Idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state !== 'new';
    this.state = 'closed';
    if (wasOpen) {
      this.unplugPty();
      this.emit('close');
    }
  }

  private plugIn(): void {
    const pty = openPty();
    this.pty = pty;
    pty.master.on('data', (chunk: Buffer) => {
      if (this.pty === pty) this.receiveFromHost(chunk);
    });
    pty.master.on('error', (err: Error) => {
      if (this.pty === pty) this.emit('error', err);
    });
    // Swap the symlink atomically so a host polling the path never sees it missing during a replug.
    const tmp = `${this.path}.${process.pid}.tmp`;
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(pty.ptsPath, tmp);
    fs.renameSync(tmp, this.path);
    this.state = 'plugged';
  }

  private unplugPty(): void {
    this.toHostFaults.stats.discarded += this.toHostPacer.clear();
    this.fromHostFaults.stats.discarded += this.fromHostPacer.clear();
    const pty = this.pty;
    this.pty = undefined;
    pty?.close();
    try {
      if (pty && fs.readlinkSync(this.path) === pty.ptsPath) fs.unlinkSync(this.path);
    } catch {
      // Already gone (or never made): nothing to remove.
    }
  }

  private deliverToHost(chunk: Buffer): number {
    const pty = this.pty;
    if (!pty) return chunk.length;
    const taken = writeMaster(pty.masterFd, chunk);
    if (taken > 0) this.record('toHost', chunk.subarray(0, taken));
    return taken;
  }

  private receiveFromHost(chunk: Buffer): void {
    this.clock.touch();
    const stats = this.fromHostFaults.stats;
    const [dropped, corrupted] = [stats.dropped, stats.corrupted];
    const faulted = this.fromHostFaults.apply(chunk, this.lineSettings.dataBits);
    // The capture shows what the host sent; say when the device will not get exactly that.
    const hit = [
      stats.dropped > dropped ? `${stats.dropped - dropped} dropped` : '',
      stats.corrupted > corrupted ? `${stats.corrupted - corrupted} corrupted` : '',
    ].filter(Boolean);
    this.record(
      'fromHost',
      chunk,
      hit.length ? `fault injection: ${hit.join(', ')} on the way to the device` : undefined,
    );
    const delayMs = this.fromHostFaults.settings.delayMs ?? 0;
    for (const piece of this.fromHostFaults.split(faulted)) {
      this.fromHostPacer.enqueue(piece.bytes, { delayMs, gapMs: piece.gapMs });
    }
  }

  private record(direction: SerialDirection, bytes: Uint8Array, comment?: string): void {
    if (!this.capture || bytes.length === 0) return;
    this.capture.record({
      port: this.name,
      direction,
      bytes: Buffer.from(bytes),
      timeMs: this.clock.now(),
      ...(comment ? { comment } : {}),
    });
  }
}

function checkedLine(line: LineSettings): LineSettings {
  const result = validateLineSettings(line);
  if (!result.ok) throw new RangeError(`serial line settings: ${result.error}`);
  return result.value;
}
