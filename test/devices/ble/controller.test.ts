import { describe, expect, it } from 'vitest';
import { VirtualClock, type Clock } from '../../../firmware-sim/clock.js';
import { Air } from '../../../devices/ble/air.js';
import { VirtualController } from '../../../devices/ble/controller.js';
import { HciStatus, Opcode } from '../../../devices/ble/hci/constants.js';
import { leEncrypt } from '../../../devices/ble/hci/crypto.js';
import type { HciEvent } from '../../../devices/ble/hci/events.js';
import { encodeCommand, parseH4 } from '../../../devices/ble/hci/packets.js';
import { RawHost } from './raw-host.js';
import { mulberry32 } from '../../../devices/serial/faults.js';

const h = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

/** Two controllers on one air, each with a raw host that has enabled LE events as noble and bleno do. */
async function bench(clock: Clock = new VirtualClock()) {
  const air = new Air({ clock });
  const a = new VirtualController({ air, address: 'c0:00:00:00:00:0a' });
  const b = new VirtualController({ air, address: 'c0:00:00:00:00:0b', position: { x: 2, y: 0 } });
  const hostA = new RawHost(a);
  const hostB = new RawHost(b);
  for (const host of [hostA, hostB]) {
    host.write(encodeCommand({ name: 'SetEventMask', eventMask: h('fffffbff07f8bf3d') }));
    await host.eventCount(1);
    host.events.length = 0;
  }
  return { air, a, b, hostA, hostB };
}

const statusOf = (ev: HciEvent | undefined) =>
  ev?.name === 'CommandComplete'
    ? ev.returnParameters[0]
    : ev?.name === 'CommandStatus'
      ? ev.status
      : undefined;

describe('virtual controller: HCI commands (Vol 4 Part E 7)', () => {
  it('a burst of commands is answered in order, one Command Complete each, whatever Num_HCI_Command_Packets says', async () => {
    const { hostA } = await bench();
    const burst = [
      Opcode.Reset,
      Opcode.ReadBdAddr,
      Opcode.LeReadBufferSize,
      Opcode.ReadLocalVersionInformation,
    ];
    for (const op of burst) hostA.write(Buffer.from([1, op & 0xff, op >> 8, 0]));
    const events = await hostA.eventCount(burst.length);
    expect(events.map((e) => (e.name === 'CommandComplete' ? e.commandOpcode : -1))).toEqual(burst);
    const params = (e: HciEvent | undefined) =>
      e?.name === 'CommandComplete' ? e.returnParameters : Buffer.alloc(0);
    const addr = params(events[1]);
    expect(addr).toEqual(h('00 0a00000000c0'));
    const buf = params(events[2]);
    expect(buf).toEqual(h('00 1b00 08')); // 27-octet LE ACL buffers, 8 of them
  });

  it('unknown opcode: Command Complete with 0x01 Unknown HCI Command', async () => {
    const { hostA } = await bench();
    hostA.write(h('01 01fc 00'));
    const [ev] = await hostA.eventCount(1);
    expect(ev).toMatchObject({ name: 'CommandComplete', commandOpcode: 0xfc01 });
    expect(statusOf(ev)).toBe(HciStatus.UnknownHciCommand);
  });

  it('wrong parameter length: 0x12 Invalid HCI Command Parameters, as Command Status for Disconnect', async () => {
    const { hostA } = await bench();
    hostA.write(h('01 0604 02 4000'));
    hostA.write(h('01 0b20 03 010203'));
    const events = await hostA.eventCount(2);
    expect(events[0]).toMatchObject({
      name: 'CommandStatus',
      commandOpcode: Opcode.Disconnect,
      status: 0x12,
    });
    expect(events[1]).toMatchObject({ name: 'CommandComplete', commandOpcode: Opcode.LeSetScanParameters });
    expect(statusOf(events[1])).toBe(HciStatus.InvalidHciCommandParameters);
  });

  it('out-of-range parameter values get 0x12, a Disconnect of an unknown handle 0x02', async () => {
    const { hostA } = await bench();
    hostA.write(
      encodeCommand({
        name: 'LeSetScanParameters',
        leScanType: 1,
        leScanInterval: 0x10,
        leScanWindow: 0x20,
        ownAddressType: 0,
        scanningFilterPolicy: 0,
      }),
    );
    hostA.write(encodeCommand({ name: 'Disconnect', connectionHandle: 0x0123, reason: 0x13 }));
    hostA.write(encodeCommand({ name: 'ReadRssi', handle: 0x0123 }));
    const events = await hostA.eventCount(3);
    expect(events.map(statusOf)).toEqual([0x12, 0x02, 0x02]);
  });

  it('LE Encrypt computes AES-128 (FIPS-197 C.1 vector, least significant octet first) and LE Rand gives 8 octets', async () => {
    const { hostA } = await bench();
    const key = h('000102030405060708090a0b0c0d0e0f').reverse();
    const data = h('00112233445566778899aabbccddeeff').reverse();
    hostA.write(encodeCommand({ name: 'LeEncrypt', key, plaintextData: data }));
    hostA.write(encodeCommand({ name: 'LeRand' }));
    const [enc, rand] = await hostA.eventCount(2);
    expect(enc?.name === 'CommandComplete' && enc.returnParameters).toEqual(
      Buffer.concat([h('00'), h('69c4e0d86a7b0430d8cdb78070b4c55a').reverse()]),
    );
    expect(enc?.name === 'CommandComplete' && enc.returnParameters).toEqual(
      Buffer.concat([h('00'), leEncrypt(key, data)]),
    );
    expect(rand?.name === 'CommandComplete' && rand.returnParameters.length).toBe(9);
  });

  it('Create Connection Cancel while initiating: Command Complete, then LE Connection Complete with 0x02', async () => {
    const { hostA } = await bench();
    hostA.write(encodeCommand(createConnection('c0:00:00:00:00:ff')));
    hostA.write(encodeCommand({ name: 'LeCreateConnectionCancel' }));
    const events = await hostA.eventCount(3);
    expect(events.map((e) => e.name)).toEqual(['CommandStatus', 'CommandComplete', 'LeConnectionComplete']);
    expect(events[2]).toMatchObject({ status: HciStatus.UnknownConnectionIdentifier });
  });
});

function createConnection(peerAddress: string) {
  return {
    name: 'LeCreateConnection' as const,
    leScanInterval: 0x60,
    leScanWindow: 0x30,
    initiatorFilterPolicy: 0,
    peerAddressType: 0,
    peerAddress,
    ownAddressType: 0,
    connectionIntervalMin: 0x18,
    connectionIntervalMax: 0x18,
    maxLatency: 0,
    supervisionTimeout: 0x48,
    minCeLength: 0,
    maxCeLength: 0,
  };
}

async function connect(hostA: RawHost, hostB: RawHost) {
  hostB.write(encodeCommand({ name: 'LeSetAdvertisingEnable', advertisingEnable: 1 }));
  await hostB.eventCount(1);
  hostA.write(encodeCommand(createConnection('c0:00:00:00:00:0b')));
  await hostA.eventCount(2);
  await hostB.eventCount(2);
  const ca = hostA.events[1]!;
  const cb = hostB.events[1]!;
  if (ca.name !== 'LeConnectionComplete' || cb.name !== 'LeConnectionComplete')
    throw new Error('no connection');
  expect([ca.role, cb.role]).toEqual([0, 1]);
  return { handleA: ca.connectionHandle, handleB: cb.connectionHandle };
}

const acl = (handle: number, pb: number, data: Buffer) => {
  const head = Buffer.alloc(5);
  head[0] = 2;
  head.writeUInt16LE(handle | (pb << 12), 1);
  head.writeUInt16LE(data.length, 3);
  return Buffer.concat([head, data]);
};

describe('virtual controller: connection procedures', () => {
  it('LE Connection Update: Command Status, then LE Connection Update Complete (3E/03) on both sides', async () => {
    const { hostA, hostB } = await bench();
    const { handleA, handleB } = await connect(hostA, hostB);
    hostA.write(
      encodeCommand({
        name: 'LeConnectionUpdate',
        connectionHandle: handleA,
        connectionIntervalMin: 0x28,
        connectionIntervalMax: 0x30,
        maxLatency: 2,
        supervisionTimeout: 0x100,
        minCeLength: 0,
        maxCeLength: 0,
      }),
    );
    const [, , status, updateA] = await hostA.eventCount(4);
    const [, , updateB] = await hostB.eventCount(3);
    expect(status).toMatchObject({
      name: 'CommandStatus',
      status: 0,
      commandOpcode: Opcode.LeConnectionUpdate,
    });
    const expected = {
      name: 'LeConnectionUpdateComplete',
      status: 0,
      connectionInterval: 0x30,
      peripheralLatency: 2,
      supervisionTimeout: 0x100,
    };
    expect(updateA).toEqual({ ...expected, connectionHandle: handleA });
    expect(updateB).toEqual({ ...expected, connectionHandle: handleB });
  });

  it('Read RSSI on a connection gives the air model value (2 m: -46 dBm)', async () => {
    const { hostA, hostB } = await bench();
    const { handleA } = await connect(hostA, hostB);
    hostA.write(encodeCommand({ name: 'ReadRssi', handle: handleA }));
    const [, , ev] = await hostA.eventCount(3);
    const rp = ev?.name === 'CommandComplete' ? ev.returnParameters : Buffer.alloc(0);
    expect(rp.readUInt8(0)).toBe(0);
    expect(rp.readUInt16LE(1)).toBe(handleA);
    expect(rp.readInt8(3)).toBe(-46); // 0 dBm − (40 + 20·log10 2)
  });

  it('LTK Negative Reply: the central gets Encryption Change with 0x06 PIN or Key Missing', async () => {
    const { hostA, hostB } = await bench();
    const { handleA, handleB } = await connect(hostA, hostB);
    const rand = h('0102030405060708');
    hostA.write(
      encodeCommand({
        name: 'LeEnableEncryption',
        connectionHandle: handleA,
        randomNumber: rand,
        encryptedDiversifier: 0x1234,
        longTermKey: Buffer.alloc(16, 7),
      }),
    );
    const [, , request] = await hostB.eventCount(3);
    expect(request).toEqual({
      name: 'LeLongTermKeyRequest',
      connectionHandle: handleB,
      randomNumber: rand,
      encryptedDiversifier: 0x1234,
    });
    hostB.write(encodeCommand({ name: 'LeLongTermKeyRequestNegativeReply', connectionHandle: handleB }));
    const events = await hostA.eventCount(4);
    expect(events[3]).toEqual({
      name: 'EncryptionChange',
      status: HciStatus.PinOrKeyMissing,
      connectionHandle: handleA,
      encryptionEnabled: 0,
    });
  });

  it('different keys on the two sides: both ends lose the link with 0x3D MIC Failure', async () => {
    const { hostA, hostB } = await bench();
    const { handleA, handleB } = await connect(hostA, hostB);
    hostA.write(
      encodeCommand({
        name: 'LeEnableEncryption',
        connectionHandle: handleA,
        randomNumber: Buffer.alloc(8),
        encryptedDiversifier: 0,
        longTermKey: Buffer.alloc(16, 1),
      }),
    );
    await hostB.eventCount(3);
    hostB.write(
      encodeCommand({
        name: 'LeLongTermKeyRequestReply',
        connectionHandle: handleB,
        longTermKey: Buffer.alloc(16, 2),
      }),
    );
    await hostA.eventCount(4);
    await hostB.settle();
    expect(hostA.events.at(-1)).toMatchObject({
      name: 'DisconnectionComplete',
      reason: HciStatus.ConnectionTerminatedDueToMicFailure,
    });
    expect(hostB.events.at(-1)).toMatchObject({
      name: 'DisconnectionComplete',
      reason: HciStatus.ConnectionTerminatedDueToMicFailure,
    });
  });
});

describe('virtual controller: ACL data and flow control', () => {
  it('every ACL packet from the host gets one Number Of Completed Packets; the peer host receives PB 0b10 then 0b01', async () => {
    const { hostA, hostB } = await bench();
    const { handleA, handleB } = await connect(hostA, hostB);
    const l2cap = Buffer.concat([h('2800 0400'), Buffer.alloc(40, 0x5a)]); // 44 octets: 27 + 17
    hostA.write(acl(handleA, 0b00, l2cap.subarray(0, 27)));
    hostA.write(acl(handleA, 0b01, l2cap.subarray(27)));
    await hostA.eventCount(4);
    expect(hostA.events.slice(2)).toEqual([
      { name: 'NumberOfCompletedPackets', handles: [{ connectionHandle: handleA, numCompletedPackets: 1 }] },
      { name: 'NumberOfCompletedPackets', handles: [{ connectionHandle: handleA, numCompletedPackets: 1 }] },
    ]);
    await hostB.settle();
    expect(hostB.acl.map((p) => p.readUInt16LE(1))).toEqual([handleB | (0b10 << 12), handleB | (0b01 << 12)]);
    expect(Buffer.concat(hostB.acl.map((p) => p.subarray(5)))).toEqual(l2cap);
  });

  it('ACL longer than the advertised buffer, or with a wrong length field, is discarded and its buffer returned', async () => {
    const { hostA, hostB, a } = await bench();
    const { handleA } = await connect(hostA, hostB);
    hostA.write(acl(handleA, 0b00, Buffer.alloc(28)));
    const bad = acl(handleA, 0b00, Buffer.alloc(8));
    bad.writeUInt16LE(20, 3);
    hostA.write(bad);
    await hostA.eventCount(4);
    expect(hostA.events.slice(2).every((e) => e.name === 'NumberOfCompletedPackets')).toBe(true);
    await hostB.settle();
    expect(hostB.acl).toHaveLength(0);
    expect(a.stats.discardedAcl).toBe(2);
  });

  it('more ACL packets than LE Read Buffer Size allowed in flight: Data Buffer Overflow (0x1A)', async () => {
    // The peer is out of range, so nothing is acknowledged and the buffers fill up.
    const { hostA, hostB, b, air } = await bench();
    const { handleA } = await connect(hostA, hostB);
    air.setOutOfRange(b, true);
    for (let i = 0; i < 9; i++) hostA.write(acl(handleA, 0b10, h('0100 0400 01')));
    const events = await hostA.eventCount(3);
    expect(events[2]).toEqual({ name: 'DataBufferOverflow', linkType: 1 });
  });
});

/** A virtual clock presented as a wall clock, so that the air paces connection events on it (test double). */
class PacedVirtualClock implements Clock {
  readonly virtual = false;
  constructor(readonly inner: VirtualClock) {}
  now() {
    return this.inner.now();
  }
  setTimeout(fn: () => void, ms: number) {
    return this.inner.setTimeout(fn, ms);
  }
  clearTimeout(t: Parameters<Clock['clearTimeout']>[0]) {
    this.inner.clearTimeout(t);
  }
  touch() {}
}

describe('the air: pacing and faults', () => {
  it('paced clock (test double): ACL crosses on the next connection event, one interval (30 ms) later, not before', async () => {
    const inner = new VirtualClock();
    const { hostA, hostB } = await bench(new PacedVirtualClock(inner));
    const { handleA } = await connect(hostA, hostB);
    hostA.write(acl(handleA, 0b10, h('0100 0400 01')));
    await hostA.settle();
    inner.advance(29);
    await hostB.settle();
    expect(hostB.acl).toHaveLength(0);
    inner.advance(1);
    await hostB.settle();
    expect(hostB.acl).toHaveLength(1);
  });

  it('lost connection events (dropRate 1) hold data until the supervision timeout ends the link with 0x08', async () => {
    const { hostA, hostB, air } = await bench();
    const clock = air.clock as VirtualClock;
    const { handleA } = await connect(hostA, hostB);
    air.setFaults({ dropRate: 1 });
    hostA.write(acl(handleA, 0b10, h('0100 0400 01')));
    await hostA.settle();
    clock.advance(720); // supervision timeout 0x48 × 10 ms
    await hostA.settle();
    await hostB.settle();
    expect(hostB.acl).toHaveLength(0);
    expect(hostA.events.at(-1)).toMatchObject({
      name: 'DisconnectionComplete',
      reason: HciStatus.ConnectionTimeout,
    });
    expect(hostB.events.at(-1)).toMatchObject({
      name: 'DisconnectionComplete',
      reason: HciStatus.ConnectionTimeout,
    });
  });

  it('interference that drops the signal below sensitivity takes a peer out of reach', async () => {
    const { air, a, b } = await bench();
    expect(air.canHear(a, b)).toBe(true);
    air.setFaults({ interferenceDb: 60 });
    expect(air.canHear(a, b)).toBe(false);
    expect(() => air.setFaults({ dropRate: 2 })).toThrow(RangeError);
  });
});

describe('virtual controller: fuzz', () => {
  it('20000 random and mutated host packets: no throw, every decodable command answered, every event well formed', async () => {
    const { hostA, hostB, a } = await bench();
    await connect(hostA, hostB);
    const rand = mulberry32(0xc0de);
    const seeds = [
      encodeCommand({ name: 'Reset' }),
      encodeCommand({ name: 'LeSetScanEnable', leScanEnable: 1, filterDuplicates: 1 }),
      encodeCommand({ name: 'ReadRssi', handle: 0x40 }),
      encodeCommand(createConnection('c0:00:00:00:00:0b')),
      encodeCommand({
        name: 'LeEnableEncryption',
        connectionHandle: 0x40,
        randomNumber: Buffer.alloc(8),
        encryptedDiversifier: 0,
        longTermKey: Buffer.alloc(16),
      }),
      acl(0x40, 0b10, h('0500 0400 0a0100')),
    ];
    const before = a.stats.commands;
    let commandsSent = 0;
    for (let i = 0; i < 20000; i++) {
      let p: Buffer;
      if (rand() < 0.3)
        p = Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
      else {
        p = Buffer.from(seeds[Math.floor(rand() * seeds.length)]!);
        const at = Math.floor(rand() * p.length);
        if (rand() < 0.5 && p.length > 0) p[at] = Math.floor(rand() * 256);
        else p = p.subarray(0, at);
      }
      const framed = parseH4(p);
      if (framed.ok && framed.packet.type === 'command') commandsSent++;
      expect(() => hostA.write(p)).not.toThrow();
      if (i % 500 === 0) await hostA.settle();
    }
    await hostA.settle();
    // The RawHost throws from its data handler on any malformed event: reaching here means none came.
    expect(a.stats.commands - before).toBe(commandsSent);
    const answered = hostA.events.filter(
      (e) => e.name === 'CommandComplete' || e.name === 'CommandStatus',
    ).length;
    expect(answered).toBeGreaterThanOrEqual(commandsSent);
  });
});
