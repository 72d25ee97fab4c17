/**
 * A report descriptor as people read it: a hex dump, and one line per item in the style of the HID 1.11
 * examples and usb.org's HID Descriptor Tool — offset, raw bytes, item name, decoded value, indented by
 * collection depth. Items are walked here (HID 1.11 §6.2.2.2–§6.2.2.3) so that a malformed descriptor
 * still lists everything up to the first unreadable byte; the problem itself is the parser's
 * `HidDescriptorError`, so the listing and the parser never disagree on what is wrong.
 *
 * Pure and total: arbitrary bytes give a listing, never an exception.
 */
import { HidDescriptorError, parseReportDescriptor } from './descriptor.js';
import { UsagePage, usageIdOf, usageName, usagePageName, usagePageOf } from './usages.js';

export type HidItemType = 'main' | 'global' | 'local' | 'reserved' | 'long';

export interface HidDescriptorItem {
  /** Byte offset of the item's prefix in the descriptor. */
  offset: number;
  /** The item's bytes, prefix included, as hex pairs ("05 01"). */
  bytes: string;
  type: HidItemType;
  /** bTag of a short item; bLongItemTag of a long one. */
  tag: number;
  /** "Usage Page", "Input", "End Collection", "Long Item", "Reserved"… */
  name: string;
  /** The data as the item defines it (signed for Logical/Physical Min/Max), null when it has none. */
  value: number | null;
  /** The value in words: "Generic Desktop", "Data,Var,Abs", "Application", "-127". Empty when none. */
  text: string;
  /** Collections open around the item (End Collection has the depth of its Collection). */
  depth: number;
}

export interface HidDescriptorProblem {
  /** Byte offset the parser names. */
  offset: number;
  /** What the parser expected there. */
  expected: string;
  /** The parser's message. */
  message: string;
}

export interface HidDescriptorListing {
  length: number;
  items: HidDescriptorItem[];
  /** Empty for a descriptor the parser accepts; otherwise the parser's error, then any framing error after it. */
  problems: HidDescriptorProblem[];
}

const LONG_ITEM_PREFIX = 0xfe;

const MAIN_NAMES: Record<number, string> = {
  0x8: 'Input',
  0x9: 'Output',
  0xa: 'Collection',
  0xb: 'Feature',
  0xc: 'End Collection',
};
const GLOBAL_NAMES: Record<number, string> = {
  0x0: 'Usage Page',
  0x1: 'Logical Minimum',
  0x2: 'Logical Maximum',
  0x3: 'Physical Minimum',
  0x4: 'Physical Maximum',
  0x5: 'Unit Exponent',
  0x6: 'Unit',
  0x7: 'Report Size',
  0x8: 'Report ID',
  0x9: 'Report Count',
  0xa: 'Push',
  0xb: 'Pop',
};
const LOCAL_NAMES: Record<number, string> = {
  0x0: 'Usage',
  0x1: 'Usage Minimum',
  0x2: 'Usage Maximum',
  0x3: 'Designator Index',
  0x4: 'Designator Minimum',
  0x5: 'Designator Maximum',
  0x7: 'String Index',
  0x8: 'String Minimum',
  0x9: 'String Maximum',
  0xa: 'Delimiter',
};
const COLLECTION_TYPES: Record<number, string> = {
  0x00: 'Physical',
  0x01: 'Application',
  0x02: 'Logical',
  0x03: 'Report',
  0x04: 'Named Array',
  0x05: 'Usage Switch',
  0x06: 'Usage Modifier',
};
const UNIT_SYSTEMS = ['None', 'SI Linear', 'SI Rotation', 'English Linear', 'English Rotation'];
/** Unit nibbles 1–6 (§6.2.2.7), named for SI Linear / SI Rotation / English Linear / English Rotation. */
const UNIT_DIMENSIONS: [string, string[]][] = [
  ['Length', ['cm', 'rad', 'in', 'deg']],
  ['Mass', ['g', 'g', 'slug', 'slug']],
  ['Time', ['s', 's', 's', 's']],
  ['Temperature', ['K', 'K', '°F', '°F']],
  ['Current', ['A', 'A', 'A', 'A']],
  ['Luminous Intensity', ['cd', 'cd', 'cd', 'cd']],
];

const hexByte = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');
const hexN = (n: number, digits: number): string => `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;

function toSigned(unsigned: number, size: number): number {
  if (size === 0) return 0;
  const bits = size * 8;
  return unsigned >= 2 ** (bits - 1) ? unsigned - 2 ** bits : unsigned;
}

/** Input/Output/Feature data bits as the HID Descriptor Tool abbreviates them; default states after the first three are left out. */
function mainFlagsText(tag: number, data: number): string {
  const words = [data & 0x01 ? 'Cnst' : 'Data', data & 0x02 ? 'Var' : 'Ary', data & 0x04 ? 'Rel' : 'Abs'];
  if (data & 0x08) words.push('Wrap');
  if (data & 0x10) words.push('NLin');
  if (data & 0x20) words.push('NPrf');
  if (data & 0x40) words.push('Null');
  // Bit 7 is reserved for Input items (§6.2.2.5).
  if (data & 0x80) words.push(tag === 0x8 ? 'Reserved bit 7' : 'Vol');
  if (data & 0x100) words.push('Buf');
  if (data >= 0x200) words.push(`reserved bits ${hexN(data & ~0x1ff, 8)}`);
  return words.join(',');
}

function collectionText(type: number): string {
  if (type >= 0x80) return `Vendor-defined ${hexN(type, 2)}`;
  return COLLECTION_TYPES[type] ?? `Reserved ${hexN(type, 2)}`;
}

function unitText(unit: number): string {
  const system = unit & 0xf;
  const systemName = UNIT_SYSTEMS[system] ?? (system === 0xf ? 'Vendor-defined' : `Reserved ${system}`);
  if (unit === 0) return 'None';
  const parts: string[] = [];
  UNIT_DIMENSIONS.forEach(([dimension, symbols], i) => {
    const nibble = Math.floor(unit / 16 ** (i + 1)) & 0xf;
    if (nibble === 0) return;
    const exponent = nibble >= 8 ? nibble - 16 : nibble;
    const symbol = system >= 1 && system <= 4 ? symbols[system - 1] : dimension;
    parts.push(exponent === 1 ? `${symbol}` : `${symbol}^${exponent}`);
  });
  const rest = Math.floor(unit / 16 ** 7) & 0xf;
  if (rest) parts.push(`reserved nibble ${rest}`);
  return parts.length ? `${systemName}: ${parts.join('·')}` : systemName;
}

/** A usage as a listing names it: "Keyboard", "Barcode Scanner: Decoded Data" (extended), or a number. */
function usageText(page: number, id: number, extended: boolean): string {
  const name = usageName(page, id);
  if (extended) return `${usagePageName(page)}: ${name ?? hexN(id, 4)}`;
  if (name) return name;
  return page >= UsagePage.VENDOR_FIRST ? `Vendor usage ${hexN(id, 4)}` : hexN(id, 2);
}

interface Walked {
  items: HidDescriptorItem[];
  /** Offset of an item the descriptor cuts short, if any. */
  truncatedAt: number | undefined;
}

function walkItems(bytes: Uint8Array): Walked {
  const items: HidDescriptorItem[] = [];
  const pageStack: number[] = [];
  let usagePage = 0;
  let depth = 0;
  let pos = 0;
  const raw = (from: number, to: number): string =>
    Array.from(bytes.subarray(from, to), (b) => hexByte(b)).join(' ');

  while (pos < bytes.length) {
    const start = pos;
    const prefix = bytes[pos] as number;
    if (prefix === LONG_ITEM_PREFIX) {
      if (pos + 3 > bytes.length) return { items, truncatedAt: start };
      const dataSize = bytes[pos + 1] as number;
      const longTag = bytes[pos + 2] as number;
      if (pos + 3 + dataSize > bytes.length) return { items, truncatedAt: start };
      pos += 3 + dataSize;
      items.push({
        offset: start,
        bytes: raw(start, pos),
        type: 'long',
        tag: longTag,
        name: 'Long Item',
        value: null,
        text: `tag ${hexN(longTag, 2)}, ${dataSize} data byte${dataSize === 1 ? '' : 's'}`,
        depth,
      });
      continue;
    }
    const size = (prefix & 0x03) === 3 ? 4 : prefix & 0x03;
    const itemType = (prefix >> 2) & 0x03;
    const tag = prefix >> 4;
    if (pos + 1 + size > bytes.length) return { items, truncatedAt: start };
    let data = 0;
    for (let i = 0; i < size; i++) data += (bytes[pos + 1 + i] as number) * 2 ** (8 * i);
    pos += 1 + size;

    let type: HidItemType = 'reserved';
    let name = `Reserved (type ${itemType}, tag ${hexN(tag, 1)})`;
    let value: number | null = size ? data : null;
    let text = size ? hexN(data, size * 2) : '';
    let itemDepth = depth;

    if (itemType === 0 && MAIN_NAMES[tag]) {
      type = 'main';
      name = MAIN_NAMES[tag];
      if (tag === 0xa) {
        text = collectionText(data & 0xff);
        depth++;
      } else if (tag === 0xc) {
        depth = Math.max(0, depth - 1);
        itemDepth = depth;
        text = size ? hexN(data, size * 2) : '';
      } else {
        value = data;
        text = mainFlagsText(tag, data);
      }
    } else if (itemType === 1 && GLOBAL_NAMES[tag]) {
      type = 'global';
      name = GLOBAL_NAMES[tag];
      switch (tag) {
        case 0x0:
          usagePage = data;
          text = data > 0xffff ? hexN(data, 8) : usagePageName(data);
          break;
        case 0x1:
        case 0x2:
        case 0x3:
        case 0x4:
          value = toSigned(data, size);
          text = String(value);
          // The parser reads such a maximum unsigned when the minimum is not negative (descriptor.ts).
          if ((tag === 0x2 || tag === 0x4) && value < 0) text += `, or ${data} read unsigned`;
          break;
        case 0x5:
          value = size <= 1 && data <= 0x0f ? (data >= 8 ? data - 16 : data) : toSigned(data, size);
          text = String(value);
          break;
        case 0x6:
          text = `${hexN(data, Math.max(2, size * 2))}: ${unitText(data)}`;
          break;
        case 0xa:
          pageStack.push(usagePage);
          break;
        case 0xb:
          usagePage = pageStack.pop() ?? usagePage;
          break;
        default:
          text = String(data);
      }
    } else if (itemType === 2 && LOCAL_NAMES[tag]) {
      type = 'local';
      name = LOCAL_NAMES[tag];
      if (tag <= 0x2) {
        text =
          size === 4
            ? usageText(usagePageOf(data), usageIdOf(data), true)
            : usageText(usagePage, data & 0xffff, false);
      } else if (tag === 0xa) {
        text = data === 1 ? 'Open' : data === 0 ? 'Close' : String(data);
      } else {
        text = String(data);
      }
    }
    items.push({ offset: start, bytes: raw(start, pos), type, tag, name, value, text, depth: itemDepth });
  }
  return { items, truncatedAt: undefined };
}

function problemOf(error: HidDescriptorError, shift = 0): HidDescriptorProblem {
  const moved = shift ? new HidDescriptorError(error.offset + shift, error.expected) : error;
  return { offset: moved.offset, expected: moved.expected, message: moved.message };
}

/** The parser's error for these bytes, or undefined when it accepts them. */
function parserError(bytes: Uint8Array): HidDescriptorError | undefined {
  try {
    parseReportDescriptor(bytes);
    return undefined;
  } catch (e) {
    if (e instanceof HidDescriptorError) return e;
    throw e;
  }
}

/** Every item that can be read, with what the parser finds wrong. Serialisable as JSON. */
export function listDescriptorItems(descriptor: Uint8Array): HidDescriptorListing {
  const { items, truncatedAt } = walkItems(descriptor);
  const problems: HidDescriptorProblem[] = [];
  const error = parserError(descriptor);
  if (error) problems.push(problemOf(error));
  if (truncatedAt !== undefined && (!error || error.offset !== truncatedAt)) {
    // The parser stopped earlier on a meaning error; its words for the cut item come from parsing that
    // item alone, where it is the first thing it meets.
    const cut = parserError(descriptor.subarray(truncatedAt));
    if (cut) problems.push(problemOf(cut, truncatedAt));
  }
  return { length: descriptor.length, items, problems };
}

/** Hex dump: 16 bytes a line, each line led by its offset ("0010  19 E0 29 E7 …"). */
export function formatDescriptorHex(descriptor: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < descriptor.length; at += 16) {
    const row = Array.from(descriptor.subarray(at, at + 16), (b) => hexByte(b)).join(' ');
    lines.push(`${at.toString(16).toUpperCase().padStart(4, '0')}  ${row}`);
  }
  return lines.join('\n');
}

/** The widest raw-bytes column: a short item with 4 data bytes. Longer (long) items are cut with "…". */
const BYTES_COLUMN = 14;

function formatItemLine(item: HidDescriptorItem): string {
  const offset = item.offset.toString(16).toUpperCase().padStart(4, '0');
  const bytes = item.bytes.length > BYTES_COLUMN ? `${item.bytes.slice(0, BYTES_COLUMN - 1)}…` : item.bytes;
  const label = item.text ? `${item.name} (${item.text})` : item.name;
  return `${offset}  ${bytes.padEnd(BYTES_COLUMN)}  ${'  '.repeat(item.depth)}${label}`;
}

/**
 * The item list: one line per item, then one line per problem ("ERROR at byte 18 (0x0012): …").
 * Takes the bytes or a listing already made.
 */
export function formatDescriptorItems(descriptor: Uint8Array | HidDescriptorListing): string {
  const listing = descriptor instanceof Uint8Array ? listDescriptorItems(descriptor) : descriptor;
  const lines = listing.items.map(formatItemLine);
  for (const p of listing.problems) {
    lines.push(`ERROR at byte ${p.offset} (${hexN(p.offset, 4)}): expected ${p.expected}`);
  }
  return lines.join('\n');
}

/** Both views, as `describe --descriptor` prints them. */
export function formatDescriptor(descriptor: Uint8Array): string {
  const listing = listDescriptorItems(descriptor);
  const bytes = `${descriptor.length} byte${descriptor.length === 1 ? '' : 's'}`;
  return [
    `Report descriptor, ${bytes}:`,
    formatDescriptorHex(descriptor),
    '',
    'Items:',
    formatDescriptorItems(listing),
  ].join('\n');
}
