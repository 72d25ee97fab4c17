/**
 * TE character sets of AT+CSCS (TS 27.007 §5.5): how string parameters and answers of text (operator
 * names, phonebook alphas) are written on the AT line. "GSM" sends GSM default-alphabet codes as bytes,
 * "IRA" is ITU-T T.50 (ASCII), "UCS2" and "HEX" are hex digits (4 per UTF-16 unit; 2 per GSM code).
 */
import { encodeGsm7Unpacked, GSM_DEFAULT_ALPHABET, GSM_EXTENSION_TABLE } from '../uim/codecs.js';

export const TE_CHARSETS = ['GSM', 'IRA', 'UCS2', 'HEX'] as const;
export type TeCharset = (typeof TE_CHARSETS)[number];

/** Shown for characters the set cannot carry. */
const REPLACEMENT = '?';

function gsmCodes(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(...(encodeGsm7Unpacked(ch) ?? encodeGsm7Unpacked(REPLACEMENT)!));
  return out;
}

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

/** Text as it goes on the line in `cs` (a string of byte values 0–255). */
export function encodeTeString(text: string, cs: TeCharset): string {
  switch (cs) {
    case 'IRA':
      return [...text].map((c) => (c >= ' ' && c <= '~' ? c : REPLACEMENT)).join('');
    case 'GSM':
      return String.fromCharCode(...gsmCodes(text));
    case 'HEX':
      return gsmCodes(text).map(hex2).join('');
    case 'UCS2': {
      let out = '';
      for (let i = 0; i < text.length; i++)
        out += text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
      return out;
    }
  }
}

function decodeGsmCodes(codes: number[]): string | undefined {
  let out = '';
  for (let i = 0; i < codes.length; i++) {
    const b = codes[i]!;
    if (b > 0x7f) return undefined;
    if (b === 0x1b) {
      const ext = GSM_EXTENSION_TABLE.get(codes[++i] ?? -1);
      if (ext === undefined) return undefined;
      out += ext;
    } else {
      out += GSM_DEFAULT_ALPHABET[b]!;
    }
  }
  return out;
}

/** A string parameter from the line in `cs`; undefined when it has characters the set does not allow. */
export function decodeTeString(s: string, cs: TeCharset): string | undefined {
  switch (cs) {
    case 'IRA':
      return /^[\x20-\x7e]*$/.test(s) ? s : undefined;
    case 'GSM':
      return decodeGsmCodes([...s].map((c) => c.charCodeAt(0)));
    case 'HEX':
      if (!/^(?:[0-9A-Fa-f]{2})*$/.test(s)) return undefined;
      return decodeGsmCodes(s.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
    case 'UCS2': {
      if (!/^(?:[0-9A-Fa-f]{4})*$/.test(s)) return undefined;
      return String.fromCharCode(...(s.match(/.{4}/g)?.map((h) => parseInt(h, 16)) ?? []));
    }
  }
}
