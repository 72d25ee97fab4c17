/**
 * The LE security function e (Vol 3 Part H, 2.2.1: AES-128 with the most significant octet first) and
 * its HCI form LE Encrypt (Vol 4 Part E, 7.8.22), whose key and data travel least significant octet
 * first; c1 and s1 of LE legacy pairing (Vol 3 Part H, 2.2.3 and 2.2.4) are built on it.
 */
import crypto from 'node:crypto';

/** e(key, plaintext) with both in the specification's most-significant-first order. */
export function securityFunctionE(key: Uint8Array, plaintext: Uint8Array): Buffer {
  if (key.length !== 16 || plaintext.length !== 16)
    throw new RangeError('e: key and plaintext are 16 octets');
  const cipher = crypto.createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

function reversed(b: Uint8Array): Buffer {
  return Buffer.from(b).reverse();
}

/** HCI LE Encrypt: key, plaintext and result as they appear in the command and its Command Complete. */
export function leEncrypt(keyLsoFirst: Uint8Array, plaintextLsoFirst: Uint8Array): Buffer {
  return reversed(securityFunctionE(reversed(keyLsoFirst), reversed(plaintextLsoFirst)));
}

/** HCI LE Rand: 8 octets from the system's cryptographically secure generator. */
export function leRand(): Buffer {
  return crypto.randomBytes(8);
}

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((x, i) => x ^ b[i]!));
}

/**
 * c1 confirm value. All inputs most significant octet first as the specification writes them: preq and
 * pres are the 7-octet SMP commands, iat/rat one octet, ia/ra 6 octets.
 */
export function c1(
  k: Buffer,
  r: Buffer,
  preq: Buffer,
  pres: Buffer,
  iat: number,
  ia: Buffer,
  rat: number,
  ra: Buffer,
): Buffer {
  const p1 = Buffer.concat([pres, preq, Buffer.from([rat, iat])]);
  const p2 = Buffer.concat([Buffer.alloc(4), ia, ra]);
  return securityFunctionE(k, xor(securityFunctionE(k, xor(r, p1)), p2));
}

/** s1 key generation: STK from the two random values (most significant octet first). */
export function s1(k: Buffer, r1: Buffer, r2: Buffer): Buffer {
  return securityFunctionE(k, Buffer.concat([r1.subarray(8), r2.subarray(8)]));
}
