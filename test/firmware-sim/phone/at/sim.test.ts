/**
 * TS 27.007 SIM commands against both card fixtures: +CPIN flows (wrong PIN, blocking, PUK), +CLCK "SC",
 * +CPWD, +CSIM pass-through and +CRSM. Expected card data is computed here from the card profiles with
 * the codings of TS 102 221 / 31.102 (ICCID and IMSI nibble-swapped BCD).
 */
import { describe, expect, it } from 'vitest';
import {
  parseFcp,
  parseGsmSelectResponse,
  decodeDiallingNumber,
} from '../../../../firmware-sim/uim/codecs.js';
import { fixture, GSM, USIM } from '../../uim/helpers.js';
import { phone, v1 } from './helpers.js';

const OK = '\r\nOK\r\n';
const cmeErr = (n: number | string): string => `\r\n+CME ERROR: ${n}\r\n`;

/** Nibble-swapped BCD, F-padded (TS 102 221 §13.2 for the ICCID). */
function swappedBcd(digits: string): string {
  const d = digits.length % 2 ? `${digits}F` : digits;
  let out = '';
  for (let i = 0; i < d.length; i += 2) out += d[i + 1]! + d[i]!;
  return out;
}

/** EF_IMSI (TS 31.102 §4.2.2): length, then digit 1 with the parity nibble (9 = odd), then swapped digits. */
function imsiFile(imsi: string): string {
  const parity = imsi.length % 2 ? '9' : '1';
  const body = swappedBcd(`${imsi[0]}${parity}${imsi.slice(1)}`.replace(/^(.)(.)/, '$2$1'));
  return (body.length / 2).toString(16).padStart(2, '0').toUpperCase() + body;
}

const cards = [
  { name: USIM, phone: 'seed001', pin: '1234', puk: '12345678', pin2: '5678' },
  { name: GSM, phone: 'seed001-gsm', pin: '0000', puk: '11111111', pin2: '2222' },
] as const;

describe.each(cards)('TS 27.007 §8.3 +CPIN with $name', (c) => {
  it('+CPIN? asks the card; a wrong PIN is +CME ERROR: 16; the right one makes it READY', () => {
    const p = phone(c.phone, { echo: false });
    expect(p.send('AT+CPIN=?\r')).toBe(OK);
    expect(p.send('AT+CMEE=1;+CPIN?\r')).toBe(v1('+CPIN: SIM PIN') + OK);
    const wrong = c.pin === '0000' ? '1111' : '0000';
    expect(p.send(`AT+CPIN="${wrong}"\r`)).toBe(cmeErr(16));
    expect(p.send(`AT+CPIN="${c.pin}"\r`)).toBe(OK);
    expect(p.send('AT+CPIN?\r')).toBe(v1('+CPIN: READY') + OK);
    // Nothing to enter now: operation not allowed.
    expect(p.send(`AT+CPIN="${c.pin}"\r`)).toBe(cmeErr(3));
  });

  it('three wrong PINs block the SIM: 16, 16, then SIM PUK required; the PUK sets a new PIN', () => {
    const p = phone(c.phone, { echo: false });
    p.send('AT+CMEE=1\r');
    const wrong = c.pin === '0000' ? '9999' : '0000';
    expect(p.send(`AT+CPIN=${wrong}\r`)).toBe(cmeErr(16));
    expect(p.send(`AT+CPIN=${wrong}\r`)).toBe(cmeErr(16));
    expect(p.send(`AT+CPIN=${wrong}\r`)).toBe(cmeErr(12));
    expect(p.send('AT+CPIN?\r')).toBe(v1('+CPIN: SIM PUK') + OK);
    expect(p.send('AT+CIMI\r')).toBe(cmeErr(12));
    expect(p.send(`AT+CPIN="${c.puk}"\r`)).toBe(cmeErr(50)); // the new PIN is required
    expect(p.send('AT+CPIN="87654321","4321"\r')).toBe(cmeErr(16)); // wrong PUK
    expect(p.send(`AT+CPIN="${c.puk}","4321"\r`)).toBe(OK);
    expect(p.send('AT+CPIN?\r')).toBe(v1('+CPIN: READY') + OK);
    expect(p.send('AT+CFUN=1,1;+CPIN="4321";+CPIN?\r')).toBe(v1('+CPIN: READY') + OK);
  });

  it('a PUK wrong ten times blocks the SIM for good: SIM failure', () => {
    const p = phone(c.phone, { echo: false });
    p.send('AT+CMEE=1\r');
    for (let i = 0; i < 3; i++) p.send('AT+CPIN="5555"\r');
    for (let i = 0; i < 9; i++) expect(p.send('AT+CPIN="99999999","1111"\r')).toBe(cmeErr(16));
    expect(p.send('AT+CPIN="99999999","1111"\r')).toBe(cmeErr(13));
    expect(p.send('AT+CPIN?\r')).toBe(cmeErr(13));
  });

  it('an unquoted PIN keeps its leading zeros (V.250 numeric constant text as typed)', () => {
    const p = phone(c.phone, { echo: false });
    expect(p.send(`AT+CPIN=${c.pin}\r`)).toBe(OK);
    expect(p.send('AT+CPIN?\r')).toBe(v1('+CPIN: READY') + OK);
  });

  it('malformed PINs are refused before they reach the card (no attempt is used)', () => {
    const p = phone(c.phone, { echo: false });
    p.send('AT+CMEE=1\r');
    for (const bad of ['"12a4"', '"123"', '"123456789"', '', '"1234","5678","9"']) {
      expect(p.send(`AT+CPIN=${bad}\r`), bad).toBe(cmeErr(50));
    }
    expect(p.send('AT+CPINR="SIM PIN"\r')).toBe(v1('+CPINR: SIM PIN,3,3') + OK);
  });
});

describe.each(cards)('TS 27.007 §7.4 +CLCK and §7.5 +CPWD with $name', (c) => {
  it('+CLCK="SC": query, disable, enable; a disabled PIN is not asked after a power cycle', () => {
    const p = phone(c.phone, { echo: false });
    p.send(`AT+CMEE=1;+CPIN="${c.pin}"\r`);
    expect(p.send('AT+CLCK=?\r')).toBe(v1('+CLCK: ("SC")') + OK);
    expect(p.send('AT+CLCK="SC",2\r')).toBe(v1('+CLCK: 1') + OK);
    expect(p.send('AT+CLCK="SC",1,"' + c.pin + '"\r')).toBe(cmeErr(3)); // already enabled
    expect(p.send('AT+CLCK="SC",0,"4444"\r')).toBe(cmeErr(16));
    expect(p.send(`AT+CLCK="SC",0,"${c.pin}";+CLCK="SC",2\r`)).toBe(v1('+CLCK: 0') + OK);
    expect(p.send('AT+CFUN=1,1;+CPIN?;+CIMI\r')).toBe(
      v1('+CPIN: READY') + v1(c.name === USIM ? '001010123456789' : '234150999999999') + OK,
    );
    expect(p.send(`AT+CLCK="SC",1,"${c.pin}";+CFUN=1,1;+CPIN?\r`)).toBe(v1('+CPIN: SIM PIN') + OK);
  });

  it('+CLCK: other facilities are not supported; bad modes and a missing password are refused', () => {
    const p = phone(c.phone, { echo: false });
    p.send('AT+CMEE=1\r');
    expect(p.send('AT+CLCK="PN",2\r')).toBe(cmeErr(4));
    expect(p.send('AT+CLCK="SC",3\r')).toBe(cmeErr(50));
    expect(p.send('AT+CLCK="SC",0\r')).toBe(cmeErr(50));
    expect(p.send('AT+CLCK="SC",2\r')).toBe(v1('+CLCK: 1') + OK); // the query needs no PIN
  });

  it('+CPWD="SC" changes PIN1 (CHANGE CHV), "P2" changes PIN2; a wrong old PIN is 16', () => {
    const p = phone(c.phone, { echo: false });
    p.send(`AT+CMEE=1;+CPIN="${c.pin}"\r`);
    expect(p.send('AT+CPWD=?\r')).toBe(v1('+CPWD: ("SC",8),("P2",8)') + OK);
    expect(p.send('AT+CPWD="SC","4444","5555"\r')).toBe(cmeErr(16));
    expect(p.send(`AT+CPWD="SC","${c.pin}","2468"\r`)).toBe(OK);
    expect(p.send(`AT+CPWD="P2","${c.pin2}","13579"\r`)).toBe(OK);
    expect(p.send('AT+CPWD="P2","13579","1x"\r')).toBe(cmeErr(50));
    expect(p.send('AT+CPWD="AO","1234","5678"\r')).toBe(cmeErr(4));
    expect(p.send(`AT+CFUN=1,1;+CPIN="${c.pin}"\r`)).toBe(cmeErr(16));
    expect(p.send('AT+CPIN="2468"\r')).toBe(OK);
    // PIN1 disabled: CHANGE is refused by the card (6984 / 9808) → operation not allowed.
    expect(p.send('AT+CLCK="SC",0,"2468";+CPWD="SC","2468","1111"\r')).toBe(cmeErr(3));
  });
});

describe('TS 27.007 §8.17 +CSIM passes APDUs to the UIM unchanged', () => {
  it('USIM: SELECT EF_ICCID by path + READ BINARY returns the profile ICCID', () => {
    const p = phone('seed001', { echo: false });
    const iccid = swappedBcd(fixture(USIM).iccid);
    expect(p.send('AT+CSIM=?\r')).toBe(OK);
    expect(p.send('AT+CSIM=14,"00A4080C022FE2"\r')).toBe(v1('+CSIM: 4,"9000"') + OK);
    expect(p.send('AT+CSIM=10,"00B000000A"\r')).toBe(v1(`+CSIM: 24,"${iccid}9000"`) + OK);
  });

  it("GSM SIM: SELECT MF, SELECT EF_ICCID (9Fxx), READ BINARY; the T=0 GET RESPONSE is the host's", () => {
    const p = phone('seed001-gsm', { echo: false });
    const iccid = swappedBcd(fixture(GSM).iccid);
    expect(p.send('AT+CSIM=14,"A0A40000023F00"\r')).toBe(v1('+CSIM: 4,"9F16"') + OK);
    expect(p.send('AT+CSIM=14,"A0A40000022FE2"\r')).toBe(v1('+CSIM: 4,"9F0F"') + OK);
    const gr = p.send('AT+CSIM=10,"A0C000000F"\r');
    expect(gr).toMatch(/^\r\n\+CSIM: 34,"0000000A2FE204[0-9A-F]{16}9000"\r\n\r\nOK\r\n$/);
    expect(p.send('AT+CSIM=10,"A0B000000A"\r')).toBe(v1(`+CSIM: 24,"${iccid}9000"`) + OK);
  });

  it("the card's own status words come back: 6A82, 6E00 on a GSM-only SIM, 6982 before the PIN", () => {
    const u = phone('seed001', { echo: false });
    expect(u.send('AT+CSIM=14,"00A40004026FFF"\r')).toBe(v1('+CSIM: 4,"6A82"') + OK);
    expect(u.send('AT+CSIM=18,"00A4080C047FFF6F07"\r')).toBe(v1('+CSIM: 4,"9000"') + OK);
    expect(u.send('AT+CSIM=10,"00B0000009"\r')).toBe(v1('+CSIM: 4,"6982"') + OK);
    const g = phone('seed001-gsm', { echo: false });
    expect(g.send('AT+CSIM=14,"00A40004023F00"\r')).toBe(v1('+CSIM: 4,"6E00"') + OK);
  });

  it('a VERIFY sent over +CSIM unlocks the SIM for the handset too', () => {
    const p = phone('seed001', { echo: false });
    expect(p.send('AT+CSIM=26,"002000010831323334FFFFFFFF"\r')).toBe(v1('+CSIM: 4,"9000"') + OK);
    expect(p.send('AT+CPIN?;+CREG?\r')).toBe(v1('+CPIN: READY') + v1('+CREG: 0,1') + OK);
  });

  it('bad <length> or <command> is +CME ERROR: 50', () => {
    const p = phone('seed001', { echo: false });
    p.send('AT+CMEE=1\r');
    for (const bad of [
      '12,"00A4080C022FE2"',
      '13,"00A4080C022FE"',
      '6,"00A408"',
      '14,"00A4080C022FEG"',
      '14',
      '"14"',
    ]) {
      expect(p.send(`AT+CSIM=${bad}\r`), bad).toBe(cmeErr(50));
    }
  });
});

describe.each(cards)('TS 27.007 §8.18 +CRSM with $name', (c) => {
  const profile = fixture(c.name);
  const gsm = c.name === GSM;

  it('READ BINARY EF_ICCID by file id (2FE2 = 12258), with and without <pathid>', () => {
    const p = phone(c.phone, { echo: false });
    const iccid = swappedBcd(profile.iccid);
    expect(p.send('AT+CRSM=?\r')).toBe(OK);
    expect(p.send('AT+CRSM=176,12258,0,0,10\r')).toBe(v1(`+CRSM: 144,0,"${iccid}"`) + OK);
    expect(p.send('AT+CRSM=176,12258,0,0,10,,"3F00"\r')).toBe(v1(`+CRSM: 144,0,"${iccid}"`) + OK);
  });

  it('READ BINARY EF_IMSI: the card refuses before the PIN, answers the coded IMSI after it', () => {
    const p = phone(c.phone, { echo: false });
    expect(p.send('AT+CRSM=176,28423,0,0,9\r')).toBe(v1(gsm ? '+CRSM: 152,4' : '+CRSM: 105,130') + OK);
    p.send(`AT+CPIN="${c.pin}"\r`);
    expect(p.send('AT+CRSM=176,28423,0,0,9\r')).toBe(v1(`+CRSM: 144,0,"${imsiFile(profile.imsi)}"`) + OK);
    const path = gsm ? '3F007F20' : '3F007FFF';
    expect(p.send(`AT+CRSM=176,28423,0,0,9,,"${path}"\r`)).toBe(
      v1(`+CRSM: 144,0,"${imsiFile(profile.imsi)}"`) + OK,
    );
  });

  it('GET RESPONSE gives the select response; READ RECORD of EF_ADN decodes to the phonebook', () => {
    const p = phone(c.phone, { echo: false });
    p.send(`AT+CPIN="${c.pin}"\r`);
    const gr = /\+CRSM: 144,0,"([0-9A-F]+)"/.exec(p.send('AT+CRSM=192,28474\r'));
    expect(gr).not.toBeNull();
    const resp = Uint8Array.from(Buffer.from(gr![1]!, 'hex'));
    let length: number;
    if (gsm) {
      const g = parseGsmSelectResponse(resp);
      if (!g.ok || g.value.kind !== 'ef') throw new Error('not an EF response');
      length = g.value.recordLength;
    } else {
      const f = parseFcp(resp);
      if (!f.ok) throw new Error(f.error);
      length = f.value.recordLength!;
    }
    const rr = /\+CRSM: 144,0,"([0-9A-F]+)"/.exec(p.send(`AT+CRSM=178,28474,1,4,${length}\r`));
    const entry = decodeDiallingNumber(Uint8Array.from(Buffer.from(rr![1]!, 'hex')));
    expect(entry.ok && entry.value).toMatchObject({
      alpha: profile.phonebook![0]!.name,
      number: profile.phonebook![0]!.number,
    });
    // A record past the end: the card's own status word.
    expect(p.send(`AT+CRSM=178,28474,250,4,${length}\r`)).toBe(
      v1(gsm ? '+CRSM: 148,2' : '+CRSM: 106,131') + OK,
    );
  });

  it('UPDATE BINARY / UPDATE RECORD write through; STATUS answers the current DF', () => {
    const p = phone(c.phone, { echo: false });
    expect(p.send('AT+CRSM=214,28539,0,0,3,"32F410"\r')).toBe(
      v1(gsm ? '+CRSM: 152,4' : '+CRSM: 105,130') + OK,
    );
    p.send(`AT+CPIN="${c.pin}"\r`);
    expect(p.send('AT+CRSM=214,28539,0,0,3,"32F410"\r')).toBe(v1('+CRSM: 144,0') + OK);
    expect(p.send('AT+CRSM=176,28539,0,0,3\r')).toBe(v1('+CRSM: 144,0,"32F410"') + OK);
    const status = p.send('AT+CRSM=242\r');
    expect(status).toMatch(/^\r\n\+CRSM: 144,0,"[0-9A-F]+"\r\n\r\nOK\r\n$/);
    const gr = /"([0-9A-F]+)"/.exec(p.send('AT+CRSM=192,28474\r'))![1]!;
    const resp = Uint8Array.from(Buffer.from(gr, 'hex'));
    const length = gsm
      ? (parseGsmSelectResponse(resp) as { ok: true; value: { recordLength: number } }).value.recordLength
      : (parseFcp(resp) as { ok: true; value: { recordLength: number } }).value.recordLength;
    const record = 'FF'.repeat(length);
    expect(p.send(`AT+CRSM=220,28474,1,4,${length},"${record}"\r`)).toBe(v1('+CRSM: 144,0') + OK);
    expect(p.send(`AT+CRSM=178,28474,1,4,${length}\r`)).toBe(v1(`+CRSM: 144,0,"${record}"`) + OK);
  });

  it('unknown files give the card status word; bad commands and parameters +CME ERROR: 50', () => {
    const p = phone(c.phone, { echo: false });
    p.send('AT+CMEE=1\r');
    expect(p.send('AT+CRSM=176,28671,0,0,1\r')).toBe(v1(gsm ? '+CRSM: 148,4' : '+CRSM: 106,130') + OK);
    for (const bad of [
      '200,12258,0,0,1',
      '176,12258',
      '176',
      '176,12258,0,0,256',
      '214,28539,0,0,3,"32F4"',
      '176,12258,0,0,10,,"3F0"',
      '176,12258,0,0,10,"zz"',
    ]) {
      expect(p.send(`AT+CRSM=${bad}\r`), bad).toBe(cmeErr(50));
    }
  });
});
