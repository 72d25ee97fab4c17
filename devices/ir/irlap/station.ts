/**
 * An IrLAP station (IrLAP 1.1 §6, §9): discovery, connection setup with negotiation, normal response
 * mode data transfer with a sliding window and poll/final turns, retransmission on the F-timer, the
 * WD-timer of the secondary, DISC/DM/RD and FRMR. The station that discovers and connects is the
 * primary; the one that answers is the secondary. Time comes only from the injected Clock.
 */
import type { Clock, TimerHandle } from '../../../firmware-sim/clock.js';
import {
  BROADCAST_CONNECTION_ADDRESS,
  BROADCAST_DEVICE_ADDRESS,
  encodeDiscoveryInfo,
  encodeIrlapFrame,
  parseDiscoveryInfo,
  parseIrlapFrame,
  type DiscoveryInfo,
  type IrlapFrame,
  type SupervisoryType,
  type XidFrame,
} from './frame.js';
import { defaultQos, negotiate, type IrlapQos, type NegotiatedQos } from './params.js';

/** The speed of discovery and connection setup (IrLAP §6.6.1). */
export const CONTENTION_BAUD = 9600;

export interface DiscoveredDevice {
  address: number;
  info: DiscoveryInfo;
}

export type IrlapDisconnectReason =
  'local' | 'peer' | 'link-timeout' | 'dm' | 'frmr' | 'negotiation-failed' | 'no-answer';

export interface IrlapUser {
  /** The information field of an in-sequence I frame. */
  dataIndication(info: Uint8Array): void;
  unitdataIndication?(info: Uint8Array): void;
  /** Secondary: a primary connected. */
  connectIndication?(peer: number, qos: NegotiatedQos): void;
  disconnectIndication?(reason: IrlapDisconnectReason): void;
  /** Secondary: a primary's final XID (it now knows us). */
  discoveryIndication?(primary: DiscoveredDevice): void;
}

export interface LineSetting {
  baudRate: number;
  additionalBofs: number;
}

export interface IrlapTiming {
  /** Discovery slot length. */
  slotMs: number;
  /** Added to the peer's maximum turnaround for the F-timer. */
  fTimerExtraMs: number;
  /** How long an idle primary waits before polling again. */
  idlePollMs: number;
  /** SNRM and DISC retries before giving up. */
  setupRetries: number;
}

export const DEFAULT_TIMING: IrlapTiming = {
  slotMs: 80,
  fTimerExtraMs: 200,
  idlePollMs: 100,
  setupRetries: 12,
};

export interface IrlapStationOptions {
  clock: Clock;
  deviceAddress: number;
  discoveryInfo: DiscoveryInfo;
  qos?: IrlapQos;
  /** Dice for discovery slots and connection addresses (a seeded PRNG in tests). */
  random: () => number;
  /** Hand an encoded frame (no FCS) to the physical layer, to be sent at this line setting. */
  transmit(frame: Uint8Array, line: LineSetting): void;
  timing?: Partial<IrlapTiming>;
}

export interface IrlapStats {
  framesIn: number;
  framesOut: number;
  /** Frames the station could not decode or did not expect. */
  ignored: number;
  iFramesSent: number;
  retransmitted: number;
  fTimerExpired: number;
  rejSent: number;
  frmrSent: number;
}

type State = 'ndm' | 'discovery' | 'setup' | 'nrm-p' | 'nrm-s' | 'closing';

interface Sent {
  ns: number;
  info: Uint8Array;
}

const mod8 = (n: number): number => ((n % 8) + 8) % 8;

export class IrlapStation {
  user: IrlapUser = { dataIndication: () => undefined };
  readonly stats: IrlapStats = {
    framesIn: 0,
    framesOut: 0,
    ignored: 0,
    iFramesSent: 0,
    retransmitted: 0,
    fTimerExpired: 0,
    rejSent: 0,
    frmrSent: 0,
  };
  readonly deviceAddress: number;
  readonly ownQos: IrlapQos;
  private readonly clock: Clock;
  private readonly timing: IrlapTiming;
  private readonly random: () => number;
  private readonly discoveryInfoBytes: Uint8Array;
  private state: State = 'ndm';
  private line: LineSetting = { baudRate: CONTENTION_BAUD, additionalBofs: 0 };
  private negotiated: NegotiatedQos | undefined;
  private caddr = BROADCAST_CONNECTION_ADDRESS;
  private peer = 0;
  private vs = 0;
  private vr = 0;
  private unacked: Sent[] = [];
  private queue: Uint8Array[] = [];
  private rejectPending = false;
  private peerBusy = false;
  private gotDataThisTurn = false;
  private discRequested = false;
  private frmrCondition: IrlapFrame | undefined;
  private retries = 0;
  /** Line bytes sent since the F-timer last started: the poll only counts once it has left the line. */
  private txBytes = 0;
  /** N(S) of frames acknowledged lately: an N(R) naming one of them is stale, not invalid. */
  private recentlyAcked: number[] = [];
  private fTimer: TimerHandle | undefined;
  private pTimer: TimerHandle | undefined;
  private wdTimer: TimerHandle | undefined;
  private slotTimer: TimerHandle | undefined;
  // Discovery, primary side.
  private discovery:
    | {
        slots: 1 | 6 | 8 | 16;
        slot: number;
        found: Map<number, DiscoveredDevice>;
        done: (d: DiscoveredDevice[]) => void;
      }
    | undefined;
  // Discovery, secondary side.
  private answer: { chosen: number; lastSlot: number; responded: boolean } | undefined;
  private pendingConnect: { resolve: (q: NegotiatedQos) => void; reject: (e: Error) => void } | undefined;
  private pendingDisconnect: (() => void)[] = [];

  constructor(private readonly options: IrlapStationOptions) {
    this.clock = options.clock;
    this.deviceAddress = options.deviceAddress >>> 0;
    this.ownQos = options.qos ?? defaultQos();
    this.random = options.random;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.discoveryInfoBytes = encodeDiscoveryInfo(options.discoveryInfo);
  }

  get connected(): boolean {
    return this.state === 'nrm-p' || this.state === 'nrm-s';
  }

  get role(): 'primary' | 'secondary' | undefined {
    return this.state === 'nrm-p' || this.state === 'closing'
      ? 'primary'
      : this.state === 'nrm-s'
        ? 'secondary'
        : undefined;
  }

  get qos(): NegotiatedQos | undefined {
    return this.negotiated;
  }

  get lineSetting(): LineSetting {
    return { ...this.line };
  }

  /** The longest information field `send` accepts. */
  get maxData(): number {
    return this.negotiated?.txDataSize ?? 64;
  }

  /** Frames waiting to be sent or acknowledged. */
  get backlog(): number {
    return this.queue.length + this.unacked.length;
  }

  // ---- Primary services -------------------------------------------------------------------------

  /** Run one discovery (XID slots, then the final XID with our own information). */
  discover(slots: 1 | 6 | 8 | 16 = 6): Promise<DiscoveredDevice[]> {
    if (this.state !== 'ndm')
      return Promise.reject(new Error(`IrLAP: cannot discover in state ${this.state}`));
    return new Promise((done) => {
      this.state = 'discovery';
      this.discovery = { slots, slot: 0, found: new Map(), done };
      this.sendXidSlot();
    });
  }

  /** Connect to a discovered device as primary: SNRM with our parameters, UA with the peer's. */
  connect(peerAddress: number): Promise<NegotiatedQos> {
    if (this.state !== 'ndm')
      return Promise.reject(new Error(`IrLAP: cannot connect in state ${this.state}`));
    return new Promise((resolve, reject) => {
      this.pendingConnect = { resolve, reject };
      this.state = 'setup';
      this.peer = peerAddress >>> 0;
      this.caddr = 1 + Math.floor(this.random() * 0x7e);
      this.retries = 0;
      this.sendSnrm();
    });
  }

  /** Queue an I-frame payload (at most `maxData` bytes). Returns false when not connected. */
  send(info: Uint8Array): boolean {
    if (!this.connected) return false;
    if (info.length > this.maxData)
      throw new RangeError(`IrLAP: ${info.length} bytes exceed the data size ${this.maxData}`);
    this.queue.push(Uint8Array.from(info));
    this.kickPrimary();
    return true;
  }

  /** Primary: DISC once queued data is acknowledged. Secondary: ask the primary with RD. */
  disconnect(): Promise<void> {
    if (this.state === 'ndm') return Promise.resolve();
    return new Promise((resolve) => {
      this.pendingDisconnect.push(resolve);
      this.discRequested = true;
      this.kickPrimary();
    });
  }

  /** Drop the link at once, as a device walking out of the beam (no frames sent). */
  reset(reason: IrlapDisconnectReason = 'local'): void {
    this.toNdm(reason);
  }

  // ---- Receiving --------------------------------------------------------------------------------

  /** One frame from the SIR layer (FCS already checked and removed). */
  receive(bytes: Uint8Array): void {
    this.stats.framesIn++;
    const parsed = parseIrlapFrame(bytes);
    if (!parsed.ok) {
      this.onMalformed(parsed);
      return;
    }
    const f = parsed.frame;
    switch (this.state) {
      case 'ndm':
        return this.ndmReceive(f);
      case 'discovery':
        return this.discoveryReceive(f);
      case 'setup':
        return this.setupReceive(f);
      case 'nrm-p':
      case 'closing':
        return this.primaryReceive(f);
      case 'nrm-s':
        return this.secondaryReceive(f);
    }
  }

  private onMalformed(p: { control?: number; address?: number; command?: boolean; frmr?: 'w' | 'x' }): void {
    this.stats.ignored++;
    // Only a connected secondary answers a bad command with FRMR (IrLAP §6.7.1); everything else is ignored.
    if (this.state !== 'nrm-s' || p.control === undefined || p.address !== this.caddr || !p.command) return;
    this.frmrCondition = {
      kind: 'FRMR',
      address: this.caddr,
      command: false,
      pf: true,
      rejectedControl: p.control,
      vs: this.vs,
      vr: this.vr,
      rejectedCommand: true,
      w: p.frmr === 'w',
      x: p.frmr === 'x',
      y: false,
      z: false,
    };
    this.restartWd();
    if (p.control & 0x10) this.sendFrmr();
  }

  private ndmReceive(f: IrlapFrame): void {
    if (f.kind === 'XID' && f.command) return this.answerXid(f);
    if (f.kind === 'SNRM' && f.command) {
      if (f.destination !== this.deviceAddress && f.destination !== BROADCAST_DEVICE_ADDRESS) return;
      return this.acceptSnrm(f.source, f.connectionAddress, f.qos);
    }
    if (f.kind === 'UI') return this.user.unitdataIndication?.(f.info);
    if (f.kind === 'TEST' && f.command && f.pf) {
      return this.emit({ kind: 'TEST', address: f.address, command: false, pf: true, info: f.info });
    }
    if (f.command && f.pf && f.address !== BROADCAST_CONNECTION_ADDRESS) {
      // A primary still polling a link we dropped: tell it we are disconnected.
      return this.emit({ kind: 'DM', address: f.address, command: false, pf: true, info: new Uint8Array(0) });
    }
    this.stats.ignored++;
  }

  private answerXid(f: XidFrame): void {
    if (f.destination !== BROADCAST_DEVICE_ADDRESS && f.destination !== this.deviceAddress) return;
    if (f.slot === 0xff) {
      this.answer = undefined;
      const info = parseDiscoveryInfo(f.discoveryInfo);
      if (info) this.user.discoveryIndication?.({ address: f.source, info });
      return;
    }
    if (!this.answer || f.slot <= this.answer.lastSlot) {
      this.answer = { chosen: Math.floor(this.random() * f.slots), lastSlot: f.slot, responded: false };
    }
    this.answer.lastSlot = f.slot;
    if (this.answer.responded || f.slot !== this.answer.chosen) return;
    this.answer.responded = true;
    this.emit({
      kind: 'XID',
      address: BROADCAST_CONNECTION_ADDRESS,
      command: false,
      pf: true,
      source: this.deviceAddress,
      destination: f.source,
      slots: f.slots,
      newAddress: false,
      slot: f.slot,
      version: 0,
      discoveryInfo: this.discoveryInfoBytes,
    });
  }

  private acceptSnrm(primary: number, caddr: number, peerQos: IrlapQos): void {
    const n = negotiate(this.ownQos, peerQos);
    if (!n.ok) {
      return this.emit({ kind: 'DM', address: caddr, command: false, pf: true, info: new Uint8Array(0) });
    }
    this.resetLinkState();
    this.peer = primary >>> 0;
    this.caddr = caddr;
    this.negotiated = n.qos;
    this.emit({
      kind: 'UA',
      address: caddr,
      command: false,
      pf: true,
      connection: { source: this.deviceAddress, destination: this.peer, qos: this.ownQos },
    });
    // The UA goes out at the contention speed; everything after it at the negotiated one.
    this.line = { baudRate: n.qos.baudRate, additionalBofs: n.qos.txAdditionalBofs };
    this.state = 'nrm-s';
    this.restartWd();
    this.user.connectIndication?.(this.peer, n.qos);
  }

  private discoveryReceive(f: IrlapFrame): void {
    const d = this.discovery;
    if (!d || f.kind !== 'XID' || f.command || f.destination !== this.deviceAddress) {
      this.stats.ignored++;
      return;
    }
    const info = parseDiscoveryInfo(f.discoveryInfo);
    if (info) d.found.set(f.source, { address: f.source, info });
  }

  private setupReceive(f: IrlapFrame): void {
    if (f.command || f.address !== this.caddr) {
      this.stats.ignored++;
      return;
    }
    if (f.kind === 'DM') {
      this.failConnect('dm');
      return;
    }
    if (f.kind !== 'UA' || !f.connection || f.connection.source !== this.peer) {
      this.stats.ignored++;
      return;
    }
    const n = negotiate(this.ownQos, f.connection.qos);
    this.clock.clearTimeout(this.fTimer);
    if (!n.ok) {
      this.failConnect('negotiation-failed');
      return;
    }
    this.resetLinkState();
    this.negotiated = n.qos;
    this.line = { baudRate: n.qos.baudRate, additionalBofs: n.qos.txAdditionalBofs };
    this.state = 'nrm-p';
    const pending = this.pendingConnect;
    this.pendingConnect = undefined;
    pending?.resolve(n.qos);
    this.primaryTurn();
  }

  private failConnect(reason: IrlapDisconnectReason): void {
    const pending = this.pendingConnect;
    this.pendingConnect = undefined;
    this.toNdm(reason, false);
    pending?.reject(new Error(`IrLAP connection failed: ${reason}`));
  }

  private primaryReceive(f: IrlapFrame): void {
    if (f.command || f.address !== this.caddr) {
      this.stats.ignored++;
      return;
    }
    if (this.state === 'closing') {
      if ((f.kind === 'UA' || f.kind === 'DM') && f.pf) this.toNdm(this.closeReason);
      return;
    }
    switch (f.kind) {
      case 'DM':
        return this.toNdm('dm');
      case 'FRMR':
        // The secondary cannot go on: reset the link by disconnecting (IrLAP §6.7.2).
        this.discRequested = true;
        this.clock.clearTimeout(this.fTimer);
        this.frmrSeen = true;
        this.closeReason = 'frmr';
        this.sendDisc();
        return;
      case 'RD':
        this.closeReason = 'peer';
        this.discRequested = true;
        this.clock.clearTimeout(this.fTimer);
        return this.sendDisc();
      default:
        break;
    }
    if (!this.dataReceive(f)) return this.resetPrimary();
    if (!f.pf) return;
    this.clock.clearTimeout(this.fTimer);
    this.fTimer = undefined;
    this.retries = 0;
    if (this.queue.length || this.unacked.length || this.discRequested || this.gotDataThisTurn)
      this.primaryTurn();
    else this.pTimer = this.clock.setTimeout(() => this.primaryTurn(), this.timing.idlePollMs);
  }

  private frmrSeen = false;
  /** Why the link is being closed, reported once the DISC is answered. */
  private closeReason: IrlapDisconnectReason = 'local';

  private resetPrimary(): void {
    this.discRequested = true;
    this.clock.clearTimeout(this.fTimer);
    this.sendDisc();
  }

  private secondaryReceive(f: IrlapFrame): void {
    if (!f.command || (f.address !== this.caddr && f.address !== BROADCAST_CONNECTION_ADDRESS)) {
      this.stats.ignored++;
      return;
    }
    if (f.address === BROADCAST_CONNECTION_ADDRESS) {
      // Another primary's discovery or a repeated SNRM after our UA was lost.
      if (f.kind === 'SNRM' && f.source === this.peer && f.destination === this.deviceAddress) {
        // The primary starts over: whatever ran above the old link is gone.
        this.toNdm('peer');
        this.acceptSnrm(f.source, f.connectionAddress, f.qos);
      } else this.stats.ignored++;
      return;
    }
    this.restartWd();
    if (f.kind === 'DISC') {
      this.emit({ kind: 'UA', address: this.caddr, command: false, pf: true });
      return this.toNdm('peer');
    }
    if (this.frmrCondition) {
      if (f.pf) this.sendFrmr();
      return;
    }
    if (f.kind === 'I' && f.info.length > (this.negotiated?.rxDataSize ?? 64)) {
      this.frmrCondition = this.frmr(f, { y: true });
      if (f.pf) this.sendFrmr();
      return;
    }
    if (f.kind === 'UI') {
      this.user.unitdataIndication?.(f.info);
    } else if (f.kind === 'TEST') {
      // Answering would take a turn: ignored in NRM.
    } else if (!this.dataReceive(f)) {
      this.frmrCondition = this.frmr(f, { z: true });
      if (f.pf) this.sendFrmr();
      return;
    } else if (
      f.kind !== 'I' &&
      f.kind !== 'RR' &&
      f.kind !== 'RNR' &&
      f.kind !== 'REJ' &&
      f.kind !== 'SREJ'
    ) {
      this.stats.ignored++;
    }
    if (f.pf) this.secondaryTurn();
  }

  private frmr(f: IrlapFrame, why: { y?: boolean; z?: boolean }): IrlapFrame {
    return {
      kind: 'FRMR',
      address: this.caddr,
      command: false,
      pf: true,
      rejectedControl: encodeIrlapFrame(f)[1]!,
      vs: this.vs,
      vr: this.vr,
      rejectedCommand: f.command,
      w: false,
      x: false,
      y: why.y ?? false,
      z: why.z ?? false,
    };
  }

  private sendFrmr(): void {
    if (!this.frmrCondition) return;
    this.stats.frmrSent++;
    this.emit(this.frmrCondition);
  }

  /** I and S frames in NRM; false when N(R) is impossible (an FRMR or reset condition). */
  private dataReceive(f: IrlapFrame): boolean {
    if (f.kind === 'I' || f.kind === 'RR' || f.kind === 'RNR' || f.kind === 'REJ' || f.kind === 'SREJ') {
      if (!this.acknowledge(f.nr)) return false;
      if (f.kind === 'RNR') this.peerBusy = true;
      else if (f.kind !== 'I') this.peerBusy = false;
    }
    if (f.kind === 'I') {
      if (f.ns === this.vr) {
        this.vr = mod8(this.vr + 1);
        this.gotDataThisTurn = true;
        this.user.dataIndication(f.info);
      } else {
        this.rejectPending = true;
      }
    }
    return true;
  }

  /**
   * Release frames up to N(R); false when N(R) acknowledges a frame never sent. A late answer to a poll
   * the primary already repeated carries an N(R) from before the last acknowledgement: it is ignored.
   */
  private acknowledge(nr: number): boolean {
    const va = this.unacked.length ? this.unacked[0]!.ns : this.vs;
    const acked = mod8(nr - va);
    if (acked > this.unacked.length) return this.recentlyAcked.includes(nr);
    if (acked > 0) {
      const released = this.unacked.splice(0, acked).map((s) => s.ns);
      this.recentlyAcked = [...this.recentlyAcked, ...released].slice(-7);
    }
    return true;
  }

  // ---- Turns ------------------------------------------------------------------------------------

  private kickPrimary(): void {
    if (this.state === 'nrm-p' && this.pTimer) {
      this.clock.clearTimeout(this.pTimer);
      this.pTimer = undefined;
      this.primaryTurn();
    }
  }

  private primaryTurn(): void {
    this.pTimer = undefined;
    if (this.state !== 'nrm-p') return;
    if (this.discRequested && (this.frmrSeen || (this.queue.length === 0 && this.unacked.length === 0))) {
      return this.sendDisc();
    }
    this.sendWindow();
    this.startFTimer(() => this.pollAgain());
  }

  private secondaryTurn(): void {
    if (this.discRequested && this.queue.length === 0 && this.unacked.length === 0) {
      this.emit({ kind: 'RD', address: this.caddr, command: false, pf: true, info: new Uint8Array(0) });
      return;
    }
    this.sendWindow();
  }

  /** Go back to N(R): resend what the peer lacks, then new frames, up to the window; P/F on the last. */
  private sendWindow(): void {
    const command = this.state === 'nrm-p';
    const window = this.negotiated?.txWindow ?? 1;
    const frames: IrlapFrame[] = [];
    if (!this.peerBusy) {
      for (const s of this.unacked) {
        if (frames.length >= window) break;
        this.stats.retransmitted++;
        frames.push(this.iFrame(s, command));
      }
      while (this.queue.length && this.unacked.length < window) {
        const s = { ns: this.vs, info: this.queue.shift()! };
        this.vs = mod8(this.vs + 1);
        this.unacked.push(s);
        frames.push(this.iFrame(s, command));
      }
    }
    if (frames.length === 0) {
      const kind: SupervisoryType = this.rejectPending ? 'REJ' : 'RR';
      if (this.rejectPending) this.stats.rejSent++;
      frames.push({ kind, address: this.caddr, command, pf: false, nr: this.vr });
    }
    frames[frames.length - 1]!.pf = true;
    this.rejectPending = false;
    this.gotDataThisTurn = false;
    for (const f of frames) {
      if (f.kind === 'I') {
        this.stats.iFramesSent++;
        f.nr = this.vr; // acknowledge everything received so far, also in retransmissions
      }
      this.emit(f);
    }
  }

  private iFrame(s: Sent, command: boolean): IrlapFrame {
    return { kind: 'I', address: this.caddr, command, pf: false, ns: s.ns, nr: this.vr, info: s.info };
  }

  private pollAgain(): void {
    this.stats.fTimerExpired++;
    if (this.giveUp()) return this.toNdm('link-timeout');
    this.emit({ kind: 'RR', address: this.caddr, command: true, pf: true, nr: this.vr });
    this.startFTimer(() => this.pollAgain());
  }

  /** N2: the link is gone once retries have lasted the negotiated disconnect threshold. */
  private giveUp(): boolean {
    this.retries++;
    return this.retries * this.fTimerMs() >= (this.negotiated?.linkDisconnectMs ?? 3000);
  }

  private fTimerMs(): number {
    return (this.negotiated?.peerMaxTurnTimeMs ?? 500) + this.timing.fTimerExtraMs;
  }

  private startFTimer(fn: () => void): void {
    this.clock.clearTimeout(this.fTimer);
    const lineMs = (this.txBytes * 10 * 1000) / this.line.baudRate;
    this.txBytes = 0;
    this.fTimer = this.clock.setTimeout(fn, this.fTimerMs() + lineMs);
  }

  private restartWd(): void {
    this.clock.clearTimeout(this.wdTimer);
    this.wdTimer = this.clock.setTimeout(
      () => this.toNdm('link-timeout'),
      this.negotiated?.linkDisconnectMs ?? 3000,
    );
  }

  private sendXidSlot(): void {
    const d = this.discovery;
    if (!d) return;
    if (d.slot >= d.slots) {
      this.emit(this.xidCommand(d.slots, 0xff, this.discoveryInfoBytes));
      this.discovery = undefined;
      this.state = 'ndm';
      d.done([...d.found.values()]);
      return;
    }
    this.emit(this.xidCommand(d.slots, d.slot, new Uint8Array(0)));
    d.slot++;
    this.slotTimer = this.clock.setTimeout(() => this.sendXidSlot(), this.timing.slotMs);
  }

  private xidCommand(slots: 1 | 6 | 8 | 16, slot: number, info: Uint8Array): IrlapFrame {
    return {
      kind: 'XID',
      address: BROADCAST_CONNECTION_ADDRESS,
      command: true,
      pf: true,
      source: this.deviceAddress,
      destination: BROADCAST_DEVICE_ADDRESS,
      slots,
      newAddress: false,
      slot,
      version: 0,
      discoveryInfo: info,
    };
  }

  private sendSnrm(): void {
    if (this.retries++ > this.timing.setupRetries) return this.failConnect('no-answer');
    this.emit({
      kind: 'SNRM',
      address: BROADCAST_CONNECTION_ADDRESS,
      command: true,
      pf: true,
      source: this.deviceAddress,
      destination: this.peer,
      connectionAddress: this.caddr,
      qos: this.ownQos,
    });
    this.startFTimer(() => this.sendSnrm());
  }

  private sendDisc(): void {
    if (this.state !== 'closing') this.retries = 0;
    this.state = 'closing';
    if (this.retries++ > this.timing.setupRetries) return this.toNdm(this.frmrSeen ? 'frmr' : 'link-timeout');
    this.emit({ kind: 'DISC', address: this.caddr, command: true, pf: true, info: new Uint8Array(0) });
    this.startFTimer(() => this.sendDisc());
  }

  private resetLinkState(): void {
    this.vs = 0;
    this.vr = 0;
    this.unacked = [];
    this.queue = [];
    this.rejectPending = false;
    this.peerBusy = false;
    this.discRequested = false;
    this.frmrCondition = undefined;
    this.frmrSeen = false;
    this.retries = 0;
    this.gotDataThisTurn = false;
    this.txBytes = 0;
    this.recentlyAcked = [];
  }

  private toNdm(reason: IrlapDisconnectReason, notify = true): void {
    const wasConnected = this.state === 'nrm-p' || this.state === 'nrm-s' || this.state === 'closing';
    for (const t of [this.fTimer, this.pTimer, this.wdTimer, this.slotTimer]) this.clock.clearTimeout(t);
    this.fTimer = this.pTimer = this.wdTimer = this.slotTimer = undefined;
    const reasonSeen = reason;
    this.closeReason = 'local';
    this.state = 'ndm';
    this.line = { baudRate: CONTENTION_BAUD, additionalBofs: 0 };
    this.negotiated = undefined;
    this.resetLinkState();
    this.discovery = undefined;
    if (this.pendingConnect) {
      const p = this.pendingConnect;
      this.pendingConnect = undefined;
      p.reject(new Error(`IrLAP connection failed: ${reasonSeen}`));
    }
    for (const r of this.pendingDisconnect.splice(0)) r();
    if (notify && wasConnected) this.user.disconnectIndication?.(reasonSeen);
  }

  private emit(f: IrlapFrame): void {
    this.stats.framesOut++;
    const bytes = encodeIrlapFrame(f);
    // BOF, FCS, EOF and extra BOFs; escapes are rare enough to leave to the timer's margin.
    this.txBytes += bytes.length + 4 + this.line.additionalBofs;
    this.options.transmit(bytes, { ...this.line });
  }
}
