/**
 * The devices the Scanner contract suite runs against: the twin of each command set, and a real scanner
 * when `BENCHTWIN_REAL_SCANNER=serial:<path>?protocol=honeywell|ssi|none[&baud=…]` names one.
 */
import { rmSync } from 'node:fs';
import { startBench, type RunningBench } from '../../host/bench/bench.js';
import { parseTransport } from '../../host/bench/transport.js';
import type { ScannerTwinDevice } from '../../host/bench/scanner-device.js';
import type { ScannerCommandSetName, ScannerOptions } from '../../host/drivers/scanner/index.js';
import { getScannerProfile } from '../../devices/profiles/scanners.js';
import type { Symbology } from '../../firmware-sim/scanner/symbology.js';

export interface ScannerTarget {
  name: string;
  /** Driver options: the same driver code for every target. */
  driver: ScannerOptions;
  /** Makes the device read a symbol: the control API for a twin, the operator for a real scanner. */
  scan(symbology: Symbology, text: string): Promise<void>;
  /** Twins only: the device itself, for faults and unplugging. */
  twin?: ScannerTwinDevice;
  close(): Promise<void>;
}

export async function twinTarget(profileName: string): Promise<ScannerTarget> {
  const profile = getScannerProfile(profileName);
  const transportText = `emu:scanner/${profile.name}?mode=serial`;
  const bench: RunningBench = await startBench(
    {
      name: `contract-${profile.name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      clock: 'wall',
      controlPort: 0,
      roles: [{ role: 'scanner', transport: parseTransport(transportText), transportText, capture: false }],
    },
    { register: false },
  );
  const twin = bench.devices.get('scanner') as ScannerTwinDevice;
  const commandSet: ScannerCommandSetName = profile.commandSet === 'honeywell' ? 'honeywell' : 'ssi';
  return {
    name: `twin ${profile.name}`,
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
  if (t.scheme !== 'serial')
    throw new Error(`BENCHTWIN_REAL_SCANNER: expected serial:<path>?protocol=…, got ${spec}`);
  const protocol = (t.options['protocol'] ?? 'honeywell') as ScannerCommandSetName;
  if (!['honeywell', 'ssi', 'none'].includes(protocol)) {
    throw new Error(`BENCHTWIN_REAL_SCANNER: protocol=${protocol}: expected honeywell, ssi or none`);
  }
  return {
    name: `real ${spec}`,
    driver: {
      path: t.path,
      baudRate: Number(t.options['baud'] ?? 9600),
      commandSet: protocol,
      reopenIntervalMs: 250,
    },
    async scan(symbology, text) {
      // An operator presents the printed label (fixtures/images/) while the test waits for the DataEvent.
      process.stderr.write(`\n>>> scan the ${symbology} label "${text}" with the real scanner now\n`);
    },
    async close() {},
  };
}
