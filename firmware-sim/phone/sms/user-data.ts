/**
 * TP-UDL and TP-UD (3GPP TS 23.040 §9.2.3.16, §9.2.3.24). In GSM 7-bit, TP-UDL counts septets including
 * the header's, and the text starts after fill bits that bring the header to a septet boundary; in the
 * other alphabets it counts octets.
 */
import { OctetReader, PduError } from './errors.js';
import { decodeGsm7, encodeGsm7, packSeptets, unpackSeptets } from './gsm7.js';
import { parseDcs } from './dcs.js';
import { encodeUdh, parseUdhBody, type InformationElement } from './udh.js';
import { decodeUcs2, encodeUcs2 } from './ucs2.js';

export interface UserData {
  /** Present (possibly empty) when TP-UDHI is set. */
  header?: InformationElement[];
  /** The text, for GSM 7-bit and UCS2. */
  text?: string;
  /** The octets, for 8-bit data and compressed text (not decompressed here). */
  data?: Uint8Array;
}

/** Septets a header of `udhOctets` octets (UDHL included) takes, fill bits included. */
export const headerSeptets = (udhOctets: number): number => Math.ceil((udhOctets * 8) / 7);

/** TP-UDL and TP-UD for a DCS octet; throws a RangeError when the content does not fit 140 octets. */
export function encodeUserData(ud: UserData, dcs: number): { udl: number; octets: Uint8Array } {
  const scheme = parseDcs(dcs);
  const udh = ud.header === undefined ? new Uint8Array(0) : encodeUdh(ud.header);
  let udl: number;
  let octets: Uint8Array;
  if (scheme.alphabet === 'gsm7' && !scheme.compressed) {
    const hs = headerSeptets(udh.length);
    const septets = encodeGsm7(ud.text ?? '');
    const packed = packSeptets(septets, hs * 7 - udh.length * 8);
    udl = hs + septets.length;
    octets = new Uint8Array(udh.length + packed.length);
    octets.set(udh);
    octets.set(packed, udh.length);
    if (udl > 160) throw new RangeError(`user data of ${udl} septets exceeds 160`);
  } else {
    const body = scheme.alphabet === 'ucs2' && !scheme.compressed ? encodeUcs2(ud.text ?? '') : ud.data;
    if (body === undefined) throw new RangeError('8-bit user data needs `data`');
    octets = new Uint8Array(udh.length + body.length);
    octets.set(udh);
    octets.set(body, udh.length);
    udl = octets.length;
  }
  if (octets.length > 140) throw new RangeError(`user data of ${octets.length} octets exceeds 140`);
  return { udl, octets };
}

export function readUserData(r: OctetReader, dcs: number, udhi: boolean): UserData {
  const scheme = parseDcs(dcs);
  const udl = r.octet('TP-UDL');
  const septetCoded = scheme.alphabet === 'gsm7' && !scheme.compressed;
  if (septetCoded ? udl > 160 : udl > 140) {
    throw new PduError(`TP-UDL ${udl} exceeds the maximum for ${scheme.alphabet}`);
  }
  const octetCount = septetCoded ? Math.ceil((udl * 7) / 8) : udl;
  const octets = r.take(octetCount, 'TP-UD');
  let header: InformationElement[] | undefined;
  let bodyStart = 0;
  if (udhi) {
    const udhl = octets[0];
    if (udhl === undefined || 1 + udhl > octets.length) {
      throw new PduError('TP-UDHI is set but the header does not fit TP-UD');
    }
    header = parseUdhBody(octets.subarray(1, 1 + udhl));
    bodyStart = 1 + udhl;
  }
  if (septetCoded) {
    const hs = headerSeptets(bodyStart);
    if (hs > udl) throw new PduError('the user data header is longer than TP-UDL');
    const fill = hs * 7 - bodyStart * 8;
    const text = decodeGsm7(unpackSeptets(octets.subarray(bodyStart), udl - hs, fill));
    return { ...(header ? { header } : {}), text };
  }
  const body = octets.slice(bodyStart);
  if (scheme.alphabet === 'ucs2' && !scheme.compressed) {
    return { ...(header ? { header } : {}), text: decodeUcs2(body) };
  }
  return { ...(header ? { header } : {}), data: body };
}
