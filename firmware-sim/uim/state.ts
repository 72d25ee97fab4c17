/**
 * The card's non-volatile state — what a real card keeps in EEPROM: the file tree with every EF's
 * contents, the secret-code counters, the on-card keys and the payment application's sequence counter.
 * Everything else (current file, verified codes, pending response data, security environment) is
 * volatile and lost at power-off. The state serialises to an image (image.ts).
 */
import type { AccessCondition, FileStructure } from './codecs.js';

export type CommandClass = 'gsm' | 'uicc';

export interface FileAccessRules {
  read: AccessCondition;
  update: AccessCondition;
  /** INCREASE (cyclic EFs); NEV when the file does not allow it. */
  increase: AccessCondition;
}

export interface FileState {
  /** File identifiers from the MF: [3F00] for the MF, [3F00, 7F20, 6F07] for EF_IMSI under DF_GSM. */
  path: number[];
  type: 'mf' | 'df' | 'adf' | 'ef';
  /** The specification's name, e.g. "EF_IMSI" (diagnostics only). */
  name: string;
  /** DF name (AID) of an ADF or of a proprietary DF selectable by name. */
  aid?: Uint8Array;
  structure?: FileStructure;
  /** Record EFs: record length and number of records; transparent EFs: 0. */
  recordLength?: number;
  recordCount?: number;
  /** Short file identifier 1–30 (UICC). */
  sfi?: number;
  access?: FileAccessRules;
  /** Contents: a transparent EF's bytes, or the records concatenated (cyclic: record 1 = most recent). */
  data?: Uint8Array;
}

/**
 * Key references (TS 102 221 §9.5.1): 01 PIN1/CHV1, 81 PIN2/CHV2, 0A ADM1, and 90 for the certificate
 * password of the proprietary certificate application (a local key reference of its own, b8 = 1).
 */
export const CodeRef = { PIN1: 0x01, PIN2: 0x81, ADM: 0x0a, CERTIFICATE: 0x90 } as const;

export interface RetryCode {
  /** The 8-byte PIN block (ASCII digits, FF padded) — as a real card keeps it in its EEPROM. */
  value: Uint8Array;
  max: number;
  remaining: number;
}

export interface CodeState {
  ref: number;
  name: string;
  code: RetryCode;
  /** Only PIN1 can be disabled; a disabled PIN's access condition is met without verification. */
  enabled: boolean;
  /** The unblocking code (PUK); absent = the code cannot be unblocked. */
  unblock?: RetryCode;
}

export type KeyAlgorithm = 'ec-p256' | 'rsa-2048';

export interface KeyState {
  /** Private key reference (01, 02). */
  ref: number;
  algorithm: KeyAlgorithm;
  /** PKCS#8 DER — never leaves the card. */
  privateKey: Uint8Array;
  /** SubjectPublicKeyInfo DER. */
  publicKey: Uint8Array;
}

export interface PaymentSecrets {
  /** Remaining attempts of the payment password (one counter for all users of the card). */
  remaining: number;
  max: number;
  /** Incremented with each authentication result the card issues (anti-replay for the gateway). */
  sequence: number;
  /** HMAC-SHA-256 key shared with the payment gateway; authenticates the results the card issues. */
  authKey?: Uint8Array;
}

export interface CardState {
  /** The profile the card was personalised from. */
  profile: string;
  commandClass: CommandClass;
  /** A UICC that also answers the GSM class (CLA A0), as most USIMs do. */
  gsmCompatible: boolean;
  atr: Uint8Array;
  files: FileState[];
  codes: CodeState[];
  keys: KeyState[];
  payment?: PaymentSecrets;
}
