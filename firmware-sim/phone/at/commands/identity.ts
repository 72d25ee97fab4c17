/**
 * TS 27.007 §5 identification and §7.1 subscriber number: +CGMI +CGMM +CGMR +CGSN from the phone profile,
 * +CIMI from EF_IMSI and +CNUM from EF_MSISDN, read from the SIM through APDUs.
 */
import type { PhoneModem } from '../../modem.js';
import { encodeTeString } from '../../charset.js';
import { cme, ok } from '../command-table.js';
import { CmeError } from '../cme-error.js';
import { param } from '../parser.js';

/** Type of address octet (TS 24.008 §10.5.4.7): 145 international, 129 unknown/national. */
const typeOfAddress = (ton: number, npi: number): number => 0x80 | ((ton & 7) << 4) | (npi & 0x0f);

export function registerIdentityCommands(modem: PhoneModem): void {
  const p = modem.profile;
  const t = modem.table;
  const simple = (name: string, text: () => string) =>
    t.add({ name, exec: () => ok(text()), test: () => ok() });
  simple('+CGMI', () => p.manufacturer);
  simple('+CGMM', () => p.model);
  simple('+CGMR', () => p.revision);

  t.add({
    name: '+CGSN',
    exec: () => ok(p.imei),
    test: () => ok('+CGSN: (0-3)'),
    // <snt>: 0 serial number, 1 IMEI, 2 IMEISV, 3 SVN (TS 27.007 §5.4).
    set: (params) => {
      const snt = param.int(params[0]) ?? 0;
      if (params.length > 1) return cme(CmeError.INCORRECT_PARAMETERS);
      switch (snt) {
        case 0:
        case 1:
          return ok(`+CGSN: "${p.imei}"`);
        case 2:
          return ok(`+CGSN: "${p.imei.slice(0, 14)}${p.svn}"`);
        case 3:
          return ok(`+CGSN: "${p.svn}"`);
        default:
          return cme(CmeError.INCORRECT_PARAMETERS);
      }
    },
  });

  t.add({
    name: '+CIMI',
    exec: () => {
      const refused = modem.simUnavailable(true);
      if (refused) return refused;
      const r = modem.sim!.readImsi();
      return r.imsi ? ok(r.imsi) : cme(CmeError.SIM_FAILURE);
    },
    test: () => ok(),
  });

  t.add({
    name: '+CNUM',
    exec: () => {
      const refused = modem.simUnavailable(true);
      if (refused) return refused;
      const r = modem.sim!.readMsisdn();
      if (r.numbers.length === 0 && r.sw !== 0x9000) return cme(CmeError.SIM_FAILURE);
      return ok(
        ...r.numbers.map(
          (n) =>
            `+CNUM: "${encodeTeString(n.alpha, modem.charset)}","${n.number}",${typeOfAddress(n.ton, n.npi)}`,
        ),
      );
    },
    test: () => ok(),
  });
}
