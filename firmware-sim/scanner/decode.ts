/**
 * The scanner's decode engine: what an imager does between "trigger pulled" and "data transmitted".
 *
 * Two inputs (see {@link ScanInput}):
 * - an image: a PNG decoded with zxing, as an area imager would (try hard, then a "pure barcode" pass, then
 *   the inverted image for light-on-dark symbols such as phone screens in dark mode);
 * - a symbol given as data (bench files, the control API): validated like a scanner would validate the
 *   symbol it reads, without any image.
 *
 * zxing 0.23 does not report AIM symbology identifiers (ISO/IEC 15424), so they are derived here:
 * - Code 128: the raw codewords zxing exposes (`getRawBytes()`: start code, then symbol characters) show
 *   where FNC1 stands: first → `]C1` (GS1-128), second → `]C2`, else `]C0`. With the ASSUME_GS1 hint zxing
 *   itself writes `]C1` at the start of the text (stripped here) and GS for every later FNC1, which is what
 *   ISO/IEC 15417 asks to transmit.
 * - Data Matrix: the raw bytes are the data codewords; codeword 232 (FNC1) first → `]d2`. zxing renders that
 *   leading FNC1 as a GS, which a GS1 Data Matrix reader does not transmit: dropped.
 * - QR Code: zxing hides the mode indicators, so the data codewords (`getRawBytes()`) are parsed again here
 *   ({@link qrPayload}): FNC1 first position → `]Q3`, second → `]Q5`, an ECI → `]Q2` / `]Q4` / `]Q6`. With an
 *   ECI the data is in ECI protocol form (ISO/IEC 15424: `\nnnnnn` at each ECI designator, `\` doubled).
 * - EAN/UPC: `]E0` for EAN-13, UPC-A and UPC-E, always as 13 digits (UPC-A is `0` + 12 digits, UPC-E is
 *   expanded to UPC-A first), `]E4` for EAN-8 — the ISO/IEC 15420 transmission. Vendors' "transmit UPC-A as
 *   12 digits" options belong to the output formatter, not here. A leading-zero EAN-13 *is* a UPC-A symbol
 *   (the bars are identical), so it is reported as `upca` by both paths.
 * - DataBar: zxing returns the 14-digit GTIN of DataBar Omnidirectional without its AI and DataBar Expanded
 *   in HRI form; both are transmitted as GS1 element strings (`01` + GTIN, GS separators) after `]e0`.
 * - `]A0` Code 39, `]G0` Code 93, `]F0` Codabar, `]I0` ITF (no check character verified), `]L0` PDF417,
 *   `]z0` Aztec.
 *
 * Data bytes: QR data is rebuilt bit-exact from the codewords (byte mode may hold any binary; Kanji mode is
 * given as its Shift JIS bytes). Every other zxing decoder in 0.23 builds its text one character per byte
 * value (ASCII, extended ASCII via upper shift / FNC4, Base 256 and byte compaction as ISO-8859-1), so its
 * text is turned back into bytes as Latin-1, which is lossless; should a character above U+00FF appear
 * (an ECI switched charset), the text is sent as UTF-8.
 */

import zxing from '@zxing/library';
import type { DecodeHintType as DecodeHint, Reader, Result } from '@zxing/library';
import { PNG } from 'pngjs';
import {
  Gs1Error,
  encodeTransmitted,
  gs1CheckDigit,
  hasValidCheckDigit,
  parseHri,
  parseTransmitted,
} from './gs1.js';
import { GS, SYMBOLOGIES, symbologyInfo } from './symbology.js';
import type { Symbology } from './symbology.js';
import type { DecodedSymbol, DecodeFn, ScanInput } from './types.js';

const {
  AztecCodeReader,
  BarcodeFormat,
  BinaryBitmap,
  DataMatrixReader,
  DecodeHintType,
  HybridBinarizer,
  MultiFormatOneDReader,
  PDF417Reader,
  QRCodeDecoderErrorCorrectionLevel,
  QRCodeReader,
  QRCodeVersion,
  RGBLuminanceSource,
  ResultMetadataType,
} = zxing;

type Hints = Map<DecodeHint, unknown>;

/** Largest image accepted (pixels); bigger PNGs are a no read rather than a memory spike. */
const MAX_PIXELS = 4096 * 4096;

const latin1OrUtf8 = (text: string): Uint8Array =>
  // eslint-disable-next-line no-control-regex
  /^[\u0000-\u00ff]*$/.test(text) ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');

/** A symbol read from an image: zxing's text holds one character per byte (see the module comment). */
const symbol = (symbology: Symbology, aim: string, data: string | Uint8Array): DecodedSymbol => ({
  symbology,
  aim,
  data: typeof data === 'string' ? latin1OrUtf8(data) : data,
});

/** A symbol given as text: bwip-js encodes text as UTF-8, so a label made from this text holds these bytes. */
const textSymbol = (symbology: Symbology, aim: string, text: string): DecodedSymbol => ({
  symbology,
  aim,
  data: Buffer.from(text, 'utf8'),
});

// ---------------------------------------------------------------------------------------------------------
// Images

/** The zxing formats of every symbology in the table. */
const FORMATS = [...new Set(SYMBOLOGIES.map((s) => symbologyInfo(s).zxingFormat))].map(
  (key) => BarcodeFormat[key as keyof typeof BarcodeFormat],
);

function hints(tryHarder: boolean, pure: boolean): Hints {
  const h: Hints = new Map();
  h.set(DecodeHintType.POSSIBLE_FORMATS, FORMATS);
  h.set(DecodeHintType.ASSUME_GS1, true);
  if (tryHarder) h.set(DecodeHintType.TRY_HARDER, true);
  if (pure) h.set(DecodeHintType.PURE_BARCODE, true);
  return h;
}
const HINTS = hints(false, false);
/**
 * The passes of one image, as an imager escalates: a quick look (linear readers scan about 15 rows), then
 * TRY_HARDER (every row, both directions, rotated 90°), then PURE_BARCODE (a clean, unrotated symbol: read
 * the modules directly, no finder-pattern search).
 */
const PASSES: readonly Hints[] = [HINTS, hints(true, false), hints(true, true)];

/**
 * The readers, linear first (cheapest). MultiFormatReader is not used: it logs every non-ReaderException
 * on the console (zxing-js throws plain exceptions from several detectors) and resets its hints on decode().
 * Built once; MultiFormatOneDReader warns on the console that its DataBar Expanded reader is "not ready for
 * production" every time one is built, which is silenced here (it is tested in render.test.ts).
 */
const READERS: readonly Reader[] = (() => {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return [
      new MultiFormatOneDReader(HINTS),
      new QRCodeReader(),
      new DataMatrixReader(),
      new AztecCodeReader(),
      new PDF417Reader(),
    ];
  } finally {
    console.warn = warn;
  }
})();

/**
 * zxing-js's RGBLuminanceSource cannot rotate, so TRY_HARDER never looks at a linear symbol turned 90°
 * (a hand-held imager reads in any orientation). This one can.
 */
class RotatableLuminanceSource extends RGBLuminanceSource {
  constructor(
    private readonly grey: Uint8ClampedArray,
    private readonly w: number,
    private readonly h: number,
  ) {
    super(grey, w, h);
  }
  override isRotateSupported(): boolean {
    return true;
  }
  override rotateCounterClockwise(): RotatableLuminanceSource {
    const out = new Uint8ClampedArray(this.grey.length);
    // Pixel (x, y) goes to (y, w - 1 - x) of the h-wide, w-high result.
    for (let y = 0; y < this.h; y++) {
      for (let x = 0; x < this.w; x++) out[(this.w - 1 - x) * this.h + y] = this.grey[y * this.w + x] ?? 0;
    }
    return new RotatableLuminanceSource(out, this.h, this.w);
  }
}

/** Grey levels of an RGBA image composited over white (transparent pixels read as paper). */
function luminance(rgba: Uint8Array, width: number, height: number, invert: boolean): Uint8ClampedArray {
  const lum = new Uint8ClampedArray(width * height);
  for (let i = 0, p = 0; i < lum.length; i++, p += 4) {
    const a = rgba[p + 3] ?? 255;
    const y = ((rgba[p] ?? 0) * 299 + (rgba[p + 1] ?? 0) * 587 + (rgba[p + 2] ?? 0) * 114) / 1000;
    const v = (y * a + 255 * (255 - a)) / 255;
    lum[i] = invert ? 255 - v : v;
  }
  return lum;
}

function readPng(png: Uint8Array): { width: number; height: number; data: Uint8Array } | undefined {
  try {
    const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
    // Check the IHDR before pngjs allocates width × height × 4 bytes.
    if (buf.length < 33 || buf.readUInt32BE(0) !== 0x89504e47 || buf.toString('latin1', 12, 16) !== 'IHDR') {
      return undefined;
    }
    const w = buf.readUInt32BE(16);
    const h = buf.readUInt32BE(20);
    if (w === 0 || h === 0 || w * h > MAX_PIXELS) return undefined;
    const img = PNG.sync.read(buf);
    if (img.width * img.height * 4 !== img.data.length) return undefined;
    return { width: img.width, height: img.height, data: img.data };
  } catch {
    return undefined;
  }
}

/** Decode grey levels (one byte per pixel, row-major). Never throws; undefined is a no read. */
export function decodeLuminance(
  lum: Uint8ClampedArray,
  width: number,
  height: number,
): DecodedSymbol | undefined {
  for (const pass of PASSES) {
    for (const reader of READERS) {
      try {
        const source = new RotatableLuminanceSource(lum, width, height);
        const decoded = fromZxing(reader.decode(new BinaryBitmap(new HybridBinarizer(source)), pass));
        if (decoded) return decoded;
      } catch {
        // NotFound / Checksum / Format exceptions, and zxing-js's occasional TypeError on odd input.
      } finally {
        reader.reset();
      }
    }
  }
  return undefined;
}

/**
 * Decode a PNG. Undefined when it is not a PNG, is larger than 4096 × 4096, or holds no readable symbol.
 * Never throws.
 */
export function decodePng(png: Uint8Array): DecodedSymbol | undefined {
  const img = readPng(png);
  if (!img) return undefined;
  for (const invert of [false, true]) {
    const found = decodeLuminance(luminance(img.data, img.width, img.height, invert), img.width, img.height);
    if (found) return found;
  }
  return undefined;
}

function fromZxing(result: Result): DecodedSymbol | undefined {
  const text = result.getText();
  const raw = result.getRawBytes() ?? new Uint8Array(0);
  switch (result.getBarcodeFormat()) {
    case BarcodeFormat.EAN_13:
      return symbol(text.startsWith('0') ? 'upca' : 'ean13', ']E0', text);
    case BarcodeFormat.UPC_A:
      return symbol('upca', ']E0', '0' + text);
    case BarcodeFormat.UPC_E:
      return symbol('upce', ']E0', '0' + expandUpcE(text));
    case BarcodeFormat.EAN_8:
      return symbol('ean8', ']E4', text);
    case BarcodeFormat.CODE_128:
      return fromCode128(text, raw);
    case BarcodeFormat.CODE_39:
      return symbol('code39', ']A0', text);
    case BarcodeFormat.CODE_93:
      return symbol('code93', ']G0', text);
    case BarcodeFormat.CODABAR:
      // zxing keeps the start/stop characters; scanners do not transmit them by default.
      return symbol('codabar', ']F0', /^[A-D].*[A-D]$/i.test(text) ? text.slice(1, -1) : text);
    case BarcodeFormat.ITF:
      return symbol('itf', ']I0', text);
    case BarcodeFormat.RSS_14:
      return symbol('databar', ']e0', '01' + text);
    case BarcodeFormat.RSS_EXPANDED:
      return symbol('databar-expanded', ']e0', hriToTransmittedLenient(text));
    case BarcodeFormat.QR_CODE:
      return fromQr(result, text, raw);
    case BarcodeFormat.DATA_MATRIX:
      if (raw[0] === 232) return symbol('gs1-datamatrix', ']d2', text.startsWith(GS) ? text.slice(1) : text);
      return symbol('datamatrix', ']d1', text);
    case BarcodeFormat.PDF_417:
      return symbol('pdf417', ']L0', text);
    case BarcodeFormat.AZTEC:
      return symbol('aztec', ']z0', text);
    default:
      return undefined;
  }
}

/** Code 128 symbol characters: 102 is FNC1; 103/104/105 start code sets A/B/C. */
function fromCode128(text: string, raw: Uint8Array): DecodedSymbol {
  if (raw[1] === 102) return symbol('gs1-128', ']C1', text.startsWith(']C1') ? text.slice(3) : text);
  if (raw[2] === 102) {
    // FNC1 in second position (after one letter or one code-set-C digit pair) is not transmitted.
    const lead = raw[0] === 105 ? 2 : 1;
    const data = text[lead] === GS ? text.slice(0, lead) + text.slice(lead + 1) : text;
    return symbol('code128', ']C2', data);
  }
  return symbol('code128', ']C0', text);
}

/** DataBar Expanded arrives in HRI form; a content our GS1 table rejects is still transmitted as read. */
function hriToTransmittedLenient(hri: string): string {
  try {
    return encodeTransmitted(parseHri(hri));
  } catch {
    const parts = [...hri.matchAll(/\((\d{2,4})\)([^(]*)/g)];
    if (parts.length === 0) return hri;
    return parts.map((m) => (m[1] ?? '') + (m[2] ?? '')).join(GS);
  }
}

// ---------------------------------------------------------------------------------------------------------
// QR Code: the data bit stream (ISO/IEC 18004 section 7.4), re-parsed for modes zxing does not report.

interface QrPayload {
  /** Data as transmitted without ECI protocol. */
  readonly plain: Uint8Array;
  /** Data in ECI protocol form (`\nnnnnn` escapes, `\` doubled), meaningful when `eci`. */
  readonly eciForm: Uint8Array;
  readonly eci: boolean;
  readonly fnc1: 'first' | 'second' | undefined;
}

class BitReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  available(): number {
    return this.bytes.length * 8 - this.pos;
  }
  read(n: number): number {
    if (n > this.available()) throw new RangeError('QR bit stream truncated');
    let v = 0;
    for (let i = 0; i < n; i++, this.pos++) {
      v = (v << 1) | (((this.bytes[this.pos >> 3] ?? 0) >> (7 - (this.pos & 7))) & 1);
    }
    return v;
  }
}

const QR_ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** Version of a QR symbol from its number of data codewords (unique for a given EC level). */
function qrVersion(dataCodewords: number, ecLevel: string): number | undefined {
  const level = QRCodeDecoderErrorCorrectionLevel.fromString(ecLevel);
  for (let v = 1; v <= 40; v++) {
    const version = QRCodeVersion.getVersionForNumber(v);
    if (
      version.getTotalCodewords() - version.getECBlocksForLevel(level).getTotalECCodewords() ===
      dataCodewords
    ) {
      return v;
    }
  }
  return undefined;
}

/** Parse QR data codewords. Throws on a malformed stream. */
export function qrPayload(codewords: Uint8Array, version: number): QrPayload {
  const bits = new BitReader(codewords);
  const cls = version <= 9 ? 0 : version <= 26 ? 1 : 2;
  const plain: number[] = [];
  const eciForm: number[] = [];
  const put = (b: number): void => {
    plain.push(b);
    eciForm.push(b);
    if (b === 0x5c) eciForm.push(b);
  };
  let eci = false;
  let fnc1: 'first' | 'second' | undefined;
  while (bits.available() >= 4) {
    const mode = bits.read(4);
    if (mode === 0x0) break; // terminator
    switch (mode) {
      case 0x1: {
        // Numeric: groups of 3 digits in 10 bits, 2 in 7, 1 in 4.
        let count = bits.read([10, 12, 14][cls] as number);
        while (count > 0) {
          const take = Math.min(3, count);
          const v = bits.read([0, 4, 7, 10][take] as number);
          if (v >= 10 ** take) throw new RangeError('bad numeric group');
          for (const c of String(v).padStart(take, '0')) put(c.charCodeAt(0));
          count -= take;
        }
        break;
      }
      case 0x2: {
        // Alphanumeric: pairs in 11 bits, a last single in 6. In FNC1 modes % is GS and %% is %.
        let count = bits.read([9, 11, 13][cls] as number);
        let chars = '';
        while (count > 0) {
          if (count >= 2) {
            const v = bits.read(11);
            chars += (QR_ALNUM[Math.floor(v / 45)] ?? '') + (QR_ALNUM[v % 45] ?? '');
            if (v >= 45 * 45) throw new RangeError('bad alphanumeric pair');
            count -= 2;
          } else {
            const v = bits.read(6);
            if (v >= 45) throw new RangeError('bad alphanumeric char');
            chars += QR_ALNUM[v] ?? '';
            count -= 1;
          }
        }
        if (fnc1) chars = chars.replace(/%%|%/g, (m) => (m === '%%' ? '%' : GS));
        for (const c of chars) put(c.charCodeAt(0));
        break;
      }
      case 0x4: {
        const count = bits.read([8, 16, 16][cls] as number);
        for (let i = 0; i < count; i++) put(bits.read(8));
        break;
      }
      case 0x8:
      case 0xd: {
        // Kanji (Shift JIS) or Hanzi (GB 2312, with a 4-bit subset): 13 bits per character, sent as 2 bytes.
        const hanzi = mode === 0xd;
        if (hanzi && bits.read(4) !== 1) throw new RangeError('unsupported Hanzi subset');
        const count = bits.read([8, 10, 12][cls] as number);
        for (let i = 0; i < count; i++) {
          const v = bits.read(13);
          let c = (Math.floor(v / (hanzi ? 0x60 : 0xc0)) << 8) | (v % (hanzi ? 0x60 : 0xc0));
          if (hanzi) c += c < 0x0a00 ? 0xa1a1 : 0xa6a1;
          else c += c < 0x1f00 ? 0x8140 : 0xc140;
          put(c >> 8);
          put(c & 0xff);
        }
        break;
      }
      case 0x7: {
        // ECI designator: 1, 2 or 3 bytes.
        const first = bits.read(8);
        let value: number;
        if ((first & 0x80) === 0) value = first;
        else if ((first & 0xc0) === 0x80) value = ((first & 0x3f) << 8) | bits.read(8);
        else if ((first & 0xe0) === 0xc0) value = ((first & 0x1f) << 16) | bits.read(16);
        else throw new RangeError('bad ECI designator');
        eci = true;
        for (const c of '\\' + String(value).padStart(6, '0')) eciForm.push(c.charCodeAt(0));
        break;
      }
      case 0x5:
        fnc1 = 'first';
        break;
      case 0x9: {
        // FNC1 second position: an application indicator (two digits, or a letter + 100) leads the data.
        fnc1 = 'second';
        const ai = bits.read(8);
        const lead = ai < 100 ? String(ai).padStart(2, '0') : String.fromCharCode(ai - 100);
        for (const c of lead) put(c.charCodeAt(0));
        break;
      }
      case 0x3:
        bits.read(16); // structured append header: position, total, parity
        break;
      default:
        throw new RangeError(`unknown QR mode ${mode}`);
    }
  }
  return { plain: Uint8Array.from(plain), eciForm: Uint8Array.from(eciForm), eci, fnc1 };
}

function fromQr(result: Result, text: string, raw: Uint8Array): DecodedSymbol {
  const ec = result.getResultMetadata()?.get(ResultMetadataType.ERROR_CORRECTION_LEVEL);
  const version = typeof ec === 'string' ? qrVersion(raw.length, ec) : undefined;
  if (version !== undefined) {
    try {
      const p = qrPayload(raw, version);
      const modifier = (p.fnc1 === 'first' ? 3 : p.fnc1 === 'second' ? 5 : 1) + (p.eci ? 1 : 0);
      return symbol(p.fnc1 === 'first' ? 'gs1-qr' : 'qr', `]Q${modifier}`, p.eci ? p.eciForm : p.plain);
    } catch {
      // zxing accepted the stream, we did not: fall back to zxing's text.
    }
  }
  return symbol('qr', ']Q1', text);
}

// ---------------------------------------------------------------------------------------------------------
// Symbols given as data

/** Text that is not a valid symbol of the symbology; the message says why. */
export class SymbolTextError extends Error {
  override readonly name = 'SymbolTextError';
}

function digitsWithCheck(what: string, text: string, length: number): string {
  if (!/^\d+$/.test(text)) throw new SymbolTextError(`${what}: digits only, got "${text}"`);
  if (text.length === length - 1) return text + gs1CheckDigit(text);
  if (text.length !== length) {
    throw new SymbolTextError(
      `${what}: ${length - 1} digits (check digit computed) or ${length}, got ${text.length}`,
    );
  }
  if (!hasValidCheckDigit(text)) {
    throw new SymbolTextError(
      `${what}: bad check digit in ${text}, expected ${gs1CheckDigit(text.slice(0, -1))}`,
    );
  }
  return text;
}

/** UPC-E (8 digits: number system, 6 data digits, check digit) → UPC-A (12 digits). */
export function expandUpcE(upce: string): string {
  const ns = upce[0] ?? '0';
  const d = upce.slice(1, 7);
  const check = upce.slice(7, 8);
  const last = d[5] ?? '0';
  let body: string;
  if (last <= '2') body = d.slice(0, 2) + last + '0000' + d.slice(2, 5);
  else if (last === '3') body = d.slice(0, 3) + '00000' + d.slice(3, 5);
  else if (last === '4') body = d.slice(0, 4) + '00000' + d.slice(4, 5);
  else body = d.slice(0, 5) + '0000' + last;
  return ns + body + check;
}

function gs1Content(symbology: Symbology, text: string): string {
  try {
    const elements = text.startsWith('(') ? parseHri(text) : parseTransmitted(text);
    if (symbology === 'databar' && (elements.length !== 1 || elements[0]?.ai !== '01')) {
      throw new SymbolTextError('GS1 DataBar Omnidirectional carries exactly one AI (01)');
    }
    return encodeTransmitted(elements);
  } catch (e) {
    if (e instanceof Gs1Error) throw new SymbolTextError(`${symbologyInfo(symbology).name}: ${e.message}`);
    throw e;
  }
}

const CODE39_CHARS = /^[0-9A-Z \-.$/+%]+$/;

/**
 * The symbol a scanner would read from a correct label with this text, or a {@link SymbolTextError}.
 *
 * - EAN-13 / UPC-A / EAN-8 accept the digits without the check digit (it is computed, as label software
 *   and bwip-js do) or with it (it is verified). UPC-E takes 7 or 8 digits, number system 0 or 1.
 * - GS1 symbologies take the HRI form `(01)…` or the transmitted form, and transmit element strings.
 * - Data is the text's UTF-8 bytes, which is what bwip-js puts in a symbol made from the same text, so that
 *   both paths give the same bytes for the same label.
 * - ITF: an even number of digits (zxing's image path only reads lengths 6, 8, 10, 12 and 14 or more).
 */
export function symbolFromText(symbology: Symbology, text: string): DecodedSymbol {
  const name = symbologyInfo(symbology).name;
  if (text.length === 0) throw new SymbolTextError(`${name}: empty`);
  switch (symbology) {
    case 'ean13': {
      const d = digitsWithCheck(name, text, 13);
      return textSymbol(d.startsWith('0') ? 'upca' : 'ean13', ']E0', d);
    }
    case 'upca':
      return textSymbol('upca', ']E0', '0' + digitsWithCheck(name, text, 12));
    case 'upce': {
      if (!/^[01]\d{6,7}$/.test(text))
        throw new SymbolTextError(`${name}: number system 0/1 + 6 digits (+ check)`);
      const body = expandUpcE(text.slice(0, 7) + '0').slice(0, 11);
      const upca = body + gs1CheckDigit(body);
      if (text.length === 8 && text[7] !== upca[11]) {
        throw new SymbolTextError(`${name}: bad check digit in ${text}, expected ${upca[11]}`);
      }
      return textSymbol('upce', ']E0', '0' + upca);
    }
    case 'ean8':
      return textSymbol('ean8', ']E4', digitsWithCheck(name, text, 8));
    case 'code128':
    case 'pdf417':
    case 'aztec':
    case 'datamatrix':
    case 'qr':
      // Extended Code 128 (FNC4) is left out: zxing 0.23 misreads its check character (see decode.test.ts).
      // eslint-disable-next-line no-control-regex
      if (symbology === 'code128' && !/^[\u0000-\u007f]+$/.test(text)) {
        throw new SymbolTextError(`${name}: ASCII characters only`);
      }
      return textSymbol(symbology, symbologyInfo(symbology).aim, text);
    case 'gs1-128':
    case 'gs1-qr':
    case 'gs1-datamatrix':
    case 'databar':
    case 'databar-expanded':
      return textSymbol(symbology, symbologyInfo(symbology).aim, gs1Content(symbology, text));
    case 'code39':
      if (!CODE39_CHARS.test(text))
        throw new SymbolTextError(`${name}: characters 0-9 A-Z space - . $ / + % only`);
      return textSymbol('code39', ']A0', text);
    case 'code93':
      if (!CODE39_CHARS.test(text))
        throw new SymbolTextError(`${name}: characters 0-9 A-Z space - . $ / + % only`);
      return textSymbol('code93', ']G0', text);
    case 'codabar': {
      // Start/stop characters A–D frame the data and are not transmitted (zxing's default, and scanners').
      const m = /^([A-D])([0-9\-$:/.+]+)([A-D])$/i.exec(text);
      if (!m) throw new SymbolTextError(`${name}: start A–D, digits and - $ : / . +, stop A–D`);
      return textSymbol('codabar', ']F0', m[2] as string);
    }
    case 'itf':
      if (!/^(\d\d)+$/.test(text)) throw new SymbolTextError(`${name}: an even number of digits`);
      return textSymbol('itf', ']I0', text);
  }
}

/** {@link symbolFromText} as a scanner sees it: undefined (no read) instead of an error. Never throws. */
export function decodeSymbol(symbology: Symbology, text: string): DecodedSymbol | undefined {
  try {
    return symbolFromText(symbology, text);
  } catch {
    return undefined;
  }
}

/** The decode engine the scanner firmware calls. */
export const decode: DecodeFn = (input: ScanInput) =>
  input.kind === 'image' ? decodePng(input.png) : decodeSymbol(input.symbology, input.text);
