import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SerialPort } from 'serialport';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { EmulatedSerialPort } from '../../../devices/serial/index.js';
import { ByteCollector, closeHost, hostWrite, openHost } from './host.js';

describe('arbitrary bytes through the emulated port (virtual clock, no faults)', () => {
  let dir: string;
  let port: EmulatedSerialPort;
  let h: SerialPort;
  let atHost: ByteCollector;
  let atDevice: ByteCollector;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-serial-prop-'));
    port = new EmulatedSerialPort({ name: 'prop', runtimeDir: dir, clock: new VirtualClock() });
    await port.open();
    h = await openHost(port.path, 115200);
    atHost = new ByteCollector(h);
    atDevice = new ByteCollector(port);
  });

  afterAll(async () => {
    await closeHost(h);
    port?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('arrive identical in both directions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), async (bytes) => {
        atHost.clear();
        atDevice.clear();
        await port.write(bytes);
        expect(await atHost.waitFor(bytes.length)).toEqual(Buffer.from(bytes));
        await hostWrite(h, bytes);
        expect(await atDevice.waitFor(bytes.length)).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 60 },
    );
  });
});
