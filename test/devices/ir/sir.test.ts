import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FCS_GOOD_RESIDUE,
  SirDeframer,
  checkFcs,
  crc16,
  fcs16,
  sirWrap,
  withFcs,
} from '../../../devices/ir/sir.js';
import { mulberry32 } from '../../../devices/serial/faults.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('SIR FCS (IrLAP §10.1.2: CRC-16-CCITT reflected, init FFFF, complemented)', () => {
  it('check value of "123456789" is 0x906E (the CRC catalogue entry CRC-16/X-25, an independent vector)', () => {
    expect(fcs16(ascii('123456789'))).toBe(0x906e);
  });

  it('a frame followed by its FCS, low byte first, leaves the residue 0xF0B8', () => {
    const framed = withFcs(ascii('123456789'));
    expect([...framed.subarray(-2)]).toEqual([0x6e, 0x90]);
    expect(crc16(framed)).toBe(FCS_GOOD_RESIDUE);
    expect(checkFcs(framed)).toBe(true);
  });

  it('property: the residue holds for any frame; any single bit flip breaks it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.nat(), (data, bit) => {
        const framed = withFcs(data);
        expect(crc16(framed)).toBe(FCS_GOOD_RESIDUE);
        const i = bit % (framed.length * 8);
        const bad = Uint8Array.from(framed);
        bad[i >> 3] = bad[i >> 3]! ^ (1 << (i & 7));
        expect(checkFcs(bad)).toBe(false);
      }),
    );
  });
});

describe('SIR wrapper (IrLAP §10.1: BOF C0, EOF C1, CE 7D, byte ^ 0x20)', () => {
  it('escapes C0, C1 and 7D in the frame and in the FCS', () => {
    // An RR-like frame whose address byte is C1 and whose information holds C0 and 7D.
    const frame = Uint8Array.from([0xc1, 0x11, 0xc0, 0x7d, 0x20]);
    const fcs = fcs16(frame);
    const wire = [...sirWrap(frame)];
    const body = [0x7d, 0xe1, 0x11, 0x7d, 0xe0, 0x7d, 0x5d, 0x20];
    const esc = (b: number): number[] => (b === 0xc0 || b === 0xc1 || b === 0x7d ? [0x7d, b ^ 0x20] : [b]);
    expect(wire).toEqual([0xc0, ...body, ...esc(fcs & 0xff), ...esc(fcs >>> 8), 0xc1]);
  });

  it('an unescaped frame: RR N(R)=0 P, address 0x42 command → C0 85 11 FCS C1', () => {
    const wire = sirWrap(Uint8Array.from([0x85, 0x11]));
    expect(wire[0]).toBe(0xc0);
    expect([...wire.subarray(1, 3)]).toEqual([0x85, 0x11]);
    expect(wire.at(-1)).toBe(0xc1);
    expect(wire.length).toBe(6);
  });

  it('extra BOFs are sent as FF before the BOF and ignored by the receiver', () => {
    const wire = sirWrap(Uint8Array.from([0xff, 0x3f, 1, 2]), 3);
    expect([...wire.subarray(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xc0]);
    expect(new SirDeframer().push(wire).map((f) => [...f])).toEqual([[0xff, 0x3f, 1, 2]]);
  });

  it('property: wrap → deframe round trips in any chunking, several frames in a row', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 2, maxLength: 200 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => sirWrap(f)));
          const d = new SirDeframer();
          const out: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < wire.length; i++) {
            const n = cuts[i % cuts.length]!;
            out.push(...d.push(wire.subarray(at, at + n)));
            at += n;
          }
          expect(out.map((f) => Buffer.from(f).toString('hex'))).toEqual(
            frames.map((f) => Buffer.from(f).toString('hex')),
          );
          expect(d.stats.frames).toBe(frames.length);
          expect(d.stats.badFcs).toBe(0);
        },
      ),
    );
  });

  it('drops and counts frames with a bad FCS, keeps the good ones around them', () => {
    const good = sirWrap(Uint8Array.from([0x85, 0x11]));
    const bad = Uint8Array.from(sirWrap(Uint8Array.from([0x85, 0x31, 9, 9])));
    bad[3] = bad[3]! ^ 0x04;
    const d = new SirDeframer();
    const got = d.push(Buffer.concat([good, bad, good]));
    expect(got.length).toBe(2);
    expect(d.stats).toMatchObject({ frames: 2, badFcs: 1 });
  });

  it('counts runts, the 7D C1 abort and frames over the size limit', () => {
    const d = new SirDeframer(64);
    d.push(Uint8Array.from([0xc0, 0x01, 0x02, 0xc1])); // runt
    d.push(Uint8Array.from([0xc0, 0x01, 0x7d, 0xc1])); // abort
    d.push(Uint8Array.from([0xc0, ...new Array(100).fill(0x55), 0xc1])); // too long
    expect(d.stats).toMatchObject({ runts: 1, aborted: 2, frames: 0 });
    expect(d.push(sirWrap(Uint8Array.from([0x85, 0x11]))).length).toBe(1);
  });

  it('fuzz: 20 000 random and mutated byte streams never throw; only whole frames with address and control come out', () => {
    const rnd = mulberry32(0x51e);
    const d = new SirDeframer();
    let handed = 0;
    const seedWire = sirWrap(Uint8Array.from([0xff, 0xbf, 1, 0xc0, 0x7d, 0xc1, 5]));
    for (let i = 0; i < 20_000; i++) {
      const base =
        rnd() < 0.5
          ? Uint8Array.from(seedWire)
          : Uint8Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
      for (let k = 0; k < 3; k++)
        if (base.length) base[Math.floor(rnd() * base.length)] = Math.floor(rnd() * 256);
      const frames = d.push(base);
      handed += frames.length;
      for (const f of frames) expect(f.length).toBeGreaterThanOrEqual(2);
    }
    const s = d.stats;
    expect(handed).toBe(s.frames);
    expect(s.frames + s.badFcs + s.runts + s.aborted).toBeGreaterThan(1000);
  });
});
