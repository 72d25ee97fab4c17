/**
 * The mobile terminal's RS-232C line protocol toward the POS (docs/MOBILE-TERMINAL.md): ASCII lines ended
 * by CR LF, at most 80 octets with the ending. One codec for both ends: the terminal twin and a POS driver.
 * Parsers answer bad input with the protocol's own `ERR CMD` verdict and never throw.
 */

export const LINE_END = '\r\n';
export const MAX_LINE = 80;

export type ConfirmResult = 'AGREED' | 'DECLINED' | 'ABORTED';
const RESULTS: readonly ConfirmResult[] = ['AGREED', 'DECLINED', 'ABORTED'];

/** Reasons a terminal gives in `ERR`. */
export type TerminalErrorReason =
  | 'CMD' // the line is not a command of this protocol
  | 'NOPHONE' // CONFIRM with no phone linked
  | 'PAIRING' // the phone refused or failed pairing
  | 'TIMEOUT' // the phone did not answer in time
  | 'LINK' // the link to the phone dropped
  | 'NOUSER' // the phone has no authenticated user yet
  | 'VALUE'; // the phone sent a value the profile does not allow
const REASONS: readonly TerminalErrorReason[] = [
  'CMD',
  'NOPHONE',
  'PAIRING',
  'TIMEOUT',
  'LINK',
  'NOUSER',
  'VALUE',
];

/** POS → terminal. */
export type PosCommand = { kind: 'POLL' } | { kind: 'CONFIRM'; result: ConfirmResult; transactionId: string };

/** Terminal → POS. */
export type TerminalMessage =
  | { kind: 'UID'; userId: string; phone: string }
  | { kind: 'NONE' }
  | { kind: 'OK' }
  | { kind: 'TXN'; transactionId: string; amountMinor: number; currency: string }
  | { kind: 'ERR'; reason: TerminalErrorReason; phone?: string };

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: 'CMD' };

const USER_ID = /^[0-9A-Za-z]{1,16}$/;
const TXN_ID = /^[\x21-\x7e]{1,32}$/;
const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const CURRENCY = /^[A-Z]{3}$/;
const AMOUNT = /^(0|[1-9][0-9]{0,9})$/;

function line(text: string): Buffer {
  const b = Buffer.from(text + LINE_END, 'latin1');
  if (b.length > MAX_LINE) throw new RangeError(`line longer than ${MAX_LINE} octets`);
  return b;
}

export function encodePosCommand(c: PosCommand): Buffer {
  if (c.kind === 'POLL') return line('POLL');
  if (!RESULTS.includes(c.result) || !TXN_ID.test(c.transactionId))
    throw new RangeError('CONFIRM: result AGREED|DECLINED|ABORTED and a 1-32 character transaction id');
  return line(`CONFIRM ${c.result} ${c.transactionId}`);
}

export function parsePosCommand(text: string): Parsed<PosCommand> {
  const f = text.split(' ');
  if (f.length === 1 && f[0] === 'POLL') return { ok: true, value: { kind: 'POLL' } };
  if (f.length === 3 && f[0] === 'CONFIRM' && RESULTS.includes(f[1] as ConfirmResult) && TXN_ID.test(f[2]!))
    return { ok: true, value: { kind: 'CONFIRM', result: f[1] as ConfirmResult, transactionId: f[2]! } };
  return { ok: false, reason: 'CMD' };
}

export function encodeTerminalMessage(m: TerminalMessage): Buffer {
  switch (m.kind) {
    case 'UID':
      if (!USER_ID.test(m.userId) || !ADDRESS.test(m.phone)) throw new RangeError('UID: user id or address');
      return line(`UID ${m.userId} ${m.phone}`);
    case 'NONE':
    case 'OK':
      return line(m.kind);
    case 'TXN':
      if (!TXN_ID.test(m.transactionId) || !AMOUNT.test(String(m.amountMinor)) || !CURRENCY.test(m.currency))
        throw new RangeError('TXN: transaction id, amount or currency');
      return line(`TXN ${m.transactionId} ${m.amountMinor} ${m.currency}`);
    case 'ERR':
      if (!REASONS.includes(m.reason) || (m.phone !== undefined && !ADDRESS.test(m.phone)))
        throw new RangeError('ERR: reason or address');
      return line(m.phone ? `ERR ${m.reason} ${m.phone}` : `ERR ${m.reason}`);
  }
}

export function parseTerminalMessage(text: string): Parsed<TerminalMessage> {
  const f = text.split(' ');
  const bad = { ok: false, reason: 'CMD' } as const;
  switch (f[0]) {
    case 'UID':
      return f.length === 3 && USER_ID.test(f[1]!) && ADDRESS.test(f[2]!)
        ? { ok: true, value: { kind: 'UID', userId: f[1]!, phone: f[2]! } }
        : bad;
    case 'NONE':
    case 'OK':
      return f.length === 1 ? { ok: true, value: { kind: f[0] } } : bad;
    case 'TXN': {
      if (f.length !== 4 || !TXN_ID.test(f[1]!) || !AMOUNT.test(f[2]!) || !CURRENCY.test(f[3]!)) return bad;
      const amountMinor = Number(f[2]);
      if (amountMinor > 0xffffffff) return bad;
      return { ok: true, value: { kind: 'TXN', transactionId: f[1]!, amountMinor, currency: f[3]! } };
    }
    case 'ERR':
      if ((f.length !== 2 && f.length !== 3) || !REASONS.includes(f[1] as TerminalErrorReason)) return bad;
      if (f.length === 3 && !ADDRESS.test(f[2]!)) return bad;
      return {
        ok: true,
        value: {
          kind: 'ERR',
          reason: f[1] as TerminalErrorReason,
          ...(f.length === 3 ? { phone: f[2]! } : {}),
        },
      };
    default:
      return bad;
  }
}

/**
 * Splits a byte stream into lines at CR LF (a lone LF is accepted too, as terminals often send one).
 * A line longer than MAX_LINE is discarded up to its end and reported as an overlong line (`undefined`).
 */
export class LineFramer {
  private buf = '';
  private overlong = false;

  push(chunk: Uint8Array): (string | undefined)[] {
    this.buf += Buffer.from(chunk).toString('latin1');
    const out: (string | undefined)[] = [];
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) {
        if (this.buf.length > MAX_LINE) {
          this.buf = '';
          this.overlong = true;
        }
        return out;
      }
      const raw = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (this.overlong || text.length + 2 > MAX_LINE) out.push(undefined);
      else out.push(text);
      this.overlong = false;
    }
  }
}
