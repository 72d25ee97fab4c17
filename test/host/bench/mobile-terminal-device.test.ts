/**
 * The mobile terminal on a bench: a phone twin with BLE and the terminal on the bench's air; the POS opens
 * the terminal's RS-232C path with serialport and polls until the user id arrives (docs/MOBILE-TERMINAL.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBenchFile } from '../../../host/bench/bench-file.js';
import { startBench, type RunningBench } from '../../../host/bench/bench.js';
import { ROOT } from '../../e2e/cli.js';
import { hasTshark } from '../../oracles.js';
import { waitFor } from '../../services/smsc/helpers.js';

let bench: RunningBench | undefined;
let pos: SerialPort | undefined;
afterEach(async () => {
  if (pos?.isOpen) await new Promise<void>((r) => pos!.close(() => r()));
  await bench?.close();
  if (bench) rmSync(bench.runtimeDir, { recursive: true, force: true });
  bench = undefined;
});

describe('fixtures/benches/mobile-terminal.yaml', () => {
  it('the POS polls the terminal on its serial path and gets the phone’s user id, read over BLE', async () => {
    const config = loadBenchFile(path.join(ROOT, 'fixtures/benches/mobile-terminal.yaml'));
    config.name = `mobile-terminal-${process.pid}`;
    const captures = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-mt-captures-'));
    config.captureDir = captures;
    bench = await startBench(config, { register: false });
    const terminal = bench.devices.get('terminal')!;
    expect(terminal.summary()).toMatchObject({ kind: 'mobile-terminal', endpoint: { transport: 'serial' } });
    pos = new SerialPort({ path: terminal.summary().endpoint.path!, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => pos!.open((e) => (e ? reject(e) : resolve())));
    // The POS side: complete lines only, and a POLL every 200 ms until a user id comes.
    let pending = '';
    const lines: string[] = [];
    pos.on('data', (d: Buffer) => {
      const parts = (pending + d.toString('latin1')).split('\r\n');
      pending = parts.pop()!;
      lines.push(...parts.filter(Boolean));
    });
    const poller = setInterval(() => pos!.write('POLL\r\n'), 200);
    let answer: string | undefined;
    try {
      await waitFor('a UID line', () => (answer = lines.find((l) => l.startsWith('UID '))) !== undefined);
    } finally {
      clearInterval(poller);
    }
    // Before the phone was read, the terminal answered NONE.
    expect(lines.filter((l) => l !== answer).every((l) => l === 'NONE')).toBe(true);
    expect(answer).toMatch(/^UID 00001 5a:50:00:00:00:01$/);
    expect(terminal.state()).toMatchObject({ lastUserId: '00001' });
    await bench.close();
    bench = undefined;
    // The phone's own controller was captured (link type 201); tshark, when present, reads the user id leaving it.
    const file = path.join(captures, `${config.name}-phone-hci.pcapng`);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(path.join(captures, `${config.name}-terminal-hci.pcapng`))).toBe(true);
    if (hasTshark) {
      const r = spawnSync(
        'tshark',
        ['-r', file, '-Y', 'btatt.opcode == 0x0b', '-T', 'fields', '-e', 'btatt.value'],
        {
          encoding: 'utf8',
        },
      );
      expect(r.stdout.split('\n').map((v) => v.replace(/:/g, ''))).toContain(
        Buffer.from('00001').toString('hex'),
      );
    }
    rmSync(captures, { recursive: true, force: true });
  });
});
