/**
 * Addresses (3GPP TS 23.040 §9.1.2.5): TP-OA/TP-DA/TP-RA, counted in semi-octets, and the service centre
 * address of the AT PDU form (TS 24.011 RP address, counted in octets including the type octet).
 * Digits are swapped BCD with 'F' filling the last octet; TON 101 carries GSM 7-bit packed text.
 */
import { OctetReader, PduError } from './errors.js';
import { decodeGsm7, encodeGsm7, packSeptets, unpackSeptets } from './gsm7.js';

/** Type of number (bits 6–4 of the type-of-address octet). */
export const TON = {
  UNKNOWN: 0,
  INTERNATIONAL: 1,
  NATIONAL: 2,
  NETWORK_SPECIFIC: 3,
  SUBSCRIBER: 4,
  ALPHANUMERIC: 5,
  ABBREVIATED: 6,
} as const;

/** Numbering plan identification (bits 3–0); 1 is E.164. */
export const NPI = { UNKNOWN: 0, ISDN: 1, DATA: 3, TELEX: 4, NATIONAL: 8, PRIVATE: 9 } as const;

export interface SmsAddress {
  ton: number;
  npi: number;
  /** Digits (0-9 * # a b c) without a '+', or the text of an alphanumeric address. */
  value: string;
}

const SEMI_OCTET = '0123456789*#abc';

/** '+4912345' → international E.164; digits → unknown TON; anything else → alphanumeric. */
export function parseAddress(text: string): SmsAddress {
  if (/^\+[0-9*#abc]+$/.test(text)) return { ton: TON.INTERNATIONAL, npi: NPI.ISDN, value: text.slice(1) };
  if (/^[0-9*#abc]+$/.test(text)) return { ton: TON.UNKNOWN, npi: NPI.ISDN, value: text };
  return { ton: TON.ALPHANUMERIC, npi: NPI.UNKNOWN, value: text };
}

/** The address as a caller writes it: '+' before international numbers. */
export function formatAddress(a: SmsAddress): string {
  return a.ton === TON.INTERNATIONAL ? `+${a.value}` : a.value;
}

const typeOctet = (a: SmsAddress): number => 0x80 | ((a.ton & 7) << 4) | (a.npi & 0x0f);

function encodeDigits(digits: string): Uint8Array {
  const out = new Uint8Array(Math.ceil(digits.length / 2)).fill(0xff);
  for (let i = 0; i < digits.length; i++) {
    const n = SEMI_OCTET.indexOf(digits[i]!.toLowerCase());
    if (n < 0) throw new RangeError(`address digit '${digits[i]}' is not a semi-octet`);
    const at = i >> 1;
    out[at] = i & 1 ? (out[at]! & 0x0f) | (n << 4) : (out[at]! & 0xf0) | n;
  }
  return out;
}

function decodeDigits(octets: Uint8Array, count: number, field: string): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    const n = i & 1 ? octets[i >> 1]! >> 4 : octets[i >> 1]! & 0x0f;
    // 0xF is the filler: tolerated only in the last semi-octet, as handsets do.
    if (n === 0x0f) {
      if (i === count - 1) break;
      throw new PduError(`${field}: filler semi-octet inside the number`);
    }
    out += SEMI_OCTET[n]!;
  }
  return out;
}

/** TP address: length in useful semi-octets, type octet, value. */
export function encodeTpAddress(a: SmsAddress): Uint8Array {
  if (a.ton === TON.ALPHANUMERIC) {
    const septets = encodeGsm7(a.value);
    if (septets.length > 11) throw new RangeError('an alphanumeric address holds at most 11 septets');
    const packed = packSeptets(septets);
    return Uint8Array.from([Math.ceil((septets.length * 7) / 4), typeOctet(a), ...packed]);
  }
  if (a.value.length > 20) throw new RangeError('a TP address holds at most 20 digits');
  return Uint8Array.from([a.value.length, typeOctet(a), ...encodeDigits(a.value)]);
}

export function readTpAddress(r: OctetReader, field: string): SmsAddress {
  const length = r.octet(`${field} length`);
  const type = r.octet(`${field} type of address`);
  if (length > 20) throw new PduError(`${field}: ${length} semi-octets (at most 20)`);
  const octets = r.take(Math.ceil(length / 2), field);
  const ton = (type >> 4) & 7;
  const npi = type & 0x0f;
  if (ton === TON.ALPHANUMERIC) {
    return { ton, npi, value: decodeGsm7(unpackSeptets(octets, Math.floor((length * 4) / 7))) };
  }
  return { ton, npi, value: decodeDigits(octets, length, field) };
}

/** The SMSC field of the AT PDU form; `undefined` encodes as 00 (use the SMSC stored in the phone). */
export function encodeScAddress(a: SmsAddress | undefined): Uint8Array {
  if (a === undefined || a.value === '') return Uint8Array.of(0);
  if (a.ton === TON.ALPHANUMERIC) throw new RangeError('a service centre address cannot be alphanumeric');
  if (a.value.length > 20) throw new RangeError('a service centre address holds at most 20 digits');
  const digits = encodeDigits(a.value);
  return Uint8Array.from([digits.length + 1, typeOctet(a), ...digits]);
}

export function readScAddress(r: OctetReader): SmsAddress | undefined {
  const length = r.octet('SMSC address length');
  if (length === 0) return undefined;
  if (length > 11) throw new PduError(`SMSC address: ${length} octets (at most 11)`);
  const type = r.octet('SMSC type of address');
  const octets = r.take(length - 1, 'SMSC address');
  const count = (length - 1) * 2 - ((octets[octets.length - 1] ?? 0) >> 4 === 0x0f ? 1 : 0);
  return { ton: (type >> 4) & 7, npi: type & 0x0f, value: decodeDigits(octets, count, 'SMSC address') };
}
