/** Command APDU building and the T=0 procedure bytes, against scripted card answers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApduTransport } from '../../../../host/drivers/uim/channel.js';
import { ApduProtocolError, buildApdu, transmitT0, withLe } from '../../../../host/drivers/uim/t0.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** A card that answers from a script and records what it was sent. */
function scripted(answers: string[]): ApduTransport & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    async transmit(command) {
      sent.push(hex(command));
      const next = answers.shift();
      if (next === undefined) throw new Error('script exhausted');
      return bytes(next);
    },
  };
}

describe('command APDUs', () => {
  it('builds the four short cases', () => {
    expect(hex(buildApdu(0x00, 0xa4, 0x00, 0x04))).toBe('00A40004');
    expect(hex(buildApdu(0x00, 0xb0, 0x00, 0x00, undefined, 256))).toBe('00B0000000');
    expect(hex(buildApdu(0xa0, 0xa4, 0x00, 0x00, bytes('3F00')))).toBe('A0A40000023F00');
    expect(hex(buildApdu(0x00, 0xa4, 0x04, 0x04, bytes('A0000000871002'), 256))).toBe(
      '00A4040407A000000087100200',
    );
  });

  it('refuses what a short APDU cannot carry', () => {
    expect(() => buildApdu(0x100, 0, 0, 0)).toThrow(RangeError);
    expect(() => buildApdu(0, 0, 0, 0, new Uint8Array(0))).toThrow(RangeError);
    expect(() => buildApdu(0, 0, 0, 0, new Uint8Array(256))).toThrow(RangeError);
    expect(() => buildApdu(0, 0, 0, 0, undefined, 257)).toThrow(RangeError);
  });

  it('sets Le in every case', () => {
    expect(hex(withLe(bytes('00B00000'), 0x0a))).toBe('00B000000A');
    expect(hex(withLe(bytes('00B0000014'), 0x0a))).toBe('00B000000A');
    expect(hex(withLe(bytes('00A40004023F00'), 0x1c))).toBe('00A40004023F001C');
    expect(hex(withLe(bytes('00A40004023F0000'), 0x1c))).toBe('00A40004023F001C');
    expect(hex(withLe(bytes('00B00000'), 256))).toBe('00B0000000');
  });
});

describe('T=0 procedure bytes', () => {
  it('fetches the answer after 61xx, in as many GET RESPONSEs as the card wants', async () => {
    const t = scripted(['6104', '01026103', '0304059000']);
    const r = await transmitT0(t, bytes('00A40004023F00'), { getResponseCla: 0x00 });
    expect(t.sent).toEqual(['00A40004023F00', '00C0000004', '00C0000003']);
    expect(hex(r.data)).toBe('0102030405');
    expect(r.sw).toBe(0x9000);
  });

  it('uses the GSM class and 9Fxx for a GSM SIM', async () => {
    const t = scripted(['9F0F', `${'00'.repeat(15)}9000`]);
    const r = await transmitT0(t, bytes('A0A40000023F00'), { getResponseCla: 0xa0 });
    expect(t.sent).toEqual(['A0A40000023F00', 'A0C000000F']);
    expect(r.data.length).toBe(15);
  });

  it('resends with the exact Le after 6Cxx, also for GET RESPONSE', async () => {
    const t = scripted(['6C0A', '6108', '6C05', '01020304059000']);
    const r = await transmitT0(t, bytes('00B0000014'), { getResponseCla: 0x00 });
    expect(t.sent).toEqual(['00B0000014', '00B000000A', '00C0000008', '00C0000005']);
    expect(hex(r.data)).toBe('0102030405');
  });

  it('stops after maxRounds when a card never stops saying 61xx', async () => {
    const t = scripted(Array.from({ length: 10 }, () => '6101'));
    const r = await transmitT0(t, bytes('00A40004023F00'), { getResponseCla: 0x00, maxRounds: 4 });
    expect(t.sent).toHaveLength(5);
    expect(r.sw).toBe(0x6101);
  });

  it('rejects an answer shorter than a status word', async () => {
    await expect(
      transmitT0(scripted(['90']), bytes('00B0000001'), { getResponseCla: 0 }),
    ).rejects.toBeInstanceOf(ApduProtocolError);
  });

  it('returns the card data and status word unchanged when there are no procedure bytes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 0, max: 0xffff }).filter((sw) => ![0x61, 0x6c, 0x9f].includes(sw >> 8)),
        async (data, sw) => {
          const answer = Uint8Array.from([...data, sw >> 8, sw & 0xff]);
          const r = await transmitT0({ transmit: async () => answer }, bytes('00B0000000'), {
            getResponseCla: 0,
          });
          expect(hex(r.data)).toBe(hex(data));
          expect(r.sw).toBe(sw);
        },
      ),
      { numRuns: 200 },
    );
  });
});
