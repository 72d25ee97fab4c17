import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../devices/serial/faults.js';
import {
  encodeLmPdu,
  parseLmPdu,
  IrlmpMux,
  LM_REASON,
  type IrlapService,
  type LmPdu,
} from '../../../devices/ir/irlmp.js';
import {
  IAS_NO_SUCH_ATTRIBUTE,
  IAS_NO_SUCH_CLASS,
  IAS_SUCCESS,
  IAS_UNSUPPORTED,
  IasServer,
  encodeGetValueByClass,
  encodeIasResponse,
  parseIasRequest,
  parseIasResponse,
  standardIasDatabase,
} from '../../../devices/ir/ias.js';
import { encodeTtpConnect, parseTtpConnect, TinyTpConnection } from '../../../devices/ir/tinytp.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('IrLMP LM-PDUs (IrLMP 1.1 §4.3)', () => {
  it('Connect request from LSAP 0x12 to the IAS LSAP: 80 12 01 00; confirm 92 00 81 00', () => {
    expect(
      hex(
        encodeLmPdu({ kind: 'connect', confirm: false, dlsap: 0, slsap: 0x12, userData: new Uint8Array(0) }),
      ),
    ).toBe('80120100');
    expect(
      hex(
        encodeLmPdu({ kind: 'connect', confirm: true, dlsap: 0x12, slsap: 0, userData: new Uint8Array(0) }),
      ),
    ).toBe('92008100');
  });

  it('Disconnect with reason 1 (user request) and data PDUs', () => {
    expect(
      hex(
        encodeLmPdu({
          kind: 'disconnect',
          dlsap: 3,
          slsap: 0x12,
          reason: LM_REASON.USER_REQUEST,
          userData: new Uint8Array(0),
        }),
      ),
    ).toBe('83120201');
    expect(parseLmPdu(Buffer.from('0312aabb', 'hex'))).toEqual({
      ok: true,
      pdu: { kind: 'data', dlsap: 3, slsap: 0x12, data: Uint8Array.from([0xaa, 0xbb]) },
    });
    expect(parseLmPdu(Uint8Array.from([0x83, 0x12, 0x09, 0]))).toMatchObject({ ok: false });
  });

  it('property: LM-PDUs round trip', () => {
    const sel = fc.integer({ min: 0, max: 0x7f });
    const data = fc.uint8Array({ maxLength: 40 });
    const arb: fc.Arbitrary<LmPdu> = fc.oneof(
      fc.record({ kind: fc.constant('data' as const), dlsap: sel, slsap: sel, data }),
      fc.record({
        kind: fc.constant('connect' as const),
        confirm: fc.boolean(),
        dlsap: sel,
        slsap: sel,
        userData: data,
      }),
      fc.record({
        kind: fc.constant('disconnect' as const),
        dlsap: sel,
        slsap: sel,
        reason: fc.integer({ min: 0, max: 255 }),
        userData: data,
      }),
    );
    fc.assert(
      fc.property(arb, (p) => {
        expect(parseLmPdu(encodeLmPdu(p))).toEqual({ ok: true, pdu: p });
      }),
    );
  });

  it('refuses a connect to an unbound LSAP with reason 8 and answers data on a closed LSAP with reason 6', () => {
    const out: Uint8Array[] = [];
    const link: IrlapService = { send: (b) => (out.push(b), true), maxData: 64, connected: true };
    const mux = new IrlmpMux(link);
    mux.receive(
      encodeLmPdu({ kind: 'connect', confirm: false, dlsap: 0x30, slsap: 0x12, userData: new Uint8Array(0) }),
    );
    expect(parseLmPdu(out[0]!)).toMatchObject({
      ok: true,
      pdu: { kind: 'disconnect', dlsap: 0x12, slsap: 0x30, reason: 0x08 },
    });
    mux.receive(encodeLmPdu({ kind: 'data', dlsap: 0x30, slsap: 0x12, data: Uint8Array.from([1]) }));
    expect(parseLmPdu(out[1]!)).toMatchObject({ ok: true, pdu: { kind: 'disconnect', reason: 0x06 } });
    expect(mux.stats.dataOnDisconnectedLsap).toBe(1);
  });
});

describe('IAS (IrLMP 1.1 §4.7)', () => {
  const db = standardIasDatabase('Phone-0001', 0x03);

  it('GetValueByClass("OBEX", "IrDA:TinyTP:LsapSel") request and the integer answer', () => {
    const req = encodeGetValueByClass('OBEX', 'IrDA:TinyTP:LsapSel');
    expect(hex(req)).toBe(
      '84' + '04' + hex(Buffer.from('OBEX')) + '13' + hex(Buffer.from('IrDA:TinyTP:LsapSel')),
    );
    expect(parseIasRequest(req)).toEqual({ ok: true, className: 'OBEX', attribute: 'IrDA:TinyTP:LsapSel' });
    const answer = db.getValueByClass('OBEX', 'IrDA:TinyTP:LsapSel');
    // Last|op, success, one entry, object id 1, integer 3.
    expect(hex(encodeIasResponse(4, answer))).toBe('84' + '00' + '0001' + '0001' + '01' + '00000003');
  });

  it('DeviceName is a user string; missing classes and attributes get their return codes', () => {
    const r = parseIasResponse(encodeIasResponse(4, db.getValueByClass('Device', 'DeviceName')));
    expect(r).toEqual({
      ok: true,
      last: true,
      answer: {
        returnCode: IAS_SUCCESS,
        entries: [{ objectId: 0, value: { type: 'string', charset: 0, value: 'Phone-0001' } }],
      },
    });
    expect(db.getValueByClass('Nope', 'x').returnCode).toBe(IAS_NO_SUCH_CLASS);
    expect(db.getValueByClass('OBEX', 'x').returnCode).toBe(IAS_NO_SUCH_ATTRIBUTE);
  });

  it('the server answers unsupported operations with 0xFF and garbage without throwing', () => {
    const sent: Uint8Array[] = [];
    const conn = {
      onData: (_d: Uint8Array) => undefined,
      send: (d: Uint8Array) => (sent.push(d), true),
      maxData: 62,
    };
    new IasServer(db).connectIndication(conn as never);
    conn.onData(Uint8Array.from([0x81])); // GetInfoBaseDetails
    conn.onData(Uint8Array.from([0x84, 0x40]));
    expect(sent.map((s) => s[1])).toEqual([IAS_UNSUPPORTED, IAS_UNSUPPORTED]);
  });

  it('property: arbitrary bytes never throw the IAS parsers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        parseIasRequest(b);
        parseIasResponse(b);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('Tiny TP (Tiny TP 1.1 §2)', () => {
  it('connect parameters: initial credit 14 and MaxSduSize 0x2000: 8E 04 01 02 20 00', () => {
    expect(hex(encodeTtpConnect({ initialCredit: 14, maxSduSize: 0x2000 }))).toBe('8e0401022000');
    expect(parseTtpConnect(Buffer.from('8e0401022000', 'hex'))).toEqual({
      ok: true,
      params: { initialCredit: 14, maxSduSize: 0x2000 },
    });
    expect(hex(encodeTtpConnect({ initialCredit: 7, maxSduSize: 0 }))).toBe('07');
    expect(parseTtpConnect(Buffer.from('8e0501', 'hex')).ok).toBe(false);
  });

  /** Two Tiny TP ends joined back to back by their LSAP sends (a test double for IrLMP, named as such). */
  function backToBack(creditA: number, creditB: number, maxSdu: number) {
    const queueAB: Uint8Array[] = [];
    const queueBA: Uint8Array[] = [];
    const lsap = (q: Uint8Array[]) => ({
      state: 'open',
      maxData: 62,
      send: (d: Uint8Array) => (q.push(d), true),
      onData: (_: Uint8Array) => undefined,
      onDisconnect: () => undefined,
      disconnect: () => undefined,
    });
    const la = lsap(queueAB);
    const lb = lsap(queueBA);
    const a = new TinyTpConnection(
      la as never,
      { initialCredit: creditB, maxSduSize: maxSdu },
      creditA,
      maxSdu,
    );
    const b = new TinyTpConnection(
      lb as never,
      { initialCredit: creditA, maxSduSize: maxSdu },
      creditB,
      maxSdu,
    );
    const pump = (): void => {
      while (queueAB.length || queueBA.length) {
        if (queueAB.length) lb.onData(queueAB.shift()!);
        if (queueBA.length) la.onData(queueBA.shift()!);
      }
    };
    return { a, b, pump, queueAB };
  }

  it('in a test double of IrLMP: segments SDUs with M bits, reassembles them, and never exceeds the credit', () => {
    const t = backToBack(4, 2, 4000);
    const got: Uint8Array[] = [];
    t.b.onSdu = (s) => got.push(s);
    const sdu = Uint8Array.from({ length: 500 }, (_, i) => i & 0xff);
    t.a.send(sdu);
    expect(t.queueAB.length).toBe(2); // two credits granted by b
    expect(t.queueAB[0]![0]! & 0x80).toBe(0x80);
    t.pump();
    expect(got.length).toBe(1);
    expect(Buffer.from(got[0]!).equals(Buffer.from(sdu))).toBe(true);
    expect(t.b.stats.creditOnlySent).toBeGreaterThan(0);
  });

  it('property: any SDU sequence arrives whole and in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 700 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 10 }),
        (sdus, credit) => {
          const t = backToBack(credit, credit, 1000);
          const got: string[] = [];
          t.b.onSdu = (s) => got.push(hex(s));
          for (const s of sdus) t.a.send(s);
          t.pump();
          expect(got).toEqual(sdus.map(hex));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('an SDU over our MaxSduSize ends the connection (Tiny TP §2.4)', () => {
    const t = backToBack(10, 10, 100);
    let reason = -1;
    t.b.onDisconnect = (r) => (reason = r);
    // The sender believes the limit is larger: forge two segments that add up to 120 bytes.
    (t.a as unknown as { txMaxSdu: number }).txMaxSdu = 1000;
    t.a.send(new Uint8Array(120));
    t.pump();
    expect(reason).toBe(LM_REASON.USER_REQUEST);
  });
});

describe('fuzz: upper-layer parsers on mutated valid PDUs', () => {
  it('LM, IAS and Tiny TP parsers never throw on 30 000 mutations', () => {
    const rnd = mulberry32(0x1a5);
    const seeds = [
      encodeLmPdu({
        kind: 'connect',
        confirm: false,
        dlsap: 0,
        slsap: 0x12,
        userData: encodeTtpConnect({ initialCredit: 14, maxSduSize: 0x2000 }),
      }),
      encodeGetValueByClass('OBEX', 'IrDA:TinyTP:LsapSel'),
      encodeIasResponse(4, standardIasDatabase('X', 3).getValueByClass('Device', 'DeviceName')),
    ];
    let errors = 0;
    for (let i = 0; i < 30_000; i++) {
      const b = Uint8Array.from(seeds[i % seeds.length]!);
      const cut = rnd() < 0.3 ? Math.floor(rnd() * b.length) : b.length;
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++)
        b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const m = b.subarray(0, cut);
      for (const r of [parseLmPdu(m), parseIasRequest(m), parseIasResponse(m), parseTtpConnect(m)])
        if (!r.ok) errors++;
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
