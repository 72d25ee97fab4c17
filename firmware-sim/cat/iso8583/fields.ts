/**
 * The data elements benchtwin's ISO 8583 link uses, with their ISO 8583:1987 names, classes and lengths.
 * One table drives both the encoder and the decoder, so the two cannot disagree about a field.
 *
 * Encoding (docs/ISO8583.md): every element is ASCII — numerics as ASCII digits, variable lengths as ASCII
 * digit prefixes (LL, LLL) — and binary elements (class b) as two ASCII hex digits per byte, the way
 * Wireshark's iso8583 dissector reads them with its default settings.
 */

/** ISO 8583 attribute classes: numeric, alphanumeric, alphanumeric + special, binary, track-2 (z). */
export type FieldClass = 'n' | 'an' | 'ans' | 'b' | 'z';

/** Fixed length, or a variable length announced by a 2- or 3-digit prefix. */
export type LengthKind = 'fixed' | 'llvar' | 'lllvar';

export interface FieldSpec {
  readonly number: number;
  readonly name: string;
  readonly class: FieldClass;
  readonly length: LengthKind;
  /** Characters (n, an, ans, z) or bytes (b); the exact length of a fixed element. */
  readonly max: number;
}

const spec = (number: number, name: string, cls: FieldClass, length: LengthKind, max: number): FieldSpec => ({
  number,
  name,
  class: cls,
  length,
  max,
});

/** ISO 8583:1987 data elements known to this codec. A field not listed here is an unknown field. */
export const FIELD_TABLE: readonly FieldSpec[] = [
  spec(2, 'Primary account number (PAN)', 'n', 'llvar', 19),
  spec(3, 'Processing code', 'n', 'fixed', 6),
  spec(4, 'Amount, transaction', 'n', 'fixed', 12),
  spec(7, 'Transmission date and time', 'n', 'fixed', 10),
  spec(11, 'Systems trace audit number', 'n', 'fixed', 6),
  spec(12, 'Time, local transaction', 'n', 'fixed', 6),
  spec(13, 'Date, local transaction', 'n', 'fixed', 4),
  spec(14, 'Date, expiration', 'n', 'fixed', 4),
  spec(18, 'Merchant type', 'n', 'fixed', 4),
  spec(22, 'Point of service entry mode', 'n', 'fixed', 3),
  spec(25, 'Point of service condition code', 'n', 'fixed', 2),
  spec(32, 'Acquiring institution identification code', 'n', 'llvar', 11),
  spec(35, 'Track 2 data', 'z', 'llvar', 37),
  spec(37, 'Retrieval reference number', 'an', 'fixed', 12),
  spec(38, 'Authorization identification response', 'an', 'fixed', 6),
  spec(39, 'Response code', 'an', 'fixed', 2),
  spec(41, 'Card acceptor terminal identification', 'ans', 'fixed', 8),
  spec(42, 'Card acceptor identification code', 'ans', 'fixed', 15),
  spec(43, 'Card acceptor name/location', 'ans', 'fixed', 40),
  spec(48, 'Additional data - private', 'ans', 'lllvar', 999),
  spec(49, 'Currency code, transaction', 'n', 'fixed', 3),
  spec(52, 'Personal identification number (PIN) data', 'b', 'fixed', 8),
  spec(64, 'Message authentication code (MAC)', 'b', 'fixed', 8),
  spec(70, 'Network management information code', 'n', 'fixed', 3),
  spec(90, 'Original data elements', 'n', 'fixed', 42),
  spec(100, 'Receiving institution identification code', 'n', 'llvar', 11),
  spec(128, 'Message authentication code (MAC)', 'b', 'fixed', 8),
];

const BY_NUMBER: ReadonlyMap<number, FieldSpec> = new Map(FIELD_TABLE.map((f) => [f.number, f]));

export function fieldSpec(number: number): FieldSpec | undefined {
  return BY_NUMBER.get(number);
}

const CLASS_PATTERN: Record<FieldClass, RegExp> = {
  n: /^[0-9]*$/,
  an: /^[A-Za-z0-9]*$/,
  ans: /^[\x20-\x7e]*$/,
  // Track 2 as ASCII: digits, the field separator '=' (or 'D') and nothing else.
  z: /^[0-9=D]*$/,
  b: /^[0-9A-Fa-f]*$/,
};

/** True when every character of `text` belongs to the class. */
export function fitsClass(cls: FieldClass, text: string): boolean {
  return CLASS_PATTERN[cls].test(text);
}

/** Characters of the value of a fixed element: b elements carry two hex digits per byte. */
export function fixedChars(field: FieldSpec): number {
  return field.class === 'b' ? field.max * 2 : field.max;
}

/** Digits of the length prefix: 0, 2 or 3. */
export function prefixDigits(field: FieldSpec): number {
  return field.length === 'llvar' ? 2 : field.length === 'lllvar' ? 3 : 0;
}
