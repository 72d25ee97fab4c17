import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SSI_MAX_DATA,
  SsiDeframer,
  SsiOpcode,
  SsiSource,
  decodeParamRequest,
  decodeParamSend,
  encodeParamRequest,
  encodeParamSend,
  encodeSsi,
  ssiChecksum,
  ssiPacket,
  type SsiPacket,
} from '../../../firmware-sim/scanner/ssi.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('SSI packets: known answers', () => {
  // Checksum = two's complement of the 16-bit byte sum: 04+E9+04+00 = F1 → FF0F.
  it.each([
    ['SCAN_ENABLE from the host', SsiOpcode.SCAN_ENABLE, SsiSource.HOST, '04e90400ff0f'],
    ['CMD_ACK from the host', SsiOpcode.CMD_ACK, SsiSource.HOST, '04d00400ff28'],
    ['START_SESSION from the host', SsiOpcode.START_SESSION, SsiSource.HOST, '04e40400ff14'],
    ['CMD_ACK from the decoder', SsiOpcode.CMD_ACK, SsiSource.DECODER, '04d00000ff2c'],
  ])('%s', (_name, opcode, source, expected) => {
    expect(hex(encodeSsi(ssiPacket(opcode, source)))).toBe(expected);
  });

  it('CMD_NAK RESEND from the decoder is 05 D1 00 00 01 FF 29', () => {
    expect(hex(encodeSsi(ssiPacket(SsiOpcode.CMD_NAK, SsiSource.DECODER, [0x01])))).toBe('05d1000001ff29');
  });

  it('checksum is computed over every byte before it', () => {
    expect(ssiChecksum(Uint8Array.of(0x04, 0xe9, 0x04, 0x00))).toBe(0xff0f);
    expect(ssiChecksum(new Uint8Array(0))).toBe(0);
  });

  it('PARAM_SEND writes parameter 338 as F0 52, and a permanent change sets status bit 3', () => {
    const data = encodeParamSend([
      { number: 0xee, value: 1 },
      { number: 338, value: 1 },
    ]);
    expect(hex(data)).toBe('ffee01f05201');
    expect(decodeParamSend(data)).toEqual({
      beep: 0xff,
      params: [
        { number: 0xee, value: 1 },
        { number: 338, value: 1 },
      ],
    });
    const packet = encodeSsi(ssiPacket(SsiOpcode.PARAM_SEND, SsiSource.HOST, data, 0x08));
    expect(hex(packet.subarray(0, 4))).toBe('0ac60408');
  });

  it('refuses to encode data longer than one packet holds', () => {
    expect(() => encodeSsi(ssiPacket(SsiOpcode.DECODE_DATA, 0, new Uint8Array(SSI_MAX_DATA + 1)))).toThrow(
      RangeError,
    );
  });

  it('parameter numbers F0–FF name no parameter and cannot be encoded', () => {
    expect(() => encodeParamRequest([0xf0])).toThrow(RangeError);
    expect(() => encodeParamRequest([0x400])).toThrow(RangeError);
    expect(decodeParamRequest(Uint8Array.of(0xf0))).toBeUndefined();
    expect(decodeParamSend(Uint8Array.of(0xff, 0x01))).toBeUndefined();
  });
});

describe('SsiDeframer', () => {
  it('reports a packet with a bad checksum whole, then goes on', () => {
    const bad = encodeSsi(ssiPacket(SsiOpcode.SCAN_ENABLE, SsiSource.HOST));
    bad.writeUInt8(bad.readUInt8(5) ^ 0xff, 5);
    const good = encodeSsi(ssiPacket(SsiOpcode.SCAN_DISABLE, SsiSource.HOST));
    const frames = new SsiDeframer().push(Buffer.concat([bad, good]));
    expect(frames.map((f) => f.kind)).toEqual(['bad-checksum', 'packet']);
  });

  it('skips bytes that cannot start a packet one at a time', () => {
    const good = encodeSsi(ssiPacket(SsiOpcode.SCAN_DISABLE, SsiSource.HOST));
    const frames = new SsiDeframer().push(Buffer.concat([Buffer.from([0x00, 0x03]), good]));
    expect(frames.map((f) => f.kind)).toEqual(['bad-length', 'bad-length', 'packet']);
  });
});

const packetArb: fc.Arbitrary<SsiPacket> = fc.record({
  opcode: fc.integer({ min: 0, max: 255 }),
  source: fc.integer({ min: 0, max: 255 }),
  status: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: SSI_MAX_DATA }),
});

describe('SSI properties', () => {
  it('encode → deframe round trip for arbitrary packets, chunked arbitrarily', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        (packets, cuts) => {
          const bytes = Buffer.concat(packets.map(encodeSsi));
          const d = new SsiDeframer();
          const frames = [];
          let i = 0;
          for (let k = 0; i < bytes.length; k++) {
            const n = cuts[k % cuts.length]!;
            frames.push(...d.push(bytes.subarray(i, i + n)));
            i += n;
          }
          expect(d.pending).toBe(0);
          expect(frames.map((f) => (f.kind === 'packet' ? f.packet : f))).toEqual(packets);
        },
      ),
    );
  });

  it('PARAM_SEND and PARAM_REQUEST data round trip', () => {
    const numberArb = fc.oneof(fc.integer({ min: 0, max: 0xef }), fc.integer({ min: 0x100, max: 0x3ff }));
    fc.assert(
      fc.property(
        fc.array(fc.record({ number: numberArb, value: fc.integer({ min: 0, max: 255 }) }), {
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 255 }),
        (params, beep) => {
          expect(decodeParamSend(encodeParamSend(params, beep))).toEqual({ beep, params });
          const numbers = params.map((p) => p.number);
          expect(decodeParamRequest(encodeParamRequest(numbers))).toEqual(numbers);
        },
      ),
    );
  });

  it('arbitrary bytes never throw in the deframer, and every reported packet has a good checksum', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (chunks) => {
        const d = new SsiDeframer();
        for (const c of chunks) {
          for (const f of d.push(c)) {
            if (f.kind === 'packet') {
              const len = f.raw[0]!;
              expect(f.raw.length).toBe(len + 2);
              expect(ssiChecksum(f.raw.subarray(0, len))).toBe(f.raw.readUInt16BE(len));
            }
          }
        }
      }),
    );
  });
});
