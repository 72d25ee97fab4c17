/**
 * USB HID POS barcode scanner reports (HID Usage Tables, Barcode Scanner page 0x8C), laid out by the
 * device's parsed report descriptor. Both sides use this module: the emulated scanner turns a decoded
 * symbol into Scanned Data input reports and reads the host's Trigger output report; the host driver
 * reassembles input reports into a label and writes trigger commands.
 *
 * Fields are found by usage, never by offset (vendors differ: PROTOCOLS.md, "USB HID POS"):
 * - Symbology Identifier 1–3 (0xFB–0xFD): the three bytes of the AIM identifier, e.g. `]E0`;
 * - Decoded Data (0xFE): the data bytes of this report, as many as the report has fields with that usage;
 * - Decode Data Continued (0xFF): set on every report of a label but the last;
 * - the data length and the vendor code ID have no Barcode Scanner usage: their (vendor) usages are options,
 *   by default those of the Honeywell-style layout (0xFF00:0x01 and 0xFF00:0x02). Without a length field the
 *   data runs to the last non-zero byte, which is all a host can do with such a device.
 * - the Trigger output report: Initiate Barcode Read (0x60), Prevent Read of Barcodes (0x5F), Good Read
 *   Indication (0x86), Error Indication (0x85).
 *
 * Every report is the whole report as node-hid reads it (`[report ID][payload…]`). Bad input yields a
 * `HidPosError`, never another exception.
 *
 * Fields are found through the parsed report descriptor (firmware-sim/hid: the one HID codec, used by the
 * emulated device and the host driver alike), never by fixed offsets.
 */
import type { HidReportDescriptor, HidReportInfo } from '../hid/descriptor.js';
import { HidReportError, extractUsages, packReport, type UsageValues } from '../hid/fields.js';
import { BarcodeScanner, UsagePage, extendedUsage } from '../hid/usages.js';

const bs = (id: number): number => extendedUsage(UsagePage.BARCODE_SCANNER, id);

export const HidPosUsage = {
  SYMBOLOGY_IDENTIFIER_1: bs(BarcodeScanner.SYMBOLOGY_IDENTIFIER_1),
  SYMBOLOGY_IDENTIFIER_2: bs(BarcodeScanner.SYMBOLOGY_IDENTIFIER_2),
  SYMBOLOGY_IDENTIFIER_3: bs(BarcodeScanner.SYMBOLOGY_IDENTIFIER_3),
  DECODED_DATA: bs(BarcodeScanner.DECODED_DATA),
  DECODE_DATA_CONTINUED: bs(BarcodeScanner.DECODE_DATA_CONTINUED),
  INITIATE_BARCODE_READ: bs(BarcodeScanner.INITIATE_BARCODE_READ),
  PREVENT_READ_OF_BARCODES: bs(BarcodeScanner.PREVENT_READ_OF_BARCODES),
  GOOD_READ_INDICATION: bs(BarcodeScanner.GOOD_READ_INDICATION),
  ERROR_INDICATION: bs(BarcodeScanner.ERROR_INDICATION),
  /** Honeywell-style layout: decoded data length (vendor page 0xFF00, usage 1). */
  VENDOR_DATA_LENGTH: extendedUsage(UsagePage.VENDOR_FIRST, 0x01),
  /** Honeywell-style layout: vendor code identifier (vendor page 0xFF00, usage 2). */
  VENDOR_CODE_ID: extendedUsage(UsagePage.VENDOR_FIRST, 0x02),
} as const;

export type HidPosErrorCode =
  /** The descriptor has no usable Scanned Data (or Trigger) report. */
  | 'descriptor'
  /** A report of the wrong ID or length. */
  | 'report'
  /** The length field says more than the report carries. */
  | 'count'
  /** A report that does not continue the label being assembled (identifier changed). */
  | 'sequence'
  /** The reports ended while the label was still marked continued, or came after its end. */
  | 'incomplete'
  | 'unexpected'
  /** The label is longer than the assembler accepts, or than a report without a continued bit can carry. */
  | 'too-long'
  /** The symbol cannot be put in a report (AIM identifier not 3 bytes, code ID out of range). */
  | 'symbol';

export class HidPosError extends Error {
  override readonly name = 'HidPosError';
  constructor(
    readonly code: HidPosErrorCode,
    message: string,
  ) {
    super(`HID POS: ${message}`);
  }
}

export interface HidPosLayoutOptions {
  /** Usage of the data-length field; `null` when the device has none. Default `HidPosUsage.VENDOR_DATA_LENGTH`. */
  dataLengthUsage?: number | null;
  /** Usage of the vendor code ID field; `null` when none. Default `HidPosUsage.VENDOR_CODE_ID`. */
  codeIdUsage?: number | null;
}

/** Where a device puts the fields of HID POS, found by usage in its report descriptor. */
export interface HidPosLayout {
  scannedData: HidReportInfo;
  /** Decoded Data bytes one report carries. */
  dataCapacity: number;
  /** Usages present in the Scanned Data report (undefined: the device has no such field). */
  dataLengthUsage: number | undefined;
  codeIdUsage: number | undefined;
  hasContinued: boolean;
  /** The Trigger output report, when the device has one. */
  trigger: HidReportInfo | undefined;
}

function countFields(report: HidReportInfo, usage: number): number {
  let n = 0;
  for (const item of report.items) {
    if (item.isConstant || item.isArray) continue;
    for (let i = 0; i < item.reportCount; i++) {
      const u = item.usages[i] ?? item.usages[item.usages.length - 1];
      if (u === usage) n++;
    }
  }
  return n;
}

/** Finds the HID POS fields in a parsed descriptor. */
export function hidPosLayout(
  descriptor: HidReportDescriptor,
  options: HidPosLayoutOptions = {},
): HidPosLayout {
  const scannedData = descriptor.inputReports.find((r) => countFields(r, HidPosUsage.DECODED_DATA) > 0);
  if (!scannedData)
    throw new HidPosError('descriptor', 'no input report has Decoded Data (0x8C:0xFE) fields');
  for (const u of [
    HidPosUsage.SYMBOLOGY_IDENTIFIER_1,
    HidPosUsage.SYMBOLOGY_IDENTIFIER_2,
    HidPosUsage.SYMBOLOGY_IDENTIFIER_3,
  ]) {
    if (countFields(scannedData, u) !== 1) {
      throw new HidPosError(
        'descriptor',
        `report ${scannedData.reportId} needs one Symbology Identifier field 0x${u.toString(16)}`,
      );
    }
  }
  const optional = (usage: number | null | undefined, fallback: number): number | undefined => {
    const u = usage === undefined ? fallback : usage;
    return u !== null && countFields(scannedData, u) === 1 ? u : undefined;
  };
  const trigger = descriptor.outputReports.find(
    (r) =>
      countFields(r, HidPosUsage.INITIATE_BARCODE_READ) > 0 ||
      countFields(r, HidPosUsage.PREVENT_READ_OF_BARCODES) > 0,
  );
  return {
    scannedData,
    dataCapacity: countFields(scannedData, HidPosUsage.DECODED_DATA),
    dataLengthUsage: optional(options.dataLengthUsage, HidPosUsage.VENDOR_DATA_LENGTH),
    codeIdUsage: optional(options.codeIdUsage, HidPosUsage.VENDOR_CODE_ID),
    hasContinued: countFields(scannedData, HidPosUsage.DECODE_DATA_CONTINUED) > 0,
    trigger,
  };
}

/** What the scanner sends for one read. */
export interface HidPosSymbol {
  /** AIM identifier, 3 ASCII characters (`]E0`). */
  aim: string;
  data: Uint8Array;
  /** Vendor code ID byte (Honeywell Code ID character code), when the layout has the field. */
  codeId?: number;
}

/** One Scanned Data report, read. */
export interface ScannedDataFragment {
  aim: string;
  data: Uint8Array;
  codeId: number | undefined;
  continued: boolean;
}

/** A label reassembled from its reports. */
export interface ScannedLabel {
  aim: string;
  data: Uint8Array;
  codeId: number | undefined;
  /** Reports it came in. */
  reports: number;
}

function aimBytes(aim: string): [number, number, number] {
  const a = aim.charCodeAt(0);
  const b = aim.charCodeAt(1);
  const c = aim.charCodeAt(2);
  if (aim.length !== 3 || !(a <= 0xff && b <= 0xff && c <= 0xff)) {
    throw new HidPosError(
      'symbol',
      `an AIM identifier must be 3 single-byte characters, not ${JSON.stringify(aim)}`,
    );
  }
  return [a, b, c];
}

function wrapReportError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof HidReportError) throw new HidPosError('report', e.message);
    throw e;
  }
}

function checkReport(info: HidReportInfo, report: Uint8Array, what: string): void {
  if (report.length !== info.byteLength) {
    throw new HidPosError('report', `a ${what} report has ${info.byteLength} bytes, not ${report.length}`);
  }
  if (info.reportId !== 0 && report[0] !== info.reportId) {
    throw new HidPosError(
      'report',
      `report ID ${report[0]} where the ${what} report ${info.reportId} was expected`,
    );
  }
}

/**
 * The Scanned Data reports for one symbol: the data split over as many reports as needed, each carrying the
 * identifier (and code ID) and its part of the data zero padded, the continued bit set on all but the last.
 */
export function encodeScannedData(layout: HidPosLayout, symbol: HidPosSymbol): Uint8Array[] {
  const [a1, a2, a3] = aimBytes(symbol.aim);
  const cap = layout.dataCapacity;
  const data = symbol.data;
  if (!layout.hasContinued && data.length > cap) {
    throw new HidPosError(
      'too-long',
      `${data.length} bytes do not fit one report of ${cap} without a continued bit`,
    );
  }
  if (
    symbol.codeId !== undefined &&
    !(Number.isInteger(symbol.codeId) && symbol.codeId >= 0 && symbol.codeId <= 0xff)
  ) {
    throw new HidPosError('symbol', `code ID ${symbol.codeId} is not a byte`);
  }
  const reports: Uint8Array[] = [];
  for (let at = 0; at === 0 || at < data.length; at += cap) {
    const chunk = data.subarray(at, at + cap);
    const last = at + cap >= data.length;
    const values: UsageValues = new Map([
      [HidPosUsage.SYMBOLOGY_IDENTIFIER_1, [a1]],
      [HidPosUsage.SYMBOLOGY_IDENTIFIER_2, [a2]],
      [HidPosUsage.SYMBOLOGY_IDENTIFIER_3, [a3]],
      [HidPosUsage.DECODED_DATA, Array.from(chunk)],
      [HidPosUsage.DECODE_DATA_CONTINUED, [last ? 0 : 1]],
    ]);
    if (layout.dataLengthUsage !== undefined) values.set(layout.dataLengthUsage, [chunk.length]);
    if (layout.codeIdUsage !== undefined) values.set(layout.codeIdUsage, [symbol.codeId ?? 0]);
    reports.push(wrapReportError(() => packReport(layout.scannedData, values)));
  }
  return reports;
}

/** Reads one Scanned Data report. */
export function parseScannedDataReport(layout: HidPosLayout, report: Uint8Array): ScannedDataFragment {
  checkReport(layout.scannedData, report, 'Scanned Data');
  const values = wrapReportError(() => extractUsages(report, layout.scannedData));
  const one = (usage: number): number => values.get(usage)?.[0] ?? 0;
  const bytes = values.get(HidPosUsage.DECODED_DATA) ?? [];
  let length: number;
  if (layout.dataLengthUsage !== undefined) {
    length = one(layout.dataLengthUsage);
    if (length > bytes.length) {
      throw new HidPosError(
        'count',
        `length field ${length} exceeds the ${bytes.length} data bytes of a report`,
      );
    }
  } else {
    length = bytes.length;
    while (length > 0 && bytes[length - 1] === 0) length--;
  }
  const aimCodes = [
    one(HidPosUsage.SYMBOLOGY_IDENTIFIER_1),
    one(HidPosUsage.SYMBOLOGY_IDENTIFIER_2),
    one(HidPosUsage.SYMBOLOGY_IDENTIFIER_3),
  ];
  return {
    aim: String.fromCharCode(...aimCodes.map((c) => c & 0xff)),
    data: Uint8Array.from(bytes.slice(0, length), (b) => b & 0xff),
    codeId: layout.codeIdUsage !== undefined ? one(layout.codeIdUsage) : undefined,
    continued: one(HidPosUsage.DECODE_DATA_CONTINUED) !== 0,
  };
}

export interface AssemblerOptions {
  /** Longest label accepted (bytes); longer input is dropped with a 'too-long' error. Default 64 KiB. */
  maxLabelBytes?: number;
}

/**
 * Host side: feeds Scanned Data reports one at a time, returns the label when its last report arrives.
 * On any error the partial label is dropped, so the next report starts afresh.
 */
export class ScannedDataAssembler {
  private parts: Uint8Array[] = [];
  private size = 0;
  private first: ScannedDataFragment | undefined;
  private readonly maxLabelBytes: number;

  constructor(
    private readonly layout: HidPosLayout,
    options: AssemblerOptions = {},
  ) {
    this.maxLabelBytes = options.maxLabelBytes ?? 64 * 1024;
  }

  /** True while reports of a label have come but not its last. */
  get pending(): boolean {
    return this.first !== undefined;
  }

  reset(): void {
    this.parts = [];
    this.size = 0;
    this.first = undefined;
  }

  push(report: Uint8Array): ScannedLabel | undefined {
    let fragment: ScannedDataFragment;
    try {
      fragment = parseScannedDataReport(this.layout, report);
      if (this.first && (fragment.aim !== this.first.aim || fragment.codeId !== this.first.codeId)) {
        throw new HidPosError(
          'sequence',
          `identifier ${JSON.stringify(fragment.aim)} in the middle of a ${JSON.stringify(this.first.aim)} label`,
        );
      }
      if (this.size + fragment.data.length > this.maxLabelBytes) {
        throw new HidPosError('too-long', `label longer than ${this.maxLabelBytes} bytes`);
      }
    } catch (e) {
      this.reset();
      throw e;
    }
    this.first ??= fragment;
    this.parts.push(fragment.data);
    this.size += fragment.data.length;
    if (fragment.continued) return undefined;
    const data = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      data.set(p, at);
      at += p.length;
    }
    const label: ScannedLabel = {
      aim: this.first.aim,
      data,
      codeId: this.first.codeId,
      reports: this.parts.length,
    };
    this.reset();
    return label;
  }
}

/** The one label a sequence of reports makes; an error when they make less or more than one. */
export function reassembleLabel(
  layout: HidPosLayout,
  reports: readonly Uint8Array[],
  options: AssemblerOptions = {},
): ScannedLabel {
  const assembler = new ScannedDataAssembler(layout, options);
  let label: ScannedLabel | undefined;
  for (const [i, report] of reports.entries()) {
    if (label) throw new HidPosError('unexpected', `report ${i} comes after the label's last report`);
    label = assembler.push(report);
  }
  if (!label) {
    throw new HidPosError(
      'incomplete',
      reports.length ? 'the last report is marked continued' : 'no reports',
    );
  }
  return label;
}

/** What the host asks of the scanner in one Trigger output report. */
export interface TriggerCommands {
  initiateRead: boolean;
  preventRead: boolean;
  goodReadBeep: boolean;
  errorBeep: boolean;
}

function triggerReport(layout: HidPosLayout): HidReportInfo {
  if (!layout.trigger) throw new HidPosError('descriptor', 'the device has no Trigger output report');
  return layout.trigger;
}

/** Scanner side: reads the host's Trigger output report. */
export function parseTriggerReport(layout: HidPosLayout, report: Uint8Array): TriggerCommands {
  const info = triggerReport(layout);
  checkReport(info, report, 'Trigger');
  const values = wrapReportError(() => extractUsages(report, info));
  const on = (u: number): boolean => (values.get(u) ?? []).some((v) => v !== 0);
  return {
    initiateRead: on(HidPosUsage.INITIATE_BARCODE_READ),
    preventRead: on(HidPosUsage.PREVENT_READ_OF_BARCODES),
    goodReadBeep: on(HidPosUsage.GOOD_READ_INDICATION),
    errorBeep: on(HidPosUsage.ERROR_INDICATION),
  };
}

/** Host side: the Trigger output report for these commands (absent ones off). */
export function encodeTriggerReport(layout: HidPosLayout, commands: Partial<TriggerCommands>): Uint8Array {
  const info = triggerReport(layout);
  const bit = (b: boolean | undefined): number[] => [b ? 1 : 0];
  const values: UsageValues = new Map([
    [HidPosUsage.INITIATE_BARCODE_READ, bit(commands.initiateRead)],
    [HidPosUsage.PREVENT_READ_OF_BARCODES, bit(commands.preventRead)],
    [HidPosUsage.GOOD_READ_INDICATION, bit(commands.goodReadBeep)],
    [HidPosUsage.ERROR_INDICATION, bit(commands.errorBeep)],
  ]);
  return wrapReportError(() => packReport(info, values));
}
