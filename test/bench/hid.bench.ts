/**
 * The Scanner over USB HID (issue [hid]):
 * - reports per second through the driver (HID POS, virtual clock: no USB polling interval) — a full-speed
 *   interrupt endpoint polled every 1 ms delivers at most 1000 reports/s, so the driver must take more;
 * - wedge pacing fidelity on the wall clock: the time between key-down reports as the host receives them,
 *   against the profile's inter-key time (Honeywell 8 ms);
 * - scan → DataEvent latency for a 300-character QR through continued HID POS reports (wall clock, 1 ms a
 *   report): target the reports' own time on the wire plus 5 ms.
 */
import { afterAll, bench, describe } from 'vitest';
import { SystemClock, VirtualClock } from '../../firmware-sim/clock.js';
import { getScannerProfile } from '../../devices/profiles/scanners.js';
import { HidScannerTwin } from '../../devices/hid/scanner-twin.js';
import { Scanner } from '../../host/drivers/scanner/index.js';
import { quantile, report } from './report.js';

const profile = getScannerProfile('honeywell-1900');
const QR_300 = Array.from({ length: 300 }, (_, i) => String.fromCharCode(0x21 + (i % 90))).join('');

async function enabled(
  twin: HidScannerTwin,
  commandSet: 'hid-pos' | 'wedge',
  clock: VirtualClock | SystemClock,
): Promise<Scanner> {
  const scanner = new Scanner({ path: twin.path, commandSet, clock });
  await scanner.open();
  await scanner.claim(1000);
  await scanner.setDeviceEnabled(true);
  scanner.decodeData = true;
  return scanner;
}

const throughput: number[] = [];
const qrLatency: number[] = [];
const keyGaps: number[] = [];
let qrReports = 0;

afterAll(() => {
  const rate = quantile(throughput, 0.5);
  const wire = qrReports * profile.usb.reportIntervalMs;
  const lat = quantile(qrLatency, 0.5);
  const gap = quantile(keyGaps, 0.5);
  const dev99 = quantile(
    keyGaps.map((g) => Math.abs(g - profile.usb.wedgePacing.interKeyMs)),
    0.99,
  );
  report('USB HID scanner through the UnifiedPOS driver', [
    {
      figure: 'HID POS reports through the driver (virtual clock), median',
      value: `${rate.toFixed(0)} /s`,
      target: '≥ 1000 /s',
      met: rate >= 1000,
    },
    {
      figure: `300-char QR, ${qrReports} reports at ${profile.usb.reportIntervalMs} ms: scan → DataEvent, median`,
      value: `${lat.toFixed(2)} ms`,
      target: `≤ ${wire + 5} ms`,
      met: lat <= wire + 5,
    },
    { figure: '… p95', value: `${quantile(qrLatency, 0.95).toFixed(2)} ms`, target: '-', met: true },
    {
      figure: 'wedge key-down to key-down at the host (wall clock), median',
      value: `${gap.toFixed(2)} ms`,
      target: `${profile.usb.wedgePacing.interKeyMs} ms ± 10 %`,
      met: Math.abs(gap - profile.usb.wedgePacing.interKeyMs) <= profile.usb.wedgePacing.interKeyMs * 0.1,
    },
    { figure: 'wedge |gap − profile|, p99', value: `${dev99.toFixed(2)} ms`, target: '-', met: true },
  ]);
});

describe('HID POS', () => {
  bench(
    'reports per second through the driver (virtual clock, 2000 labels of 6 reports, 10 at a time)',
    async () => {
      const clock = new VirtualClock();
      const twin = new HidScannerTwin({ name: `bench-rate-${process.pid}`, profile, mode: 'hid-pos', clock });
      const scanner = await enabled(twin, 'hid-pos', clock);
      // The host buffers 64 reports, as hidraw does (more are dropped): scan in batches of 10 labels.
      const batch = 10;
      let waiting: (() => void) | undefined;
      let labels = 0;
      scanner.on('dataEvent', () => {
        labels++;
        scanner.dataEventEnabled = true;
        if (labels % batch === 0) waiting?.();
      });
      scanner.dataEventEnabled = true;
      const t0 = performance.now();
      const before = twin.sent;
      for (let i = 0; i < 2000 / batch; i++) {
        const done = new Promise<void>((resolve) => (waiting = resolve));
        for (let j = 0; j < batch; j++) twin.scan({ kind: 'symbol', symbology: 'qr', text: QR_300 });
        await done;
      }
      throughput.push(((twin.sent - before) * 1000) / (performance.now() - t0));
      await scanner.close();
      twin.close();
    },
    { iterations: 5, warmupIterations: 1, time: 0 },
  );

  bench(
    '300-character QR: scan → DataEvent (wall clock)',
    async () => {
      const clock = new SystemClock();
      const twin = new HidScannerTwin({ name: `bench-qr-${process.pid}`, profile, mode: 'hid-pos', clock });
      const scanner = await enabled(twin, 'hid-pos', clock);
      for (let i = 0; i < 30; i++) {
        scanner.dataEventEnabled = true;
        const got = new Promise<void>((resolve) => scanner.once('dataEvent', () => resolve()));
        const before = twin.sent;
        const t0 = performance.now();
        twin.scan({ kind: 'symbol', symbology: 'qr', text: QR_300 });
        qrReports = twin.sent - before;
        await got;
        qrLatency.push(performance.now() - t0);
      }
      await scanner.close();
      twin.close();
    },
    { iterations: 1, warmupIterations: 0, time: 0 },
  );
});

describe('keyboard wedge', () => {
  bench(
    'pacing of key-down reports at the host (wall clock, 20 labels of 24 characters)',
    async () => {
      const clock = new SystemClock();
      const twin = new HidScannerTwin({ name: `bench-wedge-${process.pid}`, profile, mode: 'wedge', clock });
      const handle = twin.open();
      let last: number | undefined;
      handle.on('data', (r: Buffer) => {
        if (r[2] === 0) return; // a release
        const now = performance.now();
        if (last !== undefined) keyGaps.push(now - last);
        last = now;
      });
      for (let i = 0; i < 20; i++) {
        last = undefined;
        twin.scan({
          kind: 'symbol',
          symbology: 'code128',
          text: `WEDGE-PACING-${String(i).padStart(5, '0')}`,
        });
        await new Promise((r) => setTimeout(r, 60 * profile.usb.wedgePacing.interKeyMs));
      }
      await handle.close();
      twin.close();
    },
    { iterations: 1, warmupIterations: 0, time: 0 },
  );
});
