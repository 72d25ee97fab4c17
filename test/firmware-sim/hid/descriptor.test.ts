import { describe, expect, it } from 'vitest';
import {
  CollectionType,
  HidDescriptorError,
  fieldUsage,
  findReport,
  itemsWithUsage,
  parseReportDescriptor,
  type HidReportItem,
} from '../../../firmware-sim/hid/descriptor.js';
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { BOOT_MOUSE_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-mouse.js';
import {
  HID_POS_SCANNER_DESCRIPTOR,
  HID_POS_SCANNER_REPORT_ID,
  HID_POS_TRIGGER_REPORT_ID,
  HID_POS_VENDOR_DATA_LENGTH,
} from '../../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import { SEVEN_USAGES_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/seven-usages.js';
import { BarcodeScanner, UsagePage, extendedUsage } from '../../../firmware-sim/hid/usages.js';

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const kb = (id: number): number => extendedUsage(UsagePage.KEYBOARD, id);
const pos = (id: number): number => extendedUsage(UsagePage.BARCODE_SCANNER, id);

/** The shape that matters of an item, for exact comparison. */
const shape = (item: HidReportItem) => ({
  bitOffset: item.bitOffset,
  reportSize: item.reportSize,
  reportCount: item.reportCount,
  isConstant: item.isConstant,
  isArray: item.isArray,
  isAbsolute: item.isAbsolute,
  isRange: item.isRange,
  usages: item.usages,
  logicalMinimum: item.logicalMinimum,
  logicalMaximum: item.logicalMaximum,
});

function parseError(bytes: number[]): HidDescriptorError {
  try {
    parseReportDescriptor(Uint8Array.from(bytes));
  } catch (e) {
    if (e instanceof HidDescriptorError) return e;
    throw e;
  }
  throw new Error('parsed without error');
}

describe('HID report descriptor: golden descriptors', () => {
  it('boot keyboard (HID 1.11 B.1): 63 bytes, input 8 bytes, output 1 byte, exact items', () => {
    expect(BOOT_KEYBOARD_DESCRIPTOR.length).toBe(63);
    const d = parseReportDescriptor(BOOT_KEYBOARD_DESCRIPTOR);
    expect(d.usesReportIds).toBe(false);
    expect(d.collections).toHaveLength(1);
    const app = d.collections[0]!;
    expect([app.usagePage, app.usage, app.type]).toEqual([0x01, 0x06, CollectionType.APPLICATION]);
    const input = findReport(d, 'input', 0)!;
    expect(input.byteLength).toBe(8);
    expect(input.items.map(shape)).toEqual([
      {
        bitOffset: 0,
        reportSize: 1,
        reportCount: 8,
        isConstant: false,
        isArray: false,
        isAbsolute: true,
        isRange: true,
        usages: range(0xe0, 0xe7).map(kb),
        logicalMinimum: 0,
        logicalMaximum: 1,
      },
      {
        bitOffset: 8,
        reportSize: 8,
        reportCount: 1,
        isConstant: true,
        isArray: true,
        isAbsolute: true,
        isRange: false,
        usages: [],
        logicalMinimum: 0,
        logicalMaximum: 1,
      },
      {
        bitOffset: 16,
        reportSize: 8,
        reportCount: 6,
        isConstant: false,
        isArray: true,
        isAbsolute: true,
        isRange: true,
        usages: range(0x00, 0x65).map(kb),
        logicalMinimum: 0,
        logicalMaximum: 0x65,
      },
    ]);
    const keys = input.items[2]!;
    expect([keys.usageMinimum, keys.usageMaximum]).toEqual([kb(0x00), kb(0x65)]);
    expect(input.items.map((i) => i.descriptorOffset)).toEqual([20, 26, 60]);
    const output = findReport(d, 'output', 0)!;
    expect(output.byteLength).toBe(1);
    expect(output.items.map((i) => [i.bitOffset, i.reportSize, i.reportCount, i.isConstant])).toEqual([
      [0, 1, 5, false],
      [5, 3, 1, true],
    ]);
    expect(output.items[0]!.usages).toEqual(range(1, 5).map((id) => extendedUsage(UsagePage.LED, id)));
    expect(d.featureReports).toEqual([]);
    // The collection holds the same items.
    expect(app.inputReports[0]!.items).toEqual(input.items);
    expect(app.inputReports[0]!.byteLength).toBe(8);
  });

  it('boot mouse (HID 1.11 B.2): nested physical collection, signed relative X/Y', () => {
    expect(BOOT_MOUSE_DESCRIPTOR.length).toBe(50);
    const d = parseReportDescriptor(BOOT_MOUSE_DESCRIPTOR);
    const app = d.collections[0]!;
    expect([app.usagePage, app.usage, app.type]).toEqual([0x01, 0x02, CollectionType.APPLICATION]);
    const pointer = app.children[0]!;
    expect([pointer.usagePage, pointer.usage, pointer.type]).toEqual([0x01, 0x01, CollectionType.PHYSICAL]);
    expect(app.inputReports).toEqual([]);
    const input = findReport(d, 'input', 0)!;
    expect(input.byteLength).toBe(3);
    expect(input.items.map((i) => [i.bitOffset, i.reportSize, i.reportCount, i.isConstant])).toEqual([
      [0, 1, 3, false],
      [3, 5, 1, true],
      [8, 8, 2, false],
    ]);
    const xy = input.items[2]!;
    expect(xy.usages).toEqual([0x00010030, 0x00010031]);
    expect([xy.logicalMinimum, xy.logicalMaximum, xy.isAbsolute]).toEqual([-127, 127, false]);
    expect(input.items[0]!.usages).toEqual([0x00090001, 0x00090002, 0x00090003]);
  });

  it('HID POS scanner: report 2 is 64 bytes; AIM and data found by usage', () => {
    const d = parseReportDescriptor(HID_POS_SCANNER_DESCRIPTOR);
    expect(d.usesReportIds).toBe(true);
    const app = d.collections[0]!;
    expect([app.usagePage, app.usage, app.type]).toEqual([0x8c, BarcodeScanner.BARCODE_SCANNER, 1]);
    expect(app.children.map((c) => [c.usage, c.type])).toEqual([
      [BarcodeScanner.SCANNED_DATA_REPORT, CollectionType.LOGICAL],
      [BarcodeScanner.TRIGGER_REPORT, CollectionType.LOGICAL],
    ]);
    const scanned = findReport(d, 'input', HID_POS_SCANNER_REPORT_ID)!;
    expect(scanned.byteLength).toBe(64);
    const [aim] = itemsWithUsage(scanned, pos(BarcodeScanner.SYMBOLOGY_IDENTIFIER_1));
    expect(aim!.usages).toEqual([0xfb, 0xfc, 0xfd].map(pos));
    expect([aim!.bitOffset / 8, aim!.reportCount]).toEqual([2, 3]);
    const [data] = itemsWithUsage(scanned, pos(BarcodeScanner.DECODED_DATA));
    expect([data!.bitOffset / 8, data!.reportCount, data!.reportSize, data!.isBufferedBytes]).toEqual([
      5,
      56,
      8,
      true,
    ]);
    expect(fieldUsage(data!, 55)).toBe(pos(BarcodeScanner.DECODED_DATA));
    const [count] = itemsWithUsage(scanned, HID_POS_VENDOR_DATA_LENGTH);
    expect(count!.bitOffset).toBe(8);
    const [continued] = itemsWithUsage(scanned, pos(BarcodeScanner.DECODE_DATA_CONTINUED));
    expect([continued!.bitOffset, continued!.reportSize]).toEqual([63 * 8, 1]);
    const trigger = findReport(d, 'output', HID_POS_TRIGGER_REPORT_ID)!;
    expect(trigger.byteLength).toBe(2);
    expect(trigger.items[0]!.usages).toEqual([0x60, 0x5f, 0x86, 0x85].map(pos));
    expect(app.children[1]!.outputReports[0]!.byteLength).toBe(2);
  });

  it('8 one-bit fields with 7 usages: field 8 gets usage 7', () => {
    const d = parseReportDescriptor(SEVEN_USAGES_DESCRIPTOR);
    const item = findReport(d, 'input', 0)!.items[0]!;
    expect(item.usages).toHaveLength(7);
    expect(range(0, 7).map((i) => fieldUsage(item, i))).toEqual(
      [...range(1, 7), 7].map((b) => 0x00090000 + b),
    );
    expect(fieldUsage(item, 8)).toBeUndefined();
  });
});

describe('HID report descriptor: item details', () => {
  it('a 4-byte Usage carries its own page; short ones take the page in effect at the Main item', () => {
    const d = parseReportDescriptor(
      Uint8Array.from([
        0x05, 0x01, 0x09, 0x30, 0x0b, 0xfe, 0x00, 0x8c, 0x00, 0x05, 0x09, 0x09, 0x02, 0x75, 0x08, 0x95, 0x03,
        0x81, 0x02,
      ]),
    );
    // Usage 0x30 was declared under page 1 but the page changed to 9 before Input (§6.2.2.8).
    expect(d.inputReports[0]!.items[0]!.usages).toEqual([0x00090030, 0x008c00fe, 0x00090002]);
  });

  it('Logical Minimum is signed; "25 FF" with minimum 0 reads 255', () => {
    const d = parseReportDescriptor(
      Uint8Array.from([
        0x09, 0x01, 0x15, 0x80, 0x25, 0x7f, 0x75, 0x08, 0x95, 0x01, 0x81, 0x02, 0x15, 0x00, 0x25, 0xff, 0x81,
        0x02, 0x17, 0x00, 0x00, 0x00, 0x80, 0x27, 0xff, 0xff, 0xff, 0x7f, 0x75, 0x20, 0x81, 0x02,
      ]),
    );
    const items = d.inputReports[0]!.items;
    expect(items.map((i) => [i.logicalMinimum, i.logicalMaximum])).toEqual([
      [-128, 127],
      [0, 255],
      [-(2 ** 31), 2 ** 31 - 1],
    ]);
    expect(d.inputReports[0]!.byteLength).toBe(6);
  });

  it('Push and Pop save and restore the global state; local state clears after each Main item', () => {
    const d = parseReportDescriptor(
      Uint8Array.from([
        0x05, 0x09, 0x75, 0x04, 0x95, 0x01, 0xa4, 0x75, 0x08, 0x09, 0x01, 0x81, 0x02, 0xb4, 0x81, 0x02,
      ]),
    );
    const items = d.inputReports[0]!.items;
    expect(items.map((i) => [i.reportSize, i.usages])).toEqual([
      [8, [0x00090001]],
      [4, []],
    ]);
  });

  it('report IDs prefix each report and count in its length; reports of each type are separate', () => {
    const d = parseReportDescriptor(
      Uint8Array.from([
        0x85, 0x01, 0x09, 0x01, 0x75, 0x08, 0x95, 0x02, 0x81, 0x02, 0x85, 0x02, 0x81, 0x02, 0x91, 0x02, 0xb1,
        0x02, 0x85, 0x01, 0x75, 0x04, 0x95, 0x01, 0x81, 0x02,
      ]),
    );
    expect(d.inputReports.map((r) => [r.reportId, r.byteLength])).toEqual([
      [1, 4],
      [2, 3],
    ]);
    expect(d.inputReports[0]!.items.map((i) => i.bitOffset)).toEqual([8, 24]);
    expect(d.outputReports.map((r) => [r.reportId, r.byteLength])).toEqual([[2, 3]]);
    expect(d.featureReports.map((r) => [r.reportId, r.byteLength])).toEqual([[2, 3]]);
  });

  it('main item flags map to the WebHID booleans', () => {
    const d = parseReportDescriptor(Uint8Array.from([0x75, 0x08, 0x95, 0x01, 0x82, 0xfe, 0x01]));
    const item = d.inputReports[0]!.items[0]!;
    expect(item).toMatchObject({
      isConstant: false,
      isArray: false,
      isAbsolute: false,
      wrap: true,
      isLinear: false,
      hasPreferredState: false,
      hasNull: true,
      isVolatile: true,
      isBufferedBytes: true,
    });
  });

  it('long items are skipped; only the first usage between delimiters counts', () => {
    const d = parseReportDescriptor(
      Uint8Array.from([
        0xfe, 0x02, 0x10, 0xaa, 0xbb, 0x05, 0x09, 0xa9, 0x01, 0x09, 0x01, 0x09, 0x02, 0xa9, 0x00, 0x09, 0x03,
        0x75, 0x01, 0x95, 0x02, 0x81, 0x02,
      ]),
    );
    expect(d.inputReports[0]!.items[0]!.usages).toEqual([0x00090001, 0x00090003]);
  });

  it('a Variable item keeps no more usages than fields', () => {
    const d = parseReportDescriptor(
      Uint8Array.from([0x05, 0x07, 0x19, 0x00, 0x2a, 0xff, 0xff, 0x75, 0x01, 0x95, 0x04, 0x81, 0x02]),
    );
    expect(d.inputReports[0]!.items[0]!.usages).toEqual([0, 1, 2, 3].map(kb));
  });
});

describe('HID report descriptor: malformed input → HidDescriptorError', () => {
  it.each<[string, number[], number, RegExp]>([
    ['End Collection with none open', [0xc0], 0, /Collection open/],
    ['unbalanced End Collection', [0xa1, 0x01, 0xc0, 0xc0], 3, /Collection open/],
    [
      'unterminated collection',
      [0xa1, 0x01, 0xa1, 0x00, 0xc0],
      5,
      /End Collection for the Collection at byte 0/,
    ],
    ['Pop without Push', [0xb4], 0, /Push/],
    ['truncated item', [0x05, 0x01, 0x26, 0xff], 2, /2 data bytes/],
    ['truncated long item', [0xfe, 0x05, 0x00, 0x01], 0, /long item/],
    ['Input before Report Size', [0x95, 0x01, 0x81, 0x02], 2, /Report Size/],
    ['Input before Report Count', [0x75, 0x08, 0x81, 0x02], 2, /Report Count/],
    ['Report Size 0', [0x75, 0x00, 0x95, 0x01, 0x81, 0x02], 4, /Report Size of at least 1/],
    ['Report Size 33 on a Data item', [0x75, 0x21, 0x95, 0x01, 0x81, 0x02], 4, /at most 32 bits/],
    ['Report Count 4097', [0x75, 0x01, 0x96, 0x01, 0x10, 0x81, 0x02], 5, /Report Count of at most 4096/],
    [
      'a report over 8 KiB',
      // 4096 16-bit fields fill 8192 bytes exactly; one more item is too many.
      [0x75, 0x10, 0x96, 0x00, 0x10, 0x81, 0x02, 0x81, 0x02],
      7,
      /at most 8192 bytes/,
    ],
    ['Report ID 0', [0x85, 0x00], 0, /Report ID of 1–255/],
    [
      'data before the first Report ID',
      [0x75, 0x08, 0x95, 0x01, 0x81, 0x02, 0x85, 0x01],
      4,
      /Report ID before/,
    ],
    ['reserved item type', [0x0c], 0, /reserved item type/],
    ['unknown main tag', [0xd0], 0, /Main item tag/],
    ['Usage Minimum without Maximum', [0x19, 0x01, 0x75, 0x01, 0x95, 0x01, 0x81, 0x02], 0, /Usage Maximum/],
    ['Usage Minimum > Maximum', [0x19, 0x05, 0x29, 0x01, 0x75, 0x01, 0x95, 0x01, 0x81, 0x02], 0, /≤/],
    ['unclosed Delimiter', [0xa9, 0x01, 0x75, 0x01, 0x95, 0x01, 0x81, 0x02], 0, /Delimiter close/],
  ])('%s', (_name, bytes, offset, expected) => {
    const error = parseError(bytes);
    expect(error.offset).toBe(offset);
    expect(error.expected).toMatch(expected);
    expect(error.message).toContain(`byte ${offset}`);
  });

  it('a constant padding field may be wider than 32 bits', () => {
    const d = parseReportDescriptor(Uint8Array.from([0x75, 0x40, 0x95, 0x01, 0x81, 0x03]));
    expect(d.inputReports[0]!.byteLength).toBe(8);
  });

  it('usage ranges that expand beyond the budget are refused, not expanded', () => {
    // 17 array items each with a 65536-usage range: 1 114 112 usages > 2^20.
    const one = [0x19, 0x00, 0x2a, 0xff, 0xff, 0x81, 0x00];
    const bytes = [0x75, 0x10, 0x95, 0x01, 0x26, 0xff, 0x7f, ...Array.from({ length: 17 }, () => one).flat()];
    expect(parseError(bytes).expected).toMatch(/usage ranges/);
  });
});
