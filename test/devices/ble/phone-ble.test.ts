import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { startPhoneBle } from '../../../devices/ble/phone-ble.js';
import { parseBleTransport } from '../../../devices/ble/seam/registry.js';

const script = fileURLToPath(new URL('./remote-central.script.ts', import.meta.url));

function runChild(transport: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, transport], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('emulate phone --ble: the phone twin with a host controller exported as H4', () => {
  it('parses ble:h4tcp:<host>:<port> and refuses a bad port', () => {
    expect(parseBleTransport('ble:h4tcp:127.0.0.1:4100')).toEqual({
      kind: 'h4tcp',
      host: '127.0.0.1',
      port: 4100,
    });
    expect(parseBleTransport('ble:h4tcp:[::1]:9')).toEqual({ kind: 'h4tcp', host: '::1', port: 9 });
    expect(() => parseBleTransport('ble:h4tcp:127.0.0.1:0')).toThrow(RangeError);
    expect(() => parseBleTransport('ble:h4tcp:127.0.0.1')).toThrow(/ble:h4tcp:<host>:<port>/);
  });

  it('noble in another process attaches through ble:h4tcp, finds the phone, pairs and reads the user id', async () => {
    const clock = new VirtualClock();
    const ble = await startPhoneBle({ clock, name: 'remote-phone', userId: '00003', exportH4: 'tcp' });
    try {
      expect(ble.endpoint).toMatch(/^ble:h4tcp:127\.0\.0\.1:\d+$/);
      const r = await runChild(ble.endpoint!);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        address: ble.phone.address,
        name: 'remote-phone',
        userId: '00003',
      });
      // The remote noble paired: the phone's controller holds the key bleno loaded for the exported controller.
      expect(ble.phone.controller.longTermKeys.map((k) => k.address)).toEqual([ble.host!.address]);
    } finally {
      await ble.close();
    }
  });

  it('the PTY export gives a /dev/pts path for BlueZ btattach or Bumble', async () => {
    const ble = await startPhoneBle({
      clock: new VirtualClock(),
      name: 'pty-phone',
      userId: '1',
      exportH4: 'pty',
    });
    try {
      expect(ble.endpoint).toMatch(/^\/dev\/pts\/\d+$/);
    } finally {
      await ble.close();
    }
  });
});
