/**
 * Property tests of the pure parts: the serial framer, label decoding, and the SSI and Honeywell links fed
 * through a recording LinkContext (no port: these are the byte-level state machines alone).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../firmware-sim/clock.js';
import {
  SsiOpcode,
  SsiSource,
  SsiStatus,
  SsiDeframer,
  encodeSsi,
  ssiPacket,
} from '../../../../firmware-sim/scanner/ssi.js';
import {
  HoneywellLink,
  SerialFramer,
  SsiLink,
  UposError,
  UposException,
  decodeSerialLabel,
  labelStart,
} from '../../../../host/drivers/scanner/index.js';
import type { DecodedLabel, LinkContext } from '../../../../host/drivers/scanner/index.js';

const CRLF = Buffer.from('\r\n');

function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

class RecordingContext implements LinkContext {
  readonly clock = new VirtualClock();
  readonly written: Buffer[] = [];
  readonly labels: { scanData: Buffer; decoded: DecodedLabel }[] = [];
  readonly errors: number[] = [];
  write(bytes: Uint8Array): Promise<void> {
    this.written.push(Buffer.from(bytes));
    return Promise.resolve();
  }
  label(scanData: Buffer, decoded: DecodedLabel): void {
    this.labels.push({ scanData, decoded });
  }
  inputError(code: number): void {
    this.errors.push(code);
  }
  trace(): void {}
}

describe('SerialFramer properties', () => {
  it('never throws on arbitrary chunks and silences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 80 }), fc.nat({ max: 120 })), { maxLength: 40 }),
        fc.boolean(),
        (steps, withStart) => {
          const clock = new VirtualClock();
          const framer = new SerialFramer({
            suffix: CRLF,
            interByteTimeoutMs: 50,
            clock,
            maxFrameLength: 256,
            ...(withStart ? { frameStart: labelStart(Buffer.alloc(0), true)! } : {}),
            onFrame: (frame) => {
              expect(frame.length).toBeGreaterThan(0);
            },
          });
          for (const [chunk, pause] of steps) {
            framer.push(chunk);
            clock.advance(pause);
          }
          clock.advance(1000);
          expect(framer.pending).toBe(0);
        },
      ),
    );
  });

  it('returns the labels, in order, however the stream is cut (CR LF inside data allowed with AIM ids)', () => {
    const data = fc
      .string({ unit: fc.constantFrom('a', 'b', '0', '9', ']', 'Q', '\r', '\n', '\x1d'), maxLength: 30 })
      .filter((d) => !d.includes('\r\n]'));
    fc.assert(
      fc.property(
        fc.array(data, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (labels, cuts) => {
          const clock = new VirtualClock();
          const frames: string[] = [];
          const framer = new SerialFramer({
            suffix: CRLF,
            interByteTimeoutMs: 50,
            clock,
            frameStart: labelStart(Buffer.alloc(0), true)!,
            onFrame: (f) => frames.push(f.toString('latin1')),
          });
          const stream = Buffer.from(labels.map((l) => `]Q1${l}\r\n`).join(''), 'latin1');
          for (const c of chunked(stream, cuts)) framer.push(c);
          clock.advance(100);
          expect(frames).toEqual(labels.map((l) => `]Q1${l}`));
        },
      ),
    );
  });

  it('splits at every suffix without a frame-start rule', () => {
    const data = fc.string({ unit: fc.constantFrom('a', '1', '\t', ' '), minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(
        fc.array(data, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (labels, cuts) => {
          const clock = new VirtualClock();
          const frames: string[] = [];
          const framer = new SerialFramer({
            suffix: Buffer.from('\r'),
            interByteTimeoutMs: 50,
            clock,
            onFrame: (f) => frames.push(f.toString('latin1')),
          });
          for (const c of chunked(Buffer.from(labels.map((l) => `${l}\r`).join(''), 'latin1'), cuts))
            framer.push(c);
          clock.advance(100);
          expect(frames).toEqual(labels);
        },
      ),
    );
  });

  it('decodeSerialLabel never throws', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.constantFrom('aim', 'honeywell', 'none' as const),
        (raw, mode) => {
          const d = decodeSerialLabel(Buffer.from(raw), Buffer.from('#'), mode);
          expect(d.label.length).toBeLessThanOrEqual(raw.length);
        },
      ),
    );
  });
});

describe('SsiLink properties', () => {
  const options = {
    interByteTimeoutMs: 50,
    responseTimeoutMs: 100,
    retries: 2,
    aimId: true,
    params: [],
    maxLabelLength: 4096,
  };

  it('never throws on arbitrary bytes, and answers only with well-formed host packets', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const ctx = new RecordingContext();
        const link = new SsiLink(ctx, options);
        for (const c of chunks) {
          link.receive(Buffer.from(c));
          ctx.clock.advance(10);
        }
        ctx.clock.advance(1000);
        const deframer = new SsiDeframer();
        for (const f of deframer.push(Buffer.concat(ctx.written))) {
          expect(f.kind).toBe('packet');
          if (f.kind === 'packet') {
            expect(f.packet.source).toBe(SsiSource.HOST);
            expect([SsiOpcode.CMD_ACK, SsiOpcode.CMD_NAK]).toContain(f.packet.opcode);
          }
        }
        link.dispose();
      }),
    );
  });

  it('delivers every DECODE_DATA once and ACKs each packet, however the stream is cut', () => {
    const label = fc.string({
      unit: fc.constantFrom('a', '1', '\r', '\x1d', '\x00', '\xff'),
      minLength: 1,
      maxLength: 600,
    });
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (labels, cuts) => {
          const ctx = new RecordingContext();
          const link = new SsiLink(ctx, options);
          let packets = 0;
          const stream = Buffer.concat(
            labels.flatMap((l) => {
              const bytes = Buffer.from(`]Q1${l}`, 'latin1');
              const parts: Buffer[] = [];
              for (let i = 0; i < bytes.length; i += 200) {
                const last = i + 200 >= bytes.length;
                parts.push(
                  encodeSsi(
                    ssiPacket(
                      SsiOpcode.DECODE_DATA,
                      SsiSource.DECODER,
                      [0x1c, ...bytes.subarray(i, i + 200)],
                      last ? 0 : SsiStatus.CONTINUATION,
                    ),
                  ),
                );
                packets++;
              }
              return parts;
            }),
          );
          for (const c of chunked(stream, cuts)) link.receive(c);
          expect(ctx.labels.map((l) => l.decoded.label.toString('latin1'))).toEqual(labels);
          expect(ctx.written).toHaveLength(packets);
          link.dispose();
        },
      ),
    );
  });
});

describe('HoneywellLink properties', () => {
  it('never throws on arbitrary bytes while a menu reply is awaited', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 20 }), async (chunks) => {
        const ctx = new RecordingContext();
        const link = new HoneywellLink(
          ctx,
          {
            suffix: CRLF,
            prefix: Buffer.alloc(0),
            symbologyId: 'aim',
            interByteTimeoutMs: 50,
            maxLabelLength: 256,
            responseTimeoutMs: 100,
            retries: 0,
            menu: [],
          },
          () => {},
        );
        const done = link.configure().then(
          () => 'ok',
          (e: unknown) => (e instanceof UposException ? e.errorCode : -1),
        );
        await new Promise((r) => setImmediate(r)); // the command is written from the link's queue
        expect(ctx.written).toHaveLength(1);
        for (const c of chunks) link.receive(Buffer.from(c));
        ctx.clock.advance(1000);
        const result = await done;
        expect(['ok', UposError.E_FAILURE, UposError.E_TIMEOUT]).toContain(result);
        link.dispose();
      }),
    );
  });
});
