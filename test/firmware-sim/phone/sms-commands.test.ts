/**
 * Conformance transcripts of the TS 27.005 SMS commands: exact bytes in and out of the modem. PDUs that
 * cross the AT line are built and read by node-pdu (an independent peer, PROTOCOLS.md "SMS PDUs") where it
 * can; the network side is a test bearer (a double: the real SMSC runs in the host end-to-end test).
 */
import { Deliver, Submit, parse } from 'node-pdu';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SmsBearer, SmsSubmitOutcome } from '../../../firmware-sim/phone/sms-bearer.js';
import {
  decodeTpdu,
  encodeAtPdu,
  encodeTpdu,
  parseAddress,
  smsDeliversForText,
  type SmsStatusReport,
} from '../../../firmware-sim/phone/sms/index.js';
import { PhoneModem } from '../../../firmware-sim/phone/modem.js';
import type { SmsMemoryPersistence } from '../../../firmware-sim/phone/sms-storage.js';
import { card } from '../uim/helpers.js';
import { phone, phoneProfile, v1, type TestPhone } from './at/helpers.js';

const OK = '\r\nOK\r\n';
const cmsError = (n: number): string => `\r\n+CMS ERROR: ${n}\r\n`;
/** The SC address field of the USIM's EF_SMSP (+447700900000). */
const SC_FIELD = '0791447700090000';
const SCTS = { year: 2026, month: 11, day: 21, hour: 10, minute: 30, second: 0, timeZone: 4 };

/** A test bearer (double of the network): records every TPDU and answers as told. */
class TestBearer implements SmsBearer {
  readonly submitted: Uint8Array[] = [];
  answer: SmsSubmitOutcome | 'hold' = { ok: true, messageReference: 0 };
  release: (() => void) | undefined;
  submit(tpdu: Uint8Array): Promise<SmsSubmitOutcome> {
    this.submitted.push(tpdu);
    const a = this.answer;
    if (a !== 'hold') return Promise.resolve(a);
    return new Promise((resolve) => (this.release = () => resolve({ ok: true, messageReference: tpdu[1]! })));
  }
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function deliverTpdu(text: string, originator = '+4930999', reference = 1): Uint8Array[] {
  return smsDeliversForText({ originator: parseAddress(originator), scts: SCTS, text, reference }).map(
    encodeTpdu,
  );
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

describe('TS 27.005 SMS commands: conformance transcripts', () => {
  let p: TestPhone;
  let bearer: TestBearer;

  beforeEach(() => {
    p = phone('seed001', { echo: false });
    bearer = new TestBearer();
    p.modem.sms.bearer = bearer;
  });
  const unlock = (): void => expect(p.send('AT+CPIN="1234"\r')).toBe(OK);

  it('§3.2.1 +CSMS: service 0/1 and its <mt>,<mo>,<bm> support (no cell broadcast)', () => {
    expect(p.send('AT+CSMS=?\r')).toBe(v1('+CSMS: (0,1)') + OK);
    expect(p.send('AT+CSMS?\r')).toBe(v1('+CSMS: 0,1,1,0') + OK);
    expect(p.send('AT+CSMS=1\r')).toBe(v1('+CSMS: 1,1,0') + OK);
    expect(p.send('AT+CSMS?\r')).toBe(v1('+CSMS: 1,1,1,0') + OK);
    expect(p.send('AT+CSMS=2\r')).toBe(cmsError(304));
  });

  it('§3.2.2 +CPMS: SIM PIN first (311), then used/total of "SM" (EF_SMS, 10 records) and "ME" (20)', () => {
    expect(p.send('AT+CPMS?\r')).toBe(cmsError(311));
    expect(p.send('AT+CPMS=?\r')).toBe(v1('+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")') + OK);
    unlock();
    expect(p.send('AT+CPMS?\r')).toBe(v1('+CPMS: "SM",0,10,"SM",0,10,"SM",0,10') + OK);
    expect(p.send('AT+CPMS="ME","SM"\r')).toBe(v1('+CPMS: 0,20,0,10,0,10') + OK);
    expect(p.send('AT+CPMS?\r')).toBe(v1('+CPMS: "ME",0,20,"SM",0,10,"SM",0,10') + OK);
    expect(p.send('AT+CPMS="BM"\r')).toBe(cmsError(303));
    expect(p.send('AT+CPMS=,"ME"\r')).toBe(cmsError(304));
    expect(p.send('AT+CPMS="sm","me","me"\r')).toBe(v1('+CPMS: 0,10,0,20,0,20') + OK);
  });

  it('§3.2.3 +CMGF, §3.3.1 +CSCA (from EF_SMSP, then set with its type), §3.3.2 +CSMP, §3.3.3 +CSDH', () => {
    expect(p.send('AT+CMGF=?\r')).toBe(v1('+CMGF: (0,1)') + OK);
    expect(p.send('AT+CMGF?\r')).toBe(v1('+CMGF: 0') + OK);
    expect(p.send('AT+CMGF=2\r')).toBe(cmsError(304));
    expect(p.send('AT+CMGF=1\r')).toBe(OK);
    expect(p.send('AT+CMGF?\r')).toBe(v1('+CMGF: 1') + OK);
    unlock();
    expect(p.send('AT+CSCA?\r')).toBe(v1('+CSCA: "+447700900000",145') + OK);
    expect(p.send('AT+CSCA="0301234",129\r')).toBe(OK);
    expect(p.send('AT+CSCA?\r')).toBe(v1('+CSCA: "0301234",129') + OK);
    expect(p.send('AT+CSCA="12x"\r')).toBe(cmsError(305));
    expect(p.send('AT+CSMP?\r')).toBe(v1('+CSMP: 17,167,0,0') + OK);
    expect(p.send('AT+CSMP=49,170,0,8\r')).toBe(OK);
    expect(p.send('AT+CSMP?\r')).toBe(v1('+CSMP: 49,170,0,8') + OK);
    expect(p.send('AT+CSMP=0\r')).toBe(cmsError(305));
    expect(p.send('AT+CSDH=?\r')).toBe(v1('+CSDH: (0,1)') + OK);
    expect(p.send('AT+CNMA=?\r')).toBe(OK);
    expect(p.send('AT+CMGF=0;+CNMA=?\r')).toBe(v1('+CNMA: (0-2)') + OK);
    expect(p.send('ATZ\r')).toBe(OK);
    // ATZ brought echo back: the line is echoed before ATE0 in it takes effect.
    expect(p.send('ATE0+CMGF?;+CSMP?\r')).toBe(
      'ATE0+CMGF?;+CSMP?\r' + v1('+CMGF: 0') + v1('+CSMP: 17,167,0,0') + OK,
    );
  });

  it('§3.4.1 +CNMI 2,1: a received SMS-DELIVER is stored in EF_SMS and indicated as +CMTI: "SM",<index>', () => {
    unlock();
    expect(p.send('AT+CNMI=?\r')).toBe(v1('+CNMI: (0-2),(0-3),(0),(0-2),(0,1)') + OK);
    expect(p.send('AT+CNMI=2,1\r')).toBe(OK);
    expect(p.send('AT+CNMI?\r')).toBe(v1('+CNMI: 2,1,0,0,0') + OK);
    expect(p.send('AT+CNMI=3\r')).toBe(cmsError(304));
    const [tpdu] = deliverTpdu('Pay now');
    expect(p.modem.deliverSms(tpdu!)).toEqual({ ok: true });
    expect(p.drain()).toBe(v1('+CMTI: "SM",1'));
    // The record on the card: status 03 (unread), the SC field, the TPDU, FF padding (TS 51.011 §10.5.3).
    const record = p.modem.sim!.readRecord(0x6f3c, 1).data;
    expect(hexOf(record)).toBe(`03${SC_FIELD}${hexOf(tpdu!)}`.padEnd(352, 'F'));
  });

  it('§3.4.3 +CMGR (PDU): <stat>,,<length> and the PDU; node-pdu reads it; reading makes it REC READ; empty slot 321', () => {
    unlock();
    const [tpdu] = deliverTpdu('Your code is 4711');
    p.modem.deliverSms(tpdu!);
    const pdu = `${SC_FIELD}${hexOf(tpdu!)}`;
    expect(p.send('AT+CMGR=1\r')).toBe(v1(`+CMGR: 0,,${tpdu!.length}\r\n${pdu}`) + OK);
    const peer = parse(pdu);
    if (!(peer instanceof Deliver)) throw new Error('node-pdu did not read an SMS-DELIVER');
    expect(peer.data.getText()).toBe('Your code is 4711');
    expect(peer.address.phone).toBe('4930999');
    expect(p.send('AT+CMGR=1\r')).toBe(v1(`+CMGR: 1,,${tpdu!.length}\r\n${pdu}`) + OK);
    expect(p.send('AT+CMGR=2\r')).toBe(cmsError(321));
    expect(p.send('AT+CMGR=0\r')).toBe(cmsError(321));
    expect(p.send('AT+CMGR=11\r')).toBe(cmsError(321));
    expect(p.send('AT+CMGR\r')).toBe('\r\nERROR\r\n');
  });

  it('§3.5.1 +CMGS (PDU): "> " prompt, node-pdu SMS-SUBMIT, +CMGS: <mr> once the network acknowledges', async () => {
    unlock();
    const hex = new Submit('+4930123', 'Hello bench').toString();
    const length = hex.length / 2 - 1;
    expect(p.send(`AT+CMGS=${length}\r`)).toBe('\r\n> ');
    expect(p.send(`${hex}\x1a`)).toBe('');
    await settle();
    expect(p.drain()).toBe(v1('+CMGS: 1') + OK);
    // The phone numbers its messages: TP-MR 1; everything else as node-pdu wrote it.
    const sent = bearer.submitted[0]!;
    expect(hexOf(sent)).toBe(hex.slice(2, 4) + '01' + hex.slice(6));
    expect(p.send(`AT+CMGS=${length}\r${hex}\x1a`)).toBe('\r\n> ');
    await settle();
    expect(p.drain()).toBe(v1('+CMGS: 2') + OK);
  });

  it('§3.5.1 +CMGS bad input: malformed PDU, wrong <length>, an SMS-DELIVER, bad <length> → 304; ESC cancels with OK', async () => {
    unlock();
    const hex = new Submit('+4930123', 'Hi').toString();
    const length = hex.length / 2 - 1;
    expect(p.send('AT+CMGS=5\r0011\x1a')).toBe(`\r\n> ${cmsError(304)}`);
    expect(p.send(`AT+CMGS=${length + 1}\r${hex}\x1a`)).toBe(`\r\n> ${cmsError(304)}`);
    expect(p.send(`AT+CMGS=${length}\r${hex.slice(0, -1)}G\x1a`)).toBe(`\r\n> ${cmsError(304)}`);
    const decoded = decodeTpdu(deliverTpdu('x')[0]!, 'sc-to-ms');
    if (!decoded.ok) throw new Error(decoded.error.reason);
    const deliver = encodeAtPdu({ tpdu: decoded.value });
    expect(p.send(`AT+CMGS=${deliver.tpduLength}\r${deliver.hex}\x1a`)).toBe(`\r\n> ${cmsError(304)}`);
    expect(p.send('AT+CMGS=0\r')).toBe(cmsError(304));
    expect(p.send('AT+CMGS=165\r')).toBe(cmsError(304));
    expect(p.send(`AT+CMGS=${length}\r${hex}\x1b`)).toBe(`\r\n> ${OK}`);
    await settle();
    expect(bearer.submitted).toHaveLength(0);
    expect(p.send('AT\r')).toBe(OK);
  });

  it('+CMGS refused by the network → +CMS ERROR: <TP-FCS>; no registration → 331; SIM locked → 311', async () => {
    const hex = new Submit('+4930123', 'Hi').toString();
    const length = hex.length / 2 - 1;
    expect(p.send(`AT+CMGS=${length}\r`)).toBe(cmsError(311));
    unlock();
    bearer.answer = { ok: false, cause: 0xc0 };
    p.send(`AT+CMGS=${length}\r${hex}\x1a`);
    await settle();
    expect(p.drain()).toBe(cmsError(192));
    expect(p.send('AT+CFUN=4\r')).toBe(OK);
    expect(p.send(`AT+CMGS=${length}\r${hex}\x1a`)).toBe(`\r\n> ${cmsError(331)}`);
  });

  it('while the network is awaited, input is held and unsolicited codes wait; both follow +CMGS', async () => {
    unlock();
    expect(p.send('AT+CNMI=2,1\r')).toBe(OK);
    bearer.answer = 'hold';
    const hex = new Submit('+4930123', 'Hi').toString();
    expect(p.send(`AT+CMGS=${hex.length / 2 - 1}\r${hex}\x1a`)).toBe('\r\n> ');
    p.modem.deliverSms(deliverTpdu('meanwhile')[0]!);
    expect(p.send('AT+CSMS?\r')).toBe('');
    bearer.release!();
    await settle();
    expect(p.drain()).toBe(v1('+CMGS: 1') + OK + v1('+CMTI: "SM",1') + v1('+CSMS: 0,1,1,0') + OK);
  });

  it('§3.5.3 +CMGW (PDU) stores an SMS-SUBMIT, §3.5.2 +CMSS sends it (optionally elsewhere) and marks it STO SENT', async () => {
    unlock();
    const hex = new Submit('+4930123', 'Stored').toString();
    const length = hex.length / 2 - 1;
    expect(p.send(`AT+CMGW=${length}\r${hex}\x1a`)).toBe(`\r\n> ${v1('+CMGW: 1')}${OK}`);
    expect(p.send(`AT+CMGL=2\r`)).toBe(v1(`+CMGL: 1,2,,${length}\r\n${hex}`) + OK);
    p.send('AT+CMSS=1\r');
    await settle();
    expect(p.drain()).toBe(v1('+CMSS: 1') + OK);
    expect(p.send('AT+CMGL=3\r')).toBe(v1(`+CMGL: 1,3,,${length}\r\n${hex}`) + OK);
    p.send('AT+CMSS=1,"+4930555",145\r');
    await settle();
    expect(p.drain()).toBe(v1('+CMSS: 2') + OK);
    const peer = parse(`00${hexOf(bearer.submitted[1]!)}`);
    if (!(peer instanceof Submit)) throw new Error('node-pdu did not read an SMS-SUBMIT');
    expect(peer.address.phone).toBe('4930555');
    expect(peer.data.getText()).toBe('Stored');
    expect(p.send('AT+CMSS=2\r')).toBe(cmsError(321));
    p.modem.deliverSms(deliverTpdu('incoming')[0]!);
    expect(p.send('AT+CMSS=2\r')).toBe(cmsError(302));
    expect(p.send(`AT+CMGW=${length},1\r${hex}\x1a`)).toBe(`\r\n> ${cmsError(304)}`);
  });

  it('§3.4.2 +CMGL (PDU): by <stat> 0–4, unread become read once listed; §3.5.4 +CMGD with <delflag>', () => {
    unlock();
    const a = deliverTpdu('first')[0]!;
    const b = deliverTpdu('second')[0]!;
    p.modem.deliverSms(a);
    p.modem.deliverSms(b);
    const hex = new Submit('+4930123', 'draft').toString();
    p.send(`AT+CMGW=${hex.length / 2 - 1}\r${hex}\x1a`);
    expect(p.send('AT+CMGL=?\r')).toBe(v1('+CMGL: (0-4)') + OK);
    expect(p.send('AT+CMGL\r')).toBe(
      v1(
        `+CMGL: 1,0,,${a.length}\r\n${SC_FIELD}${hexOf(a)}\r\n+CMGL: 2,0,,${b.length}\r\n${SC_FIELD}${hexOf(b)}`,
      ) + OK,
    );
    expect(p.send('AT+CMGL=0\r')).toBe(OK);
    expect(p.send('AT+CMGL=4\r')).toContain(`+CMGL: 3,2,,${hex.length / 2 - 1}\r\n${hex}`);
    expect(p.send('AT+CMGL=5\r')).toBe(cmsError(304));
    expect(p.send('AT+CMGD=?\r')).toBe(v1('+CMGD: (1,2,3),(0-4)') + OK);
    expect(p.send('AT+CMGD=1\r')).toBe(OK);
    expect(p.send('AT+CMGR=1\r')).toBe(cmsError(321));
    expect(p.send('AT+CMGD=1\r')).toBe(OK);
    expect(p.send('AT+CMGD=11\r')).toBe(cmsError(321));
    expect(p.send('AT+CMGD=1,1\r')).toBe(OK);
    expect(p.send('AT+CMGD=?\r')).toBe(v1('+CMGD: (3),(0-4)') + OK);
    expect(p.send('AT+CMGD=0,4\r')).toBe(OK);
    expect(p.send('AT+CPMS?\r')).toBe(v1('+CPMS: "SM",0,10,"SM",0,10,"SM",0,10') + OK);
  });

  it('memory full: +CMGW answers 322 and a delivery is refused with TP-FCS D3 (memory capacity exceeded)', () => {
    unlock();
    const hex = new Submit('+4930123', 'fill').toString();
    for (let i = 1; i <= 10; i++)
      expect(p.send(`AT+CMGW=${hex.length / 2 - 1}\r${hex}\x1a`)).toContain(`+CMGW: ${i}`);
    expect(p.send(`AT+CMGW=${hex.length / 2 - 1}\r${hex}\x1a`)).toBe(`\r\n> ${cmsError(322)}`);
    expect(p.modem.deliverSms(deliverTpdu('no room')[0]!)).toMatchObject({ ok: false, cause: 0xd3 });
  });

  it('text mode (+CMGF=1): +CMGR/+CMGL with and without +CSDH, +CMGS from typed text with the +CSMP parameters', async () => {
    unlock();
    p.modem.deliverSms(deliverTpdu('Pay now')[0]!);
    expect(p.send('AT+CMGF=1\r')).toBe(OK);
    expect(p.send('AT+CMGR=1\r')).toBe(
      v1('+CMGR: "REC UNREAD","+4930999",,"26/11/21,10:30:00+04"\r\nPay now') + OK,
    );
    expect(p.send('AT+CSDH=1\r')).toBe(OK);
    expect(p.send('AT+CMGR=1\r')).toBe(
      v1('+CMGR: "REC READ","+4930999",,"26/11/21,10:30:00+04",145,4,0,0,"+447700900000",145,7\r\nPay now') +
        OK,
    );
    expect(p.send('AT+CMGL="ALL"\r')).toBe(
      v1('+CMGL: 1,"REC READ","+4930999",,"26/11/21,10:30:00+04",145,7\r\nPay now') + OK,
    );
    expect(p.send('AT+CMGL=4\r')).toBe(cmsError(305));
    expect(p.send('AT+CMGL=?\r')).toBe(
      v1('+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")') + OK,
    );
    // Each CR of the text is answered with a new prompt (§3.5.1).
    expect(p.send('AT+CMGS="+4930123"\rLine one\rLine two\x1a')).toBe('\r\n> \r\n> ');
    await settle();
    expect(p.drain()).toBe(v1('+CMGS: 1') + OK);
    const sent = decodeTpdu(bearer.submitted[0]!, 'ms-to-sc');
    expect(sent).toMatchObject({
      ok: true,
      value: {
        type: 'SMS-SUBMIT',
        destination: { ton: 1, value: '4930123' },
        dcs: 0,
        validityPeriod: { format: 'relative', value: 167 },
        userData: { text: 'Line one\nLine two' },
      },
    });
    expect(p.send('AT+CMGW="0301234"\rdraft\x1a')).toBe(`\r\n> ${v1('+CMGW: 2')}${OK}`);
    expect(p.send('AT+CMGR=2\r')).toBe(
      v1('+CMGR: "STO UNSENT","0301234",,129,17,0,0,167,"+447700900000",145,5\r\ndraft') + OK,
    );
    expect(p.send('AT+CMGS="+4930123"\r\x80\x1a')).toBe(`\r\n> ${cmsError(305)}`);
    expect(p.send('AT+CMGS="+4930123"\r' + 'x'.repeat(161) + '\x1a')).toBe(`\r\n> ${cmsError(305)}`);
  });

  it('text mode with +CSCS "UCS2" and +CSMP <dcs> 8: addresses and text as hex, sent as UCS2', async () => {
    unlock();
    expect(p.send('AT+CMGF=1;+CSCS="UCS2";+CSMP=17,167,0,8\r')).toBe(OK);
    const da = [...'+4930123'].map((c) => c.charCodeAt(0).toString(16).padStart(4, '0')).join('');
    expect(p.send(`AT+CMGS="${da}"\r041A043E0434\x1a`)).toBe('\r\n> ');
    await settle();
    expect(p.drain()).toBe(v1('+CMGS: 1') + OK);
    expect(decodeTpdu(bearer.submitted[0]!, 'ms-to-sc')).toMatchObject({
      ok: true,
      value: { dcs: 8, userData: { text: 'Код' }, destination: { value: '4930123' } },
    });
  });

  it('+CNMI 2,2 routes the SMS-DELIVER as +CMT (PDU and text mode) without storing it', () => {
    unlock();
    expect(p.send('AT+CNMI=2,2\r')).toBe(OK);
    const [tpdu] = deliverTpdu('Direct');
    p.modem.deliverSms(tpdu!);
    expect(p.drain()).toBe(v1(`+CMT: ,${tpdu!.length}\r\n${SC_FIELD}${hexOf(tpdu!)}`));
    expect(p.send('AT+CMGF=1\r')).toBe(OK);
    p.modem.deliverSms(tpdu!);
    expect(p.drain()).toBe(v1('+CMT: "+4930999",,"26/11/21,10:30:00+04"\r\nDirect'));
    expect(p.send('AT+CPMS?\r')).toBe(v1('+CPMS: "SM",0,10,"SM",0,10,"SM",0,10') + OK);
  });

  it('+CNMI <ds>: SMS-STATUS-REPORT as +CDS (1) or stored with +CDSI (2)', () => {
    unlock();
    const report: SmsStatusReport = {
      type: 'SMS-STATUS-REPORT',
      moreMessagesToSend: false,
      forCommand: false,
      messageReference: 7,
      recipient: parseAddress('+4930123'),
      scts: SCTS,
      dischargeTime: SCTS,
      status: 0,
    };
    const tpdu = encodeTpdu(report);
    expect(p.send('AT+CNMI=2,1,0,1\r')).toBe(OK);
    p.modem.deliverSms(tpdu);
    expect(p.drain()).toBe(v1(`+CDS: ${tpdu.length}\r\n${SC_FIELD}${hexOf(tpdu)}`));
    expect(p.send('AT+CMGF=1\r')).toBe(OK);
    p.modem.deliverSms(tpdu);
    expect(p.drain()).toBe(v1('+CDS: 6,7,"+4930123",145,"26/11/21,10:30:00+04","26/11/21,10:30:00+04",0'));
    expect(p.send('AT+CNMI=2,1,0,2\r')).toBe(OK);
    p.modem.deliverSms(tpdu);
    expect(p.drain()).toBe(v1('+CDSI: "SM",1'));
    expect(p.send('AT+CMGR=1\r')).toBe(
      v1('+CMGR: "REC UNREAD",6,7,"+4930123",145,"26/11/21,10:30:00+04","26/11/21,10:30:00+04",0') + OK,
    );
  });

  it('+CNMI mode 0 buffers indications in the TA; mode 2 with <bfr> 0 sends them, <bfr> 1 drops them', () => {
    unlock();
    p.modem.deliverSms(deliverTpdu('one')[0]!);
    expect(p.drain()).toBe('');
    expect(p.send('AT+CNMI=0,1\r')).toBe(OK);
    p.modem.deliverSms(deliverTpdu('two')[0]!);
    expect(p.drain()).toBe('');
    expect(p.send('AT+CNMI=2,1,0,0,0\r')).toBe(OK + v1('+CMTI: "SM",2'));
    expect(p.send('AT+CNMI=0,1\r')).toBe(OK);
    p.modem.deliverSms(deliverTpdu('three')[0]!);
    expect(p.send('AT+CNMI=2,1,0,0,1\r')).toBe(OK);
  });

  it('without a SIM the "SM" memory answers 310; "ME" still works', () => {
    const q = phone('seed001', { echo: false, card: null });
    expect(q.send('AT+CMGL=4\r')).toBe(cmsError(310));
    expect(q.send('AT+CPMS="SM","ME","ME"\r')).toBe(cmsError(310));
    expect(q.send('AT+CPMS="ME","ME","ME"\r')).toBe(v1('+CPMS: 0,20,0,20,0,20') + OK);
    const hex = new Submit('+4930123', 'no SIM').toString();
    expect(q.send(`AT+CMGW=${hex.length / 2 - 1}\r${hex}\x1a`)).toBe(`\r\n> ${v1('+CMGW: 1')}${OK}`);
    expect(q.send('AT+CMGL=4\r')).toContain('+CMGL: 1,2,,');
  });

  it('"ME" keeps its records through the persistence hook across a new modem (power cycle)', () => {
    const flash: (Uint8Array | undefined)[] = [];
    const persistence: SmsMemoryPersistence = {
      load: () => flash,
      save: (i, r) => (flash[i - 1] = r),
    };
    const make = (): TestPhone => {
      const profile = phoneProfile('seed001');
      profile.radio.registrationDelayMs = 0;
      let out = '';
      const modem = new PhoneModem({
        profile,
        card: card(profile.card!),
        output: (b) => (out += Buffer.from(b).toString('latin1')),
        phoneSmsMemory: persistence,
      });
      modem.interpreter.settings.echo = false;
      const drain = (): string => {
        const o = out;
        out = '';
        return o;
      };
      return {
        modem,
        card: undefined,
        finals: [],
        drain,
        send: (s) => {
          drain();
          modem.receive(Buffer.from(s as string, 'latin1'));
          return drain();
        },
      };
    };
    const first = make();
    expect(first.send('AT+CPIN="1234";+CPMS="ME","ME","ME";+CNMI=2,1\r')).toContain('OK');
    first.modem.deliverSms(deliverTpdu('kept')[0]!);
    expect(first.drain()).toBe(v1('+CMTI: "ME",1'));
    const second = make();
    expect(second.send('AT+CPIN="1234";+CPMS="ME"\r')).toBe(v1('+CPMS: 1,20,0,10,0,10') + OK);
    expect(second.send('AT+CMGF=1;+CMGR=1\r')).toContain('\r\nkept\r\n');
  });
});
