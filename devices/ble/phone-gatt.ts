/**
 * The phone twin's Bluetooth LE side: a virtual controller on the bench's air with an unmodified bleno
 * (its own module copy, see seam/install.ts) serving the payment service of payment-service.ts. The ATT,
 * GATT and SMP bytes a POS sees come from bleno, an independent stack, not from code of ours; docs/BLE.md
 * weighs this against a GATT server of our own and gives the cost per phone.
 */
import { EventEmitter } from 'node:events';
import type { Air, Position } from './air.js';
import { VirtualController } from './controller.js';
import {
  AttError,
  PAYMENT_SERVICE_UUID,
  decodeConfirmation,
  encodeTransactionNotification,
  encodeUserId,
  paymentCharacteristic,
  type Confirmation,
  type TransactionNotification,
} from './payment-service.js';
import { loadBleno, type Bleno } from './seam/install.js';
import { unregisterVirtualController } from './seam/registry.js';

/** ATT result codes bleno's callbacks take (Vol 3 Part F 3.4.1.1). */
const ATT_SUCCESS = 0x00;
const ATT_INVALID_OFFSET = 0x07;

export interface PhoneGattOptions {
  air: Air;
  /** Public address of the phone's controller (aa:bb:cc:dd:ee:ff). */
  address: string;
  /** Complete Local Name in the scan response (at most 29 octets). */
  name: string;
  /** The authenticated user's id; undefined until the user passed the UIM check (FLOWS.md seed 001 step 2). */
  userId?: string;
  position?: Position;
  /** A Confirmation the POS wrote (already decoded and checked), with the POS's address. */
  onConfirmation?: (confirmation: Confirmation, central: string) => void;
}

export interface PhoneGattEvents {
  accept: [central: string];
  disconnect: [central: string];
  confirmation: [confirmation: Confirmation, central: string];
  subscribed: [];
}

type BlenoCharacteristicCtor = new (options: object) => unknown;
interface BlenoModule {
  PrimaryService: new (options: object) => unknown;
  Characteristic: BlenoCharacteristicCtor;
}

/** Starts advertising once bleno is powered on; resolves when the payment service is set. */
export class PhoneGatt extends EventEmitter<PhoneGattEvents> {
  readonly controller: VirtualController;
  readonly bleno: Bleno;
  readonly name: string;
  /** Every Confirmation the POS wrote, in order. */
  readonly confirmations: Confirmation[] = [];
  private userId: string | undefined;
  private transactionSubscriber: { maxValueSize: number; update: (data: Buffer) => void } | undefined;
  private userIdSubscriber: ((data: Buffer) => void) | undefined;
  private closed = false;

  private constructor(options: PhoneGattOptions) {
    super();
    if (Buffer.byteLength(options.name) > 29) throw new RangeError('phone name: at most 29 octets');
    if (options.userId !== undefined) encodeUserId(options.userId);
    this.name = options.name;
    this.userId = options.userId;
    this.controller = new VirtualController({
      air: options.air,
      address: options.address,
      name: options.name,
      ...(options.position ? { position: options.position } : {}),
    });
    this.bleno = loadBleno(this.controller);
    if (options.onConfirmation) this.on('confirmation', options.onConfirmation);
  }

  static async start(options: PhoneGattOptions): Promise<PhoneGatt> {
    const phone = new PhoneGatt(options);
    await phone.serve();
    return phone;
  }

  get address(): string {
    return this.controller.address;
  }

  /** The user id offered from now on; subscribers of UserId are notified. */
  setUserId(userId: string | undefined): void {
    if (userId !== undefined) encodeUserId(userId);
    this.userId = userId;
    if (userId !== undefined) this.userIdSubscriber?.(encodeUserId(userId));
  }

  /** Notify the POS of a transaction; false when no central is subscribed (nothing was sent). */
  notifyTransaction(transaction: TransactionNotification): boolean {
    const value = encodeTransactionNotification(transaction);
    const sub = this.transactionSubscriber;
    if (!sub) return false;
    if (value.length > sub.maxValueSize)
      throw new RangeError(
        `transaction notification: ${value.length} octets, ATT_MTU allows ${sub.maxValueSize}`,
      );
    sub.update(value);
    return true;
  }

  /** Connected centrals as the controller sees them. */
  connections(): ReturnType<VirtualController['listConnections']> {
    return this.controller.listConnections();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.bleno.removeAllListeners();
    if (this.bleno.state === 'poweredOn') {
      this.bleno.stopAdvertising();
      this.bleno.disconnect();
    }
    this.controller.close();
    unregisterVirtualController(this.controller);
  }

  private async serve(): Promise<void> {
    const bleno = this.bleno;
    const b = bleno as unknown as BlenoModule;
    bleno.on('accept', (central: string) => this.emit('accept', central));
    bleno.on('disconnect', (central: string) => {
      this.transactionSubscriber = undefined;
      this.userIdSubscriber = undefined;
      this.emit('disconnect', central);
    });
    const advertising = new Promise<void>((resolve, reject) => {
      const onState = (state: string) => {
        if (state !== 'poweredOn') return;
        bleno.removeListener('stateChange', onState);
        bleno.startAdvertising(this.name, [PAYMENT_SERVICE_UUID], (error?: Error | null) =>
          error ? reject(error) : resolve(),
        );
      };
      if (bleno.state === 'poweredOn') onState('poweredOn');
      else bleno.on('stateChange', onState);
    });
    await advertising;
    const service = new b.PrimaryService({
      uuid: PAYMENT_SERVICE_UUID,
      characteristics: [
        this.userIdCharacteristic(b),
        this.transactionCharacteristic(b),
        this.confirmationCharacteristic(b),
      ],
    });
    await new Promise<void>((resolve, reject) =>
      bleno.setServices([service] as never, (error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }

  private userIdCharacteristic(b: BlenoModule): unknown {
    const c = paymentCharacteristic('UserId');
    return new b.Characteristic({
      uuid: c.uuid,
      properties: c.properties,
      secure: c.secure,
      onReadRequest: (offset: number, callback: (result: number, data?: Buffer) => void) => {
        if (this.userId === undefined) return callback(AttError.NoAuthenticatedUser);
        const value = encodeUserId(this.userId);
        if (offset > value.length) return callback(ATT_INVALID_OFFSET);
        callback(ATT_SUCCESS, value.subarray(offset));
      },
      onSubscribe: (_max: number, update: (data: Buffer) => void) => {
        this.userIdSubscriber = update;
      },
      onUnsubscribe: () => {
        this.userIdSubscriber = undefined;
      },
    });
  }

  private transactionCharacteristic(b: BlenoModule): unknown {
    const c = paymentCharacteristic('TransactionNotification');
    return new b.Characteristic({
      uuid: c.uuid,
      properties: c.properties,
      secure: c.secure,
      onSubscribe: (maxValueSize: number, update: (data: Buffer) => void) => {
        this.transactionSubscriber = { maxValueSize, update };
        this.emit('subscribed');
      },
      onUnsubscribe: () => {
        this.transactionSubscriber = undefined;
      },
    });
  }

  private confirmationCharacteristic(b: BlenoModule): unknown {
    const c = paymentCharacteristic('Confirmation');
    return new b.Characteristic({
      uuid: c.uuid,
      properties: c.properties,
      secure: c.secure,
      onWriteRequest: (
        data: Buffer,
        offset: number,
        _withoutResponse: boolean,
        callback: (result: number) => void,
      ) => {
        if (offset !== 0) return callback(ATT_INVALID_OFFSET);
        const decoded = decodeConfirmation(data);
        if (!decoded.ok) return callback(decoded.attError);
        this.confirmations.push(decoded.value);
        callback(ATT_SUCCESS);
        this.emit('confirmation', decoded.value, this.centralAddress());
      },
    });
  }

  private centralAddress(): string {
    return this.controller.listConnections()[0]?.peer ?? '';
  }
}
