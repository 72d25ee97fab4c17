/**
 * Gammu (Debian package gammu) as an independent SMS client of the phone twin: the twin is attached to the
 * simulated network and the real SMSC (SQLite on disk), an ESME (the smpp package's client) sends to it
 * and receives from it, and gammu lists, sends and deletes messages over the twin's PTY with its own
 * TS 27.005 code. Skipped, with the reason in its name, when gammu is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PhoneTwin } from '../../../devices/phone/phone-twin.js';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { encodeGsm7 } from '../../../firmware-sim/phone/sms/index.js';
import { SimulatedNetwork } from '../../../services/smsc/network.js';
import { attachPhone } from '../../../services/smsc/phone-attachment.js';
import { Smsc } from '../../../services/smsc/smsc.js';
import { ESME } from '../../../services/smsc/submit-sm.js';
import { phoneProfile } from '../../firmware-sim/phone/at/helpers.js';
import { card } from '../../firmware-sim/uim/helpers.js';
import { Esme, tempDb, waitFor } from '../../services/smsc/helpers.js';

const hasGammu = spawnSync('gammu', ['--version'], { stdio: 'ignore' }).status === 0;
const MSISDN = '+447700900123';
const ACCOUNTS = [{ systemId: 'shop', password: 'secret' }];

describe.skipIf(!hasGammu)(
  `Gammu reads, sends and deletes SMS on the phone twin${hasGammu ? '' : ' (skipped: gammu not installed)'}`,
  () => {
    let dir: string;
    let db: ReturnType<typeof tempDb>;
    let smsc: Smsc;
    let twin: PhoneTwin;
    let esme: Esme;
    let rc: string;

    function gammu(...args: string[]): Promise<{ code: number | null; out: string }> {
      return new Promise((resolve) => {
        const child = spawn('gammu', ['-c', rc, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => resolve({ code, out }));
      });
    }

    beforeEach(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-gammu-sms-'));
      db = tempDb();
      const clock = new SystemClock();
      const network = new SimulatedNetwork();
      smsc = new Smsc({ dbFile: db.file, clock, network, accounts: ACCOUNTS });
      const port = await smsc.listen(0);
      const profile = phoneProfile('seed001');
      profile.radio.registrationDelayMs = 0;
      twin = new PhoneTwin({
        name: 'gammu-sms',
        profile,
        card: card(profile.card!),
        clock,
        runtimeDir: dir,
        msisdn: MSISDN,
      });
      attachPhone(network, twin);
      await twin.open();
      rc = path.join(dir, 'gammurc');
      writeFileSync(rc, `[gammu]\ndevice = ${twin.path}\nconnection = at115200\n`);
      esme = await Esme.connect(port);
      const bound = await esme.call('bind_transceiver', { system_id: 'shop', password: 'secret' });
      expect(bound.command_status).toBe(ESME.ROK);
      expect((await gammu('entersecuritycode', 'PIN', '1234')).code).toBe(0);
    });

    afterEach(async () => {
      esme?.close();
      twin?.close();
      await smsc?.close();
      db?.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    it('getallsms shows a concatenated message from an ESME with its sender, SMSC and parts; getsms reads one; deletesms removes it', async () => {
      const text = `Order 42 ${'paid '.repeat(40)}`.trim();
      const r = await esme.call('submit_sm', {
        source_addr: '4930999',
        source_addr_ton: 1,
        dest_addr_ton: 1,
        destination_addr: MSISDN.slice(1),
        data_coding: 0,
        message_payload: Buffer.from(encodeGsm7(text)),
      });
      expect(r.command_status).toBe(ESME.ROK);
      const stored = (): number => {
        const u = twin.modem.sms.usage(twin.modem.sms.memory(2));
        return u.ok ? u.used : -1;
      };
      await waitFor('both parts stored', () => stored() === 2);
      const all = await gammu('getallsms');
      expect(all.code).toBe(0);
      expect(all.out).toMatch(/Remote number\s+: "\+4930999"/);
      expect(all.out).toMatch(/SMSC number\s+: "\+447700900000"/);
      expect(all.out).toMatch(/Concatenated \(linked\) message, ID \(8 bit\) \d+, part 1 of 2/);
      expect(all.out).toMatch(/2 SMS parts in 2 SMS sequences/);
      expect(all.out.replace(/\s+/g, '')).toContain(text.slice(0, 100).replace(/\s+/g, ''));

      const one = await gammu('getsms', '1', '2');
      expect(one.code).toBe(0);
      expect(one.out).toMatch(/part 2 of 2/);
      expect(one.out).toMatch(/Status\s+: Read/);

      expect((await gammu('deletesms', '1', '1')).code).toBe(0);
      const after = await gammu('getallsms');
      expect(after.out).toMatch(/1 SMS parts in 1 SMS sequences/);
      expect(after.out).toMatch(/part 2 of 2/);
    }, 90_000);

    it('sendsms TEXT reaches the bound SMPP transceiver as deliver_sm from the twin’s MSISDN', async () => {
      const sent = await gammu('sendsms', 'TEXT', '+4930123', '-text', 'Sent by gammu');
      expect(sent.code).toBe(0);
      expect(sent.out).toMatch(/OK, message reference=\d+/);
      await waitFor('deliver_sm', () => esme.received.length > 0);
      expect(esme.received[0]).toMatchObject({ source_addr: MSISDN.slice(1), destination_addr: '4930123' });
      expect((esme.received[0]!.short_message as { message: string }).message).toBe('Sent by gammu');
    }, 90_000);
  },
);
