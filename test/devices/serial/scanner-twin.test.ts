/**
 * The serial scanner twin as a host meets it: serialport on the twin's stable path. Menu commands stored
 * with `.` survive a power cycle through the nvram file; `!` (RAM) changes do not; a damaged nvram file
 * reads as factory defaults, as a scanner whose flash check fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { encodeMenuCommand } from '../../../firmware-sim/scanner/honeywell.js';
import { getScannerProfile } from '../../../devices/profiles/scanners.js';
import { SerialScannerTwin } from '../../../devices/serial/scanner-twin.js';
import { ByteCollector, closeHost, hostWrite, openHost } from './host.js';

const EAN13 = { kind: 'symbol', symbology: 'ean13', text: '4901234567894' } as const;
const CR_ONLY = [
  { tag: 'SUF', subtag: 'CA2', data: '' },
  { tag: 'SUF', subtag: 'BK2', data: '990D' },
];

describe('serial scanner twin: non-volatile settings', () => {
  let dir: string;
  let twin: SerialScannerTwin;
  let host: SerialPort;
  let rx: ByteCollector;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-twin-'));
    twin = new SerialScannerTwin({
      name: 'scanner',
      profile: getScannerProfile('honeywell-1900'),
      clock: new VirtualClock(),
      runtimeDir: dir,
    });
    await twin.open();
    host = await openHost(twin.path);
    rx = new ByteCollector(host);
  });

  afterEach(async () => {
    await closeHost(host);
    twin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function configure(storage: '!' | '.'): Promise<void> {
    await hostWrite(host, encodeMenuCommand(CR_ONLY, storage));
    // The reply echoes the commands, each ACKed, and ends with the storage character.
    const reply = await rx.waitFor(1);
    while (!rx.bytes.includes(storage)) await rx.waitFor(rx.bytes.length + 1);
    expect(reply.includes(0x06)).toBe(true);
    rx.clear();
  }

  async function scanned(): Promise<string> {
    expect(twin.scan(EAN13).read).toBe(true);
    const want = ']E04901234567894'.length + 1;
    await rx.waitFor(want);
    // A second byte of suffix (LF) would follow at once on the same write.
    await new Promise((r) => setTimeout(r, 50));
    const text = rx.bytes.toString('latin1');
    rx.clear();
    return text;
  }

  it('keeps a "." change across a power cycle', async () => {
    await configure('.');
    expect(await scanned()).toBe(']E04901234567894\r');
    twin.powerCycle();
    expect(await scanned()).toBe(']E04901234567894\r');
  });

  it('loses a "!" change at a power cycle', async () => {
    await configure('!');
    expect(await scanned()).toBe(']E04901234567894\r');
    twin.powerCycle();
    expect(await scanned()).toBe(']E04901234567894\r\n');
  });

  it('reads a damaged nvram file as factory defaults', async () => {
    await configure('.');
    writeFileSync(twin.nvram.file, '{ truncated');
    twin.powerCycle();
    expect(await scanned()).toBe(']E04901234567894\r\n');
  });
});
