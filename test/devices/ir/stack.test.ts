/**
 * The whole stack, primary ↔ secondary, through an in-memory line on a VirtualClock: discovery by name,
 * IAS, Tiny TP and OBEX Put/Get, first on a clean line, then on a lossy and corrupting one.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { IrdaEndpoint, type IrdaEndpointOptions } from '../../../devices/ir/endpoint.js';
import { defaultQos, type NegotiatedQos } from '../../../devices/ir/irlap/params.js';
import { RSP } from '../../../devices/ir/obex/packet.js';
import { ObexError } from '../../../devices/ir/obex/client.js';
import { VirtualIrLine, runUntil, type LinkFaults } from './link.js';

function pair(
  seed: number,
  faults: LinkFaults = {},
  extra: { phone?: Partial<IrdaEndpointOptions>; host?: Partial<IrdaEndpointOptions> } = {},
) {
  const clock = new VirtualClock();
  const ends = {} as { host: IrdaEndpoint; phone: IrdaEndpoint };
  const toPhone = new VirtualIrLine(clock, (b) => ends.phone.receive(b), seed, faults);
  const toHost = new VirtualIrLine(clock, (b) => ends.host.receive(b), seed + 1, faults);
  ends.phone = new IrdaEndpoint({
    clock,
    nickname: 'Phone-0001',
    seed: seed + 2,
    transmit: toHost.write,
    obexServer: {},
    ...extra.phone,
  });
  ends.host = new IrdaEndpoint({
    clock,
    nickname: 'POS terminal',
    seed: seed + 3,
    transmit: toPhone.write,
    ...extra.host,
  });
  return { clock, host: ends.host, phone: ends.phone, toPhone, toHost };
}

/** What each pair's host negotiated in `session`. */
const negotiated = new WeakMap<object, NegotiatedQos>();

function payload(seed: number, size: number): Uint8Array {
  const r = mulberry32(seed);
  return Uint8Array.from({ length: size }, () => Math.floor(r() * 256));
}

async function session(p: ReturnType<typeof pair>, objects: Uint8Array[]) {
  const { clock, host } = p;
  const found = await runUntil(clock, host.discover({ nickname: 'Phone-0001', attempts: 20 }));
  expect(found[0]?.info.nickname).toBe('Phone-0001');
  negotiated.set(p, await runUntil(clock, host.connect(found[0]!)));
  const obex = await runUntil(clock, host.openObex());
  const back: Uint8Array[] = [];
  for (const [i, body] of objects.entries()) {
    await runUntil(clock, obex.client.put(`obj-${i}.bin`, body, { type: 'application/octet-stream' }));
    const got = await runUntil(clock, obex.client.get({ name: `obj-${i}.bin` }));
    back.push(got.body);
  }
  await runUntil(clock, obex.close());
  await runUntil(clock, host.disconnect());
  return back;
}

describe('IrDA stack over a virtual line', () => {
  it('discovers by name, negotiates 115200 baud and window 7, and moves OBEX objects byte-identical', async () => {
    const p = pair(11);
    const objects = [payload(1, 0), payload(2, 10), payload(3, 5000), payload(4, 40_000)];
    const back = await session(p, objects);
    back.forEach((b, i) => expect(Buffer.from(b).equals(Buffer.from(objects[i]!))).toBe(true));
    expect(p.phone.obexServer!.store.list().map((o) => o.name)).toEqual([
      'obj-0.bin',
      'obj-1.bin',
      'obj-2.bin',
      'obj-3.bin',
    ]);
    expect(p.host.station.connected).toBe(false);
    expect(p.phone.station.connected).toBe(false);
  });

  it('negotiates speed and window from both offers (IrLAP §6.6.1)', async () => {
    const p = pair(5);
    const found = await runUntil(p.clock, p.host.discover());
    const q = await runUntil(p.clock, p.host.station.connect(found[0]!.address));
    expect(q.baudRate).toBe(115200);
    expect(q.txWindow).toBe(7);
    expect(p.phone.station.qos?.baudRate).toBe(115200);
    expect(p.host.station.lineSetting.baudRate).toBe(115200);
    await runUntil(p.clock, p.host.disconnect());
    expect(p.host.station.lineSetting.baudRate).toBe(9600);
  });

  for (const seed of [21, 22, 23]) {
    it(`delivers every object intact with 5 % of frames corrupted and 2 % dropped (seed ${seed})`, async () => {
      const p = pair(seed, { frameCorruptRate: 0.05, frameDropRate: 0.02 });
      const objects = [payload(seed, 3000), payload(seed + 100, 20_000), payload(seed + 200, 1)];
      const back = await session(p, objects);
      back.forEach((b, i) => expect(Buffer.from(b).equals(Buffer.from(objects[i]!))).toBe(true));
      expect(p.toPhone.stats.framesCorrupted + p.toHost.stats.framesCorrupted).toBeGreaterThan(0);
      expect(p.phone.stats.sir.badFcs + p.host.stats.sir.badFcs).toBeGreaterThan(0);
      expect(
        p.host.stats.irlap.retransmitted +
          p.phone.stats.irlap.retransmitted +
          p.host.stats.irlap.fTimerExpired,
      ).toBeGreaterThan(0);
    });
  }

  it('survives byte-level drops and bit flips on the serial line', async () => {
    const p = pair(31, { byteDropRate: 0.0005, byteCorruptRate: 0.0005 });
    const objects = [payload(9, 30_000)];
    const back = await session(p, objects);
    expect(Buffer.from(back[0]!).equals(Buffer.from(objects[0]!))).toBe(true);
  });

  it('OBEX errors come back as response codes: Get of a missing object is Not Found (0xC4)', async () => {
    const p = pair(41);
    const found = await runUntil(p.clock, p.host.discover());
    await runUntil(p.clock, p.host.connect(found[0]!));
    const obex = await runUntil(p.clock, p.host.openObex());
    const err = await runUntil(p.clock, obex.client.get({ name: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObexError);
    expect((err as ObexError).code).toBe(RSP.NOT_FOUND);
    await runUntil(p.clock, obex.client.setPath('inbox'));
    await runUntil(p.clock, obex.client.put('a.txt', Buffer.from('in a folder')));
    await runUntil(p.clock, obex.client.setPath(undefined, { backup: true }));
    const err2 = await runUntil(p.clock, obex.client.get({ name: 'a.txt' })).catch((e: unknown) => e);
    expect((err2 as ObexError).code).toBe(RSP.NOT_FOUND);
    const err3 = await runUntil(p.clock, obex.client.setPath('missing', { dontCreate: true })).catch(
      (e: unknown) => e,
    );
    expect((err3 as ObexError).code).toBe(RSP.NOT_FOUND);
    await runUntil(p.clock, obex.close());
  });

  it('the secondary drops the link on its WD-timer when the primary vanishes', async () => {
    const p = pair(51);
    const found = await runUntil(p.clock, p.host.discover());
    await runUntil(p.clock, p.host.connect(found[0]!));
    const reasons: string[] = [];
    p.phone.onDisconnect = (r) => reasons.push(r);
    const threshold = p.phone.station.qos!.linkDisconnectMs;
    p.host.station.reset();
    const t0 = p.clock.now();
    while (p.phone.station.connected && p.clock.runNext());
    expect(reasons).toEqual(['link-timeout']);
    // The last frame the secondary heard was at most one turn before the reset.
    expect(p.clock.now() - t0).toBeLessThanOrEqual(threshold + 50);
    expect(p.clock.now() - t0).toBeGreaterThan(threshold - 1000);
    expect(p.phone.station.lineSetting.baudRate).toBe(9600);
  });

  it('IrLMP multiplexes two OBEX sessions (two Tiny TP connections) over one link at once', async () => {
    const p = pair(61);
    const found = await runUntil(p.clock, p.host.discover());
    await runUntil(p.clock, p.host.connect(found[0]!));
    const [a, b] = await runUntil(p.clock, Promise.all([p.host.openObex(), p.host.openObex()]));
    expect(a.ttp.lsap.localSel).not.toBe(b.ttp.lsap.localSel);
    const da = payload(71, 9000);
    const db = payload(72, 7000);
    await runUntil(p.clock, Promise.all([a.client.put('a.bin', da), b.client.put('b.bin', db)]));
    const [ga, gb] = await runUntil(
      p.clock,
      Promise.all([b.client.get({ name: 'a.bin' }), a.client.get({ name: 'b.bin' })]),
    );
    expect(Buffer.from(ga.body).equals(Buffer.from(da))).toBe(true);
    expect(Buffer.from(gb.body).equals(Buffer.from(db))).toBe(true);
    expect(p.phone.obexServer!.sessions.length).toBe(2);
    await runUntil(p.clock, Promise.all([a.close(), b.close()]));
  });

  for (const [credit, sdu] of [
    [1, 0],
    [2, 300],
    [5, 0],
  ] as const) {
    it(`Tiny TP with ${credit} credit(s) and MaxSduSize ${sdu} on the phone, at 9600 baud, window 1`, async () => {
      const slow = { ...defaultQos(9600), windowSize: 1 };
      const p = pair(
        80 + credit,
        { frameCorruptRate: 0.03 },
        {
          phone: { tinyTp: { initialCredit: credit, rxMaxSduSize: sdu }, qos: slow, obexMaxPacket: 512 },
          host: { tinyTp: { initialCredit: credit, rxMaxSduSize: sdu } },
        },
      );
      const objects = [payload(credit, 2500)];
      const back = await session(p, objects);
      expect(Buffer.from(back[0]!).equals(Buffer.from(objects[0]!))).toBe(true);
      expect(negotiated.get(p)).toMatchObject({ baudRate: 9600, txWindow: 1, txDataSize: 256 });
      // 2500 bytes in I fields of at most 256 bytes.
      expect(p.host.station.stats.iFramesSent).toBeGreaterThan(2500 / 256);
    });
  }

  it('the secondary asks to leave with RD; the primary answers DISC and reports the peer as the cause', async () => {
    const p = pair(91);
    const found = await runUntil(p.clock, p.host.discover());
    await runUntil(p.clock, p.host.connect(found[0]!));
    const reasons: string[] = [];
    p.host.onDisconnect = (r) => reasons.push(`host:${r}`);
    p.phone.onDisconnect = (r) => reasons.push(`phone:${r}`);
    await runUntil(p.clock, p.phone.disconnect());
    while (p.host.station.role && p.clock.runNext()); // 'closing' until the UA to its DISC
    expect(reasons.sort()).toEqual(['host:peer', 'phone:peer']);
  });
});
