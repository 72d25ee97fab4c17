/**
 * vpcd framing: known bytes, arbitrary TCP segmentation (property), arbitrary bytes never throw (property),
 * and a seeded fuzz run of the decoder.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VPCD_DEFAULT_PORT,
  VpcdControl,
  VpcdDecoder,
  encodeVpcdMessage,
} from '../../../devices/smartcard/vpcd-framing.js';
import type { VpcdMessage } from '../../../devices/smartcard/vpcd-framing.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

describe('vpcd framing', () => {
  it('uses 0x8C7B (35963) as the default port', () => {
    expect(VPCD_DEFAULT_PORT).toBe(35963);
  });

  it('frames a payload as a 2-byte big-endian length and the payload', () => {
    expect(encodeVpcdMessage(bytes('04'))).toEqual(bytes('0001 04'));
    expect(encodeVpcdMessage(bytes('00A4000C023F00'))).toEqual(bytes('0007 00A4000C023F00'));
    const big = new Uint8Array(0x1234).fill(0xab);
    expect(encodeVpcdMessage(big).subarray(0, 3)).toEqual(bytes('1234 AB'));
  });

  it('refuses payloads a 2-byte length cannot carry', () => {
    expect(() => encodeVpcdMessage(new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeVpcdMessage(new Uint8Array(0x10000))).toThrow(RangeError);
  });

  it('decodes control codes and APDUs as vpcd sends them', () => {
    const d = new VpcdDecoder();
    const r = d.push(bytes('0001 04  0001 01  0005 00B0000000  0001 00  0001 02'));
    expect(r.error).toBeUndefined();
    expect(r.messages).toEqual([
      { kind: 'control', code: VpcdControl.GET_ATR },
      { kind: 'control', code: VpcdControl.POWER_ON },
      { kind: 'apdu', apdu: bytes('00B0000000') },
      { kind: 'control', code: VpcdControl.POWER_OFF },
      { kind: 'control', code: VpcdControl.RESET },
    ]);
    expect(d.pending).toBe(0);
  });

  it('holds an incomplete message until the rest arrives', () => {
    const d = new VpcdDecoder();
    expect(d.push(bytes('00')).messages).toEqual([]);
    expect(d.push(bytes('05 00A4')).messages).toEqual([]);
    expect(d.pending).toBe(4);
    expect(d.push(bytes('0000 00 0001')).messages).toEqual([{ kind: 'apdu', apdu: bytes('00A4000000') }]);
    expect(d.pending).toBe(2);
  });

  it('treats an empty message as a framing error and stays broken until reset', () => {
    const d = new VpcdDecoder();
    const r = d.push(bytes('0001 04 0000 0001 04'));
    expect(r.messages).toEqual([{ kind: 'control', code: 4 }]);
    expect(r.error).toMatch(/empty vpcd message/);
    expect(d.push(bytes('0001 04'))).toEqual({ messages: [], error: r.error });
    d.reset();
    expect(d.push(bytes('0001 04')).messages).toEqual([{ kind: 'control', code: 4 }]);
  });
});

const payload = fc.uint8Array({ minLength: 1, maxLength: 300 });

/** Splits `stream` at the given cut points. */
function cut(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, stream.length]) {
    out.push(stream.subarray(at, p));
    at = p;
  }
  return out;
}

function expected(p: Uint8Array): VpcdMessage {
  return p.length === 1 ? { kind: 'control', code: p[0]! } : { kind: 'apdu', apdu: p };
}

describe('vpcd framing properties', () => {
  it('decodes the same messages however TCP splits or merges the stream', () => {
    fc.assert(
      fc.property(
        fc.array(payload, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => encodeVpcdMessage(p)));
          const d = new VpcdDecoder();
          const got: VpcdMessage[] = [];
          for (const chunk of cut(stream, cuts)) {
            const r = d.push(chunk);
            expect(r.error).toBeUndefined();
            got.push(...r.messages);
          }
          expect(got).toEqual(payloads.map(expected));
          expect(d.pending).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes, and every message it returns is well formed', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const d = new VpcdDecoder();
        let total = 0;
        for (const chunk of chunks) {
          const r = d.push(chunk);
          for (const m of r.messages) {
            if (m.kind === 'control') expect(m.code).toBeGreaterThanOrEqual(0);
            else expect(m.apdu.length).toBeGreaterThanOrEqual(2);
            total++;
          }
        }
        expect(total).toBeLessThanOrEqual(chunks.reduce((n, c) => n + c.length, 0) / 3);
      }),
      { numRuns: 500 },
    );
  });
});

describe('vpcd decoder fuzz run', () => {
  it('takes 20,000 seeded random chunks (valid frames, noise, zero lengths) without throwing', () => {
    let x = 0x2545f491;
    const next = (): number => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x / 0x1_0000_0000;
    };
    const d = new VpcdDecoder();
    let messages = 0;
    let errors = 0;
    const randomBytes = (n: number): Uint8Array =>
      Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
    for (let i = 0; i < 20_000; i++) {
      // A new connection now and then: the decoder starts over, as the bridge's does.
      if (i % 64 === 0) d.reset();
      const r = next();
      let chunk: Uint8Array;
      if (r < 0.4) {
        chunk = encodeVpcdMessage(randomBytes(1 + Math.floor(next() * 40)));
      } else if (r < 0.6) {
        const framed = encodeVpcdMessage(randomBytes(1 + Math.floor(next() * 40)));
        chunk = framed.subarray(0, Math.floor(next() * framed.length));
      } else if (r < 0.9) {
        chunk = randomBytes(Math.floor(next() * 16));
      } else {
        chunk = Uint8Array.of(0, 0);
      }
      const out = d.push(chunk);
      messages += out.messages.length;
      if (out.error !== undefined) errors++;
    }
    expect(messages).toBeGreaterThan(0);
    expect(errors).toBeGreaterThan(0);
  });
});
