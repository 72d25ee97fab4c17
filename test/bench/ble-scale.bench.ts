/**
 * Many phone twins on one bench: N phones (each a virtual controller with its own bleno copy serving the
 * payment service) advertise on one air on a virtual clock, and one POS (BlePhoneLink on noble) discovers
 * all of them. Steps of 100, 200, 400, … until a step takes more than STEP_BUDGET_MS. Figures: time to
 * start the phones, time to discover all, heap bytes per phone. Target of the issue: at least 100 phones.
 */
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { VirtualClock } from '../../firmware-sim/clock.js';
import { Air } from '../../devices/ble/air.js';
import { VirtualController } from '../../devices/ble/controller.js';
import { PhoneGatt } from '../../devices/ble/phone-gatt.js';
import { unregisterVirtualController } from '../../devices/ble/seam/registry.js';
import { BlePhoneLink } from '../../host/drivers/phone/ble-phonelink.js';
import { report, type Figure } from './report.js';

const STEP_BUDGET_MS = 8000;
const MAX_PHONES = 1600;

interface Fleet {
  clock: VirtualClock;
  air: Air;
  phones: PhoneGatt[];
  pos: VirtualController;
  link: BlePhoneLink;
}

const heap = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};

function address(step: number, i: number): string {
  const b = [0x5a, 0x70 + step, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x01];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

async function fleet(
  step: number,
  n: number,
): Promise<{ fleet: Fleet; startMs: number; bytesPerPhone: number }> {
  const clock = new VirtualClock({ autoAdvance: { quietMs: 50 } });
  const air = new Air({ clock });
  const before = heap();
  const t0 = performance.now();
  const phones: PhoneGatt[] = [];
  for (let i = 0; i < n; i++) {
    // On a 30 m disc around the POS: all within hearing (−90 dBm is heard up to ~316 m in the model).
    const angle = (2 * Math.PI * i) / n;
    const r = 1 + (i % 30);
    phones.push(
      await PhoneGatt.start({
        air,
        address: address(step, i),
        name: `phone-${i}`,
        userId: String(i + 1).padStart(5, '0'),
        position: { x: r * Math.cos(angle), y: r * Math.sin(angle) },
      }),
    );
  }
  const startMs = performance.now() - t0;
  const bytesPerPhone = (heap() - before) / n;
  const pos = new VirtualController({ air, address: address(step, 0xffffff), name: 'pos' });
  const link = await BlePhoneLink.open({ transport: pos, clock });
  return { fleet: { clock, air, phones, pos, link }, startMs, bytesPerPhone };
}

async function discoverAll(f: Fleet): Promise<{ found: number; ms: number }> {
  const t0 = performance.now();
  const found = await f.link.discover({ timeoutMs: 30_000, count: f.phones.length });
  return { found: found.length, ms: performance.now() - t0 };
}

async function close(f: Fleet): Promise<void> {
  await f.link.close();
  for (const p of f.phones) await p.close();
  f.pos.close();
  unregisterVirtualController(f.pos);
  f.air.close();
  f.clock.dispose();
}

let kept: Fleet | undefined;

beforeAll(async () => {
  const figures: Figure[] = [];
  let largest = 0;
  for (let n = 100, step = 0; n <= MAX_PHONES; n *= 2, step++) {
    const t0 = performance.now();
    const { fleet: f, startMs, bytesPerPhone } = await fleet(step, n);
    const { found, ms } = await discoverAll(f);
    const total = performance.now() - t0;
    figures.push(
      {
        figure: `${n} phones: start (bleno copies)`,
        value: `${startMs.toFixed(0)} ms`,
        target: '-',
        met: true,
      },
      {
        figure: `${n} phones: discovered by one POS`,
        value: `${found}/${n}`,
        target: `${n}`,
        met: found === n,
      },
      { figure: `${n} phones: time to discover all`, value: `${ms.toFixed(0)} ms`, target: '-', met: true },
      {
        figure: `${n} phones: heap per phone`,
        value: `${(bytesPerPhone / 1024).toFixed(0)} KiB`,
        target: '-',
        met: true,
      },
    );
    if (found === n) largest = n;
    if (n === 100) kept = f;
    else await close(f);
    if (total > STEP_BUDGET_MS || found !== n) break;
  }
  figures.push({
    figure: 'phones discovered on one bench',
    value: `${largest}`,
    target: '>= 100',
    met: largest >= 100,
  });
  report('BLE scale: phone twins on one air, one POS central (virtual clock)', figures);
}, 600_000);

afterAll(async () => {
  if (kept) await close(kept);
});

describe('BLE scale', () => {
  bench(
    'one POS scan that discovers 100 advertising phone twins',
    async () => {
      const { found } = await discoverAll(kept!);
      if (found !== kept!.phones.length) throw new Error(`found ${found}`);
    },
    { iterations: 5, time: 0 },
  );
});
