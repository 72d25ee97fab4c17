/**
 * The PhoneLink contract: one driver (host/drivers/phone/ble-phonelink.ts on unmodified noble) tested
 * unchanged against the phone twin and, when BENCHTWIN_REAL_BLE and BENCHTWIN_REAL_PHONE name them,
 * against a real phone through a real adapter (reported skipped otherwise).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BlePhoneLink,
  PhoneLinkError,
  type DiscoveredPhone,
} from '../../host/drivers/phone/ble-phonelink.js';
import { PAYMENT_SERVICE_UUID, type TransactionNotification } from '../../devices/ble/payment-service.js';
import { realTarget, twinTarget, type PhoneLinkTarget } from './phonelink-targets.js';

const real = realTarget();
/** `twin`: the test harness can move the phone and make it notify (a real phone needs a person). */
const suites: { name: string; make: (() => Promise<PhoneLinkTarget>) | undefined; twin: boolean }[] = [
  { name: 'phone twin on a virtual controller', make: twinTarget, twin: true },
  'make' in real
    ? { name: 'real phone', make: real.make, twin: false }
    : { name: `real phone — SKIPPED: ${real.reason}`, make: undefined, twin: false },
];
const BY_HAND = ' — SKIPPED on a real phone: needs a person to act on the phone';

for (const suite of suites) {
  describe.skipIf(!suite.make)(`PhoneLink contract: ${suite.name}`, () => {
    let target: PhoneLinkTarget;
    let link: BlePhoneLink;

    const find = async (): Promise<DiscoveredPhone> => {
      // A twin is found by its name at once; a real phone among others: listen the whole window.
      const phones = await link.discover({
        timeoutMs: 10_000,
        ...(target.phoneName ? { count: 1 } : {}),
        ...filter(),
      });
      const phone = phones.find((p) => p.address === target.phoneAddress);
      if (!phone)
        throw new Error(
          `phone ${target.phoneAddress} not discovered: ${JSON.stringify(phones.map((p) => p.address))}`,
        );
      return phone;
    };
    const filter = () => (target.phoneName ? { nameFilter: target.phoneName } : {});

    beforeAll(async () => {
      target = await suite.make!();
      link = await BlePhoneLink.open(target.driver);
    });
    afterEach(async () => {
      await link.disconnect();
    });
    afterAll(async () => {
      await link?.close();
      await target?.close();
    });

    it('discover: the phone advertises the payment service (128-bit UUID) and its name', async () => {
      const phone = await find();
      expect(phone.peripheral.advertisement.serviceUuids).toContain(PAYMENT_SERVICE_UUID);
      if (target.phoneName) expect(phone.name).toBe(target.phoneName);
      expect(phone.rssi).toBeLessThan(0);
    });

    it('discover with a name nobody advertises finds nothing and returns at its timeout', async () => {
      const start = target.clock.now();
      const phones = await link.discover({ timeoutMs: 1500, nameFilter: 'no-such-phone-name' });
      expect(phones).toEqual([]);
      expect(target.clock.now() - start).toBeGreaterThanOrEqual(1500);
    });

    it('connect, pair (legacy Just Works), read the user id from the encrypted characteristic', async () => {
      await link.connect(await find());
      expect(link.connected).toBe(true);
      expect(link.isPaired).toBe(false);
      await link.pair();
      expect(link.isPaired).toBe(true);
      const userId = await link.readUserId();
      if (target.userId) expect(userId).toBe(target.userId);
      else expect(userId).toMatch(/^[0-9A-Za-z]{1,16}$/);
    });

    it('operations without a connection fail with NotConnected', async () => {
      await expect(link.readUserId()).rejects.toMatchObject({ name: 'PhoneLinkError', code: 'NotConnected' });
      await expect(link.writeConfirmation({ result: 'Agreed', transactionId: 'T1' })).rejects.toBeInstanceOf(
        PhoneLinkError,
      );
    });

    it('writeConfirmation: a bad value is refused locally with BadValue; a good one is written after pairing', async () => {
      await link.connect(await find());
      await expect(
        link.writeConfirmation({ result: 'Agreed', transactionId: 'has space' }),
      ).rejects.toMatchObject({ code: 'BadValue' });
      await link.pair();
      await link.writeConfirmation({ result: 'Agreed', transactionId: 'TX-000123' });
      if (target.confirmations)
        expect(target.confirmations().at(-1)).toEqual({ result: 'Agreed', transactionId: 'TX-000123' });
    });

    it.skipIf(!suite.twin)(
      `subscribeTransactions: a notification from the phone reaches the listener, decoded${suite.twin ? '' : BY_HAND}`,
      async () => {
        if (!target.pushTransaction) throw new Error('target cannot push a transaction');
        await link.connect(await find());
        await link.pair();
        const got: TransactionNotification[] = [];
        const arrived = new Promise<void>((resolve) => link.on('transaction', () => resolve()));
        const stop = await link.subscribeTransactions((t) => got.push(t));
        const t = { transactionId: 'TX-000124', amountMinor: 1200, currency: 'JPY' };
        expect(target.pushTransaction(t)).toBe(true);
        await arrived;
        expect(got).toEqual([t]);
        await stop();
      },
    );

    it('disconnect, then connect again: the phone advertises again and answers', async () => {
      const phone = await find();
      await link.connect(phone);
      await link.disconnect();
      expect(link.connected).toBe(false);
      await link.connect(phone);
      await link.pair();
      expect(await link.readUserId()).toMatch(/^[0-9A-Za-z]{1,16}$/);
    });

    it.skipIf(!suite.twin)(
      `reconnection: the phone goes out of range (supervision timeout) and comes back; the link re-pairs by itself${suite.twin ? '' : BY_HAND}`,
      async () => {
        if (!target.outOfRange) throw new Error('target cannot be moved');
        await link.connect(await find());
        await link.pair();
        const lost = new Promise<number | undefined>((r) => link.once('linkLost', r));
        const back = new Promise<number>((r) => link.once('reconnected', r));
        target.outOfRange(true);
        expect(await lost).toBe(0x08);
        target.outOfRange(false);
        expect(await back).toBeGreaterThanOrEqual(1);
        expect(link.isPaired).toBe(true);
        expect(await link.readUserId()).toBe(target.userId);
      },
    );

    it.skipIf(!suite.twin)(
      `reconnection gives up after its bounded attempts with ReconnectFailed when the phone stays away${suite.twin ? '' : BY_HAND}`,
      async () => {
        if (!target.outOfRange) throw new Error('target cannot be moved');
        await link.connect(await find());
        const gone = new Promise<PhoneLinkError>((r) => link.once('gone', r));
        target.outOfRange(true);
        const error = await gone;
        expect(error.code).toBe('ReconnectFailed');
        expect(link.connected).toBe(false);
        await expect(link.readUserId()).rejects.toMatchObject({ code: 'NotConnected' });
        target.outOfRange(false);
      },
    );
  });
}
