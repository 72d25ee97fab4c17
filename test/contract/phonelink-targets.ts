/**
 * What the PhoneLink contract suite runs against: the phone twin (bleno with the payment service on a
 * virtual controller, the POS's noble on a second controller of the same air), and a real phone through
 * a real adapter when `BENCHTWIN_REAL_BLE` (e.g. `ble:hci0`) and `BENCHTWIN_REAL_PHONE` (its address) are
 * set; `BENCHTWIN_REAL_PHONE_USERID` gives the user id the phone's app offers.
 */
import { VirtualClock, type Clock } from '../../firmware-sim/clock.js';
import { Air } from '../../devices/ble/air.js';
import { VirtualController } from '../../devices/ble/controller.js';
import { PhoneGatt } from '../../devices/ble/phone-gatt.js';
import type { Confirmation, TransactionNotification } from '../../devices/ble/payment-service.js';
import { unregisterVirtualController } from '../../devices/ble/seam/registry.js';
import type { BlePhoneLinkOptions } from '../../host/drivers/phone/ble-phonelink.js';

export interface PhoneLinkTarget {
  name: string;
  /** Driver options: the same driver code for every target. */
  driver: BlePhoneLinkOptions;
  clock: Clock;
  phoneAddress: string;
  phoneName: string | undefined;
  userId: string;
  /** Twins only: make the phone notify a transaction; resolves once it was sent. */
  pushTransaction?: (t: TransactionNotification) => boolean;
  /** Twins only: the confirmations the phone received. */
  confirmations?: () => Confirmation[];
  /** Twins only: take the phone out of range (true) or bring it back. */
  outOfRange?: (away: boolean) => void;
  close(): Promise<void>;
}

let twinCount = 0;

export async function twinTarget(): Promise<PhoneLinkTarget> {
  // The clock jumps over waits once the links have been quiet for 50 ms of real time.
  const clock = new VirtualClock({ autoAdvance: { quietMs: 50 } });
  const air = new Air({ clock });
  const n = ++twinCount;
  const suffix = n.toString(16).padStart(2, '0');
  const phone = await PhoneGatt.start({
    air,
    address: `5a:10:00:00:00:${suffix}`,
    name: `twin-phone-${n}`,
    userId: '00001',
    position: { x: 2, y: 0 },
  });
  const pos = new VirtualController({ air, address: `5a:20:00:00:00:${suffix}`, name: 'pos' });
  return {
    name: 'phone twin (bleno, payment service) on a virtual controller',
    driver: { transport: pos, clock, reconnect: { attempts: 3, delayMs: 200 } },
    clock,
    phoneAddress: phone.address,
    phoneName: phone.name,
    userId: '00001',
    pushTransaction: (t) => phone.notifyTransaction(t),
    confirmations: () => phone.confirmations,
    outOfRange: (away) => phone.controller.moveTo(away ? { x: 5000, y: 0 } : { x: 2, y: 0 }),
    async close() {
      await phone.close();
      pos.close();
      unregisterVirtualController(pos);
      air.close();
      clock.dispose();
    },
  };
}

/** The real target, or undefined with the reason it is skipped. */
export function realTarget(): { make: () => Promise<PhoneLinkTarget> } | { reason: string } {
  const transport = process.env['BENCHTWIN_REAL_BLE'];
  const address = process.env['BENCHTWIN_REAL_PHONE']?.toLowerCase();
  if (!transport || !address)
    return {
      reason:
        'set BENCHTWIN_REAL_BLE=ble:hci0 (or ble:usb:<vid>:<pid>) and BENCHTWIN_REAL_PHONE=<address> of a phone offering the payment service',
    };
  return {
    make: async () => {
      const { SystemClock } = await import('../../firmware-sim/clock.js');
      return {
        name: `real phone ${address} through ${transport}`,
        driver: { transport, reconnect: { attempts: 3, delayMs: 1000 } },
        clock: new SystemClock(),
        phoneAddress: address,
        phoneName: undefined,
        userId: process.env['BENCHTWIN_REAL_PHONE_USERID'] ?? '',
        async close() {},
      };
    },
  };
}
