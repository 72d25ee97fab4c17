import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { Air } from '../../../devices/ble/air.js';
import { VirtualController } from '../../../devices/ble/controller.js';
import { PhoneGatt } from '../../../devices/ble/phone-gatt.js';
import { unregisterVirtualController } from '../../../devices/ble/seam/registry.js';
import { EmulatedSerialPort } from '../../../devices/serial/port.js';
import { BlePhoneLink } from '../../../host/drivers/phone/ble-phonelink.js';
import { MobileTerminal } from '../../../host/pos/mobile-terminal.js';
import { LineFramer } from '../../../host/pos/mobile-terminal-protocol.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-mobile-terminal-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const GUARD_MS = 20_000;

async function until<T>(what: string, get: () => T | undefined): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() - start > GUARD_MS) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('mobile terminal twin: phone (BLE) → terminal → POS (RS-232C on a PTY opened with serialport)', () => {
  it('the POS polls NONE, a phone comes into range, the POS polls its UID once, confirms, and hears the transaction', async () => {
    const clock = new VirtualClock({ autoAdvance: { quietMs: 50 } });
    const air = new Air({ clock });
    const terminalRadio = new VirtualController({
      air,
      address: '5a:60:00:00:00:17',
      name: 'mobile-terminal',
    });
    const link = await BlePhoneLink.open({ transport: terminalRadio, clock });
    const port = new EmulatedSerialPort({ name: 'mobile-terminal', runtimeDir: dir, clock });
    await port.open();
    const terminal = new MobileTerminal({ link, port, clock, scanWindowMs: 500 });
    terminal.start();

    const pos = new SerialPort({ path: port.path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => pos.open((e) => (e ? reject(e) : resolve())));
    const lines: string[] = [];
    const framer = new LineFramer();
    pos.on('data', (d: Buffer) => lines.push(...framer.push(d).map((l) => l ?? '<overlong>')));
    const ask = async (text: string): Promise<string> => {
      const n = lines.length;
      pos.write(Buffer.from(text + '\r\n', 'latin1'));
      return until(`an answer to ${text}`, () => lines[n]);
    };

    let phone: PhoneGatt | undefined;
    try {
      expect(await ask('POLL')).toBe('NONE');
      expect(await ask('HELLO')).toBe('ERR CMD');
      expect(await ask('CONFIRM AGREED TX-42')).toBe('ERR NOPHONE');

      phone = await PhoneGatt.start({ air, address: '5a:60:00:00:00:14', name: 'phone-14', userId: '00001' });
      // The POS polls its terminal until a user id arrives (FLOWS.md seed 001 step 3).
      let uidLine = await ask('POLL');
      for (let i = 0; uidLine === 'NONE' && i < 2000; i++) {
        await new Promise((r) => setTimeout(r, 5));
        uidLine = await ask('POLL');
      }
      expect(uidLine).toBe('UID 00001 5a:60:00:00:00:14');
      await new Promise((r) => setTimeout(r, 50));
      expect(lines.filter((l) => l.startsWith('UID'))).toHaveLength(1);
      expect(await ask('POLL')).toBe('NONE');

      expect(await ask('CONFIRM AGREED TX-42')).toBe('OK');
      expect(phone.confirmations).toEqual([{ result: 'Agreed', transactionId: 'TX-42' }]);

      await until(
        'the TransactionNotification subscription',
        () =>
          phone!.notifyTransaction({ transactionId: 'TX-42', amountMinor: 1200, currency: 'JPY' }) ||
          undefined,
      );
      expect(await until('TXN', () => lines.find((l) => l.startsWith('TXN')))).toBe('TXN TX-42 1200 JPY');
    } finally {
      await new Promise<void>((r) => pos.close(() => r()));
      await terminal.stop();
      await link.close();
      await phone?.close();
      port.close();
      terminalRadio.close();
      unregisterVirtualController(terminalRadio);
      air.close();
      clock.dispose();
    }
  });

  it('a phone whose user has not passed the UIM check: the POS hears ERR NOUSER, then the UID once the user is authenticated', async () => {
    const clock = new VirtualClock({ autoAdvance: { quietMs: 50 } });
    const air = new Air({ clock });
    const terminalRadio = new VirtualController({
      air,
      address: '5a:61:00:00:00:17',
      name: 'mobile-terminal',
    });
    const link = await BlePhoneLink.open({ transport: terminalRadio, clock });
    const port = new EmulatedSerialPort({ name: 'mobile-terminal-2', runtimeDir: dir, clock });
    await port.open();
    const terminal = new MobileTerminal({ link, port, clock, scanWindowMs: 500, retryDelayMs: 200 });
    const pos = new SerialPort({ path: port.path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => pos.open((e) => (e ? reject(e) : resolve())));
    const lines: string[] = [];
    const framer = new LineFramer();
    pos.on('data', (d: Buffer) => lines.push(...framer.push(d).map((l) => l ?? '<overlong>')));
    const ask = async (text: string): Promise<string> => {
      const n = lines.length;
      pos.write(Buffer.from(text + '\r\n', 'latin1'));
      return until(`an answer to ${text}`, () => lines.slice(n).find((l) => !l.startsWith('ERR NOUSER')));
    };
    const phone = await PhoneGatt.start({ air, address: '5a:61:00:00:00:14', name: 'phone-14' });
    try {
      terminal.start();
      expect(await until('ERR NOUSER', () => lines.find((l) => l.startsWith('ERR')))).toBe(
        'ERR NOUSER 5a:61:00:00:00:14',
      );
      // The POS does not poll meanwhile: its traffic would keep the virtual clock from jumping over the
      // terminal's retry pause (autoAdvance waits for quiet links).
      const read = new Promise((r) => terminal.once('userId', r));
      phone.setUserId('00002');
      await read;
      const answer = await ask('POLL');
      expect(answer).toBe('UID 00002 5a:61:00:00:00:14');
    } finally {
      await new Promise<void>((r) => pos.close(() => r()));
      await terminal.stop();
      await link.close();
      await phone.close();
      port.close();
      terminalRadio.close();
      unregisterVirtualController(terminalRadio);
      air.close();
      clock.dispose();
    }
  });
});
