/** A scanner twin on the bench: its control API actions (scan, present, trigger, faults, unplug…). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../firmware-sim/clock.js';
import type { ScanResult, ScannerEvent, ScannerFirmware } from '../../firmware-sim/scanner/engine.js';
import { parseSymbology, SYMBOLOGIES, symbologyInfo } from '../../firmware-sim/scanner/symbology.js';
import type { ScanInput } from '../../firmware-sim/scanner/types.js';
import { getScannerProfile } from '../../devices/profiles/scanners.js';
import { parseLineSettings } from '../../devices/serial/line.js';
import type { SerialCaptureSink } from '../../devices/serial/port.js';
import { SerialScannerTwin } from '../../devices/serial/scanner-twin.js';
import type { FaultsConfig } from './bench-file.js';
import {
  ActionError,
  DeviceEvents,
  type BenchDevice,
  type BenchEvent,
  type DeviceSummary,
} from './device.js';
import { createHidScannerTwin, type HidScannerTwinDevice } from './hid-scanner-device.js';
import { checkOptions, serialLinkActions } from './port-actions.js';

const SCANNER_OPTIONS = ['mode', 'baud', 'dataBits', 'parity', 'stopBits', 'seed', 'layout'] as const;
const HID_MODES = ['hid-pos', 'wedge'] as const;

const ScanBody = z.union([
  z.object({ symbology: z.string(), text: z.string() }).strict(),
  z.object({ image: z.string() }).strict(),
]);

/** Turns a control-API body into what is put in front of the scanner. */
export async function scanInputFrom(body: unknown): Promise<ScanInput> {
  const parsed = ScanBody.safeParse(body);
  if (!parsed.success) {
    throw new ActionError(
      'expected {"symbology": "<name>", "text": "<data>"} or {"image": "<absolute path of a PNG>"}',
    );
  }
  const b = parsed.data;
  if ('image' in b) {
    if (!path.isAbsolute(b.image))
      throw new ActionError(`image: expected an absolute path, got "${b.image}"`);
    try {
      return { kind: 'image', png: await readFile(b.image) };
    } catch (err) {
      throw new ActionError(
        `image: cannot read ${b.image} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  }
  const symbology = parseSymbology(b.symbology);
  if (!symbology)
    throw new ActionError(`symbology: expected one of ${SYMBOLOGIES.join(', ')}; got "${b.symbology}"`);
  return { kind: 'symbol', symbology, text: b.text };
}

/** How a scan result is reported on the control API. */
export function describeScan(result: ScanResult): Record<string, unknown> {
  if (!result.read) return { read: false, reason: result.reason };
  const s = result.symbol;
  const data = Buffer.from(s.data);
  return {
    read: true,
    symbology: s.symbology,
    name: symbologyInfo(s.symbology).name,
    aim: s.aim,
    data: data.toString('latin1'),
    dataHex: data.toString('hex'),
    transmittedHex: Buffer.from(result.bytes).toString('hex'),
  };
}

/** A scanner firmware event as a bench event: its type and the fields the control API streams. */
export function scannerEvent(e: ScannerEvent): [string, Record<string, unknown>] {
  switch (e.type) {
    case 'read':
      return ['read', { symbology: e.symbol.symbology, aim: e.symbol.aim }];
    case 'beep':
      return ['beep', { kind: e.kind, volume: e.volume }];
    case 'led':
      return ['led', { state: e.state }];
    default:
      return [e.type, {}];
  }
}

/** What the user does to any scanner twin, serial or HID: aim, present, trigger, untrigger, power-cycle. */
export function scannerUserActions(
  twin: { scan(input: ScanInput): ScanResult; readonly firmware: ScannerFirmware; powerCycle(): void },
  emit: (type: string, fields: Record<string, unknown>) => void,
): Record<string, (body: unknown) => Promise<unknown>> {
  return {
    scan: async (body) => {
      const result = describeScan(twin.scan(await scanInputFrom(body)));
      emit('scan', { result });
      return result;
    },
    present: async (body) => {
      const empty =
        body === undefined || (typeof body === 'object' && body !== null && Object.keys(body).length === 0);
      const result = twin.firmware.present(empty ? undefined : await scanInputFrom(body));
      return result ? describeScan(result) : { presented: !empty };
    },
    trigger: async () => describeScan(twin.firmware.trigger()),
    untrigger: async () => {
      twin.firmware.untrigger();
      return { ok: true };
    },
    'power-cycle': async () => {
      twin.powerCycle();
      emit('power-cycle', {});
      return { ok: true };
    },
  };
}

export interface ScannerTwinOptions {
  name: string;
  profile: string;
  options: Record<string, string>;
  transportText: string;
  clock: Clock;
  runtimeDir: string;
  faults?: FaultsConfig | undefined;
  capture?: SerialCaptureSink | undefined;
  /** HID modes: a usbmon pcapng of the device's USB traffic (docs/USB-CAPTURES.md). */
  usbCaptureFile?: string | undefined;
}

export async function createScannerTwin(
  o: ScannerTwinOptions,
): Promise<ScannerTwinDevice | HidScannerTwinDevice> {
  checkOptions(o.transportText, o.options, SCANNER_OPTIONS);
  const mode = o.options['mode'] ?? 'serial';
  const profile = getScannerProfile(o.profile);
  if ((HID_MODES as readonly string[]).includes(mode)) {
    const line = ['baud', 'dataBits', 'parity', 'stopBits'].filter((k) => o.options[k] !== undefined);
    if (line.length) throw new Error(`${o.transportText}: ${line.join(', ')}: options of mode=serial only`);
    return createHidScannerTwin({
      name: o.name,
      profile,
      mode: mode as (typeof HID_MODES)[number],
      layout: o.options['layout'],
      transportText: o.transportText,
      clock: o.clock,
      captureFile: o.usbCaptureFile,
    });
  }
  if (mode !== 'serial')
    throw new Error(`${o.transportText}: mode=${mode}: expected serial, hid-pos or wedge`);
  if (o.options['layout'] !== undefined)
    throw new Error(`${o.transportText}: layout= is an option of mode=wedge`);
  const lineQuery = new URLSearchParams();
  const baseline = profile.line;
  lineQuery.set('baud', o.options['baud'] ?? String(baseline.baudRate));
  lineQuery.set('dataBits', o.options['dataBits'] ?? String(baseline.dataBits));
  lineQuery.set('parity', o.options['parity'] ?? baseline.parity);
  lineQuery.set('stopBits', o.options['stopBits'] ?? String(baseline.stopBits));
  const line = parseLineSettings(lineQuery);
  if (!line.ok) throw new Error(`${o.transportText}: ${line.error}`);
  const seed = o.options['seed'] === undefined ? undefined : Number(o.options['seed']);
  if (seed !== undefined && !Number.isInteger(seed))
    throw new Error(`${o.transportText}: seed: expected an integer`);
  const { seed: faultSeed, ...faults } = o.faults ?? {};
  const twin = new SerialScannerTwin({
    name: o.name,
    profile,
    clock: o.clock,
    runtimeDir: o.runtimeDir,
    line: line.value,
    faults,
    ...((seed ?? faultSeed) !== undefined ? { seed: (seed ?? faultSeed)! } : {}),
    ...(o.capture ? { capture: o.capture } : {}),
  });
  await twin.open();
  return new ScannerTwinDevice(o.name, o.transportText, twin);
}

export class ScannerTwinDevice implements BenchDevice {
  readonly actions: Record<string, (body: unknown) => Promise<unknown>>;
  private readonly events: DeviceEvents;

  constructor(
    readonly name: string,
    private readonly transportText: string,
    readonly twin: SerialScannerTwin,
  ) {
    this.events = new DeviceEvents(name);
    twin.onFirmwareEvent((e) => {
      const [type, fields] = scannerEvent(e);
      // The serial twin's read also names the bytes it put on the line.
      const bytes = e.type === 'read' ? { bytes: Buffer.from(e.bytes).toString('hex') } : {};
      this.events.emit(type, { ...fields, ...bytes });
    });
    this.actions = {
      ...scannerUserActions(twin, (type, fields) => this.events.emit(type, fields)),
      ...serialLinkActions(twin.port, this.events),
    };
  }

  summary(): DeviceSummary {
    const endpoint: DeviceSummary['endpoint'] = { transport: 'serial', path: this.twin.path };
    if (this.twin.port.ptsPath) endpoint.pts = this.twin.port.ptsPath;
    return {
      name: this.name,
      role: this.name,
      kind: 'scanner',
      transport: this.transportText,
      emulated: true,
      endpoint,
    };
  }

  state(): Record<string, unknown> {
    const fw = this.twin.firmware;
    return {
      profile: this.twin.profile.name,
      identity: this.twin.profile.identity,
      commandSet: this.twin.profile.commandSet,
      plugged: this.twin.port.plugged,
      line: this.twin.port.line,
      scanEnabled: fw.scanEnabled,
      triggerMode: fw.triggerMode,
      reading: fw.reading,
      beeper: fw.beeper,
      led: fw.led,
      faults: this.twin.port.faults,
      stats: this.twin.port.stats,
    };
  }

  onEvent(listener: (event: BenchEvent) => void): void {
    this.events.on(listener);
  }

  async close(): Promise<void> {
    this.twin.close();
  }
}
