/**
 * The POS's user-id sources against real parts: the mobile terminal twin on a PTY (opened by the source
 * with serialport, as a real RS-232C terminal would be) with a phone twin on the virtual air, and the
 * direct BLE variant (noble on the POS's own virtual controller). The whole embodiment-1 sale also runs
 * over the mobile terminal against a "(stand-in gateway)".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { Air } from '../../../devices/ble/air.js';
import { VirtualController } from '../../../devices/ble/controller.js';
import { PhoneGatt } from '../../../devices/ble/phone-gatt.js';
import { unregisterVirtualController } from '../../../devices/ble/seam/registry.js';
import { EmulatedSerialPort } from '../../../devices/serial/port.js';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { BlePhoneLink } from '../../../host/drivers/phone/ble-phonelink.js';
import { GatewayClient } from '../../../host/pos/gateway-client.js';
import { MobileTerminal } from '../../../host/pos/mobile-terminal.js';
import { PosApplication, type PosStep } from '../../../host/pos/pos-app.js';
import { BlePhoneSource, MobileTerminalSource, TypedSource } from '../../../host/pos/user-id-source.js';
import {
  GATEWAY_HOST,
  StandInGateway,
  makeCertificates,
  type BenchCertificates,
} from './stand-in-gateway.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-pos-source-'));
let certs: BenchCertificates;
beforeAll(() => {
  certs = makeCertificates(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let k = 0;
/** A phone twin and a mobile terminal twin on one air, the terminal's RS-232C side on a PTY. */
async function terminalRig(userId: string | undefined) {
  const clock = new VirtualClock({ autoAdvance: { quietMs: 50 } });
  const air = new Air({ clock });
  const id = (++k).toString(16).padStart(2, '0');
  const radio = new VirtualController({ air, address: `5a:90:00:00:00:${id}`, name: 'mobile-terminal' });
  const link = await BlePhoneLink.open({ transport: radio, clock });
  const port = new EmulatedSerialPort({ name: `pos-terminal-${id}`, runtimeDir: dir, clock });
  await port.open();
  const terminal = new MobileTerminal({ link, port, clock, scanWindowMs: 500, retryDelayMs: 200 });
  terminal.start();
  const phone = await PhoneGatt.start({
    air,
    address: `5a:91:00:00:00:${id}`,
    name: `phone-${id}`,
    ...(userId ? { userId } : {}),
  });
  return {
    clock,
    air,
    phone,
    port,
    terminal,
    async close() {
      await terminal.stop();
      await link.close();
      await phone.close();
      port.close();
      radio.close();
      unregisterVirtualController(radio);
      air.close();
      clock.dispose();
    },
  };
}

describe('MobileTerminalSource (mobile terminal twin on a PTY, phone twin on the virtual air)', () => {
  it('[0092]: polls until the phone is read, gets its UID, CONFIRM reaches the phone as the Confirmation', async () => {
    const rig = await terminalRig('00001');
    const source = await MobileTerminalSource.open({
      path: rig.port.path,
      clock: rig.clock,
      pollIntervalMs: 300,
    });
    const lines: string[] = [];
    source.on('line', (d, t) => lines.push(`${d === 'toTerminal' ? '>' : '<'} ${t}`));
    try {
      const arrival = await source.waitForUserId(new AbortController().signal);
      expect(arrival).toEqual({ userId: '00001', phone: rig.phone.controller.address });
      expect(lines.filter((l) => l === '> POLL').length).toBeGreaterThanOrEqual(1);
      expect(lines).toContain(`< UID 00001 ${rig.phone.controller.address}`);
      expect(await source.confirm('AGREED', 'TX00000042')).toBe('OK');
      expect(rig.phone.confirmations).toEqual([{ result: 'Agreed', transactionId: 'TX00000042' }]);
    } finally {
      await source.close();
      await rig.close();
    }
  });

  it('a wait is given up with its AbortSignal; line noise from the terminal never breaks the source (seeded fuzz)', async () => {
    const rig = await terminalRig(undefined);
    const source = await MobileTerminalSource.open({
      path: rig.port.path,
      clock: rig.clock,
      pollIntervalMs: 300,
    });
    try {
      const ctl = new AbortController();
      const waiting = source.waitForUserId(ctl.signal);
      const rnd = mulberry32(0x5eed);
      for (let i = 0; i < 200; i++) {
        const bytes = Buffer.alloc(1 + Math.floor(rnd() * 40));
        for (let b = 0; b < bytes.length; b++) bytes[b] = rnd() < 0.1 ? 0x0a : Math.floor(rnd() * 256);
        await rig.port.write(bytes);
      }
      await rig.port.write(Buffer.from('\r\n'));
      ctl.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
      // Still working: the phone's user passes the UIM check, the next wait gets the UID.
      rig.phone.setUserId('00003');
      const arrival = await source.waitForUserId(new AbortController().signal);
      expect(arrival.userId).toBe('00003');
    } finally {
      await source.close();
      await rig.close();
    }
  });

  it('whole sale, embodiment 1: mobile terminal → POS → (stand-in gateway) → completion → receipt → the phone holds the Confirmation', async () => {
    const rig = await terminalRig('00001');
    const gateway = new StandInGateway(rig.clock, { key: certs.serverKey, cert: certs.serverCert });
    const port = await gateway.listen();
    const source = await MobileTerminalSource.open({
      path: rig.port.path,
      clock: rig.clock,
      pollIntervalMs: 300,
    });
    const printed: string[] = [];
    const app = PosApplication.open({
      dbFile: path.join(dir, 'e2e.db'),
      clock: rig.clock,
      terminalId: 'POS11',
      merchantCode: '1111111111',
      shopName: 'Shop A',
      gateway: new GatewayClient({
        baseUrl: `https://${GATEWAY_HOST}`,
        ca: certs.caCert,
        hosts: { [GATEWAY_HOST]: `127.0.0.1:${port}` },
        clock: rig.clock,
      }),
      userIdSource: source,
      printer: (r) => printed.push(r),
    });
    const steps: PosStep[] = [];
    app.on('step', (s) => {
      steps.push(s);
      if (s.step === 'transaction-number')
        gateway.complete(s.detail!.transactionId as string, {
          method: 'L',
          approvalCode: 'A00001',
          rrn: '000000000001',
        });
    });
    try {
      const result = await app.sale({
        items: [{ goods: 'Coffee', quantity: 1, unitPrice: 400, tax: 32 }],
        currency: 'JPY',
        embodiment: 1,
      });
      expect(result).toMatchObject({ outcome: 'completed', approvalCode: 'A00001' });
      expect(gateway.creations()[0]!.body).toMatchObject({ userId: '00001', total: 432 });
      expect(rig.phone.confirmations).toEqual([{ result: 'Agreed', transactionId: result.transactionId }]);
      expect(app.journal.get(result.saleId)).toMatchObject({
        phone: rig.phone.controller.address,
        confirmResult: 'AGREED OK',
      });
      expect(printed[0]).toContain('A00001');
      expect(steps.map((s) => s.step)).toEqual([
        'entered',
        'user-id',
        'transaction-number',
        'completed',
        'receipt',
        'confirmed',
      ]);
    } finally {
      await app.close();
      await source.close();
      await gateway.close();
      await rig.close();
    }
  });
});

describe('BlePhoneSource (the direct variant: noble on the POS controller, phone twin on the virtual air)', () => {
  it('scans, pairs, reads UserId; a phone without an authenticated user is retried until it has one; Confirmation written', async () => {
    const clock = new VirtualClock({ autoAdvance: { quietMs: 50 } });
    const air = new Air({ clock });
    const radio = new VirtualController({ air, address: '5a:92:00:00:00:11', name: 'pos-11' });
    const link = await BlePhoneLink.open({ transport: radio, clock });
    const phone = await PhoneGatt.start({ air, address: '5a:92:00:00:00:14', name: 'phone-14' });
    const source = new BlePhoneSource({ link, clock, scanWindowMs: 500, retryDelayMs: 200 });
    const failures: string[] = [];
    try {
      const firstFailure = new Promise<void>((resolve) =>
        source.on('attemptFailed', (e) => {
          failures.push((e as { code?: string }).code ?? e.message);
          resolve();
        }),
      );
      const waiting = source.waitForUserId(new AbortController().signal);
      await firstFailure;
      phone.setUserId('00002');
      expect(await waiting).toEqual({ userId: '00002', phone: '5a:92:00:00:00:14' });
      expect(failures[0]).toBe('AttError');
      expect(await source.confirm('ABORTED', 'TX00000007')).toBe('OK');
      expect(phone.confirmations).toEqual([{ result: 'Aborted', transactionId: 'TX00000007' }]);
      expect(await source.confirm('AGREED', 'TX00000008')).toBe('ERR NOPHONE');
    } finally {
      await source.close();
      await link.close();
      await phone.close();
      radio.close();
      unregisterVirtualController(radio);
      air.close();
      clock.dispose();
    }
  });
});

describe('TypedSource', () => {
  it('the clerk types the user id ([0154]); a bad one is refused; a wait can be given up', async () => {
    const s = new TypedSource();
    expect(() => s.enter('00 01')).toThrow(RangeError);
    const ctl = new AbortController();
    const first = s.waitForUserId(ctl.signal);
    ctl.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    const second = s.waitForUserId(new AbortController().signal);
    s.enter('00003');
    expect(await second).toEqual({ userId: '00003' });
  });
});
