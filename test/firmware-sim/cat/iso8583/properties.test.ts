import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../devices/serial/faults.js';
import {
  decodeMessage,
  decodePrivateData,
  encodeMessage,
  encodePrivateData,
  FIELD_TABLE,
  fixedChars,
  type FieldSpec,
  type Iso8583ErrorKind,
  type Iso8583Message,
} from '../../../../firmware-sim/cat/iso8583/index.js';

const CHARS: Record<FieldSpec['class'], string> = {
  n: '0123456789',
  an: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  ans: Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join(''),
  z: '0123456789=D',
  b: '0123456789ABCDEF',
};

function valueOf(field: FieldSpec): fc.Arbitrary<string> {
  const ch = fc.constantFrom(...CHARS[field.class]);
  const length = field.length === 'fixed' ? fixedChars(field) : undefined;
  return length !== undefined
    ? fc.string({ unit: ch, minLength: length, maxLength: length })
    : fc.string({ unit: ch, minLength: 1, maxLength: Math.min(field.max, 120) });
}

const messageArb: fc.Arbitrary<Iso8583Message> = fc
  .record({
    mti: fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 4, maxLength: 4 }),
    chosen: fc.subarray([...FIELD_TABLE]),
  })
  .chain(({ mti, chosen }) =>
    fc
      .tuple(...chosen.map(valueOf))
      .map((values) => ({ mti, fields: Object.fromEntries(chosen.map((f, i) => [f.number, values[i]!])) })),
  );

const KINDS: Iso8583ErrorKind[] = [
  'truncated',
  'bad-mti',
  'bad-bitmap',
  'unknown-field',
  'field-class',
  'field-length',
  'trailing-bytes',
];

describe('ISO 8583 codec: properties', () => {
  it('decode(encode(m)) = m for any message of table fields', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const r = decodeMessage(encodeMessage(m));
        expect(r).toEqual({ ok: true, message: m });
      }),
      { numRuns: 500 },
    );
  });

  it('a secondary bitmap appears exactly when a field above 64 is present', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const text = Buffer.from(encodeMessage(m)).toString('latin1');
        const high = Object.keys(m.fields).some((n) => Number(n) > 64);
        expect(parseInt(text[4]!, 16) >= 8).toBe(high);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes never throw: a message or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeMessage(bytes);
        if (!r.ok) expect(KINDS).toContain(r.error.kind);
      }),
      { numRuns: 2000 },
    );
  });

  it('field 48: decode(encode(d)) = d, and arbitrary text never throws', () => {
    const printable = fc.string({ unit: fc.constantFrom(...CHARS.ans), minLength: 0, maxLength: 60 });
    fc.assert(
      fc.property(fc.record({ PM: printable, TN: printable, KY: printable }, { requiredKeys: [] }), (d) => {
        expect(decodePrivateData(encodePrivateData(d))).toEqual({ ok: true, value: d });
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => void decodePrivateData(s)));
  });
});

describe('ISO 8583 codec: fuzz', () => {
  it('10 000 mutated messages (seed 8583): never a throw; an error names its kind (and field), a success re-encodes to the same bytes', () => {
    const rand = mulberry32(8583);
    const samples = fc.sample(messageArb, { numRuns: 200, seed: 8583 }).map((m) => encodeMessage(m));
    let errors = 0;
    for (let i = 0; i < 10_000; i++) {
      const base = Buffer.from(samples[i % samples.length]!);
      let bytes: Buffer;
      const at = Math.floor(rand() * base.length);
      switch (Math.floor(rand() * 5)) {
        case 0:
          bytes = Buffer.from(base);
          bytes[at] = Math.floor(rand() * 256);
          break;
        case 1:
          bytes = Buffer.from(base);
          bytes[at] = 0x30 + Math.floor(rand() * 10); // a digit for a digit: lengths and bitmaps shift
          break;
        case 2:
          bytes = base.subarray(0, at);
          break;
        case 3:
          bytes = Buffer.concat([
            base.subarray(0, at),
            Buffer.from([Math.floor(rand() * 256)]),
            base.subarray(at),
          ]);
          break;
        default:
          bytes = Buffer.concat([base.subarray(0, at), base.subarray(at + 1)]);
      }
      const r = decodeMessage(bytes);
      if (r.ok) {
        expect(Buffer.from(encodeMessage(r.message)).equals(bytes)).toBe(true);
      } else {
        errors++;
        expect(KINDS).toContain(r.error.kind);
        if (['unknown-field', 'field-class', 'field-length'].includes(r.error.kind)) {
          expect(r.error.field).toBeGreaterThan(1);
          expect(r.error.reason).toContain(`field ${r.error.field}`);
        }
      }
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
