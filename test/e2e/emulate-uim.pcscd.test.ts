/**
 * Acceptance of the UIM twin: `benchtwin emulate uim` puts the card into the system pcscd; independent PC/SC
 * clients (pcsc_scan, opensc-tool — not this project's code) see the reader, the twin's ATR and the
 * profile's ICCID; three wrong PINs block it with the status words of its command class; the PUK unblocks
 * it; `benchtwin card read` prints the same values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acquirePcscd,
  hasOpenscTool,
  hasPcscScan,
  pcscdSkipReason,
  runTool,
  type PcscdLease,
} from '../pcscd.js';
import { runCli, until, type Cli } from './cli.js';
import { loadCardFixtures } from '../../devices/profiles/cards.js';

const skip =
  pcscdSkipReason() ?? (!hasOpenscTool || !hasPcscScan ? 'needs opensc-tool and pcsc_scan' : undefined);
const profiles = loadCardFixtures();

/** Sends APDUs with opensc-tool in one card session; returns the status words in order. */
async function statusWords(reader: string, apdus: string[]): Promise<string[]> {
  const r = await runTool('opensc-tool', ['-r', reader, ...apdus.flatMap((a) => ['-s', a])]);
  return [...r.stdout.matchAll(/SW1=0x([0-9a-f]{2}), SW2=0x([0-9a-f]{2})/gi)].map((m) =>
    `${m[1]}${m[2]}`.toUpperCase(),
  );
}

/** The card's ATR as opensc-tool reports it, once pcscd has polled the new card (it does so on its own clock). */
async function atrOf(reader: string): Promise<string> {
  let atr = '';
  for (let i = 0; i < 30 && atr === ''; i++) {
    const r = await runTool('opensc-tool', ['-r', reader, '-a']);
    atr = r.status === 0 ? r.stdout.trim().replace(/:/g, '').toUpperCase() : '';
    if (atr === '') await new Promise((res) => setTimeout(res, 250));
  }
  return atr;
}

const ascii = (digits: string, len = 8): string =>
  Buffer.concat([Buffer.from(digits, 'ascii'), Buffer.alloc(len - digits.length, 0xff)]).toString('hex');

const cases = [
  {
    profile: 'usim-seed001',
    cla: '00',
    wrong: ['63C2', '63C1', '6983'],
    select: '00A4000C022FE2',
    read: '00B000000A',
  },
  {
    profile: 'gsm-sim-seed001',
    cla: 'A0',
    wrong: ['9804', '9804', '9840'],
    select: 'A0A40000022FE2',
    read: 'A0B000000A',
  },
] as const;

describe.skipIf(skip !== undefined)(
  `benchtwin emulate uim through pcscd${skip ? ` — skipped: ${skip}` : ''}`,
  () => {
    let lease: PcscdLease;
    let runtime: string;

    beforeAll(async () => {
      lease = await acquirePcscd();
      runtime = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-uim-'));
    }, 130_000);

    afterAll(async () => {
      rmSync(runtime, { recursive: true, force: true });
      await lease?.release();
    });

    for (const c of cases) {
      describe(c.profile, () => {
        let cli: Cli;
        let info: { role: string; transport: string; reader: string; control: string };
        const profile = profiles[c.profile]!;

        beforeAll(async () => {
          cli = runCli(['emulate', 'uim', '--profile', c.profile, '--json'], {
            BENCHTWIN_RUNTIME_DIR: path.join(runtime, c.profile),
          });
          await until('the JSON line', () => cli.stdout().includes('\n') || cli.child.exitCode !== null);
          expect(cli.stderr()).toBe('');
          info = JSON.parse(cli.stdout().split('\n')[0]!) as typeof info;
        });

        afterAll(async () => {
          cli.child.kill('SIGTERM');
          expect(await cli.exited).toBe(0);
        });

        it('prints the reader as pcscd lists it, and pcsc_scan shows it with the twin ATR', async () => {
          expect(info).toEqual({
            role: 'uim',
            transport: 'pcsc',
            reader: 'Virtual PCD 00 00',
            control: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/devices\/uim$/),
          });
          const readers = await runTool('pcsc_scan', ['-r']);
          expect(readers.stdout).toContain('Virtual PCD 00 00');
          expect(await atrOf(info.reader)).toBe(profile.atr.replace(/\s/g, '').toUpperCase());
        });

        it("an independent PC/SC client reads EF_ICCID and gets the profile's ICCID", async () => {
          await atrOf(info.reader);
          const r = await runTool('opensc-tool', ['-r', info.reader, '-s', c.select, '-s', c.read]);
          const bytes =
            r.stdout
              .split('\n')
              .filter((l) => /^[0-9A-F]{2}( [0-9A-F]{2})+/.test(l))
              .pop() ?? '';
          // opensc-tool prints the bytes in hex, then as text: keep the hex pairs.
          const hex = (/^(?:[0-9A-F]{2} )+/.exec(bytes + ' ')?.[0] ?? '').replace(/ /g, '');
          // EF_ICCID holds the digits nibble-swapped, padded with F.
          const swapped = (profile.iccid + 'F'.repeat(20 - profile.iccid.length)).replace(/(.)(.)/g, '$2$1');
          expect(hex).toBe(swapped.toUpperCase());
        });

        it('`benchtwin card read` prints the same ICCID through pcscd', async () => {
          const read = runCli(['card', 'read', '--reader', info.reader, '--json']);
          expect(await read.exited).toBe(0);
          const report = JSON.parse(read.stdout()) as { iccid: { ok: boolean; value: string }; atr: string };
          expect(report.iccid).toEqual({ ok: true, value: profile.iccid });
        });

        it(`three wrong PINs give ${c.wrong.join(', ')}; UNBLOCK with the PUK restores access`, async () => {
          const wrongPin = profile.pin1 === '9999' ? '8888' : '9999';
          const verifyWrong = `${c.cla}20000108${ascii(wrongPin)}`;
          expect(await statusWords(info.reader, [verifyWrong, verifyWrong, verifyWrong])).toEqual(c.wrong);
          // Blocked: even the right PIN is refused.
          const verifyRight = `${c.cla}20000108${ascii(profile.pin1)}`;
          expect((await statusWords(info.reader, [verifyRight]))[0]).toBe(c.wrong[2]);
          const unblock = `${c.cla}2C000110${ascii(profile.puk1)}${ascii(profile.pin1)}`;
          expect(await statusWords(info.reader, [unblock, verifyRight])).toEqual(['9000', '9000']);
        });
      });
    }
  },
);
