/** Helpers of the payment application tests: a recording BLE port, WAP Push delivery, waiting on I/O. */
import type {
  BleConfirmation,
  BleTransaction,
  PhoneBlePort,
} from '../../../../../firmware-sim/phone/handset/ble-port.js';
import type { Handset } from '../../../../../firmware-sim/phone/handset/handset.js';
import type { PhoneModem } from '../../../../../firmware-sim/phone/modem.js';
import type { SmsDeliveryOutcome } from '../../../../../firmware-sim/phone/sms-bearer.js';
import { encodeTpdu } from '../../../../../firmware-sim/phone/sms/tpdu.js';
import {
  WAP_PUSH_DCS,
  encodeSiPush,
  wapPushUserData,
} from '../../../../../firmware-sim/phone/sms/wap-push.js';
import { settle } from '../../handset/helpers.js';

/**
 * A test double of the phone's BLE port that records what the application does (the real adapter over
 * bleno is tested in test/devices/ble/phone-ble-port.test.ts); `confirm` plays the POS's write.
 */
export class RecordingBlePort implements PhoneBlePort {
  readonly userIds: (string | undefined)[] = [];
  readonly notified: BleTransaction[] = [];
  private readonly listeners = new Set<(c: BleConfirmation) => void>();
  setUserId(userId: string | undefined): void {
    this.userIds.push(userId);
  }
  notifyTransaction(t: BleTransaction): boolean {
    this.notified.push(t);
    return true;
  }
  onConfirmation(listener: (c: BleConfirmation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  confirm(c: BleConfirmation): void {
    for (const l of [...this.listeners]) l(c);
  }
  get subscribers(): number {
    return this.listeners.size;
  }
}

let reference = 0;

/** The SMS-DELIVER TPDUs of a WAP Push SI to port 2948 (WAP-259 annex) linking to `href`. */
export function siPushTpdus(href: string): Uint8Array[] {
  const wsp = encodeSiPush({ href, text: 'Payment request', action: 'signal-medium' }, 0x01);
  reference = (reference + 1) & 0xff;
  return wapPushUserData(wsp, reference).map((userData) =>
    encodeTpdu({
      type: 'SMS-DELIVER',
      moreMessagesToSend: false,
      loopPrevention: false,
      replyPath: false,
      statusReportIndication: false,
      originator: { ton: 1, npi: 1, value: '447700900000' },
      pid: 0,
      dcs: WAP_PUSH_DCS,
      scts: { year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0, timeZone: 0 },
      userData,
    }),
  );
}

/** The network delivers the push; the modem's answers (RP-ACK expected for every part). */
export function deliverPush(modem: PhoneModem, href: string): SmsDeliveryOutcome[] {
  return siPushTpdus(href).map((t) => modem.deliverSms(t));
}

/** Waits (real time, for the loopback HTTPS exchanges) until `test` holds; fails naming what it waited for. */
export async function until(handset: Handset, test: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (test()) return;
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`waited in vain for ${what}; screen: ${JSON.stringify(handset.screenJson())}`);
}
