/**
 * The IR twin as a bench device: its serial endpoint, events from a real session through the terminal
 * driver on the PTY, and the control API actions (objects, faults, unplug).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { createIrTwin, type IrTwinDevice } from '../../../host/bench/ir-device.js';
import type { BenchEvent } from '../../../host/bench/device.js';
import { IrObexDriver } from '../../../host/drivers/phone/ir-obex.js';

let dir: string;
let device: IrTwinDevice | undefined;
let driver: IrObexDriver | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-ir-dev-'));
});

afterEach(async () => {
  await driver?.close();
  await device?.close();
  [driver, device] = [undefined, undefined];
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('IR twin bench device', () => {
  it('exposes a serial endpoint, reports link and OBEX events, and serves objects put through the control API', async () => {
    device = await createIrTwin({
      name: 'phone-ir',
      nickname: 'Phone-0001',
      options: { maxBaud: '57600', seed: '3' },
      transportText: 'emu:ir/Phone-0001?maxBaud=57600&seed=3',
      clock: new SystemClock(),
      runtimeDir: dir,
    });
    const summary = device.summary();
    expect(summary).toMatchObject({ kind: 'ir', emulated: true, endpoint: { transport: 'serial' } });
    expect(fs.readlinkSync(summary.endpoint.path!)).toBe(summary.endpoint.pts);
    const events: BenchEvent[] = [];
    device.onEvent((e) => events.push(e));
    await device.actions['put-object']!({
      name: 'cert.der',
      type: 'application/x-x509-user-cert',
      base64: 'MIIB',
    });

    driver = await IrObexDriver.open({ path: summary.endpoint.path!, seed: 4 });
    const { qos } = await driver.connect({ nickname: 'Phone-0001' });
    expect(qos.baudRate).toBe(57600);
    const cert = await driver.get({ name: 'cert.der' });
    expect(Buffer.from(cert.body).toString('base64')).toBe('MIIB');
    await driver.put('history.json', Buffer.from('{"tx":[1,2]}'), 'application/json');
    expect(await device.actions['get-object']!({ name: 'history.json' })).toMatchObject({
      type: 'application/json',
      base64: Buffer.from('{"tx":[1,2]}').toString('base64'),
    });
    await driver.close();
    driver = undefined;

    const types = events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['ir-discovered', 'ir-connected', 'obex-get', 'obex-put', 'ir-disconnected']),
    );
    expect(events.find((e) => e.type === 'ir-connected')).toMatchObject({ baudRate: 57600, window: 7 });
    expect(events.find((e) => e.type === 'obex-put')).toMatchObject({ name: 'history.json', size: 12 });
    expect(device.state()).toMatchObject({ connected: false, baudRate: 9600, nickname: 'Phone-0001' });
  });

  it('rejects bad options and bad action bodies with the field named', async () => {
    await expect(
      createIrTwin({
        name: 'x',
        nickname: 'X',
        options: { maxBaud: '1234' },
        transportText: 'emu:ir/X?maxBaud=1234',
        clock: new SystemClock(),
        runtimeDir: dir,
      }),
    ).rejects.toThrow(/maxBaud/);
    await expect(
      createIrTwin({
        name: 'x',
        nickname: 'X',
        options: { speed: '1' },
        transportText: 'emu:ir/X?speed=1',
        clock: new SystemClock(),
        runtimeDir: dir,
      }),
    ).rejects.toThrow(/unknown option speed/);
    device = await createIrTwin({
      name: 'y',
      nickname: 'Y',
      transportText: 'emu:ir/Y',
      clock: new SystemClock(),
      runtimeDir: dir,
    });
    await expect(device.actions['faults']!({ toHost: { dropRate: 2 } })).rejects.toThrow(/dropRate/);
    await expect(device.actions['put-object']!({ name: 'a' })).rejects.toThrow(/base64 or text/);
    await expect(device.actions['get-object']!({ name: 'missing' })).rejects.toMatchObject({ status: 404 });
    expect(await device.actions['unplug']!({})).toEqual({ plugged: false });
    await expect(device.actions['unplug']!({})).rejects.toMatchObject({ status: 409 });
  });
});
