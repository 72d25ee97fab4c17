/**
 * TS 27.005 §3–4 SMS commands in PDU and text mode: +CSMS +CPMS +CMGF +CSCA +CSMP +CSDH +CNMI +CNMA
 * +CMGS +CMGW +CMSS +CMGL +CMGR +CMGD. Errors are `+CMS ERROR: <n>` (§3.2.5): 304/305 for a bad
 * parameter in PDU/text mode, 321 for an empty or unknown index, 322 for a full memory, 31x for the SIM.
 */
import type { PhoneModem } from '../../modem.js';
import { encodeScAddress } from '../../sms/address.js';
import { toHex } from '../../sms/errors.js';
import { decodeAtPdu } from '../../sms/pdu-mode.js';
import { encodeTpdu, type Tpdu } from '../../sms/tpdu.js';
import { CmsError } from '../../sms-service.js';
import type { SmsService } from '../../sms-service.js';
import {
  SMS_MEMORIES,
  STAT_NAMES,
  type SmsMemoryName,
  type SmsStat,
  type StoredSms,
} from '../../sms-storage.js';
import { cms, deferred, ok } from '../command-table.js';
import type { AtResponse } from '../command-table.js';
import { CmeError } from '../cme-error.js';
import type { AtParam } from '../parser.js';
import { param } from '../parser.js';
import {
  addressFromText,
  statText,
  submitFromText,
  textModeView,
  toa,
  userDataFromText,
} from './sms-text.js';
import { decodeTeString, encodeTeString } from '../../charset.js';

/** Octets of the longest TPDU a TE can send: SMS-SUBMIT with a 12-octet TP-DA and an enhanced TP-VP. */
const MAX_TPDU_LENGTH = 164;

/** The SIM error of `simUnavailable` as its +CMS ERROR (TS 27.005 §3.2.5). */
export function cmsForSim(r: AtResponse | undefined): number | undefined {
  if (!r) return undefined;
  const code = r.final.kind === 'cme' ? r.final.code : CmeError.SIM_FAILURE;
  switch (code) {
    case CmeError.SIM_NOT_INSERTED:
      return 310;
    case CmeError.SIM_PIN_REQUIRED:
      return 311;
    case CmeError.SIM_PUK_REQUIRED:
      return 316;
    case CmeError.OPERATION_NOT_ALLOWED:
      return CmsError.OPERATION_NOT_ALLOWED;
    default:
      return 313;
  }
}

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const pduLine = (s: StoredSms): string => toHex(s.scField) + toHex(s.tpdu);

/** The answer of a send: at once (an error) or when the network answers. */
const settle = (r: AtResponse | Promise<AtResponse>): AtResponse => (r instanceof Promise ? deferred(r) : r);

export function registerSmsCommands(modem: PhoneModem): void {
  const t = modem.table;
  const sms: SmsService = modem.sms;
  const bad = (): AtResponse =>
    cms(sms.textMode ? CmsError.INVALID_TEXT_MODE_PARAMETER : CmsError.INVALID_PDU_MODE_PARAMETER);
  const simError = (): AtResponse | undefined => {
    const c = cmsForSim(modem.simUnavailable(true));
    return c === undefined ? undefined : cms(c);
  };
  /** An integer parameter in [min, max]; `fallback` when omitted; null when bad. */
  const intIn = (p: AtParam | undefined, min: number, max: number, fallback?: number): number | null => {
    const v = param.int(p);
    if (v === undefined) return fallback ?? null;
    if (v === null || v < min || v > max) return null;
    return v;
  };

  sms.formatRouted = (s) => {
    const d = s.decoded;
    if (!sms.textMode) {
      const tag = d?.type === 'SMS-STATUS-REPORT' ? `+CDS: ${s.tpdu.length}` : `+CMT: ,${s.tpdu.length}`;
      return [tag, pduLine(s)];
    }
    const v = textModeView(s, 'cmt', modem.charset, sms.showTextParameters);
    if (d?.type === 'SMS-STATUS-REPORT') return [`+CDS: ${v.params}`];
    return [`+CMT: ${v.params}`, v.data ?? ''];
  };

  // ----- settings ------------------------------------------------------------------------------------

  t.add({
    name: '+CSMS',
    // <mt>,<mo>,<bm>: no cell broadcast on this phone.
    read: () => ok(`+CSMS: ${sms.service},1,1,0`),
    test: () => ok('+CSMS: (0,1)'),
    set: (params) => {
      const s = intIn(params[0], 0, 1);
      if (s === null || params.length > 1) return bad();
      sms.service = s;
      return ok('+CSMS: 1,1,0');
    },
  });

  const usageText = (name: SmsMemoryName, withName: boolean): AtResponse | string => {
    const u = sms.usage(sms.memories[name]);
    if (!u.ok) return cms(u.cms);
    return withName ? `"${name}",${u.used},${u.total}` : `${u.used},${u.total}`;
  };
  const cpmsAnswer = (withName: boolean): AtResponse => {
    const parts: string[] = [];
    for (const name of sms.preferred) {
      const u = usageText(name, withName);
      if (typeof u !== 'string') return u;
      parts.push(u);
    }
    return ok(`+CPMS: ${parts.join(',')}`);
  };
  t.add({
    name: '+CPMS',
    read: () => cpmsAnswer(true),
    test: () => {
      const list = `(${SMS_MEMORIES.map((m) => `"${m}"`).join(',')})`;
      return ok(`+CPMS: ${list},${list},${list}`);
    },
    set: (params) => {
      if (params.length < 1 || params.length > 3) return bad();
      const chosen: SmsMemoryName[] = [];
      for (const p of params) {
        const name = param.str(p)?.toUpperCase();
        if (name === undefined && chosen.length > 0) {
          chosen.push(sms.preferred[chosen.length]!);
          continue;
        }
        if (name === undefined) return bad();
        if (!SMS_MEMORIES.includes(name as SmsMemoryName)) return cms(CmsError.OPERATION_NOT_SUPPORTED);
        chosen.push(name as SmsMemoryName);
      }
      // Check that every memory asked for can be used before switching to any of them.
      for (const name of chosen) {
        const u = sms.usage(sms.memories[name]);
        if (!u.ok) return cms(u.cms);
      }
      chosen.forEach((name, i) => (sms.preferred[i] = name));
      return cpmsAnswer(false);
    },
  });

  t.add({
    name: '+CMGF',
    read: () => ok(`+CMGF: ${sms.textMode ? 1 : 0}`),
    test: () => ok('+CMGF: (0,1)'),
    set: (params) => {
      const m = intIn(params[0], 0, 1, 0);
      if (m === null || params.length > 1) return bad();
      sms.textMode = m === 1;
      return ok();
    },
  });

  t.add({
    name: '+CSDH',
    read: () => ok(`+CSDH: ${sms.showTextParameters ? 1 : 0}`),
    test: () => ok('+CSDH: (0,1)'),
    set: (params) => {
      const m = intIn(params[0], 0, 1, 0);
      if (m === null || params.length > 1) return bad();
      sms.showTextParameters = m === 1;
      return ok();
    },
  });

  t.add({
    name: '+CSCA',
    read: () => {
      const a = sms.serviceCentre();
      if (!a) return ok('+CSCA: "",129');
      const text = (a.ton === 1 ? '+' : '') + a.value;
      return ok(`+CSCA: "${encodeTeString(text, modem.charset)}",${toa(a)}`);
    },
    test: () => ok(),
    set: (params) => {
      if (params.length > 2) return bad();
      const text = param.str(params[0]);
      const type = param.int(params[1]);
      if (type === null) return bad();
      if (text === undefined || decodeTeString(text, modem.charset) === '') {
        sms.setServiceCentre(undefined);
        return ok();
      }
      const a = addressFromText(text, type, modem.charset);
      if (!a) return bad();
      try {
        encodeScAddress(a);
      } catch {
        return bad();
      }
      sms.setServiceCentre(a);
      return ok();
    },
  });

  t.add({
    name: '+CSMP',
    read: () => ok(`+CSMP: ${sms.csmp.fo},${sms.csmp.vp},${sms.csmp.pid},${sms.csmp.dcs}`),
    test: () => ok(),
    set: (params) => {
      if (params.length > 4) return bad();
      const keys = ['fo', 'vp', 'pid', 'dcs'] as const;
      const next = { ...sms.csmp };
      for (let i = 0; i < params.length; i++) {
        const v = intIn(params[i], 0, 255, sms.csmp[keys[i]!]);
        if (v === null) return bad();
        next[keys[i]!] = v;
      }
      // Text mode sends SMS-SUBMITs: TP-MTI 01, and a TP-VPF this phone encodes (none or relative).
      if ((next.fo & 0x03) !== 0x01 || ((next.fo >> 3) & 3) === 1) return bad();
      sms.csmp = next;
      return ok();
    },
  });

  t.add({
    name: '+CNMI',
    read: () => {
      const c = sms.cnmi;
      return ok(`+CNMI: ${c.mode},${c.mt},${c.bm},${c.ds},${c.bfr}`);
    },
    test: () => ok('+CNMI: (0-2),(0-3),(0),(0-2),(0,1)'),
    set: (params) => {
      if (params.length > 5) return bad();
      const c = sms.cnmi;
      const mode = intIn(params[0], 0, 2, c.mode);
      const mt = intIn(params[1], 0, 3, c.mt);
      const bm = intIn(params[2], 0, 0, c.bm);
      const ds = intIn(params[3], 0, 2, c.ds);
      const bfr = intIn(params[4], 0, 1, c.bfr);
      if (mode === null || mt === null || bm === null || ds === null || bfr === null) return bad();
      sms.cnmi = { mode, mt, bm, ds, bfr };
      sms.indicationsEnabled();
      return ok();
    },
  });

  // Phase 2+ acknowledgement of a routed +CMT / +CDS: the phone acknowledged the network already.
  t.add({
    name: '+CNMA',
    exec: () => ok(),
    test: () => (sms.textMode ? ok() : ok('+CNMA: (0-2)')),
    set: (params) => (intIn(params[0], 0, 2, 0) === null ? bad() : ok()),
  });

  // ----- sending and writing ---------------------------------------------------------------------------

  /** The SC address field of a PDU the TE wrote (its first octet counts the rest). */
  const scFieldOf = (hex: string): Uint8Array => {
    const n = parseInt(hex.slice(0, 2), 16);
    return Uint8Array.from(Buffer.from(hex.slice(0, 2 + 2 * n), 'hex'));
  };

  /** Reads the hex of a PDU-mode prompt: whitespace and line ends around it are tolerated. */
  const pduFromPrompt = (
    data: Uint8Array,
    overflow: boolean,
    length: number,
    direction: 'ms-to-sc' | 'sc-to-ms',
  ): { ok: true; hex: string; tpdu: Uint8Array; decoded: Tpdu } | { ok: false; r: AtResponse } => {
    const hex = latin1(data).replace(/\s+/g, '');
    if (overflow) return { ok: false, r: cms(CmsError.INVALID_PDU_MODE_PARAMETER) };
    const d = decodeAtPdu(hex, direction, length);
    if (!d.ok) return { ok: false, r: cms(d.error.cms) };
    return { ok: true, hex, tpdu: d.value.tpduOctets, decoded: d.value.tpdu };
  };

  t.add({
    name: '+CMGS',
    test: () => ok(),
    set: (params) => {
      const sim = simError();
      if (sim) return sim;
      if (!sms.textMode) {
        const length = intIn(params[0], 1, MAX_TPDU_LENGTH);
        if (length === null || params.length > 1) return bad();
        return {
          lines: [],
          final: {
            kind: 'prompt',
            handler: {
              maxLength: 2 * (12 + MAX_TPDU_LENGTH) + 16,
              submit: (data, overflow) => {
                const p = pduFromPrompt(data, overflow, length, 'ms-to-sc');
                if (!p.ok) return p.r;
                if (p.decoded.type !== 'SMS-SUBMIT') return cms(CmsError.INVALID_PDU_MODE_PARAMETER);
                if (p.hex.startsWith('00') && !sms.serviceCentre()) return cms(CmsError.SMSC_ADDRESS_UNKNOWN);
                return settle(sms.send(p.tpdu, '+CMGS'));
              },
            },
          },
        };
      }
      const da = addressFromText(param.str(params[0]), param.int(params[1]) ?? undefined, modem.charset);
      if (!da || params.length > 2 || param.int(params[1]) === null) return bad();
      return {
        lines: [],
        final: {
          kind: 'prompt',
          handler: {
            continuation: true,
            submit: (data, overflow) => {
              if (overflow) return cms(CmsError.INVALID_TEXT_MODE_PARAMETER);
              const ud = userDataFromText(latin1(data), sms.csmp.dcs, modem.charset);
              if (!ud) return cms(CmsError.INVALID_TEXT_MODE_PARAMETER);
              if (!sms.serviceCentre()) return cms(CmsError.SMSC_ADDRESS_UNKNOWN);
              let tpdu: Uint8Array;
              try {
                tpdu = encodeTpdu(submitFromText(da, ud, sms.csmp));
              } catch {
                return cms(CmsError.INVALID_TEXT_MODE_PARAMETER);
              }
              return settle(sms.send(tpdu, '+CMGS'));
            },
          },
        },
      };
    },
  });

  const written = (r: ReturnType<SmsService['store']>): AtResponse =>
    r.ok ? ok(`+CMGW: ${r.index}`) : cms(r.cms);

  t.add({
    name: '+CMGW',
    test: () => ok(),
    exec: () => (sms.textMode ? writeText([]) : bad()),
    set: (params) => (sms.textMode ? writeText(params) : writePdu(params)),
  });

  function writePdu(params: AtParam[]): AtResponse {
    const sim = simError();
    if (sim && sms.preferred[1] === 'SM') return sim;
    const length = intIn(params[0], 1, MAX_TPDU_LENGTH);
    const stat = intIn(params[1], 0, 3, 2);
    if (length === null || stat === null || params.length > 2) return bad();
    const received = stat <= 1;
    return {
      lines: [],
      final: {
        kind: 'prompt',
        handler: {
          maxLength: 2 * (12 + MAX_TPDU_LENGTH) + 16,
          submit: (data, overflow) => {
            const p = pduFromPrompt(data, overflow, length, received ? 'sc-to-ms' : 'ms-to-sc');
            if (!p.ok) return p.r;
            const fits = received
              ? p.decoded.type === 'SMS-DELIVER' || p.decoded.type === 'SMS-STATUS-REPORT'
              : p.decoded.type === 'SMS-SUBMIT' || p.decoded.type === 'SMS-COMMAND';
            if (!fits) return cms(CmsError.INVALID_PDU_MODE_PARAMETER);
            return written(sms.store(sms.memory(1), stat as SmsStat, scFieldOf(p.hex), p.tpdu));
          },
        },
      },
    };
  }

  function writeText(params: AtParam[]): AtResponse {
    const sim = simError();
    if (sim && sms.preferred[1] === 'SM') return sim;
    if (params.length > 3) return bad();
    const daText = param.str(params[0]);
    const type = param.int(params[1]);
    const statName = param.str(params[2]) ?? 'STO UNSENT';
    const stat = STAT_NAMES.indexOf(statName.toUpperCase() as (typeof STAT_NAMES)[number]);
    // Text mode writes what it can build: an SMS-SUBMIT (received messages come from the network).
    if (type === null || (stat !== 2 && stat !== 3)) return bad();
    const da =
      daText === undefined ? { ton: 0, npi: 1, value: '' } : addressFromText(daText, type, modem.charset);
    if (!da) return bad();
    return {
      lines: [],
      final: {
        kind: 'prompt',
        handler: {
          continuation: true,
          submit: (data, overflow) => {
            if (overflow) return cms(CmsError.INVALID_TEXT_MODE_PARAMETER);
            const ud = userDataFromText(latin1(data), sms.csmp.dcs, modem.charset);
            if (!ud) return cms(CmsError.INVALID_TEXT_MODE_PARAMETER);
            let tpdu: Uint8Array;
            try {
              tpdu = encodeTpdu(submitFromText(da, ud, sms.csmp));
            } catch {
              return cms(CmsError.INVALID_TEXT_MODE_PARAMETER);
            }
            return written(sms.store(sms.memory(1), stat as SmsStat, sms.scField(), tpdu));
          },
        },
      },
    };
  }

  t.add({
    name: '+CMSS',
    test: () => ok(),
    set: (params) => {
      const index = param.int(params[0]);
      const daText = param.str(params[1]);
      const type = param.int(params[2]);
      if (index === undefined || index === null || type === null || params.length > 3) return bad();
      const mem = sms.memory(1);
      const r = sms.read(mem, index);
      if (!r.ok) return cms(r.cms);
      const s = r.value;
      if (s.stat < 2 || s.decoded?.type !== 'SMS-SUBMIT') return cms(CmsError.OPERATION_NOT_ALLOWED);
      let tpdu = s.tpdu;
      if (daText !== undefined) {
        const da = addressFromText(daText, type, modem.charset);
        if (!da) return bad();
        try {
          tpdu = encodeTpdu({ ...s.decoded, destination: da });
        } catch {
          return bad();
        }
      }
      if (s.scField[0] === 0 && !sms.serviceCentre()) return cms(CmsError.SMSC_ADDRESS_UNKNOWN);
      return settle(sms.send(tpdu, '+CMSS', () => sms.setStat(mem, index, s, 3)));
    },
  });

  // ----- reading, listing, deleting ----------------------------------------------------------------------

  /** <stat> of +CMGL: 0–4 in PDU mode, "REC UNREAD" … "ALL" in text mode; default REC UNREAD. */
  const listStat = (p: AtParam | undefined): number | null => {
    if (p === undefined || p.kind === 'omitted') return 0;
    if (!sms.textMode) return intIn(p, 0, 4);
    const s = param.str(p);
    const i =
      p.kind === 'number' ? -1 : STAT_NAMES.indexOf((s ?? '').toUpperCase() as (typeof STAT_NAMES)[number]);
    return i >= 0 ? i : null;
  };

  const messageLines = (s: StoredSms, index: number | undefined): string[] => {
    const prefix = index === undefined ? '+CMGR: ' : `+CMGL: ${index},`;
    if (!sms.textMode) return [`${prefix}${s.stat},,${s.tpdu.length}`, pduLine(s)];
    const v = textModeView(s, index === undefined ? 'cmgr' : 'cmgl', modem.charset, sms.showTextParameters);
    const head = `${prefix}${statText(s.stat, true)},${v.params}`;
    return v.data === undefined ? [head] : [head, v.data];
  };

  const list = (stat: number): AtResponse => {
    const mem = sms.memory(0);
    const all = sms.list(mem);
    if (!all.ok) return cms(all.cms);
    const lines: string[] = [];
    for (const [index, s] of all.value) {
      if (stat !== 4 && s.stat !== stat) continue;
      lines.push(...messageLines(s, index));
      // Listing a received unread message makes it read (TS 27.005 §3.4.2).
      if (s.stat === 0) sms.setStat(mem, index, s, 1);
    }
    return ok(...lines);
  };

  t.add({
    name: '+CMGL',
    exec: () => list(0),
    test: () => ok(sms.textMode ? `+CMGL: (${STAT_NAMES.map((n) => `"${n}"`).join(',')})` : '+CMGL: (0-4)'),
    set: (params) => {
      const stat = listStat(params[0]);
      if (stat === null || params.length > 1) return bad();
      return list(stat);
    },
  });

  t.add({
    name: '+CMGR',
    test: () => ok(),
    set: (params) => {
      const index = param.int(params[0]);
      if (index === undefined || index === null || params.length > 1) return bad();
      const mem = sms.memory(0);
      const r = sms.read(mem, index);
      if (!r.ok) return cms(r.cms);
      const lines = messageLines(r.value, undefined);
      if (r.value.stat === 0) sms.setStat(mem, index, r.value, 1);
      return ok(...lines);
    },
  });

  t.add({
    name: '+CMGD',
    test: () => {
      const all = sms.list(sms.memory(0));
      if (!all.ok) return cms(all.cms);
      return ok(`+CMGD: (${[...all.value.keys()].join(',')}),(0-4)`);
    },
    set: (params) => {
      const index = param.int(params[0]);
      const flag = intIn(params[1], 0, 4, 0);
      if (index === null || flag === null || params.length > 2) return bad();
      const mem = sms.memory(0);
      if (flag === 0) {
        if (index === undefined) return bad();
        const cap = mem.capacity();
        if (!cap.ok) return cms(cap.cms);
        if (index < 1 || index > cap.value) return cms(CmsError.INVALID_MEMORY_INDEX);
        const d = sms.delete(mem, index);
        return d.ok ? ok() : cms(d.cms);
      }
      // <delflag> 1 read, 2 read + sent, 3 read + sent + unsent, 4 all (TS 27.005 §3.5.4).
      const doomed: readonly SmsStat[] = ([[1], [1, 3], [1, 3, 2], [0, 1, 2, 3]] as const)[flag - 1]!;
      const all = sms.list(mem);
      if (!all.ok) return cms(all.cms);
      for (const [i, s] of all.value) {
        if (!doomed.includes(s.stat)) continue;
        const d = sms.delete(mem, i);
        if (!d.ok) return cms(d.cms);
      }
      return ok();
    },
  });
}
