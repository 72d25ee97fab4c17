import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeCommandApdu,
  parseCommandApdu,
  parseResponseApdu,
  responseApdu,
} from '../../../firmware-sim/uim/apdu.js';
import { bytesOf, hexOf } from './helpers.js';

describe('command APDUs (ISO 7816-3 §12.1)', () => {
  it('parses the four cases, short and extended', () => {
    expect(parseCommandApdu(bytesOf('00A40004'))).toMatchObject({
      ok: true,
      apdu: { case: 1, hasLc: false, ne: undefined },
    });
    expect(parseCommandApdu(bytesOf('00B0000000'))).toMatchObject({ ok: true, apdu: { case: 2, ne: 256 } });
    expect(parseCommandApdu(bytesOf('00A40004023F00'))).toMatchObject({
      ok: true,
      apdu: { case: 3, data: bytesOf('3F00') },
    });
    expect(parseCommandApdu(bytesOf('00A40004023F0000'))).toMatchObject({
      ok: true,
      apdu: { case: 4, ne: 256 },
    });
    expect(parseCommandApdu(bytesOf('00B00000000000'))).toMatchObject({
      ok: true,
      apdu: { case: 2, ne: 65536, extended: true },
    });
    expect(parseCommandApdu(bytesOf('00D60000000003AABBCC'))).toMatchObject({
      ok: true,
      apdu: { case: 3, extended: true },
    });
    expect(parseCommandApdu(bytesOf('002A9E9A000002AABB0100'))).toMatchObject({
      ok: true,
      apdu: { case: 4, ne: 256, extended: true },
    });
  });

  it('malformed lengths map to 6700', () => {
    for (const h of [
      '00A4',
      '00A4000403 3F00',
      '00A4000401 3F0000 00',
      '00D6000000000000',
      '00D60000000004AABB',
    ]) {
      expect(parseCommandApdu(bytesOf(h))).toMatchObject({ ok: false, sw: 0x6700 });
    }
  });

  it('encode then parse gives the same command', () => {
    fc.assert(
      fc.property(
        fc.record({
          cla: fc.integer({ min: 0, max: 255 }),
          ins: fc.integer({ min: 0, max: 255 }),
          p1: fc.integer({ min: 0, max: 255 }),
          p2: fc.integer({ min: 0, max: 255 }),
          data: fc.uint8Array({ maxLength: 600 }),
          ne: fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
        }),
        (c) => {
          const r = parseCommandApdu(encodeCommandApdu(c));
          return r.ok && r.apdu.cla === c.cla && hexOf(r.apdu.data) === hexOf(c.data) && r.apdu.ne === c.ne;
        },
      ),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => parseCommandApdu(b) !== undefined),
      { numRuns: 5000 },
    );
  });

  it('responses: data then SW1 SW2', () => {
    expect(hexOf(responseApdu(0x9000, bytesOf('0102')))).toBe('01029000');
    expect(parseResponseApdu(bytesOf('01029000'))).toEqual({ data: bytesOf('0102'), sw: 0x9000 });
    expect(parseResponseApdu(bytesOf('90'))).toBeUndefined();
  });
});
