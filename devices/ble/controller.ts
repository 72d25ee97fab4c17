/**
 * A virtual LE controller: the HCI (commands, events, ACL data) that noble and bleno drive, on top of the
 * shared air. Hosts attach as H4 channels (the seam's sockets, an H4 export); like Linux raw sockets,
 * every channel sees every event. Commands are queued and answered in order, whatever
 * Num_HCI_Command_Packets said, because neither stack waits for credits. Events reach hosts
 * asynchronously, never inside the host's own write call.
 *
 * Keys: on a Linux machine the kernel answers LE Long Term Key Request for bleno from the keys bleno
 * loaded over the management socket. The controller plays that kernel part: keys given to
 * `loadLongTermKeys` (the seam's control socket passes bleno's MGMT_OP_LOAD_LONG_TERM_KEYS here) are
 * looked up by peer address, EDIV and Rand, and the reply is sent as the kernel would send it.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../firmware-sim/clock.js';
import type { Air, AirRadio, ConnectionParameters, Link, LlPdu, Position } from './air.js';
import { decodeCommand, type CommandOf, type HciCommand } from './hci/commands.js';
import { HciStatus, LeSubevent, Opcode, PacketBoundary } from './hci/constants.js';
import { leEncrypt, leRand } from './hci/crypto.js';
import { encodeEvent, type AdvertisingReport, type HciEvent } from './hci/events.js';
import { addressToBytes, isAddress } from './hci/fields.js';
import { encodeH4, parseH4 } from './hci/packets.js';

export type TraceDirection = 'toController' | 'toHost';

export interface TraceRecord {
  direction: TraceDirection;
  packet: Buffer;
  /** Set for packets the controller sent on the host's behalf (the kernel's LTK reply). */
  comment?: string;
}

export interface LongTermKey {
  /** Peer (central) address, most significant octet first. */
  address: string;
  addressType: number;
  encryptedDiversifier: number;
  /** 8 octets as on the wire. */
  randomNumber: Buffer;
  /** 16 octets as on the wire. */
  longTermKey: Buffer;
}

export interface VirtualControllerOptions {
  air: Air;
  /** Public device address, most significant octet first (aa:bb:cc:dd:ee:ff). */
  address: string;
  position?: Position;
  /** LE ACL Data Packet Length / Total Num (LE Read Buffer Size). */
  aclBufferLength?: number;
  aclBufferCount?: number;
  /** Label for captures and logs. */
  name?: string;
}

export interface HostChannel {
  /** A packet from the host (one H4 packet). */
  write(h4: Uint8Array): void;
  detach(): void;
}

export interface ControllerStats {
  commands: number;
  rejectedCommands: number;
  aclFromHost: number;
  discardedAcl: number;
}

interface Connection {
  handle: number;
  link: Link;
  role: 0 | 1;
  peer: AirRadio;
  encrypted: boolean;
  /** Central side: the key it started encryption with, until the peer answers. */
  pendingKey?: Buffer;
  /** ACL packets given to the air and not yet acknowledged (Number Of Completed Packets). */
  inFlight: number;
}

const DEFAULT_EVENT_MASK = Buffer.from('ffffffffff1f0000', 'hex');
const DEFAULT_LE_EVENT_MASK = Buffer.from('1f00000000000000', 'hex');
/** HCI and LMP version 0x09 = Core 5.0; 0xffff is the company identifier reserved for tests. */
const LOCAL_VERSION = {
  hciVersion: 0x09,
  hciRevision: 0x0000,
  lmpVersion: 0x09,
  manufacturer: 0xffff,
  subversion: 0,
};
/** Disconnect reasons a host may give (Vol 4 Part E 7.1.6). */
const DISCONNECT_REASONS = new Set([0x05, 0x13, 0x14, 0x15, 0x1a, 0x29, 0x3b]);

function bit(mask: Buffer, n: number): boolean {
  return ((mask[n >> 3] ?? 0) & (1 << (n & 7))) !== 0;
}

export class VirtualController extends EventEmitter implements AirRadio {
  readonly air: Air;
  readonly clock: Clock;
  readonly address: string;
  readonly addressType = 0;
  readonly name: string;
  readonly aclBufferLength: number;
  readonly aclBufferCount: number;
  position: Position;
  readonly stats: ControllerStats = { commands: 0, rejectedCommands: 0, aclFromHost: 0, discardedAcl: 0 };

  private on_ = true;
  private channels = new Set<(h4: Buffer) => void>();
  private inbox: { h4: Buffer; comment?: string }[] = [];
  private outbox: { h4: Buffer; comment?: string }[] = [];
  private pump: NodeJS.Immediate | undefined;
  private eventMask: Buffer = Buffer.from(DEFAULT_EVENT_MASK);
  private leEventMask: Buffer = Buffer.from(DEFAULT_LE_EVENT_MASK);
  private randomAddress: string | undefined;
  private adv: { intervalMs: number; type: number; data: Buffer; scanResponse: Buffer; enabled: boolean } = {
    intervalMs: 100,
    type: 0,
    data: Buffer.alloc(0),
    scanResponse: Buffer.alloc(0),
    enabled: false,
  };
  private scan = {
    active: false,
    intervalMs: 10,
    enabled: false,
    filterDuplicates: false,
    seen: new Set<string>(),
  };
  private initiate: { peerAddress: string; params: ConnectionParameters } | undefined;
  private readonly connections = new Map<number, Connection>();
  private nextHandle = 0x0040;
  private keys: LongTermKey[] = [];

  constructor(options: VirtualControllerOptions) {
    super();
    if (!isAddress(options.address))
      throw new RangeError(`controller address: not a BD_ADDR: ${options.address}`);
    this.air = options.air;
    this.clock = options.air.clock;
    this.address = options.address.toLowerCase();
    this.position = options.position ?? { x: 0, y: 0 };
    this.aclBufferLength = options.aclBufferLength ?? 27;
    this.aclBufferCount = options.aclBufferCount ?? 8;
    this.name = options.name ?? this.address;
    this.air.attach(this);
  }

  // ---- host side -------------------------------------------------------------------------------------

  /** Attach a host: `sink` receives every H4 packet the controller sends to hosts. */
  attachHost(sink: (h4: Buffer) => void): HostChannel {
    this.channels.add(sink);
    return {
      write: (h4) => this.fromHost(Buffer.from(h4)),
      detach: () => {
        this.channels.delete(sink);
      },
    };
  }

  get powered(): boolean {
    return this.on_;
  }

  /** Power off: links drop without a word (the peer sees a supervision timeout); hosts see the device down. */
  powerOff(): void {
    if (!this.on_) return;
    this.on_ = false;
    this.dropEverything();
    this.air.changed();
  }

  powerOn(): void {
    if (this.on_) return;
    this.on_ = true;
    this.air.changed();
  }

  /** Remove the controller from the bench: powered off, off the air, hosts detached. */
  close(): void {
    this.powerOff();
    this.air.detach(this);
    this.channels.clear();
    if (this.pump) clearImmediate(this.pump);
    this.pump = undefined;
  }

  moveTo(position: Position): void {
    this.position = { ...position };
    this.air.changed();
  }

  /**
   * Keys the host loaded the way Linux's management interface takes them: replaces the list, and, as the
   * kernel's hci_add_ltk does, a later key for the same peer replaces an earlier one (bleno appends each
   * new pairing's key to the list it loads, so after a second pairing the first key must not answer).
   */
  loadLongTermKeys(keys: LongTermKey[]): void {
    const byPeer = new Map<string, LongTermKey>();
    for (const k of keys) {
      const address = k.address.toLowerCase();
      byPeer.set(`${address}/${k.addressType}`, { ...k, address });
    }
    this.keys = [...byPeer.values()];
  }

  get longTermKeys(): readonly LongTermKey[] {
    return this.keys;
  }

  /** Connection handles and their peers, for the control API. */
  listConnections(): { handle: number; role: 'central' | 'peripheral'; peer: string; encrypted: boolean }[] {
    return [...this.connections.values()].map((c) => ({
      handle: c.handle,
      role: c.role === 0 ? 'central' : 'peripheral',
      peer: c.peer.address,
      encrypted: c.encrypted,
    }));
  }

  private fromHost(h4: Buffer, comment?: string): void {
    this.trace({ direction: 'toController', packet: h4, ...(comment ? { comment } : {}) });
    if (!this.on_) return;
    this.inbox.push(comment ? { h4, comment } : { h4 });
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pump) return;
    this.pump = setImmediate(() => {
      this.pump = undefined;
      this.clock.touch();
      // Commands are handled one by one, in order; what they produce goes out before the next one.
      const inbox = this.inbox;
      this.inbox = [];
      for (const item of inbox) {
        this.handleHostPacket(item.h4);
        this.flush();
      }
      this.flush();
    });
  }

  private flush(): void {
    const out = this.outbox;
    this.outbox = [];
    for (const item of out) {
      this.trace({
        direction: 'toHost',
        packet: item.h4,
        ...(item.comment ? { comment: item.comment } : {}),
      });
      for (const sink of [...this.channels]) sink(item.h4);
    }
  }

  private toHost(h4: Buffer): void {
    if (!this.on_) return;
    this.outbox.push({ h4 });
    this.schedulePump();
  }

  private trace(record: TraceRecord): void {
    this.emit('trace', record);
  }

  private sendEvent(event: HciEvent): void {
    if (!this.eventEnabled(event)) return;
    this.toHost(encodeEvent(event));
  }

  /** Event Mask (Vol 4 Part E 7.3.1) and LE Event Mask (7.8.1) decide what reaches the host. */
  private eventEnabled(event: HciEvent): boolean {
    switch (event.name) {
      case 'DisconnectionComplete':
        return bit(this.eventMask, 4);
      case 'EncryptionChange':
        return bit(this.eventMask, 7);
      case 'DataBufferOverflow':
        return bit(this.eventMask, 24);
      case 'EncryptionKeyRefreshComplete':
        return bit(this.eventMask, 47);
      case 'LeConnectionComplete':
        return bit(this.eventMask, 61) && bit(this.leEventMask, LeSubevent.ConnectionComplete - 1);
      case 'LeAdvertisingReport':
        return bit(this.eventMask, 61) && bit(this.leEventMask, LeSubevent.AdvertisingReport - 1);
      case 'LeConnectionUpdateComplete':
        return bit(this.eventMask, 61) && bit(this.leEventMask, LeSubevent.ConnectionUpdateComplete - 1);
      case 'LeLongTermKeyRequest':
        return bit(this.eventMask, 61) && bit(this.leEventMask, LeSubevent.LongTermKeyRequest - 1);
      default:
        return true;
    }
  }

  private complete(opcode: number, status: number, ...rest: Buffer[]): void {
    this.sendEvent({
      name: 'CommandComplete',
      numHciCommandPackets: 1,
      commandOpcode: opcode,
      returnParameters: Buffer.concat([Buffer.from([status]), ...rest]),
    });
  }

  private status(opcode: number, status: number): void {
    this.sendEvent({ name: 'CommandStatus', status, numHciCommandPackets: 1, commandOpcode: opcode });
  }

  private handleHostPacket(h4: Buffer): void {
    const framed = parseH4(h4);
    if (!framed.ok) {
      this.stats.rejectedCommands++;
      if (framed.error.opcode !== undefined) this.reject(framed.error.opcode, framed.error.status);
      else if (h4[0] === 0x02 && h4.length >= 3) this.discardAcl(h4.readUInt16LE(1) & 0x0fff);
      return;
    }
    const packet = framed.packet;
    if (packet.type === 'acl') {
      this.aclFromHost(packet.handle, packet.packetBoundary, packet.data);
      return;
    }
    if (packet.type !== 'command') return; // events come from controllers, not hosts
    this.stats.commands++;
    const decoded = decodeCommand(packet.opcode, packet.params);
    if (!decoded.ok) {
      this.stats.rejectedCommands++;
      this.reject(decoded.opcode, decoded.status);
      return;
    }
    this.execute(packet.opcode, decoded.command);
  }

  /** Answer a command that cannot run the way its kind is answered: Command Status or Command Complete. */
  private reject(opcode: number, status: number): void {
    if (usesCommandStatus(opcode)) this.status(opcode, status);
    else if (opcode === Opcode.ReadRssi || opcode === Opcode.LeLongTermKeyRequestReply) {
      this.complete(opcode, status, Buffer.alloc(opcode === Opcode.ReadRssi ? 3 : 2));
    } else this.complete(opcode, status);
  }

  // ---- commands --------------------------------------------------------------------------------------

  private execute(op: number, c: HciCommand): void {
    const u16 = (n: number) => {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(n);
      return b;
    };
    switch (c.name) {
      case 'Reset':
        this.reset();
        return this.complete(op, 0);
      case 'SetEventMask':
        this.eventMask = c.eventMask;
        return this.complete(op, 0);
      case 'LeSetEventMask':
        this.leEventMask = c.leEventMask;
        return this.complete(op, 0);
      case 'ReadLeHostSupport':
        return this.complete(op, 0, Buffer.from([1, 0]));
      case 'WriteLeHostSupport':
      case 'LeSetDefaultPhy':
        return this.complete(op, 0);
      case 'ReadLocalVersionInformation': {
        const v = LOCAL_VERSION;
        const b = Buffer.alloc(8);
        b.writeUInt8(v.hciVersion, 0);
        b.writeUInt16LE(v.hciRevision, 1);
        b.writeUInt8(v.lmpVersion, 3);
        b.writeUInt16LE(v.manufacturer, 4);
        b.writeUInt16LE(v.subversion, 6);
        return this.complete(op, 0, b);
      }
      case 'ReadLocalSupportedCommands':
        return this.complete(op, 0, supportedCommands());
      case 'ReadLocalSupportedFeatures':
        // LE Supported (Controller), bit 38; BR/EDR Not Supported, bit 37.
        return this.complete(op, 0, Buffer.from([0, 0, 0, 0, 0x60, 0, 0, 0]));
      case 'ReadBufferSize': {
        const b = Buffer.alloc(7);
        b.writeUInt16LE(this.aclBufferLength, 0);
        b.writeUInt16LE(this.aclBufferCount, 3);
        return this.complete(op, 0, b);
      }
      case 'ReadBdAddr':
        return this.complete(op, 0, addressToBytes(this.address));
      case 'ReadRssi': {
        const conn = this.connections.get(c.handle);
        if (!conn)
          return this.complete(op, HciStatus.UnknownConnectionIdentifier, u16(c.handle), Buffer.from([0]));
        const rssi = this.air.rssi(conn.peer, this);
        return this.complete(op, 0, u16(c.handle), Buffer.from([rssi & 0xff]));
      }
      case 'LeReadBufferSize':
        return this.complete(op, 0, u16(this.aclBufferLength), Buffer.from([this.aclBufferCount]));
      case 'LeReadLocalSupportedFeatures':
        return this.complete(op, 0, Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 0])); // LE Encryption
      case 'LeReadSupportedStates':
        return this.complete(op, 0, Buffer.from('ff3f000000000000', 'hex'));
      case 'LeReadAdvertisingPhysicalChannelTxPower':
        return this.complete(op, 0, Buffer.from([this.air.model.txPowerDbm & 0xff]));
      case 'LeSetRandomAddress':
        this.randomAddress = c.randomAddress;
        return this.complete(op, 0);
      case 'LeSetAdvertisingParameters':
        return this.complete(op, this.setAdvertisingParameters(c));
      case 'LeSetAdvertisingData':
      case 'LeSetScanResponseData': {
        const length = c.name === 'LeSetAdvertisingData' ? c.advertisingDataLength : c.scanResponseDataLength;
        const data = c.name === 'LeSetAdvertisingData' ? c.advertisingData : c.scanResponseData;
        if (length > 31) return this.complete(op, HciStatus.InvalidHciCommandParameters);
        if (c.name === 'LeSetAdvertisingData') this.adv.data = Buffer.from(data.subarray(0, length));
        else this.adv.scanResponse = Buffer.from(data.subarray(0, length));
        this.complete(op, 0);
        if (this.adv.enabled) this.air.startAdvertising(this);
        return;
      }
      case 'LeSetAdvertisingEnable': {
        if (c.advertisingEnable > 1) return this.complete(op, HciStatus.InvalidHciCommandParameters);
        this.adv.enabled = c.advertisingEnable === 1;
        this.complete(op, 0);
        if (this.adv.enabled) this.air.startAdvertising(this);
        else this.air.stopAdvertising(this);
        return;
      }
      case 'LeSetScanParameters': {
        if (this.scan.enabled) return this.complete(op, HciStatus.CommandDisallowed);
        const valid =
          c.leScanType <= 1 &&
          c.leScanInterval >= 4 &&
          c.leScanInterval <= 0x4000 &&
          c.leScanWindow >= 4 &&
          c.leScanWindow <= c.leScanInterval;
        if (!valid) return this.complete(op, HciStatus.InvalidHciCommandParameters);
        this.scan.active = c.leScanType === 1;
        this.scan.intervalMs = c.leScanInterval * 0.625;
        return this.complete(op, 0);
      }
      case 'LeSetScanEnable': {
        if (c.leScanEnable > 1 || c.filterDuplicates > 1)
          return this.complete(op, HciStatus.InvalidHciCommandParameters);
        const enable = c.leScanEnable === 1;
        if (enable && !this.scan.enabled) this.scan.seen.clear();
        this.scan.enabled = enable;
        this.scan.filterDuplicates = c.filterDuplicates === 1;
        this.complete(op, 0);
        if (enable) this.air.listen(this);
        return;
      }
      case 'LeCreateConnection':
        return this.createConnection(op, c);
      case 'LeCreateConnectionCancel': {
        if (!this.initiate) return this.complete(op, HciStatus.CommandDisallowed);
        const peer = this.initiate.peerAddress;
        this.initiate = undefined;
        this.complete(op, 0);
        return this.sendEvent(failedConnection(HciStatus.UnknownConnectionIdentifier, peer));
      }
      case 'Disconnect': {
        const conn = this.connections.get(c.connectionHandle);
        if (!conn) return this.status(op, HciStatus.UnknownConnectionIdentifier);
        if (!DISCONNECT_REASONS.has(c.reason)) return this.status(op, HciStatus.InvalidHciCommandParameters);
        this.status(op, 0);
        conn.link.send(this, { kind: 'terminate', reason: c.reason });
        // The local side completes once LL_TERMINATE_IND is out; an unreachable peer times out on its own.
        this.endConnection(conn, HciStatus.ConnectionTerminatedByLocalHost, false);
        return;
      }
      case 'LeConnectionUpdate': {
        const conn = this.connections.get(c.connectionHandle);
        if (!conn) return this.status(op, HciStatus.UnknownConnectionIdentifier);
        const params = connectionParameters(c);
        if (!params) return this.status(op, HciStatus.InvalidHciCommandParameters);
        this.status(op, 0);
        conn.link.send(this, { kind: 'connUpdate', params });
        return;
      }
      case 'LeEncrypt':
        return this.complete(op, 0, leEncrypt(c.key, c.plaintextData));
      case 'LeRand':
        return this.complete(op, 0, leRand());
      case 'LeEnableEncryption': {
        const conn = this.connections.get(c.connectionHandle);
        if (!conn) return this.status(op, HciStatus.UnknownConnectionIdentifier);
        if (conn.role !== 0 || conn.pendingKey) return this.status(op, HciStatus.CommandDisallowed);
        this.status(op, 0);
        conn.pendingKey = c.longTermKey;
        conn.link.send(this, {
          kind: 'encReq',
          randomNumber: c.randomNumber,
          encryptedDiversifier: c.encryptedDiversifier,
          longTermKey: c.longTermKey,
        });
        return;
      }
      case 'LeLongTermKeyRequestReply':
      case 'LeLongTermKeyRequestNegativeReply': {
        const conn = this.connections.get(c.connectionHandle);
        if (!conn || conn.role !== 1) {
          return this.complete(op, HciStatus.UnknownConnectionIdentifier, u16(c.connectionHandle));
        }
        this.complete(op, 0, u16(c.connectionHandle));
        const key = c.name === 'LeLongTermKeyRequestReply' ? c.longTermKey : undefined;
        conn.link.send(this, { kind: 'encRsp', longTermKey: key });
        if (key) this.encryptionStarted(conn, key);
        return;
      }
    }
  }

  private setAdvertisingParameters(c: CommandOf<'LeSetAdvertisingParameters'>): number {
    if (this.adv.enabled) return HciStatus.CommandDisallowed;
    const directed = c.advertisingType === 0x01;
    const valid =
      c.advertisingType <= 0x04 &&
      (directed ||
        (c.advertisingIntervalMin >= 0x20 && c.advertisingIntervalMin <= c.advertisingIntervalMax)) &&
      c.advertisingIntervalMax <= 0x4000 &&
      c.ownAddressType <= 3 &&
      (c.advertisingChannelMap & 0x07) !== 0 &&
      c.advertisingFilterPolicy <= 3;
    if (!valid) return HciStatus.InvalidHciCommandParameters;
    this.adv.type = c.advertisingType === 0x04 ? 0x01 : c.advertisingType;
    this.adv.intervalMs = (directed ? 0x20 : c.advertisingIntervalMax) * 0.625;
    return 0;
  }

  private createConnection(op: number, c: CommandOf<'LeCreateConnection'>): void {
    if (this.initiate) return this.status(op, HciStatus.CommandDisallowed);
    const params = connectionParameters(c);
    const scanOk = c.leScanInterval >= 4 && c.leScanWindow >= 4 && c.leScanWindow <= c.leScanInterval;
    if (!params || !scanOk || c.peerAddressType > 3 || c.initiatorFilterPolicy > 1) {
      return this.status(op, HciStatus.InvalidHciCommandParameters);
    }
    if ([...this.connections.values()].some((k) => k.peer.address === c.peerAddress)) {
      return this.status(op, HciStatus.ConnectionAlreadyExists);
    }
    this.status(op, 0);
    this.initiate = { peerAddress: c.peerAddress, params };
    this.air.listen(this);
  }

  private reset(): void {
    this.dropEverything();
    this.eventMask = Buffer.from(DEFAULT_EVENT_MASK);
    this.leEventMask = Buffer.from(DEFAULT_LE_EVENT_MASK);
    this.randomAddress = undefined;
    this.air.changed();
  }

  private dropEverything(): void {
    this.adv.enabled = false;
    this.air.stopAdvertising(this);
    this.scan.enabled = false;
    this.initiate = undefined;
    for (const conn of this.connections.values()) conn.link.abandon();
    this.connections.clear();
    this.inbox = [];
    this.outbox = [];
  }

  // ---- ACL -------------------------------------------------------------------------------------------

  private aclFromHost(handle: number, pb: number, data: Buffer): void {
    this.stats.aclFromHost++;
    const conn = this.connections.get(handle);
    if (!conn) {
      this.stats.discardedAcl++;
      return;
    }
    if (conn.inFlight >= this.aclBufferCount) {
      // The host sent more than LE Read Buffer Size allowed: the packet is lost (Vol 4 Part E 7.7.26).
      this.stats.discardedAcl++;
      this.sendEvent({ name: 'DataBufferOverflow', linkType: 0x01 });
      return;
    }
    if (data.length > this.aclBufferLength || pb === 0b11) {
      this.discardAcl(handle);
      return;
    }
    conn.inFlight++;
    const start = pb !== PacketBoundary.Continuing;
    conn.link.send(this, { kind: 'data', start, payload: data }, () => this.completed(conn));
  }

  /** A malformed packet for a live handle: its buffer is freed at once, so the host's credits stay right. */
  private discardAcl(handle: number): void {
    this.stats.discardedAcl++;
    if (this.connections.has(handle)) {
      this.sendEvent({
        name: 'NumberOfCompletedPackets',
        handles: [{ connectionHandle: handle, numCompletedPackets: 1 }],
      });
    }
  }

  private completed(conn: Connection): void {
    conn.inFlight = Math.max(0, conn.inFlight - 1);
    if (this.connections.get(conn.handle) !== conn) return;
    this.sendEvent({
      name: 'NumberOfCompletedPackets',
      handles: [{ connectionHandle: conn.handle, numCompletedPackets: 1 }],
    });
  }

  // ---- air side --------------------------------------------------------------------------------------

  advertising(): { type: number; intervalMs: number; data: Buffer; scanResponse: Buffer } | undefined {
    return this.on_ && this.adv.enabled ? this.adv : undefined;
  }

  scanning(): { active: boolean } | undefined {
    return this.on_ && this.scan.enabled ? { active: this.scan.active } : undefined;
  }

  initiating(): { peerAddress: string; params: ConnectionParameters } | undefined {
    return this.on_ ? this.initiate : undefined;
  }

  receiveAdvertisingReport(report: AdvertisingReport): void {
    if (!this.scanning()) return;
    if (this.scan.filterDuplicates) {
      const key = `${report.address}/${report.eventType}`;
      if (this.scan.seen.has(key)) return;
      this.scan.seen.add(key);
    }
    this.sendEvent({ name: 'LeAdvertisingReport', report });
  }

  connected(link: Link, role: 0 | 1): number {
    const handle = this.allocateHandle();
    const peer = link.peerOf(this);
    this.connections.set(handle, { handle, link, role, peer, encrypted: false, inFlight: 0 });
    if (role === 0) this.initiate = undefined;
    else this.adv.enabled = false; // a legacy advertiser stops when it is connected
    this.sendEvent({
      name: 'LeConnectionComplete',
      status: 0,
      connectionHandle: handle,
      role,
      peerAddressType: peer.addressType,
      peerAddress: peer.address,
      connectionInterval: link.params.interval,
      peripheralLatency: link.params.latency,
      supervisionTimeout: link.params.supervisionTimeout,
      centralClockAccuracy: 0,
    });
    return handle;
  }

  receivePdu(link: Link, pdu: LlPdu): void {
    const conn = this.connectionOf(link);
    if (!conn) return;
    switch (pdu.kind) {
      case 'data': {
        const pb = pdu.start ? PacketBoundary.FirstFlushable : PacketBoundary.Continuing;
        this.toHost(
          encodeH4({ type: 'acl', handle: conn.handle, packetBoundary: pb, broadcast: 0, data: pdu.payload }),
        );
        return;
      }
      case 'terminate':
        this.endConnection(conn, pdu.reason, true);
        return;
      case 'connUpdate':
        link.params = pdu.params;
        for (const end of [link.central, link.peripheral]) {
          if (end instanceof VirtualController) end.connectionUpdated(link);
        }
        return;
      case 'encReq':
        this.longTermKeyRequested(conn, pdu.randomNumber, pdu.encryptedDiversifier);
        return;
      case 'encRsp':
        if (!conn.pendingKey) return;
        if (!pdu.longTermKey) {
          conn.pendingKey = undefined;
          this.sendEvent({
            name: 'EncryptionChange',
            status: HciStatus.PinOrKeyMissing,
            connectionHandle: conn.handle,
            encryptionEnabled: 0,
          });
          return;
        }
        if (!pdu.longTermKey.equals(conn.pendingKey)) {
          // Different keys: the first encrypted PDU fails its MIC and both ends drop the link.
          conn.pendingKey = undefined;
          const peer = conn.peer;
          link.close();
          this.endConnection(conn, HciStatus.ConnectionTerminatedDueToMicFailure, true);
          peer.linkLost(link, HciStatus.ConnectionTerminatedDueToMicFailure);
          return;
        }
        this.encryptionStarted(conn, pdu.longTermKey);
        return;
    }
  }

  linkLost(link: Link, reason: number): void {
    const conn = this.connectionOf(link);
    if (conn) this.endConnection(conn, reason, true);
  }

  private connectionUpdated(link: Link): void {
    const conn = this.connectionOf(link);
    if (!conn) return;
    this.sendEvent({
      name: 'LeConnectionUpdateComplete',
      status: 0,
      connectionHandle: conn.handle,
      connectionInterval: link.params.interval,
      peripheralLatency: link.params.latency,
      supervisionTimeout: link.params.supervisionTimeout,
    });
  }

  private longTermKeyRequested(conn: Connection, randomNumber: Buffer, ediv: number): void {
    this.sendEvent({
      name: 'LeLongTermKeyRequest',
      connectionHandle: conn.handle,
      randomNumber,
      encryptedDiversifier: ediv,
    });
    const key = this.keys.find(
      (k) =>
        k.address === conn.peer.address &&
        k.encryptedDiversifier === ediv &&
        k.randomNumber.equals(randomNumber),
    );
    if (!key) return; // the host answers (or never does, and the central's procedure times out)
    const reply = Buffer.alloc(18);
    reply.writeUInt16LE(conn.handle, 0);
    key.longTermKey.copy(reply, 2);
    // Sent as the Linux kernel sends it for bleno; it shows in captures as a command from the host,
    // after the request it answers.
    this.flush();
    this.fromHost(
      encodeH4({ type: 'command', opcode: Opcode.LeLongTermKeyRequestReply, params: reply }),
      'kernel: LTK from loaded keys',
    );
  }

  private encryptionStarted(conn: Connection, _key: Buffer): void {
    const refresh = conn.encrypted;
    conn.encrypted = true;
    conn.pendingKey = undefined;
    if (refresh)
      this.sendEvent({ name: 'EncryptionKeyRefreshComplete', status: 0, connectionHandle: conn.handle });
    else
      this.sendEvent({
        name: 'EncryptionChange',
        status: 0,
        connectionHandle: conn.handle,
        encryptionEnabled: 1,
      });
  }

  private endConnection(conn: Connection, reason: number, closeLink: boolean): void {
    if (this.connections.get(conn.handle) !== conn) return;
    this.connections.delete(conn.handle);
    // After a local Disconnect the link lives on until LL_TERMINATE_IND reaches the peer or the peer's
    // supervision timeout ends it.
    if (closeLink) conn.link.close();
    this.sendEvent({ name: 'DisconnectionComplete', status: 0, connectionHandle: conn.handle, reason });
  }

  private connectionOf(link: Link): Connection | undefined {
    const handle = link.handles.get(this);
    const conn = handle === undefined ? undefined : this.connections.get(handle);
    return conn && conn.link === link ? conn : undefined;
  }

  private allocateHandle(): number {
    for (;;) {
      const h = this.nextHandle;
      this.nextHandle = h >= 0x0eff ? 0x0040 : h + 1;
      if (!this.connections.has(h)) return h;
    }
  }

  get currentRandomAddress(): string | undefined {
    return this.randomAddress;
  }
}

function usesCommandStatus(opcode: number): boolean {
  return (
    opcode === Opcode.Disconnect ||
    opcode === Opcode.LeCreateConnection ||
    opcode === Opcode.LeConnectionUpdate ||
    opcode === Opcode.LeEnableEncryption
  );
}

function connectionParameters(c: {
  connectionIntervalMin: number;
  connectionIntervalMax: number;
  maxLatency: number;
  supervisionTimeout: number;
}): ConnectionParameters | undefined {
  const { connectionIntervalMin: min, connectionIntervalMax: max, maxLatency, supervisionTimeout } = c;
  const valid =
    min >= 6 &&
    max <= 0x0c80 &&
    min <= max &&
    maxLatency <= 0x01f3 &&
    supervisionTimeout >= 0x0a &&
    supervisionTimeout <= 0x0c80 &&
    // Vol 4 Part E 7.8.12: the timeout must exceed (1 + latency) × interval × 2.
    supervisionTimeout * 10 > (1 + maxLatency) * max * 1.25 * 2;
  return valid ? { interval: max, latency: maxLatency, supervisionTimeout } : undefined;
}

function failedConnection(status: number, peerAddress: string): HciEvent {
  return {
    name: 'LeConnectionComplete',
    status,
    connectionHandle: 0,
    role: 0,
    peerAddressType: 0,
    peerAddress,
    connectionInterval: 0,
    peripheralLatency: 0,
    supervisionTimeout: 0,
    centralClockAccuracy: 0,
  };
}

/** Supported_Commands (Vol 4 Part E 6.27): the bits of the commands this controller implements. */
function supportedCommands(): Buffer {
  const b = Buffer.alloc(64);
  const set = (octet: number, bitNo: number) => {
    b[octet] = b[octet]! | (1 << bitNo);
  };
  set(0, 5); // Disconnect
  set(5, 6); // Set Event Mask
  set(5, 7); // Reset
  set(14, 3); // Read Local Version Information
  set(14, 5); // Read Local Supported Features
  set(14, 7); // Read Buffer Size
  set(15, 1); // Read BD_ADDR
  set(15, 5); // Read RSSI
  set(24, 5); // Read LE Host Support
  set(24, 6); // Write LE Host Support
  // Octet 25: LE Set Event Mask, LE Read Buffer Size, LE Read Local Supported Features, LE Set Random
  // Address, LE Set Advertising Parameters, LE Read Advertising Channel Tx Power, LE Set Advertising Data.
  for (const i of [0, 1, 2, 4, 5, 6, 7]) set(25, i);
  // Octet 26: LE Set Scan Response Data, LE Set Advertising Enable, LE Set Scan Parameters, LE Set Scan
  // Enable, LE Create Connection, LE Create Connection Cancel (no filter accept list).
  for (const i of [0, 1, 2, 3, 4, 5]) set(26, i);
  for (const i of [2, 6, 7]) set(27, i); // LE Connection Update, LE Encrypt, LE Rand
  for (const i of [0, 1, 2, 3]) set(28, i); // LE Enable Encryption, LTK Request (Negative) Reply, LE Read Supported States
  return b;
}
