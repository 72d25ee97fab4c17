/**
 * Serial captures, checked by tshark (an independent pcapng reader) when it is installed, and by the
 * tests' own block walker always.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SerialPort } from 'serialport';
import { SystemClock, VirtualClock } from '../../../firmware-sim/clock.js';
import { SerialCapture, VIRTUAL_EPOCH_MS } from '../../../devices/capture/serial-capture.js';
import { BLOCK_TYPE_EPB } from '../../../devices/capture/pcapng.js';
import { EmulatedSerialPort } from '../../../devices/serial/index.js';
import { ByteCollector, closeHost, hostWrite, openHost } from '../serial/host.js';
import { readOptions, walkBlocks } from './blocks.js';
import { hasTshark } from '../../oracles.js';

/** Rows of `tshark -T fields`; stderr (the "running as root" notice) is ignored. */
function tshark(file: string, fields: string[]): string[][] {
  const args = ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  const out = spawnSync('tshark', args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`tshark failed: ${out.stderr}`);
  return out.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** Packets as [direction bits, bytes] from the file, by our own walker. */
function packets(file: string): { direction: number; data: Buffer; comment?: string }[] {
  return walkBlocks(fs.readFileSync(file))
    .filter((b) => b.type === BLOCK_TYPE_EPB)
    .map((b) => {
      const len = b.body.readUInt32LE(12);
      const opts = readOptions(b.body.subarray(20 + ((len + 3) & ~3)));
      const flags = opts.find(([c]) => c === 2)?.[1].readUInt32LE(0) ?? 0;
      const comment = opts.find(([c]) => c === 1)?.[1].toString('utf8');
      return { direction: flags & 3, data: b.body.subarray(20, 20 + len), ...(comment ? { comment } : {}) };
    });
}

let dir: string;
let devices: EmulatedSerialPort[] = [];
let hosts: SerialPort[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-capture-'));
});

afterEach(async () => {
  await Promise.all(hosts.map((h) => closeHost(h)));
  for (const d of devices) d.close();
  [devices, hosts] = [[], []];
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SerialCapture', () => {
  function writeSample(file: string): void {
    const capture = new SerialCapture({ file, clock: new VirtualClock() });
    capture.record({
      port: 'scanner',
      direction: 'toHost',
      bytes: Buffer.from(']E09780201379629\r'),
      timeMs: 0,
    });
    capture.record({
      port: 'scanner',
      direction: 'fromHost',
      bytes: Buffer.from([0x16, 0x4d, 0x0d]),
      timeMs: 2.5,
    });
    capture.record({ port: 'cat', direction: 'fromHost', bytes: Buffer.from([0x00, 0xff]), timeMs: 10 });
    capture.record({ port: 'scanner', direction: 'toHost', bytes: Buffer.from([0x06]), timeMs: 1000.001 });
    capture.close();
  }

  it('writes host-view directions: device → host inbound (01), host → device outbound (10)', () => {
    const file = path.join(dir, 'sample.pcapng');
    writeSample(file);
    expect(packets(file).map((p) => [p.direction, p.data.length])).toEqual([
      [1, 17],
      [2, 3],
      [2, 2],
      [1, 1],
    ]);
  });

  it.skipIf(!hasTshark)(
    'tshark reads lengths, directions, interfaces and times (needs tshark from Debian)',
    () => {
      const file = path.join(dir, 'sample.pcapng');
      writeSample(file);
      const epoch = VIRTUAL_EPOCH_MS / 1000;
      expect(
        tshark(file, [
          'frame.len',
          'frame.packet_flags_direction',
          'frame.interface_name',
          'data.data',
          'frame.time_epoch',
        ]),
      ).toEqual([
        [
          '17',
          '0x00000001',
          'benchtwin-scanner',
          Buffer.from(']E09780201379629\r').toString('hex'),
          `${epoch}.000000000`,
        ],
        ['3', '0x00000002', 'benchtwin-scanner', '164d0d', `${epoch}.002500000`],
        ['2', '0x00000002', 'benchtwin-cat', '00ff', `${epoch}.010000000`],
        ['1', '0x00000001', 'benchtwin-scanner', '06', `${epoch + 1}.000001000`],
      ]);
    },
  );

  it('records every byte crossing an emulated port, in both directions', async () => {
    const clock = new VirtualClock({ start: 100 });
    const file = path.join(dir, 'port.pcapng');
    const capture = new SerialCapture({ file, clock });
    const port = new EmulatedSerialPort({ name: 'scanner', runtimeDir: dir, clock, capture });
    devices.push(port);
    await port.open();
    const h = await openHost(port.path);
    hosts.push(h);
    const atHost = new ByteCollector(h);
    const atDevice = new ByteCollector(port);
    const toHost = Buffer.from([0x02, 0x00, 0x11, 0x13, 0xff, 0x03]);
    const fromHost = Buffer.from([0x1a, 0x00, 0x0d, 0x0a]);
    await port.write(toHost);
    await atHost.waitFor(toHost.length);
    await hostWrite(h, fromHost);
    await atDevice.waitFor(fromHost.length);
    capture.close();

    const ps = packets(file);
    expect(Buffer.concat(ps.filter((p) => p.direction === 1).map((p) => p.data))).toEqual(toHost);
    expect(Buffer.concat(ps.filter((p) => p.direction === 2).map((p) => p.data))).toEqual(fromHost);
    if (hasTshark) {
      const rows = tshark(file, ['frame.len', 'frame.packet_flags_direction']);
      expect(rows).toEqual(ps.map((p) => [String(p.data.length), `0x0000000${p.direction}`]));
    }
  });

  it('shows the bytes the host sent, with a comment when faults keep them from the device', async () => {
    const clock = new VirtualClock();
    const file = path.join(dir, 'faults.pcapng');
    const capture = new SerialCapture({ file, clock });
    const port = new EmulatedSerialPort({
      name: 'cat',
      runtimeDir: dir,
      clock,
      capture,
      faults: { fromHost: { dropRate: 1 } },
    });
    devices.push(port);
    await port.open();
    const h = await openHost(port.path);
    hosts.push(h);
    await hostWrite(h, Buffer.from('PING'));
    await waitUntil(() => port.stats.fromHost.dropped === 4);
    capture.close();
    const [p] = packets(file);
    expect(p?.data.toString()).toBe('PING');
    expect(p?.comment).toBe('fault injection: 4 dropped on the way to the device');
  });

  it('stamps wall-clock captures with the current time', () => {
    const file = path.join(dir, 'wall.pcapng');
    const clock = new SystemClock();
    const capture = new SerialCapture({ file, clock });
    capture.record({ port: 'p', direction: 'toHost', bytes: Buffer.from([1]), timeMs: clock.now() });
    capture.close();
    const epb = walkBlocks(fs.readFileSync(file)).find((b) => b.type === BLOCK_TYPE_EPB)!;
    const us = (BigInt(epb.body.readUInt32LE(4)) << 32n) | BigInt(epb.body.readUInt32LE(8));
    expect(Math.abs(Number(us / 1000n) - Date.now())).toBeLessThan(60_000);
  });
});

async function waitUntil(ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
