import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { mulberry32 } from '../../../devices/serial/faults.js';
import {
  encodeDiscoveryInfo,
  encodeIrlapFrame,
  parseDiscoveryInfo,
  parseIrlapFrame,
  type IrlapFrame,
} from '../../../devices/ir/irlap/frame.js';
import {
  bitOf,
  BAUD_RATES,
  decodeQos,
  defaultQos,
  encodeQos,
  maskUpTo,
  negotiate,
  WINDOW_SIZES,
} from '../../../devices/ir/irlap/params.js';
import { IrlapStation } from '../../../devices/ir/irlap/station.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const frame = (h: string): IrlapFrame => {
  const r = parseIrlapFrame(Buffer.from(h.replace(/\s/g, ''), 'hex'));
  if (!r.ok) throw new Error(r.error);
  return r.frame;
};

describe('IrLAP frame layouts (IrLAP 1.1 §5.2 address/control, §6.2 frame formats)', () => {
  it('XID discovery command, slot 0 of 6 (§6.11.1): FF 3F 01 saddr(LE) FFFFFFFF 01 00 00', () => {
    const f: IrlapFrame = {
      kind: 'XID',
      address: 0x7f,
      command: true,
      pf: true,
      source: 0x12345678,
      destination: 0xffffffff,
      slots: 6,
      newAddress: false,
      slot: 0,
      version: 0,
      discoveryInfo: new Uint8Array(0),
    };
    expect(hex(encodeIrlapFrame(f))).toBe('ff3f0178563412ffffffff010000');
    expect(frame('ff3f0178563412ffffffff010000')).toEqual(f);
  });

  it('XID response in slot 3 (§6.11.2): FE BF, discovery info with hints, charset and nickname', () => {
    const info = encodeDiscoveryInfo({ hints: [0x82, 0x21], charset: 0, nickname: 'Phone' });
    expect(hex(info)).toBe('822100' + Buffer.from('Phone').toString('hex'));
    const f = frame('febf01' + 'efbeadde' + '78563412' + '010300' + hex(info));
    expect(f).toMatchObject({ kind: 'XID', command: false, source: 0xdeadbeef, slot: 3, slots: 6 });
    expect(parseDiscoveryInfo((f as { discoveryInfo: Uint8Array }).discoveryInfo)).toEqual({
      hints: [0x82, 0x21],
      charset: 0,
      nickname: 'Phone',
    });
  });

  it('supervisory frames: RR N(R)=3 P from address 0x42 is 85 71; RNR 85 75; REJ 85 79; SREJ 85 7D (§5.2.2.2)', () => {
    expect(frame('8571')).toEqual({ kind: 'RR', address: 0x42, command: true, pf: true, nr: 3 });
    expect(frame('8575').kind).toBe('RNR');
    expect(frame('8579').kind).toBe('REJ');
    expect(frame('857d').kind).toBe('SREJ');
    expect(frame('8461')).toEqual({ kind: 'RR', address: 0x42, command: false, pf: false, nr: 3 });
  });

  it('I frame N(S)=2 N(R)=5 P: control B4 (§5.2.2.1)', () => {
    const f: IrlapFrame = {
      kind: 'I',
      address: 0x42,
      command: true,
      pf: true,
      ns: 2,
      nr: 5,
      info: Uint8Array.from([1, 2]),
    };
    expect(hex(encodeIrlapFrame(f))).toBe('85b40102');
  });

  it('U frames: SNRM 93, UA 73, DISC 53, DM 1F, RD 53 as response, UI 13, TEST F3, FRMR 97 (§5.2.2.3)', () => {
    expect(frame('8553').kind).toBe('DISC');
    expect(frame('8453').kind).toBe('RD');
    expect(frame('841f').kind).toBe('DM');
    expect(frame('8473').kind).toBe('UA');
    expect(frame('ff13aa').kind).toBe('UI');
    expect(frame('85f3aa').kind).toBe('TEST');
    expect(frame('8497 b4 58 09')).toMatchObject({
      kind: 'FRMR',
      rejectedControl: 0xb4,
      vs: 4,
      vr: 2,
      rejectedCommand: true,
      w: true,
      x: false,
      y: false,
      z: true,
    });
  });

  it('SNRM with negotiation parameters (§6.6.1 PI/PL/PV)', () => {
    const qos = defaultQos(115200);
    const bytes = encodeIrlapFrame({
      kind: 'SNRM',
      address: 0x7f,
      command: true,
      pf: true,
      source: 1,
      destination: 2,
      connectionAddress: 0x42,
      qos,
    });
    expect(hex(bytes.subarray(0, 11))).toBe('ff93' + '01000000' + '02000000' + '84');
    expect(hex(bytes.subarray(11, 15))).toBe('0102' + '3e00'); // 9600..115200
    const back = frame(hex(bytes));
    expect(back).toMatchObject({ kind: 'SNRM', connectionAddress: 0x42, qos });
  });

  it('rejects what cannot be a frame with the reason an FRMR would give', () => {
    expect(parseIrlapFrame(Uint8Array.from([0x85]))).toMatchObject({ ok: false });
    expect(parseIrlapFrame(Uint8Array.from([0x85, 0x17]))).toMatchObject({ ok: false, frmr: 'w' }); // no such U code
    expect(parseIrlapFrame(Uint8Array.from([0x85, 0x11, 0x00]))).toMatchObject({ ok: false, frmr: 'x' }); // RR with info
    expect(parseIrlapFrame(Uint8Array.from([0x85, 0x73]))).toMatchObject({ ok: false, frmr: 'w' }); // UA as command
  });

  it('property: encode → parse round trips every frame kind', () => {
    const base = { address: fc.integer({ min: 0, max: 0x7f }), command: fc.boolean(), pf: fc.boolean() };
    const bytes = fc.uint8Array({ maxLength: 64 });
    const arb = fc.oneof(
      fc.record({
        ...base,
        kind: fc.constant('I' as const),
        ns: fc.integer({ min: 0, max: 7 }),
        nr: fc.integer({ min: 0, max: 7 }),
        info: bytes,
      }),
      fc.record({
        ...base,
        kind: fc.constantFrom('RR' as const, 'RNR' as const, 'REJ' as const, 'SREJ' as const),
        nr: fc.integer({ min: 0, max: 7 }),
      }),
      fc.record({
        ...base,
        command: fc.constant(true),
        kind: fc.constantFrom('DISC' as const, 'UI' as const, 'TEST' as const),
        info: bytes,
      }),
      fc.record({
        ...base,
        command: fc.constant(false),
        kind: fc.constantFrom('DM' as const, 'RD' as const, 'RNRM' as const),
        info: bytes,
      }),
    );
    fc.assert(
      fc.property(arb, (f) => {
        expect(parseIrlapFrame(encodeIrlapFrame(f))).toEqual({ ok: true, frame: f });
      }),
    );
  });

  it('property: arbitrary bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => void parseIrlapFrame(b)),
      { numRuns: 5000 },
    );
  });
});

describe('IrLAP negotiation (§6.6.1)', () => {
  it('type 0 parameters take the highest common bit; type 1 obey the peer', () => {
    const a = { ...defaultQos(115200) };
    const b = { ...defaultQos(38400), windowSize: maskUpTo(WINDOW_SIZES, 3) };
    const na = negotiate(a, b);
    const nb = negotiate(b, a);
    expect(na.ok && nb.ok).toBe(true);
    if (!na.ok || !nb.ok) return;
    expect(na.qos.baudRate).toBe(38400);
    expect(nb.qos.baudRate).toBe(38400);
    expect(na.qos.txWindow).toBe(3);
    expect(nb.qos.txWindow).toBe(7);
    // Line capacity at 38400 baud and 500 ms: window × data size stays within one turn.
    expect(nb.qos.txWindow * nb.qos.txDataSize).toBeLessThanOrEqual(38400 / 10 / 2);
  });

  it('fails without a common baud rate', () => {
    const r = negotiate(
      { ...defaultQos(), baudRates: bitOf(BAUD_RATES, 9600) },
      { ...defaultQos(), baudRates: bitOf(BAUD_RATES, 19200) },
    );
    expect(r.ok).toBe(false);
  });

  it('property: QoS triplets round trip; truncated lists are errors, not exceptions', () => {
    const mask = fc.integer({ min: 1, max: 0x7f });
    fc.assert(
      fc.property(
        fc.record({
          baudRates: fc.integer({ min: 1, max: 0x1ff }),
          maxTurnTime: fc.integer({ min: 1, max: 15 }),
          dataSize: fc.integer({ min: 1, max: 0x3f }),
          windowSize: mask,
          additionalBofs: fc.integer({ min: 1, max: 255 }),
          minTurnTime: fc.integer({ min: 1, max: 255 }),
          linkDisconnect: fc.integer({ min: 1, max: 255 }),
        }),
        fc.nat(),
        (q, cut) => {
          const enc = encodeQos(q);
          expect(decodeQos(enc)).toEqual({ ok: true, qos: q });
          const r = decodeQos(enc.subarray(0, cut % enc.length));
          expect(typeof r.ok).toBe('boolean');
        },
      ),
    );
  });
});

/** A station under test, with every frame it sends decoded. */
function station(seed = 1) {
  const clock = new VirtualClock();
  const sent: IrlapFrame[] = [];
  const s = new IrlapStation({
    clock,
    deviceAddress: 0x11223344,
    discoveryInfo: { hints: [0x82, 0x20], charset: 0, nickname: 'Dut' },
    random: mulberry32(seed),
    transmit: (f) => {
      const p = parseIrlapFrame(f);
      if (p.ok) sent.push(p.frame);
    },
  });
  const received: Uint8Array[] = [];
  const reasons: string[] = [];
  s.user = { dataIndication: (d) => received.push(d), disconnectIndication: (r) => reasons.push(r) };
  const give = (f: IrlapFrame): void => s.receive(encodeIrlapFrame(f));
  const connect = (): void =>
    give({
      kind: 'SNRM',
      address: 0x7f,
      command: true,
      pf: true,
      source: 0xabcdef01,
      destination: 0x11223344,
      connectionAddress: 0x42,
      qos: defaultQos(),
    });
  return { clock, s, sent, received, reasons, give, connect };
}

describe('IrLAP secondary station', () => {
  it('answers SNRM with UA carrying its parameters at 9600, then runs at the negotiated speed', () => {
    const t = station();
    t.connect();
    expect(t.sent[0]).toMatchObject({
      kind: 'UA',
      address: 0x42,
      command: false,
      pf: true,
      connection: { source: 0x11223344, destination: 0xabcdef01 },
    });
    expect(t.s.lineSetting.baudRate).toBe(115200);
    expect(t.s.role).toBe('secondary');
  });

  it('a repeated SNRM from its primary (our UA was lost) restarts the link and says so upward', () => {
    const t = station();
    t.connect();
    t.give({ kind: 'I', address: 0x42, command: true, pf: true, ns: 0, nr: 0, info: Uint8Array.from([1]) });
    t.connect();
    expect(t.reasons).toEqual(['peer']);
    expect(t.sent.filter((f) => f.kind === 'UA').length).toBe(2);
    expect(t.s.connected).toBe(true);
    // Sequence numbers start again from 0.
    t.give({ kind: 'I', address: 0x42, command: true, pf: true, ns: 0, nr: 0, info: Uint8Array.from([2]) });
    expect(t.received.map((d) => d[0])).toEqual([1, 2]);
  });

  it('takes in-sequence I frames, answers out-of-sequence ones with REJ N(R) (§6.8)', () => {
    const t = station();
    t.connect();
    t.give({ kind: 'I', address: 0x42, command: true, pf: false, ns: 0, nr: 0, info: Uint8Array.from([1]) });
    t.give({ kind: 'I', address: 0x42, command: true, pf: true, ns: 2, nr: 0, info: Uint8Array.from([3]) });
    expect(t.received.map((d) => d[0])).toEqual([1]);
    expect(t.sent.at(-1)).toMatchObject({ kind: 'REJ', nr: 1, pf: true, command: false });
    t.give({ kind: 'I', address: 0x42, command: true, pf: true, ns: 1, nr: 0, info: Uint8Array.from([2]) });
    expect(t.sent.at(-1)).toMatchObject({ kind: 'RR', nr: 2, pf: true });
  });

  it('sends its own I frames only when polled, the last with F, and retransmits what N(R) did not cover', () => {
    const t = station();
    t.connect();
    t.s.send(Uint8Array.from([9]));
    t.s.send(Uint8Array.from([8]));
    expect(t.sent.length).toBe(1);
    t.give({ kind: 'RR', address: 0x42, command: true, pf: true, nr: 0 });
    expect(t.sent.slice(1)).toMatchObject([
      { kind: 'I', ns: 0, pf: false },
      { kind: 'I', ns: 1, pf: true },
    ]);
    t.give({ kind: 'RR', address: 0x42, command: true, pf: true, nr: 1 }); // frame 1 was lost
    expect(t.sent.slice(3)).toMatchObject([{ kind: 'I', ns: 1, pf: true, info: Uint8Array.from([8]) }]);
    expect(t.s.stats.retransmitted).toBe(1);
  });

  it('an invalid N(R) puts it in the FRMR condition (Z) until DISC (§6.7.1)', () => {
    const t = station();
    t.connect();
    t.give({ kind: 'RR', address: 0x42, command: true, pf: true, nr: 5 });
    expect(t.sent.at(-1)).toMatchObject({ kind: 'FRMR', z: true, rejectedControl: 0xb1 });
    t.give({ kind: 'RR', address: 0x42, command: true, pf: true, nr: 0 });
    expect(t.sent.at(-1)).toMatchObject({ kind: 'FRMR' });
    t.give({ kind: 'DISC', address: 0x42, command: true, pf: true, info: new Uint8Array(0) });
    expect(t.sent.at(-1)).toMatchObject({ kind: 'UA', pf: true });
    expect(t.reasons).toEqual(['peer']);
    expect(t.s.lineSetting.baudRate).toBe(9600);
  });

  it('an unknown control field gets FRMR with W; an over-long I frame FRMR with Y', () => {
    const t = station();
    t.connect();
    t.s.receive(Uint8Array.from([0x85, 0x17 | 0x10]));
    expect(t.sent.at(-1)).toMatchObject({ kind: 'FRMR', w: true, rejectedControl: 0x17 | 0x10 });
    const u = station();
    u.connect();
    u.give({ kind: 'I', address: 0x42, command: true, pf: true, ns: 0, nr: 0, info: new Uint8Array(3000) });
    expect(u.sent.at(-1)).toMatchObject({ kind: 'FRMR', y: true });
  });

  it('disconnected, it answers DISC and polls with DM; it ignores frames for other connections', () => {
    const t = station();
    t.give({ kind: 'DISC', address: 0x42, command: true, pf: true, info: new Uint8Array(0) });
    expect(t.sent.at(-1)).toMatchObject({ kind: 'DM', address: 0x42, pf: true });
    t.connect();
    const n = t.sent.length;
    t.give({ kind: 'RR', address: 0x21, command: true, pf: true, nr: 0 });
    expect(t.sent.length).toBe(n);
  });

  it('answers discovery in its chosen slot only, and learns the primary from the final XID', () => {
    const t = station(3);
    const seen: string[] = [];
    t.s.user.discoveryIndication = (d) => seen.push(d.info.nickname);
    for (let slot = 0; slot < 6; slot++) {
      t.give({
        kind: 'XID',
        address: 0x7f,
        command: true,
        pf: true,
        source: 7,
        destination: 0xffffffff,
        slots: 6,
        newAddress: false,
        slot,
        version: 0,
        discoveryInfo: new Uint8Array(0),
      });
    }
    const answers = t.sent.filter((f) => f.kind === 'XID');
    expect(answers.length).toBe(1);
    expect(answers[0]).toMatchObject({ command: false, destination: 7, source: 0x11223344 });
    t.give({
      kind: 'XID',
      address: 0x7f,
      command: true,
      pf: true,
      source: 7,
      destination: 0xffffffff,
      slots: 6,
      newAddress: false,
      slot: 0xff,
      version: 0,
      discoveryInfo: encodeDiscoveryInfo({ hints: [4], charset: 0, nickname: 'Host' }),
    });
    expect(seen).toEqual(['Host']);
  });
});

describe('IrLAP primary station timers (virtual clock)', () => {
  it('polls again with RR P on each F-timer expiry and gives up after the disconnect threshold', () => {
    const t = station();
    const p = t.s.connect(0x55);
    void p.catch(() => undefined);
    const snrm = t.sent.at(-1)!;
    expect(snrm.kind).toBe('SNRM');
    t.give({
      kind: 'UA',
      address: (snrm as { connectionAddress: number }).connectionAddress,
      command: false,
      pf: true,
      connection: { source: 0x55, destination: 0x11223344, qos: { ...defaultQos(), linkDisconnect: 1 } },
    });
    expect(t.s.role).toBe('primary');
    expect(t.s.qos?.linkDisconnectMs).toBe(3000);
    expect(t.sent.at(-1)).toMatchObject({ kind: 'RR', pf: true, command: true });
    const polls = t.sent.length;
    while (t.s.connected && t.clock.runNext());
    // Each F-timer: the peer's 500 ms turnaround + 200 ms, counted from the end of the 6-byte RR poll.
    const fTimer = 500 + 200 + (6 * 10 * 1000) / 115200;
    const expiries = Math.ceil(3000 / 700);
    expect(t.clock.now()).toBeCloseTo(expiries * fTimer, 6);
    expect(t.sent.length - polls).toBe(expiries - 1);
    expect(t.reasons).toEqual(['link-timeout']);
  });

  it('retries SNRM on the F-timer and rejects the connect when nobody answers', async () => {
    const t = station();
    const p = t.s.connect(0x55);
    while (t.clock.runNext());
    await expect(p).rejects.toThrow(/no-answer/);
    expect(t.sent.filter((f) => f.kind === 'SNRM').length).toBe(13);
  });

  it('a late answer carrying an N(R) from before the last acknowledgement is ignored, not a reset', () => {
    const t = station();
    void t.s.connect(0x55).catch(() => undefined);
    const caddr = (t.sent.at(-1) as { connectionAddress: number }).connectionAddress;
    const rsp = (f: Partial<IrlapFrame> & { kind: IrlapFrame['kind'] }): void =>
      t.give({ address: caddr, command: false, pf: true, ...f } as IrlapFrame);
    rsp({ kind: 'UA', connection: { source: 0x55, destination: 0x11223344, qos: defaultQos() } });
    t.s.send(Uint8Array.from([1]));
    t.s.send(Uint8Array.from([2]));
    rsp({ kind: 'RR', nr: 0 });
    expect(t.sent.slice(-2)).toMatchObject([
      { kind: 'I', ns: 0 },
      { kind: 'I', ns: 1, pf: true },
    ]);
    rsp({ kind: 'RR', nr: 2 });
    t.s.send(Uint8Array.from([3]));
    expect(t.sent.at(-1)).toMatchObject({ kind: 'I', ns: 2, pf: true });
    rsp({ kind: 'RR', nr: 0 }); // the answer to an earlier poll, arriving late
    expect(t.s.connected).toBe(true);
    expect(t.sent.at(-1)).toMatchObject({ kind: 'I', ns: 2 }); // go back to N(R) 2, not DISC
    rsp({ kind: 'RR', nr: 6 }); // never sent: a real protocol error
    expect(t.sent.at(-1)).toMatchObject({ kind: 'DISC' });
  });
});
