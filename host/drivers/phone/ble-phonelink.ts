/**
 * PhoneLink over Bluetooth LE: the POS (or its mobile terminal) finds phones that offer the payment
 * service, connects, pairs, reads the user id, follows transaction notifications and writes the
 * confirmation. It runs on an unmodified noble built for a transport string (`ble:hci0`, a USB dongle, a
 * bench's virtual controller), so it works the same with a real phone and a real dongle: nothing here
 * asks whether the phone is emulated.
 *
 * noble answers ATT errors by returning an empty read and never completing a write, and pairs by itself
 * when a request gets Insufficient Authentication. So every operation has a timeout, ATT Error Responses
 * are read off the link's ACL stream to give typed errors, and `pair()` asks noble's SMP for pairing
 * explicitly (the same call noble makes on Insufficient Authentication).
 */
import { EventEmitter } from 'node:events';
import { SystemClock, holdClock, type Clock } from '../../../firmware-sim/clock.js';
import type { VirtualController } from '../../../devices/ble/controller.js';
import {
  PAYMENT_SERVICE_UUID,
  decodeTransactionNotification,
  decodeUserId,
  encodeConfirmation,
  paymentCharacteristic,
  type Confirmation,
  type TransactionNotification,
} from '../../../devices/ble/payment-service.js';
import { createNoble, type Noble } from '../../../devices/ble/seam/install.js';
import type { HciTarget } from '../../../devices/ble/seam/registry.js';

type Peripheral = import('@abandonware/noble').Peripheral;
type Characteristic = import('@abandonware/noble').Characteristic;
type PaymentCharacteristicName = 'UserId' | 'TransactionNotification' | 'Confirmation';

export type PhoneLinkErrorCode =
  | 'Timeout'
  | 'NotFound'
  | 'NotConnected'
  | 'PairingFailed'
  | 'AttError'
  | 'BadValue'
  | 'Disconnected'
  | 'ReconnectFailed'
  | 'Unavailable';

export class PhoneLinkError extends Error {
  override readonly name = 'PhoneLinkError';
  constructor(
    readonly code: PhoneLinkErrorCode,
    message: string,
    /** The ATT error code (Vol 3 Part F 3.4.1.1) for code 'AttError'. */
    readonly attError?: number,
  ) {
    super(message);
  }
}

export interface PhoneLinkTimeouts {
  /** Waiting for the adapter to power on. */
  powerOnMs: number;
  connectMs: number;
  pairMs: number;
  /** One read, write or subscription. */
  operationMs: number;
}

export interface BlePhoneLinkOptions {
  /** `ble:hci0`, `ble:usb:<vid>:<pid>`, `ble:virtual:<devId>`, `ble:h4tcp:<host>:<port>` or a controller. */
  transport: string | VirtualController | HciTarget;
  /** Timeouts run on this clock (default: the wall clock). */
  clock?: Clock;
  timeouts?: Partial<PhoneLinkTimeouts>;
  /** After an unexpected disconnection: attempts (0 = none) and the wait before each. */
  reconnect?: { attempts: number; delayMs: number };
}

export interface DiscoveredPhone {
  address: string;
  name: string | undefined;
  rssi: number;
  /** noble's handle on the phone, for `connect`. */
  peripheral: Peripheral;
}

export interface DiscoverOptions {
  timeoutMs: number;
  /** Keep only phones whose advertised name matches. */
  nameFilter?: string | RegExp;
  /** Stop as soon as this many phones were found. */
  count?: number;
}

export interface BlePhoneLinkEvents {
  /** The link dropped without `disconnect()`; reconnection starts if configured. */
  linkLost: [reason: number | undefined];
  reconnected: [attempt: number];
  /** Reconnection gave up (or was not configured): the phone is gone. */
  gone: [error: PhoneLinkError];
  transaction: [transaction: TransactionNotification];
}

const DEFAULT_TIMEOUTS: PhoneLinkTimeouts = {
  powerOnMs: 5000,
  connectMs: 10000,
  pairMs: 10000,
  operationMs: 5000,
};

const ATT_CID = 0x0004;
const ATT_ERROR_RSP = 0x01;
const ATT_READ_REQ = 0x0a;
const ATT_WRITE_REQ = 0x12;

/** What noble's hci-socket bindings keep per connection (not part of its typings). */
interface NobleInternals {
  _bindings?: {
    _handles?: Record<string, number>;
    _aclStreams?: Record<number, EventEmitter & { encrypt(): void }>;
    _gatts?: Record<number, { _security?: string }>;
  };
}

export class BlePhoneLink extends EventEmitter<BlePhoneLinkEvents> {
  readonly noble: Noble;
  private readonly clock: Clock;
  private readonly timeouts: PhoneLinkTimeouts;
  private readonly reconnectPolicy: { attempts: number; delayMs: number };
  private peripheral: Peripheral | undefined;
  private chars = new Map<string, Characteristic>();
  private paired = false;
  private transactionListeners: ((t: TransactionNotification) => void)[] = [];
  private closing = false;
  private reconnecting: Promise<void> | undefined;
  private attWaiters = new Set<(e: { request: number; code: number }) => void>();
  private onNotify = (data: Buffer, isNotification: boolean) => {
    if (!isNotification) return;
    const decoded = decodeTransactionNotification(data);
    if (!decoded.ok) return;
    for (const l of this.transactionListeners) l(decoded.value);
    this.emit('transaction', decoded.value);
  };

  private constructor(options: BlePhoneLinkOptions) {
    super();
    this.clock = options.clock ?? new SystemClock();
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.reconnectPolicy = options.reconnect ?? { attempts: 3, delayMs: 500 };
    this.noble = createNoble(options.transport);
  }

  /** Build noble on the transport and wait until the adapter is powered on. */
  static async open(options: BlePhoneLinkOptions): Promise<BlePhoneLink> {
    const link = new BlePhoneLink(options);
    const noble = link.noble as unknown as EventEmitter & { state: string };
    if (noble.state !== 'poweredOn') {
      // Power-on is local work (HCI reset and setup), not a wait for a peer: a self-advancing virtual clock
      // must not jump to the deadline while a loaded machine is still doing it. The hold has a wall-clock
      // limit of its own, so an adapter that never answers still times out.
      const release = holdClock(link.clock);
      const guard = setTimeout(release, link.timeouts.powerOnMs);
      await link
        .within(link.timeouts.powerOnMs, 'adapter power-on', (resolve, reject) => {
          const onState = (state: string) => {
            if (state === 'poweredOn') resolve(undefined);
            else if (state === 'unsupported' || state === 'unauthorized')
              reject(new PhoneLinkError('Unavailable', `Bluetooth adapter is ${state}`));
          };
          noble.on('stateChange', onState);
          return () => noble.removeListener('stateChange', onState);
        })
        .finally(() => {
          clearTimeout(guard);
          release();
        });
    }
    return link;
  }

  /** Scan for phones advertising the payment service until the timeout (or `count` phones). */
  async discover(options: DiscoverOptions): Promise<DiscoveredPhone[]> {
    const found = new Map<string, DiscoveredPhone>();
    const matches = (name: string | undefined) =>
      options.nameFilter === undefined ||
      (name !== undefined &&
        (typeof options.nameFilter === 'string'
          ? name === options.nameFilter
          : options.nameFilter.test(name)));
    const noble = this.noble as unknown as EventEmitter;
    let stop: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      const onDiscover = (p: Peripheral) => {
        const name = p.advertisement?.localName;
        if (!matches(name) || found.has(p.address)) return;
        found.set(p.address, { address: p.address, name, rssi: p.rssi, peripheral: p });
        if (options.count !== undefined && found.size >= options.count) finish();
      };
      const timer = this.clock.setTimeout(() => finish(), options.timeoutMs);
      const finish = () => {
        this.clock.clearTimeout(timer);
        noble.removeListener('discover', onDiscover);
        resolve();
      };
      stop = finish;
      noble.on('discover', onDiscover);
    });
    try {
      await this.noble.startScanningAsync([PAYMENT_SERVICE_UUID], false);
    } catch (e) {
      stop();
      throw new PhoneLinkError('Unavailable', `scan: ${(e as Error).message}`);
    }
    await done;
    await this.noble.stopScanningAsync().catch(() => undefined);
    return [...found.values()];
  }

  /** Connect and discover the payment service. */
  async connect(phone: DiscoveredPhone | Peripheral): Promise<void> {
    const peripheral = 'peripheral' in phone ? phone.peripheral : phone;
    if (this.peripheral && this.peripheral !== peripheral)
      throw new PhoneLinkError('NotConnected', 'already linked to another phone: disconnect() first');
    this.closing = false;
    this.peripheral = peripheral;
    try {
      await this.establish(peripheral);
    } catch (e) {
      this.peripheral = undefined;
      if (peripheral.state === 'connected') peripheral.disconnect();
      throw e;
    }
  }

  get address(): string | undefined {
    return this.peripheral?.address;
  }

  get connected(): boolean {
    return this.peripheral?.state === 'connected' && this.chars.size > 0;
  }

  /**
   * Pair (legacy Just Works, as noble's SMP does it) and encrypt the link. noble only pairs when a request
   * gets Insufficient Authentication, and then repeats that request (asking its SMP directly leaves it
   * with no request to repeat, and it throws): so pairing is a read of the secure UserId characteristic.
   */
  async pair(): Promise<void> {
    await this.settled();
    return this.pairNow();
  }

  private async pairNow(): Promise<void> {
    const c = this.characteristicNow('UserId');
    if (this.encrypted()) {
      this.paired = true;
      return;
    }
    const acl = this.aclStream();
    let onFail: () => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
      onFail = () => reject(new PhoneLinkError('PairingFailed', 'the phone refused pairing'));
      acl.once('encryptFail', onFail);
    });
    try {
      await Promise.race([
        failed,
        this.attOperation(ATT_READ_REQ, 'pairing', () => c.readAsync(), this.timeouts.pairMs),
      ]);
    } catch (e) {
      // An application error after encryption (no authenticated user yet) still leaves the link paired.
      if (!(e instanceof PhoneLinkError && e.code === 'AttError' && this.encrypted())) {
        // noble's request queue waits for ever after a failed pairing: drop the link.
        if (e instanceof PhoneLinkError && e.code !== 'Disconnected') this.peripheral?.disconnect();
        throw e;
      }
    } finally {
      acl.removeListener('encryptFail', onFail);
    }
    if (!this.encrypted())
      throw new PhoneLinkError('PairingFailed', 'the link is not encrypted after pairing');
    this.paired = true;
  }

  get isPaired(): boolean {
    return this.paired && this.encrypted();
  }

  /** Read the UserId characteristic (pairs first if the phone asks for it, as noble does). */
  async readUserId(): Promise<string> {
    const c = await this.characteristic('UserId');
    const data = await this.attOperation(
      ATT_READ_REQ,
      'read UserId',
      () => c.readAsync(),
      this.timeouts.pairMs,
    );
    const decoded = decodeUserId(data);
    if (!decoded.ok) throw new PhoneLinkError('BadValue', decoded.reason, decoded.attError);
    return decoded.value;
  }

  /** Follow TransactionNotification; the returned function stops following. */
  async subscribeTransactions(listener: (t: TransactionNotification) => void): Promise<() => Promise<void>> {
    const c = await this.characteristic('TransactionNotification');
    this.transactionListeners.push(listener);
    c.removeListener('data', this.onNotify);
    c.on('data', this.onNotify);
    try {
      await this.attOperation(
        ATT_WRITE_REQ,
        'subscribe TransactionNotification',
        () => c.subscribeAsync(),
        this.timeouts.pairMs,
      );
    } catch (e) {
      this.transactionListeners = this.transactionListeners.filter((l) => l !== listener);
      throw e;
    }
    return async () => {
      this.transactionListeners = this.transactionListeners.filter((l) => l !== listener);
      if (this.transactionListeners.length === 0 && this.connected) {
        await this.attOperation(
          ATT_WRITE_REQ,
          'unsubscribe',
          () => c.unsubscribeAsync(),
          this.timeouts.operationMs,
        );
      }
    };
  }

  /** Write the Confirmation characteristic (with response). */
  async writeConfirmation(value: Confirmation): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = encodeConfirmation(value);
    } catch (e) {
      throw new PhoneLinkError('BadValue', (e as Error).message);
    }
    const c = await this.characteristic('Confirmation');
    await this.attOperation(
      ATT_WRITE_REQ,
      'write Confirmation',
      () => c.writeAsync(bytes, false),
      this.timeouts.pairMs,
    );
  }

  /** Disconnect on purpose (no reconnection). */
  async disconnect(): Promise<void> {
    this.closing = true;
    const p = this.peripheral;
    this.peripheral = undefined;
    this.chars.clear();
    this.paired = false;
    this.transactionListeners = [];
    // After a failed or cancelled connection noble leaves the state at 'error': nothing to disconnect.
    if (!p || p.state !== 'connected') return;
    await this.within(this.timeouts.operationMs, 'disconnect', (resolve) => {
      p.once('disconnect', () => resolve(undefined));
      p.disconnect();
      return () => undefined;
    });
  }

  /** Disconnect and stop scanning; the noble instance stays (noble cannot be torn down). */
  async close(): Promise<void> {
    await this.disconnect().catch(() => undefined);
    await this.noble.stopScanningAsync().catch(() => undefined);
    this.noble.removeAllListeners('discover');
  }

  // ---- internals --------------------------------------------------------------------------------------

  private async establish(peripheral: Peripheral): Promise<void> {
    this.chars.clear();
    if (peripheral.state !== 'connected') {
      try {
        await this.within(this.timeouts.connectMs, `connect to ${peripheral.address}`, (resolve, reject) => {
          peripheral.connect((error?: string | Error) =>
            error ? reject(new PhoneLinkError('NotFound', `connect: ${String(error)}`)) : resolve(undefined),
          );
          return () => undefined;
        });
      } catch (e) {
        if (e instanceof PhoneLinkError && e.code === 'Timeout' && peripheral.state === 'connecting')
          await this.cancelConnect(peripheral);
        throw e;
      }
    }
    this.watchAttErrors();
    peripheral.once('disconnect', (reason?: number) => this.onLinkDropped(peripheral, reason));
    const { characteristics } = await this.within<{ characteristics: Characteristic[] }>(
      this.timeouts.operationMs,
      'service discovery',
      (resolve, reject) => {
        peripheral
          .discoverSomeServicesAndCharacteristicsAsync(
            [PAYMENT_SERVICE_UUID],
            (['UserId', 'TransactionNotification', 'Confirmation'] as const).map(
              (n) => paymentCharacteristic(n).uuid,
            ),
          )
          .then(resolve, (e: Error) => reject(new PhoneLinkError('NotFound', e.message)));
        return () => undefined;
      },
    );
    for (const c of characteristics) this.chars.set(c.uuid, c);
    if (this.chars.size === 0)
      throw new PhoneLinkError('NotFound', `${peripheral.address} does not offer the payment service`);
  }

  /**
   * LE Create Connection Cancel, and wait until the controller has ended the attempt (LE Connection
   * Complete 0x02 Unknown Connection Identifier, noble's state 'error'): a new connect issued before
   * that would be answered by the old attempt's completion.
   */
  private async cancelConnect(peripheral: Peripheral): Promise<void> {
    const ended = new Promise<void>((resolve) => {
      const onConnect = () => {
        if (peripheral.state === 'connecting') return;
        peripheral.removeListener('connect', onConnect);
        resolve();
      };
      peripheral.on('connect', onConnect);
    });
    peripheral.cancelConnect();
    await this.within(this.timeouts.operationMs, 'cancel connection', (resolve) => {
      void ended.then(resolve);
      return () => undefined;
    }).catch(() => undefined);
    // It may have connected after all, just before the cancel arrived.
    if (peripheral.state === 'connected') peripheral.disconnect();
  }

  private onLinkDropped(peripheral: Peripheral, reason: number | undefined): void {
    // A drop during a reconnection attempt is that attempt's failure, handled by its loop.
    if (this.closing || this.peripheral !== peripheral || this.reconnecting) return;
    this.chars.clear();
    this.emit('linkLost', reason);
    if (this.reconnectPolicy.attempts <= 0) {
      this.peripheral = undefined;
      this.emit(
        'gone',
        new PhoneLinkError('Disconnected', `link lost (reason 0x${(reason ?? 0).toString(16)})`),
      );
      return;
    }
    this.reconnecting = this.reconnect(peripheral).finally(() => {
      this.reconnecting = undefined;
    });
    this.reconnecting.catch(() => undefined);
  }

  private async reconnect(peripheral: Peripheral): Promise<void> {
    const { attempts, delayMs } = this.reconnectPolicy;
    const wasPaired = this.paired;
    this.paired = false;
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await new Promise<void>((r) => this.clock.setTimeout(r, delayMs));
      if (this.closing || this.peripheral !== peripheral) return;
      try {
        await this.establish(peripheral);
        if (wasPaired) await this.pairNow();
        if (this.transactionListeners.length > 0) {
          const c = this.chars.get(paymentCharacteristic('TransactionNotification').uuid)!;
          c.removeListener('data', this.onNotify);
          c.on('data', this.onNotify);
          await this.attOperation(ATT_WRITE_REQ, 'subscribe', () => c.subscribeAsync(), this.timeouts.pairMs);
        }
        this.emit('reconnected', attempt);
        return;
      } catch (e) {
        last = e;
        if (peripheral.state === 'connected') peripheral.disconnect();
      }
    }
    this.peripheral = undefined;
    this.reconnecting = undefined;
    const error = new PhoneLinkError(
      'ReconnectFailed',
      `gave up after ${attempts} attempts: ${last instanceof Error ? last.message : String(last)}`,
    );
    this.emit('gone', error);
    throw error;
  }

  /** Wait for a reconnection in progress, if any. */
  private async settled(): Promise<void> {
    if (this.reconnecting)
      await this.within(
        this.timeouts.connectMs * (this.reconnectPolicy.attempts + 1),
        'reconnection',
        (resolve, reject) => {
          this.reconnecting!.then(resolve, reject);
          return () => undefined;
        },
      );
  }

  private async characteristic(name: PaymentCharacteristicName): Promise<Characteristic> {
    await this.settled();
    return this.characteristicNow(name);
  }

  private characteristicNow(name: PaymentCharacteristicName): Characteristic {
    const c = this.chars.get(paymentCharacteristic(name).uuid);
    if (!c || this.peripheral?.state !== 'connected')
      throw new PhoneLinkError('NotConnected', `${name}: no phone connected`);
    return c;
  }

  /** Run one ATT request; an Error Response to it (that noble would swallow) rejects with its code. */
  private attOperation<T>(
    request: number,
    what: string,
    run: () => Promise<T>,
    timeoutMs: number,
  ): Promise<T> {
    return this.within(timeoutMs, what, (resolve, reject) => {
      const onAttError = (e: { request: number; code: number }) => {
        if (e.request !== request) return;
        // noble pairs on these itself and repeats the request; anything else is final.
        if ([0x05, 0x08, 0x0f].includes(e.code) && !this.encrypted()) return;
        reject(
          new PhoneLinkError(
            'AttError',
            `${what}: ATT error 0x${e.code.toString(16).padStart(2, '0')}`,
            e.code,
          ),
        );
      };
      const onDrop = () => reject(new PhoneLinkError('Disconnected', `${what}: link dropped`));
      this.attWaiters.add(onAttError);
      this.peripheral?.once('disconnect', onDrop);
      run().then(resolve, (e: Error) => reject(new PhoneLinkError('AttError', `${what}: ${e.message}`)));
      return () => {
        this.attWaiters.delete(onAttError);
        this.peripheral?.removeListener('disconnect', onDrop);
      };
    });
  }

  private watchAttErrors(): void {
    const acl = this.aclStream();
    acl.on('data', (cid: number, data: Buffer) => {
      if (cid !== ATT_CID || data[0] !== ATT_ERROR_RSP || data.length < 5) return;
      const e = { request: data[1]!, code: data[4]! };
      // noble's own listener came first and has handled the PDU (it may have started pairing on it); the
      // waiters run now, before the empty value noble makes of an error reaches the caller.
      for (const w of [...this.attWaiters]) w(e);
    });
  }

  private internals(): { handle: number; bindings: NonNullable<NobleInternals['_bindings']> } {
    const bindings = (this.noble as unknown as NobleInternals)._bindings;
    const handle = this.peripheral ? bindings?._handles?.[this.peripheral.id] : undefined;
    if (!bindings || handle === undefined)
      throw new PhoneLinkError('NotConnected', 'no phone connected (or noble without HCI bindings)');
    return { handle, bindings };
  }

  private aclStream(): EventEmitter & { encrypt(): void } {
    const { handle, bindings } = this.internals();
    const acl = bindings._aclStreams?.[handle];
    if (!acl) throw new PhoneLinkError('NotConnected', 'no phone connected');
    return acl;
  }

  private encrypted(): boolean {
    try {
      const { handle, bindings } = this.internals();
      return bindings._gatts?.[handle]?._security === 'medium';
    } catch {
      return false;
    }
  }

  /** A promise settled by `start`, or rejected with a Timeout error after `ms` on the link's clock. */
  private within<T>(
    ms: number,
    what: string,
    start: (resolve: (v: T) => void, reject: (e: unknown) => void) => () => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let cleanup: () => void = () => undefined;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        cleanup();
        fn();
      };
      const timer = this.clock.setTimeout(
        () => settle(() => reject(new PhoneLinkError('Timeout', `${what}: no answer within ${ms} ms`))),
        ms,
      );
      cleanup = start(
        (v) => settle(() => resolve(v)),
        (e) => settle(() => reject(e)),
      );
      if (settled) cleanup();
    });
  }
}
