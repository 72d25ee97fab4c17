/**
 * The codec against independent peers (PROTOCOLS.md, "SMS PDUs"): the node-pdu package (byte-exact
 * SMS-SUBMIT, decoding of GSM 7-bit / UCS2 / concatenated messages) and tshark's gsm_sms, wsp and wbxml
 * dissectors (full decoding, WAP Push included).
 */
import { Deliver, Submit, parse } from 'node-pdu';
import { describe, expect, it } from 'vitest';
import {
  SmsReassembler,
  WAP_PUSH_DCS,
  decodeAtPdu,
  encodeAtPdu,
  encodeSiPush,
  encodeTpdu,
  parseAddress,
  sctsFromEpoch,
  smsDeliversForText,
  smsDeliversForUserData,
  smsSubmitsForText,
  type SmsCommand,
  type SmsDeliver,
  type SmsStatusReport,
  type SmsSubmit,
} from '../../../../firmware-sim/phone/sms/index.js';
import { hasTshark } from '../../../oracles.js';
import { tsharkFields } from './tshark-sms.js';

const submitHex = (text: string, destination: string, alphabet: 'gsm7' | 'ucs2'): string => {
  const [t] = smsSubmitsForText({
    destination: parseAddress(destination),
    messageReference: 0,
    reference: 0,
    text,
    alphabet,
  });
  return encodeAtPdu({ tpdu: t! }).hex;
};

describe('node-pdu as a peer', () => {
  it.each([
    ['Hello everyone!', '+999999999999', 'gsm7'],
    // node-pdu picks UCS2 for any character beyond ASCII, so GSM 7-bit cases stay within it.
    ['Order #42: 3 x 12.50 = 37.50 (ok?)', '+4917012345', 'gsm7'],
    ['Оплата 100 ₽', '+79001234567', 'ucs2'],
    ['Pay €5', '+4912345', 'ucs2'],
  ] as const)('byte-exact single-part SMS-SUBMIT for %j (node-pdu Submit)', (text, to, alphabet) => {
    expect(submitHex(text, to, alphabet)).toBe(new Submit(to, text).toString());
  });

  it("decodes node-pdu's concatenated SMS-SUBMIT parts (16-bit reference) and reassembles them", () => {
    const text = 'Lorem ipsum dolor sit amet, '.repeat(12);
    const parts = new Submit('+4912345', text).getPartStrings();
    expect(parts.length).toBeGreaterThan(1);
    const r = new SmsReassembler();
    const outcomes = [...parts].reverse().map((hex) => {
      const d = decodeAtPdu(hex, 'ms-to-sc');
      if (!d.ok || d.value.tpdu.type !== 'SMS-SUBMIT') throw new Error(JSON.stringify(d));
      return r.add('+4912345', d.value.tpdu.userData);
    });
    expect(outcomes.at(-1)).toMatchObject({ status: 'complete', message: { text } });
  });

  it('node-pdu parses our SMS-DELIVERs: GSM 7-bit, UCS2 with a surrogate pair, concatenated parts', () => {
    const scts = sctsFromEpoch(Date.UTC(2026, 10, 21, 10, 30), 4);
    const cases = ['Your code: 1234', 'Код 😀 1234', 'x'.repeat(150) + '{€}' + 'y'.repeat(20)];
    for (const text of cases) {
      const delivers = smsDeliversForText({ originator: parseAddress('+4917000'), scts, reference: 7, text });
      const texts = delivers.map((d) => {
        const p = parse(encodeAtPdu({ tpdu: d }).hex);
        if (!(p instanceof Deliver)) throw new Error('node-pdu did not read an SMS-DELIVER');
        expect(p.address.phone).toBe('4917000');
        return p.data.getText();
      });
      expect(texts.join('')).toBe(text);
    }
  });
});

const si = {
  href: 'https://pay.example/i/seed-000',
  siId: 'seed-000',
  created: '2026-11-21T10:30:00Z',
  action: 'signal-high' as const,
  text: 'Payment link',
};

describe.skipIf(!hasTshark)('tshark gsm_sms / wsp / wbxml as peers (needs tshark from Debian)', () => {
  it('SMS-SUBMIT fields: MTI, MR, destination, DCS, VP, text', () => {
    const submits: SmsSubmit[] = [
      ...smsSubmitsForText({
        destination: parseAddress('+4917012345'),
        messageReference: 9,
        reference: 0,
        text: 'Pay {5€}',
        validityPeriod: { format: 'relative', value: 167 },
        statusReportRequest: true,
      }),
      ...smsSubmitsForText({
        destination: parseAddress('+4917012345'),
        messageReference: 10,
        reference: 0,
        text: 'Оплата 😀',
      }),
    ];
    const rows = tsharkFields(submits.map(encodeTpdu), 'ms-to-sc', [
      'gsm_sms.tp-mti',
      'gsm_sms.tp-mr',
      'gsm_sms.tp-da',
      'gsm_sms.tp-dcs',
      'gsm_sms.tp-srr',
      'gsm_sms.tp-vpf',
      'gsm_sms.sms_text',
    ]);
    expect(rows).toEqual([
      ['1', '9', '4917012345', '0', '1', '2', 'Pay {5€}'],
      ['1', '10', '4917012345', '8', '0', '0', 'Оплата 😀'],
    ]);
  });

  it('SMS-DELIVER fields: alphanumeric originator, time stamp, concatenation, reassembled text', () => {
    const text = 'Ünïcode ' + 'y'.repeat(80) + '😀';
    const scts = { year: 2026, month: 11, day: 21, hour: 10, minute: 30, second: 5, timeZone: -8 };
    const delivers = smsDeliversForText({ originator: parseAddress('Bank'), scts, reference: 9, text });
    const rows = tsharkFields(delivers.map(encodeTpdu), 'sc-to-ms', [
      'gsm_sms.tp-mti',
      'gsm_sms.tp-oa',
      'gsm_sms.scts.year',
      'gsm_sms.scts.hour',
      'gsm_sms.scts.seconds',
      'gsm_sms.udh.mm.msg_id',
      'gsm_sms.udh.mm.msg_parts',
      'gsm_sms.udh.mm.msg_part',
      'gsm_sms.sms_text',
    ]);
    expect(rows.map((r) => r.slice(0, 8))).toEqual([
      ['0', 'Bank', '26', '10', '5', '9', '2', '1'],
      ['0', 'Bank', '26', '10', '5', '9', '2', '2'],
    ]);
    expect(rows[1]![8]!.split('|').join('')).toBe(text);
  });

  it('SMS-STATUS-REPORT fields: MR, recipient, status', () => {
    const scts = sctsFromEpoch(Date.UTC(2026, 10, 21, 10, 30), 0);
    const report: SmsStatusReport = {
      type: 'SMS-STATUS-REPORT',
      moreMessagesToSend: false,
      forCommand: false,
      messageReference: 77,
      recipient: parseAddress('+4917012345'),
      scts,
      dischargeTime: scts,
      status: 0x46,
    };
    const rows = tsharkFields([encodeTpdu(report)], 'sc-to-ms', [
      'gsm_sms.tp-mti',
      'gsm_sms.tp-mr',
      'gsm_sms.tp-ra',
    ]);
    expect(rows).toEqual([['2', '77', '4917012345']]);
  });

  it('SMS-COMMAND fields: MTI, MR, command type, message number, destination', () => {
    const command: SmsCommand = {
      type: 'SMS-COMMAND',
      statusReportRequest: false,
      messageReference: 12,
      pid: 0,
      commandType: 2,
      messageNumber: 77,
      destination: parseAddress('+4917012345'),
      commandData: new Uint8Array(0),
    };
    const rows = tsharkFields([encodeTpdu(command)], 'ms-to-sc', [
      'gsm_sms.tp-mti',
      'gsm_sms.tp-mr',
      'gsm_sms.tp.command_type',
      'gsm_sms.tp.message_number',
      'gsm_sms.tp-da',
    ]);
    expect(rows).toEqual([['2', '12', '2', '77', '4917012345']]);
  });

  it('WAP Push SI over SMS-DELIVER: ports 2948/9200, WSP Push of application/vnd.wap.sic, SI strings', () => {
    const push = encodeSiPush(si, 0x42);
    const parts = [
      {
        header: [{ kind: 'ports' as const, portBits: 16 as const, destination: 2948, source: 9200 }],
        data: push,
      },
    ];
    const delivers: SmsDeliver[] = smsDeliversForUserData(
      { originator: parseAddress('+4917000'), scts: sctsFromEpoch(0) },
      WAP_PUSH_DCS,
      parts,
    );
    const rows = tsharkFields(delivers.map(encodeTpdu), 'sc-to-ms', [
      'gsm_sms.destination_port',
      'gsm_sms.originator_port',
      'wsp.TID',
      'wsp.pdu_type',
      'wsp.header.content_type',
      'wbxml.public_id.known',
      'wbxml.known_attrstart',
      'wbxml.str_i',
      'wbxml.opaque_data',
    ]);
    expect(rows).toEqual([
      [
        '2948',
        '9200',
        '0x42',
        '0x06',
        'application/vnd.wap.sic',
        '0x00000005',
        "href='https://'|si-id=|created=|action='signal-high'",
        'pay.example/i/seed-000|seed-000|Payment link',
        'c306202611211030',
      ],
    ]);
  });
});
