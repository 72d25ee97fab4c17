/**
 * `benchtwin run` as a user runs it: the HID acceptance scenarios pass, a scenario whose expectation does
 * not hold fails with exit 1, and a mistake in a scenario file is named with its file, line and path.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasTshark } from '../oracles.js';
import { runCli } from './cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(
  file: string,
  ...extra: string[]
): Promise<{ code: number | null; out: string; err: string }> {
  const cli = runCli(['run', file, ...extra]);
  const code = await cli.exited;
  return { code, out: cli.stdout(), err: cli.stderr() };
}

describe('benchtwin run', () => {
  it('passes hid-pos-long-qr: a 300-character QR from a PNG arrives as one DataEvent of type QR', async () => {
    const transcript = path.join(tmp, 'long-qr.jsonl');
    const r = await run('fixtures/scenarios/hid-pos-long-qr.yaml', '--transcript', transcript);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/\[2\/4\] ok +expect-data +DataEvent: ScanDataType 204, .*\(300 bytes\)/);
    expect(r.out).toContain('passed: 4 of 4 steps');
    expect(r.code).toBe(0);
    const lines = readFileSync(transcript, 'utf8').trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { type: string; from: string; to: string });
    expect(
      events.filter((e) => e.type === 'DataEvent' && e.from === 'scanner' && e.to === 'pos'),
    ).toHaveLength(2);
    expect(events.some((e) => e.type === 'hid-reports')).toBe(true);
  });

  it('passes wedge-layouts, including the mismatched-layout case', async () => {
    const r = await run('fixtures/scenarios/wedge-layouts.yaml');
    expect(r.out).toContain('passed: 13 of 13 steps');
    expect(r.out).toMatch(/\[11\/13\] ok +expect-data +DataEvent: ScanDataType 0/);
    expect(r.code).toBe(0);
  });

  it('passes ir-obex-lossy: OBEX objects intact over IrDA with 5 % of frames corrupted', async () => {
    const r = await run('fixtures/scenarios/ir-obex-lossy.yaml');
    expect(r.out).toContain('passed: 6 of 6 steps');
    expect(r.out).toMatch(/GET statement\.bin: 24000 bytes, identical to what was put/);
    expect(r.code).toBe(0);
  });

  it.skipIf(!hasTshark)(
    'passes ble-user-id: noble pairs, reads the user id encrypted, and tshark finds it in the capture (needs tshark)',
    async () => {
      const r = await run('fixtures/scenarios/ble-user-id.yaml');
      expect(r.out).toMatch(/ble-read-user-id user id "00001" \(encrypted read\)/);
      expect(r.out).toMatch(/an ATT Read Response carries "00001"/);
      expect(r.out).toContain('passed: 4 of 4 steps');
      expect(r.code).toBe(0);
    },
  );

  it('fails with exit 1 when a driver reports something else than expected', async () => {
    const file = path.join(tmp, 'wrong.yaml');
    writeFileSync(
      file,
      [
        'name: wrong-expectation',
        'bench: { clock: virtual, roles: { scanner: emu:scanner/honeywell-1900?mode=hid-pos } }',
        'drivers: { pos: { scanner: { role: scanner, commandSet: hid-pos } } }',
        'steps:',
        "  - scan: { role: scanner, symbology: code128, text: 'ABC-123' }",
        "  - expect-data: { driver: pos, type: QRCODE, label: 'ABC-124' }",
        '  - wait: { ms: 1 }',
      ].join('\n'),
    );
    const r = await run(file);
    expect(r.out).toMatch(
      /\[2\/3\] FAIL expect-data +ScanDataType 110, expected 204 \(QRCODE\); ScanDataLabel "ABC-123", expected "ABC-124"/,
    );
    expect(r.out).toContain('FAILED: 1 of 3 steps');
    expect(r.code).toBe(1);
  });

  it('names the file, line and path of a mistake, with exit 2', async () => {
    const file = path.join(tmp, 'mistake.yaml');
    writeFileSync(
      file,
      [
        'name: mistake',
        'bench: { roles: { scanner: emu:scanner/honeywell-1900?mode=hid-pos } }',
        'drivers: { pos: { scanner: { role: scaner, commandSet: hid-pos } } }',
        'steps:',
        '  - wait: { ms: 1 }',
      ].join('\n'),
    );
    const r = await run(file);
    expect(r.err).toContain(`${file}: drivers.pos.scanner.role: expected one of the bench roles (scanner)`);
    expect(r.code).toBe(2);
    const file2 = path.join(tmp, 'mistake2.yaml');
    writeFileSync(file2, ['name: m2', 'bench: x.yaml', 'steps:', '  - wiat: { ms: 1 }'].join('\n'));
    const r2 = await run(file2);
    expect(r2.err).toMatch(/mistake2\.yaml(:\d+)?: /);
    expect(r2.code).toBe(2);
  });
});
