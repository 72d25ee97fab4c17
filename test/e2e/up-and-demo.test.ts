/** `benchtwin up`, `benchtwin demo` and usage errors, run as a user runs them. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, runCli, until } from './cli.js';
import { hasTshark } from '../oracles.js';

let runtime: string;
beforeAll(() => {
  runtime = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-e2e-'));
});
afterAll(() => rmSync(runtime, { recursive: true, force: true }));

describe('benchtwin up', () => {
  it('starts every role of a bench file and prints one JSON line per device', async () => {
    const cli = runCli(['up', 'fixtures/benches/lane-emulated.yaml', '--json'], {
      BENCHTWIN_RUNTIME_DIR: runtime,
    });
    try {
      await until('the device line', () => cli.stdout().includes('\n'));
      const line = JSON.parse(cli.stdout().split('\n')[0]!) as {
        role: string;
        path: string;
        control: string;
      };
      expect(line.role).toBe('scanner');
      expect(line.path).toBe(
        path.join(runtime, 'benches', 'lane-emulated', 'serial', 'by-id', 'benchtwin-scanner'),
      );
      const res = await postJson(`${line.control}/scan`, { symbology: 'qr', text: 'hello' });
      expect(res.body).toMatchObject({ read: true, aim: ']Q1', data: 'hello' });
      // A second bench of the same name is refused while the first runs.
      const second = runCli(['up', 'fixtures/benches/lane-emulated.yaml'], {
        BENCHTWIN_RUNTIME_DIR: runtime,
      });
      expect(await second.exited).toBe(1);
      expect(second.stderr()).toMatch(/already running/);
    } finally {
      cli.child.kill('SIGINT');
      expect(await cli.exited).toBe(0);
    }
  });

  it('names the file, the path in it and what was expected when the bench file is wrong', async () => {
    const file = path.join(runtime, 'broken.yaml');
    writeFileSync(file, 'name: broken\nroles:\n  scanner: emu:scanner\n');
    const cli = runCli(['up', file]);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain(`${file}:3: roles.scanner: expected emu:<kind>/<profile>`);
  });

  it('refuses an unknown profile with the list of known ones', async () => {
    const file = path.join(runtime, 'unknown.yaml');
    writeFileSync(file, 'roles:\n  scanner: emu:scanner/acme-1\n');
    const cli = runCli(['up', file], { BENCHTWIN_RUNTIME_DIR: runtime });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toMatch(/acme-1.*honeywell-1900/s);
  });
});

describe('benchtwin demo', () => {
  it('reads all six symbologies with both command sets', async () => {
    const cli = runCli(['demo', '--json', '--clock', 'virtual', '--only', 'scanners'], {
      BENCHTWIN_RUNTIME_DIR: runtime,
    });
    expect(await cli.exited).toBe(0);
    const lines = cli
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = lines.filter((l) => l['event'] === 'DataEvent');
    expect(new Set(events.map((e) => e['symbology']))).toEqual(
      new Set(['ean13', 'code128', 'gs1-128', 'qr', 'pdf417', 'datamatrix']),
    );
    expect(events.every((e) => e['ok'] === true)).toBe(true);
    expect(lines.at(-1)).toEqual({
      summary: { passed: 12, failed: 0, profiles: ['honeywell-1900', 'zebra-ds4308'] },
    });
  });
});

describe('benchtwin demo: payment flows', () => {
  it('runs a seed-001 scenario on its own bench and prints its outcome and reconciliation', async () => {
    const cli = runCli(['demo', '--json', '--only', 'flows', '--scenario', 'e1-mobile-terminal'], {
      BENCHTWIN_RUNTIME_DIR: runtime,
    });
    expect(await cli.exited).toBe(0);
    const lines = cli
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const run = lines.find((l) => l['event'] === 'scenario')!;
    expect(run).toMatchObject({ scenario: 'seed001-e1-mobile-terminal', passed: true });
    expect(String(run['sale'])).toMatch(/completed, transaction \d+, method L, approval [0-9A-Z]{6}/);
    expect(String(run['reconcile'])).toMatch(/1 completed exactly once.*agree/);
    // The run left its transcript (POS, terminal, phone and gateway messages) and its captures.
    const transcript = readFileSync(String(run['transcript']), 'utf8');
    expect(transcript).toMatch(/"type":"rs232c","text":"UID 00001/);
    const captures = readdirSync(String(run['captures']));
    expect(captures.some((f) => f.endsWith('-iso8583.pcapng'))).toBe(true);
    // The TLS secrets of the gateway's connections, for Wireshark (NSS key log format).
    const keyLog = captures.find((f) => f.endsWith('-tls-keys.log'));
    expect(keyLog).toBeDefined();
    expect(readFileSync(path.join(String(run['captures']), keyLog!), 'utf8')).toMatch(
      /^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/m,
    );
    expect(lines.at(-1)).toEqual({ flows: { passed: 1, failed: 0 } });
  });

  it('exits 1 when no scenario matches', async () => {
    const cli = runCli(['demo', '--only', 'flows', '--scenario', 'no-such-flow'], {
      BENCHTWIN_RUNTIME_DIR: runtime,
    });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toMatch(/no seed-001 scenario matches "no-such-flow"/);
  });
});

describe('usage errors', () => {
  it('exits 2 with the expectation for unknown commands and options', async () => {
    const a = runCli(['frobnicate']);
    expect(await a.exited).toBe(2);
    expect(a.stderr()).toMatch(/unknown command "frobnicate"/);
    const b = runCli(['emulate', 'scanner', '--clock', 'fast']);
    expect(await b.exited).toBe(2);
    expect(b.stderr()).toMatch(/--clock fast: expected one of wall, virtual/);
    const c = runCli(['emulate', 'printer']);
    expect(await c.exited).toBe(2);
    const d = runCli(['emulate', 'scanner', '--bogus']);
    expect(await d.exited).toBe(2);
    expect(d.stderr()).toMatch(/--bogus/);
  });

  it('prints help for every command', async () => {
    for (const cmd of ['demo', 'emulate', 'up', 'devices', 'profiles']) {
      const h = runCli(['help', cmd]);
      expect(await h.exited).toBe(0);
      expect(h.stdout()).toMatch(new RegExp(`^Usage: benchtwin ${cmd}`));
    }
  });
});

describe('captures of a bench run', () => {
  it.skipIf(!hasTshark)(
    'demo --capture writes pcapng files tshark dissects, both directions (needs tshark)',
    async () => {
      const dir = path.join(runtime, 'captures');
      const cli = runCli(
        [
          'demo',
          '--json',
          '--clock',
          'virtual',
          '--only',
          'scanners',
          '--profile',
          'zebra-ds4308',
          '--capture',
          dir,
        ],
        {
          BENCHTWIN_RUNTIME_DIR: runtime,
        },
      );
      expect(await cli.exited).toBe(0);
      const files = readdirSync(dir).filter((f) => f.endsWith('.pcapng'));
      expect(files).toHaveLength(1);
      const out = execFileSync('tshark', [
        '-r',
        path.join(dir, files[0]!),
        '-T',
        'fields',
        '-e',
        'frame.interface_name',
        '-e',
        'frame.packet_flags_direction',
        '-e',
        'data.data',
        '-o',
        'uat:user_dlts:"User 0 (DLT=147)","data","0","","0",""',
      ]).toString();
      const rows = out
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(['benchtwin-scanner']));
      const toHost = rows
        .filter((r) => r[1] === '0x00000001')
        .map((r) => r[2])
        .join('');
      const fromHost = rows
        .filter((r) => r[1] === '0x00000002')
        .map((r) => r[2])
        .join('');
      // The host enabled scanning with an SSI SCAN_ENABLE packet; the decoder sent EAN-13 as DECODE_DATA.
      expect(fromHost).toContain('04e90400ff0f');
      expect(toHost).toContain(Buffer.from('4901234567894').toString('hex'));
    },
  );
});

describe('benchtwin emulate uim without pcscd', () => {
  it('says that pcscd is not answering instead of hanging', async () => {
    // Port 9 (discard) is closed on loopback: no vpcd driver will ever take the card.
    const cli = runCli(['emulate', 'uim', '--vpcd', '127.0.0.1:9', '--json'], {
      BENCHTWIN_RUNTIME_DIR: runtime,
    });
    expect(await cli.exited).toBe(1);
    expect(cli.stdout()).toBe('');
    expect(cli.stderr()).toMatch(
      /did not answer at 127\.0\.0\.1:9 .*is pcscd running with vsmartcard-vpcd installed/,
    );
  });

  it('refuses options of the other device kinds', async () => {
    const cli = runCli(['emulate', 'uim', '--baud', '9600']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/--baud: not an option of emulate uim/);
  });
});

describe('benchtwin emulate scanner --mode hid-pos|wedge', () => {
  for (const mode of ['hid-pos', 'wedge'] as const) {
    it(`${mode}: prints the HID endpoint, scans through the control API and counts the reports sent`, async () => {
      const cli = runCli(['emulate', 'scanner', '--mode', mode, '--name', mode, '--json'], {
        BENCHTWIN_RUNTIME_DIR: runtime,
      });
      try {
        await until('the JSON line', () => cli.stdout().includes('\n'));
        const line = JSON.parse(cli.stdout().split('\n')[0]!) as Record<string, string>;
        expect(line).toMatchObject({ role: mode, transport: 'hid', path: `emu:hid/${mode}` });
        const res = await postJson(`${line['control']}/scan`, { symbology: 'ean13', text: '4901234567894' });
        expect(res.body).toMatchObject({ read: true, aim: ']E0' });
        const state = (await (await fetch(line['control']!)).json()) as {
          state: { reportsSent: number; mode: string };
        };
        // HID POS: one Scanned Data report; wedge: a key-down and a release per character of "]E0…\r\n".
        expect(state.state).toMatchObject({ mode, reportsSent: mode === 'hid-pos' ? 1 : 2 * 18 });
      } finally {
        cli.child.kill('SIGTERM');
        expect(await cli.exited).toBe(0);
      }
    });
  }
});
