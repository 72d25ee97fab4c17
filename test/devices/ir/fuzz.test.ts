/**
 * Fuzz runs of the IrLAP station and of a whole endpoint (SIR → IrLAP → IrLMP → IAS/Tiny TP/OBEX): seeded
 * loops over mutated valid traffic and random bytes. Nothing may throw; a station in NRM answers
 * what it cannot take with FRMR or ignores it, and stays able to disconnect cleanly.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { IrdaEndpoint } from '../../../devices/ir/endpoint.js';
import { encodeIrlapFrame, parseIrlapFrame, type IrlapFrame } from '../../../devices/ir/irlap/frame.js';
import { defaultQos } from '../../../devices/ir/irlap/params.js';
import { IrlapStation } from '../../../devices/ir/irlap/station.js';
import { encodeLmPdu } from '../../../devices/ir/irlmp.js';
import { encodeGetValueByClass } from '../../../devices/ir/ias.js';
import { encodeTtpConnect } from '../../../devices/ir/tinytp.js';
import { HI, OP, encodeObexRequest } from '../../../devices/ir/obex/packet.js';
import { sirWrap } from '../../../devices/ir/sir.js';

const CADDR = 0x42;
const snrm: IrlapFrame = {
  kind: 'SNRM',
  address: 0x7f,
  command: true,
  pf: true,
  source: 0xabcdef01,
  destination: 0x11223344,
  connectionAddress: CADDR,
  qos: defaultQos(),
};

/** Valid traffic a primary sends to an OBEX phone, as I-frame payloads. */
function upperPayloads(): Uint8Array[] {
  return [
    encodeLmPdu({ kind: 'connect', confirm: false, dlsap: 0, slsap: 0x12, userData: new Uint8Array(0) }),
    encodeLmPdu({
      kind: 'data',
      dlsap: 0,
      slsap: 0x12,
      data: encodeGetValueByClass('OBEX', 'IrDA:TinyTP:LsapSel'),
    }),
    encodeLmPdu({
      kind: 'connect',
      confirm: false,
      dlsap: 3,
      slsap: 0x13,
      userData: encodeTtpConnect({ initialCredit: 7, maxSduSize: 4096 }),
    }),
    encodeLmPdu({
      kind: 'data',
      dlsap: 3,
      slsap: 0x13,
      data: Uint8Array.from([
        0x01,
        ...encodeObexRequest({
          opcode: OP.CONNECT,
          final: true,
          connect: { version: 0x10, flags: 0, maxPacketLength: 1024 },
          headers: [],
        }),
      ]),
    }),
    encodeLmPdu({
      kind: 'data',
      dlsap: 3,
      slsap: 0x13,
      data: Uint8Array.from([
        0x00,
        ...encodeObexRequest({
          opcode: OP.PUT,
          final: true,
          headers: [
            { id: HI.NAME, value: 'x' },
            { id: HI.END_OF_BODY, value: Uint8Array.from([1, 2, 3]) },
          ],
        }),
      ]),
    }),
  ];
}

function mutate(b: Uint8Array, rnd: () => number): Uint8Array {
  const out = Uint8Array.from(b);
  const n = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < n && out.length; k++) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256);
  return rnd() < 0.2 ? out.subarray(0, Math.floor(rnd() * out.length)) : out;
}

describe('fuzz: IrLAP station', () => {
  it('20 000 mutated frames into a connected secondary: no throw, every answer is a well-formed response', () => {
    const rnd = mulberry32(0x1a9);
    const clock = new VirtualClock();
    const answers: Uint8Array[] = [];
    const s = new IrlapStation({
      clock,
      deviceAddress: 0x11223344,
      discoveryInfo: { hints: [0x82, 0x20], charset: 0, nickname: 'Dut' },
      random: mulberry32(1),
      transmit: (f) => answers.push(f),
    });
    s.user = { dataIndication: () => undefined };
    const payloads = upperPayloads();
    let ns = 0;
    for (let i = 0; i < 20_000; i++) {
      if (!s.connected) s.receive(encodeIrlapFrame(snrm));
      const f: IrlapFrame =
        rnd() < 0.5
          ? {
              kind: 'I',
              address: CADDR,
              command: true,
              pf: rnd() < 0.5,
              ns: ns++ & 7,
              nr: 0,
              info: payloads[i % payloads.length]!,
            }
          : { kind: 'RR', address: CADDR, command: true, pf: true, nr: Math.floor(rnd() * 8) };
      const bytes =
        rnd() < 0.7
          ? mutate(encodeIrlapFrame(f), rnd)
          : Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
      s.receive(bytes);
      if (rnd() < 0.01) clock.advance(1000);
    }
    expect(answers.length).toBeGreaterThan(1000);
    for (const a of answers) {
      const p = parseIrlapFrame(a);
      expect(p.ok).toBe(true);
      if (p.ok) expect(p.frame.command).toBe(false);
    }
    expect(s.stats.frmrSent).toBeGreaterThan(0);
  });
});

describe('fuzz: whole endpoint', () => {
  it('random and mutated SIR byte streams into an OBEX phone never throw', () => {
    const rnd = mulberry32(0xe9d);
    const clock = new VirtualClock();
    const out: Uint8Array[] = [];
    const phone = new IrdaEndpoint({
      clock,
      nickname: 'Phone',
      seed: 2,
      transmit: (b) => out.push(b),
      obexServer: {},
    });
    const payloads = upperPayloads();
    let ns = 0;
    for (let i = 0; i < 10_000; i++) {
      if (!phone.station.connected) phone.receive(sirWrap(encodeIrlapFrame(snrm)));
      let wire: Uint8Array;
      const r = rnd();
      if (r < 0.6) {
        // Valid frames carrying mutated upper-layer PDUs: reach IrLMP, IAS, Tiny TP and OBEX.
        const info =
          rnd() < 0.5 ? mutate(payloads[i % payloads.length]!, rnd) : payloads[i % payloads.length]!;
        wire = sirWrap(
          encodeIrlapFrame({ kind: 'I', address: CADDR, command: true, pf: true, ns: ns++ & 7, nr: 0, info }),
        );
      } else if (r < 0.9) {
        wire = mutate(
          sirWrap(encodeIrlapFrame({ kind: 'RR', address: CADDR, command: true, pf: true, nr: 0 })),
          rnd,
        );
      } else {
        wire = Uint8Array.from({ length: Math.floor(rnd() * 100) }, () => Math.floor(rnd() * 256));
      }
      phone.receive(wire);
      if (rnd() < 0.02) clock.advance(Math.floor(rnd() * 5000));
    }
    const st = phone.stats;
    expect(st.sir.frames).toBeGreaterThan(5000);
    expect(st.sir.badFcs + st.sir.aborted + st.sir.runts).toBeGreaterThan(100);
    expect(out.length).toBeGreaterThan(1000);
  });
});
