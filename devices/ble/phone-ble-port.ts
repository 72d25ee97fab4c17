/**
 * The handset's `PhoneBlePort` (firmware-sim/phone/handset/ble-port.ts) over the phone twin's GATT server:
 * what the payment application does with Bluetooth LE becomes the payment service's UserId value,
 * TransactionNotification notifications and the Confirmation writes bleno receives.
 */
import type {
  BleConfirmation,
  BleTransaction,
  PhoneBlePort,
} from '../../firmware-sim/phone/handset/ble-port.js';
import type { Confirmation } from './payment-service.js';
import type { PhoneGatt } from './phone-gatt.js';

export class GattPhoneBlePort implements PhoneBlePort {
  constructor(private readonly gatt: PhoneGatt) {}

  /** Throws RangeError for an id the UserId characteristic cannot carry (1–16 letters or digits). */
  setUserId(userId: string | undefined): void {
    this.gatt.setUserId(userId);
  }

  notifyTransaction(transaction: BleTransaction): boolean {
    return this.gatt.notifyTransaction(transaction);
  }

  onConfirmation(listener: (confirmation: BleConfirmation) => void): () => void {
    const l = (c: Confirmation): void => listener({ result: c.result, transactionId: c.transactionId });
    this.gatt.on('confirmation', l);
    return () => {
      this.gatt.off('confirmation', l);
    };
  }
}

export const phoneBlePort = (gatt: PhoneGatt): PhoneBlePort => new GattPhoneBlePort(gatt);
