/**
 * The host side's framing of modem output (V.250 §5.7, TS 27.005 §3): lines, final result codes, the
 * "> " prompt without a line end, and +CMT/+CDS with their PDU line — whatever the chunking.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCode, ModemLineReader, type ModemEvent } from '../../../../host/drivers/phone/at-line.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

function readAll(chunks: string[]): ModemEvent[] {
  const r = new ModemLineReader();
  return chunks.flatMap((c) => r.push(bytes(c)));
}

const STREAM =
  '\r\n+CMGL: 1,0,,24\r\n0791447700090000040B919403099981F900006211120103004005D0B0BC0C02\r\n\r\nOK\r\n' +
  '\r\n> ' +
  '\r\n+CMGS: 7\r\n\r\nOK\r\n' +
  '\r\n+CMTI: "SM",3\r\n' +
  '\r\n+CMT: ,24\r\n07914477009000F0\r\n' +
  '\r\n+CDS: 6,7,"+4930123",145,"26/11/21,10:30:00+04","26/11/21,10:30:00+04",0\r\n' +
  '\r\n+CMS ERROR: 321\r\n';

const EXPECTED: ModemEvent[] = [
  { kind: 'line', text: '+CMGL: 1,0,,24' },
  { kind: 'line', text: '0791447700090000040B919403099981F900006211120103004005D0B0BC0C02' },
  { kind: 'final', text: 'OK' },
  { kind: 'prompt' },
  { kind: 'line', text: '+CMGS: 7' },
  { kind: 'final', text: 'OK' },
  { kind: 'urc', lines: ['+CMTI: "SM",3'] },
  { kind: 'urc', lines: ['+CMT: ,24', '07914477009000F0'] },
  { kind: 'urc', lines: ['+CDS: 6,7,"+4930123",145,"26/11/21,10:30:00+04","26/11/21,10:30:00+04",0'] },
  { kind: 'final', text: '+CMS ERROR: 321' },
];

describe('modem output framing (V.250 §5.7, TS 27.005 §3)', () => {
  it('lines, finals, the prompt and two-line +CMT from one chunk', () => {
    expect(readAll([STREAM])).toEqual(EXPECTED);
  });

  it('the same events however the bytes are split (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 30 }), (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const c of at) {
          chunks.push(STREAM.slice(from, c));
          from = c;
        }
        chunks.push(STREAM.slice(from));
        expect(readAll(chunks)).toEqual(EXPECTED);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const r = new ModemLineReader();
        for (const c of chunks) expect(() => r.push(c)).not.toThrow();
      }),
    );
  });

  it('+CME / +CMS error codes are read from final results', () => {
    expect(errorCode('+CMS ERROR: 304')).toEqual({ kind: 'cms', code: 304 });
    expect(errorCode('+CME ERROR: 11')).toEqual({ kind: 'cme', code: 11 });
    expect(errorCode('ERROR')).toBeUndefined();
  });
});
