import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HidDescriptorError, parseReportDescriptor } from '../../../firmware-sim/hid/descriptor.js';
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { BOOT_MOUSE_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-mouse.js';
import { HID_POS_SCANNER_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import { SEVEN_USAGES_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/seven-usages.js';
import {
  formatDescriptor,
  formatDescriptorHex,
  formatDescriptorItems,
  listDescriptorItems,
  type HidDescriptorListing,
} from '../../../firmware-sim/hid/item-list.js';
import { mulberry32 } from '../../../devices/serial/faults.js';

const GOLDEN: [string, Uint8Array][] = [
  ['boot keyboard', BOOT_KEYBOARD_DESCRIPTOR],
  ['boot mouse', BOOT_MOUSE_DESCRIPTOR],
  ['HID POS scanner', HID_POS_SCANNER_DESCRIPTOR],
  ['seven usages', SEVEN_USAGES_DESCRIPTOR],
];

/** The parser's verdict, independently of the listing. */
function parserVerdict(bytes: Uint8Array): HidDescriptorError | undefined {
  try {
    parseReportDescriptor(bytes);
    return undefined;
  } catch (e) {
    if (e instanceof HidDescriptorError) return e;
    throw e;
  }
}

/** The items' bytes put back together. */
function rejoin(listing: HidDescriptorListing): Uint8Array {
  const hex = listing.items.flatMap((i) => i.bytes.split(' '));
  return Uint8Array.from(hex.map((h) => parseInt(h, 16)));
}

/** What holds for every listing, whatever the input. */
function checkInvariants(bytes: Uint8Array): void {
  const listing = listDescriptorItems(bytes);
  const verdict = parserVerdict(bytes);
  // The items are the descriptor cut into pieces, in order, from its start.
  const joined = rejoin(listing);
  expect(Buffer.from(joined).equals(Buffer.from(bytes.subarray(0, joined.length)))).toBe(true);
  let at = 0;
  for (const item of listing.items) {
    expect(item.offset).toBe(at);
    at += item.bytes.split(' ').length;
  }
  // Problems are exactly the parser's error first.
  if (verdict) {
    expect(listing.problems[0]).toEqual({
      offset: verdict.offset,
      expected: verdict.expected,
      message: verdict.message,
    });
  } else {
    expect(listing.problems).toEqual([]);
    expect(joined.length).toBe(bytes.length);
  }
  // A listing that stops short of the end says where.
  if (joined.length < bytes.length) {
    expect(listing.problems.map((p) => p.offset)).toContain(joined.length);
  }
  const text = formatDescriptorItems(listing);
  if (listing.problems.length)
    expect(text.split('\n').at(-1)).toMatch(/^ERROR at byte \d+ \(0x[0-9A-F]{4}\)/);
}

describe('HID descriptor item list: known answers', () => {
  it('boot keyboard, every line (HID 1.11 Appendix B.1, listing of §E.6)', () => {
    const lines = formatDescriptorItems(BOOT_KEYBOARD_DESCRIPTOR).split('\n');
    expect(lines).toEqual([
      '0000  05 01           Usage Page (Generic Desktop)',
      '0002  09 06           Usage (Keyboard)',
      '0004  A1 01           Collection (Application)',
      '0006  05 07             Usage Page (Keyboard/Keypad)',
      '0008  19 E0             Usage Minimum (Keyboard LeftControl)',
      '000A  29 E7             Usage Maximum (Keyboard Right GUI)',
      '000C  15 00             Logical Minimum (0)',
      '000E  25 01             Logical Maximum (1)',
      '0010  75 01             Report Size (1)',
      '0012  95 08             Report Count (8)',
      '0014  81 02             Input (Data,Var,Abs)',
      '0016  95 01             Report Count (1)',
      '0018  75 08             Report Size (8)',
      '001A  81 01             Input (Cnst,Ary,Abs)',
      '001C  95 05             Report Count (5)',
      '001E  75 01             Report Size (1)',
      '0020  05 08             Usage Page (LED)',
      '0022  19 01             Usage Minimum (Num Lock)',
      '0024  29 05             Usage Maximum (Kana)',
      '0026  91 02             Output (Data,Var,Abs)',
      '0028  95 01             Report Count (1)',
      '002A  75 03             Report Size (3)',
      '002C  91 01             Output (Cnst,Ary,Abs)',
      '002E  95 06             Report Count (6)',
      '0030  75 08             Report Size (8)',
      '0032  15 00             Logical Minimum (0)',
      '0034  25 65             Logical Maximum (101)',
      '0036  05 07             Usage Page (Keyboard/Keypad)',
      '0038  19 00             Usage Minimum (No Event)',
      '003A  29 65             Usage Maximum (Keyboard Application)',
      '003C  81 00             Input (Data,Ary,Abs)',
      '003E  C0              End Collection',
    ]);
  });

  it('boot keyboard hex dump: 16 bytes a line with offsets (HID 1.11 Appendix B.1)', () => {
    expect(formatDescriptorHex(BOOT_KEYBOARD_DESCRIPTOR).split('\n')).toEqual([
      '0000  05 01 09 06 A1 01 05 07 19 E0 29 E7 15 00 25 01',
      '0010  75 01 95 08 81 02 95 01 75 08 81 01 95 05 75 01',
      '0020  05 08 19 01 29 05 91 02 95 01 75 03 91 01 95 06',
      '0030  75 08 15 00 25 65 05 07 19 00 29 65 81 00 C0',
    ]);
  });

  it('HID POS scanner (HID Usage Tables 1.5, Barcode Scanner page 0x8C): collections, Decoded Data, vendor page', () => {
    const listing = listDescriptorItems(HID_POS_SCANNER_DESCRIPTOR);
    expect(listing.problems).toEqual([]);
    expect(listing.items).toHaveLength(47);
    const line = (offset: number) => listing.items.find((i) => i.offset === offset);
    expect(line(0x00)).toMatchObject({ name: 'Usage Page', value: 0x8c, text: 'Barcode Scanner', depth: 0 });
    expect(line(0x02)).toMatchObject({ name: 'Usage', value: 0x02, text: 'Barcode Scanner', depth: 0 });
    expect(line(0x04)).toEqual({
      offset: 4,
      bytes: 'A1 01',
      type: 'main',
      tag: 0xa,
      name: 'Collection',
      value: 1,
      text: 'Application',
      depth: 0,
    });
    expect(line(0x08)).toMatchObject({ name: 'Collection', text: 'Logical', depth: 1 });
    expect(line(0x0a)).toMatchObject({ type: 'global', tag: 8, name: 'Report ID', value: 2, depth: 2 });
    expect(line(0x0e)).toMatchObject({ bytes: '26 FF 00', name: 'Logical Maximum', value: 255, text: '255' });
    expect(line(0x15)).toMatchObject({ bytes: '06 00 FF', value: 0xff00, text: 'Vendor-defined 0xFF00' });
    expect(line(0x18)).toMatchObject({ name: 'Usage', text: 'Vendor usage 0x0001' });
    expect(line(0x28)).toMatchObject({
      type: 'local',
      tag: 0,
      name: 'Usage',
      value: 0xfe,
      text: 'Decoded Data',
    });
    expect(line(0x2c)).toMatchObject({
      bytes: '82 02 01',
      name: 'Input',
      value: 0x102,
      text: 'Data,Var,Abs,Buf',
    });
    expect(line(0x48)).toMatchObject({ name: 'End Collection', depth: 1 });
    expect(line(0x59)).toMatchObject({ name: 'Output', text: 'Data,Var,Abs', depth: 2 });
    expect(line(0x5e)).toMatchObject({ name: 'End Collection', depth: 0 });
    const text = formatDescriptorItems(listing).split('\n');
    expect(text).toContain('0028  09 FE               Usage (Decoded Data)');
    expect(text).toContain('002C  82 02 01            Input (Data,Var,Abs,Buf)');
  });

  it('the JSON form survives JSON round trip unchanged and carries every field', () => {
    const listing = listDescriptorItems(HID_POS_SCANNER_DESCRIPTOR);
    expect(JSON.parse(JSON.stringify(listing))).toEqual(listing);
    for (const item of listing.items) {
      expect(Object.keys(item).sort()).toEqual(
        ['bytes', 'depth', 'name', 'offset', 'tag', 'text', 'type', 'value'].sort(),
      );
    }
  });

  it('item details (HID 1.11 §6.2.2.4–§6.2.2.8): 4-byte usages, signed extents, units, Push/Pop, Delimiter, long items', () => {
    const bytes = Uint8Array.of(
      ...[0x0b, 0xfe, 0x00, 0x8c, 0x00], // Usage (Barcode Scanner: Decoded Data), 4 bytes
      ...[0x15, 0x81], // Logical Minimum (-127)
      ...[0x25, 0xff], // Logical Maximum (-1, the common 255 mistake)
      ...[0x65, 0x11], // Unit (SI Linear: cm)
      ...[0x55, 0x0e], // Unit Exponent (-2)
      ...[0xa4, 0x05, 0x09, 0xb4], // Push, Usage Page (Button), Pop
      ...[0x09, 0x03], // Usage after Pop: page 0 again
      ...[0xa9, 0x01, 0xa9, 0x00], // Delimiter Open / Close
      ...[0xfe, 0x02, 0x11, 0xaa, 0xbb], // Long Item, tag 0x11, 2 data bytes
      ...[0xb1, 0x80], // Feature (Data,Ary,Abs,Vol)
      ...[0x0c], // reserved item type 3, tag 0
    );
    const items = listDescriptorItems(bytes).items;
    expect(items.map((i) => `${i.name}: ${i.text}`)).toEqual([
      'Usage: Barcode Scanner: Decoded Data',
      'Logical Minimum: -127',
      'Logical Maximum: -1, or 255 read unsigned',
      'Unit: 0x11: SI Linear: cm',
      'Unit Exponent: -2',
      'Push: ',
      'Usage Page: Button',
      'Pop: ',
      'Usage: 0x03',
      'Delimiter: Open',
      'Delimiter: Close',
      'Long Item: tag 0x11, 2 data bytes',
      'Feature: Data,Ary,Abs,Vol',
      'Reserved (type 3, tag 0x0): ',
    ]);
    expect(items[1]!.value).toBe(-127);
    expect(items.at(-1)!.type).toBe('reserved');
    expect(items[11]).toMatchObject({ type: 'long', tag: 0x11, value: null, bytes: 'FE 02 11 AA BB' });
  });

  it('formatDescriptor prints the hex dump then the item list', () => {
    const out = formatDescriptor(BOOT_MOUSE_DESCRIPTOR).split('\n');
    expect(out[0]).toBe('Report descriptor, 50 bytes:');
    expect(out[1]).toBe('0000  05 01 09 02 A1 01 09 01 A1 00 05 09 19 01 29 03');
    expect(out).toContain('Items:');
    expect(out).toContain('0008  A1 00             Collection (Physical)');
    expect(out).toContain('000E  29 03               Usage Maximum (Button 3)');
    expect(out).toContain('0030  C0                End Collection');
  });
});

describe('HID descriptor item list: malformed input', () => {
  it('every truncation of the golden descriptors lists the complete items and ends with the parser error', () => {
    for (const [, descriptor] of GOLDEN) {
      const full = listDescriptorItems(descriptor).items;
      for (let n = 0; n < descriptor.length; n++) {
        const cut = descriptor.subarray(0, n);
        checkInvariants(cut);
        const listing = listDescriptorItems(cut);
        // Exactly the complete items of the full listing that fit.
        const fitting = full.filter((i) => i.offset + i.bytes.split(' ').length <= n);
        expect(listing.items.map((i) => i.offset)).toEqual(fitting.map((i) => i.offset));
      }
    }
  });

  it('a cut item after a meaning error: the parser error first, then the cut item (HID 1.11 §6.2.2.2)', () => {
    // Report ID 0 is reserved; then Logical Maximum announces 2 data bytes and the descriptor ends.
    const listing = listDescriptorItems(Uint8Array.of(0x85, 0x00, 0x26, 0xff));
    expect(listing.items.map((i) => i.name)).toEqual(['Report ID']);
    expect(listing.problems.map((p) => p.offset)).toEqual([0, 2]);
    expect(listing.problems[1]!.message).toBe(
      'HID report descriptor, byte 2: expected 2 data bytes after item prefix 0x26, but the descriptor ends',
    );
    const lines = formatDescriptorItems(listing).split('\n');
    expect(lines.slice(1)).toEqual([
      'ERROR at byte 0 (0x0000): expected a Report ID of 1–255 (it is 0)',
      'ERROR at byte 2 (0x0002): expected 2 data bytes after item prefix 0x26, but the descriptor ends',
    ]);
  });

  it('garbage: End Collection without Collection, Pop without Push, a cut long item', () => {
    expect(formatDescriptorItems(Uint8Array.of(0xc0))).toBe(
      '0000  C0              End Collection\nERROR at byte 0 (0x0000): expected a Collection open before End Collection',
    );
    expect(listDescriptorItems(Uint8Array.of(0xb4)).problems[0]!.expected).toBe('a Push before this Pop');
    const long = listDescriptorItems(Uint8Array.of(0x05, 0x01, 0xfe, 0x04, 0x00, 0x01));
    expect(long.items).toHaveLength(1);
    expect(long.problems).toEqual([
      {
        offset: 2,
        expected: 'a long item with 4 data bytes, but the descriptor ends',
        message:
          'HID report descriptor, byte 2: expected a long item with 4 data bytes, but the descriptor ends',
      },
    ]);
  });

  it('empty descriptor: no items, no problems, no lines', () => {
    expect(listDescriptorItems(new Uint8Array(0))).toEqual({ length: 0, items: [], problems: [] });
    expect(formatDescriptorHex(new Uint8Array(0))).toBe('');
  });
});

describe('HID descriptor item list: properties and fuzz', () => {
  it('property: arbitrary bytes never throw, items tile the descriptor, problems are the parser error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        checkInvariants(bytes);
        formatDescriptor(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a descriptor the parser accepts lists without problems and depth returns to 0', () => {
    fc.assert(
      fc.property(fc.constantFrom(...GOLDEN.map(([, d]) => d)), (descriptor) => {
        const listing = listDescriptorItems(descriptor);
        expect(listing.problems).toEqual([]);
        expect(listing.items.at(-1)).toMatchObject({ name: 'End Collection', depth: 0 });
      }),
    );
  });

  it('fuzz: 3000 seeded mutations of the golden descriptors never throw and agree with the parser', () => {
    const random = mulberry32(0x1d5c);
    const pick = (n: number): number => Math.floor(random() * n);
    for (let run = 0; run < 3000; run++) {
      const [, golden] = GOLDEN[pick(GOLDEN.length)]!;
      const bytes = Array.from(golden);
      for (let k = 1 + pick(4); k > 0; k--) {
        const at = pick(bytes.length + 1);
        const op = pick(3);
        if (op === 0) bytes[at] = pick(256);
        else if (op === 1) bytes.splice(at, 0, pick(256));
        else bytes.splice(at, 1 + pick(3));
      }
      checkInvariants(Uint8Array.from(bytes));
    }
  });
});
