/**
 * Splitting a long message into concatenated parts (3GPP TS 23.040 §9.2.3.24.1). Each part carries a
 * concatenation element; with an 8-bit reference a part holds 153 GSM 7-bit septets, 67 UCS2 units or 134
 * octets. A GSM 7-bit escape pair and a UTF-16 surrogate pair always stay in one part.
 */
import { dcsFor, type SmsAlphabet } from './dcs.js';
import { gsm7CharSeptets, gsm7Length, isGsm7Encodable } from './gsm7.js';
import { udhLength, type InformationElement } from './udh.js';
import { headerSeptets, type UserData } from './user-data.js';

export interface SegmentOptions {
  /** 'auto' (the default) picks GSM 7-bit when every character is in it, else UCS2. */
  alphabet?: 'auto' | 'gsm7' | 'ucs2';
  /** Concatenation reference shared by the parts (used only when there is more than one part). */
  reference: number;
  referenceBits?: 8 | 16;
  /** Elements every part carries, such as application ports. */
  header?: InformationElement[];
}

export interface SegmentedText {
  alphabet: Exclude<SmsAlphabet, '8bit'>;
  /** The TP-DCS octet for the parts (general group, no class). */
  dcs: number;
  parts: UserData[];
}

const concat = (o: SegmentOptions, total: number, sequence: number): InformationElement => ({
  kind: 'concat',
  referenceBits: o.referenceBits ?? 8,
  reference: o.reference & ((o.referenceBits ?? 8) === 8 ? 0xff : 0xffff),
  total,
  sequence,
});

/** Header for part `i` of `total` (no concatenation element for a single part). */
function headerFor(o: SegmentOptions, total: number, i: number): InformationElement[] | undefined {
  const base = o.header ?? [];
  const h = total > 1 ? [concat(o, total, i + 1), ...base] : base;
  return h.length ? h : undefined;
}

/** Units (characters or code points) into parts of at most `capacity`, a unit's size given by `size`. */
function pack(units: string[], size: (u: string) => number, capacity: number): string[] {
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const u of units) {
    const n = size(u);
    if (used + n > capacity && current !== '') {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += u;
    used += n;
  }
  parts.push(current);
  return parts;
}

export function segmentText(text: string, o: SegmentOptions): SegmentedText {
  const wanted = o.alphabet ?? 'auto';
  const alphabet = wanted === 'auto' ? (isGsm7Encodable(text) ? 'gsm7' : 'ucs2') : wanted;
  const dcs = dcsFor(alphabet);
  const capacityWith = (total: number): number => {
    const udh = udhLength(headerFor(o, total, 0) ?? []);
    return alphabet === 'gsm7' ? 160 - (udh ? headerSeptets(udh) : 0) : Math.floor((140 - udh) / 2);
  };
  // Both GSM 7-bit characters and UTF-16 code points (for…of) are indivisible units.
  const units = [...text];
  const size = alphabet === 'gsm7' ? (u: string) => gsm7CharSeptets(u)?.length ?? 1 : (u: string) => u.length;
  const whole = alphabet === 'gsm7' ? gsm7Length(text) : text.length;
  if (alphabet === 'gsm7' && !isGsm7Encodable(text)) throw new RangeError('text is not GSM 7-bit encodable');
  const single = whole <= capacityWith(1);
  const chunks = single ? [text] : pack(units, size, capacityWith(2));
  if (chunks.length > 255) throw new RangeError(`${chunks.length} parts exceed the 255 a message may have`);
  return {
    alphabet,
    dcs,
    parts: chunks.map((t, i) => {
      const header = headerFor(o, chunks.length, i);
      return { ...(header ? { header } : {}), text: t };
    }),
  };
}

/** Splits 8-bit data into parts (134 octets each with an 8-bit reference and no other element). */
export function segmentData(data: Uint8Array, o: Omit<SegmentOptions, 'alphabet'>): UserData[] {
  const capacity = (total: number): number => 140 - udhLength(headerFor(o, total, 0) ?? []);
  const chunks: Uint8Array[] = [];
  if (data.length <= capacity(1)) chunks.push(data);
  else for (let at = 0; at < data.length; at += capacity(2)) chunks.push(data.slice(at, at + capacity(2)));
  if (chunks.length > 255) throw new RangeError(`${chunks.length} parts exceed the 255 a message may have`);
  return chunks.map((d, i) => {
    const header = headerFor(o, chunks.length, i);
    return { ...(header ? { header } : {}), data: Uint8Array.from(d) };
  });
}
