/**
 * One table of the symbologies the kit knows, with every identifier each side of the wire needs:
 * the AIM symbology identifier (ISO/IEC 15424), the UnifiedPOS ScanDataType, the Zebra SSI code type,
 * the Honeywell and Zebra (Symbol) vendor code ids, and the names used by zxing and bwip-js.
 * Emulator and host driver both read this table, so there is one place to be right or wrong.
 */

export const SYMBOLOGIES = [
  'ean13',
  'ean8',
  'upca',
  'upce',
  'code128',
  'gs1-128',
  'code39',
  'code93',
  'codabar',
  'itf',
  'databar',
  'databar-expanded',
  'qr',
  'gs1-qr',
  'datamatrix',
  'gs1-datamatrix',
  'pdf417',
  'aztec',
] as const;

export type Symbology = (typeof SYMBOLOGIES)[number];

/** UnifiedPOS ScanDataType constants (UPOS 1.16, Scanner chapter). */
export const ScanDataType = {
  UNKNOWN: 0,
  UPCA: 101,
  UPCE: 102,
  EAN8: 103,
  EAN13: 104,
  TF: 105,
  ITF: 106,
  Codabar: 107,
  Code39: 108,
  Code93: 109,
  Code128: 110,
  EAN128: 120,
  RSS14: 131,
  RSS_EXPANDED: 132,
  PDF417: 201,
  MAXICODE: 202,
  DATAMATRIX: 203,
  QRCODE: 204,
  AZTEC: 206,
  GS1DATAMATRIX: 208,
  GS1QRCODE: 209,
  OTHER: 501,
} as const;

export interface SymbologyInfo {
  readonly id: Symbology;
  readonly name: string;
  /** AIM identifier with the modifier a scanner sends for ordinary content, e.g. `]E0`. */
  readonly aim: string;
  readonly scanDataType: number;
  /** Zebra SSI DECODE_DATA barcode type byte. */
  readonly ssiCodeType: number;
  /** Honeywell Code ID character. */
  readonly honeywellCodeId: string;
  /** Zebra (Symbol) Code ID character(s), per the "Symbol Code Identifiers" table of Zebra's reference guides. */
  readonly zebraCodeId: string;
  /** Key of zxing's BarcodeFormat enum. */
  readonly zxingFormat: string;
  /** bwip-js encoder name. */
  readonly bwipId: string;
  /** Two-dimensional: image capture needs an area imager. */
  readonly twoD: boolean;
  /** Content carries GS1 element strings (FNC1 in first position). */
  readonly gs1: boolean;
}

const row = (
  id: Symbology,
  name: string,
  aim: string,
  scanDataType: number,
  ssiCodeType: number,
  honeywellCodeId: string,
  zebraCodeId: string,
  zxingFormat: string,
  bwipId: string,
  twoD = false,
  gs1 = false,
): SymbologyInfo => ({
  id,
  name,
  aim,
  scanDataType,
  ssiCodeType,
  honeywellCodeId,
  zebraCodeId,
  zxingFormat,
  bwipId,
  twoD,
  gs1,
});

const T = ScanDataType;

export const SYMBOLOGY_TABLE: Readonly<Record<Symbology, SymbologyInfo>> = {
  ean13: row('ean13', 'EAN-13', ']E0', T.EAN13, 0x0b, 'd', 'A', 'EAN_13', 'ean13'),
  ean8: row('ean8', 'EAN-8', ']E4', T.EAN8, 0x0a, 'D', 'A', 'EAN_8', 'ean8'),
  upca: row('upca', 'UPC-A', ']E0', T.UPCA, 0x08, 'c', 'A', 'UPC_A', 'upca'),
  upce: row('upce', 'UPC-E', ']E0', T.UPCE, 0x09, 'E', 'A', 'UPC_E', 'upce'),
  code128: row('code128', 'Code 128', ']C0', T.Code128, 0x03, 'j', 'D', 'CODE_128', 'code128'),
  'gs1-128': row('gs1-128', 'GS1-128', ']C1', T.EAN128, 0x0f, 'I', 'K', 'CODE_128', 'gs1-128', false, true),
  code39: row('code39', 'Code 39', ']A0', T.Code39, 0x01, 'b', 'B', 'CODE_39', 'code39'),
  code93: row('code93', 'Code 93', ']G0', T.Code93, 0x07, 'i', 'E', 'CODE_93', 'code93'),
  codabar: row('codabar', 'Codabar', ']F0', T.Codabar, 0x02, 'a', 'C', 'CODABAR', 'rationalizedCodabar'),
  itf: row('itf', 'Interleaved 2 of 5', ']I0', T.ITF, 0x06, 'e', 'F', 'ITF', 'interleaved2of5'),
  databar: row(
    'databar',
    'GS1 DataBar',
    ']e0',
    T.RSS14,
    0x30,
    'y',
    'R',
    'RSS_14',
    'databaromni',
    false,
    true,
  ),
  'databar-expanded': row(
    'databar-expanded',
    'GS1 DataBar Expanded',
    ']e0',
    T.RSS_EXPANDED,
    0x32,
    '}',
    'R',
    'RSS_EXPANDED',
    'databarexpanded',
    false,
    true,
  ),
  qr: row('qr', 'QR Code', ']Q1', T.QRCODE, 0x1c, 's', 'P01', 'QR_CODE', 'qrcode', true),
  'gs1-qr': row(
    'gs1-qr',
    'GS1 QR Code',
    ']Q3',
    T.GS1QRCODE,
    0xc2,
    's',
    'P0Q',
    'QR_CODE',
    'gs1qrcode',
    true,
    true,
  ),
  datamatrix: row(
    'datamatrix',
    'Data Matrix',
    ']d1',
    T.DATAMATRIX,
    0x1b,
    'w',
    'P00',
    'DATA_MATRIX',
    'datamatrix',
    true,
  ),
  'gs1-datamatrix': row(
    'gs1-datamatrix',
    'GS1 Data Matrix',
    ']d2',
    T.GS1DATAMATRIX,
    0xc1,
    'w',
    'P0G',
    'DATA_MATRIX',
    'gs1datamatrix',
    true,
    true,
  ),
  pdf417: row('pdf417', 'PDF417', ']L0', T.PDF417, 0x11, 'r', 'X', 'PDF_417', 'pdf417', true),
  aztec: row('aztec', 'Aztec', ']z0', T.AZTEC, 0x2d, 'z', 'z', 'AZTEC', 'azteccode', true),
};

/** Names a user may type for a symbology (bench files, control API, CLI). */
const ALIASES: Record<string, Symbology> = {
  'ean-13': 'ean13',
  jan13: 'ean13',
  'ean-8': 'ean8',
  'upc-a': 'upca',
  'upc-e': 'upce',
  'code-128': 'code128',
  gs1128: 'gs1-128',
  'ean-128': 'gs1-128',
  ean128: 'gs1-128',
  'code-39': 'code39',
  'code-93': 'code93',
  i2of5: 'itf',
  interleaved2of5: 'itf',
  qrcode: 'qr',
  'qr-code': 'qr',
  gs1qr: 'gs1-qr',
  'data-matrix': 'datamatrix',
  gs1datamatrix: 'gs1-datamatrix',
  'pdf-417': 'pdf417',
  'gs1-databar': 'databar',
};

export function isSymbology(value: string): value is Symbology {
  return (SYMBOLOGIES as readonly string[]).includes(value);
}

/** Resolve a user-typed name, or undefined. */
export function parseSymbology(value: string): Symbology | undefined {
  const v = value.trim().toLowerCase().replace(/_/g, '-');
  if (isSymbology(v)) return v;
  return ALIASES[v] ?? ALIASES[v.replace(/-/g, '')];
}

export function symbologyInfo(id: Symbology): SymbologyInfo {
  return SYMBOLOGY_TABLE[id];
}

/**
 * The symbology a received AIM identifier names. `]E0` is ambiguous (EAN-13, UPC-A and UPC-E all send it
 * as 13 digits): the label decides — a leading 0 is UPC-A, as UnifiedPOS hosts conventionally report it.
 */
export function symbologyFromAim(aim: string, label?: string): Symbology | undefined {
  if (aim === ']E0') {
    // 12 digits: a scanner set to transmit UPC-A without the leading 0; 13 with a leading 0: ISO/IEC 15420.
    const upca =
      label !== undefined && (label.length === 12 || (label.length === 13 && label.startsWith('0')));
    return upca ? 'upca' : 'ean13';
  }
  if (aim === ']E4') return 'ean8';
  const exact = SYMBOLOGIES.find((s) => SYMBOLOGY_TABLE[s].aim === aim);
  if (exact) return exact;
  // Other modifiers of the same symbology character (e.g. ]Q2, ]A1, ]d4).
  const family: Record<string, Symbology> = {
    ']C': 'code128',
    ']A': 'code39',
    ']G': 'code93',
    ']F': 'codabar',
    ']I': 'itf',
    ']e': 'databar',
    ']Q': 'qr',
    ']d': 'datamatrix',
    ']L': 'pdf417',
    ']z': 'aztec',
    ']E': 'ean13',
  };
  // ISO/IEC 18004 AIM modifiers: 3 = FNC1 first (GS1), 4 = ECI + FNC1 first; 5 and 6 are FNC1 second position.
  if (aim === ']Q3' || aim === ']Q4') return 'gs1-qr';
  if (aim === ']d2' || aim === ']d5') return 'gs1-datamatrix';
  return family[aim.slice(0, 2)];
}

export function symbologyFromSsiCodeType(code: number): Symbology | undefined {
  return SYMBOLOGIES.find((s) => SYMBOLOGY_TABLE[s].ssiCodeType === code);
}

export function symbologyFromHoneywellCodeId(codeId: string): Symbology | undefined {
  // The first symbology in table order wins where vendors share an id (QR and GS1 QR are both `s`).
  return SYMBOLOGIES.find((s) => SYMBOLOGY_TABLE[s].honeywellCodeId === codeId);
}

/** ASCII GS (0x1D): the FNC1 separator inside transmitted GS1 data. */
export const GS = '\u001d';
