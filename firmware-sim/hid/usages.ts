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

/** Names of usage pages (HID Usage Tables 1.5 §3), for listings. Vendor pages are named by `usagePageName`. */
export const USAGE_PAGE_NAMES: Readonly<Record<number, string>> = {
  0x01: 'Generic Desktop',
  0x02: 'Simulation Controls',
  0x03: 'VR Controls',
  0x04: 'Sport Controls',
  0x05: 'Game Controls',
  0x06: 'Generic Device Controls',
  0x07: 'Keyboard/Keypad',
  0x08: 'LED',
  0x09: 'Button',
  0x0a: 'Ordinal',
  0x0b: 'Telephony Device',
  0x0c: 'Consumer',
  0x0d: 'Digitizers',
  0x0f: 'Physical Input Device',
  0x10: 'Unicode',
  0x14: 'Auxiliary Display',
  0x20: 'Sensors',
  0x40: 'Medical Instrument',
  0x80: 'Monitor',
  0x84: 'Power',
  0x85: 'Battery System',
  0x8c: 'Barcode Scanner',
  0x8d: 'Scales',
  0x8e: 'Magnetic Stripe Reader',
  0x91: 'Arcade',
};

/** Keyboard/Keypad usages 0x04–0x27 follow the alphabet and the digit row; the rest are listed. */
function keyboardUsageNames(): Record<number, string> {
  const names: Record<number, string> = {
    0x00: 'No Event',
    0x01: 'Keyboard ErrorRollOver',
    0x02: 'Keyboard POSTFail',
    0x03: 'Keyboard ErrorUndefined',
    0x28: 'Keyboard Return (ENTER)',
    0x29: 'Keyboard ESCAPE',
    0x2a: 'Keyboard DELETE (Backspace)',
    0x2b: 'Keyboard Tab',
    0x2c: 'Keyboard Spacebar',
    0x39: 'Keyboard Caps Lock',
    0x53: 'Keypad Num Lock and Clear',
    0x65: 'Keyboard Application',
    0xe0: 'Keyboard LeftControl',
    0xe1: 'Keyboard LeftShift',
    0xe2: 'Keyboard LeftAlt',
    0xe3: 'Keyboard Left GUI',
    0xe4: 'Keyboard RightControl',
    0xe5: 'Keyboard RightShift',
    0xe6: 'Keyboard RightAlt',
    0xe7: 'Keyboard Right GUI',
  };
  for (let i = 0; i < 26; i++) {
    const c = String.fromCharCode(0x61 + i);
    names[0x04 + i] = `Keyboard ${c} and ${c.toUpperCase()}`;
  }
  const shifted = '!@#$%^&*(';
  for (let i = 0; i < 9; i++) names[0x1e + i] = `Keyboard ${i + 1} and ${shifted[i]}`;
  names[0x27] = 'Keyboard 0 and )';
  return names;
}

/** Names of usages by page, for listings; pages and IDs not here are shown as numbers. */
export const USAGE_NAMES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [UsagePage.GENERIC_DESKTOP]: {
    0x01: 'Pointer',
    0x02: 'Mouse',
    0x04: 'Joystick',
    0x05: 'Gamepad',
    0x06: 'Keyboard',
    0x07: 'Keypad',
    0x08: 'Multi-axis Controller',
    0x30: 'X',
    0x31: 'Y',
    0x32: 'Z',
    0x33: 'Rx',
    0x34: 'Ry',
    0x35: 'Rz',
    0x36: 'Slider',
    0x37: 'Dial',
    0x38: 'Wheel',
    0x39: 'Hat Switch',
    0x80: 'System Control',
  },
  [UsagePage.KEYBOARD]: keyboardUsageNames(),
  [UsagePage.LED]: {
    0x01: 'Num Lock',
    0x02: 'Caps Lock',
    0x03: 'Scroll Lock',
    0x04: 'Compose',
    0x05: 'Kana',
  },
  [UsagePage.CONSUMER]: {
    0x01: 'Consumer Control',
    0xe2: 'Mute',
    0xe9: 'Volume Increment',
    0xea: 'Volume Decrement',
  },
  [UsagePage.BARCODE_SCANNER]: {
    [BarcodeScanner.BARCODE_BADGE_READER]: 'Barcode Badge Reader',
    [BarcodeScanner.BARCODE_SCANNER]: 'Barcode Scanner',
    [BarcodeScanner.SCANNED_DATA_REPORT]: 'Scanned Data Report',
    [BarcodeScanner.TRIGGER_REPORT]: 'Trigger Report',
    [BarcodeScanner.PREVENT_READ_OF_BARCODES]: 'Prevent Read of Barcodes',
    [BarcodeScanner.INITIATE_BARCODE_READ]: 'Initiate Barcode Read',
    [BarcodeScanner.ERROR_INDICATION]: 'Error Indication',
    [BarcodeScanner.GOOD_READ_INDICATION]: 'Good Read Indication',
    [BarcodeScanner.SYMBOLOGY_IDENTIFIER_1]: 'Symbology Identifier 1',
    [BarcodeScanner.SYMBOLOGY_IDENTIFIER_2]: 'Symbology Identifier 2',
    [BarcodeScanner.SYMBOLOGY_IDENTIFIER_3]: 'Symbology Identifier 3',
    [BarcodeScanner.DECODED_DATA]: 'Decoded Data',
    [BarcodeScanner.DECODE_DATA_CONTINUED]: 'Decode Data Continued',
  },
};

const hex4 = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;

/** "Generic Desktop", "Vendor-defined 0xFF00", or the page number for a page without a name here. */
export function usagePageName(page: number): string {
  if (page >= UsagePage.VENDOR_FIRST && page <= 0xffff) return `Vendor-defined ${hex4(page)}`;
  return USAGE_PAGE_NAMES[page] ?? `Usage Page ${hex4(page)}`;
}

/** The name of a usage on a page ("Keyboard", "Button 3", "Decoded Data"), or undefined when unknown. */
export function usageName(page: number, id: number): string | undefined {
  if (page === UsagePage.BUTTON) return id === 0 ? 'No Button Pressed' : `Button ${id}`;
  return USAGE_NAMES[page]?.[id];
}
