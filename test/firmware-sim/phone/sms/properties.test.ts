/** Round trips for every alphabet and TPDU, reassembly of any split, and a seeded fuzz run of the decoders. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../devices/serial/faults.js';
import {
  SmsReassembler,
  decodeAtPdu,
  decodeServiceIndication,
  decodeSiPush,
  decodeTpdu,
  decodeWspPush,
  encodeSiPush,
  encodeTpdu,
  isGsm7Encodable,
  segmentData,
  segmentText,
  smsDeliversForText,
  smsSubmitsForText,
  type SmsAddress,
  type Tpdu,
  type TpduDirection,
} from '../../../../firmware-sim/phone/sms/index.js';

const GSM7_CHARS = [
  ...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ...'\f^{}\\[~]|€',
];
const gsm7Text = (max: number) =>
  fc.array(fc.constantFrom(...GSM7_CHARS), { maxLength: max }).map((a) => a.join(''));
/** Any Unicode text, surrogate pairs included (full code points, no lone surrogates). */
const anyText = (max: number) =>
  fc
    .array(fc.oneof(fc.integer({ min: 0x20, max: 0xd7ff }), fc.integer({ min: 0x10000, max: 0x10ffff })), {
      maxLength: max,
    })
    .map((cps) => String.fromCodePoint(...cps));

const address: fc.Arbitrary<SmsAddress> = fc.oneof(
  fc.stringMatching(/^[0-9]{1,20}$/).map((value) => ({ ton: 1, npi: 1, value })),
  fc.stringMatching(/^[0-9*#]{1,20}$/).map((value) => ({ ton: 0, npi: 1, value })),
  gsm7Text(11)
    .filter((t) => t.length > 0 && [...t].every((c) => !'\f^{}\\[~]|€'.includes(c)))
    .map((value) => ({ ton: 5, npi: 0, value })),
);
const scts = fc.record({
  year: fc.integer({ min: 1990, max: 2089 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 31 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  timeZone: fc.integer({ min: -79, max: 79 }),
});

function roundTrip(t: Tpdu, direction: TpduDirection): void {
  const bytes = encodeTpdu(t);
  const back = decodeTpdu(bytes, direction);
  expect(back).toEqual({ ok: true, value: t });
}

describe('SMS codec: properties', () => {
  it('SMS-SUBMIT round trips in GSM 7-bit (extension table included) and UCS2 (surrogate pairs included)', () => {
    fc.assert(
      fc.property(
        address,
        fc.oneof(gsm7Text(400), anyText(300)),
        fc.nat(255),
        fc.nat(0xffff),
        fc.constantFrom(8 as const, 16 as const),
        fc.option(fc.nat(255), { nil: undefined }),
        (destination, text, mr, reference, referenceBits, vp) => {
          const submits = smsSubmitsForText({
            destination,
            text,
            messageReference: mr,
            reference,
            referenceBits,
            ...(vp === undefined ? {} : { validityPeriod: { format: 'relative' as const, value: vp } }),
          });
          for (const s of submits) roundTrip(s, 'ms-to-sc');
          expect(submits.map((s) => s.userData.text).join('')).toBe(text);
          expect(submits[0]!.dcs).toBe(isGsm7Encodable(text) ? 0 : 8);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('SMS-DELIVER with 8-bit data round trips, ports and concatenation kept', () => {
    fc.assert(
      fc.property(
        address,
        scts,
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(255),
        (originator, time, data, ref) => {
          const parts = segmentData(data, {
            reference: ref,
            header: [{ kind: 'ports', portBits: 16, destination: 2948, source: 9200 }],
          });
          for (const userData of parts) {
            roundTrip(
              {
                type: 'SMS-DELIVER',
                moreMessagesToSend: false,
                loopPrevention: false,
                replyPath: false,
                statusReportIndication: true,
                originator,
                pid: 0,
                dcs: 4,
                scts: time,
                userData,
              },
              'sc-to-ms',
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('SMS-STATUS-REPORT, SMS-COMMAND and both reports round trip', () => {
    const optional = fc.record(
      {
        pid: fc.nat(255),
        dcs: fc.constantFrom(0x00, 0x04, 0x08, 0xf1),
        text: fc.oneof(gsm7Text(40), anyText(30)),
        data: fc.uint8Array({ maxLength: 40 }),
      },
      { requiredKeys: [] },
    );
    const userDataFor = (o: { dcs?: number; text?: string; data?: Uint8Array }) => {
      if (o.dcs === undefined) return {};
      if (o.dcs === 0x04 || o.dcs === 0xf5)
        return { dcs: o.dcs, userData: { data: o.data ?? new Uint8Array(0) } };
      const text = o.text ?? '';
      if (o.dcs !== 0x08 && !isGsm7Encodable(text)) return { dcs: 0x08, userData: { text } };
      return { dcs: o.dcs, userData: { text } };
    };
    fc.assert(
      fc.property(address, scts, scts, fc.nat(255), fc.nat(255), optional, (ra, t1, t2, mr, st, o) => {
        const extra = { ...(o.pid === undefined ? {} : { pid: o.pid }), ...userDataFor(o) };
        roundTrip(
          {
            type: 'SMS-STATUS-REPORT',
            moreMessagesToSend: mr % 2 === 0,
            forCommand: st % 2 === 0,
            messageReference: mr,
            recipient: ra,
            scts: t1,
            dischargeTime: t2,
            status: st,
            ...extra,
          },
          'sc-to-ms',
        );
        roundTrip(
          {
            type: 'SMS-COMMAND',
            statusReportRequest: true,
            messageReference: mr,
            pid: st,
            commandType: st & 3,
            messageNumber: 255 - mr,
            destination: ra,
            commandData: Uint8Array.from([mr, st]),
          },
          'ms-to-sc',
        );
        roundTrip(
          { type: 'SMS-DELIVER-REPORT', ...(st >= 0x80 ? { failureCause: st } : {}), ...extra },
          'ms-to-sc',
        );
        roundTrip(
          { type: 'SMS-SUBMIT-REPORT', ...(st >= 0x80 ? { failureCause: st } : {}), scts: t1, ...extra },
          'sc-to-ms',
        );
      }),
      { numRuns: 300 },
    );
  });

  it('any split reassembles: parts in any order, with duplicates, interleaved with another message', () => {
    fc.assert(
      fc.property(
        fc.oneof(gsm7Text(700), anyText(400)),
        fc.oneof(gsm7Text(300), anyText(200)),
        fc.nat(255),
        fc.infiniteStream(fc.nat()),
        (textA, textB, ref, dice) => {
          const a = segmentText(textA, { reference: ref }).parts.map((p) => ['A', p] as const);
          const b = segmentText(textB, { reference: ref }).parts.map((p) => ['B', p] as const);
          // A single message has no reference, so only a part of a concatenated one can be seen as repeated.
          const all = [...a, ...b, ...(a.length > 1 ? a.slice(0, 1) : [])];
          const it = dice[Symbol.iterator]();
          for (let i = all.length - 1; i > 0; i--) {
            const j = it.next().value! % (i + 1);
            [all[i], all[j]] = [all[j]!, all[i]!];
          }
          const r = new SmsReassembler();
          const done = new Map<string, string>();
          for (const [who, part] of all) {
            const out = r.add(who, part);
            if (out.status === 'complete') {
              expect(done.has(who)).toBe(false);
              done.set(who, out.message.text!);
            }
          }
          expect(done.get('A')).toBe(textA);
          expect(done.get('B')).toBe(textB);
          expect(r.incomplete()).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an incomplete set is reported with its missing parts', () => {
    const parts = segmentText('z'.repeat(500), { reference: 3 }).parts;
    const r = new SmsReassembler();
    r.add('+491', parts[2]!, 10);
    r.add('+491', parts[0]!, 11);
    expect(r.incomplete()).toEqual([
      { originator: '+491', referenceBits: 8, reference: 3, total: 4, missing: [2, 4], firstReceivedAt: 10 },
    ]);
    expect(r.expire(11)).toHaveLength(1);
    expect(r.incomplete()).toEqual([]);
  });

  it('WAP Push SI round trips', () => {
    const iso = fc
      .date({
        min: new Date(Date.UTC(2000, 0, 1)),
        max: new Date(Date.UTC(2099, 11, 31)),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    fc.assert(
      fc.property(
        fc.record(
          {
            href: fc.webUrl(),
            siId: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\0')),
            created: iso,
            expires: iso,
            action: fc.constantFrom(
              'signal-none',
              'signal-low',
              'signal-medium',
              'signal-high',
              'delete' as const,
            ),
          },
          { requiredKeys: [] },
        ),
        anyText(60),
        fc.nat(255),
        (attrs, text, tid) => {
          const si = { ...attrs, text };
          const r = decodeSiPush(encodeSiPush(si, tid));
          expect(r).toMatchObject({ ok: true, value: { si, push: { transactionId: tid } } });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes never throw from a public decoder; failures carry a +CMS code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const r of [
          decodeTpdu(bytes, 'sc-to-ms'),
          decodeTpdu(bytes, 'ms-to-sc'),
          decodeAtPdu(Buffer.from(bytes).toString('hex'), 'ms-to-sc'),
          decodeWspPush(bytes),
          decodeServiceIndication(bytes),
          decodeSiPush(bytes),
        ]) {
          if (!r.ok) expect(r.error.cms).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

function mutate(source: Uint8Array, random: () => number): Uint8Array {
  const bytes = [...source];
  const pick = (n: number): number => Math.floor(random() * n);
  for (let r = 1 + pick(4); r > 0; r--) {
    const at = pick(bytes.length + 1);
    switch (pick(5)) {
      case 0:
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << pick(8));
        break;
      case 1:
        if (at < bytes.length) bytes[at] = pick(256);
        break;
      case 2:
        bytes.splice(at, 0, pick(256));
        break;
      case 3:
        bytes.splice(at, 1);
        break;
      default:
        bytes.length = Math.min(bytes.length, at);
    }
  }
  return Uint8Array.from(bytes);
}

describe('SMS codec: fuzz', () => {
  it('20 000 mutated golden TPDUs and WAP pushes (seed 0x5e5): results, never exceptions', () => {
    const random = mulberry32(0x5e5);
    const stamp = { year: 2026, month: 11, day: 21, hour: 10, minute: 30, second: 0, timeZone: 4 };
    const goldens: [Uint8Array, TpduDirection][] = [
      ...smsSubmitsForText({
        destination: { ton: 1, npi: 1, value: '4917012345' },
        messageReference: 1,
        reference: 5,
        text: 'x€'.repeat(100),
        validityPeriod: { format: 'absolute', time: stamp },
      }).map((t) => [encodeTpdu(t), 'ms-to-sc'] as [Uint8Array, TpduDirection]),
      ...smsDeliversForText({
        originator: { ton: 5, npi: 0, value: 'Bank' },
        scts: stamp,
        reference: 9,
        text: 'Ж😀'.repeat(40),
      }).map((t) => [encodeTpdu(t), 'sc-to-ms'] as [Uint8Array, TpduDirection]),
      [
        Uint8Array.from(
          Buffer.from(
            '0605' + '0B919746121611F1' + '81117002122223'.repeat(2) + '00' + '07000804' + '00480069',
            'hex',
          ),
        ),
        'sc-to-ms',
      ],
    ];
    const push = encodeSiPush(
      {
        href: 'https://pay.example/x',
        siId: 'a',
        created: '2026-11-21T10:30:00Z',
        action: 'delete',
        text: 'hi',
      },
      1,
    );
    let decoded = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const [golden, direction] = goldens[i % goldens.length]!;
      const t = decodeTpdu(mutate(golden, random), direction);
      const p = decodeSiPush(mutate(push, random));
      for (const r of [t, p]) {
        if (r.ok) decoded++;
        else {
          refused++;
          expect([176, 303, 304]).toContain(r.error.cms);
        }
      }
    }
    expect(decoded).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });
});
