/**
 * Field 48 (additional data - private) as benchtwin's credit link uses it: a run of elements, each a
 * two-letter tag, a three-digit length and that many printable ASCII characters (class ans, so the whole
 * field stays ans as ISO 8583 and Wireshark want it). docs/ISO8583.md lists the tags.
 *
 *   PM  payment method of seed 001 (L, I, B, pB, R)
 *   IN  number of installments, two digits (with PM = I)
 *   TN  the gateway's transaction number
 *   EP  an encrypted card number (key delivery, 0800 / 70 = 161)
 *   KY  the per-transaction key, 64 hex digits (AES-256)
 */

export const PRIVATE_DATA_TAGS = ['PM', 'IN', 'TN', 'EP', 'KY'] as const;
export type PrivateDataTag = (typeof PRIVATE_DATA_TAGS)[number];
export type PrivateData = Partial<Record<PrivateDataTag, string>>;

export type PrivateDataResult = { ok: true; value: PrivateData } | { ok: false; reason: string };

const TAG_ORDER: readonly PrivateDataTag[] = PRIVATE_DATA_TAGS;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** Encodes the elements in tag order; throws RangeError for a value that cannot be carried. */
export function encodePrivateData(data: PrivateData): string {
  let out = '';
  for (const tag of TAG_ORDER) {
    const value = data[tag];
    if (value === undefined) continue;
    if (!PRINTABLE.test(value)) throw new RangeError(`field 48 ${tag}: not printable ASCII`);
    if (value.length > 999) throw new RangeError(`field 48 ${tag}: longer than 999 characters`);
    out += tag + String(value.length).padStart(3, '0') + value;
  }
  return out;
}

/** Decodes field 48; unknown or repeated tags and short elements are errors. Never throws. */
export function decodePrivateData(text: string): PrivateDataResult {
  const value: PrivateData = {};
  let at = 0;
  while (at < text.length) {
    if (at + 5 > text.length) return { ok: false, reason: `field 48: element header cut short at ${at}` };
    const tag = text.slice(at, at + 2);
    const len = text.slice(at + 2, at + 5);
    if (!(TAG_ORDER as readonly string[]).includes(tag)) {
      return { ok: false, reason: `field 48: unknown tag ${JSON.stringify(tag)} at ${at}` };
    }
    if (!/^[0-9]{3}$/.test(len)) return { ok: false, reason: `field 48 ${tag}: length is not three digits` };
    const n = Number(len);
    if (at + 5 + n > text.length) return { ok: false, reason: `field 48 ${tag}: value cut short` };
    const t = tag as PrivateDataTag;
    if (value[t] !== undefined) return { ok: false, reason: `field 48: tag ${tag} repeated` };
    value[t] = text.slice(at + 5, at + 5 + n);
    at += 5 + n;
  }
  return { ok: true, value };
}
