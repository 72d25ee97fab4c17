/**
 * The phone's modem: the AT interpreter with the handset state behind it — identity from the phone
 * profile, the SIM (through `SmartCard` only), the simulated radio and battery, +CFUN power levels and the
 * TE-side settings (+CSCS, +CREG, +COPS format). Pure: bytes in through `receive`, bytes out through the
 * `output` callback, time from an injected Clock.
 */
import type { Clock } from '../clock.js';
import type { SmartCard } from '../uim/card.js';
import { AtCommandTable } from './at/command-table.js';
import type { AtFinal, AtResponse } from './at/command-table.js';
import { cme } from './at/command-table.js';
import { CmeError } from './at/cme-error.js';
import { AtInterpreter } from './at/interpreter.js';
import { registerControlCommands } from './at/commands/control.js';
import { registerIdentityCommands } from './at/commands/identity.js';
import { registerSimCommands } from './at/commands/sim.js';
import { cmsForSim, registerSmsCommands } from './at/commands/sms.js';
import { registerV250Commands } from './at/commands/v250.js';
import type { TeCharset } from './charset.js';
import type { PhoneProfile } from './profile.js';
import { AccessTechnology } from './profile.js';
import type { Registration, RegistrationCommand } from './radio.js';
import { REGISTRATION_COMMANDS } from './radio.js';
import { Battery, SimulatedRadio } from './radio.js';
import type { SmsBearer, SmsDeliveryOutcome } from './sms-bearer.js';
import { TpFailureCause } from './sms-bearer.js';
import { SmsService } from './sms-service.js';
import type { SmsMemoryPersistence } from './sms-storage.js';
import type { PinState } from './uim-access.js';
import { UimAccess } from './uim-access.js';

/** +CFUN <fun> levels the phone supports: minimum (radio and SIM off), full, flight mode (radio off). */
export type FunctionalityLevel = 0 | 1 | 4;

export interface PhoneModemOptions {
  profile: PhoneProfile;
  /** The card in the SIM holder; absent = no SIM inserted. */
  card?: SmartCard;
  /** Time for registration delays; without one, registration is immediate. */
  clock?: Clock;
  /** Bytes toward the DTE (the host side of the serial line). */
  output: (bytes: Uint8Array) => void;
  /** Observer of final result codes (transcripts, tests). */
  onFinal?: (final: AtFinal) => void;
  maxLineLength?: number;
  /** The network side of SMS; without one, sending answers +CMS ERROR: 331 (no network service). */
  smsBearer?: SmsBearer;
  /** Where phone memory ("ME") survives power cycles; without it, it is lost with the modem. */
  phoneSmsMemory?: SmsMemoryPersistence;
  /** Records of "ME" (default 20). */
  phoneSmsMemorySize?: number;
}

export class PhoneModem {
  readonly profile: PhoneProfile;
  readonly interpreter: AtInterpreter;
  readonly table = new AtCommandTable();
  readonly radio: SimulatedRadio;
  readonly battery: Battery;
  readonly sim: UimAccess | undefined;
  /** The short message entity: TS 27.005 settings, "SM"/"ME" storage, send and receive. */
  readonly sms: SmsService;
  /** +CSCS */
  charset: TeCharset = 'IRA';
  /**
   * <n> of +CREG (circuit switched), +CGREG (GPRS) and +CEREG (EPS): 0 no unsolicited code, 1 `<stat>`,
   * 2 `<stat>` with the location.
   */
  readonly registrationReports: Record<RegistrationCommand, 0 | 1 | 2> = {
    '+CREG': 0,
    '+CGREG': 0,
    '+CEREG': 0,
  };
  /** +COPS <format>: 0 long, 1 short, 2 numeric. */
  copsFormat: 0 | 1 | 2 = 0;
  private fun: FunctionalityLevel = 1;
  private off = false;
  private packetDetached = false;
  private readonly lastReported: Partial<Record<RegistrationCommand, Registration>> = {};
  private imsi: string | undefined;

  constructor(options: PhoneModemOptions) {
    this.profile = options.profile;
    this.radio = new SimulatedRadio(options.profile.radio, options.clock);
    this.battery = new Battery(options.profile.battery);
    this.sim = options.card ? new UimAccess(options.card) : undefined;
    this.interpreter = new AtInterpreter({
      table: this.table,
      output: (bytes) => {
        if (!this.off) options.output(bytes);
      },
      onReset: () => this.resetTeSettings(),
      ...(options.onFinal ? { onFinal: options.onFinal } : {}),
      ...(options.maxLineLength ? { maxLineLength: options.maxLineLength } : {}),
    });
    this.sms = new SmsService({
      sim: () => this.sim,
      simUnavailable: () => cmsForSim(this.simUnavailable(true)),
      registered: () => {
        const stat = this.radio.registration.stat;
        return stat === 1 || stat === 5;
      },
      unsolicited: (lines) => this.interpreter.unsolicited(lines),
      ...(options.smsBearer ? { bearer: options.smsBearer } : {}),
      ...(options.phoneSmsMemory ? { phoneMemory: options.phoneSmsMemory } : {}),
      ...(options.phoneSmsMemorySize ? { phoneMemorySize: options.phoneSmsMemorySize } : {}),
    });
    registerV250Commands(this);
    registerIdentityCommands(this);
    registerControlCommands(this);
    registerSimCommands(this);
    registerSmsCommands(this);
    this.radio.onRegistration(() => this.registrationChanged());
    // Switching on gives the card a cold reset, whatever state it was left in.
    this.setFunctionality(1, true);
  }

  /** Bytes from the DTE. */
  receive(bytes: Uint8Array): void {
    if (!this.off) this.interpreter.receive(bytes);
  }

  /**
   * The network delivers an SMS-DELIVER or SMS-STATUS-REPORT TPDU: stored or routed per +CNMI, with
   * +CMTI / +CMT / +CDS / +CDSI. The outcome is what the phone answers (RP-ACK, or RP-ERROR with TP-FCS).
   */
  deliverSms(tpdu: Uint8Array): SmsDeliveryOutcome {
    if (this.off) return { ok: false, cause: TpFailureCause.UNSPECIFIED, reason: 'phone switched off' };
    return this.sms.deliver(tpdu);
  }

  /** Switched off (battery out): silent from now on, radio timers cancelled, SIM contacts off. */
  powerOff(): void {
    this.off = true;
    this.radio.setPower(false);
    this.sim?.powerOff();
  }

  get functionality(): FunctionalityLevel {
    return this.fun;
  }

  /** +CFUN: 0 radio and SIM off, 1 both on, 4 radio off; `reset` power-cycles the SIM first. */
  setFunctionality(fun: FunctionalityLevel, reset: boolean): void {
    this.fun = fun;
    const simOn = fun !== 0;
    if (this.sim && (reset || !simOn) && this.sim.powered) {
      this.sim.powerOff();
      this.imsi = undefined;
      this.sms.simChanged();
    }
    if (this.sim && simOn && !this.sim.powered) this.sim.powerOn();
    this.radio.setPower(fun === 1);
    this.refreshSim();
  }

  /**
   * Why the SIM cannot be used now, as the error to answer, or undefined when it can. `needPin` also
   * requires the PIN to have been given.
   */
  simUnavailable(needPin: boolean): AtResponse | undefined {
    if (!this.sim) return cme(CmeError.SIM_NOT_INSERTED);
    if (this.fun === 0 || !this.sim.powered) return cme(CmeError.OPERATION_NOT_ALLOWED);
    if (!this.sim.dialect) return cme(CmeError.SIM_FAILURE);
    if (!needPin) return undefined;
    const state = this.sim.pinState();
    if (state === 'READY') return undefined;
    if (state === 'SIM PIN') return cme(CmeError.SIM_PIN_REQUIRED);
    if (state === 'SIM PUK') return cme(CmeError.SIM_PUK_REQUIRED);
    return cme(CmeError.SIM_FAILURE);
  }

  /** The PIN state of the SIM, or undefined without a usable one. */
  pinState(): PinState | undefined {
    return this.sim?.powered && this.sim.dialect ? this.sim.pinState() : undefined;
  }

  /** Re-reads what the handset learns from the SIM once it is ready (IMSI → network registration). */
  refreshSim(): void {
    if (!this.sim?.powered || !this.sim.dialect) {
      this.imsi = undefined;
      this.radio.setSubscriber(undefined);
      return;
    }
    if (this.sim.pinState() !== 'READY') {
      this.radio.setSubscriber(undefined);
      return;
    }
    this.imsi ??= this.sim.readImsi().imsi;
    this.radio.setSubscriber(this.imsi);
  }

  /**
   * The registration a command reports. Circuit and packet (GPRS) services follow the serving network;
   * EPS registration (+CEREG) exists only on an E-UTRAN cell.
   */
  registrationFor(command: RegistrationCommand): Registration {
    const r = this.radio.registration;
    const none: Registration = { stat: 0, network: undefined };
    if (command === '+CREG') return r;
    if (this.packetDetached) return none;
    if (command !== '+CEREG' || !r.network || r.network.act === 'e-utran') return r;
    return none;
  }

  /** +CGATT: attached to the packet domain (while registered and not detached). */
  get packetAttached(): boolean {
    const stat = this.registrationFor('+CGREG').stat;
    return stat === 1 || stat === 5;
  }

  /** +CGATT=0 / 1; packet registration follows (reported through +CGREG / +CEREG). */
  setPacketAttached(attached: boolean): void {
    this.packetDetached = !attached;
    this.registrationChanged();
  }

  /**
   * The status and location part of a registration answer: `<stat>[,"<lac>","<ci>",<AcT>]` (the
   * location only for <n> = 2 while a network serves; +CEREG's area code is the TAC).
   */
  registrationText(command: RegistrationCommand, n: 0 | 1 | 2): string {
    const r = this.registrationFor(command);
    const net = r.network;
    if (n !== 2 || !net) return String(r.stat);
    const ciDigits = net.act === 'gsm' ? 4 : 8;
    const hex = (v: number, d: number) => v.toString(16).toUpperCase().padStart(d, '0');
    return `${r.stat},"${hex(net.lac, 4)}","${hex(net.ci, ciDigits)}",${AccessTechnology[net.act]}`;
  }

  private registrationChanged(): void {
    for (const command of REGISTRATION_COMMANDS) {
      const n = this.registrationReports[command];
      const r = this.registrationFor(command);
      const last = this.lastReported[command];
      this.lastReported[command] = r;
      if (n === 0 || (last && last.stat === r.stat && last.network === r.network)) continue;
      this.interpreter.unsolicited(`${command}: ${this.registrationText(command, n)}`);
    }
  }

  private resetTeSettings(): void {
    this.charset = 'IRA';
    for (const c of REGISTRATION_COMMANDS) this.registrationReports[c] = 0;
    this.copsFormat = 0;
    this.sms.resetSettings();
  }
}
