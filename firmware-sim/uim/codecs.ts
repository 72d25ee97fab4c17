/**
 * Contents of SIM/USIM elementary files and the card's answers, encoded and decoded by one module used by
 * both sides: the emulated card (firmware-sim/uim) and host-side SIM readers (PC/SC, AT+CSIM).
 *
 * Sources: ETSI TS 102 221 (UICC: FCP template §11.1.1.3, status words §10.2, key references §9.5.1),
 * 3GPP TS 31.102 (USIM files §4.2, alpha coding annex A), 3GPP TS 51.011 (GSM SIM: GET RESPONSE §9.2.1,
 * status words §9.4, files §10, alpha coding annex B), 3GPP TS 23.038 (GSM 7-bit default alphabet).
 *
 * Encoders take well-formed values and throw a RangeError on values that cannot be encoded (a bug in the
 * caller or a bad profile). Decoders take arbitrary bytes from the other side of a wire and never throw:
 * they return `{ ok: true, value }` or `{ ok: false, error }`.
 */

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): DecodeResult<T> => ({ ok: true, value });
const fail = <T>(error: string): DecodeResult<T> => ({ ok: false, error });

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

// ---------------------------------------------------------------------------------------------------------
// Status words
// ---------------------------------------------------------------------------------------------------------

/** Fixed status words, named as in TS 102 221 §10.2 and TS 51.011 §9.4. */
export const SW = {
  /** 9000 normal ending of the command. */
  OK: 0x9000,
  /** 6200 warning: no information given, state of non-volatile memory unchanged. */
  WARNING_NO_INFO: 0x6200,
  /** 6281 part of returned data may be corrupted. */
  DATA_MAY_BE_CORRUPTED: 0x6281,
  /** 6282 end of file/record reached before reading Le bytes. */
  END_OF_FILE: 0x6282,
  /** 6283 selected file invalidated. */
  FILE_INVALIDATED: 0x6283,
  /** 6400 execution error: state of non-volatile memory unchanged. */
  EXECUTION_ERROR: 0x6400,
  /** 6581 memory problem. */
  MEMORY_PROBLEM: 0x6581,
  /** 6700 wrong length (GSM: 67xx incorrect parameter P3). */
  WRONG_LENGTH: 0x6700,
  /** 6800 functions in CLA not supported. */
  CLA_FUNCTION_NOT_SUPPORTED: 0x6800,
  /** 6881 logical channel not supported. */
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  /** 6882 secure messaging not supported. */
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  /** 6981 command incompatible with file structure. */
  INCOMPATIBLE_FILE_STRUCTURE: 0x6981,
  /** 6982 security status not satisfied. */
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  /** 6983 authentication/PIN method blocked. */
  AUTH_METHOD_BLOCKED: 0x6983,
  /** 6984 referenced data invalidated. */
  REFERENCED_DATA_INVALIDATED: 0x6984,
  /** 6985 conditions of use not satisfied. */
  CONDITIONS_NOT_SATISFIED: 0x6985,
  /** 6986 command not allowed (no EF selected). */
  NO_EF_SELECTED: 0x6986,
  /** 6A80 incorrect parameters in the data field. */
  WRONG_DATA: 0x6a80,
  /** 6A81 function not supported. */
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  /** 6A82 file or application not found. */
  FILE_NOT_FOUND: 0x6a82,
  /** 6A83 record not found. */
  RECORD_NOT_FOUND: 0x6a83,
  /** 6A84 not enough memory space. */
  NOT_ENOUGH_MEMORY: 0x6a84,
  /** 6A86 incorrect parameters P1 to P2. */
  INCORRECT_P1_P2: 0x6a86,
  /** 6A87 Lc inconsistent with P1 to P2. */
  LC_INCONSISTENT_WITH_P1_P2: 0x6a87,
  /** 6A88 referenced data not found. */
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  /** 6B00 wrong parameter(s) P1-P2 (GSM: 6Bxx incorrect parameter P1 or P2). */
  WRONG_P1_P2: 0x6b00,
  /** 6D00 instruction code not supported or invalid. */
  INS_NOT_SUPPORTED: 0x6d00,
  /** 6E00 class not supported. */
  CLA_NOT_SUPPORTED: 0x6e00,
  /** 6F00 technical problem, no precise diagnosis. */
  TECHNICAL_PROBLEM: 0x6f00,
  // GSM (TS 51.011 §9.4)
  /** 9240 memory problem. */
  GSM_MEMORY_PROBLEM: 0x9240,
  /** 9400 no EF selected. */
  GSM_NO_EF_SELECTED: 0x9400,
  /** 9402 out of range (invalid address). */
  GSM_OUT_OF_RANGE: 0x9402,
  /** 9404 file ID not found / pattern not found. */
  GSM_FILE_NOT_FOUND: 0x9404,
  /** 9408 file is inconsistent with the command. */
  GSM_FILE_INCONSISTENT: 0x9408,
  /** 9802 no CHV initialized. */
  GSM_NO_CHV_INITIALIZED: 0x9802,
  /** 9804 access condition not fulfilled / unsuccessful CHV verification, at least one attempt left. */
  GSM_ACCESS_CONDITION_NOT_FULFILLED: 0x9804,
  /** 9808 in contradiction with CHV status. */
  GSM_CONTRADICTION_WITH_CHV_STATUS: 0x9808,
  /** 9810 in contradiction with invalidation status. */
  GSM_CONTRADICTION_WITH_INVALIDATION: 0x9810,
  /** 9840 unsuccessful CHV verification, no attempt left / CHV blocked / UNBLOCK CHV blocked. */
  GSM_CHV_BLOCKED: 0x9840,
  /** 9850 increase cannot be performed, max value reached. */
  GSM_MAX_VALUE_REACHED: 0x9850,
} as const;

export type StatusWordName = keyof typeof SW;

/** 61xx: xx response bytes still available (T=0; fetch them with GET RESPONSE). */
export const sw61 = (available: number): number => 0x6100 | (available & 0xff);
/** 6Cxx: wrong Le; repeat the command with Le = xx. */
export const sw6C = (exact: number): number => 0x6c00 | (exact & 0xff);
/** 9Fxx (GSM): xx bytes of response data wait for GET RESPONSE. */
export const sw9F = (available: number): number => 0x9f00 | (available & 0xff);
/** 63Cx: verification failed (or status), x retries remaining. */
export const sw63C = (remaining: number): number => 0x63c0 | Math.max(0, Math.min(15, remaining));
/** 91xx: normal ending, xx bytes of proactive command pending. */
export const sw91 = (pending: number): number => 0x9100 | (pending & 0xff);

/** The two status bytes of a response APDU. */
export function swBytes(sw: number): Uint8Array {
  return Uint8Array.of((sw >> 8) & 0xff, sw & 0xff);
}

/** The status word at the end of a response APDU, or undefined when it has fewer than two bytes. */
export function statusWordOf(response: Uint8Array): number | undefined {
  if (response.length < 2) return undefined;
  return (response[response.length - 2]! << 8) | response[response.length - 1]!;
}

const SW_TEXT = new Map<number, string>([
  [SW.OK, 'normal ending of the command'],
  [SW.WARNING_NO_INFO, 'warning: no information given, state of non-volatile memory unchanged'],
  [SW.DATA_MAY_BE_CORRUPTED, 'part of returned data may be corrupted'],
  [SW.END_OF_FILE, 'end of file/record reached before reading Le bytes'],
  [SW.FILE_INVALIDATED, 'selected file invalidated'],
  [SW.EXECUTION_ERROR, 'execution error, state of non-volatile memory unchanged'],
  [SW.MEMORY_PROBLEM, 'memory problem'],
  [SW.WRONG_LENGTH, 'wrong length'],
  [SW.CLA_FUNCTION_NOT_SUPPORTED, 'functions in CLA not supported'],
  [SW.LOGICAL_CHANNEL_NOT_SUPPORTED, 'logical channel not supported'],
  [SW.SECURE_MESSAGING_NOT_SUPPORTED, 'secure messaging not supported'],
  [SW.INCOMPATIBLE_FILE_STRUCTURE, 'command incompatible with file structure'],
  [SW.SECURITY_STATUS_NOT_SATISFIED, 'security status not satisfied'],
  [SW.AUTH_METHOD_BLOCKED, 'authentication/PIN method blocked'],
  [SW.REFERENCED_DATA_INVALIDATED, 'referenced data invalidated'],
  [SW.CONDITIONS_NOT_SATISFIED, 'conditions of use not satisfied'],
  [SW.NO_EF_SELECTED, 'command not allowed (no EF selected)'],
  [SW.WRONG_DATA, 'incorrect parameters in the data field'],
  [SW.FUNCTION_NOT_SUPPORTED, 'function not supported'],
  [SW.FILE_NOT_FOUND, 'file or application not found'],
  [SW.RECORD_NOT_FOUND, 'record not found'],
  [SW.NOT_ENOUGH_MEMORY, 'not enough memory space'],
  [SW.INCORRECT_P1_P2, 'incorrect parameters P1 to P2'],
  [SW.LC_INCONSISTENT_WITH_P1_P2, 'Lc inconsistent with P1 to P2'],
  [SW.REFERENCED_DATA_NOT_FOUND, 'referenced data not found'],
  [SW.WRONG_P1_P2, 'wrong parameter(s) P1-P2'],
  [SW.INS_NOT_SUPPORTED, 'instruction code not supported or invalid'],
  [SW.CLA_NOT_SUPPORTED, 'class not supported'],
  [SW.TECHNICAL_PROBLEM, 'technical problem, no precise diagnosis'],
  [SW.GSM_MEMORY_PROBLEM, 'memory problem'],
  [SW.GSM_NO_EF_SELECTED, 'no EF selected'],
  [SW.GSM_OUT_OF_RANGE, 'out of range (invalid address)'],
  [SW.GSM_FILE_NOT_FOUND, 'file ID not found / pattern not found'],
  [SW.GSM_FILE_INCONSISTENT, 'file is inconsistent with the command'],
  [SW.GSM_NO_CHV_INITIALIZED, 'no CHV initialized'],
  [SW.GSM_ACCESS_CONDITION_NOT_FULFILLED, 'access condition not fulfilled / unsuccessful CHV verification'],
  [SW.GSM_CONTRADICTION_WITH_CHV_STATUS, 'in contradiction with CHV status'],
  [SW.GSM_CONTRADICTION_WITH_INVALIDATION, 'in contradiction with invalidation status'],
  [SW.GSM_CHV_BLOCKED, 'CHV blocked / unsuccessful verification, no attempt left'],
  [SW.GSM_MAX_VALUE_REACHED, 'increase cannot be performed, max value reached'],
]);

/** A readable explanation of a status word, e.g. "6A82 file or application not found". */
export function describeStatusWord(sw: number): string {
  const code = sw.toString(16).toUpperCase().padStart(4, '0');
  const text = SW_TEXT.get(sw);
  if (text) return `${code} ${text}`;
  const sw1 = sw >> 8;
  const xx = sw & 0xff;
  switch (sw1) {
    case 0x61:
      return `${code} ${xx} response bytes still available`;
    case 0x6c:
      return `${code} wrong Le, exact length ${xx}`;
    case 0x9f:
      return `${code} ${xx} bytes of response data available`;
    case 0x91:
      return `${code} normal ending, ${xx} bytes of proactive command pending`;
    case 0x92:
      return `${code} command successful after ${xx & 0x0f} internal retries`;
    case 0x63:
      if ((xx & 0xf0) === 0xc0) return `${code} verification failed, ${xx & 0x0f} retries remaining`;
      break;
    case 0x67:
      return `${code} incorrect parameter P3 (wrong length)`;
    case 0x6b:
      return `${code} incorrect parameter P1 or P2`;
    case 0x6d:
      return `${code} unknown instruction code`;
    case 0x6e:
      return `${code} wrong instruction class`;
    case 0x6f:
      return `${code} technical problem with no diagnostic given`;
  }
  return `${code} unknown status word`;
}

/** True for the status words that end a command successfully (9000, 91xx, 61xx, 9Fxx, 92xx). */
export function isSuccessStatusWord(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === SW.OK || sw1 === 0x91 || sw1 === 0x61 || sw1 === 0x9f || sw1 === 0x92;
}

// ---------------------------------------------------------------------------------------------------------
// BCD digits
// ---------------------------------------------------------------------------------------------------------

/** Extended BCD of dialling numbers (TS 31.102 §4.4.2.3 / TS 51.011 §10.5.1): A '*', B '#', C DTMF pause 'p', D wild '?'. */
const BCD_DIGITS = '0123456789*#p?';

function digitToNibble(ch: string, allowExtended: boolean): number {
  const i = allowExtended ? BCD_DIGITS.indexOf(ch.toLowerCase() === 'w' ? '?' : ch.toLowerCase()) : -1;
  if (i >= 0) return i;
  if (ch === ',' && allowExtended) return 0x0c;
  const d = ch.charCodeAt(0) - 0x30;
  if (ch.length === 1 && d >= 0 && d <= 9) return d;
  throw new RangeError(`"${ch}" is not a ${allowExtended ? 'dialling-number digit' : 'decimal digit'}`);
}

/**
 * Digits nibble-swapped into `length` bytes (first digit in the low nibble), unused nibbles F — the coding
 * of EF_ICCID and of dialling numbers.
 */
export function encodeSwappedBcd(digits: string, length: number, allowExtended = false): Uint8Array {
  if (digits.length > length * 2) {
    throw new RangeError(`${digits.length} digits do not fit in ${length} bytes`);
  }
  const out = new Uint8Array(length).fill(0xff);
  for (let i = 0; i < digits.length; i++) {
    const n = digitToNibble(digits[i]!, allowExtended);
    const b = out[i >> 1]!;
    out[i >> 1] = i % 2 === 0 ? (b & 0xf0) | n : (b & 0x0f) | (n << 4);
  }
  return out;
}

/** Reads nibble-swapped digits up to the first F nibble; `extended` allows the dialling-number nibbles A–E. */
export function decodeSwappedBcd(bytes: Uint8Array, extended = false): DecodeResult<string> {
  let out = '';
  for (let i = 0; i < bytes.length * 2; i++) {
    const b = bytes[i >> 1]!;
    const n = i % 2 === 0 ? b & 0x0f : b >> 4;
    if (n === 0x0f) {
      // Padding: everything after it must be padding too.
      for (let j = i + 1; j < bytes.length * 2; j++) {
        const m = j % 2 === 0 ? bytes[j >> 1]! & 0x0f : bytes[j >> 1]! >> 4;
        if (m !== 0x0f) return fail(`digit after F padding at nibble ${j}`);
      }
      return ok(out);
    }
    if (n <= 9) out += String(n);
    else if (extended && n < 0x0e) out += BCD_DIGITS[n]!;
    else if (extended && n === 0x0e) return fail('nibble E (extension) is not supported');
    else return fail(`nibble ${n.toString(16).toUpperCase()} at position ${i} is not a decimal digit`);
  }
  return ok(out);
}

// ---------------------------------------------------------------------------------------------------------
// EF_ICCID (2FE2), EF_IMSI (6F07)
// ---------------------------------------------------------------------------------------------------------

export const ICCID_LENGTH = 10;
export const IMSI_LENGTH = 9;

/** EF_ICCID: up to 20 digits, nibble-swapped BCD, F-padded, 10 bytes (TS 102 221 §13.2). */
export function encodeIccid(iccid: string): Uint8Array {
  if (!/^\d{1,20}$/.test(iccid)) throw new RangeError(`ICCID "${iccid}" is not 1 to 20 decimal digits`);
  return encodeSwappedBcd(iccid, ICCID_LENGTH);
}

export function decodeIccid(bytes: Uint8Array): DecodeResult<string> {
  if (bytes.length !== ICCID_LENGTH) return fail(`EF_ICCID is ${ICCID_LENGTH} bytes, got ${bytes.length}`);
  const r = decodeSwappedBcd(bytes);
  if (!r.ok) return fail(`EF_ICCID: ${r.error}`);
  if (r.value.length === 0) return fail('EF_ICCID is empty');
  return r;
}

/**
 * EF_IMSI (TS 31.102 §4.2.2, TS 51.011 §10.3.2): byte 1 the number of bytes that follow, byte 2 the first
 * digit in the high nibble with the parity/type nibble (b4 = 1 odd number of digits, b3–b1 = 001 IMSI)
 * in the low one, then the remaining digits nibble-swapped, F-padded; 9 bytes.
 */
export function encodeImsi(imsi: string): Uint8Array {
  if (!/^\d{6,15}$/.test(imsi)) throw new RangeError(`IMSI "${imsi}" is not 6 to 15 decimal digits`);
  const nibbles = [(imsi.length % 2 === 1 ? 0x08 : 0x00) | 0x01, ...[...imsi].map(Number)];
  if (nibbles.length % 2 === 1) nibbles.push(0x0f);
  const out = new Uint8Array(IMSI_LENGTH).fill(0xff);
  out[0] = nibbles.length / 2;
  for (let i = 0; i < nibbles.length; i += 2) out[1 + i / 2] = nibbles[i]! | (nibbles[i + 1]! << 4);
  return out;
}

export function decodeImsi(bytes: Uint8Array): DecodeResult<string> {
  if (bytes.length < 2) return fail(`EF_IMSI too short (${bytes.length} bytes)`);
  const len = bytes[0]!;
  if (len === 0xff) return fail('EF_IMSI is empty (length byte FF)');
  if (len < 1 || len > 8 || len + 1 > bytes.length) return fail(`EF_IMSI length byte ${len} is out of range`);
  const first = bytes[1]!;
  if ((first & 0x07) !== 0x01) return fail(`EF_IMSI type nibble ${first & 0x07} is not 1 (IMSI)`);
  const odd = (first & 0x08) !== 0;
  let digits = '';
  const nibbles: number[] = [first >> 4];
  for (let i = 2; i <= len; i++) nibbles.push(bytes[i]! & 0x0f, bytes[i]! >> 4);
  for (let i = 0; i < nibbles.length; i++) {
    const n = nibbles[i]!;
    if (n === 0x0f && i === nibbles.length - 1) break;
    if (n > 9) return fail(`EF_IMSI nibble ${n.toString(16).toUpperCase()} is not a digit`);
    digits += String(n);
  }
  if ((digits.length % 2 === 1) !== odd)
    return fail('EF_IMSI parity bit does not match the number of digits');
  if (digits.length < 6 || digits.length > 15) return fail(`EF_IMSI has ${digits.length} digits`);
  return ok(digits);
}

// ---------------------------------------------------------------------------------------------------------
// Alpha identifiers: GSM 7-bit default alphabet (unpacked) or UCS2 (TS 31.102 annex A, TS 51.011 annex B)
// ---------------------------------------------------------------------------------------------------------

/** TS 23.038 §6.2.1 GSM 7-bit default alphabet; index = code. */
export const GSM_DEFAULT_ALPHABET =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** TS 23.038 §6.2.1.1 extension table, reached through ESC (1B). */
export const GSM_EXTENSION_TABLE: ReadonlyMap<number, string> = new Map([
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
]);

const GSM_REVERSE = new Map<string, number[]>();
for (let i = 0; i < GSM_DEFAULT_ALPHABET.length; i++) {
  if (i !== 0x1b) GSM_REVERSE.set(GSM_DEFAULT_ALPHABET[i]!, [i]);
}
for (const [code, ch] of GSM_EXTENSION_TABLE) GSM_REVERSE.set(ch, [0x1b, code]);

/** The unpacked GSM default-alphabet septets of `text`, or undefined when a character has none. */
export function encodeGsm7Unpacked(text: string): Uint8Array | undefined {
  const out: number[] = [];
  for (const ch of text) {
    const codes = GSM_REVERSE.get(ch);
    if (!codes) return undefined;
    out.push(...codes);
  }
  return Uint8Array.from(out);
}

function decodeGsm7Unpacked(bytes: Uint8Array): DecodeResult<string> {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b > 0x7f) return fail(`byte ${b.toString(16).toUpperCase()} is not a GSM default-alphabet septet`);
    if (b === 0x1b) {
      const next = bytes[i + 1];
      // An unknown extension code shows as a space (TS 23.038: "a receiving entity shall display a space").
      out += next === undefined ? ' ' : (GSM_EXTENSION_TABLE.get(next) ?? ' ');
      i++;
    } else {
      out += GSM_DEFAULT_ALPHABET[b]!;
    }
  }
  return ok(out);
}

/**
 * Encodes `text` as an alpha field of exactly `length` bytes: the GSM default alphabet (bit 8 = 0) when
 * every character has a septet, else UCS2 with the 80 prefix; unused bytes FF.
 */
export function encodeAlpha(text: string, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0xff);
  if (text === '') return out;
  const gsm = encodeGsm7Unpacked(text);
  if (gsm) {
    if (gsm.length > length)
      throw new RangeError(`"${text}" needs ${gsm.length} bytes, the field has ${length}`);
    out.set(gsm);
    return out;
  }
  const units: number[] = [];
  for (let i = 0; i < text.length; i++) units.push(text.charCodeAt(i));
  if (1 + units.length * 2 > length) {
    throw new RangeError(`"${text}" needs ${1 + units.length * 2} bytes in UCS2, the field has ${length}`);
  }
  for (const u of units) {
    if (u >= 0xd800 && u <= 0xdfff) throw new RangeError(`"${text}" has a character outside UCS2`);
  }
  out[0] = 0x80;
  units.forEach((u, i) => {
    out[1 + i * 2] = u >> 8;
    out[2 + i * 2] = u & 0xff;
  });
  return out;
}

/** Decodes an alpha field in any of the three codings (GSM default alphabet, UCS2 80, 81, 82). */
export function decodeAlpha(bytes: Uint8Array): DecodeResult<string> {
  if (bytes.length === 0) return ok('');
  const first = bytes[0]!;
  if (first === 0x80) {
    let out = '';
    for (let i = 1; i + 1 < bytes.length; i += 2) {
      const u = (bytes[i]! << 8) | bytes[i + 1]!;
      if (u === 0xffff) break;
      out += String.fromCharCode(u);
    }
    return ok(out);
  }
  if (first === 0x81 || first === 0x82) {
    const header = first === 0x81 ? 3 : 4;
    if (bytes.length < header) return fail(`UCS2 ${first.toString(16)} alpha field shorter than its header`);
    const count = bytes[1]!;
    if (header + count > bytes.length)
      return fail(`UCS2 alpha field announces ${count} characters, too many`);
    const base = first === 0x81 ? bytes[2]! << 7 : (bytes[2]! << 8) | bytes[3]!;
    let out = '';
    for (let i = 0; i < count; i++) {
      const b = bytes[header + i]!;
      out += b & 0x80 ? String.fromCharCode(base + (b & 0x7f)) : GSM_DEFAULT_ALPHABET[b]!;
    }
    return ok(out);
  }
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0xff) end--;
  return decodeGsm7Unpacked(bytes.subarray(0, end));
}

// ---------------------------------------------------------------------------------------------------------
// Dialling numbers: EF_ADN (6F3A), EF_MSISDN (6F40), EF_FDN, EF_SDN (TS 31.102 §4.4.2.3, TS 51.011 §10.5.1)
// ---------------------------------------------------------------------------------------------------------

/** Bytes of a dialling-number record after the alpha identifier. */
export const DIALLING_NUMBER_FIXED_PART = 14;
/** Digits that fit in a record without an extension record. */
export const DIALLING_NUMBER_MAX_DIGITS = 20;

/** Type of number (TON, b7–b5 of the TON/NPI byte). */
export const Ton = { UNKNOWN: 0, INTERNATIONAL: 1, NATIONAL: 2, NETWORK_SPECIFIC: 3, SUBSCRIBER: 4 } as const;
/** Numbering plan (NPI, b4–b1): 1 = ISDN/telephony E.164. */
export const Npi = { UNKNOWN: 0, ISDN: 1, DATA: 3, TELEX: 4, NATIONAL: 8, PRIVATE: 9 } as const;

export interface DiallingNumber {
  /** The alpha identifier (name); '' for none. */
  alpha: string;
  /** Digits 0–9 * # p (DTMF pause) ? (wild); a leading '+' is shown for TON international. */
  number: string;
  ton: number;
  npi: number;
  /** Capability/configuration record id, FF = none. */
  capabilityId: number;
  /** Extension record id, FF = none. */
  extensionId: number;
}

/** Builds a dialling number from text such as "+441234567890" (TON international, NPI ISDN). */
export function diallingNumber(alpha: string, number: string): DiallingNumber {
  const international = number.startsWith('+');
  return {
    alpha,
    number,
    ton: international ? Ton.INTERNATIONAL : Ton.UNKNOWN,
    npi: Npi.ISDN,
    capabilityId: 0xff,
    extensionId: 0xff,
  };
}

/** One record of `recordLength` bytes (alpha field of recordLength − 14 bytes). */
export function encodeDiallingNumber(entry: DiallingNumber, recordLength: number): Uint8Array {
  const alphaLength = recordLength - DIALLING_NUMBER_FIXED_PART;
  if (alphaLength < 0)
    throw new RangeError(`a dialling-number record needs at least 14 bytes, not ${recordLength}`);
  const out = new Uint8Array(recordLength).fill(0xff);
  out.set(encodeAlpha(entry.alpha, alphaLength), 0);
  const digits = entry.number.startsWith('+') ? entry.number.slice(1) : entry.number;
  if (digits.length > DIALLING_NUMBER_MAX_DIGITS) {
    throw new RangeError(`"${entry.number}" has more than ${DIALLING_NUMBER_MAX_DIGITS} digits`);
  }
  if (digits.length > 0) {
    const bcd = encodeSwappedBcd(digits, 10, true);
    out[alphaLength] = 1 + Math.ceil(digits.length / 2);
    out[alphaLength + 1] = 0x80 | ((entry.ton & 0x07) << 4) | (entry.npi & 0x0f);
    out.set(bcd, alphaLength + 2);
  }
  out[alphaLength + 12] = entry.capabilityId & 0xff;
  out[alphaLength + 13] = entry.extensionId & 0xff;
  return out;
}

/** Decodes one record; `null` for an empty (all-FF) record. */
export function decodeDiallingNumber(record: Uint8Array): DecodeResult<DiallingNumber | null> {
  const alphaLength = record.length - DIALLING_NUMBER_FIXED_PART;
  if (alphaLength < 0) return fail(`a dialling-number record has at least 14 bytes, got ${record.length}`);
  if (record.every((b) => b === 0xff)) return ok(null);
  const alpha = decodeAlpha(record.subarray(0, alphaLength));
  if (!alpha.ok) return fail(`alpha identifier: ${alpha.error}`);
  const len = record[alphaLength]!;
  const tonNpi = record[alphaLength + 1]!;
  let number = '';
  let ton: number = Ton.UNKNOWN;
  let npi: number = Npi.ISDN;
  if (len !== 0xff && len !== 0) {
    if (len > 11) return fail(`length of BCD number/SSC contents ${len} exceeds 11`);
    ton = (tonNpi >> 4) & 0x07;
    npi = tonNpi & 0x0f;
    const bcd = decodeSwappedBcd(record.subarray(alphaLength + 2, alphaLength + 1 + len), true);
    if (!bcd.ok) return fail(`dialling number: ${bcd.error}`);
    number = (ton === Ton.INTERNATIONAL ? '+' : '') + bcd.value;
  }
  return ok({
    alpha: alpha.value,
    number,
    ton,
    npi,
    capabilityId: record[alphaLength + 12]!,
    extensionId: record[alphaLength + 13]!,
  });
}

// ---------------------------------------------------------------------------------------------------------
// EF_SPN (6F46), EF_AD (6FAD), EF_SST (6F38) / EF_UST (6F38 in ADF USIM), EF_DIR (2F00)
// ---------------------------------------------------------------------------------------------------------

export const SPN_LENGTH = 17;

export interface ServiceProviderName {
  /** Display condition byte (b1: display the registered PLMN; b2 (USIM): do not show SPN when roaming). */
  displayCondition: number;
  name: string;
}

/** EF_SPN: display condition, then 16 bytes of alpha (TS 31.102 §4.2.12, TS 51.011 §10.3.11). */
export function encodeSpn(spn: ServiceProviderName): Uint8Array {
  const out = new Uint8Array(SPN_LENGTH);
  out[0] = spn.displayCondition & 0xff;
  out.set(encodeAlpha(spn.name, SPN_LENGTH - 1), 1);
  return out;
}

export function decodeSpn(bytes: Uint8Array): DecodeResult<ServiceProviderName> {
  if (bytes.length !== SPN_LENGTH) return fail(`EF_SPN is ${SPN_LENGTH} bytes, got ${bytes.length}`);
  const name = decodeAlpha(bytes.subarray(1));
  if (!name.ok) return fail(`EF_SPN: ${name.error}`);
  return ok({ displayCondition: bytes[0]!, name: name.value });
}

export interface AdministrativeData {
  /** Byte 1: 00 normal operation, 80 type approval, 01 normal + specific facilities, 81, 02 maintenance. */
  operationMode: number;
  /** Bytes 2–3: additional information (b1 of byte 3: ciphering indicator, "ofm"). */
  additionalInfo: number;
  /** Byte 4: length of the MNC in the IMSI (2 or 3), undefined when the file has only 3 bytes. */
  mncLength?: number;
}

/** EF_AD (TS 31.102 §4.2.18, TS 51.011 §10.3.18). */
export function encodeAd(ad: AdministrativeData): Uint8Array {
  const out = [ad.operationMode & 0xff, (ad.additionalInfo >> 8) & 0xff, ad.additionalInfo & 0xff];
  if (ad.mncLength !== undefined) {
    if (ad.mncLength !== 2 && ad.mncLength !== 3) throw new RangeError('MNC length is 2 or 3');
    out.push(ad.mncLength);
  }
  return Uint8Array.from(out);
}

export function decodeAd(bytes: Uint8Array): DecodeResult<AdministrativeData> {
  if (bytes.length < 3) return fail(`EF_AD has at least 3 bytes, got ${bytes.length}`);
  const ad: AdministrativeData = {
    operationMode: bytes[0]!,
    additionalInfo: (bytes[1]! << 8) | bytes[2]!,
  };
  if (bytes.length >= 4) {
    const mnc = bytes[3]! & 0x0f;
    if (mnc !== 2 && mnc !== 3) return fail(`EF_AD MNC length ${mnc} is neither 2 nor 3`);
    ad.mncLength = mnc;
  }
  return ok(ad);
}

/**
 * EF_SST (GSM, TS 51.011 §10.3.7): two bits per service, "allocated" then "activated", four services
 * per byte from b1. `services` lists the numbers (1-based) allocated and activated.
 */
export function encodeSst(services: readonly number[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (const n of services) {
    if (!Number.isInteger(n) || n < 1 || n > length * 4)
      throw new RangeError(`service ${n} not in ${length} bytes`);
    out[(n - 1) >> 2]! |= 0x03 << (((n - 1) & 3) * 2);
  }
  return out;
}

export interface SstService {
  service: number;
  allocated: boolean;
  activated: boolean;
}

/** Every service whose allocated or activated bit is set. */
export function decodeSst(bytes: Uint8Array): SstService[] {
  const out: SstService[] = [];
  for (let n = 1; n <= bytes.length * 4; n++) {
    const bits = (bytes[(n - 1) >> 2]! >> (((n - 1) & 3) * 2)) & 0x03;
    if (bits) out.push({ service: n, allocated: (bits & 1) !== 0, activated: (bits & 2) !== 0 });
  }
  return out;
}

/** EF_UST (USIM, TS 31.102 §4.2.8): one bit per service, service n in byte (n−1)/8, bit (n−1) mod 8. */
export function encodeUst(services: readonly number[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (const n of services) {
    if (!Number.isInteger(n) || n < 1 || n > length * 8)
      throw new RangeError(`service ${n} not in ${length} bytes`);
    out[(n - 1) >> 3]! |= 1 << ((n - 1) & 7);
  }
  return out;
}

/** The numbers of the services available in an EF_UST. */
export function decodeUst(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let n = 1; n <= bytes.length * 8; n++) if ((bytes[(n - 1) >> 3]! >> ((n - 1) & 7)) & 1) out.push(n);
  return out;
}

export interface ApplicationTemplate {
  aid: Uint8Array;
  label?: string;
}

/** One EF_DIR record (TS 102 221 §13.1): 61 L [4F AID] [50 label], FF-padded to `recordLength`. */
export function encodeDirRecord(app: ApplicationTemplate, recordLength: number): Uint8Array {
  const inner = [encodeTlv(0x4f, app.aid)];
  if (app.label !== undefined) inner.push(encodeTlv(0x50, Buffer.from(app.label, 'utf8')));
  const body = encodeTlv(0x61, concatBytes(inner));
  if (body.length > recordLength) throw new RangeError(`EF_DIR record needs ${body.length} bytes`);
  const out = new Uint8Array(recordLength).fill(0xff);
  out.set(body);
  return out;
}

export function decodeDirRecord(record: Uint8Array): DecodeResult<ApplicationTemplate | null> {
  if (record.every((b) => b === 0xff)) return ok(null);
  const outer = parseBerTlv(record, true);
  if (!outer.ok) return fail(`EF_DIR: ${outer.error}`);
  const t = outer.value[0];
  if (!t || t.tag !== 0x61) return fail('EF_DIR record does not start with an application template (61)');
  const inner = parseBerTlv(t.value);
  if (!inner.ok) return fail(`EF_DIR: ${inner.error}`);
  const aid = inner.value.find((x) => x.tag === 0x4f);
  if (!aid) return fail('EF_DIR application template has no AID (4F)');
  const label = inner.value.find((x) => x.tag === 0x50);
  return ok(
    label ? { aid: aid.value, label: Buffer.from(label.value).toString('utf8') } : { aid: aid.value },
  );
}

// ---------------------------------------------------------------------------------------------------------
// PIN blocks
// ---------------------------------------------------------------------------------------------------------

export const PIN_BLOCK_LENGTH = 8;

/** CHV/PIN value: ASCII digits, padded with FF to 8 bytes (TS 102 221 §9.5.1, TS 51.011 §9.3). */
export function encodePinBlock(pin: string): Uint8Array {
  if (!/^\d{4,8}$/.test(pin)) throw new RangeError('a PIN is 4 to 8 decimal digits');
  const out = new Uint8Array(PIN_BLOCK_LENGTH).fill(0xff);
  out.set(Buffer.from(pin, 'ascii'));
  return out;
}

/** The digits of a PIN block; refuses blocks that are not 4–8 ASCII digits followed only by FF. */
export function decodePinBlock(block: Uint8Array): DecodeResult<string> {
  if (block.length !== PIN_BLOCK_LENGTH) return fail(`a PIN block is 8 bytes, got ${block.length}`);
  let end = 0;
  while (end < block.length && block[end]! >= 0x30 && block[end]! <= 0x39) end++;
  for (let i = end; i < block.length; i++)
    if (block[i] !== 0xff) return fail('PIN block is not digits then FF');
  if (end < 4) return fail('a PIN has at least 4 digits');
  return ok(Buffer.from(block.subarray(0, end)).toString('ascii'));
}

// ---------------------------------------------------------------------------------------------------------
// BER-TLV
// ---------------------------------------------------------------------------------------------------------

export interface Tlv {
  /** Tag as a number: 1 byte (0x62) or more (0x9F7F). */
  tag: number;
  value: Uint8Array;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One BER-TLV: tag (1–3 bytes as given), definite length in short or long form (81 xx, 82 xx xx). */
export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const tagBytes: number[] = [];
  for (let t = tag; t > 0 || tagBytes.length === 0; t >>= 8) tagBytes.unshift(t & 0xff);
  const n = value.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else if (n < 0x100) len = [0x81, n];
  else if (n < 0x10000) len = [0x82, n >> 8, n & 0xff];
  else throw new RangeError('TLV value longer than 65535 bytes');
  return concatBytes([Uint8Array.from(tagBytes), Uint8Array.from(len), value]);
}

/**
 * Parses a sequence of BER-TLVs. `allowPadding` stops at 00/FF filler (records, EF_DIR). Errors on
 * truncated tags, lengths or values.
 */
export function parseBerTlv(bytes: Uint8Array, allowPadding = false): DecodeResult<Tlv[]> {
  const out: Tlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    const first = bytes[i]!;
    if (allowPadding && (first === 0xff || first === 0x00)) break;
    let tag = first;
    i++;
    if ((first & 0x1f) === 0x1f) {
      let more = true;
      let count = 0;
      while (more) {
        const b = bytes[i];
        if (b === undefined) return fail('truncated multi-byte tag');
        if (++count > 2) return fail('tag longer than 3 bytes');
        tag = (tag << 8) | b;
        more = (b & 0x80) !== 0;
        i++;
      }
    }
    const l0 = bytes[i];
    if (l0 === undefined) return fail(`tag ${tag.toString(16).toUpperCase()} has no length`);
    i++;
    let len = l0;
    if (l0 === 0x81 || l0 === 0x82) {
      const n = l0 & 0x7f;
      if (i + n > bytes.length) return fail('truncated long-form length');
      len = 0;
      for (let k = 0; k < n; k++) len = (len << 8) | bytes[i + k]!;
      i += n;
    } else if (l0 >= 0x80) {
      return fail(`length byte ${l0.toString(16).toUpperCase()} not supported`);
    }
    if (i + len > bytes.length) {
      return fail(`tag ${tag.toString(16).toUpperCase()} announces ${len} bytes, ${bytes.length - i} remain`);
    }
    out.push({ tag, value: bytes.slice(i, i + len) });
    i += len;
  }
  return ok(out);
}

// ---------------------------------------------------------------------------------------------------------
// Files: structure and access conditions
// ---------------------------------------------------------------------------------------------------------

export type FileStructure = 'transparent' | 'linear-fixed' | 'cyclic';

/**
 * Access conditions of the GSM model (TS 51.011 §9.3): always, CHV1, CHV2, an administrative code,
 * never. On a UICC they become key references: CHV1 → PIN 01 (PIN Appl 1), CHV2 → 81 (second PIN Appl 1),
 * ADM → 0A (ADM1).
 */
export type AccessCondition = 'ALW' | 'CHV1' | 'CHV2' | 'ADM' | 'NEV';

const GSM_AC_NIBBLE: Record<AccessCondition, number> = { ALW: 0x0, CHV1: 0x1, CHV2: 0x2, ADM: 0xa, NEV: 0xf };

export function gsmAccessNibble(ac: AccessCondition): number {
  return GSM_AC_NIBBLE[ac];
}

/** 0 ALW, 1 CHV1, 2 CHV2, 3 RFU (read as NEV), 4–E ADM, F NEV. */
export function accessFromGsmNibble(n: number): AccessCondition {
  if (n === 0) return 'ALW';
  if (n === 1) return 'CHV1';
  if (n === 2) return 'CHV2';
  if (n >= 4 && n <= 0x0e) return 'ADM';
  return 'NEV';
}

/** UICC key references (TS 102 221 §9.5.1 table 9.3). */
export const KeyReference = {
  PIN_APPL_1: 0x01,
  UNIVERSAL_PIN: 0x11,
  ADM1: 0x0a,
  SECOND_PIN_APPL_1: 0x81,
} as const;

const UICC_KEY_REF: Partial<Record<AccessCondition, number>> = {
  CHV1: KeyReference.PIN_APPL_1,
  CHV2: KeyReference.SECOND_PIN_APPL_1,
  ADM: KeyReference.ADM1,
};

export interface EfAccess {
  read: AccessCondition;
  update: AccessCondition;
  increase: AccessCondition;
  invalidate: AccessCondition;
  rehabilitate: AccessCondition;
}

// ---------------------------------------------------------------------------------------------------------
// GSM GET RESPONSE after SELECT (TS 51.011 §9.2.1)
// ---------------------------------------------------------------------------------------------------------

/** Status of one secret code in a DF response (bytes 19–22): b8 initialised, b4–b1 attempts remaining. */
export interface GsmCodeStatus {
  initialised: boolean;
  remaining: number;
}

export interface GsmDfResponse {
  kind: 'mf' | 'df';
  fileId: number;
  /** Bytes 3–4: total amount of memory of the selected directory not allocated to any DF or EF. */
  freeMemory: number;
  /** Byte 14 file characteristics; b8 = 1 means CHV1 disabled. */
  characteristics: number;
  dfCount: number;
  efCount: number;
  /** Byte 17: number of CHVs, UNBLOCK CHVs and administrative codes. */
  codeCount: number;
  chv1: GsmCodeStatus;
  unblockChv1: GsmCodeStatus;
  chv2: GsmCodeStatus;
  unblockChv2: GsmCodeStatus;
}

export interface GsmEfResponse {
  kind: 'ef';
  fileId: number;
  /** Bytes 3–4: transparent EF size, or record length × number of records. */
  fileSize: number;
  structure: FileStructure;
  /** Byte 15; 0 for a transparent EF. */
  recordLength: number;
  access: EfAccess;
  /** Byte 12 b1 = 0: invalidated. */
  invalidated: boolean;
  /** Byte 12 b3: readable and updatable when invalidated. */
  readableWhenInvalidated: boolean;
  /** Byte 8 b7 (cyclic EFs): INCREASE allowed. */
  increaseAllowed: boolean;
}

export type GsmSelectResponse = GsmDfResponse | GsmEfResponse;

export const GSM_EF_RESPONSE_LENGTH = 15;
export const GSM_DF_RESPONSE_LENGTH = 22;

const codeStatusByte = (s: GsmCodeStatus): number => (s.initialised ? 0x80 : 0) | (s.remaining & 0x0f);

/** The 22 bytes a GSM SIM returns for a selected MF or DF. */
export function encodeGsmDfResponse(r: GsmDfResponse): Uint8Array {
  const out = new Uint8Array(GSM_DF_RESPONSE_LENGTH);
  out[2] = (r.freeMemory >> 8) & 0xff;
  out[3] = r.freeMemory & 0xff;
  out[4] = (r.fileId >> 8) & 0xff;
  out[5] = r.fileId & 0xff;
  out[6] = r.kind === 'mf' ? 0x01 : 0x02;
  // Byte 13: length of the GSM specific data that follows (bytes 14–22).
  out[12] = GSM_DF_RESPONSE_LENGTH - 13;
  out[13] = r.characteristics & 0xff;
  out[14] = r.dfCount & 0xff;
  out[15] = r.efCount & 0xff;
  out[16] = r.codeCount & 0xff;
  out[18] = codeStatusByte(r.chv1);
  out[19] = codeStatusByte(r.unblockChv1);
  out[20] = codeStatusByte(r.chv2);
  out[21] = codeStatusByte(r.unblockChv2);
  return out;
}

const GSM_STRUCTURE: Record<FileStructure, number> = {
  transparent: 0x00,
  'linear-fixed': 0x01,
  cyclic: 0x03,
};

/** The 15 bytes a GSM SIM returns for a selected EF. */
export function encodeGsmEfResponse(r: GsmEfResponse): Uint8Array {
  const out = new Uint8Array(GSM_EF_RESPONSE_LENGTH);
  out[2] = (r.fileSize >> 8) & 0xff;
  out[3] = r.fileSize & 0xff;
  out[4] = (r.fileId >> 8) & 0xff;
  out[5] = r.fileId & 0xff;
  out[6] = 0x04;
  out[7] = r.structure === 'cyclic' && r.increaseAllowed ? 0x40 : 0x00;
  out[8] = (gsmAccessNibble(r.access.read) << 4) | gsmAccessNibble(r.access.update);
  out[9] = (gsmAccessNibble(r.access.increase) << 4) | 0x0f;
  out[10] = (gsmAccessNibble(r.access.rehabilitate) << 4) | gsmAccessNibble(r.access.invalidate);
  out[11] = (r.invalidated ? 0 : 0x01) | (r.readableWhenInvalidated ? 0x04 : 0);
  out[12] = 2;
  out[13] = GSM_STRUCTURE[r.structure];
  out[14] = r.structure === 'transparent' ? 0 : r.recordLength & 0xff;
  return out;
}

const readCodeStatus = (b: number): GsmCodeStatus => ({ initialised: (b & 0x80) !== 0, remaining: b & 0x0f });

/** Parses a GSM GET RESPONSE to SELECT (host side). */
export function parseGsmSelectResponse(bytes: Uint8Array): DecodeResult<GsmSelectResponse> {
  if (bytes.length < 7) return fail(`a GSM SELECT response has at least 14 bytes, got ${bytes.length}`);
  const type = bytes[6]!;
  const fileId = (bytes[4]! << 8) | bytes[5]!;
  const size = (bytes[2]! << 8) | bytes[3]!;
  if (type === 0x01 || type === 0x02) {
    if (bytes.length < GSM_DF_RESPONSE_LENGTH) {
      return fail(`a GSM MF/DF response has at least 22 bytes, got ${bytes.length}`);
    }
    return ok({
      kind: type === 0x01 ? 'mf' : 'df',
      fileId,
      freeMemory: size,
      characteristics: bytes[13]!,
      dfCount: bytes[14]!,
      efCount: bytes[15]!,
      codeCount: bytes[16]!,
      chv1: readCodeStatus(bytes[18]!),
      unblockChv1: readCodeStatus(bytes[19]!),
      chv2: readCodeStatus(bytes[20]!),
      unblockChv2: readCodeStatus(bytes[21]!),
    });
  }
  if (type === 0x04) {
    if (bytes.length < 14) return fail(`a GSM EF response has at least 14 bytes, got ${bytes.length}`);
    const s = bytes[13]!;
    const structure: FileStructure | undefined =
      s === 0x00 ? 'transparent' : s === 0x01 ? 'linear-fixed' : s === 0x03 ? 'cyclic' : undefined;
    if (!structure) return fail(`unknown EF structure ${s.toString(16).toUpperCase()}`);
    if (structure !== 'transparent' && bytes.length < 15) return fail('a record EF response has 15 bytes');
    return ok({
      kind: 'ef',
      fileId,
      fileSize: size,
      structure,
      recordLength: structure === 'transparent' ? 0 : bytes[14]!,
      access: {
        read: accessFromGsmNibble(bytes[8]! >> 4),
        update: accessFromGsmNibble(bytes[8]! & 0x0f),
        increase: accessFromGsmNibble(bytes[9]! >> 4),
        rehabilitate: accessFromGsmNibble(bytes[10]! >> 4),
        invalidate: accessFromGsmNibble(bytes[10]! & 0x0f),
      },
      invalidated: (bytes[11]! & 0x01) === 0,
      readableWhenInvalidated: (bytes[11]! & 0x04) !== 0,
      increaseAllowed: (bytes[7]! & 0x40) !== 0,
    });
  }
  return fail(`unknown type of file ${type.toString(16).toUpperCase()}`);
}

/** Record count of a GSM EF response (file size / record length), 0 for transparent EFs. */
export function gsmRecordCount(r: GsmEfResponse): number {
  return r.structure === 'transparent' || r.recordLength === 0 ? 0 : Math.floor(r.fileSize / r.recordLength);
}

// ---------------------------------------------------------------------------------------------------------
// UICC FCP template (TS 102 221 §11.1.1.3)
// ---------------------------------------------------------------------------------------------------------

export const FcpTag = {
  FCP: 0x62,
  FILE_SIZE: 0x80,
  TOTAL_FILE_SIZE: 0x81,
  FILE_DESCRIPTOR: 0x82,
  FILE_ID: 0x83,
  DF_NAME: 0x84,
  SHORT_FILE_ID: 0x88,
  LIFE_CYCLE: 0x8a,
  SECURITY_REFERENCED: 0x8b,
  SECURITY_COMPACT: 0x8c,
  PROPRIETARY: 0xa5,
  SECURITY_EXPANDED: 0xab,
  PIN_STATUS: 0xc6,
} as const;

/** Life cycle status integer (TS 102 221 §11.1.1.4.9): 05 operational activated, 04 deactivated. */
export const LifeCycle = {
  CREATION: 0x01,
  INITIALISATION: 0x03,
  DEACTIVATED: 0x04,
  ACTIVATED: 0x05,
} as const;

/** Access mode bits of an EF (ISO 7816-4 table 17): b1 READ/SEARCH, b2 UPDATE, b3 WRITE… */
export const EfAccessMode = {
  READ: 0x01,
  UPDATE: 0x02,
  WRITE: 0x04,
  DEACTIVATE: 0x08,
  ACTIVATE: 0x10,
} as const;

/** One rule of the expanded security attributes (AB): the access modes and what grants them. */
export interface SecurityRule {
  /** AM byte. */
  accessMode: number;
  /** 'always' (90 00), 'never' (97 00), or a PIN key reference (A4 with 83 key ref, 95 08 user auth). */
  condition: 'always' | 'never' | { keyReference: number };
}

export interface PinStatus {
  keyReference: number;
  enabled: boolean;
}

export interface Fcp {
  /** 'df' for MF, DF and ADF (descriptor 78); 'ef' for working EFs. */
  fileType: 'df' | 'ef';
  shareable: boolean;
  structure?: FileStructure;
  recordLength?: number;
  recordCount?: number;
  fileId?: number;
  dfName?: Uint8Array;
  /** 80: EF size in bytes (record EF: length × count). */
  fileSize?: number;
  /** 81: total size including structural overhead (DFs: memory available). */
  totalFileSize?: number;
  /** 88: short file identifier 1–30; null when present and empty (no SFI). */
  sfi?: number | null;
  lifeCycle?: number;
  securityRules?: SecurityRule[];
  /** Raw security attributes when they come as 8B or 8C. */
  securityAttributes?: { tag: number; value: Uint8Array };
  /** C6 PIN status template (DFs): PS_DO bitmap decoded against the key references that follow. */
  pinStatus?: PinStatus[];
  /** A5 proprietary information, raw. */
  proprietary?: Uint8Array;
}

const FCP_STRUCTURE: Record<FileStructure, number> = {
  transparent: 0x01,
  'linear-fixed': 0x02,
  cyclic: 0x06,
};

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

/** The security rule list in expanded format (AB) for an EF's read and update conditions. */
export function efSecurityRules(read: AccessCondition, update: AccessCondition): SecurityRule[] {
  const rule = (am: number, ac: AccessCondition): SecurityRule => ({
    accessMode: am,
    condition: ac === 'ALW' ? 'always' : ac === 'NEV' ? 'never' : { keyReference: UICC_KEY_REF[ac]! },
  });
  if (read === update) return [rule(EfAccessMode.READ | EfAccessMode.UPDATE, read)];
  return [rule(EfAccessMode.READ, read), rule(EfAccessMode.UPDATE, update)];
}

function encodeSecurityRules(rules: readonly SecurityRule[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const r of rules) {
    parts.push(encodeTlv(0x80, Uint8Array.of(r.accessMode)));
    if (r.condition === 'always') parts.push(encodeTlv(0x90, new Uint8Array(0)));
    else if (r.condition === 'never') parts.push(encodeTlv(0x97, new Uint8Array(0)));
    else {
      parts.push(
        encodeTlv(
          0xa4,
          concatBytes([
            encodeTlv(0x83, Uint8Array.of(r.condition.keyReference)),
            encodeTlv(0x95, Uint8Array.of(0x08)),
          ]),
        ),
      );
    }
  }
  return concatBytes(parts);
}

function parseSecurityRules(value: Uint8Array): DecodeResult<SecurityRule[]> {
  const tlvs = parseBerTlv(value);
  if (!tlvs.ok) return fail(`security attributes: ${tlvs.error}`);
  const out: SecurityRule[] = [];
  let am: number | undefined;
  for (const t of tlvs.value) {
    if (t.tag === 0x80) {
      am = t.value[0] ?? 0;
      continue;
    }
    if (am === undefined) return fail('security condition without an access mode (80)');
    if (t.tag === 0x90) out.push({ accessMode: am, condition: 'always' });
    else if (t.tag === 0x97) out.push({ accessMode: am, condition: 'never' });
    else if (t.tag === 0xa4) {
      const inner = parseBerTlv(t.value);
      if (!inner.ok) return fail(`security condition: ${inner.error}`);
      const key = inner.value.find((x) => x.tag === 0x83);
      if (!key || key.value.length !== 1)
        return fail('control reference template without a key reference (83)');
      out.push({ accessMode: am, condition: { keyReference: key.value[0]! } });
    } else {
      return fail(`security condition tag ${t.tag.toString(16).toUpperCase()} not supported`);
    }
  }
  return ok(out);
}

/** Encodes an FCP template (62 …) in the order of TS 102 221 table 11.1 / 11.2. */
export function encodeFcp(fcp: Fcp): Uint8Array {
  const parts: Uint8Array[] = [];
  const desc = (fcp.shareable ? 0x40 : 0) | (fcp.fileType === 'df' ? 0x38 : FCP_STRUCTURE[fcp.structure!]);
  if (fcp.fileType === 'ef' && fcp.structure !== 'transparent') {
    parts.push(
      encodeTlv(
        0x82,
        concatBytes([
          Uint8Array.of(desc, 0x21),
          u16(fcp.recordLength ?? 0),
          Uint8Array.of(fcp.recordCount ?? 0),
        ]),
      ),
    );
  } else {
    parts.push(encodeTlv(0x82, Uint8Array.of(desc, 0x21)));
  }
  if (fcp.fileId !== undefined) parts.push(encodeTlv(0x83, u16(fcp.fileId)));
  if (fcp.dfName) parts.push(encodeTlv(0x84, fcp.dfName));
  if (fcp.proprietary) parts.push(encodeTlv(0xa5, fcp.proprietary));
  if (fcp.lifeCycle !== undefined) parts.push(encodeTlv(0x8a, Uint8Array.of(fcp.lifeCycle)));
  if (fcp.securityRules) parts.push(encodeTlv(0xab, encodeSecurityRules(fcp.securityRules)));
  else if (fcp.securityAttributes)
    parts.push(encodeTlv(fcp.securityAttributes.tag, fcp.securityAttributes.value));
  if (fcp.pinStatus) {
    const psdo = fcp.pinStatus.reduce((bits, p, i) => (p.enabled ? bits | (0x80 >> i) : bits), 0);
    const refs = fcp.pinStatus.map((p) => encodeTlv(0x83, Uint8Array.of(p.keyReference)));
    parts.push(
      encodeTlv(
        0xc6,
        concatBytes([encodeTlv(0x90, Uint8Array.of(psdo)), encodeTlv(0x95, Uint8Array.of(0x08)), ...refs]),
      ),
    );
  }
  if (fcp.fileSize !== undefined) parts.push(encodeTlv(0x80, u16(fcp.fileSize)));
  if (fcp.totalFileSize !== undefined) parts.push(encodeTlv(0x81, u16(fcp.totalFileSize)));
  if (fcp.sfi !== undefined) {
    parts.push(encodeTlv(0x88, fcp.sfi === null ? new Uint8Array(0) : Uint8Array.of((fcp.sfi & 0x1f) << 3)));
  }
  return encodeTlv(0x62, concatBytes(parts));
}

const beUint = (b: Uint8Array): number => b.reduce((n, x) => n * 256 + x, 0);

/** Parses an FCP template (host side): file type, structure, record length/count, sizes, PIN status. */
export function parseFcp(bytes: Uint8Array): DecodeResult<Fcp> {
  const outer = parseBerTlv(bytes);
  if (!outer.ok) return fail(`FCP: ${outer.error}`);
  const t = outer.value[0];
  if (!t || t.tag !== 0x62) return fail('not an FCP template (tag 62)');
  const items = parseBerTlv(t.value);
  if (!items.ok) return fail(`FCP: ${items.error}`);
  const get = (tag: number): Uint8Array | undefined => items.value.find((x) => x.tag === tag)?.value;
  const d = get(0x82);
  if (!d || d.length < 2) return fail('FCP has no file descriptor (82)');
  const fdb = d[0]!;
  const fcp: Fcp = { fileType: 'ef', shareable: (fdb & 0x40) !== 0 };
  if ((fdb & 0x3f) === 0x38) {
    fcp.fileType = 'df';
  } else {
    const s = fdb & 0x07;
    const structure: FileStructure | undefined =
      s === 0x01 ? 'transparent' : s === 0x02 ? 'linear-fixed' : s === 0x06 ? 'cyclic' : undefined;
    if (!structure)
      return fail(`file descriptor byte ${fdb.toString(16).toUpperCase()} has no known structure`);
    fcp.structure = structure;
    if (structure !== 'transparent') {
      if (d.length < 5) return fail('record EF descriptor without record length and count');
      fcp.recordLength = (d[2]! << 8) | d[3]!;
      fcp.recordCount = d[4]!;
    }
  }
  const fid = get(0x83);
  if (fid) {
    if (fid.length !== 2) return fail('file identifier (83) is not 2 bytes');
    fcp.fileId = beUint(fid);
  }
  const name = get(0x84);
  if (name) fcp.dfName = name;
  const prop = get(0xa5);
  if (prop) fcp.proprietary = prop;
  const lcsi = get(0x8a);
  if (lcsi) fcp.lifeCycle = lcsi[0] ?? 0;
  const expanded = get(0xab);
  if (expanded) {
    const rules = parseSecurityRules(expanded);
    if (!rules.ok) return fail(`FCP: ${rules.error}`);
    fcp.securityRules = rules.value;
  }
  for (const tag of [0x8b, 0x8c]) {
    const v = get(tag);
    if (v) fcp.securityAttributes = { tag, value: v };
  }
  const pin = get(0xc6);
  if (pin) {
    const inner = parseBerTlv(pin);
    if (!inner.ok) return fail(`PIN status template: ${inner.error}`);
    const ps = inner.value.find((x) => x.tag === 0x90)?.value;
    const psdo = ps ? beUint(ps) : 0;
    const bits = ps ? ps.length * 8 : 8;
    fcp.pinStatus = inner.value
      .filter((x) => x.tag === 0x83)
      .map((x, i) => ({
        keyReference: x.value[0] ?? 0,
        enabled: i < bits && ((psdo >> (bits - 1 - i)) & 1) === 1,
      }));
  }
  const size = get(0x80);
  if (size) fcp.fileSize = beUint(size);
  const total = get(0x81);
  if (total) fcp.totalFileSize = beUint(total);
  const sfi = get(0x88);
  if (sfi) fcp.sfi = sfi.length === 0 ? null : (sfi[0]! >> 3) & 0x1f;
  return ok(fcp);
}
