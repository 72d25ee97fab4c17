import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { c1, leEncrypt, leRand, s1, securityFunctionE } from '../../../../devices/ble/hci/crypto.js';

const require = createRequire(import.meta.url);
/** noble's own legacy-pairing crypto: an independent peer working least significant octet first. */
const nobleCrypto = require('@abandonware/noble/lib/hci-socket/crypto.js') as {
  c1(
    k: Buffer,
    r: Buffer,
    pres: Buffer,
    preq: Buffer,
    iat: Buffer,
    ia: Buffer,
    rat: Buffer,
    ra: Buffer,
  ): Buffer;
  s1(k: Buffer, r1: Buffer, r2: Buffer): Buffer;
  e(k: Buffer, d: Buffer): Buffer;
};

const h = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const rev = (b: Buffer) => Buffer.from(b).reverse();

describe('LE security function e and LE Encrypt', () => {
  it('e is AES-128: FIPS-197 Appendix C.1 example vector', () => {
    expect(
      securityFunctionE(h('000102030405060708090a0b0c0d0e0f'), h('00112233445566778899aabbccddeeff')),
    ).toEqual(h('69c4e0d86a7b0430d8cdb78070b4c55a'));
  });

  it('LE Encrypt (Vol 4 Part E 7.8.22) carries key, data and result least significant octet first', () => {
    const key = rev(h('000102030405060708090a0b0c0d0e0f'));
    const data = rev(h('00112233445566778899aabbccddeeff'));
    expect(leEncrypt(key, data)).toEqual(rev(h('69c4e0d86a7b0430d8cdb78070b4c55a')));
  });

  it('LE Encrypt agrees with noble crypto.e (peer) on random inputs', () => {
    for (let i = 0; i < 50; i++) {
      const k = leRand().subarray(0, 8);
      const key = Buffer.concat([k, leRand()]);
      const data = Buffer.concat([leRand(), leRand()]);
      expect(leEncrypt(key, data)).toEqual(nobleCrypto.e(key, data));
    }
  });

  it('LE Rand returns 8 octets that differ between calls', () => {
    const a = leRand();
    const b = leRand();
    expect(a).toHaveLength(8);
    expect(a.equals(b)).toBe(false);
  });
});

describe('LE legacy pairing c1 and s1 (Vol 3 Part H 2.2.3, 2.2.4 sample data)', () => {
  const k = Buffer.alloc(16);
  const r = h('5783D52156AD6F0E6388274EC6702EE0');
  const preq = h('07071000000101');
  const pres = h('05000800000302');
  const ia = h('A1A2A3A4A5A6');
  const ra = h('B1B2B3B4B5B6');

  it('c1 gives the specification confirm value 1e1e3fef878988ead2a74dc5bef13b86', () => {
    expect(c1(k, r, preq, pres, 1, ia, 0, ra)).toEqual(h('1e1e3fef878988ead2a74dc5bef13b86'));
  });

  it('c1 agrees with noble (peer), which takes its inputs least significant octet first', () => {
    const peer = nobleCrypto.c1(
      k,
      rev(r),
      rev(pres),
      rev(preq),
      Buffer.from([1]),
      rev(ia),
      Buffer.from([0]),
      rev(ra),
    );
    expect(rev(peer)).toEqual(c1(k, r, preq, pres, 1, ia, 0, ra));
  });

  it('s1 gives the specification STK 9a1fe1f0e8b0f49b5b4216ae796da062', () => {
    const r1 = h('000F0E0D0C0B0A091122334455667788');
    const r2 = h('010203040506070899AABBCCDDEEFF00');
    expect(s1(k, r1, r2)).toEqual(h('9a1fe1f0e8b0f49b5b4216ae796da062'));
    expect(rev(nobleCrypto.s1(k, rev(r1), rev(r2)))).toEqual(s1(k, r1, r2));
  });
});
