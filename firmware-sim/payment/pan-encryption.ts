/**
 * Seed 001, embodiment 2: the gateway encrypts the card number under a fresh key per transaction and
 * hands the result to the POS, which stores and sends it as it would a card number; only the issuer,
 * given the key, recovers the number. The seed adds a key to the digits ([0145]); here it is FF1 of NIST
 * SP 800-38G (format-preserving, AES), so the result is still a digit string of the same length with a
 * valid Luhn check digit (ISO/IEC 7812-1), and without the key it tells nothing of the number.
 */
import { createCipheriv } from 'node:crypto';

const BLOCK = 16;

function aesEcb(key: Uint8Array, block: Uint8Array): Buffer {
  const c = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/** PRF of SP 800-38G §4.4 (CBC-MAC with a zero IV): the last cipher block. */
function prf(key: Uint8Array, data: Uint8Array): Buffer {
  let y: Buffer = Buffer.alloc(BLOCK);
  for (let i = 0; i < data.length; i += BLOCK) {
    const x = Buffer.from(data.subarray(i, i + BLOCK));
    for (let j = 0; j < BLOCK; j++) x[j]! ^= y[j]!;
    y = aesEcb(key, x);
  }
  return y;
}

function num(digits: string, radix: number): bigint {
  let n = 0n;
  const r = BigInt(radix);
  for (const ch of digits) n = n * r + BigInt(parseInt(ch, radix));
  return n;
}

function str(n: bigint, radix: number, length: number): string {
  return n.toString(radix).padStart(length, '0');
}

function bytesOf(n: bigint, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

function checkInput(key: Uint8Array, x: string, radix: number): void {
  if (![16, 24, 32].includes(key.length)) throw new RangeError('FF1: the key is 16, 24 or 32 bytes');
  if (!Number.isInteger(radix) || radix < 2 || radix > 36) throw new RangeError('FF1: radix 2–36');
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, radix);
  for (const ch of x) {
    if (!alphabet.includes(ch)) throw new RangeError(`FF1: "${ch}" is not a numeral of radix ${radix}`);
  }
  // §5.2: radix^minlen ≥ 1 000 000, and n < 2^32 (bounded far lower here).
  if (radix ** x.length < 1_000_000 || x.length > 256)
    throw new RangeError(`FF1: ${x.length} numerals is outside the domain for radix ${radix}`);
}

function rounds(key: Uint8Array, tweak: Uint8Array, radix: number, n: number) {
  const u = Math.floor(n / 2);
  const v = n - u;
  const b = Math.ceil(Math.ceil(v * Math.log2(radix)) / 8);
  const d = 4 * Math.ceil(b / 4) + 4;
  const t = tweak.length;
  const p = Buffer.alloc(BLOCK);
  p.set([1, 2, 1], 0);
  p.writeUIntBE(radix, 3, 3);
  p[6] = 10;
  p[7] = u % 256;
  p.writeUInt32BE(n, 8);
  p.writeUInt32BE(t, 12);
  const pad = (((-t - b - 1) % BLOCK) + BLOCK) % BLOCK;
  /** y of round i from the numeral string that feeds it. */
  const y = (i: number, feed: string): bigint => {
    const q = Buffer.concat([tweak, Buffer.alloc(pad), Buffer.from([i]), bytesOf(num(feed, radix), b)]);
    const r = prf(key, Buffer.concat([p, q]));
    const blocks = [r];
    for (let j = 1; j * BLOCK < d; j++) {
      const x = Buffer.from(r);
      x.writeUInt32BE(x.readUInt32BE(12) ^ j, 12);
      blocks.push(aesEcb(key, x));
    }
    return BigInt(`0x${Buffer.concat(blocks).subarray(0, d).toString('hex')}`);
  };
  return { u, v, y };
}

/** FF1.Encrypt (SP 800-38G Algorithm 7). `x` in lower-case numerals of `radix`. */
export function ff1Encrypt(key: Uint8Array, tweak: Uint8Array, x: string, radix = 10): string {
  checkInput(key, x, radix);
  const { u, v, y } = rounds(key, tweak, radix, x.length);
  let a = x.slice(0, u);
  let b = x.slice(u);
  for (let i = 0; i < 10; i++) {
    const m = i % 2 === 0 ? u : v;
    const mod = BigInt(radix) ** BigInt(m);
    const c = (((num(a, radix) + y(i, b)) % mod) + mod) % mod;
    a = b;
    b = str(c, radix, m);
  }
  return a + b;
}

/** FF1.Decrypt (SP 800-38G Algorithm 8). */
export function ff1Decrypt(key: Uint8Array, tweak: Uint8Array, x: string, radix = 10): string {
  checkInput(key, x, radix);
  const { u, v, y } = rounds(key, tweak, radix, x.length);
  let a = x.slice(0, u);
  let b = x.slice(u);
  for (let i = 9; i >= 0; i--) {
    const m = i % 2 === 0 ? u : v;
    const mod = BigInt(radix) ** BigInt(m);
    const c = (((num(b, radix) - y(i, a)) % mod) + mod) % mod;
    b = a;
    a = str(c, radix, m);
  }
  return a + b;
}

/** The Luhn check digit (ISO/IEC 7812-1 Annex B) for the digits before it. */
export function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export const isLuhnValid = (pan: string): boolean =>
  /^\d{2,19}$/.test(pan) && luhnCheckDigit(pan.slice(0, -1)) === pan.slice(-1);

/** Domain separation: the tweak names the purpose, so the key cannot be replayed on other digits. */
const TWEAK = Buffer.from('BTPAY-PAN-1', 'ascii');
const PAN = /^\d{12,19}$/;

/** How far the last digit is from the Luhn digit of the ones before it: 0 for every valid card number. */
const luhnOffset = (digits: string): number =>
  (Number(digits.slice(-1)) - Number(luhnCheckDigit(digits.slice(0, -1))) + 10) % 10;

const withOffset = (body: string, offset: number): string =>
  body + String((Number(luhnCheckDigit(body)) + offset) % 10);

/**
 * Encrypts a card number (12–19 digits, dashes and spaces ignored) with a per-transaction AES key: every
 * digit but the last goes through FF1, and the last keeps its distance from the Luhn digit, so a valid card
 * number gives a valid-looking one (and a test number that fails Luhn still round-trips exactly).
 */
export function encryptPan(pan: string, key: Uint8Array): string {
  const digits = pan.replace(/[\s-]/g, '');
  if (!PAN.test(digits)) throw new RangeError('a card number is 12 to 19 digits');
  return withOffset(ff1Encrypt(key, TWEAK, digits.slice(0, -1)), luhnOffset(digits));
}

/** The card number back from `encryptPan`'s output and the same key. */
export function decryptPan(encrypted: string, key: Uint8Array): string {
  if (!PAN.test(encrypted)) throw new RangeError('an encrypted card number is 12 to 19 digits');
  return withOffset(ff1Decrypt(key, TWEAK, encrypted.slice(0, -1)), luhnOffset(encrypted));
}
