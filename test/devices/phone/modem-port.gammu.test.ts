/**
 * Gammu (Debian package gammu) as an independent AT client: it probes the phone twin over its PTY the way
 * it probes a real phone, and what it reports must be the profile's identity, the SIM's PIN state and IMSI,
 * and the simulated network. Skipped, with the reason in its name, when gammu is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PhoneModemPort } from '../../../devices/phone/modem-port.js';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { phoneProfile } from '../../firmware-sim/phone/at/helpers.js';
import { card, fixture } from '../../firmware-sim/uim/helpers.js';

const hasGammu = spawnSync('gammu', ['--version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasGammu)(
  `Gammu probes the phone twin${hasGammu ? '' : ' (skipped: gammu not installed)'}`,
  () => {
    let dir: string;
    let twin: PhoneModemPort;
    let rc: string;

    /** Runs one gammu command against the twin; the event loop stays free so the twin can answer. */
    function gammu(...args: string[]): Promise<{ code: number | null; out: string }> {
      return new Promise((resolve) => {
        const child = spawn('gammu', ['-c', rc, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => resolve({ code, out }));
      });
    }

    async function start(profileName: string): Promise<void> {
      const profile = phoneProfile(profileName);
      twin = new PhoneModemPort({
        name: 'gammu',
        profile,
        card: card(profile.card!),
        clock: new SystemClock(),
        runtimeDir: dir,
      });
      await twin.open();
      rc = path.join(dir, 'gammurc');
      writeFileSync(rc, `[gammu]\ndevice = ${twin.path}\nconnection = at115200\n`);
    }

    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-gammu-'));
    });

    afterEach(() => {
      twin?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('identify: manufacturer, model, firmware, IMEI; the IMSI once the PIN is entered (USIM)', async () => {
      await start('seed001');
      const before = await gammu('identify');
      expect(before.code).toBe(0);
      expect(before.out).toMatch(/^Manufacturer\s+: benchtwin$/m);
      expect(before.out).toMatch(/^Model\s+: .*BT-P1 Payment Phone/m);
      expect(before.out).toMatch(/^Firmware\s+: BTP1-1\.0\.0$/m);
      expect(before.out).toMatch(/^IMEI\s+: 353951100000014$/m);
      expect(before.out).not.toMatch(/SIM IMSI/);
      expect((await gammu('getsecuritystatus')).out).toMatch(/Waiting for PIN/);
      expect((await gammu('entersecuritycode', 'PIN', '1234')).code).toBe(0);
      const after = await gammu('identify');
      expect(after.out).toMatch(new RegExp(`^SIM IMSI\\s+: ${fixture('usim-seed001').imsi}$`, 'm'));
    }, 60_000);

    it('networkinfo: home network, LAC and cell id, operator name, packet attach (GSM SIM roams)', async () => {
      await start('seed001-gsm');
      expect((await gammu('entersecuritycode', 'PIN', '0000')).code).toBe(0);
      // The profile's registration delay is 1.5 s on the wall clock.
      await new Promise((r) => setTimeout(r, 1600));
      const info = await gammu('networkinfo');
      expect(info.code).toBe(0);
      expect(info.out).toMatch(/^Network state\s+: home network$/m);
      expect(info.out).toMatch(/^Network\s+: 234 15 .*LAC 1A2B, CID 3C4D$/m);
      expect(info.out).toMatch(/^Name in phone\s+: "Bench Roaming"$/m);
      expect(info.out).toMatch(/^GPRS\s+: attached$/m);
    }, 60_000);
  },
);
