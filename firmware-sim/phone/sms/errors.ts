/**
 * Decoding results of the SMS codec. Every public decoder answers arbitrary bytes with a value or with the
 * +CMS ERROR code an AT interpreter reports for them (3GPP TS 27.005 §3.2.5); none throws.
 *
 * Inside the codec a malformed field throws a `PduError`; the public entry points catch it (and anything
 * else) and turn it into a result, so a forgotten bound check degrades to an error code, not a crash.
 */

/** +CMS ERROR codes (TS 27.005 §3.2.5); 128–255 are TP-FCS values of TS 23.040 §9.2.3.22. */
export const CMS = {
  /** 0xB0 TPDU not supported. */
  TPDU_NOT_SUPPORTED: 176,
  /** 0x90 data coding scheme (alphabet) not supported. */
  DCS_NOT_SUPPORTED: 144,
  /** 0xC6 TP-VPF not supported. */
  VPF_NOT_SUPPORTED: 198,
  ME_FAILURE: 300,
  OPERATION_NOT_ALLOWED: 302,
  OPERATION_NOT_SUPPORTED: 303,
  INVALID_PDU_MODE_PARAMETER: 304,
  INVALID_TEXT_MODE_PARAMETER: 305,
  INVALID_MEMORY_INDEX: 321,
  UNKNOWN_ERROR: 500,
} as const;

export interface SmsError {
  /** The +CMS ERROR code this failure is reported with. */
  cms: number;
  /** What was wrong, naming the field (for logs and transcripts). */
  reason: string;
}

export type SmsResult<T> = { ok: true; value: T } | { ok: false; error: SmsError };

export class PduError extends Error {
  constructor(
    reason: string,
    readonly cms: number = CMS.INVALID_PDU_MODE_PARAMETER,
  ) {
    super(reason);
    this.name = 'PduError';
  }
}

export const ok = <T>(value: T): SmsResult<T> => ({ ok: true, value });
export const fail = <T>(reason: string, cms: number = CMS.INVALID_PDU_MODE_PARAMETER): SmsResult<T> => ({
  ok: false,
  error: { cms, reason },
});

/** Runs a decoder that may throw and answers with a result; the only place exceptions are caught. */
export function guard<T>(decode: () => T): SmsResult<T> {
  try {
    return ok(decode());
  } catch (e) {
    if (e instanceof PduError) return fail(e.message, e.cms);
    return fail(`malformed PDU: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A read cursor over a PDU: reading past the end throws a PduError naming the field. */
export class OctetReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get offset(): number {
    return this.at;
  }
  get remaining(): number {
    return this.bytes.length - this.at;
  }

  octet(field: string): number {
    const b = this.bytes[this.at];
    if (b === undefined) throw new PduError(`PDU ends before ${field}`);
    this.at++;
    return b;
  }

  take(n: number, field: string): Uint8Array {
    if (n < 0 || this.at + n > this.bytes.length) {
      throw new PduError(`PDU ends inside ${field} (needs ${n} octets, ${this.remaining} left)`);
    }
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }

  rest(): Uint8Array {
    return this.take(this.remaining, 'rest');
  }
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();
