/**
 * What an acquirer-side caller (the seed-001 gateway, or the embodiment-2 POS) asks of an issuer's credit
 * server, in business terms. `devices/cat/iso8583-client.ts` carries these over ISO 8583 on TCP (2-byte
 * big-endian length prefix); docs/ISO8583.md gives the field mapping. Keeping the interface apart from the
 * codec lets the gateway be written against the business operations while the messages stay exact.
 */

/** ISO 8583 field 39 values used by the credit server (ISO 8583:1987 response codes). */
export const ResponseCode = {
  Approved: '00',
  InvalidTransaction: '12',
  InvalidAmount: '13',
  InvalidCardNumber: '14',
  FormatError: '30',
  ExpiredCard: '54',
  NotSufficientFunds: '51',
  TransactionNotPermitted: '57',
  IssuerUnavailable: '91',
  DuplicateTransmission: '94',
  SystemMalfunction: '96',
} as const;
export type ResponseCodeValue = (typeof ResponseCode)[keyof typeof ResponseCode];

export interface AuthorizationRequest {
  /** Card number, or in embodiment 2 the per-transaction encrypted card number. */
  pan: string;
  /** YYMM (field 14). */
  expiry: string;
  /** Minor units (field 4, n12). */
  amountMinor: number;
  /** ISO 4217 numeric (field 49), e.g. "392" for JPY. */
  currencyNumeric: string;
  /** System trace audit number (field 11), 1–999999; with terminalId it matches the response. */
  stan: number;
  /** Field 41, up to 8 characters. */
  terminalId: string;
  /** Field 42, up to 15 characters: the merchant code (for credit). */
  merchantId: string;
  /** Seed-001 payment method (L, I, B, pB, R), carried in field 48. */
  paymentMethod: string;
  installments?: number;
  /** The gateway's transaction number, carried in field 48 so the issuer's journal can name it. */
  transactionNumber: string;
  /** Transmission time, Date (field 7 MMDDhhmmss, 12 hhmmss, 13 MMDD in UTC). */
  at: Date;
}

export interface AuthorizationResponse {
  responseCode: string;
  approved: boolean;
  approvalCode?: string;
  rrn?: string;
}

export interface ReversalRequest {
  /** The authorization being reversed. */
  original: AuthorizationRequest;
  /** Trace number of the reversal message itself. */
  stan: number;
  at: Date;
}

/** Embodiment 2: the gateway hands the issuer the key of one encrypted card number. */
export interface KeyDelivery {
  encryptedPan: string;
  /** The per-transaction key, 32 bytes (AES-256), hex. */
  key: string;
  /** The gateway's transaction number the key belongs to. */
  transactionNumber: string;
  stan: number;
  at: Date;
}

export interface CreditHost {
  /** 0800 sign-on (field 70 = 001); resolves when the issuer answers 00. */
  signOn(): Promise<void>;
  /** 0800 echo (301). */
  echo(): Promise<void>;
  /** 0100 → 0110. Rejects only when no answer came (timeout, connection lost): then the outcome is unknown. */
  authorize(request: AuthorizationRequest): Promise<AuthorizationResponse>;
  /** 0400 → 0410 (field 90 names the original). Idempotent at the issuer. */
  reverse(request: ReversalRequest): Promise<AuthorizationResponse>;
  /** Embodiment-2 key delivery (0800 with field 70 = 161, see docs/ISO8583.md). */
  deliverKey(delivery: KeyDelivery): Promise<AuthorizationResponse>;
  close(): Promise<void>;
}
