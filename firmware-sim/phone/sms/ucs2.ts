/**
 * UCS2 user data (3GPP TS 23.038 §6.2.3): 16-bit big-endian code units. Characters outside the BMP travel
 * as UTF-16 surrogate pairs, as handsets send them; a pair is two units and must not be split by
 * segmentation (see segment.ts).
 */

export function encodeUcs2(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    out[2 * i] = u >> 8;
    out[2 * i + 1] = u & 0xff;
  }
  return out;
}

/** A trailing odd octet cannot be a code unit: it decodes as U+FFFD rather than being dropped silently. */
export function decodeUcs2(octets: Uint8Array): string {
  let out = '';
  const n = octets.length >> 1;
  for (let i = 0; i < n; i++) out += String.fromCharCode((octets[2 * i]! << 8) | octets[2 * i + 1]!);
  if (octets.length & 1) out += '\ufffd';
  return out;
}

/** Code units a text takes in UCS2 (a character outside the BMP takes two). */
export const ucs2Units = (text: string): number => text.length;
