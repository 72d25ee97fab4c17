/**
 * The phone's modem port as a host meets it: serialport on a real PTY at 115200 baud, an AT client that
 * frames lines itself, and the probe sequence ModemManager and Gammu run against a new modem.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PhoneModemPort } from '../../../devices/phone/modem-port.js';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { fixture, GSM } from '../../firmware-sim/uim/helpers.js';
import { card } from '../../firmware-sim/uim/helpers.js';
import { phoneProfile } from '../../firmware-sim/phone/at/helpers.js';
import { closeHost, openHost } from '../serial/host.js';
import { AtClient } from './at-client.js';

describe('phone modem port over a PTY (serialport, 115200 baud)', () => {
  let dir: string;
  let clock: VirtualClock;
  let twin: PhoneModemPort;
  let host: SerialPort;
  let at: AtClient;

  async function start(profileName: string): Promise<void> {
    const profile = phoneProfile(profileName);
    twin = new PhoneModemPort({
      name: `phone-${profileName}`,
      profile,
      card: card(profile.card!),
      clock,
      runtimeDir: dir,
    });
    await twin.open();
    host = await openHost(twin.path, 115200);
    at = new AtClient(host);
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-phone-'));
    clock = new VirtualClock();
  });

  afterEach(async () => {
    await closeHost(host);
    twin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a ModemManager-like probe identifies the twin, unlocks the SIM and reads its IMSI (USIM)', async () => {
    await start('seed001');
    // Echo is on at power-up: the client's first line comes back with its echo.
    const first = await at.command('ATE0');
    expect(first.final).toBe('OK');
    expect(await at.command('AT+CMEE=1')).toEqual({ lines: [], final: 'OK' });
    expect(await at.command('ATI')).toEqual({
      lines: ['benchtwin', 'BT-P1 Payment Phone', 'Revision: BTP1-1.0.0'],
      final: 'OK',
    });
    expect(await at.command('AT+GCAP')).toEqual({ lines: ['+GCAP: +CGSM'], final: 'OK' });
    expect(await at.command('AT+CGMI')).toEqual({ lines: ['benchtwin'], final: 'OK' });
    expect(await at.command('AT+CGMM')).toEqual({ lines: ['BT-P1 Payment Phone'], final: 'OK' });
    expect(await at.command('AT+CGMR')).toEqual({ lines: ['BTP1-1.0.0'], final: 'OK' });
    expect(await at.command('AT+CGSN')).toEqual({ lines: ['353951100000014'], final: 'OK' });
    expect(await at.command('AT+CIMI')).toEqual({ lines: [], final: '+CME ERROR: 11' });
    expect(await at.command('AT+CPIN?')).toEqual({ lines: ['+CPIN: SIM PIN'], final: 'OK' });
    expect(await at.command('AT+CPIN="1234"')).toEqual({ lines: [], final: 'OK' });
    expect(await at.command('AT+CIMI')).toEqual({ lines: [fixture('usim-seed001').imsi], final: 'OK' });
    expect(await at.command('AT+CSQ')).toEqual({ lines: ['+CSQ: 21,99'], final: 'OK' });
    expect(await at.command('AT+CREG?')).toEqual({ lines: ['+CREG: 0,2'], final: 'OK' }); // searching
    clock.advance(1000); // the profile's registration delay
    expect(await at.command('AT+CREG?')).toEqual({ lines: ['+CREG: 0,1'], final: 'OK' });
    expect(await at.command('AT+COPS?')).toEqual({ lines: ['+COPS: 0,0,"Bench Network",7'], final: 'OK' });
    expect(await at.command('AT+CBC')).toEqual({ lines: ['+CBC: 0,85'], final: 'OK' });
    expect(await at.command('AT+CSCS=?')).toEqual({
      lines: ['+CSCS: ("GSM","IRA","UCS2","HEX")'],
      final: 'OK',
    });
    expect(await at.command('AT+VENDORX')).toEqual({ lines: [], final: 'ERROR' });
  });

  it('AT+CSIM reaches the UIM twin: SELECT + READ BINARY of EF_ICCID gives the GSM SIM profile ICCID', async () => {
    await start('seed001-gsm');
    await at.command('ATE0');
    const iccid = fixture(GSM).iccid;
    const swapped = (iccid.length % 2 ? `${iccid}F` : iccid).replace(/(.)(.)/g, '$2$1');
    expect((await at.command('AT+CSIM=14,"A0A40000023F00"')).lines).toEqual(['+CSIM: 4,"9F16"']);
    expect((await at.command('AT+CSIM=14,"A0A40000022FE2"')).lines).toEqual(['+CSIM: 4,"9F0F"']);
    expect(await at.command('AT+CSIM=10,"A0B000000A"')).toEqual({
      lines: [`+CSIM: 24,"${swapped}9000"`],
      final: 'OK',
    });
  });

  it('line noise, binary garbage and an over-long line never stop the modem answering', async () => {
    await start('seed001');
    await at.command('ATE0');
    await new Promise<void>((resolve, reject) =>
      host.write(Buffer.from([0x00, 0xff, 0x1a, 0x1b, 0x41, 0x0d, 0x0a, 0x13, 0x11]), (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    expect(await at.command(`AT${'Z'.repeat(3000)}`)).toEqual({ lines: [], final: 'ERROR' });
    expect(await at.command('AT')).toEqual({ lines: [], final: 'OK' });
  });

  it('a power cycle forgets the PIN: the SIM asks for it again', async () => {
    await start('seed001');
    await at.command('ATE0');
    await at.command('AT+CPIN="1234"');
    twin.powerCycle();
    await at.command('ATE0');
    expect(await at.command('AT+CPIN?')).toEqual({ lines: ['+CPIN: SIM PIN'], final: 'OK' });
  });
});
