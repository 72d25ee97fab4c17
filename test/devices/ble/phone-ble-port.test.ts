/**
 * The handset's PhoneBlePort over the phone twin's GATT server (bleno on a virtual controller), seen by a
 * POS running noble on another controller of the same air: the payment application's user id becomes the
 * UserId value, its transaction a TransactionNotification, and the POS's Confirmation write reaches the
 * application's listener.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Air } from '../../../devices/ble/air.js';
import { VirtualController } from '../../../devices/ble/controller.js';
import {
  PAYMENT_SERVICE_UUID,
  encodeConfirmation,
  paymentCharacteristic,
} from '../../../devices/ble/payment-service.js';
import { phoneBlePort } from '../../../devices/ble/phone-ble-port.js';
import { PhoneGatt } from '../../../devices/ble/phone-gatt.js';
import { createNoble, type Noble } from '../../../devices/ble/seam/install.js';
import { unregisterVirtualController } from '../../../devices/ble/seam/registry.js';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { PaymentApp } from '../../../firmware-sim/phone/apps/payment/payment-app.js';
import type { BleConfirmation } from '../../../firmware-sim/phone/handset/ble-port.js';
import { seedHandset, settle } from '../../firmware-sim/phone/handset/helpers.js';
import { deliverPush, until } from '../../firmware-sim/phone/apps/payment/helpers.js';
import {
  HOST,
  MAILBOX,
  StandInGateway,
  hasOpenssl,
  makePki,
  payCommands,
  signedMail,
} from '../../firmware-sim/phone/apps/payment/stand-in-gateway.js';
import { NodeHttpsClient } from '../../../devices/phone/https-client.js';
import fs from 'node:fs';
import { once, type Peripheral } from './bench.js';

type Characteristic = import('@abandonware/noble').Characteristic;

interface Rig {
  gatt: PhoneGatt;
  noble: Noble;
  close(): Promise<void>;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function start(): Promise<Rig> {
  const air = new Air({ clock: new VirtualClock() });
  const gatt = await PhoneGatt.start({ air, address: '5a:31:00:00:00:01', name: 'phone-port-test' });
  const pos = new VirtualController({ air, address: '5a:31:00:00:00:02' });
  const noble = createNoble(pos);
  if ((noble as unknown as { state: string }).state !== 'poweredOn')
    await once(noble, 'stateChange', (s: string) => s === 'poweredOn');
  return {
    gatt,
    noble,
    async close() {
      noble.removeAllListeners('discover');
      await noble.stopScanningAsync().catch(() => undefined);
      await gatt.close();
      pos.close();
      unregisterVirtualController(pos);
      air.close();
    },
  };
}

async function connect(r: Rig): Promise<Map<string, Characteristic>> {
  const found = once<[Peripheral]>(r.noble, 'discover');
  await r.noble.startScanningAsync([PAYMENT_SERVICE_UUID], false);
  const [p] = await found;
  await r.noble.stopScanningAsync();
  await p.connectAsync();
  const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([PAYMENT_SERVICE_UUID], []);
  return new Map(characteristics.map((c) => [c.uuid, c]));
}

const chr = (chars: Map<string, Characteristic>, name: Parameters<typeof paymentCharacteristic>[0]) =>
  chars.get(paymentCharacteristic(name).uuid)!;

describe('GattPhoneBlePort (PhoneBlePort over bleno; noble as the POS)', () => {
  it('step 2 with the real handset and UIM: the payment application authenticates and the POS reads the user id "00001"', async () => {
    rig = await start();
    const { handset, clock } = seedHandset({ pin: '1234', extra: { ble: phoneBlePort(rig.gatt) } });
    clock.advance(1000);
    handset.install(new PaymentApp());
    handset.launch('seed001-payment');
    await settle();
    handset.choose(0);
    await settle();
    handset.enterText('00001');
    handset.press('ok');
    await settle();
    handset.enterText('ABCDEF');
    handset.press('ok');
    // The UIM derives the password's key off the thread: wait for its answer.
    await until(handset, () => handset.screenJson().title !== 'Password', 'the password check');
    expect(handset.screenJson().lines[0]).toBe('Present your phone to the terminal');
    const chars = await connect(rig);
    const value = await chr(chars, 'UserId').readAsync();
    expect(value.toString('latin1')).toBe('00001');
  });

  it.skipIf(!hasOpenssl)(
    `steps 5–12 with the real handset, UIM and bleno: the subscribed POS gets the transaction, its Confirmation shows on the phone (stand-in gateway)${hasOpenssl ? '' : ' (skipped: openssl command not found)'}`,
    async () => {
      rig = await start();
      const pki = makePki();
      const epoch = Math.floor(Date.now() / 1000) * 1000 + 1000;
      const gw = new StandInGateway(pki, () => epoch);
      try {
        const port = await gw.listen();
        const https = new NodeHttpsClient({
          trustedCas: [pki.caPem],
          hosts: { [HOST]: `127.0.0.1:${port}` },
        });
        const { handset, clock, phone } = seedHandset({
          pin: '1234',
          extra: { ble: phoneBlePort(rig.gatt), https, trustedCas: [pki.caPem], epochAtClockZero: epoch },
        });
        clock.advance(1000);
        handset.install(new PaymentApp());
        handset.launch('seed001-payment');
        await settle();
        handset.choose(0);
        await settle();
        for (const text of ['00001', 'ABCDEF']) {
          handset.enterText(text);
          handset.press('ok');
          await settle();
        }
        await until(handset, () => handset.screenJson().title === 'Authenticated', '"Authenticated"');
        const chars = await connect(rig);
        const notification = chr(chars, 'TransactionNotification');
        const subscribed = once(rig.gatt, 'subscribed');
        await notification.subscribeAsync();
        await subscribed;
        const data = once<[Buffer, boolean]>(notification, 'data');
        gw.mails = [signedMail(pki.gateway, 'B1', 'payment-request', payCommands('T-BLE'))];
        expect(deliverPush(phone.modem, MAILBOX)).toEqual([{ ok: true }]);
        const [value] = await data;
        expect(value.readUInt32LE(1)).toBe(1430);
        expect(value.toString('latin1', 5, 8)).toBe('JPY');
        expect(value.toString('latin1', 9)).toBe('T-BLE');
        await until(handset, () => handset.screenJson().title === 'Payment details', 'the details');
        await chr(chars, 'Confirmation').writeAsync(
          encodeConfirmation({ result: 'Agreed', transactionId: 'T-BLE' }),
          false,
        );
        await until(
          handset,
          () => handset.screenJson().notification === 'Terminal: Agreed',
          'the notification',
        );
      } finally {
        await gw.close();
        fs.rmSync(pki.dir, { recursive: true, force: true });
      }
    },
  );

  it('notifyTransaction reaches a subscribed POS (false before it subscribes); a user id unfit for UserId is a RangeError', async () => {
    rig = await start();
    const port = phoneBlePort(rig.gatt);
    expect(() => port.setUserId('00 01')).toThrow(RangeError);
    const chars = await connect(rig);
    const c = chr(chars, 'TransactionNotification');
    expect(port.notifyTransaction({ transactionId: 'T-1', amountMinor: 5, currency: 'JPY' })).toBe(false);
    const subscribed = once(rig.gatt, 'subscribed');
    await c.subscribeAsync();
    await subscribed;
    const data = once<[Buffer, boolean]>(c, 'data');
    expect(port.notifyTransaction({ transactionId: 'T-2', amountMinor: 3300, currency: 'JPY' })).toBe(true);
    const [value] = await data;
    expect(value.readUInt32LE(1)).toBe(3300);
    expect(value.toString('latin1', 9)).toBe('T-2');
  });

  it("the POS's Confirmation write reaches onConfirmation; after unsubscribing it no longer does", async () => {
    rig = await start();
    const port = phoneBlePort(rig.gatt);
    const heard: BleConfirmation[] = [];
    const off = port.onConfirmation((c) => heard.push(c));
    const chars = await connect(rig);
    const write = (transactionId: string) =>
      chr(chars, 'Confirmation').writeAsync(encodeConfirmation({ result: 'Agreed', transactionId }), false);
    let received = once(rig.gatt, 'confirmation');
    await write('TX-1');
    await received;
    off();
    received = once(rig.gatt, 'confirmation');
    await write('TX-2');
    await received;
    expect(heard).toEqual([{ result: 'Agreed', transactionId: 'TX-1' }]);
    expect(rig.gatt.confirmations.map((c) => c.transactionId)).toEqual(['TX-1', 'TX-2']);
  });
});
