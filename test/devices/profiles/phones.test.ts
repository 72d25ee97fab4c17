import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCardFixtures } from '../../../devices/profiles/cards.js';
import { loadPhoneFixtures, parsePhoneProfile, PhoneProfileError } from '../../../devices/profiles/phones.js';
import { imeiCheckDigit, isValidImei } from '../../../firmware-sim/phone/imei.js';

const GOOD = `name: test-phone
manufacturer: ACME
model: M1
revision: R1
imei: '353951100000014'
svn: '01'
card: usim-seed001
radio:
  rssi: 20
  ber: 99
  networks:
    - { numeric: '00101', long: 'Net', short: 'N', act: gsm, lac: 1, ci: 2 }
battery: { status: 0, level: 50 }
`;

/** The IMEI check as TS 23.003 annex B states it: double every second digit from the right of all 15. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  [...digits].reverse().forEach((ch, i) => {
    let d = Number(ch);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  });
  return sum % 10 === 0;
}

describe('phone profiles (fixtures/phones)', () => {
  it('the shipped fixtures load, have valid IMEIs and hold card fixtures that exist', () => {
    const phones = loadPhoneFixtures();
    const cards = loadCardFixtures();
    expect(Object.keys(phones).sort()).toEqual(['seed001', 'seed001-gsm']);
    for (const p of Object.values(phones)) {
      expect(isValidImei(p.imei)).toBe(true);
      expect(p.card && cards[p.card], p.name).toBeTruthy();
    }
  });

  it('registrationDelayMs defaults to 0', () => {
    expect(parsePhoneProfile(GOOD, 'x.yaml').radio.registrationDelayMs).toBe(0);
  });

  it('errors name the file, the line, the path and what was expected', () => {
    const cases: [string, string, RegExp][] = [
      [
        "imei: '353951100000014'",
        "imei: '353951100000015'",
        /x\.yaml:5: imei: expected 15 digits whose last/,
      ],
      ['rssi: 20', 'rssi: 40', /radio\.rssi: expected an RSSI of 0 to 31, or 99/],
      ['status: 0', 'status: 7', /battery\.status: expected a battery status/],
      ['act: gsm', 'act: lte', /radio\.networks\.0\.act: expected one of "gsm", "utran", "e-utran"/],
      ['ci: 2', 'ci: 0x10000', /radio\.networks\.0\.ci: expected a GSM cell id/],
      ['model: M1', 'model: M1\ncolour: red', /\(top level\): expected no key "colour" here/],
      ["svn: '01'", 'svn: 1', /svn: expected string/],
    ];
    for (const [from, to, message] of cases) {
      const text = GOOD.replace(from, to);
      expect(() => parsePhoneProfile(text, 'x.yaml'), to).toThrow(PhoneProfileError);
      expect(() => parsePhoneProfile(text, 'x.yaml'), to).toThrow(message);
    }
    const twice = GOOD.replace(
      "    - { numeric: '00101'",
      "    - { numeric: '00101', long: 'A', short: 'A', act: gsm, lac: 1, ci: 1 }\n    - { numeric: '00101'",
    );
    expect(() => parsePhoneProfile(twice, 'x.yaml')).toThrow(
      /radio\.networks\.1\.numeric: expected a network listed once/,
    );
  });

  it('IMEI check digit (TS 23.003 §6.2.1): agrees with the annex-B formulation over all 15 digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{14}$/), fc.integer({ min: 0, max: 9 }), (fourteen, d) => {
        expect(imeiCheckDigit(fourteen)).toBe([...Array(10).keys()].find((c) => luhnValid(fourteen + c)));
        expect(isValidImei(fourteen + d)).toBe(luhnValid(fourteen + d));
      }),
    );
    expect(isValidImei('49015420323751')).toBe(false);
    expect(isValidImei('35395110000001x')).toBe(false);
  });
});
