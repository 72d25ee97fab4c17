/**
 * GATT over the air, with unmodified noble (the POS, central) and bleno (the phone, peripheral) on two
 * virtual controllers:
 * 1. connect + discover + write + notify + disconnect cycles per second of wall time on a virtual clock;
 * 2. notification throughput on the wall clock against the rate the air's connection events allow.
 */
import { afterAll, bench, describe } from 'vitest';
import type { Link } from '../../devices/ble/air.js';
import {
  NOTIFY_CHR,
  SERVICE,
  WRITE_CHR,
  discoverPhone,
  once,
  startBleBench,
  type BleBench,
  type Peripheral,
} from '../devices/ble/bench.js';
import { report, type Figure } from './report.js';

const CYCLE_BUDGET_MS = 2000;
/**
 * With ATT (3) and L2CAP (4) headers a 20-byte notification fills one 27-byte ACL buffer exactly, so one
 * notification is one ACL packet whatever ATT_MTU noble and bleno agree (256).
 */
const NOTIFICATION_BYTES = 20;
const NOTIFICATIONS = 400;

async function cycle(b: BleBench, p: Peripheral): Promise<void> {
  await p.connectAsync();
  const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync(
    [SERVICE],
    [WRITE_CHR, NOTIFY_CHR],
  );
  const byUuid = new Map(characteristics.map((c) => [c.uuid, c]));
  await byUuid.get(WRITE_CHR)!.writeAsync(Buffer.from('confirm'), false);
  const notifyChr = byUuid.get(NOTIFY_CHR)!;
  await notifyChr.subscribeAsync();
  const got = once<[Buffer]>(notifyChr, 'data');
  b.notify(Buffer.from('txn'));
  const [data] = await got;
  if (data.toString() !== 'txn') throw new Error(`notification ${data.toString('hex')}`);
  const blenoSide = once(b.bleno, 'disconnect');
  await p.disconnectAsync();
  await blenoSide;
}

const figures: { cycles: Figure[]; throughput: Figure[] } = { cycles: [], throughput: [] };

afterAll(() => {
  if (figures.cycles.length)
    report(
      'BLE GATT: connect + discover + write + notify + disconnect (noble ↔ bleno, virtual clock)',
      figures.cycles,
    );
  if (figures.throughput.length)
    report('BLE GATT: notification throughput (noble ↔ bleno, wall clock)', figures.throughput);
});

/** Cycles on one bench for CYCLE_BUDGET_MS of wall time; the virtual clock is not advanced by anyone. */
async function cycles(): Promise<void> {
  const b = await startBleBench();
  try {
    const p = await discoverPhone(b);
    const v0 = b.clock.now();
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < CYCLE_BUDGET_MS) {
      await cycle(b, p);
      n++;
    }
    const wallMs = performance.now() - t0;
    const virtualMs = b.clock.now() - v0;
    figures.cycles = [
      {
        figure: 'cycles run (writes seen by bleno)',
        value: `${n} (${b.written.length})`,
        target: '-',
        met: b.written.length === n,
      },
      { figure: 'cycles per second (wall)', value: (n / (wallMs / 1000)).toFixed(1), target: '-', met: true },
      { figure: 'wall time per cycle', value: `${(wallMs / n).toFixed(2)} ms`, target: '-', met: true },
      { figure: 'virtual time per cycle', value: `${(virtualMs / n).toFixed(2)} ms`, target: '-', met: true },
    ];
  } finally {
    await b.close();
  }
}

describe('BLE GATT cycles (virtual clock)', () => {
  bench(`connect + discover + write + notify + disconnect cycles for ${CYCLE_BUDGET_MS} ms`, cycles, {
    iterations: 1,
    time: 0,
    warmupIterations: 0,
  });
});

/**
 * The model the theory assumes, from devices/ble/air.ts and controller.ts: on a wall clock a link delivers
 * every queued PDU at its next connection event, on a grid of `interval × 1.25 ms` from the connection
 * anchor, and a PDU's Number Of Completed Packets goes to the host when it has crossed. bleno keeps at most
 * LE Read Buffer Size (aclBufferCount) ACL packets in flight, so one event carries at most aclBufferCount
 * packets, each here one whole notification: theory = aclBufferCount × payload / interval. No radio
 * timing inside an event (no 1 Mbit/s air time, no IFS, no MD bit) is modelled. The air takes the interval
 * as Connection_Interval_Max of LE Create Connection (noble asks 0x0012: 22.5 ms); neither stack asks for a
 * Connection Update here.
 */
async function burst(
  b: BleBench,
  p: Peripheral,
  link: Link,
): Promise<{ bytesPerSecond: number; received: number }> {
  const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([SERVICE], [NOTIFY_CHR]);
  const chr = characteristics[0]!;
  await chr.subscribeAsync();
  const arrivals: { t: number; bytes: number }[] = [];
  const all = new Promise<void>((resolve) => {
    const onData = (data: Buffer) => {
      arrivals.push({ t: performance.now(), bytes: data.length });
      if (arrivals.length === NOTIFICATIONS) {
        chr.removeListener('data', onData);
        resolve();
      }
    };
    chr.on('data', onData);
  });
  const payload = Buffer.alloc(NOTIFICATION_BYTES, 0x5a);
  for (let i = 0; i < NOTIFICATIONS; i++) b.notify(payload);
  await all;
  await chr.unsubscribeAsync();
  // From the first connection event that carried data to the last: the first event's batch arrived
  // before the clock started, so its bytes are left out.
  const first = arrivals[0]!.t;
  const last = arrivals[arrivals.length - 1]!.t;
  const after = arrivals.filter((a) => a.t > first + link.intervalMs / 2);
  const bytes = after.reduce((s, a) => s + a.bytes, 0);
  return { bytesPerSecond: bytes / ((last - first) / 1000), received: arrivals.length };
}

async function throughput(): Promise<void> {
  const b = await startBleBench({ wallClock: true });
  try {
    const p = await discoverPhone(b);
    await p.connectAsync();
    const link = [...b.air.links][0]!;
    const { bytesPerSecond, received } = await burst(b, p, link);
    const aclBuffers = b.phone.aclBufferCount;
    const theory = (aclBuffers * NOTIFICATION_BYTES) / (link.intervalMs / 1000);
    figures.throughput = [
      {
        figure: 'connection interval (noble LE Create Connection)',
        value: `${link.intervalMs} ms`,
        target: '-',
        met: true,
      },
      { figure: 'ATT_MTU negotiated', value: `${String(p.mtu)}`, target: '-', met: true },
      { figure: 'ACL buffers (LE Read Buffer Size)', value: `${aclBuffers}`, target: '-', met: true },
      {
        figure: `notifications of ${NOTIFICATION_BYTES} B received`,
        value: `${received}/${NOTIFICATIONS}`,
        target: `${NOTIFICATIONS}`,
        met: received === NOTIFICATIONS,
      },
      {
        figure: 'notification throughput at the central',
        value: `${bytesPerSecond.toFixed(0)} B/s`,
        target: `${theory.toFixed(0)} ± 10 %`,
        met: Math.abs(bytesPerSecond - theory) <= 0.1 * theory,
      },
    ];
    await p.disconnectAsync();
  } finally {
    await b.close();
  }
}

describe('BLE notification throughput (wall clock)', () => {
  bench(`${NOTIFICATIONS} notifications of ${NOTIFICATION_BYTES} B, phone to POS`, throughput, {
    iterations: 1,
    time: 0,
    warmupIterations: 0,
  });
});
