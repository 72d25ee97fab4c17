import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decryptPan,
  encryptPan,
  ff1Decrypt,
  ff1Encrypt,
  isLuhnValid,
  luhnCheckDigit,
} from '../../../firmware-sim/payment/pan-encryption.js';

const hex = (h: string) => Buffer.from(h, 'hex');
const K128 = hex('2B7E151628AED2A6ABF7158809CF4F3C');
const K192 = hex('2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F');
const K256 = hex('2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94');
const T10 = hex('39383736353433323130');
const T11 = hex('3737373770717273373737');

// NIST SP 800-38G FF1 samples (csrc.nist.gov, "FF1samples.pdf"), radix 10 and 36.
const SAMPLES = [
  {
    name: 'Sample 1 (AES-128, no tweak)',
    key: K128,
    tweak: hex(''),
    radix: 10,
    pt: '0123456789',
    ct: '2433477484',
  },
  { name: 'Sample 2 (AES-128, tweak)', key: K128, tweak: T10, radix: 10, pt: '0123456789', ct: '6124200773' },
  {
    name: 'Sample 3 (AES-128, radix 36)',
    key: K128,
    tweak: T11,
    radix: 36,
    pt: '0123456789abcdefghi',
    ct: 'a9tv40mll9kdu509eum',
  },
  {
    name: 'Sample 4 (AES-192, no tweak)',
    key: K192,
    tweak: hex(''),
    radix: 10,
    pt: '0123456789',
    ct: '2830668132',
  },
  {
    name: 'Sample 7 (AES-256, no tweak)',
    key: K256,
    tweak: hex(''),
    radix: 10,
    pt: '0123456789',
    ct: '6657667009',
  },
  { name: 'Sample 8 (AES-256, tweak)', key: K256, tweak: T10, radix: 10, pt: '0123456789', ct: '1001623463' },
];

describe('FF1 (NIST SP 800-38G)', () => {
  for (const s of SAMPLES) {
    it(`${s.name}: encrypts to the published cipher text and back`, () => {
      expect(ff1Encrypt(s.key, s.tweak, s.pt, s.radix)).toBe(s.ct);
      expect(ff1Decrypt(s.key, s.tweak, s.ct, s.radix)).toBe(s.pt);
    });
  }

  it('refuses a wrong key length, a numeral outside the radix and a domain below 10^6', () => {
    expect(() => ff1Encrypt(Buffer.alloc(15), Buffer.alloc(0), '0123456')).toThrow(/key/);
    expect(() => ff1Encrypt(K128, Buffer.alloc(0), '01234a6')).toThrow(/numeral/);
    expect(() => ff1Encrypt(K128, Buffer.alloc(0), '01234')).toThrow(/domain/);
  });
});

describe('card-number encryption (seed 001 embodiment 2)', () => {
  it('Luhn check digit: ISO/IEC 7812-1 examples', () => {
    expect(luhnCheckDigit('7992739871')).toBe('3');
    expect(isLuhnValid('4111111111111111')).toBe(true);
    expect(isLuhnValid('4111111111111112')).toBe(false);
  });

  it("the seed's card numbers round-trip, change, and keep their length", () => {
    const key = Buffer.alloc(32, 7);
    for (const pan of ['1234-2234-3234-4234', '2234323442345234', '3234423452346234']) {
      const digits = pan.replace(/-/g, '');
      const enc = encryptPan(pan, key);
      expect(enc).toMatch(/^\d{16}$/);
      expect(enc).not.toBe(digits);
      expect(decryptPan(enc, key)).toBe(digits);
      expect(decryptPan(enc, Buffer.alloc(32, 8))).not.toBe(digits);
    }
  });

  it('property: any 12–19 digit number round-trips; a Luhn-valid one stays Luhn-valid', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{12,19}$/),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (pan, key) => {
          const enc = encryptPan(pan, key);
          expect(enc.length).toBe(pan.length);
          expect(decryptPan(enc, key)).toBe(pan);
          expect(isLuhnValid(enc)).toBe(isLuhnValid(pan));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses what is not a card number', () => {
    expect(() => encryptPan('12345', Buffer.alloc(32))).toThrow(RangeError);
    expect(() => decryptPan('12a4567890123', Buffer.alloc(32))).toThrow(RangeError);
  });
});
