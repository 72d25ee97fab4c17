/**
 * USB HID report-descriptor parser (Device Class Definition for HID 1.11 §6.2.2, HID Usage Tables 1.5).
 *
 * The output follows the shape of WebHID's `HIDCollectionInfo` / `HIDReportInfo` / `HIDReportItem`, plus
 * what WebHID leaves out and a byte-exact emulator or driver needs: the bit offset of every item within its
 * report and the byte length of every report.
 *
 * Decisions (the specification leaves them open, or real descriptors break it):
 * - Bit offsets and report lengths count the report ID byte when the report has one (a report as node-hid
 *   reads it: `[id][payload…]`), so `bitOffset` of the first item of report 2 is 8.
 * - A Usage (or Usage Minimum/Maximum) of 1 or 2 bytes is joined to the Usage Page in effect when the Main
 *   item is reached (§6.2.2.8); a 4-byte one carries its own page.
 * - Logical/Physical Minimum/Maximum are signed. When the minimum is ≥ 0 and the maximum reads negative
 *   (`25 FF` for 255, a very common descriptor bug), the maximum is read unsigned, as Linux and Windows do.
 * - Report Size 0 with Report Count > 0, Report Size > 32 on a Data field (it could not be extracted as a
 *   number), Report Count > 4096, or a report longer than 8 KiB are errors. Constant (padding) fields may
 *   be of any size within the report limit.
 * - Report ID 0 is reserved and an error; once a descriptor uses report IDs, a data item outside any report
 *   ID is an error (the host could not tell its report from the others).
 * - A Variable item keeps at most Report Count usages (more are never used); an Array item keeps every usage
 *   its ranges expand to, within a budget of 2^20 usages per descriptor.
 * - Between Delimiter open and close, only the first usage counts (the others are alternates).
 *
 * Every malformed input yields a `HidDescriptorError` naming the byte offset and what was expected, never
 * another exception; the parser visits each byte once and every allocation is bounded by the limits above.
 */
import { extendedUsage, usageIdOf, usagePageOf } from './usages.js';

export class HidDescriptorError extends Error {
  override readonly name = 'HidDescriptorError';
  /**
   * @param offset byte offset in the descriptor of the item at fault (the descriptor length for a problem
   *   found at its end)
   * @param expected what the parser expected there
   */
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {
    super(`HID report descriptor, byte ${offset}: expected ${expected}`);
  }
}

export const HID_LIMITS = {
  /** Widest Data field that can be read as a number. */
  maxDataFieldBits: 32,
  maxReportCount: 4096,
  /** Longest report, report ID byte included. */
  maxReportBytes: 8192,
  /** Usages all Array items of a descriptor may expand their usage ranges to. */
  maxExpandedUsages: 1 << 20,
} as const;

export type HidReportType = 'input' | 'output' | 'feature';

/** Main item data bits (§6.2.2.5). Bit set = the second word of each pair. */
export const MainItemFlag = {
  CONSTANT: 0x001,
  VARIABLE: 0x002,
  RELATIVE: 0x004,
  WRAP: 0x008,
  NON_LINEAR: 0x010,
  NO_PREFERRED: 0x020,
  NULL_STATE: 0x040,
  VOLATILE: 0x080,
  BUFFERED_BYTES: 0x100,
} as const;

/** Collection types (§6.2.2.6); 0x80–0xFF are vendor-defined. */
export const CollectionType = {
  PHYSICAL: 0x00,
  APPLICATION: 0x01,
  LOGICAL: 0x02,
  REPORT: 0x03,
  NAMED_ARRAY: 0x04,
  USAGE_SWITCH: 0x05,
  USAGE_MODIFIER: 0x06,
} as const;

export interface HidReportItem {
  isAbsolute: boolean;
  isArray: boolean;
  isBufferedBytes: boolean;
  isConstant: boolean;
  isLinear: boolean;
  isRange: boolean;
  isVolatile: boolean;
  hasNull: boolean;
  hasPreferredState: boolean;
  wrap: boolean;
  /**
   * Extended usages (`page << 16 | id`), ranges expanded. Variable item: field i has usage `usages[i]`, or
   * the last usage when there are fewer usages than fields (see `fieldUsage`). Array item: the possible
   * values; a field holding `logicalMinimum + k` reports `usages[k]`.
   */
  usages: number[];
  /** The first usage range (extended), when `isRange`; otherwise 0. */
  usageMinimum: number;
  usageMaximum: number;
  reportSize: number;
  reportCount: number;
  unitExponent: number;
  /** The Unit item's raw value (system and exponents of length, mass, time… in nibbles). */
  unit: number;
  logicalMinimum: number;
  logicalMaximum: number;
  physicalMinimum: number;
  physicalMaximum: number;
  /** String Index items, and String Minimum/Maximum ranges as [min, max] pairs. */
  strings: number[];
  stringRanges: [number, number][];
  designators: number[];
  designatorRanges: [number, number][];
  /** Bit offset of the first field within the report, the report ID byte included. */
  bitOffset: number;
  /** The Main item's data value (flag bits). */
  flags: number;
  /** Byte offset of the Main item in the descriptor. */
  descriptorOffset: number;
}

export interface HidReportInfo {
  /** 0 when the descriptor uses no report IDs. */
  reportId: number;
  items: HidReportItem[];
  /** Bytes of the whole report: the report ID byte (when reportId ≠ 0) and every item, padded to bytes. */
  byteLength: number;
}

export interface HidCollectionInfo {
  usagePage: number;
  usage: number;
  type: number;
  children: HidCollectionInfo[];
  /** Reports with the items declared directly in this collection (byteLength is the whole report's). */
  inputReports: HidReportInfo[];
  outputReports: HidReportInfo[];
  featureReports: HidReportInfo[];
}

export interface HidReportDescriptor {
  collections: HidCollectionInfo[];
  /** Every report of the device, each with all its items in report order. */
  inputReports: HidReportInfo[];
  outputReports: HidReportInfo[];
  featureReports: HidReportInfo[];
  usesReportIds: boolean;
}

interface GlobalState {
  usagePage: number;
  logicalMinimum: number;
  logicalMaximum: number;
  /** Byte size of the Logical Maximum item, to reread it unsigned. */
  logicalMaximumSize: number;
  physicalMinimum: number;
  physicalMaximum: number;
  physicalMaximumSize: number;
  unitExponent: number;
  unit: number;
  reportSize: number | undefined;
  reportId: number;
  reportCount: number | undefined;
}

/** A Usage or a Usage Minimum..Maximum range, as declared (page not yet applied to short ones). */
interface UsageEntry {
  min: number;
  minExtended: boolean;
  max: number;
  maxExtended: boolean;
  offset: number;
}

interface LocalState {
  usages: UsageEntry[];
  pendingMinimum: { value: number; extended: boolean; offset: number } | undefined;
  pendingMaximum: { value: number; extended: boolean; offset: number } | undefined;
  strings: number[];
  stringMinimum: number | undefined;
  stringRanges: [number, number][];
  designators: number[];
  designatorMinimum: number | undefined;
  designatorRanges: [number, number][];
  /** Offset of an open Delimiter, or undefined. */
  delimiterOpen: number | undefined;
  delimiterUsageTaken: boolean;
}

function freshLocal(): LocalState {
  return {
    usages: [],
    pendingMinimum: undefined,
    pendingMaximum: undefined,
    strings: [],
    stringMinimum: undefined,
    stringRanges: [],
    designators: [],
    designatorMinimum: undefined,
    designatorRanges: [],
    delimiterOpen: undefined,
    delimiterUsageTaken: false,
  };
}

interface ReportState {
  info: HidReportInfo;
  bits: number;
}

interface OpenCollection {
  info: HidCollectionInfo;
  offset: number;
}

const MAIN_INPUT = 0x8;
const MAIN_OUTPUT = 0x9;
const MAIN_COLLECTION = 0xa;
const MAIN_FEATURE = 0xb;
const MAIN_END_COLLECTION = 0xc;
const LONG_ITEM_PREFIX = 0xfe;

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0').toUpperCase()}`;

/** Reads a 2-complement signed value of `size` bytes from its unsigned reading. */
function toSigned(unsigned: number, size: number): number {
  if (size === 0) return 0;
  const bits = size * 8;
  return unsigned >= 2 ** (bits - 1) ? unsigned - 2 ** bits : unsigned;
}

interface HasReports {
  inputReports: HidReportInfo[];
  outputReports: HidReportInfo[];
  featureReports: HidReportInfo[];
}

function reportsOf(owner: HasReports, type: HidReportType): HidReportInfo[] {
  return type === 'input'
    ? owner.inputReports
    : type === 'output'
      ? owner.outputReports
      : owner.featureReports;
}

export function parseReportDescriptor(descriptor: Uint8Array): HidReportDescriptor {
  const bytes = descriptor;
  const n = bytes.length;
  const result: HidReportDescriptor = {
    collections: [],
    inputReports: [],
    outputReports: [],
    featureReports: [],
    usesReportIds: false,
  };
  let global: GlobalState = {
    usagePage: 0,
    logicalMinimum: 0,
    logicalMaximum: 0,
    logicalMaximumSize: 0,
    physicalMinimum: 0,
    physicalMaximum: 0,
    physicalMaximumSize: 0,
    unitExponent: 0,
    unit: 0,
    reportSize: undefined,
    reportId: 0,
    reportCount: undefined,
  };
  const globalStack: GlobalState[] = [];
  let local = freshLocal();
  const open: OpenCollection[] = [];
  const reports = new Map<string, ReportState>();
  let expandedUsages = 0;
  /** Offset of the first data item declared without a report ID. */
  let dataWithoutReportId: number | undefined;

  const fail = (offset: number, expected: string): never => {
    throw new HidDescriptorError(offset, expected);
  };

  const resolve = (value: number, extended: boolean): number =>
    extended ? value >>> 0 : extendedUsage(global.usagePage, value);

  /** Expands the local usages, at most `limit` of them. */
  const expandUsages = (limit: number, offset: number): { usages: number[]; ranges: [number, number][] } => {
    const usages: number[] = [];
    const ranges: [number, number][] = [];
    for (const entry of local.usages) {
      const min = resolve(entry.min, entry.minExtended);
      const max = resolve(entry.max, entry.maxExtended);
      if (entry.min !== entry.max || entry.minExtended !== entry.maxExtended) {
        if (usagePageOf(min) !== usagePageOf(max)) {
          fail(entry.offset, `a Usage Minimum and Maximum on one usage page (${hex(min)}..${hex(max)})`);
        }
        if (usageIdOf(min) > usageIdOf(max)) {
          fail(entry.offset, `Usage Minimum ≤ Usage Maximum (${hex(min)} > ${hex(max)})`);
        }
        ranges.push([min, max]);
      }
      const take = Math.min(max - min + 1, limit - usages.length);
      if (expandedUsages + usages.length + take > HID_LIMITS.maxExpandedUsages) {
        fail(offset, `usage ranges that expand to at most ${HID_LIMITS.maxExpandedUsages} usages in all`);
      }
      for (let k = 0; k < take; k++) usages.push(min + k);
      if (usages.length >= limit) break;
    }
    expandedUsages += usages.length;
    return { usages, ranges };
  };

  const checkLocalComplete = (offset: number): void => {
    if (local.pendingMinimum) fail(local.pendingMinimum.offset, 'a Usage Maximum after this Usage Minimum');
    if (local.pendingMaximum) fail(local.pendingMaximum.offset, 'a Usage Minimum before this Usage Maximum');
    if (local.stringMinimum !== undefined) fail(offset, 'a String Maximum after the String Minimum');
    if (local.designatorMinimum !== undefined)
      fail(offset, 'a Designator Maximum after the Designator Minimum');
    if (local.delimiterOpen !== undefined)
      fail(local.delimiterOpen, 'a Delimiter close for this Delimiter open');
  };

  const addUsage = (entry: UsageEntry): void => {
    if (local.delimiterOpen !== undefined) {
      if (local.delimiterUsageTaken) return;
      local.delimiterUsageTaken = true;
    }
    local.usages.push(entry);
  };

  const mainDataItem = (type: HidReportType, flags: number, offset: number, name: string): void => {
    const { reportSize, reportCount } = global;
    if (reportSize === undefined) fail(offset, `a Report Size before the ${name} item`);
    if (reportCount === undefined) fail(offset, `a Report Count before the ${name} item`);
    const size = reportSize as number;
    const count = reportCount as number;
    const isConstant = (flags & MainItemFlag.CONSTANT) !== 0;
    const isArray = (flags & MainItemFlag.VARIABLE) === 0;
    if (count > HID_LIMITS.maxReportCount) {
      fail(offset, `a Report Count of at most ${HID_LIMITS.maxReportCount} (it is ${count})`);
    }
    if (size === 0 && count > 0) fail(offset, `a Report Size of at least 1 for ${count} fields`);
    if (!isConstant && size > HID_LIMITS.maxDataFieldBits) {
      fail(
        offset,
        `a Report Size of at most ${HID_LIMITS.maxDataFieldBits} bits for a Data item (it is ${size})`,
      );
    }
    checkLocalComplete(offset);
    if (global.reportId === 0 && !isConstant && dataWithoutReportId === undefined)
      dataWithoutReportId = offset;
    if (result.usesReportIds && dataWithoutReportId !== undefined) {
      fail(dataWithoutReportId, 'a Report ID before this item: the descriptor uses report IDs');
    }

    const key = `${type}:${global.reportId}`;
    let report = reports.get(key);
    if (!report) {
      report = {
        info: { reportId: global.reportId, items: [], byteLength: 0 },
        bits: global.reportId ? 8 : 0,
      };
      reports.set(key, report);
      reportsOf(result, type).push(report.info);
    }
    const bitOffset = report.bits;
    report.bits += size * count;
    const byteLength = Math.ceil(report.bits / 8);
    if (byteLength > HID_LIMITS.maxReportBytes) {
      fail(
        offset,
        `a report of at most ${HID_LIMITS.maxReportBytes} bytes (report ${global.reportId} reaches ${byteLength})`,
      );
    }
    report.info.byteLength = byteLength;

    const { usages, ranges } = expandUsages(isArray ? Number.POSITIVE_INFINITY : count, offset);
    let logicalMaximum = global.logicalMaximum;
    if (global.logicalMinimum >= 0 && logicalMaximum < 0) {
      logicalMaximum += 2 ** (8 * global.logicalMaximumSize);
    }
    let physicalMaximum = global.physicalMaximum;
    if (global.physicalMinimum >= 0 && physicalMaximum < 0) {
      physicalMaximum += 2 ** (8 * global.physicalMaximumSize);
    }
    const firstRange = ranges[0];
    const item: HidReportItem = {
      isAbsolute: (flags & MainItemFlag.RELATIVE) === 0,
      isArray,
      isBufferedBytes: (flags & MainItemFlag.BUFFERED_BYTES) !== 0,
      isConstant,
      isLinear: (flags & MainItemFlag.NON_LINEAR) === 0,
      isRange: firstRange !== undefined,
      isVolatile: (flags & MainItemFlag.VOLATILE) !== 0,
      hasNull: (flags & MainItemFlag.NULL_STATE) !== 0,
      hasPreferredState: (flags & MainItemFlag.NO_PREFERRED) === 0,
      wrap: (flags & MainItemFlag.WRAP) !== 0,
      usages,
      usageMinimum: firstRange ? firstRange[0] : 0,
      usageMaximum: firstRange ? firstRange[1] : 0,
      reportSize: size,
      reportCount: count,
      unitExponent: global.unitExponent,
      unit: global.unit,
      logicalMinimum: global.logicalMinimum,
      logicalMaximum,
      physicalMinimum: global.physicalMinimum,
      physicalMaximum,
      strings: local.strings,
      stringRanges: local.stringRanges,
      designators: local.designators,
      designatorRanges: local.designatorRanges,
      bitOffset,
      flags,
      descriptorOffset: offset,
    };
    report.info.items.push(item);
    const parent = open[open.length - 1];
    if (parent) {
      const list = reportsOf(parent.info, type);
      let mine = list.find((r) => r.reportId === global.reportId);
      if (!mine) {
        // Shares the device-level report's byteLength once parsing ends (see below).
        mine = { reportId: global.reportId, items: [], byteLength: 0 };
        list.push(mine);
      }
      mine.items.push(item);
    }
  };

  let pos = 0;
  while (pos < n) {
    const start = pos;
    const prefix = bytes[pos] as number;
    if (prefix === LONG_ITEM_PREFIX) {
      // Long item: [FE][bDataSize][bLongItemTag][data…]. No long item tags are defined: skip it.
      if (pos + 3 > n) fail(start, 'a long item header of 3 bytes (FE, bDataSize, bLongItemTag)');
      const dataSize = bytes[pos + 1] as number;
      if (pos + 3 + dataSize > n)
        fail(start, `a long item with ${dataSize} data bytes, but the descriptor ends`);
      pos += 3 + dataSize;
      continue;
    }
    const sizeCode = prefix & 0x03;
    const size = sizeCode === 3 ? 4 : sizeCode;
    const itemType = (prefix >> 2) & 0x03;
    const tag = prefix >> 4;
    if (pos + 1 + size > n) {
      fail(
        start,
        `${size} data byte${size === 1 ? '' : 's'} after item prefix ${hex(prefix)}, but the descriptor ends`,
      );
    }
    let data = 0;
    for (let i = 0; i < size; i++) data += (bytes[pos + 1 + i] as number) * 2 ** (8 * i);
    const signed = toSigned(data, size);
    pos += 1 + size;

    if (itemType === 0) {
      switch (tag) {
        case MAIN_INPUT:
          mainDataItem('input', data, start, 'Input');
          break;
        case MAIN_OUTPUT:
          mainDataItem('output', data, start, 'Output');
          break;
        case MAIN_FEATURE:
          mainDataItem('feature', data, start, 'Feature');
          break;
        case MAIN_COLLECTION: {
          checkLocalComplete(start);
          const { usages } = expandUsages(1, start);
          const usage = usages[0] ?? 0;
          const info: HidCollectionInfo = {
            usagePage: usages.length ? usagePageOf(usage) : global.usagePage,
            usage: usageIdOf(usage),
            type: data & 0xff,
            children: [],
            inputReports: [],
            outputReports: [],
            featureReports: [],
          };
          const parent = open[open.length - 1];
          (parent ? parent.info.children : result.collections).push(info);
          open.push({ info, offset: start });
          break;
        }
        case MAIN_END_COLLECTION:
          if (!open.pop()) fail(start, 'a Collection open before End Collection');
          break;
        default:
          fail(
            start,
            `a Main item tag (Input, Output, Feature, Collection, End Collection), not ${hex(tag)}`,
          );
      }
      local = freshLocal();
    } else if (itemType === 1) {
      switch (tag) {
        case 0x0:
          if (data > 0xffff) fail(start, `a Usage Page of at most 0xFFFF (it is ${hex(data)})`);
          global.usagePage = data;
          break;
        case 0x1:
          global.logicalMinimum = signed;
          break;
        case 0x2:
          global.logicalMaximum = signed;
          global.logicalMaximumSize = size;
          break;
        case 0x3:
          global.physicalMinimum = signed;
          break;
        case 0x4:
          global.physicalMaximum = signed;
          global.physicalMaximumSize = size;
          break;
        case 0x5:
          // A 4-bit signed nibble in the specification; some descriptors write a full signed byte.
          global.unitExponent = size <= 1 && data <= 0x0f ? (data >= 8 ? data - 16 : data) : signed;
          break;
        case 0x6:
          global.unit = data;
          break;
        case 0x7:
          global.reportSize = data;
          break;
        case 0x8:
          if (data === 0 || data > 0xff) fail(start, `a Report ID of 1–255 (it is ${data})`);
          if (dataWithoutReportId !== undefined) {
            fail(dataWithoutReportId, 'a Report ID before this item: the descriptor uses report IDs');
          }
          global.reportId = data;
          result.usesReportIds = true;
          break;
        case 0x9:
          global.reportCount = data;
          break;
        case 0xa:
          globalStack.push({ ...global });
          break;
        case 0xb: {
          const saved = globalStack.pop();
          if (!saved) fail(start, 'a Push before this Pop');
          global = saved as GlobalState;
          break;
        }
        default:
          fail(start, `a Global item tag (0x0–0xB), not ${hex(tag)}`);
      }
    } else if (itemType === 2) {
      const extended = size === 4;
      switch (tag) {
        case 0x0:
          addUsage({ min: data, minExtended: extended, max: data, maxExtended: extended, offset: start });
          break;
        case 0x1:
          if (local.pendingMinimum) fail(start, 'a Usage Maximum before another Usage Minimum');
          local.pendingMinimum = { value: data, extended, offset: start };
          break;
        case 0x2:
          if (local.pendingMaximum) fail(start, 'a Usage Minimum before another Usage Maximum');
          local.pendingMaximum = { value: data, extended, offset: start };
          break;
        case 0x3:
          local.designators.push(data);
          break;
        case 0x4:
          local.designatorMinimum = data;
          break;
        case 0x5:
          if (local.designatorMinimum === undefined)
            fail(start, 'a Designator Minimum before Designator Maximum');
          local.designatorRanges.push([local.designatorMinimum as number, data]);
          local.designatorMinimum = undefined;
          break;
        case 0x7:
          local.strings.push(data);
          break;
        case 0x8:
          local.stringMinimum = data;
          break;
        case 0x9:
          if (local.stringMinimum === undefined) fail(start, 'a String Minimum before String Maximum');
          local.stringRanges.push([local.stringMinimum as number, data]);
          local.stringMinimum = undefined;
          break;
        case 0xa:
          if (data === 1) {
            if (local.delimiterOpen !== undefined)
              fail(start, 'a Delimiter close before another Delimiter open');
            local.delimiterOpen = start;
            local.delimiterUsageTaken = false;
          } else if (data === 0) {
            if (local.delimiterOpen === undefined)
              fail(start, 'a Delimiter open before this Delimiter close');
            local.delimiterOpen = undefined;
          } else {
            fail(start, `a Delimiter of 1 (open) or 0 (close), not ${data}`);
          }
          break;
        default:
          fail(start, `a Local item tag (0x0–0x5, 0x7–0xA), not ${hex(tag)}`);
      }
      const min = local.pendingMinimum;
      const max = local.pendingMaximum;
      if (min && max) {
        addUsage({
          min: min.value,
          minExtended: min.extended,
          max: max.value,
          maxExtended: max.extended,
          offset: min.offset,
        });
        local.pendingMinimum = undefined;
        local.pendingMaximum = undefined;
      }
    } else {
      fail(start, `a Main, Global or Local item, not the reserved item type 3 (prefix ${hex(prefix)})`);
    }
  }

  const unclosed = open[open.length - 1];
  if (unclosed) fail(n, `an End Collection for the Collection at byte ${unclosed.offset}`);

  // Collection-level report infos carry the whole report's length.
  const lengths = new Map<string, number>();
  for (const [key, state] of reports) lengths.set(key, state.info.byteLength);
  // Iteratively: collections may nest as deep as the descriptor is long.
  const pending = [...result.collections];
  for (let collection = pending.pop(); collection; collection = pending.pop()) {
    for (const type of ['input', 'output', 'feature'] as const) {
      for (const r of reportsOf(collection, type)) r.byteLength = lengths.get(`${type}:${r.reportId}`) ?? 0;
    }
    for (const child of collection.children) pending.push(child);
  }
  return result;
}

/** The device-level report of this type and ID, or undefined. */
export function findReport(
  descriptor: HidReportDescriptor,
  type: HidReportType,
  reportId: number,
): HidReportInfo | undefined {
  return reportsOf(descriptor, type).find((r) => r.reportId === reportId);
}

/**
 * The usage of field `index` of a Variable item: its own usage, or the last usage when the item declares
 * fewer usages than fields (HID 1.11 §6.2.2.8). Undefined for Array items and items without usages.
 */
export function fieldUsage(item: HidReportItem, index: number): number | undefined {
  if (item.isArray || index < 0 || index >= item.reportCount) return undefined;
  return item.usages[index] ?? item.usages[item.usages.length - 1];
}

/** The usage an Array field's value selects, or undefined when the value selects none. */
export function arrayUsage(item: HidReportItem, value: number): number | undefined {
  if (!item.isArray || value < item.logicalMinimum || value > item.logicalMaximum) return undefined;
  return item.usages[value - item.logicalMinimum];
}

/** Items of a report whose fields (Variable) or possible values (Array) include this usage. */
export function itemsWithUsage(report: HidReportInfo, usage: number): HidReportItem[] {
  return report.items.filter((item) => item.usages.includes(usage));
}
