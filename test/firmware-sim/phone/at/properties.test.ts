/**
 * Robustness of the AT interpreter: arbitrary bytes never throw or hang it, every complete command line
 * gets exactly one final result code, the line assembler and parser hold their invariants, and a seeded
 * fuzz run of mutated probe lines leaves the phone answering "AT" with OK.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../devices/serial/faults.js';
import { ResultCode } from '../../../../firmware-sim/phone/at/command-table.js';
import type { AtFinal } from '../../../../firmware-sim/phone/at/command-table.js';
import { cmeErrorText } from '../../../../firmware-sim/phone/at/cme-error.js';
import { AtLineAssembler } from '../../../../firmware-sim/phone/at/line-assembler.js';
import { parseCommandLine } from '../../../../firmware-sim/phone/at/parser.js';
import { phone } from './helpers.js';

/** Lines real clients send (ModemManager/Gammu-style probes) and the commands of this phone. */
const VOCABULARY = [
  'E0',
  'E1',
  'V0',
  'V1',
  'Q0',
  'I',
  'Z',
  '&F',
  'X4',
  '&C1',
  '&D2',
  'D123;',
  'H',
  '+CGMI',
  '+CGMM',
  '+CGMR',
  '+CGSN',
  '+CGSN=1',
  '+CIMI',
  '+CNUM',
  '+GCAP',
  '+GMI',
  '+CMEE=1',
  '+CMEE=2',
  '+CMEE?',
  '+CSCS="UCS2"',
  '+CSCS="GSM"',
  '+CSCS=?',
  '+CFUN?',
  '+CFUN=4',
  '+CFUN=1',
  '+CFUN=1,1',
  '+CPIN?',
  '+CPIN="1234"',
  '+CPIN="0000"',
  '+CPIN=?',
  '+CPINR',
  '+CLCK="SC",2',
  '+CLCK=?',
  '+CPWD=?',
  '+CSQ',
  '+CSQ=?',
  '+CREG=2',
  '+CREG?',
  '+COPS?',
  '+COPS=?',
  '+COPS=3,2',
  '+COPS=1,2,"23415"',
  '+COPS=0',
  '+CBC',
  '+CSIM=14,"00A4080C022FE2"',
  '+CSIM=10,"00B000000A"',
  '+CRSM=176,12258,0,0,10',
  '+CRSM=242',
  '+CRSM=192,28423',
  'S0?',
  'S7=60',
];

const isValidFinal = (f: AtFinal): boolean => {
  switch (f.kind) {
    case 'code':
      return f.code in ResultCode;
    case 'cme':
      return cmeErrorText(f.code) !== 'unknown' || f.code === 100;
    case 'cms':
      return Number.isInteger(f.code);
    case 'prompt':
    case 'deferred':
      return false; // onFinal never sees a prompt or a deferred answer, only what ends the command
  }
};

describe('AT interpreter properties (fast-check)', () => {
  it('arbitrary bytes, in arbitrary chunks, never throw and give only valid final result codes', () => {
    const p = phone('seed001', { echo: false });
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
        for (const c of chunks) expect(() => p.modem.receive(c)).not.toThrow();
        expect(p.finals.every(isValidFinal)).toBe(true);
        p.modem.interpreter.reset();
        p.modem.interpreter.settings.echo = false;
      }),
      { numRuns: 300 },
    );
  });

  it('every complete command line gets exactly one final result code (also suppressed under Q1)', () => {
    const p = phone('seed001', { echo: false });
    // Noise before the prefix has no "A"; bodies have no "S" (an S3/S5 change would move the line end).
    const noise = fc.string({
      unit: fc.constantFrom('x', '\n', ' ', '\x00', '\xff', '\x1a', '?', 'T', '/'),
      maxLength: 6,
    });
    const bodyChar = fc.constantFrom(...'+=?;,"0123456789CEGIMNOPQRVXZ&\b\x01 abc\xe9'.split(''));
    const body = fc.oneof(
      fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 4 }).map((cmds) => cmds.join(';')),
      fc.string({ unit: bodyChar, maxLength: 40 }),
      fc.string({ unit: bodyChar, minLength: 1030, maxLength: 1100 }),
    );
    const line = fc.tuple(noise, fc.constantFrom('AT', 'at', 'aT'), body);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => {
        p.finals.length = 0;
        const input = lines.map(([n, at, b]) => `${n}${at}${b.replace(/[sS\r]/g, '')}\r`).join('');
        p.modem.receive(Buffer.from(input, 'latin1'));
        expect(p.finals.length).toBe(lines.length);
        expect(p.finals.every(isValidFinal)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('the line assembler yields a line exactly at S3 and never one longer than its limit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 64 }), (bytes, max) => {
        const a = new AtLineAssembler(max);
        let terminators = 0;
        let slashes = 0;
        let ended = 0;
        let repeats = 0;
        for (const b of bytes) {
          if (b === 13) terminators++;
          if (b === 0x2f) slashes++;
          const ev = a.push(b, 13, 8);
          if (!ev) continue;
          if (ev.kind === 'repeat') repeats++;
          else ended++;
          if (ev.kind === 'line') {
            expect(ev.body.length).toBeLessThanOrEqual(max);
            expect([...ev.body].some((ch) => ch < ' ' || ch === '\x7f')).toBe(false);
          }
        }
        expect(ended).toBeLessThanOrEqual(terminators);
        expect(repeats).toBeLessThanOrEqual(slashes);
      }),
      { numRuns: 500 },
    );
  });

  it('the parser never throws; what it returns before an error re-parses to the same commands', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const r = parseCommandLine(s);
        if (!r.error) expect(parseCommandLine(s).commands).toEqual(r.commands);
        else expect(r.error.at).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('AT interpreter seeded fuzz run (mulberry32)', () => {
  it('4000 mutated probe lines: no throw, valid final result codes, and "AT" answers OK afterwards', () => {
    const rand = mulberry32(0x5eed0001);
    const int = (n: number) => Math.floor(rand() * n);
    const p = phone('seed001', { echo: false });
    for (let i = 0; i < 4000; i++) {
      const cmds = Array.from({ length: 1 + int(3) }, () => VOCABULARY[int(VOCABULARY.length)]!);
      const bytes = [...Buffer.from(`AT${cmds.join(';')}\r`, 'latin1')];
      for (let m = int(4); m > 0; m--) {
        const at = int(bytes.length + 1);
        switch (int(4)) {
          case 0:
            bytes[at] = int(256);
            break;
          case 1:
            bytes.splice(at, 0, int(256));
            break;
          case 2:
            bytes.splice(at, 1);
            break;
          default:
            bytes.splice(at, 0, ...bytes.slice(at, at + int(8)));
        }
      }
      p.finals.length = 0;
      expect(() => p.modem.receive(Uint8Array.from(bytes)), `iteration ${i}`).not.toThrow();
      expect(p.finals.every(isValidFinal), `iteration ${i}`).toBe(true);
      // Whatever the line did to E/V/Q/S3, a reset interpreter answers the next line normally.
      p.modem.interpreter.reset();
      expect(p.send('AT\r'), `iteration ${i}`).toBe('AT\r\r\nOK\r\n');
      p.modem.interpreter.settings.echo = false;
    }
  });
});
