/** Known answers from 3GPP TS 23.038 / 23.040 / 27.005 and the WAP Push specifications. */
import { describe, expect, it } from 'vitest';
import {
  CMS,
  TON,
  decodeAtPdu,
  decodeGsm7,
  decodeSiPush,
  decodeTpdu,
  decodeUcs2,
  encodeAtPdu,
  encodeGsm7,
  encodeScts,
  encodeServiceIndication,
  encodeTpAddress,
  encodeTpdu,
  encodeUcs2,
  encodeUdh,
  enhancedVpSeconds,
  packSeptets,
  parseAddress,
  parseDcs,
  relativeVpMinutes,
  segmentText,
  smsSubmitsForText,
  toHex,
  unpackSeptets,
  wapPushUserData,
  type SmsStatusReport,
  type Tpdu,
} from '../../../../firmware-sim/phone/sms/index.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'));
const decoded = (hex: string, direction: 'sc-to-ms' | 'ms-to-sc'): Tpdu => {
  const r = decodeTpdu(bytes(hex), direction);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};

describe('TS 23.038 alphabets', () => {
  it('§6.1.2.1.1 septet packing: "Pay" → D0 70 1E, "hellohello" → E8 32 9B FD 46 97 D9 EC 37', () => {
    expect(toHex(packSeptets(encodeGsm7('Pay')))).toBe('D0701E');
    expect(toHex(packSeptets(encodeGsm7('hellohello')))).toBe('E8329BFD4697D9EC37');
    expect(decodeGsm7(unpackSeptets(bytes('E8329BFD4697D9EC37'), 10))).toBe('hellohello');
  });

  it('§6.2.1.1 extension table: € is ESC 65, [ ] { } ~ ^ \\ | each take ESC + one septet', () => {
    expect(encodeGsm7('€')).toEqual([0x1b, 0x65]);
    expect(encodeGsm7('[]{}~^\\|')).toEqual([
      0x1b, 0x3c, 0x1b, 0x3e, 0x1b, 0x28, 0x1b, 0x29, 0x1b, 0x3d, 0x1b, 0x14, 0x1b, 0x2f, 0x1b, 0x40,
    ]);
    expect(encodeGsm7('@£¥Δ_ßÉ¤¡§¿à')).toEqual([
      0, 1, 3, 0x10, 0x11, 0x1e, 0x1f, 0x24, 0x40, 0x5f, 0x60, 0x7f,
    ]);
  });

  it('§6.2.1.1 an escape to an unassigned code shows the default character; ESC ESC shows a space', () => {
    expect(decodeGsm7([0x1b, 0x41])).toBe('A');
    expect(decodeGsm7([0x1b, 0x1b, 0x41])).toBe(' A');
    expect(decodeGsm7([0x41, 0x1b])).toBe('A ');
  });

  it('§6.2.3 UCS2: € = 20AC, U+1F600 travels as the surrogate pair D83D DE00', () => {
    expect(toHex(encodeUcs2('€'))).toBe('20AC');
    expect(toHex(encodeUcs2('😀'))).toBe('D83DDE00');
    expect(decodeUcs2(bytes('D83DDE00'))).toBe('😀');
    expect(decodeUcs2(bytes('0041FF'))).toBe('A\ufffd');
  });

  it('§4 data coding scheme: every group, reserved values read as GSM 7-bit without throwing', () => {
    expect(parseDcs(0x00)).toMatchObject({ group: 'general', alphabet: 'gsm7', reserved: false });
    expect(parseDcs(0x08)).toMatchObject({ alphabet: 'ucs2' });
    expect(parseDcs(0x04)).toMatchObject({ alphabet: '8bit' });
    expect(parseDcs(0x10)).toMatchObject({ alphabet: 'gsm7', messageClass: 0 });
    expect(parseDcs(0x0c)).toMatchObject({ alphabet: 'gsm7', reserved: true });
    expect(parseDcs(0x2a)).toMatchObject({ alphabet: 'ucs2', compressed: true });
    expect(parseDcs(0x48)).toMatchObject({ group: 'automatic-deletion', alphabet: 'ucs2' });
    expect(parseDcs(0x80)).toMatchObject({ group: 'reserved', alphabet: 'gsm7', reserved: true });
    expect(parseDcs(0xc8)).toMatchObject({
      group: 'message-waiting',
      messageWaiting: { store: false, active: true, indication: 'voicemail' },
    });
    expect(parseDcs(0xd1).messageWaiting).toEqual({ store: true, active: false, indication: 'fax' });
    expect(parseDcs(0xea)).toMatchObject({ alphabet: 'ucs2', messageWaiting: { indication: 'email' } });
    expect(parseDcs(0xf5)).toMatchObject({ group: 'data-coding-class', alphabet: '8bit', messageClass: 1 });
    for (let v = 0; v < 256; v++) expect(() => parseDcs(v)).not.toThrow();
  });
});

describe('TS 23.040 fields', () => {
  it('§9.1.2.5 addresses: international BCD with F filler, alphanumeric TON 101 with septets', () => {
    expect(toHex(encodeTpAddress(parseAddress('+4917012345')))).toBe('0A919471103254');
    expect(toHex(encodeTpAddress(parseAddress('Bank')))).toBe('07D0C2B07B0D');
    expect(parseAddress('Bank').ton).toBe(TON.ALPHANUMERIC);
  });

  it('§9.2.3.11 time stamps: swapped BCD, time zone in quarter hours with the sign in bit 3', () => {
    const t = { year: 2026, month: 11, day: 21, hour: 10, minute: 30, second: 5, timeZone: -20 };
    expect(toHex(encodeScts(t))).toBe('6211120103500A');
    expect(toHex(encodeScts({ ...t, timeZone: 32 }))).toBe('62111201035023');
  });

  it('§9.2.3.12 validity period: relative octet scale and enhanced relative-seconds form', () => {
    expect(relativeVpMinutes(0)).toBe(5);
    expect(relativeVpMinutes(143)).toBe(720);
    expect(relativeVpMinutes(167)).toBe(1440);
    expect(relativeVpMinutes(170)).toBe(4 * 1440);
    expect(relativeVpMinutes(197)).toBe(5 * 7 * 1440);
    expect(enhancedVpSeconds(bytes('021E0000000000'))).toBe(30);
    expect(enhancedVpSeconds(bytes('03103045000000'))).toBe(3600 + 3 * 60 + 54);
  });

  it('§9.2.3.24.1 concatenation 05 00 03 <ref> <total> <seq>; §9.2.3.24.4 WAP ports 06 05 04 0B84 23F0', () => {
    expect(
      toHex(encodeUdh([{ kind: 'concat', referenceBits: 8, reference: 0x42, total: 2, sequence: 1 }])),
    ).toBe('050003420201');
    expect(toHex(encodeUdh(wapPushUserData(new Uint8Array(10), 1)[0]!.header!))).toBe('0605040B8423F0');
  });

  it('§9.2.3.24 GSM 7-bit after a 6-octet header: one fill bit, TP-UDL counts the header septets', () => {
    const [first] = smsSubmitsForText({
      destination: parseAddress('+4912345'),
      messageReference: 5,
      reference: 0x42,
      text: 'x'.repeat(200),
    });
    const pdu = toHex(encodeTpdu(first!));
    // 41: SUBMIT with UDHI; MR 05; DA; PID 00; DCS 00; UDL A0 = 160 septets (7 header + 153 text).
    expect(pdu.startsWith('41050791942143F50000A0050003420201F0783C')).toBe(true);
  });

  it('§9.2.2.1 SMS-DELIVER from the node-pdu README decodes: originator, time stamp, text', () => {
    const at = decodeAtPdu(
      '07919730071111F1000B919746121611F10000811170021222230DC8329BFD6681EE6F399B1C02',
      'sc-to-ms',
    );
    expect(at.ok).toBe(true);
    if (!at.ok) return;
    expect(at.value.smsc).toEqual({ ton: 1, npi: 1, value: '79037011111' });
    expect(at.value.tpdu).toMatchObject({
      type: 'SMS-DELIVER',
      originator: { ton: 1, npi: 1, value: '79642161111' },
      scts: { year: 2018, month: 11, day: 7, hour: 20, minute: 21, second: 22, timeZone: 32 },
      userData: { text: 'Hello, world!' },
    });
  });

  it('§9.2.2.3 SMS-STATUS-REPORT with and without TP-PI', () => {
    const t = decoded(
      '0605 0B919746121611F1 81117002122223 81117002123223 00',
      'sc-to-ms',
    ) as SmsStatusReport;
    expect(t).toMatchObject({
      type: 'SMS-STATUS-REPORT',
      messageReference: 5,
      status: 0,
      moreMessagesToSend: false,
    });
    expect(t.dischargeTime.second).toBe(23);
    const withPi = decoded('0605 0B919746121611F1 81117002122223 81117002123223 46 00', 'sc-to-ms');
    expect(withPi).toMatchObject({ status: 0x46 });
  });

  it('§9.2.2.4 SMS-COMMAND: delete (TP-CT 02) of the message with TP-MR 05', () => {
    expect(decoded('22 07 00 02 05 0B919746121611F1 00', 'ms-to-sc')).toEqual({
      type: 'SMS-COMMAND',
      statusReportRequest: true,
      messageReference: 7,
      pid: 0,
      commandType: 2,
      messageNumber: 5,
      destination: { ton: 1, npi: 1, value: '79642161111' },
      commandData: new Uint8Array(0),
    });
  });

  it('§9.2.2.1a/§9.2.2.2a reports: RP-ERROR form with TP-FCS, RP-ACK form without', () => {
    expect(decoded('00D000', 'ms-to-sc')).toEqual({ type: 'SMS-DELIVER-REPORT', failureCause: 0xd0 });
    expect(decoded('0000', 'ms-to-sc')).toEqual({ type: 'SMS-DELIVER-REPORT' });
    const scts = { year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5, timeZone: 0 };
    const sr = encodeTpdu({ type: 'SMS-SUBMIT-REPORT', failureCause: 0xc5, scts });
    expect(toHex(sr)).toBe('01C50062102030405000');
    expect(decodeTpdu(sr, 'sc-to-ms')).toMatchObject({
      ok: true,
      value: { type: 'SMS-SUBMIT-REPORT', failureCause: 0xc5 },
    });
  });
});

describe('TS 27.005 PDU mode', () => {
  it('§3.5.1 +CMGS=<length> counts the TPDU only; a wrong length is +CMS ERROR 304', () => {
    const [submit] = smsSubmitsForText({
      destination: parseAddress('+4912345'),
      messageReference: 1,
      reference: 0,
      text: 'Pay',
    });
    const { hex, tpduLength } = encodeAtPdu({ smsc: parseAddress('+4917000'), tpdu: submit! });
    expect(hex.slice(0, 12)).toBe('0591947100F0');
    expect(hex.length / 2).toBe(tpduLength + 6);
    expect(decodeAtPdu(hex, 'ms-to-sc', tpduLength).ok).toBe(true);
    expect(decodeAtPdu(hex, 'ms-to-sc', tpduLength + 1)).toEqual({
      ok: false,
      error: { cms: CMS.INVALID_PDU_MODE_PARAMETER, reason: expect.stringContaining('<length>') },
    });
    expect(encodeAtPdu({ tpdu: submit! }).hex.startsWith('00')).toBe(true);
  });

  it('bad PDUs get typed errors (+CMS ERROR 304): odd hex, truncation, reserved MTI, empty', () => {
    expect(decodeAtPdu('0011F', 'ms-to-sc')).toMatchObject({ ok: false, error: { cms: 304 } });
    expect(decodeAtPdu('000100', 'ms-to-sc')).toMatchObject({ ok: false, error: { cms: 304 } });
    expect(decodeTpdu(bytes('03'), 'sc-to-ms')).toMatchObject({ ok: false, error: { cms: 304 } });
    expect(decodeTpdu(bytes('0200'), 'ms-to-sc')).toMatchObject({ ok: false, error: { cms: 304 } });
    expect(decodeTpdu(new Uint8Array(0), 'sc-to-ms')).toMatchObject({ ok: false, error: { cms: 304 } });
  });
});

describe('segmentation', () => {
  it('153 GSM 7-bit septets / 67 UCS2 units per part with an 8-bit reference; 160 / 70 fit in one', () => {
    expect(segmentText('a'.repeat(160), { reference: 1 }).parts).toHaveLength(1);
    expect(segmentText('a'.repeat(161), { reference: 1 }).parts.map((p) => p.text!.length)).toEqual([153, 8]);
    expect(segmentText('ж'.repeat(70), { reference: 1 }).parts).toHaveLength(1);
    expect(segmentText('ж'.repeat(71), { reference: 1 }).parts.map((p) => p.text!.length)).toEqual([67, 4]);
  });

  it('an escape pair and a surrogate pair stay in one part', () => {
    const gsm = segmentText('a'.repeat(152) + '€' + 'b'.repeat(7), { reference: 1 });
    expect(gsm.parts.map((p) => p.text)).toEqual(['a'.repeat(152), '€bbbbbbb']);
    const ucs = segmentText('ж'.repeat(66) + '😀жжж', { reference: 1 });
    expect(ucs.parts.map((p) => p.text)).toEqual(['ж'.repeat(66), '😀жжж']);
  });
});

describe('WAP Push Service Indication (WAP-167, WAP-192, WAP-230)', () => {
  it('encodes WBXML 1.2, SI public id 05, UTF-8, with href prefix token 0C and OPAQUE date', () => {
    const wbxml = encodeServiceIndication({
      href: 'http://pay.example/seed-000',
      created: '2026-11-21T10:30:00Z',
      action: 'signal-medium',
      text: 'Pay',
    });
    expect(toHex(wbxml)).toBe(
      '02056A0045C60C03' +
        toHex(Buffer.from('pay.example/seed-000\0')) +
        '0AC3062026112110300701035061790001' +
        '01',
    );
  });

  it('decodes a push with a .com/ value token and the general content-type form', () => {
    // TID 25, Push, headers 04: value-length 3, AE (sic), 81 EA (charset=utf-8); SI with href="http://www." STR_I "shop" .com/
    const push = bytes('2506 04 03AE81EA 02056A00 45 C6 0D 0373686F7000 85 01 03486900 01 01');
    const r = decodeSiPush(push);
    expect(r).toMatchObject({ ok: true, value: { si: { href: 'http://www.shop.com/', text: 'Hi' } } });
    if (r.ok)
      expect(r.value.push).toMatchObject({ transactionId: 0x25, contentType: 'application/vnd.wap.sic' });
  });
});
