import { describe, expect, it } from 'vitest';
import { findReport, itemsWithUsage, parseReportDescriptor } from '../../../firmware-sim/hid/descriptor.js';
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { BOOT_MOUSE_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-mouse.js';
import {
  HID_POS_SCANNER_DESCRIPTOR,
  HID_POS_SCANNER_REPORT_ID,
  HID_POS_TRIGGER_REPORT_ID,
  HID_POS_VENDOR_DATA_LENGTH,
} from '../../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import { SEVEN_USAGES_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/seven-usages.js';
import {
  HidReportError,
  extractUsages,
  packReport,
  readField,
  writeField,
  type UsageValues,
} from '../../../firmware-sim/hid/fields.js';
import { BarcodeScanner, UsagePage, extendedUsage } from '../../../firmware-sim/hid/usages.js';

const kb = (id: number): number => extendedUsage(UsagePage.KEYBOARD, id);
const pos = (id: number): number => extendedUsage(UsagePage.BARCODE_SCANNER, id);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('HID fields: boot keyboard', () => {
  const input = findReport(parseReportDescriptor(BOOT_KEYBOARD_DESCRIPTOR), 'input', 0)!;

  it('"a" is [0,0,4,0,0,0,0,0]: usage 0x04 selected, every modifier 0', () => {
    const values = extractUsages(Uint8Array.of(0, 0, 4, 0, 0, 0, 0, 0), input);
    expect(values.get(kb(0x04))).toEqual([1]);
    for (let m = 0xe0; m <= 0xe7; m++) expect(values.get(kb(m))).toEqual([0]);
    expect(values.has(kb(0x00))).toBe(false);
    expect(hex(packReport(input, new Map([[kb(0x04), [1]]])))).toBe('0000040000000000');
  });

  it('"A" is Left Shift (bit 1) with key 0x04; round trip', () => {
    const report = Uint8Array.of(0x02, 0, 4, 0, 0, 0, 0, 0);
    const values = extractUsages(report, input);
    expect(values.get(kb(0xe1))).toEqual([1]);
    expect(hex(packReport(input, values))).toBe(hex(report));
  });

  it('the release report is all zeros and selects no key', () => {
    const values = extractUsages(new Uint8Array(8), input);
    expect([...values.keys()].every((u) => u >= kb(0xe0))).toBe(true);
    expect(hex(packReport(input, new Map()))).toBe('0000000000000000');
  });

  it('LED output: Caps Lock is bit 1', () => {
    const output = findReport(parseReportDescriptor(BOOT_KEYBOARD_DESCRIPTOR), 'output', 0)!;
    const led = (id: number): number => extendedUsage(UsagePage.LED, id);
    expect(hex(packReport(output, new Map([[led(2), [1]]])))).toBe('02');
    expect(extractUsages(Uint8Array.of(0xff), output).get(led(5))).toEqual([1]);
  });
});

describe('HID fields: boot mouse', () => {
  it('signed relative X/Y: [01, FF, 05] is button 1, X −1, Y 5', () => {
    const input = findReport(parseReportDescriptor(BOOT_MOUSE_DESCRIPTOR), 'input', 0)!;
    const report = Uint8Array.of(0x01, 0xff, 0x05);
    const values = extractUsages(report, input);
    expect(values.get(0x00090001)).toEqual([1]);
    expect(values.get(0x00010030)).toEqual([-1]);
    expect(values.get(0x00010031)).toEqual([5]);
    expect(readField(report, input.items[2]!, 0)).toBe(-1);
    expect(hex(packReport(input, values))).toBe('01ff05');
  });
});

describe('HID fields: HID POS scanner', () => {
  const d = parseReportDescriptor(HID_POS_SCANNER_DESCRIPTOR);
  const scanned = findReport(d, 'input', HID_POS_SCANNER_REPORT_ID)!;
  const label = '4901234567894';
  const bytes = (s: string): number[] => [...Buffer.from(s, 'latin1')];

  it('a report carrying ]E0 + 4901234567894, packed and read by usage', () => {
    const data = [...bytes(label), ...new Array<number>(56 - label.length).fill(0)];
    const values: UsageValues = new Map([
      [HID_POS_VENDOR_DATA_LENGTH, [label.length]],
      [pos(BarcodeScanner.SYMBOLOGY_IDENTIFIER_1), bytes(']')],
      [pos(BarcodeScanner.SYMBOLOGY_IDENTIFIER_2), bytes('E')],
      [pos(BarcodeScanner.SYMBOLOGY_IDENTIFIER_3), bytes('0')],
      [pos(BarcodeScanner.DECODED_DATA), data],
    ]);
    const report = packReport(scanned, values);
    expect(report.length).toBe(64);
    const expected = Buffer.alloc(64);
    expected[0] = 0x02;
    expected[1] = 13;
    expected.write(']E0' + label, 2, 'latin1');
    expect(hex(report)).toBe(expected.toString('hex'));

    // A driver reads it without knowing offsets.
    const read = extractUsages(report, scanned);
    const aim = [0xfb, 0xfc, 0xfd].map((u) => read.get(pos(u))![0]!);
    expect(Buffer.from(aim).toString('latin1')).toBe(']E0');
    const count = read.get(HID_POS_VENDOR_DATA_LENGTH)![0]!;
    const decoded = read.get(pos(BarcodeScanner.DECODED_DATA))!.slice(0, count);
    expect(Buffer.from(decoded).toString('latin1')).toBe(label);
    expect(read.get(pos(BarcodeScanner.DECODE_DATA_CONTINUED))).toEqual([0]);
  });

  it('the continued bit is bit 0 of the last byte', () => {
    const report = packReport(scanned, new Map([[pos(BarcodeScanner.DECODE_DATA_CONTINUED), [1]]]));
    expect(report[63]).toBe(0x01);
    const [item] = itemsWithUsage(scanned, pos(BarcodeScanner.DECODE_DATA_CONTINUED));
    expect(readField(report, item!, 0)).toBe(1);
  });

  it('trigger output report: Initiate Read + Good Read beep', () => {
    const trigger = findReport(d, 'output', HID_POS_TRIGGER_REPORT_ID)!;
    const report = packReport(
      trigger,
      new Map([
        [pos(BarcodeScanner.INITIATE_BARCODE_READ), [1]],
        [pos(BarcodeScanner.GOOD_READ_INDICATION), [1]],
      ]),
    );
    expect(hex(report)).toBe('0405');
  });

  it('wrong report ID or a short report is a HidReportError', () => {
    expect(() => extractUsages(Uint8Array.of(3, ...new Array<number>(63).fill(0)), scanned)).toThrow(
      HidReportError,
    );
    expect(() => extractUsages(Uint8Array.of(2, 0, 0), scanned)).toThrow(HidReportError);
  });
});

describe('HID fields: field access', () => {
  it('8 fields, 7 usages: the eighth bit reads as a second value of usage 7', () => {
    const input = findReport(parseReportDescriptor(SEVEN_USAGES_DESCRIPTOR), 'input', 0)!;
    const values = extractUsages(Uint8Array.of(0b1000_0001), input);
    expect(values.get(0x00090001)).toEqual([1]);
    expect(values.get(0x00090007)).toEqual([0, 1]);
    expect(hex(packReport(input, values))).toBe('81');
  });

  it('fields crossing byte boundaries, and values that do not fit', () => {
    // Two 12-bit unsigned fields and one 5-bit signed field.
    const d = parseReportDescriptor(
      Uint8Array.from([
        0x09, 0x01, 0x75, 0x0c, 0x95, 0x02, 0x26, 0xff, 0x0f, 0x81, 0x02, 0x09, 0x02, 0x15, 0xf0, 0x25, 0x0f,
        0x75, 0x05, 0x95, 0x01, 0x81, 0x02,
      ]),
    );
    const input = d.inputReports[0]!;
    const report = new Uint8Array(input.byteLength);
    expect(report.length).toBe(4);
    writeField(report, input.items[0]!, 0, 0xabc);
    writeField(report, input.items[0]!, 1, 0x123);
    writeField(report, input.items[1]!, 0, -16);
    expect(hex(report)).toBe('bc3a1210');
    expect(readField(report, input.items[0]!, 1)).toBe(0x123);
    expect(readField(report, input.items[1]!, 0)).toBe(-16);
    expect(() => writeField(report, input.items[1]!, 0, 16)).toThrow(HidReportError);
    expect(() => writeField(report, input.items[0]!, 2, 1)).toThrow(HidReportError);
  });
});
