/**
 * HID usages (HID Usage Tables 1.5) that benchtwin's devices and drivers name. A usage is carried as one
 * 32-bit "extended usage": the usage page in the high 16 bits, the usage ID in the low 16 bits — the form a
 * 4-byte Usage item takes in a report descriptor, and the form WebHID reports.
 */

export const UsagePage = {
  GENERIC_DESKTOP: 0x01,
  KEYBOARD: 0x07,
  LED: 0x08,
  BUTTON: 0x09,
  CONSUMER: 0x0c,
  BARCODE_SCANNER: 0x8c,
  /** Vendor-defined pages are 0xFF00–0xFFFF. */
  VENDOR_FIRST: 0xff00,
} as const;

/** `page << 16 | id` as an unsigned 32-bit number. */
export function extendedUsage(page: number, id: number): number {
  return ((page & 0xffff) * 0x10000 + (id & 0xffff)) >>> 0;
}

export function usagePageOf(usage: number): number {
  return Math.floor(usage / 0x10000) & 0xffff;
}

export function usageIdOf(usage: number): number {
  return usage & 0xffff;
}

/** Generic Desktop page (0x01). */
export const GenericDesktop = {
  POINTER: 0x01,
  MOUSE: 0x02,
  KEYBOARD: 0x06,
  X: 0x30,
  Y: 0x31,
  WHEEL: 0x38,
} as const;

/** Keyboard/Keypad page (0x07): a–z are 0x04–0x1D, modifiers 0xE0–0xE7. */
export const Keyboard = {
  NO_EVENT: 0x00,
  A: 0x04,
  ENTER: 0x28,
  TAB: 0x2b,
  LEFT_CONTROL: 0xe0,
  RIGHT_GUI: 0xe7,
} as const;

/** Barcode Scanner page (0x8C), HID Point of Sale usage tables. */
export const BarcodeScanner = {
  BARCODE_BADGE_READER: 0x01,
  BARCODE_SCANNER: 0x02,
  SCANNED_DATA_REPORT: 0x12,
  TRIGGER_REPORT: 0x14,
  PREVENT_READ_OF_BARCODES: 0x5f,
  INITIATE_BARCODE_READ: 0x60,
  ERROR_INDICATION: 0x85,
  GOOD_READ_INDICATION: 0x86,
  SYMBOLOGY_IDENTIFIER_1: 0xfb,
  SYMBOLOGY_IDENTIFIER_2: 0xfc,
  SYMBOLOGY_IDENTIFIER_3: 0xfd,
  DECODED_DATA: 0xfe,
  DECODE_DATA_CONTINUED: 0xff,
} as const;
