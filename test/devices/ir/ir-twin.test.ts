/**
 * The IR twin on a real PTY and the terminal driver on `serialport`, on the wall clock: discovery by
 * name, IAS, Tiny TP, OBEX Put then Get, byte-identical, with bytes dropped and corrupted on the line.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { IrDeviceTwin } from '../../../devices/ir/ir-twin.js';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { IrObexDriver } from '../../../host/drivers/phone/ir-obex.js';

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-ir-'));
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  fs.rmSync(dir, { recursive: true, force: true });
});

function bytes(seed: number, n: number): Uint8Array {
  const r = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

async function twinAndDriver(faults?: ConstructorParameters<typeof IrDeviceTwin>[0]['faults']) {
  const clock = new SystemClock();
  const twin = new IrDeviceTwin({
    name: 'phone-ir',
    nickname: 'Phone-0001',
    clock,
    runtimeDir: dir,
    seed: 5,
    ...(faults ? { faults } : {}),
  });
  await twin.open();
  cleanups.push(() => twin.close());
  const driver = await IrObexDriver.open({ path: twin.path, clock, seed: 9 });
  cleanups.push(() => driver.close());
  return { twin, driver };
}

describe('IR twin ↔ terminal driver over a PTY (wall clock)', () => {
  it('discovers the twin by name, negotiates 115200 baud, PUTs a file and GETs it back byte-identical', async () => {
    const { twin, driver } = await twinAndDriver();
    const { device, qos } = await driver.connect({ nickname: 'Phone-0001' });
    expect(device.info.nickname).toBe('Phone-0001');
    expect(qos.baudRate).toBe(115200);
    expect(twin.port.line.baudRate).toBe(115200);
    const file = bytes(1, 6000);
    await driver.put('history.bin', file, 'application/octet-stream');
    expect(twin.store.get('', 'history.bin')?.body).toEqual(file);
    const back = await driver.get({ name: 'history.bin' });
    expect(Buffer.from(back.body).equals(Buffer.from(file))).toBe(true);
    await driver.close();
    expect(twin.endpoint.station.connected).toBe(false);
  });

  it('with bytes corrupted and dropped both ways, bad frames are counted and the objects still arrive intact', async () => {
    const faults = { dropRate: 0.0003, corruptRate: 0.0006 };
    const { twin, driver } = await twinAndDriver({ toHost: faults, fromHost: faults });
    await driver.connect({ nickname: 'Phone-0001' });
    const files = [bytes(2, 3000), bytes(3, 5000)];
    for (const [i, f] of files.entries()) {
      await driver.put(`f${i}`, f);
      const back = await driver.get({ name: `f${i}` });
      expect(Buffer.from(back.body).equals(Buffer.from(f))).toBe(true);
    }
    const hit = twin.port.stats;
    expect(
      hit.toHost.corrupted + hit.fromHost.corrupted + hit.toHost.dropped + hit.fromHost.dropped,
    ).toBeGreaterThan(0);
    const s = [twin.endpoint.stats, driver.stats];
    expect(s.reduce((n, x) => n + x.sir.badFcs + x.sir.aborted + x.sir.runts, 0)).toBeGreaterThan(0);
  });

  it('unplugging the dongle mid-session fails the OBEX request at once and drops the link on both sides', async () => {
    const { twin, driver } = await twinAndDriver();
    await driver.connect({ nickname: 'Phone-0001' });
    const put = driver.put('big.bin', bytes(4, 200_000));
    await new Promise((r) => setTimeout(r, 200));
    twin.port.unplug();
    await expect(put).rejects.toThrow(/disconnected|went down/);
    expect(driver.connected).toBe(false);
    expect(twin.endpoint.station.connected).toBe(false);
  });
});
