/**
 * Scan → DataEvent latency on the virtual clock: the twin delivers without pacing, the driver reads through
 * a real pseudo-terminal with serialport. Targets (issue [foundation]): median ≤ 5 ms for a symbol given as
 * data, ≤ 30 ms from a 3×-scale QR image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { VirtualClock } from '../../firmware-sim/clock.js';
import { renderSymbol } from '../../firmware-sim/scanner/render.js';
import type { ScanInput } from '../../firmware-sim/scanner/types.js';
import { getScannerProfile } from '../../devices/profiles/scanners.js';
import { SerialScannerTwin } from '../../devices/serial/scanner-twin.js';
import { Scanner } from '../../host/drivers/scanner/index.js';
import { quantile, report } from './report.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-bench-'));
const clock = new VirtualClock({ autoAdvance: { quietMs: 5 } });
const twin = new SerialScannerTwin({
  name: 'bench',
  profile: getScannerProfile('honeywell-1900'),
  clock,
  runtimeDir: dir,
});
const scanner = new Scanner({ path: twin.path, commandSet: 'honeywell' });
const samples = { symbol: [] as number[], image: [] as number[] };
let qr: ScanInput;

async function scanOnce(input: ScanInput): Promise<number> {
  scanner.dataEventEnabled = true;
  const t0 = performance.now();
  const got = new Promise<void>((resolve) => scanner.once('dataEvent', () => resolve()));
  const result = twin.scan(input);
  if (!result.read) throw new Error(`no read: ${result.reason}`);
  await got;
  return performance.now() - t0;
}

beforeAll(async () => {
  await twin.open();
  await scanner.open();
  await scanner.claim(5000);
  await scanner.setDeviceEnabled(true);
  scanner.decodeData = true;
  qr = { kind: 'image', png: await renderSymbol('qr', 'PAY:8f3a9c1e;AMT=1200', { scale: 3 }) };
});

afterAll(async () => {
  await scanner.close();
  twin.close();
  clock.dispose();
  rmSync(dir, { recursive: true, force: true });
  report('scan → DataEvent latency (virtual clock, Honeywell twin, serialport on a PTY)', [
    {
      figure: 'symbol given as data, median',
      value: `${quantile(samples.symbol, 0.5).toFixed(2)} ms`,
      target: '≤ 5 ms',
      met: quantile(samples.symbol, 0.5) <= 5,
    },
    {
      figure: 'symbol given as data, p95',
      value: `${quantile(samples.symbol, 0.95).toFixed(2)} ms`,
      target: '-',
      met: true,
    },
    {
      figure: '3× QR image, median',
      value: `${quantile(samples.image, 0.5).toFixed(2)} ms`,
      target: '≤ 30 ms',
      met: quantile(samples.image, 0.5) <= 30,
    },
    {
      figure: '3× QR image, p95',
      value: `${quantile(samples.image, 0.95).toFixed(2)} ms`,
      target: '-',
      met: true,
    },
  ]);
});

describe('scan → DataEvent', () => {
  bench(
    'EAN-13 given as data',
    async () => {
      samples.symbol.push(await scanOnce({ kind: 'symbol', symbology: 'ean13', text: '4901234567894' }));
    },
    { iterations: 200, warmupIterations: 10, time: 0 },
  );
  bench(
    'QR image at 3× scale',
    async () => {
      samples.image.push(await scanOnce(qr));
    },
    { iterations: 100, warmupIterations: 5, time: 0 },
  );
});
