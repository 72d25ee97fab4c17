/**
 * The handset's WAP Push hook: an SMS-DELIVER addressed to port 2948 (WAP-259-WDP annex, TS 23.040
 * §9.2.3.24.4) is acknowledged to the network, reassembled, never stored as a text message, and handed as a
 * Service Indication (WAP-167) to the installed applications' onPush and the handset's push listeners.
 * Also the context members the seed-001 application relies on: calendar time, trust store, BLE port.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../devices/serial/faults.js';
import { VirtualClock } from '../../../../firmware-sim/clock.js';
import type { PhoneBlePort } from '../../../../firmware-sim/phone/handset/ble-port.js';
import { DEFAULT_EPOCH_AT_CLOCK_ZERO, Handset } from '../../../../firmware-sim/phone/handset/handset.js';
import type {
  ApplicationContext,
  HandsetEvent,
  PhoneApplication,
  PushContext,
  WapPush,
} from '../../../../firmware-sim/phone/handset/handset.js';
import { encodeTpdu } from '../../../../firmware-sim/phone/sms/tpdu.js';
import type { UserData } from '../../../../firmware-sim/phone/sms/user-data.js';
import { WAP_PUSH_DCS, wapPushUserData } from '../../../../firmware-sim/phone/sms/wap-push.js';
import { encodeWspPush } from '../../../../firmware-sim/phone/sms/wsp.js';
import { siPushTpdus } from '../apps/payment/helpers.js';
import { phone } from '../at/helpers.js';
import { seedHandset, settle } from './helpers.js';

const deliverTpdu = (userData: UserData): Uint8Array =>
  encodeTpdu({
    type: 'SMS-DELIVER',
    moreMessagesToSend: false,
    loopPrevention: false,
    replyPath: false,
    statusReportIndication: false,
    originator: { ton: 1, npi: 1, value: '447700900000' },
    pid: 0,
    dcs: WAP_PUSH_DCS,
    scts: { year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0, timeZone: 0 },
    userData,
  });

/** The seed-001 handset, registered, recording pushes, push events and the first EF_SMS record. */
function pushBench() {
  const t = seedHandset({ pin: '1234' });
  t.clock.advance(1000);
  const pushes: WapPush[] = [];
  const events: HandsetEvent[] = [];
  t.handset.onPush((p) => pushes.push(p));
  t.handset.onEvent((e) => {
    if (e.type === 'push' || e.type === 'push-ignored' || e.type === 'app-log') events.push(e);
  });
  const smsStored = () => t.phone.modem.sim!.readRecord(0x6f3c, 1).data[0] !== 0x00;
  return { ...t, pushes, events, smsStored };
}

describe('WAP Push to port 2948 (WAP-259 annex; TS 23.040 §9.2.3.24.4)', () => {
  it('an SI push is acknowledged (RP-ACK), not stored in EF_SMS, and reaches onPush with its href and originator', () => {
    const b = pushBench();
    const [tpdu] = siPushTpdus('https://gateway.benchtwin.test/mail/v1/mailboxes/1234567/messages');
    expect(b.phone.modem.deliverSms(tpdu!)).toEqual({ ok: true });
    expect(b.pushes).toHaveLength(1);
    expect(b.pushes[0]).toMatchObject({
      originator: '+447700900000',
      si: {
        href: 'https://gateway.benchtwin.test/mail/v1/mailboxes/1234567/messages',
        action: 'signal-medium',
      },
    });
    expect(b.events.map((e) => e.type)).toEqual(['push']);
    expect(b.smsStored()).toBe(false);
    expect(b.phone.drain()).not.toContain('+CMTI');
  });

  it('a push in several parts is reassembled whatever the order; each part is acknowledged, one push results', () => {
    const b = pushBench();
    const href = `https://gateway.benchtwin.test/mail/v1/mailboxes/1234567/messages?${'x'.repeat(200)}`;
    const parts = siPushTpdus(href);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of [...parts].reverse()) expect(b.phone.modem.deliverSms(p)).toEqual({ ok: true });
    expect(b.pushes.map((p) => p.si.href)).toEqual([href]);
    expect(b.smsStored()).toBe(false);
  });

  it('parts that never complete are bounded: of 20 half-delivered pushes the 16 newest still complete, the 4 oldest were dropped', () => {
    const b = pushBench();
    const href = (i: number) =>
      `https://gateway.benchtwin.test/m/${String(i).padStart(2, '0')}?${'x'.repeat(150)}`;
    const sets = Array.from({ length: 20 }, (_, i) => siPushTpdus(href(i)));
    expect(sets.every((parts) => parts.length === 2)).toBe(true);
    for (const parts of sets) expect(b.phone.modem.deliverSms(parts[0]!)).toEqual({ ok: true });
    for (const parts of [...sets.slice(4), ...sets.slice(0, 4)]) {
      expect(b.phone.modem.deliverSms(parts[1]!)).toEqual({ ok: true });
    }
    expect(b.pushes.map((p) => p.si.href)).toEqual(sets.slice(4).map((_, i) => href(i + 4)));
  });

  it('a WSP push of another content type to 2948 is acknowledged and dropped with a push-ignored event', () => {
    const b = pushBench();
    const wsp = encodeWspPush({
      transactionId: 1,
      contentType: 'application/vnd.wap.mms-message',
      headers: new Uint8Array(0),
      data: Uint8Array.of(0x8c, 0x80),
    });
    const [ud] = wapPushUserData(wsp, 9);
    expect(b.phone.modem.deliverSms(deliverTpdu(ud!))).toEqual({ ok: true });
    expect(b.pushes).toEqual([]);
    expect(b.events).toMatchObject([{ type: 'push-ignored' }]);
    expect(b.smsStored()).toBe(false);
  });

  it('property: arbitrary octets to port 2948 never throw, are always acknowledged and never stored', () => {
    const b = pushBench();
    let ref = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        for (const ud of wapPushUserData(data, ++ref & 0xff)) {
          expect(b.phone.modem.deliverSms(deliverTpdu(ud))).toEqual({ ok: true });
        }
      }),
      { numRuns: 200 },
    );
    expect(b.smsStored()).toBe(false);
  });

  it('fuzz (seeded mulberry32): mutated SI pushes never throw; each complete one is a push or a push-ignored event', () => {
    const b = pushBench();
    const rnd = mulberry32(0x5eed01);
    const base = siPushTpdus('https://gateway.benchtwin.test/m')[0]!;
    // First octet, OA of 12 digits (8), PID, DCS, SCTS (7), UDL: 19 octets; then the UDH 06 05 04 0B84 23F0.
    // Mutating only the WSP PDU after them keeps every message addressed to port 2948.
    const wspStart = 19 + 7;
    expect(Array.from(base.subarray(19, wspStart))).toEqual([0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]);
    const runs = 500;
    for (let i = 0; i < runs; i++) {
      const t = Uint8Array.from(base);
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) {
        t[wspStart + Math.floor(rnd() * (t.length - wspStart))] = Math.floor(rnd() * 256);
      }
      expect(b.phone.modem.deliverSms(t)).toEqual({ ok: true });
    }
    const ignored = b.events.filter((e) => e.type === 'push-ignored').length;
    expect(ignored + b.pushes.length).toBe(runs);
    expect(ignored).toBeGreaterThan(0);
    expect(b.smsStored()).toBe(false);
  });

  it('installed applications with onPush get it with a context that can launch them; a modem without a handset stores the push', async () => {
    const b = pushBench();
    const seen: { push: WapPush; ctx: PushContext }[] = [];
    let launchedWith: unknown;
    const app: PhoneApplication = {
      id: 'listener',
      title: 'Listener',
      start(ctx: ApplicationContext) {
        launchedWith = ctx.launchData;
        ctx.show({ title: 'Started by push', lines: [] });
      },
      onKey() {},
      stop() {},
      onPush(push, ctx) {
        seen.push({ push, ctx });
        ctx.log('heard');
        expect(ctx.launch({ href: push.si.href })).toBe(true);
      },
    };
    b.handset.install(app);
    b.phone.modem.deliverSms(siPushTpdus('https://gateway.benchtwin.test/x')[0]!);
    await settle();
    expect(seen).toHaveLength(1);
    expect(b.handset.runningApp).toBe('listener');
    expect(launchedWith).toEqual({ href: 'https://gateway.benchtwin.test/x' });
    expect(b.handset.screenJson().title).toBe('Started by push');
    expect(b.events.map((e) => e.type)).toEqual(['push', 'app-log']);

    // The same TPDU to a modem no handset serves: stored and indicated as any SMS-DELIVER.
    const plain = phone('seed001', { echo: false });
    plain.send('AT+CPIN=1234\r');
    plain.send('AT+CNMI=2,1\r');
    expect(plain.modem.deliverSms(siPushTpdus('https://gateway.benchtwin.test/y')[0]!)).toEqual({ ok: true });
    expect(plain.drain()).toContain('+CMTI: "SM",1');
  });
});

describe('context for the seed-001 application: calendar time, trust store, BLE port', () => {
  it('calendarTime is epochAtClockZero plus the clock (default 2026-01-01T00:00:00Z); trustedCas and ble reach the application', () => {
    const clock = new VirtualClock();
    const ble: PhoneBlePort = {
      setUserId() {},
      notifyTransaction: () => false,
      onConfirmation: () => () => {},
    };
    const plain = new Handset({ clock });
    expect(plain.calendarTime()).toBe(DEFAULT_EPOCH_AT_CLOCK_ZERO);
    expect(new Date(DEFAULT_EPOCH_AT_CLOCK_ZERO).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    const h = new Handset({ clock, epochAtClockZero: 1_800_000_000_000, trustedCas: ['PEM'], ble });
    clock.advance(5000);
    expect(h.calendarTime()).toBe(1_800_000_005_000);
    let ctx: ApplicationContext | undefined;
    h.install({ id: 'probe', title: 'Probe', start: (c) => void (ctx = c), onKey() {}, stop() {} });
    h.powerOn();
    h.launch('probe');
    expect(ctx?.calendarTime()).toBe(1_800_000_005_000);
    expect(ctx?.trustedCas).toEqual(['PEM']);
    expect(ctx?.ble).toBe(ble);
    let bare: ApplicationContext | undefined;
    plain.install({ id: 'probe', title: 'Probe', start: (c) => void (bare = c), onKey() {}, stop() {} });
    plain.powerOn();
    plain.launch('probe');
    expect(bare?.ble).toBeUndefined();
    expect(bare?.trustedCas).toEqual([]);
  });
});
