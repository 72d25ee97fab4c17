/**
 * Properties and a fuzz run of the SMS prompt: whatever bytes follow `AT+CMGS=<n>\r` (or +CMGW), the
 * modem never throws and ends the command with exactly one final result code — `+CMGS: <mr>` and OK for a
 * valid SMS-SUBMIT, `+CMS ERROR: 304` (TS 27.005 §3.2.5) for anything malformed, OK for ESC. The network
 * behind it is a test bearer (a double) that acknowledges at once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../devices/serial/faults.js';
import type { AtFinal } from '../../../firmware-sim/phone/at/command-table.js';
import type { SmsBearer } from '../../../firmware-sim/phone/sms-bearer.js';
import {
  encodeAtPdu,
  encodeScAddress,
  encodeTpdu,
  parseAddress,
  smsDeliversForText,
  smsSubmitsForText,
} from '../../../firmware-sim/phone/sms/index.js';
import { decodeSmsRecord, encodeSmsRecord, type SmsStat } from '../../../firmware-sim/phone/sms-storage.js';
import { phone, type TestPhone } from './at/helpers.js';

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function unlockedPhone(): { p: TestPhone; sent: Uint8Array[] } {
  const p = phone('seed001', { echo: false });
  const sent: Uint8Array[] = [];
  const bearer: SmsBearer = {
    submit: (tpdu) => {
      sent.push(tpdu);
      return Promise.resolve({ ok: true, messageReference: tpdu[1]! });
    },
  };
  p.modem.sms.bearer = bearer;
  p.send('AT+CPIN="1234"\r');
  p.finals.length = 0;
  return { p, sent };
}

/** A final that may end a +CMGS: OK (after +CMGS: or ESC) or a +CMS ERROR of TS 27.005 §3.2.5 / a TP-FCS. */
const isSendFinal = (f: AtFinal): boolean =>
  (f.kind === 'code' && f.code === 'OK') || (f.kind === 'cms' && f.code >= 128 && f.code <= 500);

const GOLDEN = smsSubmitsForText({
  destination: parseAddress('+4930123'),
  messageReference: 0,
  reference: 3,
  text: 'Pay 12,50 € at the counter, then show this code: 4711',
}).map((t) => encodeAtPdu({ tpdu: t }))[0]!;

describe('SMS prompt properties (fast-check) and fuzz run', () => {
  it('arbitrary bytes after AT+CMGS=<n>\\r, ended by Ctrl-Z or ESC, never throw and give exactly one final result', async () => {
    const { p } = unlockedPhone();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 200 }),
        fc.uint8Array({ maxLength: 400 }).map((b) => b.filter((x) => x !== 0x1a && x !== 0x1b)),
        fc.constantFrom(0x1a, 0x1b),
        fc.boolean(),
        async (length, body, end, text) => {
          p.finals.length = 0;
          p.send(`AT+CMGF=${text ? 1 : 0}\r`);
          p.finals.length = 0;
          const command = text ? 'AT+CMGS="+4930123"\r' : `AT+CMGS=${length}\r`;
          expect(() => p.modem.receive(Buffer.from(command, 'latin1'))).not.toThrow();
          if (p.finals.length === 0) {
            expect(p.modem.interpreter.prompting).toBe(true);
            expect(() => p.modem.receive(Uint8Array.from([...body, end]))).not.toThrow();
            await settle();
          }
          expect(p.finals).toHaveLength(1);
          expect(isSendFinal(p.finals[0]!)).toBe(true);
          expect(p.modem.interpreter.prompting).toBe(false);
          expect(p.modem.interpreter.awaitingAnswer).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a valid SMS-SUBMIT at any <length> other than its own is 304; at its own it is sent', async () => {
    const { p, sent } = unlockedPhone();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 164 }), async (length) => {
        p.finals.length = 0;
        const before = sent.length;
        p.modem.receive(Buffer.from(`AT+CMGS=${length}\r${GOLDEN.hex}\x1a`, 'latin1'));
        await settle();
        expect(p.finals).toHaveLength(1);
        if (length === GOLDEN.tpduLength) {
          expect(p.finals[0]).toEqual({ kind: 'code', code: 'OK' });
          expect(sent.length).toBe(before + 1);
        } else {
          expect(p.finals[0]).toEqual({ kind: 'cms', code: 304 });
          expect(sent.length).toBe(before);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('fuzz: 2000 mutated SMS-SUBMIT PDUs (seeded) after +CMGS and +CMGW: one final each, 304 or accepted', async () => {
    const { p, sent } = unlockedPhone();
    const random = mulberry32(0x5a5c0de);
    const HEX = '0123456789ABCDEF';
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const chars = [...GOLDEN.hex];
      const edits = 1 + Math.floor(random() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * chars.length);
        const kind = random();
        if (kind < 0.6) chars[at] = HEX[Math.floor(random() * 16)]!;
        else if (kind < 0.75) chars.splice(at, 1);
        else if (kind < 0.9) chars.splice(at, 0, HEX[Math.floor(random() * 16)]!);
        else chars.length = at;
      }
      const mutated = chars.join('');
      const length = random() < 0.7 ? GOLDEN.tpduLength : Math.max(1, Math.floor(mutated.length / 2) - 1);
      const command = i % 4 === 3 ? `AT+CMGW=${length}` : `AT+CMGS=${length}`;
      p.finals.length = 0;
      const before = sent.length;
      expect(() => p.modem.receive(Buffer.from(`${command}\r${mutated}\x1a`, 'latin1'))).not.toThrow();
      await settle();
      expect(p.finals, mutated).toHaveLength(1);
      const f = p.finals[0]!;
      if (f.kind === 'code' && f.code === 'OK') accepted++;
      else {
        expect(f, mutated).toEqual({ kind: 'cms', code: f.kind === 'cms' && f.code === 322 ? 322 : 304 });
        expect(sent.length).toBe(before);
        refused++;
      }
      // Keep the store from filling up with what +CMGW accepted.
      if (i % 4 === 3) p.send('AT+CMGD=1,4\r');
    }
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('EF_SMS records (TS 51.011 §10.5.3): any 176 octets decode without throwing; written records read back whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 176, maxLength: 176 }), (record) => {
        expect(() => decodeSmsRecord(record)).not.toThrow();
      }),
      { numRuns: 500 },
    );
    const digits = fc.stringMatching(/^[0-9]{1,12}$/);
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        digits,
        digits,
        fc.constantFrom<SmsStat>(0, 1, 2, 3),
        (text, originator, sc, stat) => {
          const received = stat <= 1;
          const tpdu = received
            ? encodeTpdu(
                smsDeliversForText({
                  originator: parseAddress(`+${originator}`),
                  scts: { year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5, timeZone: 0 },
                  text,
                  reference: 1,
                })[0]!,
              )
            : encodeTpdu(
                smsSubmitsForText({
                  destination: parseAddress(originator),
                  messageReference: 9,
                  reference: 1,
                  text,
                })[0]!,
              );
          const scField = encodeScAddress(parseAddress(`+${sc}`));
          const back = decodeSmsRecord(encodeSmsRecord(stat, scField, tpdu));
          expect(back?.stat).toBe(stat);
          expect(back?.scField).toEqual(scField);
          expect(back?.tpdu).toEqual(tpdu);
          expect(back?.decoded?.type).toBe(received ? 'SMS-DELIVER' : 'SMS-SUBMIT');
        },
      ),
      { numRuns: 300 },
    );
  });
});
