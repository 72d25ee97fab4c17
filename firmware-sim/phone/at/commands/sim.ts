/**
 * TS 27.007 SIM commands: +CPIN (§8.3), +CPINR (§8.65), +CLCK "SC" (§7.4), +CPWD "SC"/"P2" (§7.5),
 * +CSIM (§8.17, APDUs passed through unchanged) and +CRSM (§8.18, the phone selects the file itself).
 * Card status words map to +CME ERROR codes: a wrong code 16, a blocked PIN 12 (PIN2: 18), a code in the
 * wrong state 3, anything else from the card 13.
 */
import type { PhoneModem } from '../../modem.js';
import { isBlocked, isOk, isWrongCode } from '../../uim-access.js';
import type { CardReply, UimAccess } from '../../uim-access.js';
import { cme, ok } from '../command-table.js';
import type { AtResponse } from '../command-table.js';
import { CmeError } from '../cme-error.js';
import { param } from '../parser.js';

const bad = (): AtResponse => cme(CmeError.INCORRECT_PARAMETERS);
const isPin = (s: string | undefined): s is string => s !== undefined && /^\d{4,8}$/.test(s);
const isPuk = (s: string | undefined): s is string => s !== undefined && /^\d{8}$/.test(s);

/** The answer to a secret-code APDU. `blocked` is the error once the code itself is blocked. */
function codeResult(sw: number, blocked: number): AtResponse {
  if (isOk(sw)) return ok();
  if (isBlocked(sw)) return cme(blocked);
  if (isWrongCode(sw)) return cme(CmeError.INCORRECT_PASSWORD);
  // 6984 / 6985 / 9808: the code is disabled, or already in the asked state.
  if (sw === 0x6984 || sw === 0x6985 || sw === 0x9808) return cme(CmeError.OPERATION_NOT_ALLOWED);
  return cme(CmeError.SIM_FAILURE);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const fromHex = (s: string): Uint8Array | undefined =>
  /^(?:[0-9A-Fa-f]{2})*$/.test(s) ? Uint8Array.from(Buffer.from(s, 'hex')) : undefined;

/** +CRSM <command> values (TS 27.007 §8.18) and their instruction bytes. */
const CrsmCommand = {
  READ_BINARY: 176,
  READ_RECORD: 178,
  GET_RESPONSE: 192,
  UPDATE_BINARY: 214,
  UPDATE_RECORD: 220,
  STATUS: 242,
} as const;

/** Sends a case-2 command, taking the exact length a card names with 6Cxx (the ME's job for +CRSM). */
function withLe(sim: UimAccess, ins: number, p1: number, p2: number, le: number, cla?: number): CardReply {
  const r = sim.apdu(ins, p1, p2, undefined, le, cla);
  if (r.sw >> 8 === 0x6c) return sim.apdu(ins, p1, p2, undefined, r.sw & 0xff, cla);
  return r;
}

function crsmAnswer(r: CardReply): AtResponse {
  const data = r.data.length > 0 ? `,"${hex(r.data)}"` : '';
  return ok(`+CRSM: ${r.sw >> 8},${r.sw & 0xff}${data}`);
}

export function registerSimCommands(modem: PhoneModem): void {
  const t = modem.table;

  t.add({
    name: '+CPIN',
    read: () => {
      const refused = modem.simUnavailable(false);
      if (refused) return refused;
      const state = modem.pinState();
      if (state === 'READY' || state === 'SIM PIN' || state === 'SIM PUK') return ok(`+CPIN: ${state}`);
      return cme(CmeError.SIM_FAILURE);
    },
    test: () => ok(),
    set: (params) => {
      const refused = modem.simUnavailable(false);
      if (refused) return refused;
      const pin = param.str(params[0]);
      const newPin = param.str(params[1]);
      if (params.length > 2 || !isPin(pin)) return bad();
      const sim = modem.sim!;
      let result: AtResponse;
      switch (modem.pinState()) {
        case 'READY':
          return cme(CmeError.OPERATION_NOT_ALLOWED);
        case 'SIM PIN':
          result = codeResult(sim.verify('PIN1', pin), CmeError.SIM_PUK_REQUIRED);
          break;
        case 'SIM PUK':
          if (!isPuk(pin) || !isPin(newPin)) return bad();
          result = codeResult(sim.unblock('PIN1', pin, newPin), CmeError.SIM_FAILURE);
          break;
        default:
          return cme(CmeError.SIM_FAILURE);
      }
      modem.refreshSim();
      return result;
    },
  });

  t.add({
    name: '+CPINR',
    exec: () => cpinr(modem, undefined),
    set: (params) => cpinr(modem, param.str(params[0])),
    test: () => ok(),
  });

  t.add({
    name: '+CLCK',
    test: () => ok('+CLCK: ("SC")'),
    set: (params) => {
      const fac = param.str(params[0])?.toUpperCase();
      const mode = param.int(params[1]);
      const passwd = param.str(params[2]);
      if (fac === undefined || (mode !== 0 && mode !== 1 && mode !== 2) || params.length > 4) return bad();
      if (fac !== 'SC') return cme(CmeError.OPERATION_NOT_SUPPORTED);
      const refused = modem.simUnavailable(false);
      if (refused) return refused;
      const sim = modem.sim!;
      const state = modem.pinState();
      if (state === 'SIM PUK') return cme(CmeError.SIM_PUK_REQUIRED);
      if (state !== 'READY' && state !== 'SIM PIN') return cme(CmeError.SIM_FAILURE);
      if (mode === 2) {
        const enabled = sim.pin1Enabled();
        return enabled === undefined ? cme(CmeError.SIM_FAILURE) : ok(`+CLCK: ${enabled ? 1 : 0}`);
      }
      if (!isPin(passwd)) return bad();
      const result = codeResult(sim.setPin1Enabled(mode === 1, passwd), CmeError.SIM_PUK_REQUIRED);
      modem.refreshSim();
      return result;
    },
  });

  t.add({
    name: '+CPWD',
    test: () => ok('+CPWD: ("SC",8),("P2",8)'),
    set: (params) => {
      const fac = param.str(params[0])?.toUpperCase();
      const oldPin = param.str(params[1]);
      const newPin = param.str(params[2]);
      if (fac === undefined || params.length > 3) return bad();
      if (fac !== 'SC' && fac !== 'P2') return cme(CmeError.OPERATION_NOT_SUPPORTED);
      if (!isPin(oldPin) || !isPin(newPin)) return bad();
      const refused = modem.simUnavailable(false);
      if (refused) return refused;
      const state = modem.pinState();
      if (state === 'SIM PUK') return cme(CmeError.SIM_PUK_REQUIRED);
      if (state !== 'READY' && state !== 'SIM PIN') return cme(CmeError.SIM_FAILURE);
      const code = fac === 'SC' ? 'PIN1' : 'PIN2';
      const result = codeResult(
        modem.sim!.change(code, oldPin, newPin),
        code === 'PIN1' ? CmeError.SIM_PUK_REQUIRED : CmeError.SIM_PUK2_REQUIRED,
      );
      modem.refreshSim();
      return result;
    },
  });

  t.add({
    name: '+CSIM',
    test: () => ok(),
    set: (params) => {
      const length = param.int(params[0]);
      const command = param.str(params[1]);
      if (typeof length !== 'number' || command === undefined || params.length > 2) return bad();
      const apdu = fromHex(command);
      // <length> counts the characters of <command>: two per byte; an APDU has at least its 4-byte header.
      if (!apdu || length !== command.length || apdu.length < 4) return bad();
      const refused = modem.simUnavailable(false);
      if (refused) return refused;
      const response = modem.sim!.transmit(apdu);
      // A secret code presented over +CSIM may unlock the SIM: let the handset notice.
      if ([0x20, 0x24, 0x26, 0x28, 0x2c].includes(apdu[1]!) && apdu.length > 5) modem.refreshSim();
      return ok(`+CSIM: ${response.length * 2},"${hex(response)}"`);
    },
  });

  t.add({
    name: '+CRSM',
    test: () => ok(),
    set: (params) => {
      const command = param.int(params[0]);
      const fileId = param.int(params[1]);
      const p1 = param.int(params[2]);
      const p2 = param.int(params[3]);
      const p3 = param.int(params[4]);
      const dataText = param.str(params[5]);
      const pathText = param.str(params[6]);
      if (typeof command !== 'number' || params.length > 7) return bad();
      if (fileId === null || p1 === null || p2 === null || p3 === null) return bad();
      if ([p1, p2, p3].some((v) => v !== undefined && v > 255) || (fileId ?? 0) > 0xffff) return bad();
      const data = dataText === undefined ? undefined : fromHex(dataText);
      if (dataText !== undefined && !data) return bad();
      let path: number[] | undefined;
      if (pathText !== undefined && pathText !== '') {
        if (!/^(?:[0-9A-Fa-f]{4})+$/.test(pathText)) return bad();
        path = pathText.match(/.{4}/g)!.map((h) => parseInt(h, 16));
      }
      const refused = modem.simUnavailable(false);
      if (refused) return refused;
      const sim = modem.sim!;
      const gsm = sim.dialect === 'gsm';

      if (command === CrsmCommand.STATUS) {
        return crsmAnswer(gsm ? withLe(sim, 0xf2, 0, 0, p3 ?? 22) : withLe(sim, 0xf2, 0, 0, p3 ?? 0, 0x80));
      }
      if (fileId === undefined) return bad();
      const select = (withResponse: boolean): CardReply =>
        path ? sim.selectPath([...path, fileId], withResponse) : sim.selectFile(fileId, withResponse);

      if (command === CrsmCommand.GET_RESPONSE) {
        const r = select(true);
        if (!isOk(r.sw)) return crsmAnswer(r);
        return crsmAnswer(p3 ? { data: r.data.slice(0, p3), sw: r.sw } : r);
      }
      const needsParams = p1 === undefined || p2 === undefined || p3 === undefined;
      switch (command) {
        case CrsmCommand.READ_BINARY:
        case CrsmCommand.READ_RECORD: {
          if (needsParams) return bad();
          const s = select(false);
          if (!isOk(s.sw)) return crsmAnswer(s);
          return crsmAnswer(withLe(sim, command === CrsmCommand.READ_BINARY ? 0xb0 : 0xb2, p1, p2, p3));
        }
        case CrsmCommand.UPDATE_BINARY:
        case CrsmCommand.UPDATE_RECORD: {
          if (needsParams || !data || data.length === 0 || data.length !== p3) return bad();
          const s = select(false);
          if (!isOk(s.sw)) return crsmAnswer(s);
          return crsmAnswer(sim.apdu(command === CrsmCommand.UPDATE_BINARY ? 0xd6 : 0xdc, p1, p2, data));
        }
        default:
          return bad();
      }
    },
  });
}

/** +CPINR: remaining attempts of the SIM's codes, `+CPINR: <code>,<retries>,<default_retries>`. */
function cpinr(modem: PhoneModem, selection: string | undefined): AtResponse {
  const refused = modem.simUnavailable(false);
  if (refused) return refused;
  const r = modem.sim!.retries();
  const rows: [string, number | undefined, number][] = [
    ['SIM PIN', r.pin1, 3],
    ['SIM PUK', r.puk1, 10],
    ['SIM PIN2', r.pin2, 3],
    ['SIM PUK2', r.puk2, 10],
  ];
  // <sel_code> may end with "*" as a wildcard (TS 27.007 §8.65).
  const match = (code: string): boolean => {
    if (selection === undefined) return true;
    const sel = selection.toUpperCase();
    return sel.endsWith('*') ? code.startsWith(sel.slice(0, -1)) : code === sel;
  };
  const lines = rows
    .filter(([code, left]) => left !== undefined && match(code))
    .map(([code, left, max]) => `+CPINR: ${code},${left},${max}`);
  return ok(...lines);
}
