/**
 * Barcode images, as a label printer or a phone screen shows them: PNG via bwip-js.
 *
 * bwip-js draws on a transparent canvas with no quiet zone by default; decoders (zxing, zbar, real imagers)
 * then see a symbol touching the image edge on a black-or-undefined background and fail. So every image
 * has a white background and a quiet zone of `margin` modules on every side.
 *
 * Only an asynchronous renderer is offered. bwip-js's only PNG path, `toBuffer`, compresses through a zlib
 * stream; a synchronous variant would need to hook bwip-js's undocumented drawing internals (the `image()`
 * callback of its built-in drawing), which is not a contract we want the phone's screen to depend on.
 */

import bwipjs from 'bwip-js';
import { Gs1Error, formatHri, parseHri, parseTransmitted } from './gs1.js';
import { symbologyInfo } from './symbology.js';
import type { Symbology } from './symbology.js';

export interface RenderOptions {
  /** Pixels per module for linear symbols and PDF417; matrix symbols use 2 × scale pixels per module. */
  scale?: number;
  /** Quiet zone in modules on every side; defaults to the symbology's required minimum or more. */
  margin?: number;
}

/** Quiet zones in modules: EAN/UPC need 11 (left) / 7 (right), other linear codes 10, QR 4, the rest 2. */
function defaultMargin(symbology: Symbology): number {
  switch (symbology) {
    case 'qr':
    case 'gs1-qr':
      return 4;
    case 'datamatrix':
    case 'gs1-datamatrix':
    case 'aztec':
    case 'pdf417':
      return 2;
    default:
      return 12;
  }
}

/**
 * bwip-js draws matrix symbols (QR, Data Matrix, Aztec) with modules of 2 units and everything else with
 * modules of 1; padding is in units, so it is scaled to keep `margin` in modules.
 */
function unitsPerModule(symbology: Symbology): number {
  return symbology === 'qr' ||
    symbology === 'gs1-qr' ||
    symbology === 'datamatrix' ||
    symbology === 'gs1-datamatrix' ||
    symbology === 'aztec'
    ? 2
    : 1;
}

/**
 * The text bwip-js is given. GS1 symbologies take the parenthesised HRI form; the transmitted form (AIs
 * concatenated, GS separators) is accepted too and converted. Throws {@link Gs1Error} on bad GS1 content.
 */
export function bwipText(symbology: Symbology, text: string): string {
  if (!symbologyInfo(symbology).gs1) return text;
  const elements = text.startsWith('(') ? parseHri(text) : parseTransmitted(text);
  if (symbology === 'databar' && (elements.length !== 1 || elements[0]?.ai !== '01')) {
    throw new Gs1Error('GS1 DataBar Omnidirectional carries exactly one AI (01)');
  }
  return formatHri(elements);
}

/**
 * Render one symbol as a PNG with a white background and a quiet zone. Rejects when the text is not
 * encodable in the symbology (bwip-js's own error, or a {@link Gs1Error}).
 */
export async function renderSymbol(
  symbology: Symbology,
  text: string,
  options: RenderOptions = {},
): Promise<Buffer> {
  const scale = options.scale ?? (symbologyInfo(symbology).twoD ? 3 : 2);
  const margin = options.margin ?? defaultMargin(symbology);
  if (!Number.isInteger(scale) || scale < 1 || scale > 20) throw new RangeError(`scale ${scale}: 1–20`);
  if (!Number.isInteger(margin) || margin < 0 || margin > 100)
    throw new RangeError(`margin ${margin}: 0–100`);
  const padding = margin * unitsPerModule(symbology);
  return bwipjs.toBuffer({
    bcid: symbologyInfo(symbology).bwipId,
    text: bwipText(symbology, text),
    scale,
    backgroundcolor: 'FFFFFF',
    paddingwidth: padding,
    paddingheight: padding,
    // Code 93's two check characters are mandatory (readers reject symbols without them); BWIPP omits them
    // unless asked.
    ...(symbology === 'code93' ? { includecheck: true } : {}),
  });
}
