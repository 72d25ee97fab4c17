/**
 * A serial barcode scanner twin: scanner firmware behind an emulated serial port. The host sees a
 * /dev/pts path (and a stable by-id symlink) that behaves like a scanner's USB CDC-ACM or RS-232 port.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../firmware-sim/clock.js';
import { decode as defaultDecode } from '../../firmware-sim/scanner/decode.js';
import { ScannerFirmware, type ScanResult, type ScannerEvent } from '../../firmware-sim/scanner/engine.js';
import type { ScannerProfile } from '../../firmware-sim/scanner/profile.js';
import type { ScannerNvram } from '../../firmware-sim/scanner/settings.js';
import type { DecodeFn, ScanInput } from '../../firmware-sim/scanner/types.js';
import { writeFileAtomic } from '../atomic-file.js';
import type { FaultSettings } from './faults.js';
import type { LineSettings } from './line.js';
import { EmulatedSerialPort, type SerialCaptureSink } from './port.js';

/** Non-volatile settings in a JSON file, replaced atomically: a power cut keeps the old table or the new one. */
export class FileNvram implements ScannerNvram {
  constructor(readonly file: string) {}

  load(): Record<string, unknown> | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const data = JSON.parse(text) as unknown;
      return data && typeof data === 'object' && !Array.isArray(data)
        ? (data as Record<string, unknown>)
        : undefined;
    } catch {
      // A damaged table reads as factory defaults, as a scanner with a bad checksum on its flash would.
      return undefined;
    }
  }

  save(data: Record<string, unknown>): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, Buffer.from(JSON.stringify(data, null, 2) + '\n'));
  }
}

export interface SerialScannerTwinOptions {
  name: string;
  profile: ScannerProfile;
  clock: Clock;
  runtimeDir: string;
  line?: LineSettings;
  faults?: FaultSettings;
  seed?: number;
  capture?: SerialCaptureSink;
  /** Where the non-volatile table lives; default `<runtimeDir>/nvram/<name>.json`. */
  nvramFile?: string;
  decode?: DecodeFn;
}

export class SerialScannerTwin {
  readonly port: EmulatedSerialPort;
  readonly profile: ScannerProfile;
  readonly nvram: FileNvram;
  private fw: ScannerFirmware;
  private readonly clock: Clock;
  private readonly decode: DecodeFn;
  private readonly listeners = new Set<(event: ScannerEvent) => void>();

  constructor(options: SerialScannerTwinOptions) {
    this.profile = options.profile;
    this.clock = options.clock;
    this.decode = options.decode ?? defaultDecode;
    this.nvram = new FileNvram(
      options.nvramFile ?? path.join(options.runtimeDir, 'nvram', `${options.name}.json`),
    );
    const portOptions: ConstructorParameters<typeof EmulatedSerialPort>[0] = {
      name: options.name,
      runtimeDir: options.runtimeDir,
      clock: options.clock,
      line: options.line ?? options.profile.line,
    };
    if (options.capture) portOptions.capture = options.capture;
    if (options.faults) portOptions.faults = options.faults;
    if (options.seed !== undefined) portOptions.seed = options.seed;
    this.port = new EmulatedSerialPort(portOptions);
    this.port.on('data', (bytes) => this.fw.receive(bytes));
    this.fw = this.boot();
  }

  get firmware(): ScannerFirmware {
    return this.fw;
  }

  /** The stable path a host opens. */
  get path(): string {
    return this.port.path;
  }

  async open(): Promise<void> {
    await this.port.open();
  }

  /** Subscribe to every firmware event (survives power cycles). */
  onFirmwareEvent(listener: (event: ScannerEvent) => void): void {
    this.listeners.add(listener);
  }

  /** The user aims at a symbol and pulls the trigger. */
  scan(input: ScanInput): ScanResult {
    return this.fw.scan(input);
  }

  /** Power off and on: RAM settings are lost, the non-volatile table is read back. */
  powerCycle(): void {
    this.fw.powerOff();
    this.fw = this.boot();
  }

  close(): void {
    this.fw.powerOff();
    this.port.close();
  }

  private boot(): ScannerFirmware {
    const fw = new ScannerFirmware({
      profile: this.profile,
      clock: this.clock,
      decode: this.decode,
      nvram: this.nvram,
      transmit: (bytes) => {
        // Unplugged or closed ports discard (and count) what the firmware sends, as a real line would.
        this.port.write(bytes).catch(() => undefined);
      },
    });
    const forward = (e: ScannerEvent): void => {
      for (const l of this.listeners) l(e);
    };
    for (const type of ['read', 'beep', 'led', 'session-timeout', 'transmit-error'] as const)
      fw.on(type, forward);
    return fw;
  }
}
