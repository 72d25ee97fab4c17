import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { Air } from '../../../devices/ble/air.js';
import { VirtualController, type TraceRecord } from '../../../devices/ble/controller.js';
import { PhoneGatt } from '../../../devices/ble/phone-gatt.js';
import {
  PAYMENT_SERVICE_UUID,
  encodeConfirmation,
  paymentCharacteristic,
} from '../../../devices/ble/payment-service.js';
import { createNoble, type Noble } from '../../../devices/ble/seam/install.js';
import { unregisterVirtualController } from '../../../devices/ble/seam/registry.js';
import { once, type Peripheral } from './bench.js';

type Characteristic = import('@abandonware/noble').Characteristic;

interface Rig {
  air: Air;
  phone: PhoneGatt;
  pos: VirtualController;
  noble: Noble;
  /** ATT PDUs the phone's host (bleno) sent, as hex. */
  attFromPhone: () => string[];
  close(): Promise<void>;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function start(userId: string | null = '00001'): Promise<Rig> {
  const clock = new VirtualClock();
  const air = new Air({ clock });
  const phone = await PhoneGatt.start({
    air,
    address: '5a:30:00:00:00:01',
    name: 'phone-gatt-test',
    ...(userId ? { userId } : {}),
  });
  const trace: TraceRecord[] = [];
  phone.controller.on('trace', (t: TraceRecord) => trace.push(t));
  const pos = new VirtualController({ air, address: '5a:30:00:00:00:02' });
  const noble = createNoble(pos);
  if ((noble as unknown as { state: string }).state !== 'poweredOn')
    await once(noble, 'stateChange', (s: string) => s === 'poweredOn');
  return {
    air,
    phone,
    pos,
    noble,
    // ACL from the host, L2CAP basic header, CID 0x0004 (ATT): the PDU after 9 octets.
    attFromPhone: () =>
      trace
        .filter(
          (t) => t.direction === 'toController' && t.packet[0] === 0x02 && t.packet.readUInt16LE(7) === 4,
        )
        .map((t) => t.packet.subarray(9).toString('hex')),
    async close() {
      noble.removeAllListeners('discover');
      await noble.stopScanningAsync().catch(() => undefined);
      await phone.close();
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

const uuidOf = (n: Parameters<typeof paymentCharacteristic>[0]) => paymentCharacteristic(n).uuid;
/** ATT Error Response (Vol 3 Part F 3.4.1.1): opcode 01, request, handle (2 octets), error code. */
const errorResponse = (request: number, code: number) =>
  new RegExp(`^01${request.toString(16).padStart(2, '0')}[0-9a-f]{4}${code.toString(16).padStart(2, '0')}$`);

describe('phone twin GATT (bleno serving the payment service on a virtual controller)', () => {
  it('advertises the 128-bit service UUID (CSS Part A 1.1, AD type 0x06 as bleno writes it) and the name in the scan response (1.2, AD type 0x08)', async () => {
    rig = await start();
    const adv = rig.phone.controller.advertising()!;
    const uuidLe = Buffer.from(PAYMENT_SERVICE_UUID, 'hex').reverse();
    expect(adv.data.includes(Buffer.concat([Buffer.from([17, 0x06]), uuidLe]))).toBe(true);
    const name = Buffer.from('phone-gatt-test');
    expect(adv.scanResponse.includes(Buffer.concat([Buffer.from([name.length + 1, 0x08]), name]))).toBe(true);
  });

  it('UserId read before pairing: bleno answers Insufficient Authentication (0x05); noble pairs and reads "00001"', async () => {
    rig = await start();
    const chars = await connect(rig);
    const value = await chars.get(uuidOf('UserId'))!.readAsync();
    expect(value.toString('latin1')).toBe('00001');
    const att = rig.attFromPhone();
    const denied = att.findIndex((h) => errorResponse(0x0a, 0x05).test(h));
    const answered = att.findIndex((h) => h === '0b' + Buffer.from('00001').toString('hex'));
    expect(denied).toBeGreaterThanOrEqual(0);
    expect(answered).toBeGreaterThan(denied);
    expect(rig.phone.connections()[0]?.encrypted).toBe(true);
  });

  it('Confirmation write before pairing is refused with 0x05; after pairing the phone receives it decoded', async () => {
    rig = await start();
    const chars = await connect(rig);
    const received = once(rig.phone, 'confirmation');
    await chars
      .get(uuidOf('Confirmation'))!
      .writeAsync(encodeConfirmation({ result: 'Declined', transactionId: 'TX-9' }), false);
    await received;
    expect(rig.phone.confirmations).toEqual([{ result: 'Declined', transactionId: 'TX-9' }]);
    expect(rig.attFromPhone().some((h) => errorResponse(0x12, 0x05).test(h))).toBe(true);
  });

  it('a malformed Confirmation gets the profile error in an ATT Error Response: 0x0D length, 0x80 value', async () => {
    rig = await start();
    const chars = await connect(rig);
    await chars.get(uuidOf('UserId'))!.readAsync(); // pairs
    const c = chars.get(uuidOf('Confirmation'))!;
    // noble never completes a write that got an Error Response: do not wait for it, watch the phone's answer.
    void c.writeAsync(Buffer.from([0x00, 0x05, 0x41]), false);
    void c.writeAsync(Buffer.from([0x07, 0x01, 0x41]), false);
    for (let i = 0; i < 50 && rig.attFromPhone().filter((h) => h.startsWith('0112')).length < 2; i++)
      await new Promise((r) => setImmediate(r));
    expect(rig.attFromPhone().some((h) => errorResponse(0x12, 0x0d).test(h))).toBe(true);
    expect(rig.attFromPhone().some((h) => errorResponse(0x12, 0x80).test(h))).toBe(true);
    expect(rig.phone.confirmations).toEqual([]);
  });

  it('no authenticated user yet: UserId read gets the application error 0x81', async () => {
    rig = await start(null);
    const chars = await connect(rig);
    const value = await chars.get(uuidOf('UserId'))!.readAsync();
    expect(value.length).toBe(0); // noble reports an error as an empty value
    expect(rig.attFromPhone().some((h) => errorResponse(0x0a, 0x81).test(h))).toBe(true);
  });

  it('TransactionNotification: subscription needs pairing; the notification carries the encoded transaction', async () => {
    rig = await start();
    const chars = await connect(rig);
    const c = chars.get(uuidOf('TransactionNotification'))!;
    expect(rig.phone.notifyTransaction({ transactionId: 'T1', amountMinor: 1, currency: 'JPY' })).toBe(false);
    const subscribed = once(rig.phone, 'subscribed');
    await c.subscribeAsync();
    await subscribed;
    const data = once<[Buffer, boolean]>(c, 'data');
    expect(rig.phone.notifyTransaction({ transactionId: 'TX-1', amountMinor: 1200, currency: 'JPY' })).toBe(
      true,
    );
    const [value] = await data;
    // version 1, 1200 LE, "JPY", id length 4, "TX-1"
    expect(value.toString('hex')).toBe(
      '01b0040000' + Buffer.from('JPY').toString('hex') + '04' + Buffer.from('TX-1').toString('hex'),
    );
    // The CCCD is secure too: noble's look-up of it (Read By Type) was refused until the link was encrypted.
    expect(rig.attFromPhone().some((h) => errorResponse(0x08, 0x05).test(h))).toBe(true);
  });

  it('pairing twice with the same POS: the controller keeps the newest key per peer, as the kernel does (else MIC failure)', async () => {
    rig = await start();
    for (let round = 0; round < 2; round++) {
      const chars = await connect(rig);
      expect((await chars.get(uuidOf('UserId'))!.readAsync()).toString()).toBe('00001');
      const peripherals = (rig.noble as unknown as { _peripherals: Record<string, Peripheral> })._peripherals;
      const gone = once(rig.phone, 'disconnect');
      await Object.values(peripherals)[0]!.disconnectAsync();
      await gone;
    }
    expect(rig.phone.controller.longTermKeys).toHaveLength(1);
  });
});
