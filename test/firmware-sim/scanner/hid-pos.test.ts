import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReportDescriptor } from '../../../firmware-sim/hid/descriptor.js';
import {
  HID_POS_SCANNER_DESCRIPTOR,
  HID_POS_SCANNER_REPORT_ID,
  HID_POS_TRIGGER_REPORT_ID,
} from '../../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import {
  HidPosError,
  ScannedDataAssembler,
  encodeScannedData,
  encodeTriggerReport,
  hidPosLayout,
  parseScannedDataReport,
  parseTriggerReport,
  reassembleLabel,
} from '../../../firmware-sim/scanner/hid-pos.js';

const layout = hidPosLayout(parseReportDescriptor(HID_POS_SCANNER_DESCRIPTOR));
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Builds the golden layout by hand: [02][count][AIM 3][data 56][code id][reserved][continued]. */
function goldenReport(aim: string, data: Uint8Array, codeId: number, continued: boolean): Uint8Array {
  const r = new Uint8Array(64);
  r[0] = 0x02;
  r[1] = data.length;
  r.set(ascii(aim), 2);
  r.set(data, 5);
  r[61] = codeId;
  r[62] = 0;
  r[63] = continued ? 1 : 0;
  return r;
}

const expectHidPosError = (fn: () => unknown, code?: string): void => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HidPosError);
    if (code) expect((e as HidPosError).code).toBe(code);
    return;
  }
  throw new Error('expected a HidPosError');
};

describe('HID POS layout', () => {
  it('finds the fields of the golden descriptor by usage', () => {
    expect(layout.scannedData.reportId).toBe(HID_POS_SCANNER_REPORT_ID);
    expect(layout.scannedData.byteLength).toBe(64);
    expect(layout.dataCapacity).toBe(56);
    expect(layout.hasContinued).toBe(true);
    expect(layout.dataLengthUsage).toBe(0xff000001);
    expect(layout.codeIdUsage).toBe(0xff000002);
    expect(layout.trigger?.reportId).toBe(HID_POS_TRIGGER_REPORT_ID);
  });

  it('rejects a descriptor without Decoded Data', () => {
    expectHidPosError(
      () => hidPosLayout(parseReportDescriptor(Uint8Array.of(0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0xc0))),
      'descriptor',
    );
  });
});

describe('Scanned Data reports', () => {
  it('EAN-13 ]E0 4901234567894: byte-exact against the golden layout', () => {
    const data = ascii('4901234567894');
    const reports = encodeScannedData(layout, { aim: ']E0', data, codeId: 0x64 });
    expect(reports).toHaveLength(1);
    const expected = goldenReport(']E0', data, 0x64, false);
    expect(Buffer.from(reports[0] as Uint8Array).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    expect(
      Buffer.from(reports[0] as Uint8Array)
        .subarray(0, 18)
        .toString('hex'),
    ).toBe('020d5d4530' + '34393031323334353637383934');
    const label = reassembleLabel(layout, reports);
    expect(label).toEqual({ aim: ']E0', data, codeId: 0x64, reports: 1 });
  });

  it('a 200-byte QR code spans 4 reports, continued on all but the last', () => {
    const data = Uint8Array.from({ length: 200 }, (_, i) => 0x20 + (i % 90));
    const reports = encodeScannedData(layout, { aim: ']Q1', data, codeId: 0x73 });
    expect(reports).toHaveLength(4);
    const counts = [56, 56, 56, 32];
    reports.forEach((r, i) => {
      const expected = goldenReport(']Q1', data.subarray(i * 56, i * 56 + 56), 0x73, i < 3);
      expect(r).toEqual(expected);
      expect(r[1]).toBe(counts[i]);
      expect(r[63]).toBe(i < 3 ? 1 : 0);
    });
    const label = reassembleLabel(layout, reports);
    expect(label.data).toEqual(data);
    expect(label.reports).toBe(4);
    expect(label.aim).toBe(']Q1');
  });

  it('empty data is one report with count 0; exactly 56 bytes is one report', () => {
    expect(encodeScannedData(layout, { aim: ']X0', data: new Uint8Array() })).toHaveLength(1);
    const r56 = encodeScannedData(layout, { aim: ']X0', data: new Uint8Array(56).fill(0x41) });
    expect(r56).toHaveLength(1);
    expect(r56[0]?.[63]).toBe(0);
    expect(encodeScannedData(layout, { aim: ']X0', data: new Uint8Array(57) })).toHaveLength(2);
  });

  it('rejects a bad identifier or code ID', () => {
    expectHidPosError(() => encodeScannedData(layout, { aim: 'E0', data: new Uint8Array() }), 'symbol');
    expectHidPosError(() => encodeScannedData(layout, { aim: ']\u0100A', data: new Uint8Array() }), 'symbol');
    expectHidPosError(
      () => encodeScannedData(layout, { aim: ']E0', data: new Uint8Array(), codeId: 256 }),
      'symbol',
    );
  });

  it('the data may contain zero bytes: the count field, not padding, gives the length', () => {
    const data = Uint8Array.of(0x41, 0, 0);
    const [r] = encodeScannedData(layout, { aim: ']X0', data });
    expect(parseScannedDataReport(layout, r as Uint8Array).data).toEqual(data);
  });
});

describe('reassembly errors', () => {
  const one = (aim: string, text: string, continued: boolean): Uint8Array =>
    goldenReport(aim, ascii(text), 0x64, continued);

  it('wrong length or report ID', () => {
    expectHidPosError(() => parseScannedDataReport(layout, new Uint8Array(63).fill(2)), 'report');
    const r = one(']E0', '1', false);
    r[0] = 3;
    expectHidPosError(() => parseScannedDataReport(layout, r), 'report');
  });

  it('count beyond the data bytes', () => {
    const r = one(']E0', '1', false);
    r[1] = 57;
    expectHidPosError(() => parseScannedDataReport(layout, r), 'count');
  });

  it('identifier changing mid-label, and the assembler recovers', () => {
    const a = new ScannedDataAssembler(layout);
    expect(a.push(one(']Q1', 'AB', true))).toBeUndefined();
    expect(a.pending).toBe(true);
    expectHidPosError(() => a.push(one(']E0', 'CD', false)), 'sequence');
    expect(a.pending).toBe(false);
    expect(a.push(one(']E0', 'EF', false))?.data).toEqual(ascii('EF'));
  });

  it('incomplete and unexpected sequences', () => {
    expectHidPosError(() => reassembleLabel(layout, []), 'incomplete');
    expectHidPosError(() => reassembleLabel(layout, [one(']E0', '1', true)]), 'incomplete');
    expectHidPosError(
      () => reassembleLabel(layout, [one(']E0', '1', false), one(']E0', '2', false)]),
      'unexpected',
    );
  });

  it('label longer than the assembler accepts', () => {
    const reports = encodeScannedData(layout, { aim: ']Q1', data: new Uint8Array(200) });
    expectHidPosError(() => reassembleLabel(layout, reports, { maxLabelBytes: 100 }), 'too-long');
  });
});

describe('Trigger output report', () => {
  it('known answers', () => {
    expect(encodeTriggerReport(layout, { initiateRead: true })).toEqual(Uint8Array.of(0x04, 0x01));
    expect(encodeTriggerReport(layout, { preventRead: true })).toEqual(Uint8Array.of(0x04, 0x02));
    expect(encodeTriggerReport(layout, { goodReadBeep: true, errorBeep: true })).toEqual(
      Uint8Array.of(0x04, 0x0c),
    );
    expect(parseTriggerReport(layout, Uint8Array.of(0x04, 0x01))).toEqual({
      initiateRead: true,
      preventRead: false,
      goodReadBeep: false,
      errorBeep: false,
    });
    expect(parseTriggerReport(layout, Uint8Array.of(0x04, 0x08)).errorBeep).toBe(true);
    expect(parseTriggerReport(layout, Uint8Array.of(0x04, 0xf4)).goodReadBeep).toBe(true);
  });

  it('rejects wrong IDs and lengths', () => {
    expectHidPosError(() => parseTriggerReport(layout, Uint8Array.of(0x02, 0x01)), 'report');
    expectHidPosError(() => parseTriggerReport(layout, Uint8Array.of(0x04)), 'report');
    expectHidPosError(() => parseTriggerReport(layout, Uint8Array.of(0x04, 0x01, 0x00)), 'report');
  });
});

describe('properties', () => {
  const aimArb = fc.constantFrom(']E0', ']Q1', ']C1', ']d2', ']X0');

  it('split → reassemble round trip for data up to 4 KiB', () => {
    fc.assert(
      fc.property(
        aimArb,
        fc.uint8Array({ maxLength: 4096 }),
        fc.integer({ min: 0, max: 255 }),
        (aim, data, codeId) => {
          const reports = encodeScannedData(layout, { aim, data, codeId });
          expect(reports).toHaveLength(Math.max(1, Math.ceil(data.length / 56)));
          for (const r of reports) expect(r.length).toBe(64);
          const label = reassembleLabel(layout, reports);
          expect(label.data).toEqual(data);
          expect(label.aim).toBe(aim);
          expect(label.codeId).toBe(codeId);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('arbitrary bytes as input or output reports throw nothing but HidPosError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, withId) => {
        const input = bytes.slice();
        const output = bytes.slice(0, 2);
        if (withId && input.length > 0) input[0] = 2;
        if (withId && output.length > 0) output[0] = 4;
        for (const fn of [
          () => parseScannedDataReport(layout, input),
          () => parseTriggerReport(layout, output),
          () => reassembleLabel(layout, [input]),
        ]) {
          try {
            fn();
          } catch (e) {
            expect(e).toBeInstanceOf(HidPosError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('fuzz: the assembler over a stream of mutated and random reports', () => {
    const valid = encodeScannedData(layout, {
      aim: ']Q1',
      data: new Uint8Array(300).fill(0x31),
      codeId: 0x73,
    });
    const reportArb = fc.oneof(
      fc.constantFrom(...valid),
      fc.tuple(fc.constantFrom(...valid), fc.nat(63), fc.integer({ min: 0, max: 255 })).map(([r, at, v]) => {
        const m = r.slice();
        m[at] = v;
        return m;
      }),
      fc.uint8Array({ minLength: 64, maxLength: 64 }).map((r) => {
        r[0] = 2;
        return r;
      }),
      fc.uint8Array({ maxLength: 70 }),
    );
    fc.assert(
      fc.property(fc.array(reportArb, { maxLength: 40 }), (stream) => {
        const a = new ScannedDataAssembler(layout, { maxLabelBytes: 1000 });
        for (const r of stream) {
          try {
            const label = a.push(r);
            if (label) {
              expect(label.data.length).toBeLessThanOrEqual(1000);
              expect(label.aim).toHaveLength(3);
            }
          } catch (e) {
            expect(e).toBeInstanceOf(HidPosError);
            expect(a.pending).toBe(false);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
