/** What the payment application says to the user: reasons in words, amounts, times. */
import type { AbortReason, LineItem } from '../../../payment/gateway-api.js';

export const REASON_TEXT: Readonly<Record<AbortReason, string>> = {
  'unknown-user': 'The user id is not registered',
  'unknown-merchant': 'The shop is not registered',
  'auth-invalid': 'The authentication was not accepted',
  'auth-expired': 'Your authentication has expired (one hour)',
  'device-mismatch': 'This phone is not registered for the user id',
  'not-agreed': 'You did not agree to the payment',
  'method-not-allowed': 'The shop does not allow this payment method',
  'issuer-not-accepted': 'The shop does not accept this card',
  'declined-expired-card': 'Declined: the card has expired',
  'declined-over-limit': 'Declined: over the credit limit',
  'declined-unknown-card': 'Declined: the issuer does not know the card',
  declined: 'Declined by the card issuer',
  'credit-unavailable': 'The card issuer cannot be reached',
  'phone-timeout': 'The phone did not answer in time',
  'no-confirmation': 'No confirmation was received',
  'wrong-password': 'Wrong password',
  cancelled: 'The payment was cancelled',
};

export function reasonText(reason: unknown): string {
  return typeof reason === 'string' && Object.hasOwn(REASON_TEXT, reason)
    ? REASON_TEXT[reason as AbortReason]
    : 'The payment server refused the payment';
}

/** ISO 4217 currencies without minor units (the amounts are integers in minor units). */
const NO_MINOR_UNITS = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'XAF', 'XOF', 'XPF', 'PYG', 'UGX']);

/** 1200 JPY → "1,200 JPY"; 1250 EUR → "12.50 EUR". */
export function formatAmount(minor: number, currency: string): string {
  const digits = NO_MINOR_UNITS.has(currency) ? 0 : 2;
  const major = Math.trunc(minor / 10 ** digits);
  const rest = Math.abs(minor % 10 ** digits);
  const grouped = String(Math.abs(major)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = minor < 0 ? '-' : '';
  return `${sign}${grouped}${digits ? `.${String(rest).padStart(digits, '0')}` : ''} ${currency}`;
}

export function itemLines(items: readonly LineItem[], currency: string): string[] {
  return items.map(
    (i) => `${i.goods} x${i.quantity} ${formatAmount(i.quantity * i.unitPrice + i.tax, currency)}`,
  );
}

/** Unix ms → "2026-01-01 01:00 UTC" (the phone shows UTC; it has no time zone setting). */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) return '?';
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}
