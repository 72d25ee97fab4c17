/**
 * The wire contract of the seed-001 payment gateway (FLOWS.md seed 001; docs/SEED-001.md): JSON over
 * HTTPS between the gateway and its three clients — the POS, the phone's payment application and the
 * phone's mail fetch (the direction server). One module used by both ends, as every codec here is.
 * Amounts are integers in minor units of `currency` (ISO 4217; JPY has none).
 */

/** Payment methods of the merchant table (FIG. 10): lump sum, installments, bonus, partial bonus, revolving. */
export const PAYMENT_METHODS = ['L', 'I', 'B', 'pB', 'R'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const PAYMENT_METHOD_NAMES: Readonly<Record<PaymentMethod, string>> = {
  L: 'Lump sum',
  I: 'Installments',
  B: 'Bonus',
  pB: 'Bonus (partial)',
  R: 'Revolving',
};

export interface LineItem {
  goods: string;
  quantity: number;
  /** Price of one unit, minor units. */
  unitPrice: number;
  /** Tax on the line, minor units. */
  tax: number;
}

/** Why a transaction ended without payment. Shared by the POS API, the phone API and transcripts. */
export const ABORT_REASONS = [
  'unknown-user',
  'unknown-merchant',
  'auth-invalid',
  'auth-expired',
  'device-mismatch',
  'not-agreed',
  'method-not-allowed',
  'issuer-not-accepted',
  'declined-expired-card',
  'declined-over-limit',
  'declined-unknown-card',
  'declined',
  'credit-unavailable',
  'phone-timeout',
  'no-confirmation',
  'wrong-password',
  'cancelled',
] as const;
export type AbortReason = (typeof ABORT_REASONS)[number];

// ---- POS → gateway, embodiment 1 (steps 3, 4, 12) ----

/** POST /pos/v1/transactions, with header `Idempotency-Key` (the POS journal's request id). */
export interface TransactionNumberRequest {
  merchantCode: string;
  terminalId: string;
  userId: string;
  items: LineItem[];
  currency: string;
  /** Sum of quantity × unitPrice + tax over the items; the gateway checks it. */
  total: number;
}

export type TransactionStatus = 'pending' | 'completed' | 'aborted';

/** 201 on creation, 200 for a repeated Idempotency-Key; also GET /pos/v1/transactions/{id}[?waitMs=n]. */
export interface PosTransaction {
  transactionId: string;
  status: TransactionStatus;
  reason?: AbortReason;
  method?: PaymentMethod;
  approvalCode?: string;
  /** Retrieval reference number of the authorization (ISO 8583 field 37). */
  rrn?: string;
  /** ISO 8601, gateway time. */
  createdAt: string;
  completedAt?: string;
}

// ---- POS → gateway, embodiment 2 (steps 1–4) ----

/** POST /pos/v2/credit-requests, with `Idempotency-Key`. */
export interface CardlessCreditRequest {
  merchantCode: string;
  terminalId: string;
  userId: string;
  items: LineItem[];
  currency: string;
  total: number;
}

export type CreditRequestStatus = 'awaiting-confirmation' | 'ready' | 'cancelled' | 'rejected' | 'closed';

/** 201 / 200 as above; GET /pos/v2/credit-requests/{id}[?waitMs=n]. */
export interface PosCreditRequest {
  transactionId: string;
  status: CreditRequestStatus;
  reason?: AbortReason;
  /** With `ready`: the per-transaction encrypted card number, same format as a card number. */
  encryptedPan?: string;
  /** With `ready`: card expiry YYMM (ISO 8583 field 14). */
  expiry?: string;
  issuerCode?: string;
  /** With `closed`: what the POS reported (POST …/{id}/result). */
  result?: { approved: boolean; responseCode: string; approvalCode?: string };
  createdAt: string;
}

/** POST /pos/v2/credit-requests/{id}/result: the credit server's answer as the POS got it. */
export interface CreditResultReport {
  approved: boolean;
  responseCode: string;
  approvalCode?: string;
}

// ---- Direction server (mail), step 5 and embodiment 2 step 2 ----

export type MailKind = 'payment-request' | 'confirmation-request';

/** What the phone application does with a mail: start the payment application for a transaction. */
export interface PaymentRequestCommands {
  application: 'seed001-payment';
  action: 'pay';
  transactionId: string;
  /** Base URL of the phone API (https://…/phone/v1); its host must be the UIM's gateway host. */
  paymentServer: string;
}

export interface ConfirmationRequestCommands {
  application: 'seed001-payment';
  action: 'confirm';
  transactionId: string;
  merchantName: string;
  items: LineItem[];
  currency: string;
  total: number;
  /** ISO 8601: no reply by then cancels the transaction. */
  replyBy: string;
}

/**
 * GET /mail/v1/mailboxes/{deviceId}/messages → { messages: Mail[] }. The signature (base64) is a SHA-256
 * signature by the key of `certificate` over the UTF-8 of canonicalMailBody(mail), as Node's
 * `crypto.sign('sha256', …)` makes it (RSASSA-PKCS1-v1_5 for the CA's RSA keys); the certificate (PEM)
 * must chain to the phone's trusted CA and name the gateway host.
 */
export interface Mail {
  messageId: string;
  kind: MailKind;
  from: string;
  sentAt: string;
  commands: PaymentRequestCommands | ConfirmationRequestCommands;
  certificate: string;
  signature: string;
}

/** POST /mail/v1/mailboxes/{deviceId}/messages/{messageId}/reply (embodiment 2). */
export interface ConfirmationReply {
  password: string;
}

/** The bytes a mail signature covers: the fields in a fixed order, JSON without spaces. */
export function canonicalMailBody(
  mail: Pick<Mail, 'messageId' | 'kind' | 'from' | 'sentAt' | 'commands'>,
): string {
  return JSON.stringify([mail.messageId, mail.kind, mail.from, mail.sentAt, canonicalJson(mail.commands)]);
}

/** JSON with object keys sorted at every level, so both ends sign and check the same bytes. */
export function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = canonicalJson((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

// ---- Phone → gateway, steps 6–12 ----

/** POST {paymentServer}/transactions/{id}/authenticate */
export interface PhoneAuthentication {
  userId: string;
  deviceId: string;
  /** EF_PAY_AUTH as read from the UIM, 70 bytes, hex (firmware-sim/uim/payment.ts). */
  authResult: string;
}

/** 200 answer: the session for the next calls (header `Authorization: Bearer <session>`) and the details. */
export interface TransactionDetails {
  session: string;
  transactionId: string;
  merchantCode: string;
  merchantName: string;
  items: LineItem[];
  currency: string;
  total: number;
}

/** POST {paymentServer}/transactions/{id}/agreement */
export interface Agreement {
  agree: boolean;
}

/** Answer to an agreement: the methods the merchant allows for the card's issuer, or the end. */
export type AgreementAnswer =
  { status: 'choose-method'; methods: PaymentMethod[] } | { status: 'aborted'; reason: AbortReason };

/** POST {paymentServer}/transactions/{id}/method */
export interface MethodChoice {
  method: PaymentMethod;
  /** With `I`: the number of installments. */
  installments?: number;
}

export type PaymentOutcome =
  | { status: 'completed'; approvalCode: string; message: string }
  | { status: 'aborted'; reason: AbortReason; message: string };

/** Every 4xx/5xx answer of the gateway. */
export interface ApiError {
  error: string;
  reason?: AbortReason;
}
