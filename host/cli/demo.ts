/**
 * `benchtwin demo`: an all-emulated bench. A scanner twin of each command set scans rendered images of six
 * symbologies through the control API; the UnifiedPOS Scanner driver reads every label through a real
 * pseudo-terminal and the demo prints each DataEvent, checking it against what was encoded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { symbolFromText } from '../../firmware-sim/scanner/decode.js';
import { renderSymbol } from '../../firmware-sim/scanner/render.js';
import { symbologyInfo, type Symbology } from '../../firmware-sim/scanner/symbology.js';
import { SCANNER_PROFILES, getScannerProfile } from '../../devices/profiles/scanners.js';
import { Scanner, type DataEvent } from '../drivers/scanner/index.js';
import { startBench } from '../bench/bench.js';
import { parseTransport } from '../bench/transport.js';
import type { BenchConfig } from '../bench/bench-file.js';
import { UsageError } from './main.js';
import { runFlowDemo } from './demo-flows.js';

export const DEMO_SYMBOLS: readonly { symbology: Symbology; text: string }[] = [
  { symbology: 'ean13', text: '4901234567894' },
  { symbology: 'code128', text: 'BENCHTWIN-128' },
  { symbology: 'gs1-128', text: '(01)09501101530003(17)270704(10)AB-123' },
  { symbology: 'qr', text: 'PAY:8f3a9c1e;AMT=1200' },
  { symbology: 'pdf417', text: 'RECEIPT 0001 TOTAL 12.00 EUR' },
  { symbology: 'datamatrix', text: 'LOT 2026-11-21 #42' },
];

const LABEL_TIMEOUT_MS = 10_000;

export interface DemoOptions {
  clock: 'wall' | 'virtual';
  profile: string | undefined;
  captureDir: string | undefined;
  json: boolean;
  /** One part only: the scanner lanes or the seed-001 payment flows (default both). */
  only?: 'scanners' | 'flows' | undefined;
  /** Flows: only the scenarios whose name contains this. */
  scenario?: string | undefined;
}

interface ScanOutcome {
  profile: string;
  symbology: Symbology;
  ok: boolean;
  label?: string;
  scanDataType?: number;
  ms: number;
  error?: string;
}

/** Printable form of a label: control characters as <GS>, <CR>… */
function printable(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    out +=
      b === 0x1d
        ? '<GS>'
        : b < 0x20 || b === 0x7f
          ? `<${b.toString(16).padStart(2, '0')}>`
          : String.fromCharCode(b);
  }
  return out;
}

function nextDataEvent(scanner: Scanner): Promise<DataEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      scanner.off('dataEvent', onData);
      reject(new Error(`no DataEvent within ${LABEL_TIMEOUT_MS} ms`));
    }, LABEL_TIMEOUT_MS);
    const onData = (e: DataEvent): void => {
      clearTimeout(timer);
      resolve(e);
    };
    scanner.once('dataEvent', onData);
  });
}

async function runLane(
  profileName: string,
  images: Map<Symbology, string>,
  o: DemoOptions,
): Promise<ScanOutcome[]> {
  const profile = getScannerProfile(profileName);
  const transportText = `emu:scanner/${profile.name}?mode=serial`;
  const config: BenchConfig = {
    name: `demo-${profile.name}-${process.pid}`,
    clock: o.clock,
    controlPort: 0,
    roles: [{ role: 'scanner', transport: parseTransport(transportText), transportText, capture: true }],
  };
  if (o.captureDir) config.captureDir = path.resolve(o.captureDir);
  const bench = await startBench(config, { register: false });
  const device = bench.devices.get('scanner')!;
  const endpoint = device.summary().endpoint;
  const scanner = new Scanner({
    path: endpoint.path!,
    baudRate: profile.line.baudRate,
    commandSet: profile.commandSet === 'honeywell' ? 'honeywell' : 'ssi',
  });
  const outcomes: ScanOutcome[] = [];
  try {
    if (!o.json) {
      console.log(
        `\n${profile.identity.manufacturer} ${profile.identity.model} twin (${profile.commandSet}) on ${endpoint.path} -> ${endpoint.pts}`,
      );
      console.log(`  control API ${bench.control.deviceUrl('scanner')}`);
    }
    await scanner.open();
    await scanner.claim(5000);
    await scanner.setDeviceEnabled(true);
    scanner.decodeData = true;
    for (const [i, { symbology, text }] of DEMO_SYMBOLS.entries()) {
      const expected = Buffer.from(symbolFromText(symbology, text).data);
      scanner.dataEventEnabled = true;
      const started = performance.now();
      const event = nextDataEvent(scanner);
      let outcome: ScanOutcome;
      try {
        const res = await fetch(`${bench.control.deviceUrl('scanner')}/scan`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ image: images.get(symbology) }),
        });
        const result = (await res.json()) as { read?: boolean; reason?: string; error?: string };
        if (!result.read)
          throw new Error(`the twin did not read the image: ${result.reason ?? result.error ?? res.status}`);
        await event;
        const label = scanner.scanDataLabel;
        const ok = label.equals(expected) && scanner.scanDataType === symbologyInfo(symbology).scanDataType;
        outcome = {
          profile: profile.name,
          symbology,
          ok,
          label: printable(label),
          scanDataType: scanner.scanDataType,
          ms: performance.now() - started,
          ...(ok
            ? {}
            : { error: `expected ${printable(expected)} type ${symbologyInfo(symbology).scanDataType}` }),
        };
      } catch (err) {
        event.catch(() => undefined);
        outcome = {
          profile: profile.name,
          symbology,
          ok: false,
          ms: performance.now() - started,
          error: (err as Error).message,
        };
      }
      outcomes.push(outcome);
      if (o.json) console.log(JSON.stringify({ event: 'DataEvent', ...outcome }));
      else {
        const mark = outcome.ok ? 'ok ' : 'FAIL';
        const name = symbologyInfo(symbology).name.padEnd(16);
        const detail = outcome.ok
          ? `ScanDataType ${outcome.scanDataType}  ScanDataLabel ${outcome.label}`
          : `${outcome.error ?? ''}${outcome.label ? ` (got ${outcome.label})` : ''}`;
        console.log(
          `  [${i + 1}/${DEMO_SYMBOLS.length}] ${mark} ${name} ${detail}  (${outcome.ms.toFixed(0)} ms)`,
        );
      }
    }
  } finally {
    await scanner.close().catch(() => undefined);
    await bench.close();
    rmSync(bench.runtimeDir, { recursive: true, force: true });
  }
  return outcomes;
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const scanners = o.only === 'flows' ? 0 : await runScannerDemo(o);
  if (o.only === 'scanners') return scanners;
  const flows = await runFlowDemo({ json: o.json, ...(o.scenario ? { filter: o.scenario } : {}) });
  const passed = flows.filter((f) => f.passed).length;
  if (o.json) console.log(JSON.stringify({ flows: { passed, failed: flows.length - passed } }));
  else console.log(`\n${passed} of ${flows.length} payment flows passed.`);
  if (flows.length === 0) {
    console.error(`benchtwin demo: no seed-001 scenario matches "${o.scenario ?? ''}"`);
    return 1;
  }
  return scanners === 0 && passed === flows.length ? 0 : 1;
}

async function runScannerDemo(o: DemoOptions): Promise<number> {
  const profiles = o.profile ? [o.profile] : Object.keys(SCANNER_PROFILES);
  for (const p of profiles) {
    if (!SCANNER_PROFILES[p])
      throw new UsageError(`--profile ${p}: expected one of ${Object.keys(SCANNER_PROFILES).join(', ')}`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-demo-'));
  try {
    if (!o.json) console.log(`benchtwin demo: rendering ${DEMO_SYMBOLS.length} symbols (${o.clock} clock)`);
    const images = new Map<Symbology, string>();
    for (const { symbology, text } of DEMO_SYMBOLS) {
      const file = path.join(dir, `${symbology}.png`);
      writeFileSync(file, await renderSymbol(symbology, text, { scale: 3 }));
      images.set(symbology, file);
    }
    const outcomes: ScanOutcome[] = [];
    for (const p of profiles) outcomes.push(...(await runLane(p, images, o)));
    const passed = outcomes.filter((x) => x.ok).length;
    if (o.json)
      console.log(JSON.stringify({ summary: { passed, failed: outcomes.length - passed, profiles } }));
    else {
      console.log(
        `\n${passed} of ${outcomes.length} labels read correctly across ${profiles.length} scanner twin(s).`,
      );
      if (o.captureDir) console.log(`Captures in ${path.resolve(o.captureDir)}`);
    }
    return passed === outcomes.length ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
