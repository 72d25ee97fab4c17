import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../../firmware-sim/clock.js';
import { HciStatus } from '../../../devices/ble/hci/constants.js';
import {
  NOTIFY_CHR,
  PUBLIC_CHR,
  SECURE_CHR,
  SERVICE,
  WRITE_CHR,
  discoverPhone,
  once,
  packets,
  startBleBench,
  type BleBench,
} from './bench.js';

let bench: BleBench | undefined;

afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

const disconnectionComplete = (reason: number) =>
  new RegExp(`^040504004[0-9a-f]00${reason.toString(16).padStart(2, '0')}$`);

describe('unmodified noble (central) and bleno (peripheral) over two virtual controllers', () => {
  it('scan: noble discovers the phone by its 128-bit service UUID, name from the scan response, RSSI from the air model', async () => {
    bench = await startBleBench({ phoneAt: { x: 10, y: 0 } });
    const p = await discoverPhone(bench);
    expect(p.address).toBe('5a:00:00:00:00:01');
    expect(p.advertisement.localName).toBe('benchtwin-phone');
    expect(p.advertisement.serviceUuids).toContain(SERVICE);
    // 0 dBm − (40 dB + 20·log10(10 m)) = −60 dBm
    expect(p.rssi).toBe(-60);
    expect(p.rssi).toBe(bench.air.rssi(bench.phone, bench.pos));
  });

  it('connect, discover, read, write, notify, disconnect', async () => {
    bench = await startBleBench();
    const p = await discoverPhone(bench);
    await p.connectAsync();
    const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync(
      [SERVICE],
      [PUBLIC_CHR, WRITE_CHR, NOTIFY_CHR],
    );
    const byUuid = new Map(characteristics.map((c) => [c.uuid, c]));
    expect([...byUuid.keys()].sort()).toEqual([PUBLIC_CHR, WRITE_CHR, NOTIFY_CHR].sort());

    expect((await byUuid.get(PUBLIC_CHR)!.readAsync()).toString()).toBe('public');

    await byUuid.get(WRITE_CHR)!.writeAsync(Buffer.from('amount=1200'), false);
    expect(bench.written.map((b) => b.toString())).toEqual(['amount=1200']);

    const notifyChr = byUuid.get(NOTIFY_CHR)!;
    await notifyChr.subscribeAsync();
    const got = once<[Buffer, boolean]>(notifyChr, 'data');
    bench.notify(Buffer.from('txn-7'));
    const [data, isNotification] = await got;
    expect(data.toString()).toBe('txn-7');
    expect(isNotification).toBe(true);

    const bleDisconnect = once(bench.bleno, 'disconnect');
    await p.disconnectAsync();
    await bleDisconnect;
    // Remote User Terminated Connection reaches the phone; the POS side sees Terminated By Local Host.
    expect(
      packets(bench.traces.phone.slice(), 'toHost').some((h) => disconnectionComplete(0x13).test(h)),
    ).toBe(true);
    expect(packets(bench.traces.pos.slice(), 'toHost').some((h) => disconnectionComplete(0x16).test(h))).toBe(
      true,
    );
  });

  it('pair (legacy Just Works) and encrypted read: the controller answers the LTK request from the key bleno loaded', async () => {
    bench = await startBleBench();
    const p = await discoverPhone(bench);
    await p.connectAsync();
    const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([SERVICE], [SECURE_CHR]);
    // bleno answers Insufficient Authentication; noble pairs, starts encryption and repeats the read.
    expect((await characteristics[0]!.readAsync()).toString()).toBe('user-0042');

    expect(bench.phone.listConnections()).toEqual([
      { handle: expect.any(Number), role: 'peripheral', peer: '5a:00:00:00:00:02', encrypted: true },
    ]);
    expect(bench.pos.listConnections()[0]?.encrypted).toBe(true);
    // bleno's Load Long Term Keys over the management socket reached the controller ...
    expect(bench.phone.longTermKeys).toHaveLength(1);
    expect(bench.phone.longTermKeys[0]!.address).toBe('5a:00:00:00:00:02');
    // ... which answered LE Long Term Key Request (3E/05) with that key, as the kernel does.
    const kernelReply = bench.traces.phone.find((t) => t.comment?.startsWith('kernel'));
    expect(kernelReply?.packet.subarray(0, 4).toString('hex')).toBe('011a2012');
    expect(kernelReply?.packet.subarray(6).equals(bench.phone.longTermKeys[0]!.longTermKey)).toBe(true);
    // Encryption Change, status 0, enabled, on both sides.
    for (const trace of [bench.traces.phone, bench.traces.pos]) {
      expect(
        packets(trace, 'toHost').some(
          (h) => /^0408040040[0-9a-f]{2}01$/.test(h) || /^04080400[0-9a-f]{4}01$/.test(h),
        ),
      ).toBe(true);
    }
    await p.disconnectAsync();
  });

  it('reconnect after a disconnection: bleno advertises again and a second connection reads again', async () => {
    bench = await startBleBench();
    const p = await discoverPhone(bench);
    for (let round = 0; round < 2; round++) {
      // bleno enables advertising again after the disconnection; noble's second LE Create Connection waits for it.
      await p.connectAsync();
      const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync(
        [SERVICE],
        [PUBLIC_CHR],
      );
      expect((await characteristics[0]!.readAsync()).toString()).toBe('public');
      await p.disconnectAsync();
    }
    const complete = packets(bench.traces.pos, 'toHost').filter((h) => h.startsWith('043e1301'));
    expect(complete).toHaveLength(2);
  });

  it('supervision timeout: a phone that goes out of range is disconnected with 0x08 Connection Timeout on both sides', async () => {
    bench = await startBleBench();
    const p = await discoverPhone(bench);
    await p.connectAsync();
    const nobleSide = once(p, 'disconnect');
    const blenoSide = once(bench.bleno, 'disconnect');
    bench.phone.moveTo({ x: 5000, y: 0 });
    expect(bench.air.canHear(bench.phone, bench.pos)).toBe(false);
    // noble's default supervision timeout is 0x2a × 10 ms; nothing happens before it has passed.
    (bench.clock as VirtualClock).advance(410);
    expect(bench.pos.listConnections()).toHaveLength(1);
    (bench.clock as VirtualClock).advance(20);
    await Promise.all([nobleSide, blenoSide]);
    expect(
      packets(bench.traces.pos, 'toHost').some((h) =>
        disconnectionComplete(HciStatus.ConnectionTimeout).test(h),
      ),
    ).toBe(true);
    expect(
      packets(bench.traces.phone, 'toHost').some((h) =>
        disconnectionComplete(HciStatus.ConnectionTimeout).test(h),
      ),
    ).toBe(true);
  });

  it('supervision timeout: a phone that is powered off leaves the POS with 0x08 Connection Timeout', async () => {
    bench = await startBleBench();
    const p = await discoverPhone(bench);
    await p.connectAsync();
    const nobleSide = once(p, 'disconnect');
    bench.phone.powerOff();
    (bench.clock as VirtualClock).advance(430);
    await nobleSide;
    expect(
      packets(bench.traces.pos, 'toHost').some((h) =>
        disconnectionComplete(HciStatus.ConnectionTimeout).test(h),
      ),
    ).toBe(true);
  });

  it('on the wall clock, with link-layer PDUs paced on connection events: pair and encrypted read', async () => {
    bench = await startBleBench({ wallClock: true });
    const p = await discoverPhone(bench);
    await p.connectAsync();
    const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([SERVICE], [SECURE_CHR]);
    expect((await characteristics[0]!.readAsync()).toString()).toBe('user-0042');
    expect(bench.pos.listConnections()[0]?.encrypted).toBe(true);
    await p.disconnectAsync();
  });
});
