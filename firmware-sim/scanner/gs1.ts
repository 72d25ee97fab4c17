/**
 * GS1 element strings (GS1 General Specifications, sections 3 and 7.8).
 *
 * Two spellings of the same content:
 * - the human-readable interpretation (HRI), AIs in parentheses: `(01)09501101530003(17)140704(10)AB-123`;
 * - the transmitted form a scanner sends after `]C1`, `]d2`, `]Q3`, `]e0`: AIs and values concatenated,
 *   with GS (0x1D, the transmitted FNC1) after every value whose AI is *not* in the predefined-length
 *   table — except after the last one: `0109501101530003171407041 0AB-123` without the space.
 *
 * The predefined-length table (figure 7.8.5-2 of the General Specifications) is keyed by the first two
 * digits of the AI and is the only thing a receiver may use to find the end of a value without a GS. It is
 * not "every fixed-length AI": AI 422 is always 3 digits long but is not in the table, so it takes a GS.
 *
 * The AI length (2, 3 or 4 digits) follows from the first two digits too (the "AI prefix" rule of section 3.2),
 * which is what lets {@link parseTransmitted} split a transmitted string without a full AI dictionary.
 * Values are checked against a dictionary of the common AIs (format, length, check digit, date); AIs that
 * are not in it but have a valid prefix are accepted with the generic rule (1–90 characters of the GS1
 * AI encodable character set 82), as a receiver that does not know every AI must.
 */

import { GS } from './symbology.js';

export interface ElementString {
  /** Application Identifier, 2–4 digits. */
  readonly ai: string;
  /** The value, without separators. */
  readonly value: string;
}

/** A malformed GS1 element string; the message says what and where. */
export class Gs1Error extends Error {
  override readonly name = 'Gs1Error';
}

/** Predefined-length table: first two AI digits → total length of AI + value. */
const PREDEFINED_LENGTH: Readonly<Record<string, number>> = {
  '00': 20,
  '01': 16,
  '02': 16,
  '03': 16,
  '04': 18,
  '11': 8,
  '12': 8,
  '13': 8,
  '14': 8,
  '15': 8,
  '16': 8,
  '17': 8,
  '18': 8,
  '19': 8,
  '20': 4,
  '31': 10,
  '32': 10,
  '33': 10,
  '34': 10,
  '35': 10,
  '36': 10,
  '41': 16,
};

/** First two AI digits → AI length. Prefixes not listed are not assigned. */
const AI_LENGTH_BY_PREFIX: Readonly<Record<string, number>> = (() => {
  const t: Record<string, number> = {};
  for (const p of ['00', '01', '02', '03', '04', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19'])
    t[p] = 2;
  for (const p of ['20', '21', '22', '30', '37']) t[p] = 2;
  for (let p = 90; p <= 99; p++) t[String(p)] = 2;
  for (const p of ['23', '24', '25', '40', '41', '42', '71']) t[p] = 3;
  for (const p of ['31', '32', '33', '34', '35', '36', '39', '43', '70', '72', '80', '81', '82']) t[p] = 4;
  return t;
})();

/** The GS1 AI encodable character set 82 (General Specifications figure 7.11-1). */
const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/;
const DIGITS = /^[0-9]*$/;

/** Length of the AI starting with these two digits, or undefined if the prefix is unassigned. */
export function aiLengthForPrefix(firstTwoDigits: string): number | undefined {
  return AI_LENGTH_BY_PREFIX[firstTwoDigits];
}

/** Value length of an AI in the predefined-length table, or undefined if its value needs a GS. */
export function predefinedValueLength(ai: string): number | undefined {
  const total = PREDEFINED_LENGTH[ai.slice(0, 2)];
  return total === undefined ? undefined : total - ai.length;
}

/** GS1 mod-10 check digit of the digits given (without the check digit). */
export function gs1CheckDigit(digits: string): number {
  if (!DIGITS.test(digits)) throw new Gs1Error(`check digit of non-digits "${digits}"`);
  let sum = 0;
  // Weights 3, 1, 3, … from the right (the position left of the check digit weighs 3).
  for (let i = digits.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += w * (digits.charCodeAt(i) - 48);
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit is the GS1 check digit of the others (GTIN-8/12/13/14, GLN, SSCC …). */
export function hasValidCheckDigit(digits: string): boolean {
  return (
    digits.length >= 2 &&
    DIGITS.test(digits) &&
    gs1CheckDigit(digits.slice(0, -1)) === Number(digits.slice(-1))
  );
}

interface AiRule {
  /** Format: `n` digits, `x` set 82; `fixed` length or min..max. */
  readonly kind: 'n' | 'x';
  readonly min: number;
  readonly max: number;
  /** The first `checkLen` digits end with a GS1 check digit (offset lets AI 8003 skip its leading 0). */
  readonly check?: { readonly offset: number; readonly length: number };
  /** YYMMDD date; `dayZero` allows DD = 00 (best-before style dates). */
  readonly date?: { readonly dayZero: boolean };
  /** Leading part that must be digits (e.g. 253: 13 digits then x..17). */
  readonly numericPrefix?: number;
}

const n = (len: number, extra: Partial<AiRule> = {}): AiRule => ({ kind: 'n', min: len, max: len, ...extra });
const nv = (max: number, extra: Partial<AiRule> = {}): AiRule => ({ kind: 'n', min: 1, max, ...extra });
const xv = (max: number, extra: Partial<AiRule> = {}): AiRule => ({ kind: 'x', min: 1, max, ...extra });
const gtin = (len: number): AiRule => n(len, { check: { offset: 0, length: len } });

/** The common AIs. Keys ending in `x` stand for a decimal-point digit 0–9. */
const AI_RULES: Readonly<Record<string, AiRule>> = {
  '00': gtin(18),
  '01': gtin(14),
  '02': gtin(14),
  '10': xv(20),
  '11': n(6, { date: { dayZero: false } }),
  '12': n(6, { date: { dayZero: false } }),
  '13': n(6, { date: { dayZero: false } }),
  '15': n(6, { date: { dayZero: true } }),
  '16': n(6, { date: { dayZero: false } }),
  '17': n(6, { date: { dayZero: true } }),
  '20': n(2),
  '21': xv(20),
  '22': xv(20),
  '235': xv(28),
  '240': xv(30),
  '241': xv(30),
  '242': nv(6),
  '243': xv(20),
  '250': xv(30),
  '251': xv(30),
  '253': { kind: 'x', min: 13, max: 30, numericPrefix: 13, check: { offset: 0, length: 13 } },
  '254': xv(20),
  '255': { kind: 'n', min: 13, max: 25, check: { offset: 0, length: 13 } },
  '30': nv(8),
  '37': nv(8),
  '400': xv(30),
  '401': xv(30),
  '402': gtin(17),
  '403': xv(30),
  '410': gtin(13),
  '411': gtin(13),
  '412': gtin(13),
  '413': gtin(13),
  '414': gtin(13),
  '415': gtin(13),
  '416': gtin(13),
  '417': gtin(13),
  '420': xv(20),
  '421': { kind: 'x', min: 4, max: 12, numericPrefix: 3 },
  '422': n(3),
  '423': { kind: 'n', min: 3, max: 15 },
  '424': n(3),
  '425': { kind: 'n', min: 3, max: 15 },
  '426': n(3),
  '7001': n(13),
  '7002': xv(30),
  '7003': n(10),
  '8001': n(14),
  '8002': xv(20),
  '8003': { kind: 'x', min: 14, max: 30, numericPrefix: 14, check: { offset: 1, length: 13 } },
  '8004': xv(30),
  '8005': n(6),
  '8006': n(18, { check: { offset: 0, length: 14 } }),
  '8007': xv(34),
  '8008': { kind: 'n', min: 8, max: 12 },
  '8017': gtin(18),
  '8018': gtin(18),
  '8020': xv(25),
  '8200': xv(70),
  '90': xv(30),
};

function ruleFor(ai: string): AiRule | undefined {
  const exact = AI_RULES[ai];
  if (exact) return exact;
  const p2 = ai.slice(0, 2);
  // 31xx–36xx: six-digit measures; 390x/392x amounts n..15; 391x/393x currency + amount.
  if (ai.length === 4 && /^3[1-6]$/.test(p2)) return n(6);
  if (/^39[02]\d$/.test(ai)) return nv(15);
  if (/^39[13]\d$/.test(ai)) return { kind: 'n', min: 4, max: 18 };
  if (/^9[1-9]$/.test(ai)) return xv(90);
  return undefined;
}

function checkAi(ai: string): void {
  if (!/^\d{2,4}$/.test(ai)) throw new Gs1Error(`AI "${ai}" is not 2–4 digits`);
  const len = aiLengthForPrefix(ai.slice(0, 2));
  if (len === undefined) throw new Gs1Error(`AI (${ai}): prefix ${ai.slice(0, 2)} is not assigned`);
  if (len !== ai.length) throw new Gs1Error(`AI (${ai}): AIs starting ${ai.slice(0, 2)} have ${len} digits`);
}

/** Throws a {@link Gs1Error} unless `value` is a valid value for `ai`. */
export function validateElement(ai: string, value: string): void {
  checkAi(ai);
  const where = `AI (${ai}) value "${value}"`;
  if (value.length === 0) throw new Gs1Error(`${where}: empty`);
  if (!CSET82.test(value)) throw new Gs1Error(`${where}: character outside GS1 character set 82`);
  const fixed = predefinedValueLength(ai);
  if (fixed !== undefined && value.length !== fixed) {
    throw new Gs1Error(`${where}: must be exactly ${fixed} characters, got ${value.length}`);
  }
  const rule = ruleFor(ai);
  if (!rule) {
    if (value.length > 90) throw new Gs1Error(`${where}: longer than 90 characters`);
    return;
  }
  if (value.length < rule.min || value.length > rule.max) {
    const want = rule.min === rule.max ? `${rule.min}` : `${rule.min}–${rule.max}`;
    throw new Gs1Error(`${where}: length ${value.length}, expected ${want}`);
  }
  if (rule.kind === 'n' && !DIGITS.test(value)) throw new Gs1Error(`${where}: must be digits`);
  if (rule.numericPrefix !== undefined && !DIGITS.test(value.slice(0, rule.numericPrefix))) {
    throw new Gs1Error(`${where}: first ${rule.numericPrefix} characters must be digits`);
  }
  if (rule.check) {
    const digits = value.slice(rule.check.offset, rule.check.offset + rule.check.length);
    if (!hasValidCheckDigit(digits)) {
      const want = gs1CheckDigit(digits.slice(0, -1));
      throw new Gs1Error(`${where}: bad check digit ${digits.slice(-1)}, expected ${want}`);
    }
  }
  if (rule.date) {
    const mm = Number(value.slice(2, 4));
    const dd = Number(value.slice(4, 6));
    if (mm < 1 || mm > 12 || dd > 31 || (dd === 0 && !rule.date.dayZero)) {
      throw new Gs1Error(`${where}: not a YYMMDD date`);
    }
  }
}

/**
 * Parse the parenthesised HRI form. A `(` inside a variable-length value is data unless it starts
 * `(digits)` naming a valid AI; a predefined-length value is taken by its length.
 */
export function parseHri(hri: string): ElementString[] {
  const out: ElementString[] = [];
  let i = 0;
  if (hri.length === 0) throw new Gs1Error('empty GS1 element string');
  while (i < hri.length) {
    const m = /^\((\d{2,4})\)/.exec(hri.slice(i));
    if (!m) throw new Gs1Error(`expected "(AI)" at offset ${i} of "${hri}"`);
    const ai = m[1] as string;
    checkAi(ai);
    i += m[0].length;
    const fixed = predefinedValueLength(ai);
    let end: number;
    if (fixed !== undefined) {
      end = Math.min(i + fixed, hri.length);
    } else {
      end = hri.length;
      const next = /\((\d{2,4})\)/g;
      next.lastIndex = i + 1;
      for (let nm = next.exec(hri); nm; nm = next.exec(hri)) {
        if (aiLengthForPrefix((nm[1] as string).slice(0, 2)) === (nm[1] as string).length) {
          end = nm.index;
          break;
        }
      }
    }
    const value = hri.slice(i, end);
    validateElement(ai, value);
    out.push({ ai, value });
    i = end;
  }
  return out;
}

/** The parenthesised HRI form of these elements. */
export function formatHri(elements: readonly ElementString[]): string {
  if (elements.length === 0) throw new Gs1Error('no element strings');
  return elements
    .map(({ ai, value }) => {
      validateElement(ai, value);
      return `(${ai})${value}`;
    })
    .join('');
}

/** The transmitted form: concatenated, GS after each non-predefined-length value except the last. */
export function encodeTransmitted(elements: readonly ElementString[]): string {
  if (elements.length === 0) throw new Gs1Error('no element strings');
  let out = '';
  elements.forEach(({ ai, value }, k) => {
    validateElement(ai, value);
    out += ai + value;
    if (predefinedValueLength(ai) === undefined && k < elements.length - 1) out += GS;
  });
  return out;
}

/**
 * Parse the transmitted form (without the AIM identifier). A GS after a predefined-length value is
 * tolerated (encoders may emit one), as is a trailing GS; an empty element is an error.
 */
export function parseTransmitted(data: string): ElementString[] {
  const out: ElementString[] = [];
  let i = 0;
  if (data.length === 0) throw new Gs1Error('empty GS1 element string');
  while (i < data.length) {
    const prefix = data.slice(i, i + 2);
    const aiLen = /^\d\d$/.test(prefix) ? aiLengthForPrefix(prefix) : undefined;
    if (aiLen === undefined) throw new Gs1Error(`no valid AI at offset ${i} ("${data.slice(i, i + 4)}")`);
    const ai = data.slice(i, i + aiLen);
    if (!/^\d+$/.test(ai) || ai.length !== aiLen) throw new Gs1Error(`truncated AI at offset ${i}`);
    i += aiLen;
    const fixed = predefinedValueLength(ai);
    let end: number;
    if (fixed !== undefined) {
      end = i + fixed;
      if (end > data.length) throw new Gs1Error(`AI (${ai}): value truncated, needs ${fixed} characters`);
      if (data.slice(i, end).includes(GS))
        throw new Gs1Error(`AI (${ai}): GS inside a predefined-length value`);
    } else {
      const gs = data.indexOf(GS, i);
      end = gs < 0 ? data.length : gs;
    }
    const value = data.slice(i, end);
    validateElement(ai, value);
    out.push({ ai, value });
    i = end;
    if (data[i] === GS) i++;
  }
  return out;
}

/** `(01)…(10)…` → transmitted form with GS separators. */
export function hriToTransmitted(hri: string): string {
  return encodeTransmitted(parseHri(hri));
}

/** Transmitted form → `(01)…(10)…`. */
export function transmittedToHri(data: string): string {
  return formatHri(parseTransmitted(data));
}
