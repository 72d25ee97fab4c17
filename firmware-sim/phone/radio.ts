/**
 * The phone's simulated radio: signal quality, network selection and registration as TS 27.007 reports
 * them (+CSQ, +COPS, +CREG). Registration needs the radio on (+CFUN=1) and a ready SIM; it goes through
 * "searching" for `registrationDelayMs` of the injected clock, then to home or roaming.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { BatteryProfile, NetworkProfile, RadioProfile } from './profile.js';

/** The three registration status commands of TS 27.007 (§7.2, §10.1.20, §10.1.22). */
export const REGISTRATION_COMMANDS = ['+CREG', '+CGREG', '+CEREG'] as const;
export type RegistrationCommand = (typeof REGISTRATION_COMMANDS)[number];

/** +CREG <stat> (TS 27.007 §7.2). */
export const RegistrationStatus = {
  NOT_REGISTERED: 0,
  HOME: 1,
  SEARCHING: 2,
  DENIED: 3,
  UNKNOWN: 4,
  ROAMING: 5,
} as const;
export type RegistrationStatusCode = (typeof RegistrationStatus)[keyof typeof RegistrationStatus];

export interface Registration {
  stat: RegistrationStatusCode;
  /** The serving network while registered (or denied by it). */
  network: NetworkProfile | undefined;
}

/** +COPS <mode>: 0 automatic, 1 manual, 2 deregistered (3 only sets the format, 4 manual then automatic). */
export type SelectionMode = 0 | 1 | 2;

export class SimulatedRadio {
  rssi: number;
  ber: number;
  readonly networks: NetworkProfile[];
  private on = false;
  private imsi: string | undefined;
  private mode: SelectionMode = 0;
  private manual: NetworkProfile | undefined;
  private current: Registration = { stat: RegistrationStatus.NOT_REGISTERED, network: undefined };
  private timer: TimerHandle | undefined;
  private pending: Registration | undefined;
  private readonly listeners: ((r: Registration) => void)[] = [];

  constructor(
    private readonly profile: RadioProfile,
    private readonly clock?: Clock,
  ) {
    this.rssi = profile.rssi;
    this.ber = profile.ber;
    this.networks = profile.networks.map((n) => ({ ...n }));
  }

  get registration(): Registration {
    return this.current;
  }

  get powered(): boolean {
    return this.on;
  }

  get selectionMode(): SelectionMode {
    return this.mode;
  }

  /** Called on every change of registration status or serving network. */
  onRegistration(listener: (r: Registration) => void): void {
    this.listeners.push(listener);
  }

  /** +CSQ values; 99,99 while the radio is off. */
  signal(): { rssi: number; ber: number } {
    return this.on ? { rssi: this.rssi, ber: this.ber } : { rssi: 99, ber: 99 };
  }

  setPower(on: boolean): void {
    this.on = on;
    this.evaluate();
  }

  /** The subscriber the SIM holds once it is ready (undefined: no SIM service). */
  setSubscriber(imsi: string | undefined): void {
    this.imsi = imsi;
    this.evaluate();
  }

  isHome(n: NetworkProfile): boolean {
    return this.imsi !== undefined && this.imsi.startsWith(n.numeric);
  }

  selectAutomatic(): void {
    this.mode = 0;
    this.manual = undefined;
    this.evaluate();
  }

  /** Manual selection; false when the network is not in range. */
  selectManual(n: NetworkProfile): boolean {
    if (!this.networks.includes(n)) return false;
    this.mode = 1;
    this.manual = n;
    this.evaluate();
    return true;
  }

  deregister(): void {
    this.mode = 2;
    this.manual = undefined;
    this.evaluate();
  }

  private target(): Registration {
    const none = { stat: RegistrationStatus.NOT_REGISTERED, network: undefined };
    if (!this.on || this.imsi === undefined || this.mode === 2) return none;
    const pick =
      this.mode === 1
        ? this.manual
        : (this.networks.find((n) => !n.forbidden && this.isHome(n)) ??
          this.networks.find((n) => !n.forbidden));
    if (!pick) {
      return this.networks.length > 0 ? { stat: RegistrationStatus.DENIED, network: undefined } : none;
    }
    if (pick.forbidden) return { stat: RegistrationStatus.DENIED, network: pick };
    return { stat: this.isHome(pick) ? RegistrationStatus.HOME : RegistrationStatus.ROAMING, network: pick };
  }

  private evaluate(): void {
    const t = this.target();
    // Already on the way to the same registration: let the search finish on time.
    if (this.timer && this.pending?.stat === t.stat && this.pending.network === t.network) return;
    this.clock?.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    const registered = t.stat === RegistrationStatus.HOME || t.stat === RegistrationStatus.ROAMING;
    const already = this.current.stat === t.stat && this.current.network === t.network;
    if (registered && !already && this.clock && this.profile.registrationDelayMs > 0) {
      this.set({ stat: RegistrationStatus.SEARCHING, network: undefined });
      this.pending = t;
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.pending = undefined;
        this.set(t);
      }, this.profile.registrationDelayMs);
      return;
    }
    this.set(t);
  }

  private set(r: Registration): void {
    if (r.stat === this.current.stat && r.network === this.current.network) return;
    this.current = r;
    for (const l of this.listeners) l(r);
  }
}

/** The battery behind +CBC; tests and the control API change it. */
export class Battery {
  status: 0 | 1 | 2 | 3;
  level: number;
  constructor(profile: BatteryProfile) {
    this.status = profile.status;
    this.level = profile.level;
  }
}
