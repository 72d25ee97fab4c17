import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getScannerProfile, type ScannerProfile } from '../../../devices/profiles/scanners.js';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { ScannerFirmware } from '../../../firmware-sim/scanner/engine.js';
import {
  encodeMenuCommand,
  encodeTrigger,
  encodeUntrigger,
  findMenuReplyEnd,
  parseMenuReply,
} from '../../../firmware-sim/scanner/honeywell.js';
import { MemoryNvram } from '../../../firmware-sim/scanner/settings.js';
import {
  SsiDeframer,
  SsiNakCause,
  SsiOpcode,
  SsiSource,
  SsiStatus,
  decodeParamSend,
  encodeParamRequest,
  encodeParamSend,
  encodeSsi,
  ssiPacket,
  type SsiPacket,
} from '../../../firmware-sim/scanner/ssi.js';
import { SsiParam } from '../../../firmware-sim/scanner/ssi-params.js';
import type { Symbology } from '../../../firmware-sim/scanner/symbology.js';
import type { DecodeFn, ScanInput } from '../../../firmware-sim/scanner/types.js';
import { decode } from '../../../firmware-sim/scanner/decode.js';

/** The real decode engine: symbols given as data are validated and formatted; an 8-byte non-PNG reads as nothing. */
const realDecode: DecodeFn = decode;

const sym = (symbology: Symbology, text: string): ScanInput => ({ kind: 'symbol', symbology, text });
const EAN13 = sym('ean13', '4901234567894');
const BLANK_IMAGE: ScanInput = { kind: 'image', png: new Uint8Array(8) };

function rig(
  profileName: string,
  opts: { nvram?: MemoryNvram; clock?: VirtualClock; profile?: Partial<ScannerProfile> } = {},
) {
  const clock = opts.clock ?? new VirtualClock();
  const profile = { ...getScannerProfile(profileName), ...opts.profile };
  const chunks: Buffer[] = [];
  const fw = new ScannerFirmware({
    profile,
    clock,
    decode: realDecode,
    nvram: opts.nvram,
    transmit: (b) => chunks.push(Buffer.from(b)),
  });
  /** Everything sent since the last call. */
  const take = (): Buffer => Buffer.concat(chunks.splice(0));
  return { fw, clock, chunks, take };
}

const honeywell = (opts: Parameters<typeof rig>[1] = {}) => rig('honeywell-1900', opts);
const zebra = (opts: Parameters<typeof rig>[1] = {}) => rig('zebra-ds4308', opts);

function menu(r: ReturnType<typeof rig>, body: string, storage: '!' | '.' = '!'): string {
  r.fw.receive(encodeMenuCommand(body, storage));
  return r.take().toString('latin1');
}

const host = (opcode: number, data: ArrayLike<number> = [], status = 0): Buffer =>
  encodeSsi(ssiPacket(opcode, SsiSource.HOST, data, status));

function packets(bytes: Uint8Array): SsiPacket[] {
  const d = new SsiDeframer();
  const frames = d.push(bytes);
  expect(d.pending).toBe(0);
  return frames.map((f) => {
    if (f.kind !== 'packet') throw new Error(`not a packet: ${JSON.stringify(f)}`);
    return f.packet;
  });
}

// =============================================================================================================

describe('Honeywell 1900 firmware', () => {
  it('default serial output is ]E0 + data + CR LF for EAN-13 4901234567894', () => {
    const r = honeywell();
    const result = r.fw.scan(EAN13);
    expect(result.read).toBe(true);
    expect(r.take().toString('latin1')).toBe(']E04901234567894\r\n');
  });

  it('an image with no barcode gives no output and a no-read result', () => {
    const r = honeywell();
    expect(r.fw.scan(BLANK_IMAGE)).toEqual({ read: false, reason: 'no-read' });
    expect(r.chunks).toHaveLength(0);
  });

  it('AIM off (PRECA2), Code ID instead (PREBK2995C80), custom prefix and suffix', () => {
    const r = honeywell();
    expect(menu(r, 'PRECA2')).toBe('PRECA2\x06!');
    r.fw.scan(EAN13);
    expect(r.take().toString('latin1')).toBe('4901234567894\r\n');

    expect(menu(r, 'PREBK2995C80')).toBe('PREBK2995C80\x06!');
    r.fw.scan(EAN13);
    expect(r.take().toString('latin1')).toBe('d4901234567894\r\n');

    // A symbology's own entry (Code 128, Code ID j = 6A) overrides the 99 entry.
    expect(menu(r, 'PRECA2,BK2993E;PREBK26A5C81;SUFCA2,BK2990D')).toBe(
      'PRECA2\x06,BK2993E\x06;PREBK26A5C81\x06;SUFCA2\x06,BK2990D\x06!',
    );
    r.fw.scan(EAN13);
    expect(r.take().toString('latin1')).toBe('>4901234567894\r');
    r.fw.scan(sym('code128', 'ABC-123'));
    expect(r.take().toString('latin1')).toBe(']C0ABC-123\r');

    expect(menu(r, 'PREENA0;SUFENA0')).toBe('PREENA0\x06;SUFENA0\x06!');
    r.fw.scan(EAN13);
    expect(r.take().toString('latin1')).toBe('4901234567894');
  });

  it('answers queries as the guide shows: current, default and range, with ACK', () => {
    const r = honeywell();
    expect(menu(r, 'trgsto?', '.')).toBe('TRGSTO30000\x06.');
    expect(menu(r, 'TRGSTO*', '.')).toBe('TRGSTO0-300000\x06.');
    expect(menu(r, 'BEPLVL1!'.slice(0, -1))).toBe('BEPLVL1\x06!');
    expect(menu(r, 'BEPLVL?')).toBe('BEPLVL1\x06!');
    expect(menu(r, 'BEPLVL^')).toBe('BEPLVL3\x06!');
    expect(menu(r, 'PREBK2?')).toBe('PREBK2995C81\x06!');
    expect(menu(r, 'TRGMOD*')).toBe('TRGMOD0|3|4|8|9\x06!');
    // A SubTag query lists every setting of the tag, the later ones after ','.
    const all = parseMenuReply(menu(r, 'BEP?'));
    expect(all?.entries.map((e) => e.subtag + e.value)).toEqual(['LVL1', 'BEP1', 'ERR1']);
  });

  it('unknown tag → ENQ, bad value → NAK, ACK for the good ones in the same sequence', () => {
    const r = honeywell();
    expect(menu(r, 'XYZABC1')).toBe('XYZABC1\x05!');
    expect(menu(r, 'BEPLVL9')).toBe('BEPLVL9\x15!');
    expect(menu(r, 'BEPLVL1,XXX1;TRGSTO500;TRGSTO9999999')).toBe(
      'BEPLVL1\x06,XXX1\x05;TRGSTO500\x06;TRGSTO9999999\x15!',
    );
    expect(menu(r, 'PREBK2ZZ')).toBe('PREBK2ZZ\x15!');
  });

  it('REVINF replies with the revision information', () => {
    const r = honeywell();
    const reply = parseMenuReply(menu(r, 'REVINF', '.'));
    expect(reply?.entries[0]?.status).toBe('ack');
    expect(reply?.entries[0]?.value).toContain('Software Part Number: BF000146BAA');
  });

  it('serial trigger reads what is presented, and stops at the read time-out on the virtual clock', () => {
    const r = honeywell();
    r.fw.present(EAN13);
    expect(r.chunks).toHaveLength(0); // manual trigger mode: presenting alone reads nothing
    r.fw.receive(encodeTrigger());
    expect(r.take().toString('latin1')).toBe(']E04901234567894\r\n');

    menu(r, 'TRGSTO1000');
    r.fw.receive(encodeTrigger());
    expect(r.fw.reading).toBe(true);
    r.clock.advance(999);
    r.fw.present(sym('code39', 'LATE'));
    expect(r.take().toString('latin1')).toBe(']A0LATE\r\n');

    r.fw.receive(encodeTrigger());
    r.clock.advance(1000);
    expect(r.fw.reading).toBe(false);
    r.fw.present(EAN13);
    expect(r.chunks).toHaveLength(0);
    r.fw.present(undefined);

    r.fw.receive(encodeTrigger());
    r.fw.receive(encodeUntrigger());
    r.fw.present(EAN13);
    expect(r.chunks).toHaveLength(0);
  });

  it('presentation mode (TRGMOD3) reads whatever is presented', () => {
    const r = honeywell();
    menu(r, 'TRGMOD3');
    expect(r.fw.triggerMode).toBe('presentation');
    expect(r.fw.present(EAN13)).toMatchObject({ read: true });
    expect(r.take().toString('latin1')).toBe(']E04901234567894\r\n');
  });

  it('a disabled symbology is not read', () => {
    const r = honeywell();
    expect(menu(r, 'E13ENA0')).toBe('E13ENA0\x06!');
    expect(r.fw.scan(EAN13)).toEqual({ read: false, reason: 'symbology-disabled' });
    expect(r.chunks).toHaveLength(0);
  });

  it('good read: beep and a green LED flash that goes off on the clock', () => {
    const r = honeywell();
    const events: string[] = [];
    r.fw.on('beep', (e) => events.push(`beep:${e.kind}:${e.volume}`));
    r.fw.on('led', (e) => events.push(`led:${e.state}`));
    r.fw.scan(EAN13);
    expect(r.fw.led).toBe('green');
    expect(r.fw.beeper).toMatchObject({ count: 1, last: 'good-read', volume: 3 });
    r.clock.advance(r.fw.profile.goodReadLedMs);
    expect(r.fw.led).toBe('off');
    expect(events).toEqual(['beep:good-read:3', 'led:green', 'led:off']);
    menu(r, 'BEPLVL0');
    r.fw.scan(EAN13);
    expect(r.fw.beeper.count).toBe(1);
  });

  it('"!" changes are lost at power cycle, "." changes are kept in nvram', () => {
    const nvram = new MemoryNvram();
    const a = honeywell({ nvram });
    menu(a, 'BEPLVL1');
    menu(a, 'PRECA2', '.');
    a.fw.powerOff();
    const b = honeywell({ nvram });
    expect(menu(b, 'BEPLVL?')).toBe('BEPLVL3\x06!');
    b.fw.scan(EAN13);
    expect(b.take().toString('latin1')).toBe('4901234567894\r\n');
    // '.' queries read the non-volatile table; DEFALT. resets it too.
    menu(b, 'BEPLVL2');
    expect(menu(b, 'BEPLVL?', '.')).toBe('BEPLVL3\x06.');
    expect(menu(b, 'DEFALT', '.')).toBe('DEFALT\x06.');
    const c = honeywell({ nvram });
    c.fw.scan(EAN13);
    expect(c.take().toString('latin1')).toBe(']E04901234567894\r\n');
  });

  it('long output is split into the profile chunk size', () => {
    const r = honeywell();
    r.fw.scan(sym('qr', 'x'.repeat(150)));
    expect(r.chunks.map((c) => c.length)).toEqual([64, 64, 27]);
  });
});

// =============================================================================================================

describe('Zebra DS4308 SSI firmware', () => {
  it('sends DECODE_DATA [type][AIM + data] from the decoder, and nothing more once the host ACKs', () => {
    const r = zebra();
    r.fw.scan(EAN13);
    const [p, ...rest] = packets(r.take());
    expect(rest).toHaveLength(0);
    expect(p).toMatchObject({ opcode: SsiOpcode.DECODE_DATA, source: SsiSource.DECODER, status: 0 });
    expect(p!.data[0]).toBe(0x0b);
    expect(Buffer.from(p!.data.subarray(1)).toString('latin1')).toBe(']E04901234567894');
    expect(r.chunks).toHaveLength(0);
    r.fw.receive(host(SsiOpcode.CMD_ACK));
    r.clock.advance(60_000);
    expect(r.take()).toHaveLength(0);
  });

  it('splits packets over several writes (chunkSize 16)', () => {
    const r = zebra();
    r.fw.scan(EAN13);
    expect(r.chunks.map((c) => c.length)).toEqual([16, 7]);
  });

  it('NAK RESEND → retransmission with the retransmit bit set', () => {
    const r = zebra();
    r.fw.scan(EAN13);
    const first = packets(r.take())[0]!;
    r.fw.receive(host(SsiOpcode.CMD_NAK, [SsiNakCause.RESEND]));
    const again = packets(r.take())[0]!;
    expect(again.status).toBe(SsiStatus.RETRANSMIT);
    expect(again.data).toEqual(first.data);
  });

  it('no ACK → two retransmissions at the serial response time-out, then a transmission error', () => {
    const r = zebra();
    const errors: string[] = [];
    r.fw.on('transmit-error', () => errors.push('error'));
    r.fw.scan(EAN13);
    expect(packets(r.take())[0]!.status).toBe(0);
    r.clock.advance(1999);
    expect(r.chunks).toHaveLength(0);
    r.clock.advance(1);
    expect(packets(r.take())[0]!.status).toBe(SsiStatus.RETRANSMIT);
    r.clock.advance(2000);
    expect(packets(r.take())[0]!.status).toBe(SsiStatus.RETRANSMIT);
    r.clock.advance(2000);
    expect(r.take()).toHaveLength(0);
    expect(errors).toEqual(['error']);
    const ssi = r.fw.commandSet;
    expect('counters' in ssi && ssi.counters).toMatchObject({ transmitErrors: 1, retransmissions: 2 });
    expect(r.fw.beeper.last).toBe('transmit-error');
    expect(r.clock.pending).toBeLessThanOrEqual(1); // only the LED timer may remain
  });

  it('600 bytes of data go as three packets with the continuation bit, each ACKed before the next', () => {
    const r = zebra();
    const text = Array.from({ length: 600 }, (_, i) => String.fromCharCode(0x21 + (i % 90))).join('');
    r.fw.scan(sym('pdf417', text));
    const got: SsiPacket[] = [];
    for (let i = 0; i < 3; i++) {
      const ps = packets(r.take());
      expect(ps).toHaveLength(1);
      got.push(ps[0]!);
      r.fw.receive(host(SsiOpcode.CMD_ACK));
    }
    expect(r.take()).toHaveLength(0);
    expect(got.map((p) => p.status)).toEqual([SsiStatus.CONTINUATION, SsiStatus.CONTINUATION, 0]);
    expect(got.every((p) => p.data[0] === 0x11)).toBe(true);
    const joined = Buffer.concat(got.map((p) => Buffer.from(p.data.subarray(1)))).toString('latin1');
    expect(joined).toBe(']L0' + text);
  });

  it('with ACK/NAK handshaking disabled (param 0x9F = 0) all packets go at once', () => {
    const r = zebra();
    r.fw.receive(
      host(SsiOpcode.PARAM_SEND, encodeParamSend([{ number: SsiParam.SOFTWARE_HANDSHAKING, value: 0 }])),
    );
    expect(packets(r.take())[0]!.opcode).toBe(SsiOpcode.CMD_ACK);
    r.fw.scan(sym('pdf417', 'y'.repeat(600)));
    expect(packets(r.take()).map((p) => p.status)).toEqual([
      SsiStatus.CONTINUATION,
      SsiStatus.CONTINUATION,
      0,
    ]);
  });

  it('a host packet with a bad checksum → CMD_NAK RESEND', () => {
    const r = zebra();
    const bad = host(SsiOpcode.SCAN_DISABLE);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0x01, bad.length - 1);
    r.fw.receive(bad);
    expect(r.take().toString('hex')).toBe('05d1000001ff29');
    expect(r.fw.scanEnabled).toBe(true);
  });

  it('SCAN_DISABLE → ACK, then the trigger does nothing; SCAN_ENABLE restores it', () => {
    const r = zebra();
    r.fw.receive(host(SsiOpcode.SCAN_DISABLE));
    expect(r.take().toString('hex')).toBe('04d00000ff2c');
    expect(r.fw.scan(EAN13)).toEqual({ read: false, reason: 'disabled' });
    expect(r.chunks).toHaveLength(0);
    r.fw.receive(host(SsiOpcode.SCAN_ENABLE));
    r.take();
    expect(r.fw.scan(EAN13).read).toBe(true);
  });

  it('START_SESSION → ACK, then the presented symbol as DECODE_DATA; STOP_SESSION ends the session', () => {
    const r = zebra();
    r.fw.present(EAN13);
    r.fw.receive(host(SsiOpcode.START_SESSION));
    const ps = packets(r.take());
    expect(ps.map((p) => p.opcode)).toEqual([SsiOpcode.CMD_ACK, SsiOpcode.DECODE_DATA]);
    r.fw.receive(host(SsiOpcode.CMD_ACK));
    r.fw.receive(host(SsiOpcode.START_SESSION));
    expect(r.fw.reading).toBe(true);
    r.fw.receive(host(SsiOpcode.STOP_SESSION));
    expect(r.fw.reading).toBe(false);
    // Host trigger mode: the hardware trigger is ignored.
    r.fw.receive(host(SsiOpcode.PARAM_SEND, encodeParamSend([{ number: SsiParam.TRIGGER_MODE, value: 8 }])));
    expect(r.fw.scan(EAN13)).toEqual({ read: false, reason: 'trigger-ignored' });
  });

  it('PARAM_SEND: unknown parameter → NAK BAD_CONTEXT, bad value → NAK DENIED, nothing changed', () => {
    const r = zebra();
    r.fw.receive(
      host(
        SsiOpcode.PARAM_SEND,
        encodeParamSend([
          { number: 0x2d, value: 2 },
          { number: 0x05, value: 1 },
        ]),
      ),
    );
    expect(packets(r.take())[0]).toMatchObject({
      opcode: SsiOpcode.CMD_NAK,
      data: Uint8Array.of(SsiNakCause.BAD_CONTEXT),
    });
    r.fw.receive(host(SsiOpcode.PARAM_SEND, encodeParamSend([{ number: 0x2d, value: 7 }])));
    expect(packets(r.take())[0]).toMatchObject({
      opcode: SsiOpcode.CMD_NAK,
      data: Uint8Array.of(SsiNakCause.DENIED),
    });
    r.fw.receive(host(SsiOpcode.PARAM_SEND, Uint8Array.of(0xff, 0x2d)));
    expect(packets(r.take())[0]).toMatchObject({
      opcode: SsiOpcode.CMD_NAK,
      data: Uint8Array.of(SsiNakCause.BAD_CONTEXT),
    });
    r.fw.receive(host(0x42));
    expect(packets(r.take())[0]).toMatchObject({
      opcode: SsiOpcode.CMD_NAK,
      data: Uint8Array.of(SsiNakCause.BAD_CONTEXT),
    });
    expect(r.fw.settings.get(String(0x2d))).toBe(1);
  });

  it('Transmit Code ID 2 gives the Symbol code id, raw format (0xEE = 0) sends unpacketed data with suffixes', () => {
    const r = zebra();
    r.fw.receive(
      host(SsiOpcode.PARAM_SEND, encodeParamSend([{ number: SsiParam.TRANSMIT_CODE_ID, value: 2 }])),
    );
    r.take();
    r.fw.scan(EAN13);
    expect(Buffer.from(packets(r.take())[0]!.data.subarray(1)).toString('latin1')).toBe('A4901234567894');
    r.fw.receive(host(SsiOpcode.CMD_ACK));
    r.fw.receive(
      host(
        SsiOpcode.PARAM_SEND,
        encodeParamSend([
          { number: SsiParam.DECODE_DATA_PACKET_FORMAT, value: 0 },
          { number: SsiParam.TRANSMIT_CODE_ID, value: 1 },
          { number: SsiParam.SCAN_DATA_TRANSMISSION_FORMAT, value: 3 },
        ]),
      ),
    );
    r.take();
    r.fw.scan(EAN13);
    expect(r.take().toString('latin1')).toBe(']E04901234567894\r\n');
    r.clock.advance(10_000);
    expect(r.chunks).toHaveLength(0); // raw data is never retransmitted
  });

  it('PARAM_REQUEST → PARAM_SEND with the values; 0xFE asks for all', () => {
    const r = zebra();
    r.fw.receive(
      host(SsiOpcode.PARAM_REQUEST, encodeParamRequest([SsiParam.DECODE_DATA_PACKET_FORMAT, 338, 0x05])),
    );
    const p = packets(r.take())[0]!;
    expect(p.opcode).toBe(SsiOpcode.PARAM_SEND);
    expect(decodeParamSend(p.data)?.params).toEqual([
      { number: 0xee, value: 1 },
      { number: 338, value: 1 },
    ]);
    r.fw.receive(host(SsiOpcode.PARAM_REQUEST, [0xfe]));
    const all = packets(r.take()).flatMap((x) => decodeParamSend(x.data)?.params ?? []);
    expect(all.length).toBeGreaterThan(20);
    expect(all).toContainEqual({ number: SsiParam.SOFTWARE_HANDSHAKING, value: 1 });
  });

  it('REVISION_REQUEST → REPLY_REVISION with the profile revision', () => {
    const r = zebra();
    r.fw.receive(host(SsiOpcode.REVISION_REQUEST));
    const p = packets(r.take())[0]!;
    expect(p.opcode).toBe(SsiOpcode.REPLY_REVISION);
    expect(Buffer.from(p.data).toString('latin1')).toBe(getScannerProfile('zebra-ds4308').ssi!.revision);
  });

  it('BEEP, LED_ON/LED_OFF and FLUSH_QUEUE are ACKed and act', () => {
    const r = zebra();
    r.fw.receive(host(SsiOpcode.BEEP, [0x00]));
    expect(r.fw.beeper.last).toBe('host');
    r.fw.receive(host(SsiOpcode.LED_ON, [0x01]));
    expect(r.fw.led).toBe('green');
    r.fw.receive(host(SsiOpcode.LED_OFF, [0x01]));
    expect(r.fw.led).toBe('off');
    expect(packets(r.take()).map((p) => p.opcode)).toEqual([
      SsiOpcode.CMD_ACK,
      SsiOpcode.CMD_ACK,
      SsiOpcode.CMD_ACK,
    ]);
    r.fw.scan(EAN13);
    r.take();
    r.fw.receive(host(SsiOpcode.FLUSH_QUEUE));
    r.take();
    r.clock.advance(10_000);
    expect(r.chunks).toHaveLength(0);
  });

  it('temporary PARAM_SEND is lost at power cycle, permanent (status bit 3) is kept; PARAM_DEFAULTS resets', () => {
    const nvram = new MemoryNvram();
    const a = zebra({ nvram });
    a.fw.receive(host(SsiOpcode.PARAM_SEND, encodeParamSend([{ number: SsiParam.BEEPER_VOLUME, value: 2 }])));
    a.fw.receive(
      host(
        SsiOpcode.PARAM_SEND,
        encodeParamSend([{ number: SsiParam.TRANSMIT_CODE_ID, value: 0 }]),
        SsiStatus.PERMANENT,
      ),
    );
    a.fw.powerOff();
    const b = zebra({ nvram });
    expect(b.fw.settings.get(String(SsiParam.BEEPER_VOLUME))).toBe(0);
    b.fw.scan(EAN13);
    expect(Buffer.from(packets(b.take())[0]!.data.subarray(1)).toString('latin1')).toBe('4901234567894');
    b.fw.receive(host(SsiOpcode.CMD_ACK));
    b.fw.receive(host(SsiOpcode.PARAM_DEFAULTS));
    b.take();
    const c = zebra({ nvram });
    expect(c.fw.settings.get(String(SsiParam.TRANSMIT_CODE_ID))).toBe(1);
  });

  it('an unfinished host packet is dropped after the host character time-out', () => {
    const r = zebra();
    r.fw.receive(host(SsiOpcode.SCAN_DISABLE).subarray(0, 3));
    r.clock.advance(200);
    r.fw.receive(host(SsiOpcode.SCAN_DISABLE));
    expect(packets(r.take()).map((p) => p.opcode)).toEqual([SsiOpcode.CMD_ACK]);
  });
});

// =============================================================================================================

/** Output of the Honeywell firmware must be a sequence of complete menu replies (no scan was presented). */
function assertHoneywellReplies(out: Buffer): void {
  let rest = out;
  while (rest.length > 0) {
    const end = findMenuReplyEnd(rest);
    expect(end).toBeGreaterThan(0);
    expect(parseMenuReply(rest.subarray(0, end))).toBeDefined();
    rest = rest.subarray(end);
  }
}

const DECODER_OPCODES: number[] = [
  SsiOpcode.CMD_ACK,
  SsiOpcode.CMD_NAK,
  SsiOpcode.REPLY_REVISION,
  SsiOpcode.PARAM_SEND,
];

function assertSsiPackets(out: Buffer): void {
  for (const p of packets(out)) {
    expect(p.source).toBe(SsiSource.DECODER);
    expect(DECODER_OPCODES).toContain(p.opcode);
  }
}

describe('arbitrary host bytes (nothing presented)', () => {
  it('Honeywell: never throws, output is only well-formed menu replies', () => {
    const valid = fc.constantFrom(
      encodeMenuCommand('BEPLVL2;TRGSTO?', '!'),
      encodeMenuCommand('PREBK2995C80,CA2', '.'),
      encodeTrigger(),
      encodeUntrigger(),
    );
    const chunk = fc.oneof(fc.uint8Array({ maxLength: 40 }), valid);
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 10 }), (chunks) => {
        const r = honeywell();
        for (const c of chunks) r.fw.receive(c);
        assertHoneywellReplies(r.take());
      }),
    );
  });

  it('Zebra SSI: never throws, output is only well-formed decoder packets', () => {
    const valid = fc.constantFrom(
      host(SsiOpcode.REVISION_REQUEST),
      host(SsiOpcode.PARAM_REQUEST, [0xfe]),
      host(SsiOpcode.SCAN_DISABLE),
      host(SsiOpcode.PARAM_SEND, encodeParamSend([{ number: 0x9f, value: 0 }])),
    );
    const chunk = fc.oneof(fc.uint8Array({ maxLength: 40 }), valid);
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 10 }), (chunks) => {
        const r = zebra({ profile: { transmit: {} } });
        for (const c of chunks) r.fw.receive(c);
        assertSsiPackets(r.take());
      }),
    );
  });
});

/** Random and mutated inputs from a fixed seed: flip, insert, delete and truncate bytes of valid commands. */
function fuzzInputs(seeds: Buffer[], count: number, seed: number): Uint8Array[] {
  const mutation = fc.record({
    base: fc.integer({ min: 0, max: seeds.length - 1 }),
    edits: fc.array(
      fc.record({
        kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate'),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      { maxLength: 4 },
    ),
  });
  const arb = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    mutation.map(({ base, edits }) => {
      const b = [...seeds[base]!];
      for (const e of edits) {
        const at = b.length === 0 ? 0 : e.at % b.length;
        if (e.kind === 'flip') b[at] = e.byte;
        else if (e.kind === 'insert') b.splice(at, 0, e.byte);
        else if (e.kind === 'delete') b.splice(at, 1);
        else b.length = at;
      }
      return Uint8Array.from(b);
    }),
  );
  return fc.sample(arb, { seed, numRuns: count });
}

describe('fuzz: 2,000 random/mutated inputs per command set, fixed seed', () => {
  it('Honeywell firmware survives and still answers a valid query after each input', () => {
    const seeds = [
      encodeMenuCommand('BEPLVL2;TRGSTO?', '!'),
      encodeMenuCommand('PREBK2995C80,CA2;SUFBK2990D', '.'),
      encodeMenuCommand('REVINF', '.'),
      encodeTrigger(),
      encodeUntrigger(),
    ];
    const r = honeywell();
    for (const input of fuzzInputs(seeds, 2000, 0x5eed)) {
      r.fw.receive(input);
      r.take();
      r.fw.receive(encodeMenuCommand('TRGMOD*', '!'));
      const reply = parseMenuReply(r.take());
      expect(reply?.entries).toEqual([{ tag: 'TRG', subtag: 'MOD', value: '0|3|4|8|9', status: 'ack' }]);
    }
  });

  it('Zebra SSI firmware survives and still answers REVISION_REQUEST after each input', () => {
    const seeds = [
      host(SsiOpcode.REVISION_REQUEST),
      host(
        SsiOpcode.PARAM_SEND,
        encodeParamSend([
          { number: 0xee, value: 0 },
          { number: 338, value: 1 },
        ]),
      ),
      host(SsiOpcode.PARAM_REQUEST, [0xfe]),
      host(SsiOpcode.START_SESSION),
      host(SsiOpcode.CMD_NAK, [1]),
    ];
    const r = zebra();
    for (const input of fuzzInputs(seeds, 2000, 0x5eed)) {
      r.fw.receive(input);
      r.clock.advance(1000); // past any host character time-out
      r.take();
      r.fw.receive(host(SsiOpcode.REVISION_REQUEST));
      const replies = packets(r.take());
      expect(replies.map((p) => p.opcode)).toEqual([SsiOpcode.REPLY_REVISION]);
    }
  });
});
