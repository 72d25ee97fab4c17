import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_LAYOUTS,
  HciStatus,
  Opcode,
  decodeCommand,
  decodeCommandPacket,
  decodeEvent,
  encodeCommand,
  encodeEvent,
  parseH4,
  type FieldKind,
  type HciCommand,
  type HciEvent,
  type OpcodeName,
} from '../../../../devices/ble/hci/index.js';
import { mulberry32 } from '../../../../devices/serial/faults.js';

const h = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('HCI command packets (Vol 4 Part E 5.4.1, 7)', () => {
  it('HCI_Reset is 01 03 0c 00', () => {
    expect(encodeCommand({ name: 'Reset' })).toEqual(h('01030c00'));
  });

  it('decodes the LE Create Connection that noble 1.9.2 writes (peer bytes)', () => {
    // noble hci.createLeConn('11:22:33:44:55:66', 'public') with its default parameters
    const bytes = h('010d2019 6000 3000 00 00 665544332211 00 0600 1200 0000 2a00 0400 0600');
    const d = decodeCommandPacket(bytes);
    expect(d).toEqual({
      ok: true,
      opcode: Opcode.LeCreateConnection,
      command: {
        name: 'LeCreateConnection',
        leScanInterval: 0x60,
        leScanWindow: 0x30,
        initiatorFilterPolicy: 0,
        peerAddressType: 0,
        peerAddress: '11:22:33:44:55:66',
        ownAddressType: 0,
        connectionIntervalMin: 6,
        connectionIntervalMax: 0x12,
        maxLatency: 0,
        supervisionTimeout: 0x2a,
        minCeLength: 4,
        maxCeLength: 6,
      },
    });
    if (d.ok) expect(encodeCommand(d.command)).toEqual(bytes);
  });

  it('decodes the 32-octet LE Set Advertising Data that bleno writes (peer bytes)', () => {
    const payload = h('020106');
    const bytes = Buffer.concat([
      h('01082020'),
      Buffer.from([payload.length]),
      payload,
      Buffer.alloc(31 - payload.length),
    ]);
    const d = decodeCommandPacket(bytes);
    expect(d.ok && d.command.name === 'LeSetAdvertisingData' && d.command.advertisingDataLength).toBe(3);
  });

  it('an unknown opcode gets 0x01 Unknown HCI Command (Vol 1 Part F 1.3)', () => {
    expect(decodeCommand(0xfc01, Buffer.alloc(0))).toMatchObject({
      ok: false,
      status: HciStatus.UnknownHciCommand,
    });
  });

  it('a parameter block of the wrong size gets 0x12 Invalid HCI Command Parameters', () => {
    expect(decodeCommand(Opcode.Disconnect, h('4000'))).toMatchObject({
      ok: false,
      status: HciStatus.InvalidHciCommandParameters,
      opcode: Opcode.Disconnect,
    });
  });

  it('a length octet that disagrees with the bytes gets 0x12 and keeps the opcode for the answer', () => {
    expect(parseH4(h('01060403400013ff'))).toMatchObject({
      ok: false,
      error: { status: HciStatus.InvalidHciCommandParameters, opcode: Opcode.Disconnect },
    });
  });
});

describe('HCI ACL and event packets', () => {
  it('ACL header: handle, PB and BC flags (Vol 4 Part E 5.4.2)', () => {
    const bytes = h('02 4020 0700 0300 0400 0a0100');
    expect(parseH4(bytes)).toEqual({
      ok: true,
      packet: { type: 'acl', handle: 0x40, packetBoundary: 0b10, broadcast: 0, data: h('03000400 0a0100') },
    });
  });

  it('ACL whose length field disagrees with the data is rejected', () => {
    expect(parseH4(h('0240200800030004000a0100')).ok).toBe(false);
  });

  it('Command Complete for Reset is 04 0e 04 01 03 0c 00', () => {
    const ev: HciEvent = {
      name: 'CommandComplete',
      numHciCommandPackets: 1,
      commandOpcode: Opcode.Reset,
      returnParameters: h('00'),
    };
    expect(encodeEvent(ev)).toEqual(h('040e0401030c00'));
  });

  it('LE Connection Complete is the legacy subevent 0x01 with 18 parameter octets (Vol 4 Part E 7.7.65.1)', () => {
    const bytes = encodeEvent({
      name: 'LeConnectionComplete',
      status: 0,
      connectionHandle: 0x40,
      role: 1,
      peerAddressType: 0,
      peerAddress: 'aa:bb:cc:dd:ee:ff',
      connectionInterval: 0x18,
      peripheralLatency: 0,
      supervisionTimeout: 0x2a,
      centralClockAccuracy: 0,
    });
    expect(bytes).toEqual(h('043e13 01 00 4000 01 00 ffeeddccbbaa 1800 0000 2a00 00'));
  });
});

const kindArb = (kind: FieldKind): fc.Arbitrary<unknown> => {
  if (kind === 'u8') return fc.integer({ min: 0, max: 255 });
  if (kind === 'i8') return fc.integer({ min: -128, max: 127 });
  if (kind === 'u16') return fc.integer({ min: 0, max: 0xffff });
  if (kind === 'addr')
    return fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) =>
      Array.from(b)
        .map((x) => x.toString(16).padStart(2, '0'))
        .join(':'),
    );
  return fc.uint8Array({ minLength: kind.bytes, maxLength: kind.bytes }).map((b) => Buffer.from(b));
};

const commandArb: fc.Arbitrary<HciCommand> = fc.oneof(
  ...(Object.keys(COMMAND_LAYOUTS) as OpcodeName[]).map((name) => {
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [field, kind] of COMMAND_LAYOUTS[name] as readonly (readonly [string, FieldKind])[])
      fields[field] = kindArb(kind);
    return fc.record(fields).map((r) => ({ name, ...r }) as HciCommand);
  }),
);

describe('HCI codec properties', () => {
  it('every command round-trips through encodeCommand and decodeCommandPacket', () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        const d = decodeCommandPacket(encodeCommand(command));
        expect(d).toEqual({ ok: true, opcode: Opcode[command.name], command });
      }),
      { numRuns: 500 },
    );
  });

  it('events round-trip through encodeEvent, parseH4 and decodeEvent', () => {
    const evArb: fc.Arbitrary<HciEvent> = fc.oneof(
      fc.record({
        name: fc.constant('DisconnectionComplete' as const),
        status: fc.integer({ min: 0, max: 255 }),
        connectionHandle: fc.integer({ min: 0, max: 0xeff }),
        reason: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        name: fc.constant('NumberOfCompletedPackets' as const),
        handles: fc.array(
          fc.record({
            connectionHandle: fc.integer({ min: 0, max: 0xeff }),
            numCompletedPackets: fc.integer({ min: 0, max: 0xffff }),
          }),
          { maxLength: 10 },
        ),
      }),
      fc.record({
        name: fc.constant('LeAdvertisingReport' as const),
        report: fc.record({
          eventType: fc.integer({ min: 0, max: 4 }),
          addressType: fc.integer({ min: 0, max: 1 }),
          address: kindArb('addr') as fc.Arbitrary<string>,
          data: fc.uint8Array({ maxLength: 31 }).map((b) => Buffer.from(b)),
          rssi: fc.integer({ min: -127, max: 20 }),
        }),
      }),
      fc.record({
        name: fc.constant('LeLongTermKeyRequest' as const),
        connectionHandle: fc.integer({ min: 0, max: 0xeff }),
        randomNumber: kindArb({ bytes: 8 }) as fc.Arbitrary<Buffer>,
        encryptedDiversifier: fc.integer({ min: 0, max: 0xffff }),
      }),
    );
    fc.assert(
      fc.property(evArb, (event) => {
        const framed = parseH4(encodeEvent(event));
        expect(framed.ok).toBe(true);
        if (framed.ok && framed.packet.type === 'event') {
          expect(decodeEvent(framed.packet.code, framed.packet.params)).toEqual({ ok: true, event });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes never throw out of parseH4, decodeCommandPacket or decodeEvent', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const framed = parseH4(bytes);
        if (!framed.ok) expect(framed.error.status).toBeGreaterThan(0);
        const d = decodeCommandPacket(bytes);
        if (!d.ok)
          expect([HciStatus.UnknownHciCommand, HciStatus.InvalidHciCommandParameters]).toContain(d.status);
        if (bytes.length > 1) decodeEvent(bytes[0]!, Buffer.from(bytes.subarray(1)));
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: 20000 mutated command packets get a decoded command or 0x01/0x12, never a throw', () => {
    const rand = mulberry32(0xb1e);
    const seeds = (Object.keys(COMMAND_LAYOUTS) as OpcodeName[]).map((name) =>
      encodeCommand(
        fc.sample(
          commandArb.filter((c) => c.name === name),
          { numRuns: 1, seed: 7 },
        )[0]!,
      ),
    );
    let rejected = 0;
    for (let i = 0; i < 20000; i++) {
      const base = Buffer.from(seeds[Math.floor(rand() * seeds.length)]!);
      const mutated = mutate(base, rand);
      const d = decodeCommandPacket(mutated);
      if (d.ok) expect(encodeCommand(d.command)).toEqual(mutated);
      else {
        rejected++;
        expect([HciStatus.UnknownHciCommand, HciStatus.InvalidHciCommandParameters]).toContain(d.status);
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});

function mutate(b: Buffer, rand: () => number): Buffer {
  const op = Math.floor(rand() * 4);
  if (op === 0 && b.length > 0) {
    const at = Math.floor(rand() * b.length);
    b[at] = b[at]! ^ (1 << Math.floor(rand() * 8));
  }
  if (op === 1) return b.subarray(0, Math.floor(rand() * b.length));
  if (op === 2) return Buffer.concat([b, Buffer.from([Math.floor(rand() * 256)])]);
  if (op === 3 && b.length > 3) b[3] = Math.floor(rand() * 256);
  return b;
}
