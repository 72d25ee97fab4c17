/**
 * The phone's payment GATT service (FLOWS.md, seed 001 embodiment 1, step 2-12): the phone hands the user
 * id to the POS (or its mobile terminal), notifies the POS of the transaction the gateway put before the
 * user, and the POS writes back how the transaction ended (the completion of step 12). Custom 128-bit UUIDs (no SIG-assigned service fits); every
 * characteristic that carries payment data requires an encrypted link, i.e. pairing first. Values have
 * small binary codecs; a bad value gets the ATT error a GATT server answers with (Vol 3 Part F 3.4.1.1).
 */

/** ATT error codes used by the service. */
export const AttError = {
  InsufficientAuthentication: 0x05,
  InvalidAttributeValueLength: 0x0d,
  InsufficientEncryption: 0x0f,
  /** First application error code: a value of the right length that the profile rejects. */
  ValueNotAllowed: 0x80,
  /** Application error: the phone has no authenticated user yet (UIM check not passed), so no user id. */
  NoAuthenticatedUser: 0x81,
} as const;

export type GattProperty = 'read' | 'write' | 'writeWithoutResponse' | 'notify' | 'indicate';

export interface PaymentCharacteristic {
  name: 'UserId' | 'TransactionNotification' | 'Confirmation';
  uuid: string;
  properties: GattProperty[];
  /** Operations that need an encrypted (paired) link: bleno's `secure`. */
  secure: GattProperty[];
  /** Longest value in octets. */
  maxLength: number;
  description: string;
}

/**
 * One random (version 4) base UUID for the profile, written as noble and bleno write UUIDs (32 lowercase
 * hex digits); the service and its characteristics differ in the 16 bits after the first four digits.
 */
const uuid = (n: number) => `b7c1${n.toString(16).padStart(4, '0')}9d4c4e5a8d7051c22a3e6f1b`;

export const PAYMENT_SERVICE_UUID = uuid(0x0001);

export const PAYMENT_CHARACTERISTICS: readonly PaymentCharacteristic[] = [
  {
    name: 'UserId',
    uuid: uuid(0x0002),
    properties: ['read', 'notify'],
    secure: ['read', 'notify'],
    maxLength: 16,
    description: 'user id of the authenticated user, sent once the UIM check passed',
  },
  {
    name: 'TransactionNotification',
    uuid: uuid(0x0003),
    properties: ['notify'],
    secure: ['notify'],
    maxLength: 1 + 4 + 3 + 1 + 32,
    description: 'the phone tells the POS the transaction (number, total) the gateway sent it for approval',
  },
  {
    name: 'Confirmation',
    uuid: uuid(0x0004),
    properties: ['write'],
    secure: ['write'],
    maxLength: 1 + 1 + 32,
    description: 'the POS tells the phone how the transaction ended: completed (agreed), declined or aborted',
  },
];

export function paymentCharacteristic(name: PaymentCharacteristic['name']): PaymentCharacteristic {
  return PAYMENT_CHARACTERISTICS.find((c) => c.name === name)!;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; attError: number; reason: string };

const USER_ID = /^[0-9A-Za-z]{1,16}$/;

export function encodeUserId(userId: string): Buffer {
  if (!USER_ID.test(userId))
    throw new RangeError(`user id: 1-16 letters or digits, got ${JSON.stringify(userId)}`);
  return Buffer.from(userId, 'ascii');
}

export function decodeUserId(value: Uint8Array): Decoded<string> {
  if (value.length < 1 || value.length > 16) {
    return { ok: false, attError: AttError.InvalidAttributeValueLength, reason: 'user id: 1-16 octets' };
  }
  const s = Buffer.from(value).toString('latin1');
  return USER_ID.test(s)
    ? { ok: true, value: s }
    : { ok: false, attError: AttError.ValueNotAllowed, reason: 'user id: letters and digits only' };
}

export interface TransactionNotification {
  transactionId: string;
  /** Total in minor units (yen have none: 1200 = ¥1200). */
  amountMinor: number;
  /** ISO 4217 alphabetic code. */
  currency: string;
}

const VERSION = 1;
const TXN_ID = /^[\x21-\x7e]{1,32}$/;

export function encodeTransactionNotification(t: TransactionNotification): Buffer {
  if (!TXN_ID.test(t.transactionId)) throw new RangeError('transaction id: 1-32 printable ASCII characters');
  if (!Number.isInteger(t.amountMinor) || t.amountMinor < 0 || t.amountMinor > 0xffffffff)
    throw new RangeError('amount: 0..2^32-1 minor units');
  if (!/^[A-Z]{3}$/.test(t.currency)) throw new RangeError('currency: three capital letters (ISO 4217)');
  const head = Buffer.alloc(9);
  head[0] = VERSION;
  head.writeUInt32LE(t.amountMinor, 1);
  head.write(t.currency, 5, 'ascii');
  head[8] = t.transactionId.length;
  return Buffer.concat([head, Buffer.from(t.transactionId, 'ascii')]);
}

export function decodeTransactionNotification(value: Uint8Array): Decoded<TransactionNotification> {
  const b = Buffer.from(value);
  if (b.length < 10 || b.length !== 9 + b[8]!) {
    return {
      ok: false,
      attError: AttError.InvalidAttributeValueLength,
      reason: 'transaction notification: length',
    };
  }
  const currency = b.toString('latin1', 5, 8);
  const transactionId = b.toString('latin1', 9);
  if (b[0] !== VERSION || !/^[A-Z]{3}$/.test(currency) || !TXN_ID.test(transactionId)) {
    return {
      ok: false,
      attError: AttError.ValueNotAllowed,
      reason: 'transaction notification: version, currency or id',
    };
  }
  return { ok: true, value: { transactionId, amountMinor: b.readUInt32LE(1), currency } };
}

export const ConfirmationResult = { Agreed: 0x00, Declined: 0x01, Aborted: 0x02 } as const;
export type ConfirmationResultName = keyof typeof ConfirmationResult;

export interface Confirmation {
  result: ConfirmationResultName;
  transactionId: string;
}

export function encodeConfirmation(c: Confirmation): Buffer {
  if (!TXN_ID.test(c.transactionId)) throw new RangeError('transaction id: 1-32 printable ASCII characters');
  return Buffer.concat([
    Buffer.from([ConfirmationResult[c.result], c.transactionId.length]),
    Buffer.from(c.transactionId, 'ascii'),
  ]);
}

export function decodeConfirmation(value: Uint8Array): Decoded<Confirmation> {
  const b = Buffer.from(value);
  if (b.length < 3 || b.length !== 2 + b[1]!) {
    return { ok: false, attError: AttError.InvalidAttributeValueLength, reason: 'confirmation: length' };
  }
  const result = (Object.keys(ConfirmationResult) as ConfirmationResultName[]).find(
    (k) => ConfirmationResult[k] === b[0],
  );
  const transactionId = b.toString('latin1', 2);
  if (!result || !TXN_ID.test(transactionId)) {
    return { ok: false, attError: AttError.ValueNotAllowed, reason: 'confirmation: result or id' };
  }
  return { ok: true, value: { result, transactionId } };
}
