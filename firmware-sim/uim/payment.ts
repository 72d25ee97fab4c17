/**
 * Seed 001 payment application: the contents of the UIM's "storage area 233" ([0037]–[0038]) — the device
 * id, the gateway URL, one user id/password pair per credit card and the authentication result — in a
 * proprietary DF protected by CHV1. Encoders and decoders here are shared by the card and by the phone.
 *
 * The seed has the phone compare the user id and password with the pair stored on the UIM. Storing the
 * password where the phone can read it would let anyone holding the PIN read (or brute-force offline)
 * every card's password, so the card keeps only a PBKDF2-HMAC-SHA-256 verifier in an EF nobody can read
 * (access NEV) and checks the password itself: VERIFY PAYMENT PASSWORD (CLA 80 / A0, INS 5A) with a retry
 * counter, like a PIN. On success the card writes the authentication result itself — the phone supplies
 * its clock's time and the validity, since the card has no clock — and authenticates the result with an
 * HMAC under a key shared with the gateway, so the gateway can check it (FLOWS seed 001 step 7) and a
 * phone cannot forge one. See docs/UIM.md.
 */
import { createHmac, pbkdf2, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import type { DecodeResult } from './codecs.js';
import { concatBytes, decodeAlpha, encodeAlpha, encodeTlv, parseBerTlv } from './codecs.js';

/** DF of the payment application, under the MF. */
export const DF_PAYMENT = 0x7f50;
/** Its DF name: F0 (proprietary, unregistered RID category, ISO 7816-5) "BTPAY" version 01. */
export const PAYMENT_AID = Uint8Array.from([0xf0, 0x42, 0x54, 0x50, 0x41, 0x59, 0x01]);

export const PaymentFile = {
  /** Transparent, 16 bytes: device id, ASCII, FF-padded. Read CHV1, update ADM. */
  DEVICE_ID: 0x6f01,
  /** Transparent, 128 bytes: 80 L URL (UTF-8), FF-padded. Read CHV1, update ADM. */
  GATEWAY_URL: 0x6f02,
  /** Linear fixed, 32-byte records, one per credit card: user id (16, ASCII FF-padded), label (16, alpha). */
  USERS: 0x6f03,
  /** Transparent, 70 bytes: the last authentication result (layout below). Read CHV1, update CHV1. */
  AUTH_RESULT: 0x6f04,
  /** Linear fixed, 52-byte records parallel to USERS: salt 16, iterations u32, PBKDF2 32. Access NEV. */
  VERIFIERS: 0x6f05,
} as const;

/** Proprietary instructions (CLA 80 on a UICC, A0 on a GSM SIM). */
export const PaymentIns = {
  /** Data: 80 user id, 81 password, 82 phone time (u64 s), [83 validity (u32 s)]. */
  VERIFY_PAYMENT_PASSWORD: 0x5a,
  /** Data: 80 user id, 81 old password (absent after ADM), 84 new password. */
  CHANGE_PAYMENT_PASSWORD: 0x5c,
} as const;

export const DEVICE_ID_LENGTH = 16;
export const GATEWAY_URL_LENGTH = 128;
export const USER_RECORD_LENGTH = 32;
export const USER_ID_LENGTH = 16;
export const VERIFIER_RECORD_LENGTH = 52;
export const AUTH_RESULT_LENGTH = 70;
export const DEFAULT_AUTH_VALIDITY_S = 3600;
export const MAX_AUTH_VALIDITY_S = 86_400;

const ok = <T>(value: T): DecodeResult<T> => ({ ok: true, value });
const fail = <T>(error: string): DecodeResult<T> => ({ ok: false, error });

function asciiField(text: string, length: number, what: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(text) || text.length > length) {
    throw new RangeError(`${what} "${text}" is not up to ${length} printable ASCII characters`);
  }
  const out = new Uint8Array(length).fill(0xff);
  out.set(Buffer.from(text, 'ascii'));
  return out;
}

function readAsciiField(bytes: Uint8Array, what: string): DecodeResult<string> {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0xff) end--;
  const body = bytes.subarray(0, end);
  if (!body.every((b) => b >= 0x20 && b <= 0x7e)) return fail(`${what} is not printable ASCII`);
  return ok(Buffer.from(body).toString('ascii'));
}

export const encodeDeviceId = (id: string): Uint8Array => asciiField(id, DEVICE_ID_LENGTH, 'device id');
export const decodeDeviceId = (b: Uint8Array): DecodeResult<string> => readAsciiField(b, 'device id');

export function encodeGatewayUrl(url: string): Uint8Array {
  const tlv = encodeTlv(0x80, Buffer.from(url, 'utf8'));
  if (tlv.length > GATEWAY_URL_LENGTH)
    throw new RangeError(`gateway URL longer than ${GATEWAY_URL_LENGTH - 3} bytes`);
  const out = new Uint8Array(GATEWAY_URL_LENGTH).fill(0xff);
  out.set(tlv);
  return out;
}

export function decodeGatewayUrl(bytes: Uint8Array): DecodeResult<string> {
  const t = parseBerTlv(bytes, true);
  if (!t.ok) return fail(`gateway URL: ${t.error}`);
  const url = t.value.find((x) => x.tag === 0x80);
  if (!url) return fail('gateway URL: no URL (80) object');
  return ok(Buffer.from(url.value).toString('utf8'));
}

export interface PaymentUser {
  userId: string;
  label: string;
}

export function encodePaymentUser(user: PaymentUser): Uint8Array {
  return concatBytes([asciiField(user.userId, USER_ID_LENGTH, 'user id'), encodeAlpha(user.label, 16)]);
}

/** One EF_PAY_USERS record; null for an empty (all-FF) record. */
export function decodePaymentUser(record: Uint8Array): DecodeResult<PaymentUser | null> {
  if (record.length !== USER_RECORD_LENGTH) return fail(`a user record is ${USER_RECORD_LENGTH} bytes`);
  if (record.every((b) => b === 0xff)) return ok(null);
  const id = readAsciiField(record.subarray(0, USER_ID_LENGTH), 'user id');
  if (!id.ok) return id;
  const label = decodeAlpha(record.subarray(USER_ID_LENGTH));
  if (!label.ok) return fail(`label: ${label.error}`);
  return ok({ userId: id.value, label: label.value });
}

/** EF_PAY_VERIFIERS record: salt (16) ‖ iterations (u32 BE) ‖ PBKDF2-HMAC-SHA-256(password, salt) (32). */
export function encodeVerifier(password: string, salt: Uint8Array, iterations: number): Uint8Array {
  if (salt.length !== 16) throw new RangeError('the salt is 16 bytes');
  const out = Buffer.alloc(VERIFIER_RECORD_LENGTH);
  Buffer.from(salt).copy(out, 0);
  out.writeUInt32BE(iterations, 16);
  pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256').copy(out, 20);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Salt and iterations of a verifier record; undefined when it cannot be one. */
function verifierParameters(record: Uint8Array): { salt: Buffer; iterations: number } | undefined {
  if (record.length !== VERIFIER_RECORD_LENGTH) return undefined;
  const buf = Buffer.from(record);
  const iterations = buf.readUInt32BE(16);
  if (iterations < 1 || iterations > 10_000_000) return undefined;
  return { salt: buf.subarray(0, 16), iterations };
}

/**
 * True when `password` matches a verifier record (constant-time comparison). `derived` is the PBKDF2 of
 * this password under this record's salt and iterations when it was computed ahead (deriveForVerifier).
 */
export function checkVerifier(record: Uint8Array, password: Uint8Array, derived?: Uint8Array): boolean {
  const v = verifierParameters(record);
  if (!v) return false;
  const key = derived ?? pbkdf2Sync(password, v.salt, v.iterations, 32, 'sha256');
  return key.length === 32 && timingSafeEqual(key, Buffer.from(record).subarray(20, 52));
}

/** The PBKDF2 that checkVerifier(record, password) needs, computed on libuv's thread pool. */
export function deriveForVerifier(record: Uint8Array, password: Uint8Array): Promise<Uint8Array | undefined> {
  const v = verifierParameters(record);
  if (!v) return Promise.resolve(undefined);
  return new Promise((resolve) =>
    pbkdf2(password, v.salt, v.iterations, 32, 'sha256', (err, key) => resolve(err ? undefined : key)),
  );
}

/**
 * EF_PAY_AUTH (70 bytes):
 *   0      status: 01 authenticated; anything else = no result
 *   1      user record number in EF_PAY_USERS
 *   2–17   user id, ASCII, FF-padded
 *   18–25  issued at: the phone's time, Unix seconds, u64 BE
 *   26–33  expires at: issued at + validity, Unix seconds, u64 BE
 *   34–37  sequence number, u32 BE (incremented by the card for every result)
 *   38–69  HMAC-SHA-256(auth key, "BTPAY-AUTH-1" ‖ EF_PAY_DEVICE_ID (16 bytes) ‖ bytes 0–37),
 *          or FF × 32 when the card has no auth key
 */
export interface AuthResult {
  authenticated: boolean;
  userRecord: number;
  userId: string;
  issuedAt: number;
  expiresAt: number;
  sequence: number;
  /** 32-byte HMAC, or undefined when the card has no auth key. */
  mac?: Uint8Array;
}

const AUTH_MAC_LABEL = Buffer.from('BTPAY-AUTH-1', 'ascii');

function authBody(r: AuthResult): Buffer {
  const out = Buffer.alloc(38, 0xff);
  out[0] = r.authenticated ? 0x01 : 0x00;
  out[1] = r.userRecord & 0xff;
  Buffer.from(asciiField(r.userId, USER_ID_LENGTH, 'user id')).copy(out, 2);
  out.writeBigUInt64BE(BigInt(r.issuedAt), 18);
  out.writeBigUInt64BE(BigInt(r.expiresAt), 26);
  out.writeUInt32BE(r.sequence >>> 0, 34);
  return out;
}

/** The MAC a card with `authKey` puts on a result for a phone with `deviceId`. */
export function authResultMac(authKey: Uint8Array, deviceId: string, result: AuthResult): Uint8Array {
  const mac = createHmac('sha256', authKey)
    .update(AUTH_MAC_LABEL)
    .update(encodeDeviceId(deviceId))
    .update(authBody(result))
    .digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, mac.length);
}

export function encodeAuthResult(result: AuthResult): Uint8Array {
  const out = Buffer.alloc(AUTH_RESULT_LENGTH, 0xff);
  authBody(result).copy(out, 0);
  if (result.mac) Buffer.from(result.mac).copy(out, 38);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Decodes EF_PAY_AUTH; `null` when it holds no result (erased, or status ≠ 01). */
export function decodeAuthResult(bytes: Uint8Array): DecodeResult<AuthResult | null> {
  if (bytes.length !== AUTH_RESULT_LENGTH) return fail(`EF_PAY_AUTH is ${AUTH_RESULT_LENGTH} bytes`);
  if (bytes[0] !== 0x01) return ok(null);
  const buf = Buffer.from(bytes);
  const id = readAsciiField(buf.subarray(2, 18), 'user id');
  if (!id.ok) return id;
  const issued = buf.readBigUInt64BE(18);
  const expires = buf.readBigUInt64BE(26);
  if (issued > BigInt(Number.MAX_SAFE_INTEGER) || expires > BigInt(Number.MAX_SAFE_INTEGER)) {
    return fail('authentication result time out of range');
  }
  const mac = buf.subarray(38, 70);
  const result: AuthResult = {
    authenticated: true,
    userRecord: buf[1]!,
    userId: id.value,
    issuedAt: Number(issued),
    expiresAt: Number(expires),
    sequence: buf.readUInt32BE(34),
  };
  if (!mac.every((b) => b === 0xff)) result.mac = Uint8Array.from(mac);
  return ok(result);
}

/** Gateway side: checks a result's MAC and its expiry against the gateway's clock (Unix seconds). */
export function checkAuthResult(
  result: AuthResult,
  authKey: Uint8Array,
  deviceId: string,
  nowS: number,
): 'valid' | 'bad-mac' | 'expired' | 'not-yet-valid' {
  const mac = result.mac;
  const expected = authResultMac(authKey, deviceId, result);
  if (!mac || mac.length !== 32 || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected)))
    return 'bad-mac';
  if (nowS >= result.expiresAt) return 'expired';
  if (nowS + 300 < result.issuedAt) return 'not-yet-valid';
  return 'valid';
}

export interface VerifyPaymentPassword {
  userId: string;
  password: string;
  /** The phone's time, Unix seconds. */
  now: number;
  /** Validity of the result in seconds (default 3600 — the seed's one hour). */
  validity?: number;
}

const u64 = (n: number): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const u32 = (n: number): Uint8Array => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** Phone side: the data field of VERIFY PAYMENT PASSWORD. */
export function encodeVerifyPaymentPassword(v: VerifyPaymentPassword): Uint8Array {
  const parts = [
    encodeTlv(0x80, Buffer.from(v.userId, 'ascii')),
    encodeTlv(0x81, Buffer.from(v.password, 'utf8')),
    encodeTlv(0x82, u64(v.now)),
  ];
  if (v.validity !== undefined) parts.push(encodeTlv(0x83, u32(v.validity)));
  return concatBytes(parts);
}

/** Phone side: the data field of CHANGE PAYMENT PASSWORD (oldPassword omitted after ADM verification). */
export function encodeChangePaymentPassword(
  userId: string,
  newPassword: string,
  oldPassword?: string,
): Uint8Array {
  const parts = [encodeTlv(0x80, Buffer.from(userId, 'ascii'))];
  if (oldPassword !== undefined) parts.push(encodeTlv(0x81, Buffer.from(oldPassword, 'utf8')));
  parts.push(encodeTlv(0x84, Buffer.from(newPassword, 'utf8')));
  return concatBytes(parts);
}

export interface PaymentCommandFields {
  userId: string;
  password?: Uint8Array;
  newPassword?: Uint8Array;
  now?: number;
  validity?: number;
}

/** Card side: parses the TLVs of 5A / 5C; an error means status word 6A80. */
export function parsePaymentCommand(data: Uint8Array): DecodeResult<PaymentCommandFields> {
  const t = parseBerTlv(data);
  if (!t.ok) return fail(t.error);
  const get = (tag: number) => t.value.find((x) => x.tag === tag)?.value;
  const id = get(0x80);
  if (!id || id.length < 1 || id.length > USER_ID_LENGTH || !id.every((b) => b >= 0x20 && b <= 0x7e)) {
    return fail('user id (80) of 1–16 printable ASCII bytes');
  }
  const out: PaymentCommandFields = { userId: Buffer.from(id).toString('ascii') };
  const pw = get(0x81);
  if (pw) {
    if (pw.length < 1 || pw.length > 64) return fail('password (81) of 1–64 bytes');
    out.password = pw;
  }
  const np = get(0x84);
  if (np) {
    if (np.length < 4 || np.length > 64) return fail('new password (84) of 4–64 bytes');
    out.newPassword = np;
  }
  const now = get(0x82);
  if (now) {
    if (now.length !== 8) return fail('time (82) of 8 bytes');
    const n = Buffer.from(now).readBigUInt64BE(0);
    if (n > BigInt(Number.MAX_SAFE_INTEGER) - BigInt(MAX_AUTH_VALIDITY_S))
      return fail('time (82) out of range');
    out.now = Number(n);
  }
  const validity = get(0x83);
  if (validity) {
    if (validity.length !== 4) return fail('validity (83) of 4 bytes');
    out.validity = Buffer.from(validity).readUInt32BE(0);
    if (out.validity < 1 || out.validity > MAX_AUTH_VALIDITY_S) return fail('validity (83) of 1 s to 24 h');
  }
  return ok(out);
}
