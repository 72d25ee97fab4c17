/**
 * The host AT modem driver against the phone twin over a real PTY (serialport at 115200 baud): it opens
 * the path as it would open /dev/ttyUSB0, identifies the modem, unlocks the PIN, sends APDUs through
 * +CSIM, stores, lists, reads and deletes SMS, and receives (concatenated) messages through +CMTI and +CMT.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PhoneTwin } from '../../../../devices/phone/phone-twin.js';
import { VirtualClock } from '../../../../firmware-sim/clock.js';
import {
  encodeAtPdu,
  encodeTpdu,
  parseAddress,
  smsDeliversForText,
  smsSubmitsForText,
} from '../../../../firmware-sim/phone/sms/index.js';
import { AtCommandError, AtModem, type ReceivedMessage } from '../../../../host/drivers/phone/at-modem.js';
import { phoneProfile } from '../../../firmware-sim/phone/at/helpers.js';
import { card, fixture } from '../../../firmware-sim/uim/helpers.js';
import { waitFor } from '../../../services/smsc/helpers.js';

const SCTS = { year: 2026, month: 11, day: 21, hour: 10, minute: 30, second: 0, timeZone: 0 };

describe('host AT modem driver on the phone twin over a PTY', () => {
  let dir: string;
  let twin: PhoneTwin;
  let modem: AtModem;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-at-modem-'));
    const profile = phoneProfile('seed001');
    profile.radio.registrationDelayMs = 0;
    twin = new PhoneTwin({
      name: 'at-modem',
      profile,
      card: card(profile.card!),
      clock: new VirtualClock(),
      runtimeDir: dir,
      msisdn: '+447700900123',
    });
    await twin.open();
    modem = await AtModem.open(twin.path);
  });

  afterEach(async () => {
    await modem?.close();
    twin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const deliver = (text: string, reference = 5): void => {
    for (const d of smsDeliversForText({
      originator: parseAddress('+4930999'),
      scts: SCTS,
      text,
      reference,
    })) {
      expect(twin.deliverSms(encodeTpdu(d))).toEqual({ ok: true });
    }
  };

  it('identifies the modem (+CGMI/+CGMM/+CGMR/+CGSN), asks for the PIN, unlocks it and reads the IMSI', async () => {
    expect(await modem.identify()).toEqual({
      manufacturer: 'benchtwin',
      model: 'BT-P1 Payment Phone',
      revision: 'BTP1-1.0.0',
      imei: '353951100000014',
    });
    expect(await modem.pinState()).toBe('SIM PIN');
    await expect(modem.imsi()).rejects.toMatchObject({ cme: 11 });
    await expect(modem.unlock('0000')).rejects.toMatchObject({ cme: 16 });
    await modem.unlock('1234');
    expect(await modem.pinState()).toBe('READY');
    await modem.unlock('1234');
    expect(await modem.imsi()).toBe(fixture('usim-seed001').imsi);
  });

  it('+CSIM carries raw APDUs: SELECT EF_ICCID and READ BINARY return the card’s bytes and status words', async () => {
    await modem.unlock('1234');
    const select = await modem.transmit(Uint8Array.from([0x00, 0xa4, 0x08, 0x0c, 0x02, 0x2f, 0xe2]));
    expect(Buffer.from(select).toString('hex')).toBe('9000');
    const read = await modem.transmit(Uint8Array.from([0x00, 0xb0, 0x00, 0x00, 0x0a]));
    expect(read.length).toBe(12);
    expect(Buffer.from(read.subarray(10)).toString('hex')).toBe('9000');
    // ICCID 8944200011231044047 in swapped BCD.
    expect(Buffer.from(read.subarray(0, 10)).toString('hex')).toBe('984402001132014440f7');
  });

  it('stores with +CMGW at the prompt, lists, reads and deletes; an empty slot is +CMS ERROR: 321', async () => {
    await modem.unlock('1234');
    const [submit] = smsSubmitsForText({
      destination: parseAddress('+4930123'),
      messageReference: 0,
      reference: 0,
      text: 'draft',
    });
    const pdu = encodeAtPdu({ tpdu: submit! });
    const w = await modem.command(`AT+CMGW=${pdu.tpduLength}`, { data: pdu.hex });
    expect(w.lines).toEqual(['+CMGW: 1']);
    deliver('hello');
    const list = await modem.listSms();
    expect(list.map((m) => [m.index, m.stat])).toEqual([
      [1, 2],
      [2, 0],
    ]);
    expect(list[0]!.decoded?.tpdu).toMatchObject({ type: 'SMS-SUBMIT', userData: { text: 'draft' } });
    const read = await modem.readSms(2);
    expect(read.stat).toBe(1);
    expect(read.decoded?.tpdu).toMatchObject({ type: 'SMS-DELIVER', userData: { text: 'hello' } });
    await modem.deleteSms(2);
    const err = await modem.readSms(2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtCommandError);
    expect(err).toMatchObject({ cms: 321 });
    expect((await modem.listSms()).map((m) => m.index)).toEqual([1]);
  });

  it('receives a concatenated message via +CMTI, reassembles it and deletes its parts', async () => {
    await modem.unlock('1234');
    const got: ReceivedMessage[] = [];
    modem.on('sms', (m: ReceivedMessage) => got.push(m));
    await modem.startReceiving({ deleteAfterRead: true });
    const text = 'Payment of 12.50 EUR confirmed. '.repeat(8);
    deliver(text, 9);
    await waitFor('the reassembled message', () => got.length === 1);
    expect(got[0]).toMatchObject({ originator: '+4930999', text, total: 2, indices: [1, 2] });
    // The driver queued the deletion of the last part before this listing.
    expect(await modem.listSms()).toEqual([]);
  });

  it('receives a routed +CMT (CNMI 2,2) without storage', async () => {
    await modem.unlock('1234');
    const got: ReceivedMessage[] = [];
    modem.on('sms', (m: ReceivedMessage) => got.push(m));
    await modem.command('AT+CNMI=2,2,0,0,0');
    deliver('Код 4711');
    await waitFor('the +CMT message', () => got.length === 1);
    expect(got[0]).toMatchObject({ text: 'Код 4711', indices: [] });
  });

  it('sending without a network is +CMS ERROR: 331; a silent modem times out', async () => {
    await modem.unlock('1234');
    await expect(modem.sendSms('+4930123', 'hello')).rejects.toMatchObject({ cms: 331 });
    twin.modem.powerOff();
    await expect(modem.command('AT', { timeoutMs: 300 })).rejects.toMatchObject({ final: 'TIMEOUT' });
  });

  it('status codes a modem sends on its own during a command (+CREG, SMS DONE) are not taken as its answer', async () => {
    await modem.unlock('1234');
    let release: (() => void) | undefined;
    twin.setSmsBearer({
      submit: (tpdu) =>
        new Promise((resolve) => (release = () => resolve({ ok: true, messageReference: tpdu[1]! }))),
    });
    const notices: string[][] = [];
    modem.on('unsolicited', (lines: string[]) => notices.push(lines));
    const sending = modem.sendSms('+4930123', 'hello');
    await waitFor('the SMS-SUBMIT on the network', () => release !== undefined);
    // What a real modem may put on the line while +CMGS waits for the network.
    await twin.port.port.write(Buffer.from('\r\n+CREG: 1\r\n\r\nSMS DONE\r\n', 'latin1'));
    await waitFor('the notices', () => notices.length === 2);
    release!();
    expect(await sending).toEqual([1]);
    expect(notices).toEqual([['+CREG: 1'], ['SMS DONE']]);
  });
});
