/**
 * ISO 8583:1987 messages: MTI, primary bitmap, secondary bitmap only when a field above 64 is present,
 * then the data elements of `FIELD_TABLE` in field-number order. All of it ASCII (docs/ISO8583.md).
 *
 * `decodeMessage` never throws: bad input comes back as an `Iso8583DecodeError` naming the field, with the
 * elements read before the fault so a server can still answer with response code 30 when it found the
 * request's MTI, field 11 and field 41.
 */
import { fieldSpec, fitsClass, fixedChars, prefixDigits, type FieldSpec } from './fields.js';

/** Data element values by field number: the characters on the wire (b elements as hex digits). */
export type FieldValues = { readonly [field: number]: string | undefined };

export interface Iso8583Message {
  /** Message type indicator, four digits: version, class, function, origin (e.g. 0100). */
  readonly mti: string;
  readonly fields: FieldValues;
}

export type Iso8583ErrorKind =
  | 'truncated'
  | 'bad-mti'
  | 'bad-bitmap'
  | 'unknown-field'
  | 'field-class'
  | 'field-length'
  | 'trailing-bytes';

export interface Iso8583DecodeError {
  readonly kind: Iso8583ErrorKind;
  /** The data element at fault (1 for the secondary bitmap), when there is one. */
  readonly field?: number;
  readonly reason: string;
  /** The MTI, when it was readable. */
  readonly mti?: string;
  /** Elements decoded before the fault. */
  readonly partial: FieldValues;
}

export type Iso8583DecodeResult =
  | { readonly ok: true; readonly message: Iso8583Message }
  | { readonly ok: false; readonly error: Iso8583DecodeError };

/** A message that cannot be encoded: an unknown field or a value outside its class or length. */
export class Iso8583FieldError extends Error {
  constructor(
    readonly field: number | 'mti',
    reason: string,
  ) {
    super(field === 'mti' ? `MTI: ${reason}` : `field ${field}: ${reason}`);
    this.name = 'Iso8583FieldError';
  }
}

const MTI_PATTERN = /^[0-9]{4}$/;
const HEX_PATTERN = /^[0-9A-F]{16}$/;

/** Why `value` cannot stand in `field`, or undefined when it can. */
export function checkFieldValue(field: FieldSpec, value: string): string | undefined {
  if (!fitsClass(field.class, value)) return `not of class ${field.class}`;
  if (field.length === 'fixed') {
    const want = fixedChars(field);
    if (value.length !== want) return `length ${value.length}, fixed length is ${want}`;
  } else if (value.length < 1 || value.length > field.max) {
    return `length ${value.length}, allowed 1..${field.max}`;
  }
  return undefined;
}

/** Bit n (1-based, ISO numbering) of a 128-bit bitmap: byte (n-1)/8, most significant bit first. */
const setBit = (bitmap: Uint8Array, n: number): void => {
  bitmap[(n - 1) >> 3]! |= 0x80 >> ((n - 1) & 7);
};
const hasBit = (bitmap: Uint8Array, n: number): boolean =>
  (bitmap[(n - 1) >> 3]! & (0x80 >> ((n - 1) & 7))) !== 0;

/** Encodes a message; throws `Iso8583FieldError` for a value the field table does not allow. */
export function encodeMessage(message: Iso8583Message): Uint8Array {
  if (!MTI_PATTERN.test(message.mti)) throw new Iso8583FieldError('mti', 'not four digits');
  const numbers = Object.keys(message.fields)
    .map(Number)
    .filter((n) => message.fields[n] !== undefined)
    .sort((a, b) => a - b);
  const bitmap = new Uint8Array(16);
  let secondary = false;
  let body = '';
  for (const n of numbers) {
    const field = fieldSpec(n);
    if (!field || n === 1 || n === 65) throw new Iso8583FieldError(n, 'not in the field table');
    const value = message.fields[n]!;
    const problem = checkFieldValue(field, value);
    if (problem) throw new Iso8583FieldError(n, problem);
    setBit(bitmap, n);
    if (n > 64) secondary = true;
    const digits = prefixDigits(field);
    body += digits ? String(value.length).padStart(digits, '0') + value : value;
  }
  if (secondary) setBit(bitmap, 1);
  const hex = Buffer.from(bitmap.subarray(0, secondary ? 16 : 8))
    .toString('hex')
    .toUpperCase();
  return Buffer.from(message.mti + hex + body, 'latin1');
}

class DecodeFault {
  constructor(
    readonly kind: Iso8583ErrorKind,
    readonly reason: string,
    readonly field?: number,
  ) {}
}

/** Decodes one message (without its length prefix). Never throws. */
export function decodeMessage(bytes: Uint8Array): Iso8583DecodeResult {
  const fields: Record<number, string> = {};
  let mti: string | undefined;
  try {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    let at = 0;
    const take = (n: number, what: string, field?: number): string => {
      if (at + n > text.length) {
        throw new DecodeFault(
          'truncated',
          `message ends inside ${what} (needs ${n}, ${text.length - at} left)`,
          field,
        );
      }
      const s = text.slice(at, at + n);
      at += n;
      return s;
    };
    const head = take(4, 'the MTI');
    if (!MTI_PATTERN.test(head))
      throw new DecodeFault('bad-mti', `MTI ${JSON.stringify(head)} is not four digits`);
    mti = head;
    const bitmap = new Uint8Array(16);
    const readBitmap = (which: string, offset: number, field?: number): void => {
      const hex = take(16, `the ${which} bitmap`, field);
      if (!HEX_PATTERN.test(hex)) {
        throw new DecodeFault(
          'bad-bitmap',
          `${which} bitmap ${JSON.stringify(hex)} is not 16 upper-case hex digits`,
          field,
        );
      }
      bitmap.set(Buffer.from(hex, 'hex'), offset);
    };
    readBitmap('primary', 0);
    const last = hasBit(bitmap, 1) ? 128 : 64;
    if (last === 128) {
      readBitmap('secondary', 8, 1);
      if (bitmap.subarray(8).every((b) => b === 0)) {
        throw new DecodeFault('bad-bitmap', 'secondary bitmap announced but empty', 1);
      }
      if (hasBit(bitmap, 65))
        throw new DecodeFault('bad-bitmap', 'bit 65 (tertiary bitmap) is not supported', 65);
    }
    for (let n = 2; n <= last; n++) {
      if (!hasBit(bitmap, n)) continue;
      const field = fieldSpec(n);
      if (!field) throw new DecodeFault('unknown-field', `field ${n} is not in the field table`, n);
      const digits = prefixDigits(field);
      let length: number;
      if (digits) {
        const prefix = take(digits, `the length of field ${n}`, n);
        if (!/^[0-9]+$/.test(prefix)) {
          throw new DecodeFault(
            'field-length',
            `field ${n}: length prefix ${JSON.stringify(prefix)} is not digits`,
            n,
          );
        }
        length = Number(prefix);
        if (length < 1 || length > field.max) {
          throw new DecodeFault('field-length', `field ${n}: length ${length}, allowed 1..${field.max}`, n);
        }
      } else {
        length = fixedChars(field);
      }
      const value = take(length, `field ${n}`, n);
      if (!fitsClass(field.class, value)) {
        throw new DecodeFault('field-class', `field ${n} (${field.name}) is not of class ${field.class}`, n);
      }
      fields[n] = value;
    }
    if (at !== text.length) {
      throw new DecodeFault('trailing-bytes', `${text.length - at} bytes after the last field`);
    }
    return { ok: true, message: { mti, fields } };
  } catch (e) {
    const fault = e instanceof DecodeFault ? e : new DecodeFault('truncated', `malformed: ${String(e)}`);
    const error: Iso8583DecodeError = {
      kind: fault.kind,
      reason: fault.reason,
      partial: fields,
      ...(fault.field !== undefined ? { field: fault.field } : {}),
      ...(mti !== undefined ? { mti } : {}),
    };
    return { ok: false, error };
  }
}

/** The MTI that answers a request: function digit 0 → 1, origin → 0 (0101 repeat → 0110). */
export function responseMti(requestMti: string): string | undefined {
  if (!MTI_PATTERN.test(requestMti) || requestMti[2] !== '0') return undefined;
  return requestMti.slice(0, 2) + '10';
}

/** A request MTI with origin digit 1: a repeat of an unanswered request (0100 → 0101). */
export function repeatMti(requestMti: string): string {
  return requestMti.slice(0, 3) + '1';
}

/** True for a request MTI (function digit 0). */
export function isRequestMti(mti: string): boolean {
  return MTI_PATTERN.test(mti) && mti[2] === '0';
}
