/**
 * `benchtwin emulate phone --ble --json`: the printed `ble` endpoint is an exported H4 transport; unmodified
 * noble in another process attaches through it, finds the phone's payment service, pairs and reads the
 * user id from the encrypted characteristic.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, until, type Cli } from './cli.js';

const script = fileURLToPath(new URL('../devices/ble/remote-central.script.ts', import.meta.url));

describe('benchtwin emulate phone --ble --json', () => {
  let runtime: string;
  let cli: Cli;
  let info: { role: string; path: string; ble: string; control: string };

  beforeAll(async () => {
    runtime = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-e2e-ble-'));
    cli = runCli(['emulate', 'phone', '--ble', '--user-id', '00001', '--json'], {
      BENCHTWIN_RUNTIME_DIR: runtime,
    });
    await until('the JSON line', () => cli.stdout().includes('\n'));
    info = JSON.parse(cli.stdout().split('\n')[0]!) as typeof info;
  });

  afterAll(async () => {
    cli?.child.kill('SIGTERM');
    await cli?.exited;
    rmSync(runtime, { recursive: true, force: true });
  });

  it('prints a ble endpoint that noble in another process attaches through and reads the user id', async () => {
    expect(info.ble).toMatch(/^ble:h4tcp:127\.0\.0\.1:\d+$/);
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, info.ble], { cwd: ROOT });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out) as { name: string; userId: string }).toMatchObject({
      name: 'BT-P1 Payment Phone',
      userId: '00001',
    });
  });
});
