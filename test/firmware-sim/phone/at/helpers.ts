/** Shared helpers of the AT tests: a phone from the fixtures with its card, and byte-exact exchanges. */
import path from 'node:path';
import { loadPhoneProfile, PHONE_FIXTURES_DIR } from '../../../../devices/profiles/phones.js';
import type { Clock } from '../../../../firmware-sim/clock.js';
import type { AtFinal } from '../../../../firmware-sim/phone/at/command-table.js';
import { PhoneModem } from '../../../../firmware-sim/phone/modem.js';
import type { PhoneProfile } from '../../../../firmware-sim/phone/profile.js';
import type { UimCard } from '../../../../firmware-sim/uim/card-os.js';
import { card } from '../../uim/helpers.js';

export function phoneProfile(name: string): PhoneProfile {
  return loadPhoneProfile(path.join(PHONE_FIXTURES_DIR, `${name}.yaml`));
}

export interface TestPhone {
  modem: PhoneModem;
  card: UimCard | undefined;
  finals: AtFinal[];
  /** Sends `input` (a string of byte values) and returns every byte the phone answered with. */
  send(input: string | Uint8Array): string;
  /** Output produced since the last `send` (unsolicited result codes from timers). */
  drain(): string;
}

export interface PhoneOptions {
  /** Card fixture name; null = no card; default: the profile's. */
  card?: string | null;
  clock?: Clock;
  /** Start with echo off (most transcripts test answers, not echo). */
  echo?: boolean;
  /** Registration delay override (default 0: registration is immediate without a clock). */
  registrationDelayMs?: number;
}

export function phone(profileName = 'seed001', options: PhoneOptions = {}): TestPhone {
  const profile = phoneProfile(profileName);
  profile.radio.registrationDelayMs = options.registrationDelayMs ?? 0;
  const cardName = options.card === undefined ? profile.card : (options.card ?? undefined);
  const c = cardName ? card(cardName) : undefined;
  let out = '';
  const finals: AtFinal[] = [];
  const modem = new PhoneModem({
    profile,
    ...(c ? { card: c } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    output: (b) => (out += Buffer.from(b).toString('latin1')),
    onFinal: (f) => finals.push(f),
  });
  if (options.echo === false) modem.interpreter.settings.echo = false;
  const drain = (): string => {
    const o = out;
    out = '';
    return o;
  };
  return {
    modem,
    card: c,
    finals,
    drain,
    send(input) {
      drain();
      modem.receive(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
      return drain();
    },
  };
}

/** "\r\n<line>\r\n" for each information block, then the final result (V1). */
export const v1 = (...lines: string[]): string => lines.map((l) => `\r\n${l}\r\n`).join('');
