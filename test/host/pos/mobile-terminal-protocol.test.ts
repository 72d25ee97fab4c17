import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../devices/serial/faults.js';
import {
  LineFramer,
  MAX_LINE,
  encodePosCommand,
  encodeTerminalMessage,
  parsePosCommand,
  parseTerminalMessage,
  type PosCommand,
  type TerminalMessage,
} from '../../../host/pos/mobile-terminal-protocol.js';

const strip = (b: Buffer) => b.toString('latin1').slice(0, -2);
const txnId = fc.stringMatching(/^[\x21-\x7e]{1,32}$/);
const address = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));

describe('mobile terminal line protocol (docs/MOBILE-TERMINAL.md)', () => {
  it('known answers: the lines of the document, byte for byte', () => {
    expect(encodePosCommand({ kind: 'POLL' }).toString('hex')).toBe('504f4c4c0d0a');
    expect(
      encodeTerminalMessage({ kind: 'UID', userId: '00001', phone: '5a:60:00:00:00:14' }).toString('latin1'),
    ).toBe('UID 00001 5a:60:00:00:00:14\r\n');
    expect(
      encodePosCommand({ kind: 'CONFIRM', result: 'DECLINED', transactionId: 'TX-1' }).toString('latin1'),
    ).toBe('CONFIRM DECLINED TX-1\r\n');
    expect(
      encodeTerminalMessage({ kind: 'ERR', reason: 'PAIRING', phone: 'aa:bb:cc:dd:ee:ff' }).toString(),
    ).toBe('ERR PAIRING aa:bb:cc:dd:ee:ff\r\n');
    expect(parsePosCommand('poll')).toEqual({ ok: false, reason: 'CMD' });
    expect(parsePosCommand('CONFIRM MAYBE TX-1')).toEqual({ ok: false, reason: 'CMD' });
    expect(parseTerminalMessage('TXN T 4294967296 JPY')).toEqual({ ok: false, reason: 'CMD' });
  });

  it('round trips (property)', () => {
    const command: fc.Arbitrary<PosCommand> = fc.oneof(
      fc.constant({ kind: 'POLL' as const }),
      fc.record({
        kind: fc.constant('CONFIRM' as const),
        result: fc.constantFrom('AGREED' as const, 'DECLINED' as const, 'ABORTED' as const),
        transactionId: txnId,
      }),
    );
    fc.assert(
      fc.property(command, (c) => {
        expect(parsePosCommand(strip(encodePosCommand(c)))).toEqual({ ok: true, value: c });
      }),
    );
    const message: fc.Arbitrary<TerminalMessage> = fc.oneof(
      fc.record({
        kind: fc.constant('UID' as const),
        userId: fc.stringMatching(/^[0-9A-Za-z]{1,16}$/),
        phone: address,
      }),
      fc.constant({ kind: 'NONE' as const }),
      fc.constant({ kind: 'OK' as const }),
      fc.record({
        kind: fc.constant('TXN' as const),
        transactionId: txnId,
        amountMinor: fc.integer({ min: 0, max: 0xffffffff }),
        currency: fc.stringMatching(/^[A-Z]{3}$/),
      }),
      fc.record({
        kind: fc.constant('ERR' as const),
        reason: fc.constantFrom('CMD' as const, 'NOPHONE' as const, 'TIMEOUT' as const, 'NOUSER' as const),
        phone: address,
      }),
    );
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeTerminalMessage(m);
        expect(bytes.length).toBeLessThanOrEqual(MAX_LINE);
        expect(parseTerminalMessage(strip(bytes))).toEqual({ ok: true, value: m });
      }),
    );
  });

  it('arbitrary text never throws and gets ERR CMD unless it is a command (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const p = parsePosCommand(s);
        if (p.ok) expect(strip(encodePosCommand(p.value))).toBe(s);
        else expect(p.reason).toBe('CMD');
        const t = parseTerminalMessage(s);
        if (t.ok) expect(strip(encodeTerminalMessage(t.value))).toBe(s);
      }),
    );
  });

  it('framer: lines split anywhere reassemble; LF alone ends a line; an overlong line is reported, not kept', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[ -~]{0,40}$/), { maxLength: 8 }),
        fc.integer({ min: 1, max: 7 }),
        (ls, step) => {
          const bytes = Buffer.from(ls.map((l) => l + '\r\n').join(''), 'latin1');
          const f = new LineFramer();
          const out: (string | undefined)[] = [];
          for (let i = 0; i < bytes.length; i += step) out.push(...f.push(bytes.subarray(i, i + step)));
          expect(out).toEqual(ls);
        },
      ),
    );
    const f = new LineFramer();
    expect(f.push(Buffer.from('POLL\n' + 'X'.repeat(200) + '\r\nPOLL\r\n'))).toEqual([
      'POLL',
      undefined,
      'POLL',
    ]);
  });

  it('fuzz: 20 000 mutated command lines through framer and parser never throw (seeded)', () => {
    const rand = mulberry32(0x17);
    const seeds = [
      'POLL\r\n',
      'CONFIRM AGREED TX-1\r\n',
      'UID 00001 5a:60:00:00:00:14\r\n',
      'TXN T 1 JPY\r\n',
    ];
    const f = new LineFramer();
    let lines = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.from(seeds[i % seeds.length]!, 'latin1');
      for (let k = 0; k < 3; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      for (const l of f.push(b)) {
        lines++;
        if (l === undefined) continue;
        const p = parsePosCommand(l);
        expect(p.ok || p.reason === 'CMD').toBe(true);
        parseTerminalMessage(l);
      }
    }
    expect(lines).toBeGreaterThan(1000);
  });
});
