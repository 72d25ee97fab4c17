import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../firmware-sim/clock.js';
import { Air } from '../../../../devices/ble/air.js';
import { HciCapture } from '../../../../devices/ble/capture.js';
import { VirtualController } from '../../../../devices/ble/controller.js';
import { PhoneGatt } from '../../../../devices/ble/phone-gatt.js';
import { unregisterVirtualController } from '../../../../devices/ble/seam/registry.js';
import { BlePhoneLink } from '../../../../host/drivers/phone/ble-phonelink.js';
import { hasTshark } from '../../../oracles.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-phonelink-capture-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function tshark(file: string, ...args: string[]): string {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout;
}

describe('the POS reads the user id from the phone twin: HCI capture on the POS controller', () => {
  it.skipIf(!hasTshark)(
    hasTshark
      ? 'tshark (peer) shows the SMP pairing, then the ATT Read Response carrying the user id "00002", and no malformed packet'
      : 'SKIPPED: tshark is not installed (Debian package tshark) — the user-id capture is not dissected',
    async () => {
      const clock = new VirtualClock({ autoAdvance: { quietMs: 50 } });
      const air = new Air({ clock });
      const phone = await PhoneGatt.start({
        air,
        address: '5a:40:00:00:00:01',
        name: 'capture-phone',
        userId: '00002',
      });
      const pos = new VirtualController({ air, address: '5a:40:00:00:00:02', name: 'pos' });
      const file = path.join(dir, 'user-id.pcapng');
      const capture = new HciCapture({ file, clock });
      capture.add(pos);
      const link = await BlePhoneLink.open({ transport: pos, clock });
      try {
        const [found] = await link.discover({ timeoutMs: 5000, count: 1 });
        await link.connect(found!);
        await link.pair();
        expect(await link.readUserId()).toBe('00002');
        await link.disconnect();
      } finally {
        capture.close();
        await link.close();
        await phone.close();
        pos.close();
        unregisterVirtualController(pos);
        air.close();
        clock.dispose();
      }
      expect(tshark(file, '-Y', '_ws.malformed || _ws.expert.severity == "error"')).toBe('');
      // ATT Read Response (opcode 0x0b) received by the POS: its value is the user id's ASCII octets.
      const values = tshark(file, '-Y', 'btatt.opcode == 0x0b', '-T', 'fields', '-e', 'btatt.value')
        .split('\n')
        .filter(Boolean)
        .map((v) => v.replace(/:/g, ''));
      expect(values).toContain(Buffer.from('00002').toString('hex'));
      const verbose = tshark(file, '-V');
      expect(verbose).toContain('Pairing Request');
      expect(verbose).toMatch(/Insufficient Authentication/);
      expect(verbose).toContain('Encryption Change');
      expect(verbose).toContain('Read Response');
    },
  );
});
