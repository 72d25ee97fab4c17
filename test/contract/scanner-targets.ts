/**
 * The devices the Scanner contract suite runs against: the twin of each command set (serial), the HID POS and
 * keyboard-wedge twins, and a real scanner when `BENCHTWIN_REAL_SCANNER` names one:
 *   serial:<path>?protocol=honeywell|ssi|none[&baud=…]
 *   hid:<vid>:<pid>[:<serial>]?protocol=hid-pos|wedge[&layout=…]
 *   evdev:/dev/input/…-event-kbd[?layout=…]              (a wedge scanner's key events)
 */
import { rmSync } from 'node:fs';
import { startBench, type RunningBench } from '../../host/bench/bench.js';
import { parseTransport } from '../../host/bench/transport.js';
import type { ScannerTwinDevice } from '../../host/bench/scanner-device.js';
import type { HidScannerTwinDevice } from '../../host/bench/hid-scanner-device.js';
import type { ScannerCommandSetName, ScannerOptions } from '../../host/drivers/scanner/index.js';
import { isKeyboardLayoutId } from '../../firmware-sim/scanner/keyboard-layouts.js';
import { getScannerProfile } from '../../devices/profiles/scanners.js';
import type { Symbology } from '../../firmware-sim/scanner/symbology.js';

export interface ScannerTarget {
  name: string;
  /** Driver options: the same driver code for every target. */
  driver: ScannerOptions;
  /** Makes the device read a symbol: the control API for a twin, the operator for a real scanner. */
  scan(symbology: Symbology, text: string): Promise<void>;
  /** Twins only: the device itself, for faults and unplugging. */
  twin?: ScannerTwinDevice | HidScannerTwinDevice;
  close(): Promise<void>;
}

export type TwinMode = 'serial' | 'hid-pos' | 'wedge';

export async function twinTarget(profileName: string, mode: TwinMode = 'serial'): Promise<ScannerTarget> {
  const profile = getScannerProfile(profileName);
  const transportText = `emu:scanner/${profile.name}?mode=${mode}`;
  const bench: RunningBench = await startBench(
    {
      name: `contract-${profile.name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      clock: 'wall',
      controlPort: 0,
      roles: [{ role: 'scanner', transport: parseTransport(transportText), transportText, capture: false }],
    },
    { register: false },
  );
  const twin = bench.devices.get('scanner') as ScannerTwinDevice | HidScannerTwinDevice;
  const commandSet: ScannerCommandSetName =
    mode !== 'serial' ? mode : profile.commandSet === 'honeywell' ? 'honeywell' : 'ssi';
  return {
    name: `twin ${profile.name} ${mode}`,
    driver: { path: twin.twin.path, baudRate: profile.line.baudRate, commandSet, reopenIntervalMs: 100 },
    twin,
    async scan(symbology, text) {
      const res = await fetch(`${bench.control.deviceUrl('scanner')}/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ symbology, text }),
      });
      const body = (await res.json()) as { read?: boolean; error?: string };
      if (!body.read) throw new Error(`twin did not read ${symbology} ${text}: ${JSON.stringify(body)}`);
    },
    async close() {
      await bench.close();
      rmSync(bench.runtimeDir, { recursive: true, force: true });
    },
  };
}

/** The real scanner named in the environment, or undefined (the suite then reports its run as skipped). */
export function realTarget(): ScannerTarget | undefined {
  const spec = process.env['BENCHTWIN_REAL_SCANNER'];
  if (!spec) return undefined;
  const t = parseTransport(spec);
  const expected = 'serial:<path>?protocol=…, hid:<vid>:<pid>?protocol=hid-pos|wedge or evdev:<event device>';
  let driver: ScannerOptions;
  if (t.scheme === 'serial') {
    const protocol = (t.options['protocol'] ?? 'honeywell') as ScannerCommandSetName;
    if (!['honeywell', 'ssi', 'none'].includes(protocol)) {
      throw new Error(`BENCHTWIN_REAL_SCANNER: protocol=${protocol}: expected honeywell, ssi or none`);
    }
    driver = {
      path: t.path,
      baudRate: Number(t.options['baud'] ?? 9600),
      commandSet: protocol,
      reopenIntervalMs: 250,
    };
  } else if (t.scheme === 'hid' || t.scheme === 'evdev') {
    const protocol = (
      t.scheme === 'evdev' ? 'wedge' : (t.options['protocol'] ?? 'hid-pos')
    ) as ScannerCommandSetName;
    if (protocol !== 'hid-pos' && protocol !== 'wedge') {
      throw new Error(`BENCHTWIN_REAL_SCANNER: protocol=${protocol}: expected hid-pos or wedge`);
    }
    const layout = t.options['layout'];
    if (layout !== undefined && !isKeyboardLayoutId(layout)) {
      throw new Error(`BENCHTWIN_REAL_SCANNER: layout=${layout}: expected us, uk, de, fr or jp`);
    }
    driver = {
      path: `${t.scheme}:${t.address}`,
      commandSet: protocol,
      reopenIntervalMs: 250,
      ...(layout ? { wedge: { layout } } : {}),
    };
  } else {
    throw new Error(`BENCHTWIN_REAL_SCANNER: expected ${expected}, got ${spec}`);
  }
  return {
    name: `real ${spec}`,
    driver,
    async scan(symbology, text) {
      // An operator presents the printed label (fixtures/images/) while the test waits for the DataEvent.
      process.stderr.write(`\n>>> scan the ${symbology} label "${text}" with the real scanner now\n`);
    },
    async close() {},
  };
}
