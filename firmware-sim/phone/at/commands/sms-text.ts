/**
 * Text mode of TS 27.005 §3.1 / §4: how messages are shown in +CMGR, +CMGL, +CMT and +CDS and how the
 * text after a +CMGS/+CMGW prompt becomes an SMS-SUBMIT. GSM 7-bit text travels in the +CSCS character
 * set; 8-bit and UCS2 user data as two hex digits per octet.
 */
import type { TeCharset } from '../../charset.js';
import { decodeTeString, encodeTeString } from '../../charset.js';
import { formatAddress, TON, type SmsAddress } from '../../sms/address.js';
import { parseDcs } from '../../sms/dcs.js';
import { gsm7Length, isGsm7Encodable } from '../../sms/gsm7.js';
import type { Scts } from '../../sms/scts.js';
import type { SmsSubmit } from '../../sms/tpdu.js';
import { decodeUcs2, encodeUcs2 } from '../../sms/ucs2.js';
import type { UserData } from '../../sms/user-data.js';
import { STAT_NAMES, type StoredSms } from '../../sms-storage.js';
import type { TextModeParameters } from '../../sms-service.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const two = (n: number): string => String(n).padStart(2, '0');

/** Type of address octet (TS 24.008 §10.5.4.7): 145 international, 129 unknown. */
export const toa = (a: SmsAddress): number => 0x80 | ((a.ton & 7) << 4) | (a.npi & 0x0f);

/** "yy/MM/dd,hh:mm:ss±zz" (TS 27.005 §3.1 <scts>). */
export function formatScts(t: Scts): string {
  const tz = t.timeZone < 0 ? `-${two(-t.timeZone)}` : `+${two(t.timeZone)}`;
  return `${two(t.year % 100)}/${two(t.month)}/${two(t.day)},${two(t.hour)}:${two(t.minute)}:${two(t.second)}${tz}`;
}

/** An address as a quoted string in the TE character set. */
function quotedAddress(a: SmsAddress, cs: TeCharset): string {
  return `"${encodeTeString(formatAddress(a), cs)}"`;
}

/** The user data as text mode shows it, and its <length> (characters for GSM 7-bit, else octets). */
export function userDataText(
  ud: UserData | undefined,
  dcs: number,
  cs: TeCharset,
): { text: string; length: number } {
  if (!ud) return { text: '', length: 0 };
  const scheme = parseDcs(dcs);
  if (scheme.alphabet === 'gsm7' && !scheme.compressed) {
    const t = ud.text ?? '';
    return { text: encodeTeString(t, cs), length: [...t].length };
  }
  const octets = ud.data ?? encodeUcs2(ud.text ?? '');
  return { text: hex(octets), length: octets.length };
}

/** Which answer a message is shown in: the parameter lists differ (TS 27.005 §3.4.1, §4.1, §4.2). */
export type TextModeView = 'cmgr' | 'cmgl' | 'cmt';

/**
 * The parameters of a message in text mode (after `<stat>,` for +CMGR/+CMGL) and its data line; status
 * reports have no data line. `detailed` is +CSDH=1.
 */
export function textModeView(
  s: StoredSms,
  view: TextModeView,
  cs: TeCharset,
  detailed: boolean,
): { params: string; data?: string } {
  const t = s.decoded;
  const sca = s.smsc ? `${quotedAddress(s.smsc, cs)},${toa(s.smsc)}` : ',';
  const fo = s.tpdu[0] ?? 0;
  if (t?.type === 'SMS-DELIVER') {
    const ud = userDataText(t.userData, t.dcs, cs);
    const base = `${quotedAddress(t.originator, cs)},,"${formatScts(t.scts)}"`;
    if (!detailed) return { params: base, data: ud.text };
    const more =
      view === 'cmgl'
        ? `,${toa(t.originator)},${ud.length}`
        : `,${toa(t.originator)},${fo},${t.pid},${t.dcs},${sca},${ud.length}`;
    return { params: base + more, data: ud.text };
  }
  if (t?.type === 'SMS-SUBMIT') {
    const ud = userDataText(t.userData, t.dcs, cs);
    const vp = t.validityPeriod?.format === 'relative' ? String(t.validityPeriod.value) : '';
    const base = `${quotedAddress(t.destination, cs)},${view === 'cmgl' ? ',' : ''}`;
    if (!detailed) return { params: base, data: ud.text };
    const more =
      view === 'cmgl'
        ? `,${toa(t.destination)},${ud.length}`
        : `,${toa(t.destination)},${fo},${t.pid},${t.dcs},${vp},${sca},${ud.length}`;
    return { params: base + more, data: ud.text };
  }
  if (t?.type === 'SMS-STATUS-REPORT') {
    return {
      params:
        `${fo},${t.messageReference},${quotedAddress(t.recipient, cs)},${toa(t.recipient)},` +
        `"${formatScts(t.scts)}","${formatScts(t.dischargeTime)}",${t.status}`,
    };
  }
  // A record this codec cannot read: its first octet, and the TPDU in hex.
  return { params: `${fo}`, data: hex(s.tpdu) };
}

export const statText = (stat: number, text: boolean): string =>
  text ? `"${STAT_NAMES[stat]}"` : String(stat);

/** What the TE typed after the prompt, as user data for `dcs`; undefined when it cannot be carried. */
export function userDataFromText(data: string, dcs: number, cs: TeCharset): UserData | undefined {
  const scheme = parseDcs(dcs);
  if (scheme.alphabet === 'gsm7' && !scheme.compressed) {
    // A CR the TE typed is a line break of the message; hex sets carry their own line breaks.
    let plain: string | undefined;
    if (cs === 'IRA') plain = decodeIra(data);
    else if (cs === 'GSM') plain = decodeTeString(data, 'GSM');
    else plain = decodeTeString(data.replace(/[\r\n]/g, ''), cs);
    if (plain === undefined || !isGsm7Encodable(plain) || gsm7Length(plain) > 160) return undefined;
    return { text: plain };
  }
  const clean = data.replace(/[\r\n]/g, '');
  if (!/^(?:[0-9A-Fa-f]{2})*$/.test(clean) || clean.length > 280) return undefined;
  const octets = Uint8Array.from(Buffer.from(clean, 'hex'));
  if (scheme.alphabet === 'ucs2' && !scheme.compressed) {
    if (octets.length % 2 !== 0) return undefined;
    return { text: decodeUcs2(octets) };
  }
  return { data: octets };
}

/** IRA text with CR as the line break; printable ASCII only. */
function decodeIra(data: string): string | undefined {
  const text = data.replace(/\r\n?/g, '\n');
  return /^[\x20-\x7e\n]*$/.test(text) ? text : undefined;
}

/** A destination typed in text mode, with its optional type of address. */
export function addressFromText(
  text: string | undefined,
  type: number | undefined,
  cs: TeCharset,
): SmsAddress | undefined {
  if (text === undefined) return undefined;
  const s = decodeTeString(text, cs);
  if (s === undefined || s.length === 0 || s.length > 21) return undefined;
  const international = s.startsWith('+');
  const digits = international ? s.slice(1) : s;
  if (!/^[0-9*#abcABC]+$/.test(digits)) return undefined;
  if (type !== undefined) {
    if (type < 128 || type > 255) return undefined;
    return { ton: (type >> 4) & 7, npi: type & 0x0f, value: digits };
  }
  return { ton: international ? TON.INTERNATIONAL : TON.UNKNOWN, npi: 1, value: digits };
}

/** The SMS-SUBMIT of a text-mode +CMGS/+CMGW, with the +CSMP parameters. */
export function submitFromText(destination: SmsAddress, ud: UserData, p: TextModeParameters): SmsSubmit {
  const vpf = (p.fo >> 3) & 3;
  return {
    type: 'SMS-SUBMIT',
    rejectDuplicates: (p.fo & 0x04) !== 0,
    replyPath: (p.fo & 0x80) !== 0,
    statusReportRequest: (p.fo & 0x20) !== 0,
    messageReference: 0,
    destination,
    pid: p.pid,
    dcs: p.dcs,
    ...(vpf === 2 ? { validityPeriod: { format: 'relative' as const, value: p.vp } } : {}),
    userData: ud,
  };
}
