/**
 * A phone twin: the modem port a host opens, plus what the handset offers the network — its MSISDN, SMS
 * delivery into the modem and a socket for the network's SMS bearer. The network itself (the simulated
 * one of services/smsc, or another) is joined from outside, so devices/ never depends on services/.
 */
import type { SmsBearer, SmsDeliveryOutcome } from '../../firmware-sim/phone/sms-bearer.js';
import type { SmsMemoryPersistence } from '../../firmware-sim/phone/sms-storage.js';
import { PhoneModemPort, type PhoneModemPortOptions } from './modem-port.js';

/** What a network needs of a phone to carry its short messages. */
export interface SmsTerminal {
  readonly msisdn: string;
  /** An SMS-DELIVER / SMS-STATUS-REPORT TPDU from the network; the answer is RP-ACK or RP-ERROR. */
  deliverSms(tpdu: Uint8Array): SmsDeliveryOutcome;
  /** The network's side of SMS-SUBMIT; undefined = out of coverage of any SMS network. */
  setSmsBearer(bearer: SmsBearer | undefined): void;
}

export interface PhoneTwinOptions extends Omit<PhoneModemPortOptions, 'smsBearer' | 'phoneSmsMemory'> {
  /** E.164 number with '+', the address the network delivers to. */
  msisdn: string;
  /** Phone memory storage; default: kept in this object, so it survives `powerCycle` as flash does. */
  phoneSmsMemory?: SmsMemoryPersistence;
}

/** Phone memory in the twin's own flash: survives power cycles of the modem, not the process. */
export class FlashSmsMemory implements SmsMemoryPersistence {
  private readonly records: (Uint8Array | undefined)[] = [];
  load(): readonly (Uint8Array | undefined)[] {
    return this.records.map((r) => r?.slice());
  }
  save(index: number, record: Uint8Array): void {
    this.records[index - 1] = record.slice();
  }
}

export class PhoneTwin implements SmsTerminal {
  readonly msisdn: string;
  readonly port: PhoneModemPort;
  private bearer: SmsBearer | undefined;

  constructor(options: PhoneTwinOptions) {
    this.msisdn = options.msisdn;
    const { msisdn: _msisdn, phoneSmsMemory, ...portOptions } = options;
    void _msisdn;
    this.port = new PhoneModemPort({
      ...portOptions,
      phoneSmsMemory: phoneSmsMemory ?? new FlashSmsMemory(),
    });
  }

  get path(): string {
    return this.port.path;
  }

  get modem(): PhoneModemPort['modem'] {
    return this.port.modem;
  }

  open(): Promise<void> {
    return this.port.open();
  }

  close(): void {
    this.port.close();
  }

  /** Battery out and in: the new modem keeps the phone memory and the network it was attached to. */
  powerCycle(): void {
    this.port.powerCycle();
    this.port.modem.sms.bearer = this.bearer;
  }

  deliverSms(tpdu: Uint8Array): SmsDeliveryOutcome {
    return this.port.modem.deliverSms(tpdu);
  }

  /** Without a bearer the modem answers +CMGS with +CMS ERROR: 331 (no network service). */
  setSmsBearer(bearer: SmsBearer | undefined): void {
    this.bearer = bearer;
    this.port.modem.sms.bearer = bearer;
  }
}
