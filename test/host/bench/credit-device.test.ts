/**
 * The issuer's credit server on a bench (emu:credit): kill and restart keep its port, its journal (SQLite on
 * disk) and one capture file holding the conversations before and after the restart, read by tshark's
 * iso8583 dissector.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { Iso8583Client } from '../../../devices/cat/iso8583-link.js';
import { startBench, type RunningBench } from '../../../host/bench/bench.js';
import { CreditServiceDevice } from '../../../host/bench/credit-device.js';
import { parseTransport } from '../../../host/bench/transport.js';
import { hasTshark } from '../../oracles.js';

let dir: string;
let bench: RunningBench;
let issuer: CreditServiceDevice;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-credit-device-'));
  const transportText = 'emu:credit/2a11111';
  bench = await startBench(
    {
      name: `credit-device-${process.pid}`,
      clock: 'wall',
      controlPort: 0,
      captureDir: dir,
      roles: [{ role: 'issuer', transport: parseTransport(transportText), transportText, capture: true }],
    },
    { register: false },
  );
  issuer = bench.devices.get('issuer') as CreditServiceDevice;
});

afterAll(async () => {
  await bench.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(bench.runtimeDir, { recursive: true, force: true });
});

const approve = async (stan: number): Promise<string> => {
  const client = await Iso8583Client.connect({
    host: '127.0.0.1',
    port: issuer.port,
    clock: new SystemClock(),
    terminalId: 'POS00001',
  });
  try {
    const r = await client.authorize({
      pan: '1234223432344234',
      expiry: '2812',
      amountMinor: 1200,
      currencyNumeric: '392',
      stan,
      terminalId: 'POS00001',
      merchantId: '1111111111',
      paymentMethod: 'L',
      transactionNumber: `T${stan}`,
      at: new Date(),
    });
    return r.responseCode;
  } finally {
    await client.close();
  }
};

describe('emu:credit on the bench', () => {
  it('is published in the bench DNS as issuer-<code>.benchtwin.test', () => {
    expect(bench.services.portOf('issuer-2a11111.benchtwin.test')).toBe(issuer.port);
  });

  it('kill refuses requests; restart on the same port keeps the journal and approves again', async () => {
    expect(await approve(1)).toBe('00');
    const port = issuer.port;
    await issuer.actions['kill']!({});
    expect(issuer.running).toBe(false);
    await expect(approve(2)).rejects.toThrow();
    await issuer.actions['restart']!({});
    expect(issuer.port).toBe(port);
    expect(issuer.journal().filter((r) => r.responseCode === '00')).toHaveLength(1);
    expect(await approve(3)).toBe('00');
    expect(issuer.journal().map((r) => r.stan)).toEqual([1, 3]);
  });

  it.skipIf(!hasTshark)(
    `one capture holds the conversations before and after the restart${hasTshark ? '' : ' (skipped: tshark not installed)'}`,
    () => {
      const file = issuer.state()['capture'] as string;
      const r = spawnSync(
        'tshark',
        [
          '-r',
          file,
          '-d',
          `tcp.port==${issuer.port},iso8583`,
          '-o',
          'iso8583.len_endian:bigendian',
          '-Y',
          'iso8583',
          '-T',
          'fields',
          '-e',
          'iso8583.mti',
        ],
        { encoding: 'utf8' },
      );
      expect(r.status).toBe(0);
      const mtis = r.stdout.split('\n').filter(Boolean);
      // Two authorizations and their answers, one before and one after the restart.
      expect(mtis.filter((m) => m.includes('0100'))).toHaveLength(2);
      expect(mtis.filter((m) => m.includes('0110'))).toHaveLength(2);
    },
  );
});
