import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  FIELD_TABLE,
  fieldSpec,
  Iso8583FieldError,
  responseMti,
  repeatMti,
  type Iso8583DecodeError,
} from '../../../../firmware-sim/cat/iso8583/index.js';

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');

function decodeError(text: string): Iso8583DecodeError {
  const r = decodeMessage(ascii(text));
  if (r.ok) throw new Error(`expected an error for ${text}`);
  return r.error;
}

/**
 * An 0100 built by hand from ISO 8583:1987: fields 2, 3, 4, 7, 11, 41, 49.
 * Primary bitmap, bit 1 first: bits 2,3,4,7 → 0111 0010 = 72; bit 11 → 0010 0000 = 20; bytes 3–5 empty;
 * bit 41 → 1000 0000 = 80; bit 49 → 80; byte 8 empty. Field 2 is LLVAR: "16" then 16 digits.
 */
const HAND_0100 =
  '0100' +
  '7220000000808000' +
  '16' +
  '1234223432344234' +
  '000000' +
  '000000001200' +
  '0703102000' +
  '000001' +
  'GW01    ' +
  '392';

/** An 0800 sign-on: bits 1 (secondary bitmap), 7 → 82; 11 → 20; 41 → 80; secondary: bit 70 → 04. */
const HAND_0800 =
  '0800' + '8220000000800000' + '0400000000000000' + '0703102000' + '000001' + 'GW01    ' + '001';

describe('ISO 8583 codec: known answers', () => {
  it('encodes an 0100 byte for byte as built by hand from ISO 8583:1987 (ASCII, hex bitmap)', () => {
    const bytes = encodeMessage({
      mti: '0100',
      fields: {
        2: '1234223432344234',
        3: '000000',
        4: '000000001200',
        7: '0703102000',
        11: '000001',
        41: 'GW01    ',
        49: '392',
      },
    });
    expect(Buffer.from(bytes).toString('latin1')).toBe(HAND_0100);
  });

  it('decodes the hand-built 0100 into its fields', () => {
    const r = decodeMessage(ascii(HAND_0100));
    expect(r).toEqual({
      ok: true,
      message: {
        mti: '0100',
        fields: {
          2: '1234223432344234',
          3: '000000',
          4: '000000001200',
          7: '0703102000',
          11: '000001',
          41: 'GW01    ',
          49: '392',
        },
      },
    });
  });

  it('has a secondary bitmap only when a field above 64 is present (ISO 8583:1987 bit 1)', () => {
    const bytes = encodeMessage({
      mti: '0800',
      fields: { 7: '0703102000', 11: '000001', 41: 'GW01    ', 70: '001' },
    });
    expect(Buffer.from(bytes).toString('latin1')).toBe(HAND_0800);
    expect(decodeMessage(ascii(HAND_0800))).toMatchObject({ ok: true, message: { fields: { 70: '001' } } });
    const primaryOnly = Buffer.from(encodeMessage({ mti: '0800', fields: { 11: '000001' } })).toString(
      'latin1',
    );
    expect(primaryOnly).toBe('0800' + '0020000000000000' + '000001');
  });

  it('writes LLLVAR field 48 with a three-digit length', () => {
    const text = Buffer.from(encodeMessage({ mti: '0100', fields: { 48: 'PM001L' } })).toString('latin1');
    expect(text).toBe('0100' + '0000000000010000' + '006PM001L');
  });

  it('writes class b fields as two hex digits per byte (field 64, b 64 bits)', () => {
    const text = Buffer.from(encodeMessage({ mti: '0200', fields: { 64: '0123456789ABCDEF' } })).toString(
      'latin1',
    );
    expect(text).toBe('0200' + '0000000000000001' + '0123456789ABCDEF');
  });

  it('derives response and repeat MTIs (ISO 8583:1987 message function and origin)', () => {
    expect(responseMti('0100')).toBe('0110');
    expect(responseMti('0101')).toBe('0110');
    expect(responseMti('0401')).toBe('0410');
    expect(responseMti('0800')).toBe('0810');
    expect(responseMti('0110')).toBeUndefined();
    expect(repeatMti('0100')).toBe('0101');
  });

  it('covers the fields the credit link needs, with their ISO 8583:1987 attributes', () => {
    for (const n of [2, 3, 4, 7, 11, 12, 13, 14, 22, 37, 38, 39, 41, 42, 48, 49, 70, 90]) {
      expect(fieldSpec(n), `field ${n}`).toBeDefined();
    }
    expect(fieldSpec(2)).toMatchObject({ class: 'n', length: 'llvar', max: 19 });
    expect(fieldSpec(39)).toMatchObject({ class: 'an', length: 'fixed', max: 2 });
    expect(fieldSpec(90)).toMatchObject({ class: 'n', length: 'fixed', max: 42 });
    expect(new Set(FIELD_TABLE.map((f) => f.number)).size).toBe(FIELD_TABLE.length);
  });
});

describe('ISO 8583 codec: errors name the field', () => {
  it('bad bitmap: not hex', () => {
    expect(decodeError('0100ZZ20000000808000')).toMatchObject({ kind: 'bad-bitmap', mti: '0100' });
  });

  it('bad bitmap: secondary bitmap announced but empty', () => {
    expect(decodeError('0800' + '8020000000000000' + '0000000000000000' + '000001')).toMatchObject({
      kind: 'bad-bitmap',
      field: 1,
    });
  });

  it('wrong class: letters in numeric field 4', () => {
    const e = decodeError('0100' + '3000000000000000' + '000000' + '0000000012AB');
    expect(e).toMatchObject({ kind: 'field-class', field: 4, partial: { 3: '000000' } });
    expect(e.reason).toContain('field 4');
  });

  it('truncated length prefix of field 2', () => {
    expect(decodeError('0100' + '4000000000000000' + '1')).toMatchObject({ kind: 'truncated', field: 2 });
  });

  it('length prefix over the maximum (field 2 is n..19)', () => {
    expect(decodeError('0100' + '4000000000000000' + '20' + '1'.repeat(20))).toMatchObject({
      kind: 'field-length',
      field: 2,
    });
  });

  it('truncated value of a fixed field', () => {
    expect(decodeError('0100' + '0020000000000000' + '0001')).toMatchObject({ kind: 'truncated', field: 11 });
  });

  it('unknown field (bit 5 is not in the table)', () => {
    expect(decodeError('0100' + '0800000000000000' + '000000000000')).toMatchObject({
      kind: 'unknown-field',
      field: 5,
    });
  });

  it('MTI that is not four digits, and bytes after the last field', () => {
    expect(decodeError('01X0' + '0020000000000000' + '000001')).toMatchObject({ kind: 'bad-mti' });
    expect(decodeError('0100' + '0020000000000000' + '000001' + '9')).toMatchObject({
      kind: 'trailing-bytes',
    });
    expect(decodeError('')).toMatchObject({ kind: 'truncated' });
  });

  it('keeps the fields before the fault, so a server can still answer 30', () => {
    const e = decodeError('0100' + '0020000000808000' + '000042' + 'GW01    ' + '3A2');
    expect(e).toMatchObject({ kind: 'field-class', field: 49 });
    expect(e.partial).toEqual({ 11: '000042', 41: 'GW01    ' });
  });

  it('refuses to encode a value outside its class or length', () => {
    expect(() => encodeMessage({ mti: '0100', fields: { 4: '12' } })).toThrow(Iso8583FieldError);
    expect(() => encodeMessage({ mti: '0100', fields: { 39: '0 ' } })).toThrow(/field 39/);
    expect(() => encodeMessage({ mti: '0100', fields: { 2: '' } })).toThrow(/field 2/);
    expect(() => encodeMessage({ mti: '0100', fields: { 5: '000000000000' } })).toThrow(/field 5/);
    expect(() => encodeMessage({ mti: '100', fields: {} })).toThrow(/MTI/);
  });
});
