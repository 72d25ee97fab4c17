import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Gs1Error,
  encodeTransmitted,
  formatHri,
  gs1CheckDigit,
  hasValidCheckDigit,
  hriToTransmitted,
  parseHri,
  parseTransmitted,
  predefinedValueLength,
  transmittedToHri,
  validateElement,
} from '../../../firmware-sim/scanner/gs1.js';
import type { ElementString } from '../../../firmware-sim/scanner/gs1.js';

const GS = '\u001d';

describe('GS1 element strings: known answers', () => {
  it('converts the General Specifications example to the transmitted form', () => {
    // (01) and (17) are predefined-length: no GS; (10) is last: no GS either.
    expect(hriToTransmitted('(01)09501101530003(17)140704(10)AB-123')).toBe(
      '01095011015300031714070410AB-123',
    );
  });

  it('puts GS after a variable-length value that is not last', () => {
    expect(hriToTransmitted('(01)09501101530003(10)AB-123(17)140704')).toBe(
      `010950110153000310AB-123${GS}17140704`,
    );
    expect(hriToTransmitted('(21)12345(10)ABC')).toBe(`2112345${GS}10ABC`);
  });

  it('needs GS after AI 422 although its value is always 3 digits (not in the predefined table)', () => {
    expect(predefinedValueLength('422')).toBeUndefined();
    expect(hriToTransmitted('(422)250(01)09501101530003')).toBe(`422250${GS}0109501101530003`);
  });

  it('knows 4-digit measure AIs and 3-digit AIs', () => {
    expect(hriToTransmitted('(3103)000189(01)09501101530003')).toBe('310300018901' + '09501101530003');
    expect(parseTransmitted('31030001890109501101530003')).toEqual([
      { ai: '3103', value: '000189' },
      { ai: '01', value: '09501101530003' },
    ]);
    expect(parseTransmitted(`400PO-123${GS}8004ABC`)).toEqual([
      { ai: '400', value: 'PO-123' },
      { ai: '8004', value: 'ABC' },
    ]);
  });

  it('parses the transmitted form back', () => {
    expect(transmittedToHri('01095011015300031714070410AB-123')).toBe(
      '(01)09501101530003(17)140704(10)AB-123',
    );
    expect(transmittedToHri(`010950110153000310AB-123${GS}17140704`)).toBe(
      '(01)09501101530003(10)AB-123(17)140704',
    );
  });

  it('tolerates a superfluous GS after a predefined-length value and a trailing GS', () => {
    expect(parseTransmitted(`0109501101530003${GS}10AB${GS}`)).toEqual([
      { ai: '01', value: '09501101530003' },
      { ai: '10', value: 'AB' },
    ]);
  });

  it('takes "(" inside a variable value as data unless it names an AI', () => {
    expect(parseHri('(10)A(B)(21)X')).toEqual([
      { ai: '10', value: 'A(B)' },
      { ai: '21', value: 'X' },
    ]);
  });

  it('computes and checks GS1 check digits', () => {
    expect(gs1CheckDigit('0950110153000')).toBe(3);
    expect(gs1CheckDigit('490123456789')).toBe(4);
    expect(gs1CheckDigit('9638507')).toBe(4);
    expect(gs1CheckDigit('03600029145')).toBe(2);
    expect(gs1CheckDigit('00000000000000000')).toBe(0);
    expect(hasValidCheckDigit('09501101530003')).toBe(true);
    expect(hasValidCheckDigit('09501101530004')).toBe(false);
    expect(hasValidCheckDigit('106141411234567897')).toBe(true); // SSCC example
  });
});

describe('GS1 element strings: malformed input gets a clear error', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['01095011015300031', /expected "\(AI\)"/],
    ['(01)09501101530004', /check digit 4, expected 3/],
    ['(01)0950110153000', /exactly 14 characters/],
    ['(01)0950110153000A', /exactly 14|digits/],
    ['(17)141304', /YYMMDD/],
    ['(10)', /empty/],
    ['(10)' + 'A'.repeat(21), /length 21, expected 1–20/],
    ['(10)AB CD', /character set 82/],
    ['(123)4', /have 2 digits/],
    ['(05)12', /not assigned/],
    ['(00)123456789012345678', /check digit/],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      expect(() => hriToTransmitted(input)).toThrow(Gs1Error);
      expect(() => hriToTransmitted(input)).toThrow(message);
    });
  }

  it('rejects malformed transmitted forms', () => {
    expect(() => parseTransmitted('0109501101530')).toThrow(/truncated/);
    expect(() => parseTransmitted(`01095011015${GS}00310AB`)).toThrow(/GS inside/);
    expect(() => parseTransmitted('AB')).toThrow(/no valid AI/);
    expect(() => parseTransmitted(`10AB${GS}${GS}21X`)).toThrow(Gs1Error);
    expect(() => parseTransmitted('9')).toThrow(Gs1Error);
  });
});

/** Valid element strings: a GTIN, dates, lots and serials, measures, an unknown-to-us but valid AI. */
const digits = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const cset82 = fc.constantFrom(
  ...'!"%&\'*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz',
);
const x = (max: number) => fc.string({ unit: cset82, minLength: 1, maxLength: max });
const element: fc.Arbitrary<ElementString> = fc.oneof(
  digits(13).map((d) => ({ ai: '01', value: d + gs1CheckDigit(d) })),
  digits(17).map((d) => ({ ai: '00', value: d + gs1CheckDigit(d) })),
  fc
    .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 28 }))
    .map(([y, m, d]) => ({ ai: '17', value: [y, m, d].map((v) => String(v).padStart(2, '0')).join('') })),
  x(20).map((v) => ({ ai: '10', value: v })),
  x(20).map((v) => ({ ai: '21', value: v })),
  fc.tuple(fc.integer({ min: 0, max: 5 }), digits(6)).map(([dp, v]) => ({ ai: `310${dp}`, value: v })),
  fc
    .tuple(fc.integer({ min: 1, max: 8 }), fc.nat())
    .map(([len, s]) => ({ ai: '30', value: String(s).slice(0, len) })),
  x(30).map((v) => ({ ai: '400', value: v })),
  x(90).map((v) => ({ ai: '98', value: v })),
  digits(3).map((v) => ({ ai: '422', value: v })),
);

describe('GS1 element strings: properties', () => {
  it('parseTransmitted ∘ encodeTransmitted and parseHri ∘ formatHri are identities', () => {
    fc.assert(
      fc.property(fc.array(element, { minLength: 1, maxLength: 6 }), (elements) => {
        const transmitted = encodeTransmitted(elements);
        expect(parseTransmitted(transmitted)).toEqual(elements);
        expect(parseHri(formatHri(elements))).toEqual(elements);
        expect(hriToTransmitted(formatHri(elements))).toBe(transmitted);
        expect(transmitted.endsWith(GS)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('parsers only ever throw Gs1Error on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'()0123456789AB\u001d-') }), (s) => {
        for (const f of [parseHri, parseTransmitted]) {
          try {
            f(s);
          } catch (e) {
            expect(e).toBeInstanceOf(Gs1Error);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('validateElement accepts what the generators produce', () => {
    fc.assert(fc.property(element, ({ ai, value }) => validateElement(ai, value)));
  });
});
