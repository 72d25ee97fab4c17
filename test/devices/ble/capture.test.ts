import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HciCapture } from '../../../devices/ble/capture.js';
import { hasTshark } from '../../oracles.js';
import { SECURE_CHR, SERVICE, WRITE_CHR, discoverPhone, startBleBench } from './bench.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-ble-capture-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function tshark(file: string, ...args: string[]): string {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout;
}

describe('HCI capture (pcapng, link type 201)', () => {
  it.skipIf(!hasTshark)(
    hasTshark
      ? 'tshark (peer) dissects a noble/bleno session down to ATT and SMP with no malformed packet'
      : 'SKIPPED: tshark is not installed (Debian package tshark) — capture dissection not checked',
    async () => {
      const bench = await startBleBench();
      const file = path.join(dir, 'session.pcapng');
      const capture = new HciCapture({ file, clock: bench.clock });
      capture.add(bench.pos);
      capture.add(bench.phone);
      try {
        const p = await discoverPhone(bench);
        await p.connectAsync();
        const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync(
          [SERVICE],
          [SECURE_CHR, WRITE_CHR],
        );
        const secure = characteristics.find((c) => c.uuid === SECURE_CHR)!;
        expect((await secure.readAsync()).toString()).toBe('user-0042');
        await characteristics
          .find((c) => c.uuid === WRITE_CHR)!
          .writeAsync(Buffer.from('x'.repeat(60)), false);
        await p.disconnectAsync();
      } finally {
        capture.close();
        await bench.close();
      }
      expect(tshark(file, '-Y', '_ws.malformed || _ws.expert.severity == "error"')).toBe('');
      const protocols = tshark(file, '-T', 'fields', '-e', 'frame.protocols');
      expect(protocols).toMatch(/bthci_cmd/);
      expect(protocols).toMatch(/bthci_evt/);
      expect(protocols).toMatch(/btl2cap:btatt/);
      expect(protocols).toMatch(/btl2cap:btsmp/);
      const verbose = tshark(file, '-V');
      expect(verbose).toContain('Pairing Request');
      expect(verbose).toContain('LE Long Term Key Request');
      expect(verbose).toContain('Number of Completed Packets');
      expect(verbose).not.toMatch(/Malformed/i);
    },
  );
});
