import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReportDescriptor } from '../../../firmware-sim/hid/descriptor.js';
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { extractUsages } from '../../../firmware-sim/hid/fields.js';
import {
  KEYBOARD_LAYOUTS,
  typeableCharacters,
  type KeyboardLayoutId,
} from '../../../firmware-sim/scanner/keyboard-layouts.js';
import {
  WEDGE_PACING,
  WedgeError,
  decodeWedgeReports,
  encodeLedReport,
  encodeWedge,
  encodeWedgeBytes,
  parseLedReport,
  wedgeSchedule,
} from '../../../firmware-sim/scanner/wedge.js';

const hex = (reports: Uint8Array[]): string[] => reports.map((r) => Buffer.from(r).toString('hex'));
const RELEASE = '0000000000000000';

describe('keyboard wedge encoding', () => {
  it('"aA1\\r" on US: key-down/release pairs, Shift for A', () => {
    const { reports, skipped } = encodeWedge('aA1\r', { layout: 'us' });
    expect(skipped).toEqual([]);
    expect(hex(reports)).toEqual([
      '0000040000000000',
      RELEASE,
      '0200040000000000',
      RELEASE,
      '00001e0000000000',
      RELEASE,
      '0000280000000000',
      RELEASE,
    ]);
  });

  it('the reports are valid boot keyboard input reports', () => {
    const info = parseReportDescriptor(BOOT_KEYBOARD_DESCRIPTOR).inputReports[0];
    if (!info) throw new Error('no input report');
    const [down] = encodeWedge('A', { layout: 'us' }).reports;
    const values = extractUsages(down as Uint8Array, info);
    expect(values.get(0x000700e1)).toEqual([1]); // Left Shift
    expect(values.get(0x00070004)).toEqual([1]); // a
  });

  it('TAB, GS (Ctrl+]), LF (Ctrl+J)', () => {
    expect(hex(encodeWedge('\t\u001d\n', { layout: 'us' }).reports)).toEqual([
      '00002b0000000000',
      RELEASE,
      '0100300000000000',
      RELEASE,
      '01000d0000000000',
      RELEASE,
    ]);
  });

  it('DE swaps y and z; @ needs AltGr+Q; GS is Ctrl + the + key', () => {
    expect(hex(encodeWedge('yz@', { layout: 'de' }).reports)).toEqual([
      '00001d0000000000',
      RELEASE,
      '00001c0000000000',
      RELEASE,
      '4000140000000000',
      RELEASE,
    ]);
    expect(hex(encodeWedge('\u001d', { layout: 'de' }).reports)[0]).toBe('0100300000000000');
  });

  it('FR digits need Shift; a and q swap', () => {
    expect(hex(encodeWedge('1a', { layout: 'fr' }).reports)).toEqual([
      '02001e0000000000',
      RELEASE,
      '0000140000000000',
      RELEASE,
    ]);
    const digits = encodeWedge('4901234567894', { layout: 'fr' }).reports;
    for (let i = 0; i < digits.length; i += 2) expect(digits[i]?.[0]).toBe(0x02);
  });

  it('Caps Lock compensation: the scanner inverts Shift on letters only', () => {
    expect(hex(encodeWedge('aA1', { layout: 'us', capsLock: true }).reports)).toEqual([
      '0200040000000000',
      RELEASE,
      '0000040000000000',
      RELEASE,
      '00001e0000000000',
      RELEASE,
    ]);
    const compensated = encodeWedge('Hello1!', { layout: 'us', capsLock: true });
    expect(decodeWedgeReports(compensated.reports, { layout: 'us', capsLock: true }).text).toBe('Hello1!');
    const naive = encodeWedge('Hello1!', { layout: 'us', capsLock: true, compensateCapsLock: false });
    expect(decodeWedgeReports(naive.reports, { layout: 'us', capsLock: true }).text).toBe('hELLO1!');
  });

  it('skips and counts characters a layout cannot type', () => {
    expect(encodeWedge('a€b', { layout: 'us' }).skipped).toEqual(['€']);
    expect(encodeWedge('^`', { layout: 'de' }).skipped).toEqual(['^', '`']);
    expect(encodeWedge('x\u0000y', { layout: 'us' }).reports).toHaveLength(4);
    expect(encodeWedgeBytes(Uint8Array.of(0x41, 0xff), { layout: 'us' }).skipped).toEqual(['ÿ']);
  });
});

describe('host side decoding', () => {
  it('US scanner read by a DE host: y and z swap, symbols move', () => {
    const { reports } = encodeWedge('yz-/', { layout: 'us' });
    expect(decodeWedgeReports(reports, { layout: 'de' }).text).toBe('zyß-');
  });

  it('US scanner read by an FR host: digits come out as the unshifted row', () => {
    const { reports } = encodeWedge('4901', { layout: 'us' });
    expect(decodeWedgeReports(reports, { layout: 'fr' }).text).toBe("'çà&");
  });

  it('without release reports, "aa" reads "a"', () => {
    const { reports } = encodeWedge('aa', { layout: 'us' });
    const downs = reports.filter((_, i) => i % 2 === 0);
    expect(decodeWedgeReports(downs, { layout: 'us' }).text).toBe('a');
    expect(decodeWedgeReports(reports, { layout: 'us' }).text).toBe('aa');
  });

  it('Caps Lock on the host without compensation inverts case', () => {
    const { reports } = encodeWedge('Ab', { layout: 'us' });
    expect(decodeWedgeReports(reports, { layout: 'us', capsLock: true }).text).toBe('aB');
  });

  it('error roll-over reports are ignored; bad lengths are WedgeErrors', () => {
    const rollOver = Uint8Array.of(0, 0, 1, 1, 1, 1, 1, 1);
    const r = decodeWedgeReports([rollOver], { layout: 'us' });
    expect(r).toEqual({ text: '', unmapped: 0, rollOver: 1 });
    expect(() => decodeWedgeReports([new Uint8Array(7)], { layout: 'us' })).toThrow(WedgeError);
  });

  it('LED output report', () => {
    expect(parseLedReport(Uint8Array.of(0x02)).capsLock).toBe(true);
    expect(parseLedReport(Uint8Array.of(0x1f))).toEqual({
      numLock: true,
      capsLock: true,
      scrollLock: true,
      compose: true,
      kana: true,
    });
    expect(encodeLedReport({ capsLock: true, numLock: true })).toEqual(Uint8Array.of(0x03));
    expect(() => parseLedReport(new Uint8Array(2))).toThrow(WedgeError);
  });

  it('pacing is data', () => {
    expect(wedgeSchedule(4, WEDGE_PACING.honeywell)).toEqual([0, 4, 8, 12]);
    expect(wedgeSchedule(4, WEDGE_PACING['zebra-slow'])).toEqual([0, 40, 80, 120]);
  });
});

describe('properties', () => {
  for (const layout of KEYBOARD_LAYOUTS) {
    it(`encode → decode round trip on ${layout} for every typeable character`, () => {
      const chars = typeableCharacters(layout as KeyboardLayoutId);
      expect(chars.length).toBeGreaterThan(90);
      // each character alone, then random strings, with and without Caps Lock
      for (const ch of chars) {
        expect(decodeWedgeReports(encodeWedge(ch, { layout }).reports, { layout }).text).toBe(ch);
      }
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom(...chars), { maxLength: 60 }),
          fc.boolean(),
          (list, capsLock) => {
            const text = list.join('');
            const enc = encodeWedge(text, { layout, capsLock });
            expect(enc.skipped).toEqual([]);
            expect(enc.reports).toHaveLength(2 * list.length);
            expect(decodeWedgeReports(enc.reports, { layout, capsLock }).text).toBe(text);
          },
        ),
        { numRuns: 100 },
      );
    });
  }

  it('arbitrary bytes as reports never throw anything but WedgeError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 10 }), { maxLength: 20 }),
        fc.constantFrom(...KEYBOARD_LAYOUTS),
        fc.boolean(),
        (reports, layout, capsLock) => {
          try {
            decodeWedgeReports(reports, { layout, capsLock });
          } catch (e) {
            expect(e).toBeInstanceOf(WedgeError);
          }
          for (const r of reports) {
            try {
              parseLedReport(r);
            } catch (e) {
              expect(e).toBeInstanceOf(WedgeError);
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('fuzz: 8-byte reports always decode', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { maxLength: 30 }), (reports) => {
        const r = decodeWedgeReports(reports, { layout: 'jp' });
        expect(typeof r.text).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary strings encode without throwing', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 50 }),
        fc.constantFrom(...KEYBOARD_LAYOUTS),
        (s, layout) => {
          const enc = encodeWedge(s, { layout });
          expect(enc.reports.length / 2 + enc.skipped.length).toBe([...s].length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
