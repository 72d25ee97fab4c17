/**
 * V.250 commands beyond what the interpreter owns (E, V, Q, Z, &F, S-registers): identification (I,
 * +GMI, +GMM, +GMR, +GSN, +GCAP, and +CLAC of TS 27.007 §8.37), the settings clients send while probing (X, &C, &D, L, M, +IPR) and
 * dialling, which this phone answers with NO CARRIER (it carries no calls).
 */
import type { PhoneModem } from '../../modem.js';
import type { AtResponse } from '../command-table.js';
import { cme, error, ok, respond } from '../command-table.js';
import { CmeError } from '../cme-error.js';
import { param } from '../parser.js';

/** A basic command that only accepts values in [0, max] (the setting has no effect on an emulated line). */
function setting(modem: PhoneModem, name: string, max: number): void {
  modem.table.addBasic({ name, run: (v) => ((v ?? 0) <= max ? ok() : error()) });
}

/** Rates +IPR accepts (V.250 §6.2.10); the emulated line follows whatever the port is opened with. */
const RATES = [0, 300, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];

/** An identification command: the text on exec, OK on test. */
function ident(modem: PhoneModem, name: string, text: () => string): void {
  modem.table.add({ name, exec: () => ok(text()), test: () => ok() });
}

export function registerV250Commands(modem: PhoneModem): void {
  const p = modem.profile;
  const t = modem.table;
  t.addBasic({
    name: 'I',
    run: (v): AtResponse => {
      if (v === undefined || v === 0) return ok(p.manufacturer, p.model, `Revision: ${p.revision}`);
      if (v === 1) return ok(p.revision);
      if (v === 3) return ok(p.model);
      return error();
    },
  });
  setting(modem, 'X', 4);
  setting(modem, '&C', 1);
  setting(modem, '&D', 2);
  setting(modem, 'L', 3);
  setting(modem, 'M', 2);
  t.addBasic({ name: 'H', run: (v) => ((v ?? 0) === 0 ? ok() : error()) });
  t.dial = () => respond([], { kind: 'code', code: 'NO CARRIER' });

  ident(modem, '+GMI', () => p.manufacturer);
  ident(modem, '+GMM', () => p.model);
  ident(modem, '+GMR', () => p.revision);
  ident(modem, '+GSN', () => p.imei);
  // +CGSM: the GSM command set of TS 27.007 (§5.1 lists it as the +GCAP answer of a GSM MT).
  t.add({ name: '+GCAP', exec: () => ok('+GCAP: +CGSM'), test: () => ok() });

  // +CLAC (TS 27.007 §8.37): every command the phone answers, one "AT…" per line.
  t.add({
    name: '+CLAC',
    exec: () => {
      const basic = ['E', 'V', 'Q', 'Z', '&F', 'S', 'D', ...t.basic.keys()];
      return ok(...[...basic, ...t.extended.keys()].map((n) => `AT${n}`).sort());
    },
    test: () => ok(),
  });

  let rate = 115200;
  t.add({
    name: '+IPR',
    read: () => ok(`+IPR: ${rate}`),
    test: () => ok(`+IPR: (),(${RATES.filter((r) => r > 0).join(',')})`),
    set: (params) => {
      const r = param.int(params[0]) ?? 0;
      if (r === null || !RATES.includes(r) || params.length > 1) return cme(CmeError.INCORRECT_PARAMETERS);
      rate = r;
      return ok();
    },
  });
}
