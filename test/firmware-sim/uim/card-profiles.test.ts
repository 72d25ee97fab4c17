import { describe, expect, it } from 'vitest';
import {
  atrProblem,
  CardProfileError,
  loadCardFixtures,
  parseCardProfile,
} from '../../../devices/profiles/cards.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CARD_FIXTURES_DIR } from '../../../devices/profiles/cards.js';
import { bytesOf } from './helpers.js';

const usimText = readFileSync(path.join(CARD_FIXTURES_DIR, 'usim-seed001.yaml'), 'utf8');

function errorOf(text: string): CardProfileError {
  try {
    parseCardProfile(text, 'cards/x.yaml');
  } catch (err) {
    if (err instanceof CardProfileError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('card profiles (fixtures/cards)', () => {
  it('loads a UICC and a GSM-only SIM', () => {
    const all = loadCardFixtures();
    expect(all['usim-seed001']).toMatchObject({ commandClass: 'uicc', imsi: '001010123456789' });
    expect(all['gsm-sim-seed001']).toMatchObject({ commandClass: 'gsm', payment: { deviceId: '2234567' } });
    expect(all['usim-seed001']?.payment?.users[0]).toEqual({
      userId: '00001',
      password: 'ABCDEF',
      label: 'Card A ****4234',
    });
  });

  it('names the file, the path and what was expected', () => {
    const e = errorOf(usimText.replace("imsi: '001010123456789'", 'imsi: 1234'));
    expect(e.message).toMatch(/^cards\/x\.yaml:\d+: imsi: expected string/);
    const pin = errorOf(usimText.replace("pin1: '1234'", "pin1: '12a4'"));
    expect(pin.at).toBe('pin1');
    expect(pin.expected).toMatch(/a PIN of 4 to 8 digits/);
    const user = errorOf(usimText.replace("userId: '00001'", "userId: '00001-this-is-far-too-long'"));
    expect(user.at).toBe('payment.users.0.userId');
    expect(errorOf(usimText.replace('commandClass: uicc', 'commandClass: cdma')).expected).toBe(
      'one of "gsm", "uicc"',
    );
    expect(errorOf(usimText + 'colour: blue\n').expected).toBe('no key "colour" here');
    expect(errorOf('name: [').expected).toMatch(/well-formed YAML/);
    expect(
      errorOf(
        usimText.replace(
          '3B9F96801FC78031A073BE21136743200718000001A5',
          '3B9F96801FC78031A073BE21136743200718000001A6',
        ),
      ).expected,
    ).toMatch(/ATR/);
  });

  it('checks ATRs (ISO 7816-3 §8)', () => {
    expect(atrProblem(bytesOf('3B021450'))).toBeUndefined();
    expect(atrProblem(bytesOf('3B9F96801FC78031A073BE21136743200718000001A5'))).toBeUndefined();
    expect(atrProblem(bytesOf('3B0214'))).toMatch(/bytes/);
    expect(atrProblem(bytesOf('3B9F96801FC78031A073BE21136743200718000001A4'))).toMatch(/TCK/);
  });
});
