/**
 * UnifiedPOS constants, exception and event objects (UPOS 1.16: "Common" chapter and "Scanner" chapter),
 * in TypeScript spelling. Values are the specification's, so logs and bench transcripts read like UPOS.
 */
export { ScanDataType } from '../../../firmware-sim/scanner/symbology.js';

/** UposException.errorCode and ErrorEvent.errorCode. */
export const UposError = {
  E_CLOSED: 101,
  E_CLAIMED: 102,
  E_NOTCLAIMED: 103,
  E_NOSERVICE: 104,
  E_DISABLED: 105,
  E_ILLEGAL: 106,
  E_NOHARDWARE: 107,
  E_OFFLINE: 108,
  E_NOEXIST: 109,
  E_EXISTS: 110,
  E_FAILURE: 111,
  E_TIMEOUT: 112,
  E_BUSY: 113,
  E_EXTENDED: 114,
} as const;
export type UposErrorCode = (typeof UposError)[keyof typeof UposError];

/** The State property. */
export const UposState = {
  S_CLOSED: 1,
  S_IDLE: 2,
  S_BUSY: 3,
  S_ERROR: 4,
} as const;
export type UposStateValue = (typeof UposState)[keyof typeof UposState];

/** ErrorEvent.errorLocus. */
export const ErrorLocus = {
  EL_OUTPUT: 1,
  /** Error while gathering or processing event-driven input; no input data is queued. */
  EL_INPUT: 2,
  /** Error while gathering or processing input, and previously queued input data is still available. */
  EL_INPUT_DATA: 3,
} as const;
export type ErrorLocusValue = (typeof ErrorLocus)[keyof typeof ErrorLocus];

/** ErrorEvent.errorResponse (set by the application inside its handler). */
export const ErrorResponse = {
  ER_RETRY: 11,
  ER_CLEAR: 12,
  ER_CONTINUEINPUT: 13,
} as const;
export type ErrorResponseValue = (typeof ErrorResponse)[keyof typeof ErrorResponse];

/** CapPowerReporting. */
export const PowerReporting = {
  PR_NONE: 0,
  /** The service tells ONLINE from OFF_OFFLINE only (all a serial link can tell). */
  PR_STANDARD: 1,
  PR_ADVANCED: 2,
} as const;

/** PowerNotify. */
export const PowerNotify = {
  PN_DISABLED: 0,
  PN_ENABLED: 1,
} as const;
export type PowerNotifyValue = (typeof PowerNotify)[keyof typeof PowerNotify];

/** PowerState. */
export const PowerState = {
  PS_UNKNOWN: 2000,
  PS_ONLINE: 2001,
  PS_OFF: 2002,
  PS_OFFLINE: 2003,
  PS_OFF_OFFLINE: 2004,
} as const;
export type PowerStateValue = (typeof PowerState)[keyof typeof PowerState];

/** StatusUpdateEvent.status values common to all device classes (power reporting). */
export const StatusUpdate = {
  SUE_POWER_ONLINE: 2001,
  SUE_POWER_OFF: 2002,
  SUE_POWER_OFFLINE: 2003,
  SUE_POWER_OFF_OFFLINE: 2004,
} as const;

/** claim(timeout) value that waits as long as needed. */
export const FOREVER = -1;

/**
 * errorCodeExtended values this driver puts on E_FAILURE when the scanner rejects configuration.
 * UPOS leaves errorCodeExtended of E_FAILURE to the service; these are the scanner's own reply bytes.
 */
export const ExtendedFailure = {
  /** Honeywell: ENQ (0x05), the menu tag is not known to this scanner. */
  HONEYWELL_ENQ: 0x05,
  /** Honeywell: NAK (0x15), the tag is known but the value is out of range. */
  HONEYWELL_NAK: 0x15,
  /** SSI: CMD_NAK cause + 0x100 (DENIED 0x106, BAD_CONTEXT 0x102). */
  SSI_NAK_BASE: 0x100,
} as const;

const NAMES = new Map<number, string>(Object.entries(UposError).map(([k, v]) => [v, k]));

export function uposErrorName(code: number): string {
  return NAMES.get(code) ?? `E_${code}`;
}

/** What every method and property setter throws, as in UPOS: errorCode plus errorCodeExtended. */
export class UposException extends Error {
  override readonly name = 'UposException';
  readonly errorCode: number;
  readonly errorCodeExtended: number;

  constructor(errorCode: number, message: string, errorCodeExtended = 0, options?: { cause?: unknown }) {
    super(`${uposErrorName(errorCode)}: ${message}`, options);
    this.errorCode = errorCode;
    this.errorCodeExtended = errorCodeExtended;
  }
}

/** DataEvent: `status` is the number of bytes in scanData (the Scanner chapter's definition). */
export class DataEvent {
  constructor(readonly status: number) {}
}

/**
 * ErrorEvent. The application may change `errorResponse` inside its handler; the service acts on it when
 * the handler returns. The default depends on the locus: ER_CLEAR for EL_INPUT, ER_CONTINUEINPUT for
 * EL_INPUT_DATA.
 */
export class ErrorEvent {
  errorResponse: ErrorResponseValue;

  constructor(
    readonly errorCode: number,
    readonly errorCodeExtended: number,
    readonly errorLocus: ErrorLocusValue,
    /** Not in UPOS: a human-readable cause, for logs. */
    readonly message: string,
  ) {
    this.errorResponse =
      errorLocus === ErrorLocus.EL_INPUT_DATA ? ErrorResponse.ER_CONTINUEINPUT : ErrorResponse.ER_CLEAR;
  }
}

/** StatusUpdateEvent: `status` is one of the SUE_* values. */
export class StatusUpdateEvent {
  constructor(readonly status: number) {}
}
