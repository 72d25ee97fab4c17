/**
 * Scenarios: a bench, the host drivers that use its devices, and steps — user actions on devices and
 * what the drivers must report — run in order; any step that does not hold fails the scenario.
 *
 * ```yaml
 * name: hid-pos-long-qr
 * bench: { clock: wall, roles: { scanner: emu:scanner/honeywell-1900?mode=hid-pos } }   # or a bench file
 * drivers:
 *   pos: { scanner: { role: scanner, commandSet: hid-pos } }
 * steps:
 *   - scan: { role: scanner, image: ../images/qr-300.png }
 *   - expect-data: { driver: pos, type: QRCODE, labelFile: ../images/qr-300.txt }
 * ```
 * Paths are relative to the scenario file. Drivers open the device of their role through the endpoint the
 * bench reports — the path a real device would have — never through the twin.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseYamlFile, readYamlFile, YamlFileError } from '../../devices/yaml-file.js';
import { ScanDataType } from '../../firmware-sim/scanner/symbology.js';
import { KEYBOARD_LAYOUTS } from '../../firmware-sim/scanner/keyboard-layouts.js';
import { Scanner, type ScannerOptions } from '../drivers/scanner/index.js';
import { IrObexDriver } from '../drivers/phone/ir-obex.js';
import { BlePhoneLink } from '../drivers/phone/ble-phonelink.js';
import { VirtualController } from '../../devices/ble/controller.js';
import { HciCapture } from '../../devices/ble/capture.js';
import { unregisterVirtualController } from '../../devices/ble/seam/registry.js';
import { spawnSync } from 'node:child_process';
import { VirtualClock } from '../../firmware-sim/clock.js';
import { BenchFileSchema, benchConfigFrom, loadBenchFile, type BenchConfig } from './bench-file.js';
import { startBench, type RunningBench } from './bench.js';
import { benchRuntimeDir } from './registry.js';
import type { BenchEvent } from './device.js';
import { HeldPos, POS_STEP_SCHEMAS, PosDriverSchema, runPosStep } from './scenario-pos.js';
import { CHECK_STEP_SCHEMAS, runCheckStep } from './scenario-checks.js';

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a name in lower case letters, digits and "-"');

const ScannerDriverSchema = z
  .object({
    role: name,
    commandSet: z.enum(['honeywell', 'ssi', 'none', 'hid-pos', 'wedge']),
    baudRate: z.number().int().positive().optional(),
    wedge: z
      .object({
        layout: z.enum(KEYBOARD_LAYOUTS as [string, ...string[]]).optional(),
        capsLock: z.boolean().optional(),
        maxInterKeyMs: z.number().positive().optional(),
        endSilenceMs: z.number().positive().optional(),
        minLength: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const IrObexDriverSchema = z
  .object({
    role: name,
    /** Which port of the device: its main endpoint, or a named one (a phone's `ir`). */
    endpoint: z.string().optional(),
    /** Connect to the device answering discovery with this nickname (default: the first). */
    nickname: z.string().optional(),
    maxBaud: z.number().int().positive().optional(),
    seed: z.number().int().optional(),
  })
  .strict();

const PhoneLinkDriverSchema = z
  .object({
    /**
     * The POS's Bluetooth: a transport string (`ble:hci0`, `ble:usb:<vid>:<pid>`, `ble:h4tcp:<host>:<port>`), or
     * absent for a virtual controller of the bench's own air.
     */
    transport: z.string().optional(),
    /**
     * An HCI capture (pcapng, link type 201) of the POS controller: a path relative to the scenario, or true
     * for `<bench runtime folder>/captures/<driver>-hci.pcapng`.
     */
    capture: z.union([z.string(), z.boolean()]).optional(),
  })
  .strict();

const DATA_TYPES = Object.keys(ScanDataType) as [string, ...string[]];

const StepSchema = z.union([
  ...POS_STEP_SCHEMAS,
  ...CHECK_STEP_SCHEMAS,
  z
    .object({
      scan: z.union([
        z.object({ role: name, symbology: z.string(), text: z.string() }).strict(),
        z.object({ role: name, image: z.string() }).strict(),
      ]),
    })
    .strict(),
  z
    .object({
      'expect-data': z
        .object({
          driver: name,
          type: z.union([z.enum(DATA_TYPES), z.number().int()]).optional(),
          label: z.string().optional(),
          labelFile: z.string().optional(),
          raw: z.string().optional(),
          timeoutMs: z.number().int().positive().default(10_000),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      'expect-error': z
        .object({
          driver: name,
          code: z.number().int().optional(),
          timeoutMs: z.number().int().positive().default(10_000),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      'expect-no-data': z.object({ driver: name, forMs: z.number().int().positive() }).strict(),
    })
    .strict(),
  z
    .object({
      action: z.object({ role: name, name: z.string(), body: z.unknown().optional() }).strict(),
    })
    .strict(),
  z.object({ wait: z.object({ ms: z.number().int().min(0) }).strict() }).strict(),
  z
    .object({
      /** Jump a virtual clock forward (an hour passing in a step); a wall-clock bench cannot. */
      'advance-clock': z.object({ ms: z.number().int().min(0) }).strict(),
    })
    .strict(),
  z
    .object({
      'obex-put': z
        .object({
          driver: name,
          name: z.string().min(1),
          type: z.string().optional(),
          text: z.string().optional(),
          file: z.string().optional(),
          bytes: z
            .number()
            .int()
            .min(0)
            .max(16 * 1024 * 1024)
            .optional(),
        })
        .strict()
        .refine((b) => [b.text, b.file, b.bytes].filter((x) => x !== undefined).length === 1, {
          message: 'exactly one of text, file or bytes (a seeded pseudo-random body of that size)',
        }),
    })
    .strict(),
  z
    .object({
      'obex-get': z
        .object({
          driver: name,
          name: z.string().min(1),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      'ble-connect': z
        .object({
          driver: name,
          name: z.string().optional(),
          pair: z.boolean().default(true),
          timeoutMs: z.number().int().positive().default(10_000),
        })
        .strict(),
    })
    .strict(),
  z
    .object({ 'ble-read-user-id': z.object({ driver: name, expect: z.string().optional() }).strict() })
    .strict(),
  z.object({ 'ble-disconnect': z.object({ driver: name }).strict() }).strict(),
  z
    .object({
      'expect-capture': z
        .object({
          driver: name,
          /** ASCII text that an ATT Read Response in the capture must carry. */
          readResponse: z.string().optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      'expect-screen': z
        .object({
          role: name,
          /** Text the phone's screen must show (title, lines, choices, soft keys, notification). */
          text: z.string().min(1),
          timeoutMs: z.number().int().positive().default(10_000),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      'expect-state': z
        .object({
          role: name,
          path: z.string().min(1),
          atLeast: z.number().optional(),
          /** null: the state holds nothing there (e.g. no user id read yet). */
          equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
          /** Real ms to wait for the state to hold (default: check once). */
          timeoutMs: z.number().int().min(0).default(0),
        })
        .strict(),
    })
    .strict(),
]);

export const ScenarioSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][\w.-]*$/, 'a name of letters, digits, ".", "-" and "_"'),
    description: z.string().optional(),
    bench: z.union([z.string(), BenchFileSchema]),
    drivers: z
      .record(
        name,
        z.union([
          z.object({ scanner: ScannerDriverSchema }).strict(),
          z.object({ irObex: IrObexDriverSchema }).strict(),
          z.object({ phoneLink: PhoneLinkDriverSchema }).strict(),
          z.object({ pos: PosDriverSchema }).strict(),
        ]),
      )
      .default({}),
    steps: z.array(StepSchema).min(1),
  })
  .strict();

export type ScenarioStep = z.output<typeof StepSchema>;

export type DriverConfig =
  | ({ kind: 'scanner' } & z.output<typeof ScannerDriverSchema>)
  | ({ kind: 'irObex' } & z.output<typeof IrObexDriverSchema>)
  | ({ kind: 'phoneLink'; role?: undefined } & z.output<typeof PhoneLinkDriverSchema>)
  | ({ kind: 'pos'; role?: undefined } & z.output<typeof PosDriverSchema>);

export class ScenarioFileError extends YamlFileError {
  override name = 'ScenarioFileError';
}

export interface Scenario {
  name: string;
  description?: string;
  file: string;
  bench: BenchConfig;
  drivers: Record<string, DriverConfig>;
  steps: ScenarioStep[];
}

const WORDS = {
  errorClass: ScenarioFileError,
  describe: (issue: z.core.$ZodIssue): string | undefined =>
    issue.code === 'invalid_union' && issue.path[0] === 'steps'
      ? 'one of the steps expect-iso8583-capture, expect-no-card-number, pos-sale, expect-sale, pos-cancel, pos-restart, reconcile, scan, expect-data, expect-error, expect-no-data, action, wait, advance-clock, obex-put, obex-get, ble-connect, ble-read-user-id, ble-disconnect, expect-capture, expect-screen, expect-state'
      : issue.code === 'invalid_union' && issue.path[0] === 'drivers'
        ? 'a driver: { scanner: { role, commandSet, … } }, { irObex: { role, endpoint?, nickname? } } or { phoneLink: { transport?, capture? } } or { pos: { terminalId, merchantCode, gateway, userId } }'
        : undefined,
};

function toScenario(data: z.output<typeof ScenarioSchema>, file: string): Scenario {
  const base = path.dirname(path.resolve(file));
  const bench =
    typeof data.bench === 'string'
      ? loadBenchFile(path.resolve(base, data.bench))
      : benchConfigFrom(data.bench, file);
  // A scenario's bench is its own: named after the scenario so it never meets a bench of the same file.
  bench.name = `${data.name}-${process.pid}`;
  const roles = new Set(bench.roles.map((r) => r.role));
  const drivers: Record<string, DriverConfig> = Object.fromEntries(
    Object.entries(data.drivers).map(([k, v]) => [
      k,
      'scanner' in v
        ? { kind: 'scanner' as const, ...v.scanner }
        : 'irObex' in v
          ? { kind: 'irObex' as const, ...v.irObex }
          : 'pos' in v
            ? { kind: 'pos' as const, ...v.pos }
            : { kind: 'phoneLink' as const, ...v.phoneLink },
    ]),
  );
  for (const [driverName, d] of Object.entries(drivers)) {
    if (d.kind === 'pos') {
      const refs: [string, string][] = [['gateway', d.gateway]];
      if ('mobileTerminal' in d.userId) refs.push(['userId.mobileTerminal', d.userId.mobileTerminal]);
      for (const [where, role] of refs) {
        if (!roles.has(role))
          throw new ScenarioFileError(
            file,
            `drivers.${driverName}.pos.${where}`,
            `one of the bench roles (${[...roles].join(', ')})`,
          );
      }
    }
    if (d.role !== undefined && !roles.has(d.role)) {
      throw new ScenarioFileError(
        file,
        `drivers.${driverName}.${d.kind}.role`,
        `one of the bench roles (${[...roles].join(', ')})`,
      );
    }
  }
  data.steps.forEach((step, i) => {
    const [kind, body] = Object.entries(step)[0] as [string, { role?: string; driver?: string }];
    if (body.role !== undefined && !roles.has(body.role))
      throw new ScenarioFileError(
        file,
        `steps.${i}.${kind}.role`,
        `one of the bench roles (${[...roles].join(', ')})`,
      );
    if (body.driver !== undefined && !(body.driver in drivers))
      throw new ScenarioFileError(
        file,
        `steps.${i}.${kind}.driver`,
        `one of the drivers (${Object.keys(drivers).join(', ')})`,
      );
  });
  return {
    name: data.name,
    ...(data.description !== undefined ? { description: data.description } : {}),
    file,
    bench,
    drivers,
    steps: data.steps,
  };
}

export function parseScenario(text: string, file: string): Scenario {
  return toScenario(parseYamlFile(text, file, ScenarioSchema, WORDS), file);
}

export function loadScenario(file: string): Scenario {
  return toScenario(readYamlFile(file, ScenarioSchema, 'scenario file', WORDS), file);
}

export interface StepResult {
  index: number;
  kind: string;
  ok: boolean;
  detail: string;
  ms: number;
}

export interface ScenarioResult {
  name: string;
  passed: boolean;
  steps: StepResult[];
}

export interface RunOptions {
  /** Each step as it completes. */
  onStep?(result: StepResult, total: number): void;
  /** Each bench and driver event, as one transcript line. */
  onTranscript?(line: Record<string, unknown>): void;
  /** Called before step `index` runs, with the bench and drivers running: fault runs inject here. */
  beforeStep?(index: number, ctx: ScenarioContext): Promise<void>;
  /** Called after the last step (run or stopped), before the bench closes: fault runs reconcile here. */
  afterSteps?(ctx: ScenarioContext): Promise<void>;
  /**
   * From step `from` on, a failing step is recorded and the run goes on (a fault may have changed what the
   * user sees); each step's `timeoutMs` is cut to `timeoutMs` so that a wait for a screen that will not come
   * costs little. `passed` still requires every step to hold.
   */
  tolerant?: { from: number; timeoutMs?: number };
}

/** What the hooks of RunOptions see of a running scenario. */
export interface ScenarioContext {
  bench: RunningBench;
  pos: ReadonlyMap<string, HeldPos>;
  /** The results so far. */
  steps: readonly StepResult[];
}

interface DriverEvent {
  kind: 'data' | 'error';
  label?: Buffer;
  raw?: Buffer;
  type?: number;
  code?: number;
  message?: string;
}

/** A Scanner the scenario holds enabled, with its events queued for the expect steps. */
class ScenarioScanner {
  readonly queue: DriverEvent[] = [];
  private waiter: (() => void) | undefined;

  constructor(
    readonly name: string,
    readonly scanner: Scanner,
  ) {
    scanner.on('dataEvent', () => {
      this.push({
        kind: 'data',
        label: Buffer.from(scanner.scanDataLabel),
        raw: Buffer.from(scanner.scanData),
        type: scanner.scanDataType,
      });
      scanner.dataEventEnabled = true;
    });
    scanner.on('errorEvent', (e) => {
      this.push({ kind: 'error', code: e.errorCode, message: e.message });
      scanner.dataEventEnabled = true;
    });
  }

  private push(e: DriverEvent): void {
    this.queue.push(e);
    this.waiter?.();
  }

  async next(timeoutMs: number): Promise<DriverEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.queue.shift();
  }
}

const show = (b: Buffer): string => {
  const s = b.toString('latin1');
  return (
    JSON.stringify(s.length > 48 ? `${s.slice(0, 45)}…` : s) + (s.length > 48 ? ` (${s.length} bytes)` : '')
  );
};

/**
 * Every run leaves its captures (a pcapng per link) and its transcript beside its runtime files, unless the
 * bench names a folder of its own. Returns the folder, made if need be.
 */
export function withCaptureDir(scenario: Scenario): string {
  scenario.bench.captureDir ??= path.join(benchRuntimeDir(scenario.bench.name), 'captures');
  mkdirSync(scenario.bench.captureDir, { recursive: true });
  return scenario.bench.captureDir;
}

/** Runs a scenario: starts its bench, opens its drivers, runs its steps, closes everything. */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const base = path.dirname(path.resolve(scenario.file));
  // Kept for the checks that read the run's messages (expect-no-card-number), and passed on.
  const transcriptLines: Record<string, unknown>[] = [];
  const transcript = (line: Record<string, unknown>): void => {
    transcriptLines.push(line);
    options.onTranscript?.(line);
  };
  withCaptureDir(scenario);
  const bench: RunningBench = await startBench(scenario.bench, { register: false });
  const drivers = new Map<string, ScenarioScanner>();
  const irDrivers = new Map<string, HeldIrDriver>();
  const bleDrivers = new Map<string, HeldPhoneLink>();
  const posDrivers = new Map<string, HeldPos>();
  const results: StepResult[] = [];
  try {
    for (const [role, device] of bench.devices) {
      device.onEvent((e: BenchEvent) => transcript({ ...e, from: role, to: 'bench' }));
    }
    for (const [driverName, d] of Object.entries(scenario.drivers)) {
      if (d.kind === 'phoneLink') {
        bleDrivers.set(driverName, await openPhoneLink(bench, d, base, driverName));
        continue;
      }
      if (d.kind === 'pos') {
        posDrivers.set(driverName, await HeldPos.open(driverName, d, bench, transcript));
        continue;
      }
      const summary = bench.devices.get(d.role)!.summary();
      if (d.kind === 'irObex') {
        const endpoint = d.endpoint ? summary.endpoints?.[d.endpoint] : summary.endpoint;
        if (!endpoint?.path) {
          throw new Error(
            `driver ${driverName}: role ${d.role} has no ${d.endpoint ? `"${d.endpoint}" ` : ''}port to open`,
          );
        }
        const driver = await IrObexDriver.open({
          path: endpoint.path,
          clock: bench.clock,
          ...(d.maxBaud !== undefined ? { maxBaud: d.maxBaud } : {}),
          ...(d.seed !== undefined ? { seed: d.seed } : {}),
        });
        irDrivers.set(driverName, { driver, puts: new Map() });
        const { device, qos } = await driver.connect(d.nickname ? { nickname: d.nickname } : {});
        transcript({
          time: Date.now(),
          from: driverName,
          to: d.role,
          type: 'ir-connected',
          nickname: device.info.nickname,
          baudRate: qos.baudRate,
        });
        continue;
      }
      const endpoint = summary.endpoint;
      if (!endpoint.path) throw new Error(`driver ${driverName}: role ${d.role} has no path to open`);
      const opts: ScannerOptions = {
        path:
          endpoint.transport === 'evdev' && !endpoint.path.startsWith('evdev:')
            ? `evdev:${endpoint.path}`
            : endpoint.path,
        commandSet: d.commandSet,
        clock: bench.clock,
        ...(d.baudRate !== undefined ? { baudRate: d.baudRate } : {}),
        ...(d.wedge ? { wedge: d.wedge as ScannerOptions['wedge'] } : {}),
      };
      const scanner = new Scanner(opts);
      const held = new ScenarioScanner(driverName, scanner);
      drivers.set(driverName, held);
      scanner.on('dataEvent', () =>
        transcript({
          time: Date.now(),
          from: d.role,
          to: driverName,
          type: 'DataEvent',
          scanDataType: scanner.scanDataType,
          scanDataHex: scanner.scanData.toString('hex'),
        }),
      );
      scanner.on('errorEvent', (e) =>
        transcript({
          time: Date.now(),
          from: d.role,
          to: driverName,
          type: 'ErrorEvent',
          errorCode: e.errorCode,
        }),
      );
      await scanner.open();
      await scanner.claim(5000);
      await scanner.setDeviceEnabled(true);
      scanner.decodeData = true;
      scanner.dataEventEnabled = true;
    }
    const ctx: ScenarioContext = { bench, pos: posDrivers, steps: results };
    for (const [index, step] of scenario.steps.entries()) {
      await options.beforeStep?.(index, ctx);
      const tolerant = options.tolerant !== undefined && index >= options.tolerant.from;
      const [kind, stepBody] = Object.entries(step)[0] as [string, Record<string, unknown>];
      const cap = options.tolerant?.timeoutMs;
      const body =
        tolerant && cap !== undefined && typeof stepBody['timeoutMs'] === 'number'
          ? { ...stepBody, timeoutMs: Math.min(stepBody['timeoutMs'], cap) }
          : stepBody;
      const started = Date.now();
      let ok = false;
      let detail: string;
      try {
        [ok, detail] =
          (await runPosStep(kind, body, posDrivers)) ??
          (await runCheckStep(kind, body, {
            bench,
            pos: posDrivers,
            transcriptLines,
            captureDir: scenario.bench.captureDir,
          })) ??
          (await runStep(kind, body, { bench, drivers, irDrivers, bleDrivers, base }));
      } catch (err) {
        detail = err instanceof Error ? err.message : String(err);
      }
      const result = { index, kind, ok, detail, ms: Date.now() - started };
      results.push(result);
      options.onStep?.(result, scenario.steps.length);
      if (!ok && !tolerant) break;
    }
    await options.afterSteps?.(ctx);
  } finally {
    for (const d of drivers.values()) await d.scanner.close().catch(() => undefined);
    for (const d of irDrivers.values()) await d.driver.close().catch(() => undefined);
    for (const d of bleDrivers.values()) await d.close();
    for (const d of posDrivers.values()) await d.close();
    await bench.close();
  }
  return {
    name: scenario.name,
    passed: results.length === scenario.steps.length && results.every((r) => r.ok),
    steps: results,
  };
}

interface HeldIrDriver {
  driver: IrObexDriver;
  /** What each put sent, to compare a get with. */
  puts: Map<string, Buffer>;
}

interface StepContext {
  bench: RunningBench;
  drivers: Map<string, ScenarioScanner>;
  irDrivers: Map<string, HeldIrDriver>;
  bleDrivers: Map<string, HeldPhoneLink>;
  base: string;
}

interface HeldPhoneLink {
  link: BlePhoneLink;
  captureFile: string | undefined;
  /** Ends the capture (so tshark can read a complete file). */
  stopCapture(): void;
  close(): Promise<void>;
}

/** The POS's PhoneLink: on a transport string, or on a virtual controller of the bench's air. */
async function openPhoneLink(
  bench: RunningBench,
  d: Extract<DriverConfig, { kind: 'phoneLink' }>,
  base: string,
  driverName: string,
): Promise<HeldPhoneLink> {
  let pos: VirtualController | undefined;
  let capture: HciCapture | undefined;
  const captureFile =
    typeof d.capture === 'string'
      ? path.resolve(base, d.capture)
      : d.capture
        ? path.join(bench.runtimeDir, 'captures', `${driverName}-hci.pcapng`)
        : undefined;
  if (captureFile) mkdirSync(path.dirname(captureFile), { recursive: true });
  if (d.transport === undefined) {
    pos = new VirtualController({ air: bench.air(), address: '5a:50:00:00:0f:01', name: driverName });
    if (captureFile) {
      capture = new HciCapture({ file: captureFile, clock: bench.clock });
      capture.add(pos);
    }
  } else if (captureFile) {
    throw new Error(`driver ${driverName}: capture is written for the bench's own controller only`);
  }
  const link = await BlePhoneLink.open({ transport: pos ?? d.transport!, clock: bench.clock });
  return {
    link,
    captureFile,
    stopCapture: () => capture?.close(),
    async close() {
      await link.close().catch(() => undefined);
      capture?.close();
      if (pos) {
        pos.close();
        unregisterVirtualController(pos);
      }
    },
  };
}

function tsharkFields(file: string, filter: string, field: string): string[] {
  const r = spawnSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', field], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`tshark: ${r.error.message} (Debian package tshark)`);
  if (r.status !== 0) throw new Error(`tshark: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** A deterministic body of `n` bytes (xorshift), so a scenario can move a large object without a file. */
function seededBody(n: number, name: string): Buffer {
  let x = 0x9e3779b9;
  for (const c of name) x = (x ^ c.charCodeAt(0)) * 0x01000193;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** What a user reads on a handset screen (its JSON), as one line. */
function screenText(screen: Record<string, unknown>): string {
  const parts: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string' && v !== '') parts.push(v);
  };
  add(screen['title']);
  for (const line of (screen['lines'] as unknown[] | undefined) ?? []) add(line);
  const choices = screen['choices'] as { items?: unknown[] } | null | undefined;
  for (const item of choices?.items ?? []) add(item);
  const input = screen['input'] as { label?: unknown } | null | undefined;
  add(input?.label);
  const soft = screen['softKeys'] as Record<string, unknown> | null | undefined;
  add(soft?.['left']);
  add(soft?.['right']);
  const note = screen['notification'];
  add(typeof note === 'object' && note ? (note as { text?: unknown }).text : note);
  return parts.join(' | ');
}

/** `a.b.0.c` inside a device's state. */
function atPath(value: unknown, dotted: string): unknown {
  let v = value;
  for (const key of dotted.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

async function runStep(
  kind: string,
  body: Record<string, unknown>,
  ctx: StepContext,
): Promise<[boolean, string]> {
  switch (kind) {
    case 'scan': {
      const device = ctx.bench.devices.get(body['role'] as string)!;
      const scan = device.actions['scan'];
      if (!scan) return [false, `${String(body['role'])} cannot scan`];
      const request =
        typeof body['image'] === 'string'
          ? { image: path.resolve(ctx.base, body['image']) }
          : { symbology: body['symbology'], text: body['text'] };
      const r = (await scan(request)) as { read?: boolean; reason?: string; name?: string; data?: string };
      const what =
        typeof body['image'] === 'string'
          ? `image ${path.basename(body['image'])}`
          : `${String(body['symbology'])}`;
      return r.read
        ? [true, `${String(body['role'])} read ${what}: ${r.name} (${r.data?.length ?? 0} characters)`]
        : [false, `${String(body['role'])} did not read ${what}: ${r.reason ?? 'no read'}`];
    }
    case 'expect-data': {
      const d = ctx.drivers.get(body['driver'] as string)!;
      const e = await d.next(body['timeoutMs'] as number);
      if (!e) return [false, `no DataEvent within ${String(body['timeoutMs'])} ms`];
      if (e.kind !== 'data')
        return [false, `ErrorEvent ${e.code} (${e.message}) where a DataEvent was expected`];
      const problems: string[] = [];
      const wantType = body['type'];
      if (wantType !== undefined) {
        const code =
          typeof wantType === 'number' ? wantType : ScanDataType[wantType as keyof typeof ScanDataType];
        if (e.type !== code) problems.push(`ScanDataType ${e.type}, expected ${code} (${String(wantType)})`);
      }
      let label = body['label'] as string | undefined;
      if (typeof body['labelFile'] === 'string')
        label = readFileSync(path.resolve(ctx.base, body['labelFile']), 'latin1');
      if (label !== undefined && !e.label!.equals(Buffer.from(label, 'latin1')))
        problems.push(`ScanDataLabel ${show(e.label!)}, expected ${show(Buffer.from(label, 'latin1'))}`);
      const raw = body['raw'] as string | undefined;
      if (
        raw !== undefined &&
        !e.raw!.equals(Buffer.from(raw, 'utf8')) &&
        !e.raw!.equals(Buffer.from(raw, 'latin1'))
      )
        problems.push(`ScanData ${show(e.raw!)}, expected ${JSON.stringify(raw)}`);
      if (problems.length) return [false, problems.join('; ')];
      return [true, `DataEvent: ScanDataType ${e.type}, ScanDataLabel ${show(e.label!)}`];
    }
    case 'expect-error': {
      const d = ctx.drivers.get(body['driver'] as string)!;
      const e = await d.next(body['timeoutMs'] as number);
      if (!e) return [false, `no ErrorEvent within ${String(body['timeoutMs'])} ms`];
      if (e.kind !== 'error') return [false, `DataEvent ${show(e.label!)} where an ErrorEvent was expected`];
      if (body['code'] !== undefined && e.code !== body['code'])
        return [false, `ErrorEvent ${e.code}, expected ${String(body['code'])}`];
      return [true, `ErrorEvent ${e.code}: ${e.message}`];
    }
    case 'expect-no-data': {
      const d = ctx.drivers.get(body['driver'] as string)!;
      const e = await d.next(body['forMs'] as number);
      if (!e) return [true, `nothing for ${String(body['forMs'])} ms`];
      return [false, e.kind === 'data' ? `DataEvent ${show(e.raw!)}` : `ErrorEvent ${e.code}`];
    }
    case 'action': {
      const device = ctx.bench.devices.get(body['role'] as string)!;
      const act = device.actions[body['name'] as string];
      if (!act)
        return [
          false,
          `${String(body['role'])} has no action ${String(body['name'])} (${Object.keys(device.actions).join(', ')})`,
        ];
      const r = await act(body['body'] ?? {});
      // A handset answers with its whole screen: its title says enough here (the transcript has the rest).
      const shown =
        r && typeof r === 'object' && 'title' in r && 'seq' in r
          ? `screen "${String((r as { title: unknown }).title)}"`
          : JSON.stringify(r);
      return [
        true,
        `${String(body['role'])} ${String(body['name'])}${body['body'] !== undefined ? ` ${JSON.stringify(body['body'])}` : ''}: ${shown}`,
      ];
    }
    case 'wait': {
      await new Promise((r) => setTimeout(r, body['ms'] as number));
      return [true, `${String(body['ms'])} ms`];
    }
    case 'advance-clock': {
      const clock = ctx.bench.clock;
      if (!(clock instanceof VirtualClock)) return [false, 'advance-clock needs a bench with clock: virtual'];
      const from = clock.now();
      // The timers that fall due run in order, as the self-advancing clock would run them one by one.
      clock.advance(body['ms'] as number);
      return [true, `virtual clock ${from} ms → ${clock.now()} ms`];
    }
    case 'obex-put': {
      const held = ctx.irDrivers.get(body['driver'] as string);
      if (!held) return [false, `${String(body['driver'])} is not an irObex driver`];
      const name = body['name'] as string;
      const data =
        typeof body['text'] === 'string'
          ? Buffer.from(body['text'], 'utf8')
          : typeof body['file'] === 'string'
            ? readFileSync(path.resolve(ctx.base, body['file']))
            : seededBody(body['bytes'] as number, name);
      const r = await held.driver.put(name, data, body['type'] as string | undefined);
      held.puts.set(name, data);
      // Success (0x20), with the final bit.
      const ok = (r.code & 0x7f) === 0x20;
      return [ok, `PUT ${name} (${data.length} bytes): response 0x${r.code.toString(16)}`];
    }
    case 'obex-get': {
      const held = ctx.irDrivers.get(body['driver'] as string);
      if (!held) return [false, `${String(body['driver'])} is not an irObex driver`];
      const name = body['name'] as string;
      let r;
      try {
        r = await held.driver.get({ name });
      } catch (err) {
        return [false, `GET ${name}: ${err instanceof Error ? err.message : String(err)}`];
      }
      const got = Buffer.from(r.body);
      const sent = held.puts.get(name);
      if (sent && !sent.equals(got)) {
        return [false, `GET ${name}: ${got.length} bytes differ from the ${sent.length} bytes put`];
      }
      return [true, `GET ${name}: ${got.length} bytes${sent ? ', identical to what was put' : ''}`];
    }
    case 'expect-screen': {
      const device = ctx.bench.devices.get(body['role'] as string)!;
      const view = device.views?.['screen'];
      if (!view) return [false, `${String(body['role'])} has no screen`];
      const want = body['text'] as string;
      const deadline = Date.now() + (body['timeoutMs'] as number);
      let last = '';
      for (;;) {
        last = screenText(JSON.parse(String((await view(null)).body)) as Record<string, unknown>);
        if (last.includes(want)) return [true, `${String(body['role'])} shows ${JSON.stringify(want)}`];
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return [
        false,
        `${String(body['role'])} does not show ${JSON.stringify(want)} within ${String(body['timeoutMs'])} ms; it shows: ${last}`,
      ];
    }
    case 'expect-state': {
      const device = ctx.bench.devices.get(body['role'] as string)!;
      const where = `${String(body['role'])} ${String(body['path'])}`;
      const check = (): [boolean, string] => {
        const v = atPath(device.state(), body['path'] as string);
        if (body['atLeast'] !== undefined) {
          return typeof v === 'number' && v >= (body['atLeast'] as number)
            ? [true, `${where} = ${v}`]
            : [false, `${where} = ${JSON.stringify(v)}, expected at least ${String(body['atLeast'])}`];
        }
        if (body['equals'] !== undefined) {
          return v === body['equals']
            ? [true, `${where} = ${JSON.stringify(v)}`]
            : [false, `${where} = ${JSON.stringify(v)}, expected ${JSON.stringify(body['equals'])}`];
        }
        return v === undefined
          ? [false, `${where} is not in the device's state`]
          : [true, `${where} = ${JSON.stringify(v)}`];
      };
      const deadline = Date.now() + (body['timeoutMs'] as number);
      for (;;) {
        const r = check();
        if (r[0] || Date.now() >= deadline) return r;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    case 'ble-connect': {
      const held = ctx.bleDrivers.get(body['driver'] as string);
      if (!held) return [false, `${String(body['driver'])} is not a phoneLink driver`];
      const found = await held.link.discover({
        timeoutMs: body['timeoutMs'] as number,
        count: 1,
        ...(typeof body['name'] === 'string' ? { nameFilter: body['name'] } : {}),
      });
      const phone = found[0];
      if (!phone)
        return [false, `no phone offering the payment service within ${String(body['timeoutMs'])} ms`];
      await held.link.connect(phone);
      if (body['pair']) await held.link.pair();
      return [
        true,
        `connected to ${phone.name ?? '(no name)'} ${phone.address}${body['pair'] ? ', paired' : ''}`,
      ];
    }
    case 'ble-read-user-id': {
      const held = ctx.bleDrivers.get(body['driver'] as string);
      if (!held) return [false, `${String(body['driver'])} is not a phoneLink driver`];
      const id = await held.link.readUserId();
      const want = body['expect'] as string | undefined;
      if (want !== undefined && id !== want)
        return [false, `user id ${JSON.stringify(id)}, expected ${JSON.stringify(want)}`];
      return [true, `user id ${JSON.stringify(id)} (encrypted read)`];
    }
    case 'ble-disconnect': {
      const held = ctx.bleDrivers.get(body['driver'] as string);
      if (!held) return [false, `${String(body['driver'])} is not a phoneLink driver`];
      await held.link.disconnect();
      return [true, 'disconnected'];
    }
    case 'expect-capture': {
      const held = ctx.bleDrivers.get(body['driver'] as string);
      if (!held?.captureFile) return [false, `${String(body['driver'])} writes no capture`];
      held.stopCapture();
      const file = held.captureFile;
      const malformed = tsharkFields(file, '_ws.malformed || _ws.expert.severity == "error"', 'frame.number');
      if (malformed.length)
        return [false, `tshark finds malformed or erroneous packets: frames ${malformed.join(', ')}`];
      const text = body['readResponse'] as string | undefined;
      if (text !== undefined) {
        // ATT Read Response (opcode 0x0b): its value must be the text's octets.
        const values = tsharkFields(file, 'btatt.opcode == 0x0b', 'btatt.value').map((v) =>
          v.replace(/:/g, ''),
        );
        if (!values.includes(Buffer.from(text, 'latin1').toString('hex'))) {
          return [
            false,
            `no ATT Read Response carries ${JSON.stringify(text)} (values: ${values.join(', ') || 'none'})`,
          ];
        }
      }
      return [
        true,
        `tshark dissects ${path.basename(file)} with no malformed packet${text !== undefined ? `; an ATT Read Response carries ${JSON.stringify(text)}` : ''}`,
      ];
    }
    default:
      return [false, `unknown step ${kind}`];
  }
}
