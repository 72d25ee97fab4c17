/**
 * TS 27.007 control and network commands: +CMEE (§9.1), +CSCS (§5.5), +CFUN (§8.2), +CSQ (§8.5),
 * +CBC (§8.4), +CREG (§7.2), +CGREG (§10.1.20), +CEREG (§10.1.22), +CGATT (§10.1.9) and +COPS (§7.3), backed by the
 * simulated radio and battery.
 */
import type { PhoneModem } from '../../modem.js';
import { decodeTeString, encodeTeString, TE_CHARSETS } from '../../charset.js';
import type { TeCharset } from '../../charset.js';
import type { NetworkProfile } from '../../profile.js';
import { AccessTechnology } from '../../profile.js';
import { REGISTRATION_COMMANDS, RegistrationStatus } from '../../radio.js';
import { cme, ok } from '../command-table.js';
import type { AtResponse } from '../command-table.js';
import { CmeError } from '../cme-error.js';
import type { AtParam } from '../parser.js';
import { param } from '../parser.js';

const bad = (): AtResponse => cme(CmeError.INCORRECT_PARAMETERS);

/** An optional integer parameter in [min, max] (`fallback` when omitted); null when invalid. */
function intIn(
  p: AtParam | undefined,
  min: number,
  max: number,
  fallback?: number,
): number | undefined | null {
  const v = param.int(p);
  if (v === undefined) return fallback;
  if (v === null || v < min || v > max) return null;
  return v;
}

export function registerControlCommands(modem: PhoneModem): void {
  const t = modem.table;
  const s = modem.interpreter.settings;

  t.add({
    name: '+CMEE',
    read: () => ok(`+CMEE: ${s.cmee}`),
    test: () => ok('+CMEE: (0-2)'),
    set: (params) => {
      const n = intIn(params[0], 0, 2, 0);
      if (n === null || n === undefined || params.length > 1) return bad();
      s.cmee = n as 0 | 1 | 2;
      return ok();
    },
  });

  t.add({
    name: '+CSCS',
    read: () => ok(`+CSCS: "${modem.charset}"`),
    test: () => ok(`+CSCS: (${TE_CHARSETS.map((c) => `"${c}"`).join(',')})`),
    set: (params) => {
      const name = (param.str(params[0]) ?? 'IRA').toUpperCase();
      if (params.length > 1 || !(TE_CHARSETS as readonly string[]).includes(name)) return bad();
      modem.charset = name as TeCharset;
      return ok();
    },
  });

  t.add({
    name: '+CFUN',
    read: () => ok(`+CFUN: ${modem.functionality}`),
    test: () => ok('+CFUN: (0,1,4),(0-1)'),
    set: (params) => {
      const fun = param.int(params[0]);
      const rst = intIn(params[1], 0, 1, 0);
      if ((fun !== 0 && fun !== 1 && fun !== 4) || rst === null || params.length > 2) return bad();
      // A reset only makes sense toward full functionality (TS 27.007 §8.2).
      if (rst === 1 && fun !== 1) return bad();
      modem.setFunctionality(fun, rst === 1);
      return ok();
    },
  });

  t.add({
    name: '+CSQ',
    exec: () => {
      const { rssi, ber } = modem.radio.signal();
      return ok(`+CSQ: ${rssi},${ber}`);
    },
    test: () => ok('+CSQ: (0-31,99),(0-7,99)'),
  });

  t.add({
    name: '+CBC',
    exec: () => ok(`+CBC: ${modem.battery.status},${modem.battery.level}`),
    test: () => ok('+CBC: (0-3),(0-100)'),
  });

  for (const command of REGISTRATION_COMMANDS) {
    t.add({
      name: command,
      read: () => {
        const n = modem.registrationReports[command];
        return ok(`${command}: ${n},${modem.registrationText(command, n)}`);
      },
      test: () => ok(`${command}: (0-2)`),
      set: (params) => {
        const n = intIn(params[0], 0, 2, 0);
        if (n === null || n === undefined || params.length > 1) return bad();
        modem.registrationReports[command] = n as 0 | 1 | 2;
        return ok();
      },
    });
  }

  // +CGATT (§10.1.9): packet domain attach; the phone attaches by itself once registered.
  t.add({
    name: '+CGATT',
    read: () => ok(`+CGATT: ${modem.packetAttached ? 1 : 0}`),
    test: () => ok('+CGATT: (0,1)'),
    set: (params) => {
      const state = param.int(params[0]);
      if ((state !== 0 && state !== 1) || params.length > 1) return bad();
      modem.setPacketAttached(state === 1);
      return ok();
    },
  });

  const operName = (n: NetworkProfile, format: 0 | 1 | 2): string =>
    format === 2 ? n.numeric : encodeTeString(format === 0 ? n.long : n.short, modem.charset);

  t.add({
    name: '+COPS',
    read: () => {
      const r = modem.radio.registration;
      const mode = modem.radio.selectionMode;
      const registered = r.stat === RegistrationStatus.HOME || r.stat === RegistrationStatus.ROAMING;
      if (!registered || !r.network) return ok(`+COPS: ${mode}`);
      const f = modem.copsFormat;
      return ok(`+COPS: ${mode},${f},"${operName(r.network, f)}",${AccessTechnology[r.network.act]}`);
    },
    test: () => {
      if (!modem.radio.powered) return cme(CmeError.NO_NETWORK_SERVICE);
      const serving = modem.radio.registration.network;
      const list = modem.radio.networks.map((n) => {
        const stat = n.forbidden ? 3 : n === serving ? 2 : 1;
        return `(${stat},"${operName(n, 0)}","${operName(n, 1)}","${n.numeric}",${AccessTechnology[n.act]})`;
      });
      return ok(`+COPS: ${list.join(',')},,(0-4),(0-2)`);
    },
    set: (params) => {
      const mode = intIn(params[0], 0, 4);
      const format = intIn(params[1], 0, 2);
      if (mode === null || mode === undefined || format === null || params.length > 4) return bad();
      const act = intIn(params[3], 0, 7);
      if (act === null) return bad();
      if (format !== undefined) modem.copsFormat = format as 0 | 1 | 2;
      switch (mode) {
        case 0:
          modem.radio.selectAutomatic();
          return ok();
        case 2:
          modem.radio.deregister();
          return ok();
        case 3:
          return format === undefined ? bad() : ok();
      }
      // 1 manual, 4 manual with fallback to automatic: <format> and <oper> are needed.
      const raw = param.str(params[2]);
      if (format === undefined || raw === undefined) return bad();
      const f = format as 0 | 1 | 2;
      const name = f === 2 ? raw : decodeTeString(raw, modem.charset);
      if (name === undefined) return cme(CmeError.INVALID_CHARACTERS_IN_TEXT_STRING);
      const n = modem.radio.networks.find(
        (x) =>
          (f === 2 ? x.numeric : f === 0 ? x.long : x.short) === name &&
          (act === undefined || AccessTechnology[x.act] === act),
      );
      if (!n || n.forbidden) {
        if (mode === 4) {
          modem.radio.selectAutomatic();
          return ok();
        }
        if (!n) return cme(CmeError.NO_NETWORK_SERVICE);
        // The network is tried and refuses the registration (+CREG stat 3); nothing else is selected.
        modem.radio.selectManual(n);
        return cme(CmeError.NETWORK_NOT_ALLOWED_EMERGENCY_ONLY);
      }
      modem.radio.selectManual(n);
      return ok();
    },
  });
}
