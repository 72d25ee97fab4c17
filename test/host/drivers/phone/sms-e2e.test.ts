/**
 * End to end: an ESME (the smpp package's client) submits to the SMSC (services/smsc, SQLite on disk), the
 * simulated network delivers to the phone twin, and the host AT driver on the twin's PTY sees +CMTI and
 * reads the SMS-DELIVER PDUs back with AT+CMGR; the other way, AT+CMGS from the twin reaches a bound
 * SMPP receiver as deliver_sm.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PhoneTwin } from '../../../../devices/phone/phone-twin.js';
import { VirtualClock } from '../../../../firmware-sim/clock.js';
import { encodeGsm7, parseUdhBody, SmsReassembler } from '../../../../firmware-sim/phone/sms/index.js';
import { AtModem } from '../../../../host/drivers/phone/at-modem.js';
import { SimulatedNetwork } from '../../../../services/smsc/network.js';
import { attachPhone } from '../../../../services/smsc/phone-attachment.js';
import { Smsc } from '../../../../services/smsc/smsc.js';
import { ESME } from '../../../../services/smsc/submit-sm.js';
import { phoneProfile } from '../../../firmware-sim/phone/at/helpers.js';
import { card, fixture } from '../../../firmware-sim/uim/helpers.js';
import { Esme, tempDb, waitFor } from '../../../services/smsc/helpers.js';

const ACCOUNTS = [
  { systemId: 'shop', password: 'secret' },
  { systemId: 'bank', password: 'vault' },
];
const MSISDN = '+447700900123';

describe('SMS end to end: SMPP ⇄ SMSC ⇄ simulated network ⇄ phone twin ⇄ AT driver on a PTY', () => {
  let dir: string;
  let db: ReturnType<typeof tempDb>;
  let smsc: Smsc;
  let twin: PhoneTwin;
  let modem: AtModem;
  let smppPort: number;
  const esmes: Esme[] = [];
  const urcs: string[][] = [];

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-sms-e2e-'));
    db = tempDb();
    const clock = new VirtualClock();
    const network = new SimulatedNetwork();
    smsc = new Smsc({ dbFile: db.file, clock, network, accounts: ACCOUNTS });
    smppPort = await smsc.listen(0);
    const profile = phoneProfile('seed001');
    profile.radio.registrationDelayMs = 0;
    twin = new PhoneTwin({
      name: 'sms-e2e',
      profile,
      card: card(profile.card!),
      clock,
      runtimeDir: dir,
      msisdn: MSISDN,
    });
    attachPhone(network, twin);
    await twin.open();
    modem = await AtModem.open(twin.path);
    urcs.length = 0;
    modem.on('unsolicited', (lines: string[]) => urcs.push(lines));
    await modem.unlock('1234');
    await modem.command('AT+CNMI=2,1,0,0,0');
  });

  afterEach(async () => {
    for (const e of esmes.splice(0)) e.close();
    await modem.close();
    twin.close();
    await smsc.close();
    db.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const esme = async (systemId: string, bind: string): Promise<Esme> => {
    const e = await Esme.connect(smppPort);
    esmes.push(e);
    const account = ACCOUNTS.find((a) => a.systemId === systemId)!;
    const r = await e.call(bind, { system_id: account.systemId, password: account.password });
    expect(r.command_status).toBe(ESME.ROK);
    return e;
  };

  /** Waits for `count` +CMTI codes, then reads each index with AT+CMGR and reassembles the text. */
  async function receive(count: number): Promise<string> {
    await waitFor(`${count} × +CMTI`, () => urcs.filter((u) => u[0]!.startsWith('+CMTI:')).length >= count);
    const r = new SmsReassembler();
    let text: string | undefined;
    for (const u of urcs.filter((l) => l[0]!.startsWith('+CMTI:'))) {
      const m = /^\+CMTI: "SM",(\d+)$/.exec(u[0]!);
      expect(m, u[0]).not.toBeNull();
      const s = await modem.readSms(Number(m![1]));
      expect(s.stat).toBe(0);
      const t = s.decoded?.tpdu;
      if (t?.type !== 'SMS-DELIVER') throw new Error(`not an SMS-DELIVER: ${s.pdu}`);
      const outcome = r.add('smsc', t.userData);
      if (outcome.status === 'complete') text = outcome.message.text;
    }
    return text ?? '';
  }

  it('the driver identifies the twin and reads its IMSI through the port', async () => {
    const id = await modem.identify();
    expect(id).toMatchObject({
      manufacturer: 'benchtwin',
      model: 'BT-P1 Payment Phone',
      imei: '353951100000014',
    });
    expect(await modem.imsi()).toBe(fixture('usim-seed001').imsi);
  });

  it('GSM 7-bit submit_sm to the MSISDN → +CMTI → AT+CMGR gives an SMS-DELIVER with the same text', async () => {
    const shop = await esme('shop', 'bind_transmitter');
    const text = 'Your code is 4711 {pay} @ €5';
    const r = await shop.call('submit_sm', {
      source_addr: 'Shop',
      source_addr_ton: 5,
      dest_addr_ton: 1,
      destination_addr: MSISDN.slice(1),
      data_coding: 0,
      short_message: Buffer.from(encodeGsm7(text)),
    });
    expect(r.command_status).toBe(ESME.ROK);
    expect(await receive(1)).toBe(text);
  });

  it('UCS2 submit_sm → +CMTI → the DELIVER decodes to the same text', async () => {
    const shop = await esme('shop', 'bind_transmitter');
    const text = 'Оплата 😀 принята';
    const r = await shop.call('submit_sm', {
      source_addr: '4930999',
      dest_addr_ton: 1,
      destination_addr: MSISDN.slice(1),
      data_coding: 8,
      short_message: Buffer.from(text, 'utf16le').swap16(),
    });
    expect(r.command_status).toBe(ESME.ROK);
    expect(await receive(1)).toBe(text);
  });

  it('a 300-character message arrives as two concatenated parts (two +CMTI) and reassembles', async () => {
    const shop = await esme('shop', 'bind_transmitter');
    const text = Array.from({ length: 300 }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');
    const r = await shop.call('submit_sm', {
      source_addr: '4930999',
      dest_addr_ton: 1,
      destination_addr: MSISDN.slice(1),
      data_coding: 0,
      message_payload: Buffer.from(encodeGsm7(text)),
    });
    expect(r.command_status).toBe(ESME.ROK);
    expect(await receive(2)).toBe(text);
    expect((await modem.listSms(4)).map((m) => m.index)).toEqual([1, 2]);
  });

  it('AT+CMGS from the twin reaches a bound SMPP receiver; a 300-character one as two UDHI parts', async () => {
    const bank = await esme('bank', 'bind_receiver');
    const mrs = await modem.sendSms('+4930123', 'PIN 1234');
    expect(mrs).toHaveLength(1);
    await waitFor('deliver_sm', () => bank.received.length === 1);
    expect(bank.received[0]).toMatchObject({ source_addr: MSISDN.slice(1), destination_addr: '4930123' });
    expect((bank.received[0]!.short_message as { message: string }).message).toBe('PIN 1234');

    const long = 'Payment reference 0042. '.repeat(13).slice(0, 300);
    expect(await modem.sendSms('+4930123', long)).toHaveLength(2);
    await waitFor('two more deliver_sm', () => bank.received.length === 3);
    const parts = bank.received.slice(1);
    expect(parts.every((p) => (p.esm_class as number) & 0x40)).toBe(true);
    const r = new SmsReassembler();
    let joined: string | undefined;
    for (const p of parts) {
      const raw = (p.short_message as { udh?: Buffer[]; message: string | Buffer }).message;
      const udh = (p.short_message as { udh?: Buffer[] }).udh;
      const header = udh ? parseUdhBody(Uint8Array.from(udh[0]!)) : undefined;
      const o = r.add(MSISDN, { ...(header ? { header } : {}), text: String(raw) });
      if (o.status === 'complete') joined = o.message.text;
    }
    expect(joined).toBe(long);
  });
});
