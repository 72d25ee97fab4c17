/**
 * Command APDUs and the T=0 procedure status words, handled on the host as a terminal must: neither
 * pcscd (for vpcd or a CCID reader at TPDU level) nor a phone's AT+CSIM fetches the rest of an answer.
 *   61xx (UICC) / 9Fxx (GSM): xx bytes wait → GET RESPONSE with Le = xx (00 = 256);
 *   6Cxx: wrong Le → send the same command again with Le = xx.
 * ISO 7816-3 §10.3.3 and ISO 7816-4 §5.3.4; TS 102 221 §7.3.1.1.4; TS 51.011 §9.4.
 */
import { concatBytes, statusWordOf } from '../../../firmware-sim/uim/codecs.js';
import type { ApduTransport } from './channel.js';

export interface ApduResponse {
  /** Response data, with the parts of every GET RESPONSE joined. */
  data: Uint8Array;
  /** SW1 SW2 of the final response. */
  sw: number;
}

/** A response that is not an APDU response at all (fewer than two bytes). */
export class ApduProtocolError extends Error {
  override readonly name = 'ApduProtocolError';
}

/** INS of GET RESPONSE. */
export const INS_GET_RESPONSE = 0xc0;

/**
 * A short command APDU: case 1 (header), 2 (Le), 3 (Lc + data), 4 (Lc + data + Le). `le` 1..256 (256 is
 * sent as 00); `le` 0 is not Le = 0 but "no Le", as ISO 7816-4 short form cannot say "expect nothing".
 */
export function buildApdu(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data?: Uint8Array,
  le?: number,
): Uint8Array {
  for (const [name, v] of [
    ['CLA', cla],
    ['INS', ins],
    ['P1', p1],
    ['P2', p2],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} ${v} is not a byte`);
  }
  if (data && (data.length === 0 || data.length > 255)) {
    throw new RangeError(`command data of ${data.length} bytes: short APDUs carry 1..255`);
  }
  if (le !== undefined && (!Number.isInteger(le) || le < 0 || le > 256)) {
    throw new RangeError(`Le ${le}: expected 0..256`);
  }
  const out = [cla, ins, p1, p2];
  if (data) out.push(data.length, ...data);
  if (le !== undefined && le > 0) out.push(le & 0xff);
  return Uint8Array.from(out);
}

/** The same command with Le set to `le` (1..256): added to a case 1/3 command, replaced in a case 2/4 one. */
export function withLe(command: Uint8Array, le: number): Uint8Array {
  const leByte = le & 0xff;
  if (command.length <= 4) return Uint8Array.from([...command.subarray(0, 4), leByte]);
  if (command.length === 5) return Uint8Array.from([...command.subarray(0, 4), leByte]);
  const lc = command[4] ?? 0;
  const withoutLe = command.subarray(0, 5 + lc);
  return Uint8Array.from([...withoutLe, leByte]);
}

export interface ProcedureOptions {
  /** CLA of GET RESPONSE: 00 for a UICC, A0 for a GSM SIM (the class of the command it completes). */
  getResponseCla: number;
  /** Bound on GET RESPONSE / resend rounds, so a card that always says 61xx cannot hang the host. */
  maxRounds?: number;
}

/** Sends `command` and completes it through 61xx / 9Fxx / 6Cxx until a final status word arrives. */
export async function transmitT0(
  transport: ApduTransport,
  command: Uint8Array,
  options: ProcedureOptions,
): Promise<ApduResponse> {
  const maxRounds = options.maxRounds ?? 32;
  const parts: Uint8Array[] = [];
  let next = command;
  for (let round = 0; ; round++) {
    const response = await transport.transmit(next);
    const sw = statusWordOf(response);
    if (sw === undefined) {
      throw new ApduProtocolError(
        `the card answered ${hexOf(next.subarray(0, 4))} with ${response.length} byte(s), not a status word`,
      );
    }
    const body = response.subarray(0, response.length - 2);
    const sw1 = sw >> 8;
    const sw2 = sw & 0xff;
    if (round >= maxRounds || (sw1 !== 0x61 && sw1 !== 0x9f && sw1 !== 0x6c)) {
      parts.push(body);
      return { data: concatBytes(parts), sw };
    }
    if (sw1 === 0x6c) {
      // The answer to the corrected command replaces this one (which carries no data).
      next = withLe(next, sw2 === 0 ? 256 : sw2);
      continue;
    }
    parts.push(body);
    next = Uint8Array.of(options.getResponseCla, INS_GET_RESPONSE, 0x00, 0x00, sw2);
  }
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}
