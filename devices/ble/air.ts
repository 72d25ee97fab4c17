/**
 * The air: the radio medium shared by the virtual controllers of a bench. It carries advertising (with
 * scan requests and responses answered at the link layer), connection establishment, and the link-layer
 * PDUs of connections, on connection events paced by the connection interval on the injected Clock. On a
 * virtual clock PDUs cross at once and advertising is heard once per change instead of every interval. A link that cannot be heard (out of range, peer powered off, a fault)
 * holds its PDUs, as a link layer retransmits, and ends by supervision timeout if it stays silent.
 */
import type { Clock, TimerHandle } from '../../firmware-sim/clock.js';
import { mulberry32 } from '../serial/faults.js';
import { AdvertisingType, HciStatus, ReportEventType } from './hci/constants.js';
import type { AdvertisingReport } from './hci/events.js';

export interface Position {
  /** Metres. */
  x: number;
  y: number;
}

/** Log-distance path loss: RSSI = txPower − (referenceLoss + 10·n·log10(d / 1 m)) − interference. */
export interface RadioModel {
  txPowerDbm: number;
  /** Loss at one metre. */
  referenceLossDb: number;
  pathLossExponent: number;
  /** Below this a receiver hears nothing. */
  sensitivityDbm: number;
}

export const DEFAULT_RADIO_MODEL: RadioModel = {
  txPowerDbm: 0,
  referenceLossDb: 40,
  pathLossExponent: 2,
  sensitivityDbm: -90,
};

export interface AirFaults {
  /** Probability that a connection event fails (its PDUs wait for the next event). */
  dropRate?: number;
  /** Extra loss on every path, in dB (a microwave oven, a crowded 2.4 GHz band). */
  interferenceDb?: number;
}

/** What the air needs of a controller; implemented by VirtualController. */
export interface AirRadio {
  readonly address: string;
  readonly addressType: number;
  readonly powered: boolean;
  position: Position;
  /** Advertising state, or undefined when not advertising. */
  advertising(): { type: number; intervalMs: number; data: Buffer; scanResponse: Buffer } | undefined;
  /** Scanning state, or undefined when not scanning. */
  scanning(): { active: boolean } | undefined;
  /** Address this radio is initiating a connection to, if any. */
  initiating(): { peerAddress: string; params: ConnectionParameters } | undefined;
  receiveAdvertisingReport(report: AdvertisingReport): void;
  /** The air made a connection: the radio allocates its handle and tells its host. */
  connected(link: Link, role: 0 | 1): number;
  receivePdu(link: Link, pdu: LlPdu): void;
  /** The link ended without a word from the peer's host: supervision timeout or MIC failure. */
  linkLost(link: Link, reason: number): void;
}

export interface ConnectionParameters {
  /** Units of 1.25 ms. */
  interval: number;
  latency: number;
  /** Units of 10 ms. */
  supervisionTimeout: number;
}

/** Link-layer PDUs (Vol 6 Part B 2.4): data PDUs with their LLID, and the control procedures used here. */
export type LlPdu =
  | { kind: 'data'; start: boolean; payload: Buffer }
  | { kind: 'terminate'; reason: number }
  | { kind: 'encReq'; randomNumber: Buffer; encryptedDiversifier: number; longTermKey: Buffer }
  | { kind: 'encRsp'; longTermKey: Buffer | undefined }
  | { kind: 'connUpdate'; params: ConnectionParameters };

interface Pending {
  to: AirRadio;
  pdu: LlPdu;
  acked?: () => void;
}

export class Link {
  params: ConnectionParameters;
  readonly handles = new Map<AirRadio, number>();
  private queue: Pending[] = [];
  private eventTimer: TimerHandle | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private supervision: TimerHandle | undefined;
  private anchor: number;
  private abandoned = false;
  closed = false;

  constructor(
    private readonly air: Air,
    readonly central: AirRadio,
    readonly peripheral: AirRadio,
    params: ConnectionParameters,
  ) {
    this.params = params;
    this.anchor = air.clock.now();
  }

  peerOf(radio: AirRadio): AirRadio {
    return radio === this.central ? this.peripheral : this.central;
  }

  get intervalMs(): number {
    return this.params.interval * 1.25;
  }

  get supervisionTimeoutMs(): number {
    return this.params.supervisionTimeout * 10;
  }

  /** Queue a PDU for the peer of `from`; `acked` runs once the peer has received it. */
  send(from: AirRadio, pdu: LlPdu, acked?: () => void): void {
    if (this.closed) return;
    this.queue.push(acked ? { to: this.peerOf(from), pdu, acked } : { to: this.peerOf(from), pdu });
    this.schedule();
  }

  /**
   * One end forgot the link without telling the other (controller reset or power off): nothing more
   * crosses, and the other end finds out by supervision timeout.
   */
  abandon(): void {
    this.abandoned = true;
    this.queue = [];
    this.reassess();
  }

  private usable(): boolean {
    return !this.abandoned && this.air.canHear(this.central, this.peripheral);
  }

  /** The radio conditions changed: resume delivery or start the supervision timer. */
  reassess(): void {
    if (this.closed) return;
    if (this.usable()) {
      this.air.clock.clearTimeout(this.supervision);
      this.supervision = undefined;
      this.schedule();
    } else if (!this.supervision) {
      this.supervision = this.air.clock.setTimeout(
        () => this.supervisionTimeout(),
        this.supervisionTimeoutMs,
      );
    }
  }

  /** Remove the link without any event (a controller reset or powered off on this side). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.air.clock.clearTimeout(this.eventTimer);
    this.air.clock.clearTimeout(this.supervision);
    if (this.immediate) clearImmediate(this.immediate);
    this.queue = [];
    this.air.links.delete(this);
  }

  private supervisionTimeout(): void {
    this.supervision = undefined;
    if (this.closed) return;
    const ends = [this.central, this.peripheral];
    this.close();
    for (const end of ends) if (end.powered) end.linkLost(this, HciStatus.ConnectionTimeout);
  }

  private schedule(): void {
    if (this.closed || this.queue.length === 0 || this.eventTimer || this.immediate) return;
    if (this.air.clock.virtual) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.air.clock.touch();
        this.connectionEvent();
      });
      return;
    }
    // The next connection event on the grid of anchors, so that late timers add no drift.
    const now = this.air.clock.now();
    const k = Math.max(1, Math.ceil((now - this.anchor) / this.intervalMs));
    const due = this.anchor + k * this.intervalMs;
    this.eventTimer = this.air.clock.setTimeout(() => {
      this.eventTimer = undefined;
      this.anchor = due;
      this.connectionEvent();
    }, due - now);
  }

  private connectionEvent(): void {
    if (this.closed) return;
    if (!this.usable()) {
      this.reassess();
      return;
    }
    if (this.air.eventLost()) {
      this.retryLater();
      return;
    }
    this.air.clock.clearTimeout(this.supervision);
    this.supervision = undefined;
    const batch = this.queue;
    this.queue = [];
    for (const item of batch) {
      if (this.closed) break;
      item.to.receivePdu(this, item.pdu);
      item.acked?.();
    }
    this.schedule();
  }

  private retryLater(): void {
    this.eventTimer = this.air.clock.setTimeout(() => {
      this.eventTimer = undefined;
      this.connectionEvent();
    }, this.intervalMs);
    if (!this.supervision) {
      this.supervision = this.air.clock.setTimeout(
        () => this.supervisionTimeout(),
        this.supervisionTimeoutMs,
      );
    }
  }
}

export interface AirOptions {
  clock: Clock;
  model?: Partial<RadioModel>;
  /** Seed of the fault dice, so a failing run can be replayed. */
  seed?: number;
}

export class Air {
  readonly clock: Clock;
  readonly model: RadioModel;
  readonly radios = new Set<AirRadio>();
  readonly links = new Set<Link>();
  private faults: AirFaults = {};
  private readonly outOfRange = new Set<AirRadio>();
  private readonly advertisingTimers = new Map<AirRadio, TimerHandle>();
  private readonly dice: () => number;

  constructor(options: AirOptions) {
    this.clock = options.clock;
    this.model = { ...DEFAULT_RADIO_MODEL, ...options.model };
    this.dice = mulberry32(options.seed ?? 1);
  }

  attach(radio: AirRadio): void {
    this.radios.add(radio);
  }

  detach(radio: AirRadio): void {
    this.stopAdvertising(radio);
    this.radios.delete(radio);
    for (const link of [...this.links])
      if (link.central === radio || link.peripheral === radio) link.reassess();
  }

  /** Stop every timer of the air (advertising, connection events, supervision): the bench is shutting down. */
  close(): void {
    for (const radio of [...this.advertisingTimers.keys()]) this.stopAdvertising(radio);
    for (const link of [...this.links]) link.close();
  }

  setFaults(faults: AirFaults): void {
    const rate = faults.dropRate;
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
      throw new RangeError(`faults.dropRate: expected a probability from 0 to 1, got ${rate}`);
    }
    this.faults = { ...faults };
    this.changed();
  }

  /** Take a radio out of everybody's range (a phone put in a drawer), or bring it back. */
  setOutOfRange(radio: AirRadio, out: boolean): void {
    if (out) this.outOfRange.add(radio);
    else this.outOfRange.delete(radio);
    this.changed();
  }

  /** Radio conditions or power changed: links re-evaluate, advertisers and initiators meet again. */
  changed(): void {
    for (const link of [...this.links]) link.reassess();
    for (const radio of this.radios) if (radio.advertising()) this.advertisingEvent(radio, false);
  }

  rssi(from: AirRadio, to: AirRadio): number {
    const dx = from.position.x - to.position.x;
    const dy = from.position.y - to.position.y;
    const d = Math.max(0.1, Math.hypot(dx, dy));
    const m = this.model;
    const loss =
      m.referenceLossDb + 10 * m.pathLossExponent * Math.log10(d) + (this.faults.interferenceDb ?? 0);
    return Math.max(-127, Math.min(20, Math.round(m.txPowerDbm - loss)));
  }

  canHear(a: AirRadio, b: AirRadio): boolean {
    if (!a.powered || !b.powered || !this.radios.has(a) || !this.radios.has(b)) return false;
    if (this.outOfRange.has(a) || this.outOfRange.has(b)) return false;
    return this.rssi(a, b) >= this.model.sensitivityDbm;
  }

  /** One die per connection event: true when the event is lost. */
  eventLost(): boolean {
    const rate = this.faults.dropRate ?? 0;
    return rate > 0 && this.dice() < rate;
  }

  /** An advertiser enabled advertising (or changed its data): advertise now, then every interval. */
  startAdvertising(radio: AirRadio): void {
    this.stopAdvertising(radio);
    this.advertisingEvent(radio, true);
  }

  stopAdvertising(radio: AirRadio): void {
    this.clock.clearTimeout(this.advertisingTimers.get(radio));
    this.advertisingTimers.delete(radio);
  }

  /** A scanner enabled scanning or an initiator started: hear every advertiser once now. */
  listen(radio: AirRadio): void {
    for (const adv of this.radios)
      if (adv !== radio && adv.advertising()) this.deliverAdvertising(adv, [radio]);
  }

  private advertisingEvent(radio: AirRadio, reschedule: boolean): void {
    const adv = radio.advertising();
    if (!adv || !radio.powered) {
      this.stopAdvertising(radio);
      return;
    }
    this.deliverAdvertising(radio, [...this.radios]);
    // On a virtual clock advertising is heard when it starts and whenever a scanner starts listening or
    // radio conditions change, never on a timer that would keep a virtual clock jumping for ever.
    if (reschedule && radio.advertising() && !this.clock.virtual) {
      const t = this.clock.setTimeout(() => this.advertisingEvent(radio, true), adv.intervalMs);
      this.advertisingTimers.set(radio, t);
    }
  }

  private deliverAdvertising(advertiser: AirRadio, listeners: AirRadio[]): void {
    for (const listener of listeners) {
      const adv = advertiser.advertising();
      if (!adv) return;
      if (listener === advertiser || !this.canHear(advertiser, listener)) continue;
      const connectable =
        adv.type === AdvertisingType.AdvInd || adv.type === AdvertisingType.AdvDirectIndHigh;
      const init = listener.initiating();
      if (init && connectable && init.peerAddress === advertiser.address) {
        this.connect(listener, advertiser, init.params);
        continue;
      }
      const scan = listener.scanning();
      if (!scan) continue;
      const rssi = this.rssi(advertiser, listener);
      const base = { addressType: advertiser.addressType, address: advertiser.address, rssi };
      listener.receiveAdvertisingReport({ ...base, eventType: adv.type, data: adv.data });
      const scannable = adv.type === AdvertisingType.AdvInd || adv.type === AdvertisingType.AdvScanInd;
      if (scan.active && scannable) {
        listener.receiveAdvertisingReport({
          ...base,
          eventType: ReportEventType.ScanRsp,
          data: adv.scanResponse,
        });
      }
    }
  }

  private connect(central: AirRadio, peripheral: AirRadio, params: ConnectionParameters): void {
    this.stopAdvertising(peripheral);
    const link = new Link(this, central, peripheral, params);
    this.links.add(link);
    // The peripheral learns of the connection on CONNECT_IND, the central on sending it: same instant.
    link.handles.set(peripheral, peripheral.connected(link, 1));
    link.handles.set(central, central.connected(link, 0));
  }
}
