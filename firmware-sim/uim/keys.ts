/**
 * On-card asymmetric keys: generation from injected randomness and signing of a SHA-256 hash.
 *
 * Node's crypto does the arithmetic. It has no "sign this precomputed hash" for ECDSA (crypto.sign hashes
 * its input again), so ECDSA P-256 is computed here from its definition (SEC 1 §4.1.3) with the nonce of
 * RFC 6979 §3.2 — deterministic, so a signature is reproducible and no randomness is needed at signing
 * time — and Node's ECDH for the scalar multiplication. RSA PKCS#1 v1.5 is a private-key operation on the
 * DigestInfo (RFC 8017 §9.2), which Node offers as privateEncrypt with PKCS#1 type-1 padding.
 */
import {
  constants,
  createECDH,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
} from 'node:crypto';
import type { KeyAlgorithm } from './state.js';

/** Randomness source: n random bytes. Injected so tests are deterministic. */
export type RandomSource = (n: number) => Uint8Array;

export interface KeyPairDer {
  /** PKCS#8 DER. */
  privateKey: Uint8Array;
  /** SubjectPublicKeyInfo DER. */
  publicKey: Uint8Array;
}

/** Makes an RSA-2048 key pair (OpenSSL's generator; it cannot take our randomness). */
export type RsaKeyGenerator = () => KeyPairDer;

const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

const toBig = (b: Uint8Array): bigint =>
  b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'));
const toBytes = (n: bigint, len: number): Buffer => Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex');
const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
  }
  return r;
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

/** An EC P-256 key pair whose private scalar comes from `random` (rejection sampling in [1, n−1]). */
export function generateEcP256(random: RandomSource): KeyPairDer {
  for (;;) {
    const d = toBig(random(32));
    if (d >= 1n && d < P256_N) return ecP256FromScalar(toBytes(d, 32));
  }
}

/** The key pair of a given 32-byte private scalar. */
export function ecP256FromScalar(d: Uint8Array): KeyPairDer {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey();
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    d: b64u(d),
    x: b64u(pub.subarray(1, 33)),
    y: b64u(pub.subarray(33, 65)),
  };
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  return {
    privateKey: u8(key.export({ format: 'der', type: 'pkcs8' })),
    publicKey: u8(createPublicKey(key).export({ format: 'der', type: 'spki' })),
  };
}

export const defaultRsaKeyGenerator: RsaKeyGenerator = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 65537,
  });
  return {
    privateKey: u8(privateKey.export({ format: 'der', type: 'pkcs8' })),
    publicKey: u8(publicKey.export({ format: 'der', type: 'spki' })),
  };
};

export function generateKeyPair(
  algorithm: KeyAlgorithm,
  random: RandomSource,
  rsa: RsaKeyGenerator,
): KeyPairDer {
  return algorithm === 'ec-p256' ? generateEcP256(random) : rsa();
}

/** RFC 6979 §3.2 nonce for P-256 / SHA-256 (qlen = hlen = 256 bits). */
export function rfc6979Nonce(d: bigint, hash: Uint8Array): bigint {
  const x = toBytes(d, 32);
  const h1 = toBytes(toBig(hash) % P256_N, 32);
  let v: Buffer = Buffer.alloc(32, 0x01);
  let k: Buffer = Buffer.alloc(32, 0x00);
  const hmac = (key: Buffer, ...parts: Buffer[]): Buffer => {
    const m = createHmac('sha256', key);
    for (const p of parts) m.update(p);
    return m.digest();
  };
  k = hmac(k, v, Buffer.of(0x00), x, h1);
  v = hmac(k, v);
  k = hmac(k, v, Buffer.of(0x01), x, h1);
  v = hmac(k, v);
  for (;;) {
    v = hmac(k, v);
    const t = toBig(v);
    if (t >= 1n && t < P256_N) return t;
    k = hmac(k, v, Buffer.of(0x00));
    v = hmac(k, v);
  }
}

function derInteger(n: bigint): Buffer {
  let b = toBytes(n, 32);
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.of(0), b]);
  return Buffer.concat([Buffer.of(0x02, b.length), b]);
}

/** ECDSA P-256 over a 32-byte SHA-256 hash; returns r and s as 32-byte big-endian integers. */
export function ecdsaSignHashRaw(privateKeyPkcs8: Uint8Array, hash: Uint8Array): { r: bigint; s: bigint } {
  const jwk = createPrivateKey({ key: Buffer.from(privateKeyPkcs8), format: 'der', type: 'pkcs8' }).export({
    format: 'jwk',
  });
  const d = toBig(Buffer.from(jwk.d ?? '', 'base64url'));
  const e = toBig(hash) % P256_N;
  for (let extra = 0; ; extra++) {
    // RFC 6979 gives one k; the loop only guards the (probability ~2^-256) r = 0 or s = 0 cases.
    let k = rfc6979Nonce(d, hash);
    for (let i = 0; i < extra; i++) k = (k + 1n) % P256_N || 1n;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(toBytes(k, 32));
    const r = toBig(ecdh.getPublicKey().subarray(1, 33)) % P256_N;
    if (r === 0n) continue;
    const s = (modPow(k, P256_N - 2n, P256_N) * ((e + r * d) % P256_N)) % P256_N;
    if (s === 0n) continue;
    return { r, s };
  }
}

/** ECDSA P-256 signature over a SHA-256 hash, DER-encoded Ecdsa-Sig-Value (what openssl verifies). */
export function ecdsaSignHash(privateKeyPkcs8: Uint8Array, hash: Uint8Array): Uint8Array {
  const { r, s } = ecdsaSignHashRaw(privateKeyPkcs8, hash);
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return u8(Buffer.concat([Buffer.of(0x30, body.length), body]));
}

/** DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
export const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** RSASSA-PKCS1-v1_5 with SHA-256 over a 32-byte hash. */
export function rsaSignHash(privateKeyPkcs8: Uint8Array, hash: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.from(privateKeyPkcs8), format: 'der', type: 'pkcs8' });
  return u8(
    privateEncrypt(
      { key, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([SHA256_DIGEST_INFO_PREFIX, Buffer.from(hash)]),
    ),
  );
}

/**
 * The public key as the ISO 7816-8 public key data object 7F49 (the answer to GENERATE ASYMMETRIC KEY
 * PAIR): EC → 86 (uncompressed point 04‖X‖Y); RSA → 81 modulus, 82 public exponent.
 */
export function publicKeyDataObject(spki: Uint8Array): Uint8Array {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const jwk = key.export({ format: 'jwk' });
  const tlv = (tag: number[], value: Buffer): Buffer => {
    const n = value.length;
    const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
    return Buffer.concat([Buffer.from(tag), Buffer.from(len), value]);
  };
  let inner: Buffer;
  if (jwk.kty === 'EC') {
    inner = tlv(
      [0x86],
      Buffer.concat([
        Buffer.of(0x04),
        Buffer.from(jwk.x ?? '', 'base64url'),
        Buffer.from(jwk.y ?? '', 'base64url'),
      ]),
    );
  } else {
    inner = Buffer.concat([
      tlv([0x81], Buffer.from(jwk.n ?? '', 'base64url')),
      tlv([0x82], Buffer.from(jwk.e ?? '', 'base64url')),
    ]);
  }
  return u8(tlv([0x7f, 0x49], inner));
}
