/**
 * From received label bytes to UPOS ScanDataLabel / ScanDataType, through the shared symbology table.
 */
import {
  SYMBOLOGY_TABLE,
  ScanDataType,
  symbologyFromAim,
  symbologyFromHoneywellCodeId,
  symbologyFromSsiCodeType,
} from '../../../firmware-sim/scanner/symbology.js';
import type { Symbology } from '../../../firmware-sim/scanner/symbology.js';
import { startsWithAimId } from './framing.js';

/** What identifies the symbology in front of the data. */
export type SymbologyIdMode = 'aim' | 'honeywell' | 'none';

export interface DecodedLabel {
  /** ScanDataLabel: the data without prefix, AIM id or code id. */
  label: Buffer;
  /** ScanDataType (UPOS constant). */
  type: number;
  symbology: Symbology | undefined;
  /** The AIM identifier, when one was found. */
  aim: string | undefined;
}

function typeOf(symbology: Symbology | undefined, fallback: number): number {
  return symbology ? SYMBOLOGY_TABLE[symbology].scanDataType : fallback;
}

function stripPrefix(raw: Buffer, prefix: Uint8Array): Buffer {
  if (prefix.length > 0 && raw.length >= prefix.length && raw.subarray(0, prefix.length).equals(prefix)) {
    return raw.subarray(prefix.length);
  }
  return raw;
}

function splitAim(data: Buffer): { aim: string; rest: Buffer } | undefined {
  if (startsWithAimId(data) !== true) return undefined;
  return { aim: data.subarray(0, 3).toString('latin1'), rest: data.subarray(3) };
}

/** A label from serial (Honeywell or plain) output: `[prefix][AIM id | code id][data]`. */
export function decodeSerialLabel(raw: Buffer, prefix: Uint8Array, mode: SymbologyIdMode): DecodedLabel {
  const body = stripPrefix(raw, prefix);
  if (mode === 'aim') {
    const split = splitAim(body);
    if (split) {
      const symbology = symbologyFromAim(split.aim, split.rest.toString('latin1'));
      return {
        label: Buffer.from(split.rest),
        type: typeOf(symbology, ScanDataType.OTHER),
        symbology,
        aim: split.aim,
      };
    }
  } else if (mode === 'honeywell' && body.length > 0) {
    const symbology = symbologyFromHoneywellCodeId(String.fromCharCode(body[0]!));
    if (symbology) {
      return { label: Buffer.from(body.subarray(1)), type: typeOf(symbology, 0), symbology, aim: undefined };
    }
  }
  return { label: Buffer.from(body), type: ScanDataType.UNKNOWN, symbology: undefined, aim: undefined };
}

/**
 * A label from SSI DECODE_DATA: the code type byte names the symbology; the data may start with an AIM id
 * (when the decoder was told to transmit one), which is stripped and used when the code type is unknown.
 */
export function decodeSsiLabel(data: Buffer, codeType: number, aimExpected: boolean): DecodedLabel {
  const split = aimExpected ? splitAim(data) : undefined;
  const body = split ? split.rest : data;
  const fromCode = symbologyFromSsiCodeType(codeType);
  const symbology = fromCode ?? (split ? symbologyFromAim(split.aim, body.toString('latin1')) : undefined);
  const fallback = split ? ScanDataType.OTHER : ScanDataType.UNKNOWN;
  return { label: Buffer.from(body), type: typeOf(symbology, fallback), symbology, aim: split?.aim };
}

/**
 * AIM identifiers of symbologies whose character set has no control characters: digits (EAN/UPC, ITF,
 * DataBar), GS1's 82 characters (GS1-128, GS1 QR, GS1 Data Matrix: FNC1 is sent as GS), Code 39 without
 * full ASCII, Codabar.
 */
const NO_CONTROL_CHARACTERS = /^\](E.|I.|e.|F.|A[0-3]|C1|Q3|d2)/;

/**
 * Whether the label begun in `frame` (with AIM identifiers on) could hold the suffix bytes as data. A suffix
 * made only of control characters cannot occur inside the symbologies above, so it ends their label at once.
 */
export function labelMayContain(frame: Uint8Array, prefix: Uint8Array, suffix: Uint8Array): boolean {
  if (suffix.some((b) => b >= 0x20 && b !== 0x7f)) return true;
  const body = stripPrefix(Buffer.from(frame), prefix);
  return !NO_CONTROL_CHARACTERS.test(body.subarray(0, 3).toString('latin1'));
}
