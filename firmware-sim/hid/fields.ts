/**
 * Reading and writing report fields by usage, from a parsed report descriptor.
 *
 * Reports are byte arrays as node-hid reads and writes them: `[report ID][payload…]` when the report has an
 * ID, the payload alone otherwise; item bit offsets count the ID byte (see descriptor.ts). Fields are packed
 * least significant bit first (HID 1.11 §8.4). A field is signed when its Logical Minimum is negative.
 *
 * Values by usage are a `Map<extended usage, number[]>`: for Variable items, one value per field with that
 * usage, in report order (fields that share the last usage give several); for Array items, one entry `1` per
 * field that selects the usage (an ID-0 usage, "no event", and out-of-range values select nothing).
 * Constant fields are neither read nor written (they pack as zero bits).
 */
import { arrayUsage, fieldUsage, type HidReportInfo, type HidReportItem } from './descriptor.js';
import { usageIdOf } from './usages.js';

export type UsageValues = Map<number, number[]>;

/** A report that does not fit its descriptor (too short, wrong report ID), or a value a field cannot hold. */
export class HidReportError extends Error {
  override readonly name = 'HidReportError';
}

function readBits(report: Uint8Array, bitOffset: number, size: number): number {
  if (bitOffset + size > report.length * 8) {
    throw new HidReportError(
      `a field at bits ${bitOffset}+${size} lies beyond a report of ${report.length} bytes`,
    );
  }
  let value = 0;
  let got = 0;
  while (got < size) {
    const bit = bitOffset + got;
    const shift = bit & 7;
    const take = Math.min(8 - shift, size - got);
    const part = ((report[bit >> 3] as number) >> shift) & ((1 << take) - 1);
    value += part * 2 ** got;
    got += take;
  }
  return value;
}

function writeBits(report: Uint8Array, bitOffset: number, size: number, unsigned: number): void {
  if (bitOffset + size > report.length * 8) {
    throw new HidReportError(
      `a field at bits ${bitOffset}+${size} lies beyond a report of ${report.length} bytes`,
    );
  }
  let rest = unsigned;
  let put = 0;
  while (put < size) {
    const bit = bitOffset + put;
    const shift = bit & 7;
    const take = Math.min(8 - shift, size - put);
    const mask = (1 << take) - 1;
    const part = rest % 2 ** take;
    const index = bit >> 3;
    report[index] = ((report[index] as number) & ~(mask << shift)) | (part << shift);
    rest = Math.floor(rest / 2 ** take);
    put += take;
  }
}

function isSigned(item: HidReportItem): boolean {
  return item.logicalMinimum < 0;
}

function checkIndex(item: HidReportItem, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= item.reportCount) {
    throw new HidReportError(`field index ${index} outside 0..${item.reportCount - 1}`);
  }
}

/** Field `index` of an item: sign-extended when the item's Logical Minimum is negative. */
export function readField(report: Uint8Array, item: HidReportItem, index: number): number {
  checkIndex(item, index);
  const size = item.reportSize;
  const raw = readBits(report, item.bitOffset + index * size, size);
  return isSigned(item) && size > 0 && raw >= 2 ** (size - 1) ? raw - 2 ** size : raw;
}

/** Writes field `index`; the value must be representable in Report Size bits (signed or not, as read). */
export function writeField(report: Uint8Array, item: HidReportItem, index: number, value: number): void {
  checkIndex(item, index);
  const size = item.reportSize;
  const min = isSigned(item) ? -(2 ** (size - 1)) : 0;
  const max = isSigned(item) ? 2 ** (size - 1) - 1 : 2 ** size - 1;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HidReportError(
      `value ${value} does not fit a ${size}-bit ${isSigned(item) ? 'signed' : 'unsigned'} field`,
    );
  }
  writeBits(report, item.bitOffset + index * size, size, value < 0 ? value + 2 ** size : value);
}

function checkReport(report: Uint8Array, info: HidReportInfo): void {
  if (report.length < info.byteLength) {
    throw new HidReportError(
      `report ${info.reportId} has ${report.length} bytes; its descriptor says ${info.byteLength}`,
    );
  }
  if (info.reportId !== 0 && report[0] !== info.reportId) {
    throw new HidReportError(`report ID ${report[0]} where ${info.reportId} was expected`);
  }
}

function push(values: UsageValues, usage: number, value: number): void {
  const list = values.get(usage);
  if (list) list.push(value);
  else values.set(usage, [value]);
}

/** Every Data field of a report, by usage. */
export function extractUsages(report: Uint8Array, info: HidReportInfo): UsageValues {
  checkReport(report, info);
  const values: UsageValues = new Map();
  for (const item of info.items) {
    if (item.isConstant) continue;
    for (let i = 0; i < item.reportCount; i++) {
      if (item.isArray) {
        const usage = arrayUsage(item, readField(report, item, i));
        if (usage !== undefined && usageIdOf(usage) !== 0) push(values, usage, 1);
      } else {
        const usage = fieldUsage(item, i);
        if (usage !== undefined) push(values, usage, readField(report, item, i));
      }
    }
  }
  return values;
}

/** The value an Array field holds when it selects nothing. */
function arrayEmptyValue(item: HidReportItem): number {
  const noEvent = item.usages.findIndex((u) => usageIdOf(u) === 0);
  if (noEvent >= 0) return item.logicalMinimum + noEvent;
  const size = item.reportSize;
  const lowest = isSigned(item) ? -(2 ** (size - 1)) : 0;
  const highest = isSigned(item) ? 2 ** (size - 1) - 1 : 2 ** size - 1;
  if (item.logicalMinimum - 1 >= lowest) return item.logicalMinimum - 1;
  if (item.logicalMaximum + 1 <= highest) return item.logicalMaximum + 1;
  return Math.max(lowest, Math.min(highest, item.logicalMinimum));
}

/**
 * Builds a report from values by usage (the inverse of `extractUsages`). Fields without a value are zero;
 * Array fields are filled with the selected usages in the Map's order, the rest with "no event".
 */
export function packReport(info: HidReportInfo, values: UsageValues): Uint8Array {
  const report = new Uint8Array(info.byteLength);
  if (info.reportId !== 0) report[0] = info.reportId;
  const consumed = new Map<number, number>();
  const next = (usage: number): number | undefined => {
    const list = values.get(usage);
    const at = consumed.get(usage) ?? 0;
    if (!list || at >= list.length) return undefined;
    consumed.set(usage, at + 1);
    return list[at];
  };
  for (const item of info.items) {
    if (item.isConstant) continue;
    if (!item.isArray) {
      for (let i = 0; i < item.reportCount; i++) {
        const usage = fieldUsage(item, i);
        const value = usage === undefined ? undefined : next(usage);
        if (value !== undefined) writeField(report, item, i, value);
      }
      continue;
    }
    const indexOf = new Map<number, number>();
    item.usages.forEach((u, k) => {
      if (!indexOf.has(u)) indexOf.set(u, k);
    });
    let slot = 0;
    for (const [usage, list] of values) {
      const k = indexOf.get(usage);
      if (k === undefined || usageIdOf(usage) === 0 || k > item.logicalMaximum - item.logicalMinimum)
        continue;
      for (let at = consumed.get(usage) ?? 0; at < list.length && slot < item.reportCount; at++) {
        consumed.set(usage, at + 1);
        if (list[at]) writeField(report, item, slot++, item.logicalMinimum + k);
      }
    }
    const empty = arrayEmptyValue(item);
    for (; slot < item.reportCount; slot++) writeField(report, item, slot, empty);
  }
  return report;
}
