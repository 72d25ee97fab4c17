/**
 * The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1, §6.2.1.1) and septet
 * packing (§6.1.2.1.1). Characters of the extension table are sent as ESC (0x1B) followed by their code.
 */

/** ESC: the next septet is read from the extension table. */
export const GSM7_ESCAPE = 0x1b;

// Code points 0x00–0x7F; 0x1B (ESC) is a placeholder, never produced by decoding on its own.
const DEFAULT_ALPHABET =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table entries (code after ESC → character). */
const EXTENSION: ReadonlyArray<readonly [number, string]> = [
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
];

const toDefault = new Map<string, number>();
[...DEFAULT_ALPHABET].forEach((ch, code) => {
  if (code !== GSM7_ESCAPE) toDefault.set(ch, code);
});
const toExtension = new Map<string, number>(EXTENSION.map(([code, ch]) => [ch, code]));
const fromExtension = new Map<number, string>(EXTENSION);

/** Septets of one character: one for the default table, two (ESC, code) for the extension table. */
export function gsm7CharSeptets(ch: string): number[] | undefined {
  const d = toDefault.get(ch);
  if (d !== undefined) return [d];
  const e = toExtension.get(ch);
  return e === undefined ? undefined : [GSM7_ESCAPE, e];
}

/** True when every character of `text` is in the default alphabet or its extension table. */
export function isGsm7Encodable(text: string): boolean {
  for (const ch of text) if (gsm7CharSeptets(ch) === undefined) return false;
  return true;
}

/** Septet values of a text; throws a RangeError naming the first character the alphabet lacks. */
export function encodeGsm7(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const s = gsm7CharSeptets(ch);
    if (s === undefined) {
      throw new RangeError(`GSM 7-bit alphabet has no U+${ch.codePointAt(0)!.toString(16).toUpperCase()}`);
    }
    out.push(...s);
  }
  return out;
}

/** Number of septets `text` takes (extension characters count two). */
export function gsm7Length(text: string): number {
  let n = 0;
  for (const ch of text) n += gsm7CharSeptets(ch)?.length ?? 1;
  return n;
}

/**
 * Text of septet values. An ESC followed by a code the extension table lacks shows the default-table
 * character (§6.2.1.1); ESC ESC and a trailing ESC show a space, as the note on 0x1B 0x1B asks.
 */
export function decodeGsm7(septets: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i]! & 0x7f;
    if (s !== GSM7_ESCAPE) {
      out += DEFAULT_ALPHABET[s]!;
      continue;
    }
    const next = i + 1 < septets.length ? septets[i + 1]! & 0x7f : undefined;
    i++;
    if (next === undefined || next === GSM7_ESCAPE) out += ' ';
    else out += fromExtension.get(next) ?? DEFAULT_ALPHABET[next]!;
  }
  return out;
}

/**
 * Packs septets LSB-first into octets, after `fillBits` zero bits (the fill that aligns septets to a
 * septet boundary after a user data header, TS 23.040 §9.2.3.24).
 */
export function packSeptets(septets: ArrayLike<number>, fillBits = 0): Uint8Array {
  const totalBits = fillBits + septets.length * 7;
  const out = new Uint8Array(Math.ceil(totalBits / 8));
  let bit = fillBits;
  for (let i = 0; i < septets.length; i++) {
    const v = septets[i]! & 0x7f;
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte]! |= (v << shift) & 0xff;
    if (shift > 1) out[byte + 1]! |= v >> (8 - shift);
    bit += 7;
  }
  return out;
}

/** Reads `count` septets packed after `fillBits` bits; septets past the end of `octets` are not read. */
export function unpackSeptets(octets: Uint8Array, count: number, fillBits = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const bit = fillBits + i * 7;
    const byte = bit >> 3;
    if (byte >= octets.length) break;
    const shift = bit & 7;
    let v = octets[byte]! >> shift;
    if (shift > 1) v |= (octets[byte + 1] ?? 0) << (8 - shift);
    out.push(v & 0x7f);
  }
  return out;
}
