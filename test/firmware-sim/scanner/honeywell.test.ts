import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACK,
  ENQ,
  HoneywellCommandParser,
  NAK,
  encodeMenuCommand,
  encodeMenuReply,
  encodeTrigger,
  encodeUntrigger,
  findMenuReplyEnd,
  formatMenuBody,
  parseMenuBody,
  parseMenuReply,
  type HoneywellMenuCommand,
  type HoneywellReplyEntry,
} from '../../../firmware-sim/scanner/honeywell.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('Honeywell serial commands: known answers from the user guides', () => {
  it('trigger is SYN T CR and untrigger SYN U CR', () => {
    expect(hex(encodeTrigger())).toBe('16540d');
    expect(hex(encodeUntrigger())).toBe('16550d');
  });

  it('encodes the guide example "set RS232 baud to 115,200": SYN M CR 232BAD9.', () => {
    expect(encodeMenuCommand({ tag: '232', subtag: 'BAD', data: '9' }, '.').toString('latin1')).toBe(
      '\x16M\r232BAD9.',
    );
    expect(encodeMenuCommand('232BAD9', '.').toString('latin1')).toBe('\x16M\r232BAD9.');
  });

  it('an explicit ";" before a command of the same tag is kept', () => {
    const body = formatMenuBody([
      { tag: 'TRG', subtag: 'STO', data: '500' },
      { tag: 'TRG', subtag: 'MOD', data: '3', continued: false },
    ]);
    expect(body).toBe('TRGSTO500;TRGMOD3');
  });

  it('joins commands of one tag with "," and a new tag with ";"', () => {
    const body = formatMenuBody([
      { tag: 'CBR', subtag: 'ENA', data: '1' },
      { tag: 'CBR', subtag: 'SSX', data: '0' },
      { tag: 'C39', subtag: 'ENA', data: '1' },
    ]);
    expect(body).toBe('CBRENA1,SSX0;C39ENA1');
  });

  it('parses queries in place of the Data, the SubTag and the Tag', () => {
    expect(parseMenuBody('cbrena*')).toEqual([{ tag: 'cbr', subtag: 'ena', data: '*' }]);
    expect(parseMenuBody('cbr?')).toEqual([{ tag: 'cbr', subtag: '?', data: '' }]);
    expect(parseMenuBody('?')).toEqual([{ tag: '?', subtag: '', data: '' }]);
    expect(parseMenuBody('CBRENA1,SSX0;C39ENA1')).toEqual([
      { tag: 'CBR', subtag: 'ENA', data: '1' },
      { tag: 'CBR', subtag: 'SSX', data: '0', continued: true },
      { tag: 'C39', subtag: 'ENA', data: '1' },
    ]);
  });

  it('encodes the guide replies: cbrena*. → CBRENA0-1 ACK, and the status before every separator', () => {
    const range = encodeMenuReply({
      entries: [{ tag: 'cbr', subtag: 'ena', value: '0-1', status: 'ack' }],
      storage: '.',
    });
    expect(range.toString('latin1')).toBe('CBRENA0-1\x06.');
    const all = encodeMenuReply({
      entries: [
        { tag: 'CBR', subtag: 'ENA', value: '1', status: 'ack' },
        { tag: 'CBR', subtag: 'SSX', value: '0', status: 'ack' },
        { tag: 'XYZ', subtag: 'ABC', value: '1', status: 'enq' },
        { tag: 'BEP', subtag: 'LVL', value: '9', status: 'nak' },
      ],
      storage: '!',
    });
    expect(all.toString('latin1')).toBe('CBRENA1\x06,SSX0\x06;XYZABC1\x05;BEPLVL9\x15!');
  });

  it('parses a reply into per-command status and value', () => {
    const reply = parseMenuReply('CBRENA1\x06,SSX0\x06;XYZABC1\x05;BEPLVL9\x15!');
    expect(reply).toEqual({
      storage: '!',
      entries: [
        { tag: 'CBR', subtag: 'ENA', value: '1', status: 'ack' },
        { tag: 'CBR', subtag: 'SSX', value: '0', status: 'ack' },
        { tag: 'XYZ', subtag: 'ABC', value: '1', status: 'enq' },
        { tag: 'BEP', subtag: 'LVL', value: '9', status: 'nak' },
      ],
    });
    expect(parseMenuReply('CBRENA1')).toBeUndefined();
    expect(parseMenuReply('CBRENA1\x06.extra')).toBeUndefined();
  });

  it('finds where a reply ends in a stream that also carries scans', () => {
    const stream = Buffer.from('TRGSTO30000\x06.]E04901234567894\r\n', 'latin1');
    const end = findMenuReplyEnd(stream);
    expect(end).toBe(13);
    expect(parseMenuReply(stream.subarray(0, end))?.entries[0]).toEqual({
      tag: 'TRG',
      subtag: 'STO',
      value: '30000',
      status: 'ack',
    });
    expect(findMenuReplyEnd(Buffer.from('TRGSTO300', 'latin1'))).toBe(-1);
  });
});

describe('HoneywellCommandParser (scanner side)', () => {
  it('reassembles commands split across chunks and skips garbage', () => {
    const p = new HoneywellCommandParser();
    const bytes = Buffer.concat([
      Buffer.from('noise'),
      encodeTrigger(),
      Buffer.from([0x00, 0xff]),
      encodeMenuCommand('BEPLVL2', '!'),
      encodeUntrigger(),
    ]);
    const out = [];
    for (const b of bytes) out.push(...p.push(Uint8Array.of(b)));
    expect(out).toEqual([
      { kind: 'trigger' },
      {
        kind: 'menu',
        body: 'BEPLVL2',
        request: { storage: '!', commands: [{ tag: 'BEP', subtag: 'LVL', data: '2' }] },
      },
      { kind: 'untrigger' },
    ]);
    expect(p.skipped).toBe(7);
  });

  it('a new SYN abandons an unfinished menu command', () => {
    const p = new HoneywellCommandParser();
    expect(p.push(Buffer.from('\x16M\rBEPLVL2'))).toEqual([]);
    expect(p.push(encodeTrigger())).toEqual([{ kind: 'trigger' }]);
    expect(p.pending).toBe(0);
  });

  it('drops a body longer than its buffer', () => {
    const p = new HoneywellCommandParser();
    expect(
      p.push(Buffer.concat([Buffer.from('\x16M\r'), Buffer.alloc(5000, 0x41), Buffer.from('.')])),
    ).toEqual([]);
  });
});

// --- properties ---------------------------------------------------------------------------------------------

const upperAlnum = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
const field3 = fc.string({ unit: upperAlnum, minLength: 3, maxLength: 3 });
const dataArb = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF-|'.split('')), maxLength: 12 });
const commandArb: fc.Arbitrary<HoneywellMenuCommand> = fc.record({
  tag: field3,
  subtag: field3,
  data: dataArb,
});

describe('Honeywell codec properties', () => {
  it('menu command encode → stream parse round trip, chunked arbitrarily', () => {
    fc.assert(
      fc.property(
        fc.array(commandArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('!' as const, '.' as const),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
        (commands, storage, cuts) => {
          const bytes = encodeMenuCommand(commands, storage);
          const p = new HoneywellCommandParser();
          const out = [];
          let i = 0;
          for (let k = 0; i < bytes.length; k++) {
            const n = cuts[k % cuts.length]!;
            out.push(...p.push(bytes.subarray(i, i + n)));
            i += n;
          }
          expect(out).toHaveLength(1);
          const m = out[0]!;
          expect(m.kind === 'menu' && m.request.storage).toBe(storage);
          const got =
            m.kind === 'menu'
              ? m.request.commands.map(({ tag, subtag, data }) => ({ tag, subtag, data }))
              : [];
          expect(got).toEqual(commands);
        },
      ),
    );
  });

  it('reply encode → parse round trip', () => {
    const entryArb: fc.Arbitrary<HoneywellReplyEntry> = fc.record({
      tag: field3,
      subtag: field3,
      value: dataArb,
      status: fc.constantFrom('ack' as const, 'enq' as const, 'nak' as const),
    });
    fc.assert(
      fc.property(
        fc.array(entryArb, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('!' as const, '.' as const),
        (entries, storage) => {
          const bytes = encodeMenuReply({ entries, storage });
          expect(findMenuReplyEnd(bytes)).toBe(bytes.length);
          expect(parseMenuReply(bytes)).toEqual({ entries, storage });
        },
      ),
    );
  });

  it('arbitrary bytes never throw in the stream parser and yield only well-formed messages', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const p = new HoneywellCommandParser();
        for (const c of chunks) {
          for (const m of p.push(c)) {
            if (m.kind === 'menu') expect(m.request.commands.length).toBeGreaterThan(0);
            else expect(['trigger', 'untrigger']).toContain(m.kind);
          }
        }
      }),
    );
  });

  it('status bytes are the ASCII control characters ACK, ENQ, NAK', () => {
    expect([ACK, ENQ, NAK]).toEqual([0x06, 0x05, 0x15]);
  });
});
