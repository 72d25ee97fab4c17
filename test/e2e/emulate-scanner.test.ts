/**
 * Acceptance: `benchtwin emulate scanner --mode serial --json`, scanned through the control API, read on the
 * printed path by a raw-mode reader that is not this project's code (stty + cat).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, postJson, rawReader, runCli, until, type Cli } from './cli.js';

describe('benchtwin emulate scanner --mode serial --json', () => {
  let runtime: string;
  let cli: Cli;
  let info: { role: string; transport: string; path: string; control: string };
  let reader: ReturnType<typeof rawReader>;
  const events: Record<string, unknown>[] = [];
  let ws: WebSocket;

  beforeAll(async () => {
    runtime = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-e2e-'));
    cli = runCli(['emulate', 'scanner', '--mode', 'serial', '--json'], { BENCHTWIN_RUNTIME_DIR: runtime });
    await until('the JSON line', () => cli.stdout().includes('\n'));
    info = JSON.parse(cli.stdout().split('\n')[0]!) as typeof info;
    reader = rawReader(info.path);
    ws = new WebSocket(`${new URL(info.control).origin.replace('http', 'ws')}/events`);
    ws.on('message', (m: Buffer) => events.push(JSON.parse(m.toString()) as Record<string, unknown>));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    // The reader's stty has run once cat holds the port open; give it that moment through a probe scan-free wait.
    await until('the reader to open the port', () => reader !== undefined);
  });

  afterAll(async () => {
    ws?.close();
    reader?.stop();
    cli?.child.kill('SIGTERM');
    await cli?.exited;
    rmSync(runtime, { recursive: true, force: true });
  });

  it('prints one JSON line naming the role, transport, path and control URL', () => {
    expect(Object.keys(info).sort()).toEqual(['control', 'path', 'role', 'transport']);
    expect(info.role).toBe('scanner');
    expect(info.transport).toBe('serial');
    expect(info.path.startsWith(runtime)).toBe(true);
    expect(info.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devices\/scanner$/);
  });

  it('sends ]E04901234567894 CR LF for an EAN-13 given as data', async () => {
    // stty must have put the line in raw mode before the bytes arrive; retry the first scan until it has.
    const want = Buffer.from(']E04901234567894\r\n', 'latin1');
    await until('stty to finish', () => existsSync(info.path));
    await new Promise((r) => setTimeout(r, 300));
    const res = await postJson(`${info.control}/scan`, { symbology: 'ean13', text: '4901234567894' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ read: true, symbology: 'ean13', aim: ']E0', data: '4901234567894' });
    await until('the label on the raw reader', () => reader.bytes().length >= want.length);
    expect(reader.bytes()).toEqual(want);
  });

  it('sends ]Q1PAY:8f3a9c1e;AMT=1200 CR LF for the QR image', async () => {
    const before = reader.bytes().length;
    const want = Buffer.from(']Q1PAY:8f3a9c1e;AMT=1200\r\n', 'latin1');
    const res = await postJson(`${info.control}/scan`, {
      image: path.join(ROOT, 'fixtures/images/qr-pay.png'),
    });
    expect(res.body).toMatchObject({ read: true, symbology: 'qr', aim: ']Q1' });
    await until('the QR label', () => reader.bytes().length >= before + want.length);
    expect(reader.bytes().subarray(before)).toEqual(want);
  });

  it('answers "no read" for an image without a barcode and sends nothing on the port', async () => {
    const blank = new PNG({ width: 120, height: 80 });
    blank.data.fill(255);
    const file = path.join(runtime, 'blank.png');
    writeFileSync(file, PNG.sync.write(blank));
    const before = reader.bytes().length;
    const res = await postJson(`${info.control}/scan`, { image: file });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ read: false, reason: 'no-read' });
    // A follow-up scan arrives right after the (absent) no-read output: nothing came in between.
    await postJson(`${info.control}/scan`, { symbology: 'code128', text: 'NEXT' });
    const want = Buffer.from(']C0NEXT\r\n');
    await until('the next label', () => reader.bytes().length >= before + want.length);
    expect(reader.bytes().subarray(before)).toEqual(want);
  });

  it('rejects bad requests with the protocol of the control API', async () => {
    expect((await postJson(`${info.control}/scan`, { symbology: 'ean13' })).status).toBe(400);
    expect((await postJson(`${info.control}/scan`, { symbology: 'nope', text: '1' })).body['error']).toMatch(
      /symbology/,
    );
    expect((await postJson(`${info.control}/scan`, { image: 'relative.png' })).body['error']).toMatch(
      /absolute/,
    );
    expect((await postJson(`${info.control}/scan`, { image: '/no/such.png' })).body['error']).toMatch(
      /ENOENT/,
    );
    expect((await postJson(`${info.control}/nothing`, {})).status).toBe(404);
    const res = await fetch(`${info.control}/scan`, { method: 'POST', body: '{not json' });
    expect(res.status).toBe(400);
  });

  it('lists the twin on GET /devices and streams events on the WebSocket', async () => {
    const base = new URL(info.control).origin;
    const listing = (await (await fetch(`${base}/devices`)).json()) as {
      devices: { name: string; emulated: boolean }[];
    };
    expect(listing.devices).toEqual([expect.objectContaining({ name: 'scanner', emulated: true })]);
    await until('a scan event', () => events.some((e) => e['type'] === 'scan'));
    expect(events.find((e) => e['type'] === 'read')).toMatchObject({ device: 'scanner', symbology: 'ean13' });
  });

  it('is listed by `benchtwin devices` while it runs', async () => {
    const devices = runCli(['devices', '--json'], { BENCHTWIN_RUNTIME_DIR: runtime });
    expect(await devices.exited).toBe(0);
    const out = JSON.parse(devices.stdout()) as { benches: { bench: string; devices: { name: string }[] }[] };
    expect(out.benches).toEqual([
      expect.objectContaining({
        bench: 'emulate-scanner',
        devices: [expect.objectContaining({ name: 'scanner' })],
      }),
    ]);
  });

  it('stops cleanly on SIGTERM and removes its stable path', async () => {
    reader.stop();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(existsSync(info.path)).toBe(false);
  });
});
