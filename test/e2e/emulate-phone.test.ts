/**
 * `benchtwin emulate phone --ir --json` as a user runs it: the AT port answers an AT client framing lines as
 * ModemManager does (serialport on the printed path), and the IR port serves OBEX to the terminal driver
 * (discovery by name, IAS, Tiny TP, PUT then GET byte-identical). No independent IrDA stack exists on
 * Linux any more (removed in 4.17), so the IR side is checked with the project's own terminal driver here
 * and with tshark and openobex in test/devices/ir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrObexDriver } from '../../host/drivers/phone/ir-obex.js';
import { AtClient } from '../devices/phone/at-client.js';
import { postJson, runCli, until, type Cli } from './cli.js';

describe('benchtwin emulate phone --ir --json', () => {
  let runtime: string;
  let cli: Cli;
  let info: { role: string; transport: string; path: string; msisdn: string; ir: string; control: string };

  beforeAll(async () => {
    runtime = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-e2e-phone-'));
    cli = runCli(['emulate', 'phone', '--ir', '--json'], { BENCHTWIN_RUNTIME_DIR: runtime });
    await until('the JSON line', () => cli.stdout().includes('\n'));
    info = JSON.parse(cli.stdout().split('\n')[0]!) as typeof info;
  });

  afterAll(async () => {
    cli?.child.kill('SIGTERM');
    await cli?.exited;
    rmSync(runtime, { recursive: true, force: true });
  });

  it('prints the AT port, the MSISDN from the UIM profile, the IR port and the control URL', () => {
    expect(Object.keys(info).sort()).toEqual(['control', 'ir', 'msisdn', 'path', 'role', 'transport']);
    expect(info).toMatchObject({ role: 'phone', transport: 'serial', msisdn: '+447700900123' });
    expect(info.path.startsWith(runtime)).toBe(true);
    expect(info.ir.startsWith(runtime)).toBe(true);
  });

  it('answers an AT client on the printed path: identity, PIN state, IMSI after the PIN', async () => {
    const port = new SerialPort({ path: info.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    try {
      const at = new AtClient(port);
      expect((await at.command('ATE0')).final).toBe('OK');
      expect((await at.command('AT+CGMM')).lines).toEqual(['BT-P1 Payment Phone']);
      expect((await at.command('AT+CPIN?')).lines).toEqual(['+CPIN: SIM PIN']);
      expect((await at.command('AT+CPIN="1234"')).final).toBe('OK');
      const imsi = await at.command('AT+CIMI');
      expect(imsi.final).toBe('OK');
      expect(imsi.lines[0]).toMatch(/^\d{15}$/);
    } finally {
      await new Promise<void>((resolve) => port.close(() => resolve()));
    }
  });

  it('shows its screen on the control API (JSON and PNG) and takes keys', async () => {
    const json = (await (await fetch(`${info.control}/screen`)).json()) as {
      title: string;
      status: { batteryLevel: number };
      softKeys: { left: string | null };
    };
    expect(json.status.batteryLevel).toBe(85);
    expect(typeof json.title).toBe('string');
    const png = Buffer.from(await (await fetch(`${info.control}/screen?format=png`)).arrayBuffer());
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([240, 320]);
    const bad = await postJson(`${info.control}/keys`, { keys: ['ok', 'no-such-key'] });
    expect(bad.status).toBe(400);
    expect(String(bad.body['error'])).toContain('no-such-key');
  });

  it('serves OBEX on the IR port: discovery by name, PUT, GET back byte-identical', async () => {
    const driver = await IrObexDriver.open({ path: info.ir });
    try {
      const { device } = await driver.connect({ nickname: 'BT-P1 Payment Phone' });
      expect(device.info.nickname).toBe('BT-P1 Payment Phone');
      const body = randomBytes(3000);
      const put = await driver.put('history.bin', body, 'application/octet-stream');
      expect(put.code & 0x7f).toBe(0x20);
      const got = await driver.get({ name: 'history.bin' });
      expect(Buffer.from(got.body).equals(body)).toBe(true);
    } finally {
      await driver.close();
    }
  });
});
