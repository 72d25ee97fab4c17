/**
 * The receipt the POS prints at the end of a sale ([0094]: "finally prints out a receipt"): plain text,
 * 40 columns. Only masked data: the user id and (embodiment 2) the encrypted card number show their last
 * characters; a card number never reaches the POS at all.
 */
import {
  PAYMENT_METHOD_NAMES,
  type AbortReason,
  type LineItem,
  type PaymentMethod,
} from '../../firmware-sim/payment/gateway-api.js';

export const RECEIPT_WIDTH = 40;

/** ISO 4217 minor-unit exponents of the currencies a bench uses; others print with 2 decimals. */
const EXPONENT: Readonly<Record<string, number>> = { JPY: 0, KRW: 0, USD: 2, EUR: 2, GBP: 2 };

export interface ReceiptData {
  shopName: string;
  merchantCode: string;
  terminalId: string;
  saleId: string;
  /** ISO 8601 time of the outcome. */
  at: string;
  lines: LineItem[];
  currency: string;
  total: number;
  embodiment: 1 | 2;
  outcome: 'completed' | 'aborted' | 'declined';
  reason?: AbortReason;
  detail?: string;
  method?: PaymentMethod;
  approvalCode?: string;
  rrn?: string;
  transactionId?: string;
  userId?: string;
  encryptedPan?: string;
}

/** `1234` → `1,234` in the currency's minor units (JPY 1200 → "1,200 JPY", USD 1250 → "12.50 USD"). */
export function formatAmount(minor: number, currency: string): string {
  const exp = EXPONENT[currency] ?? 2;
  const negative = minor < 0;
  const abs = Math.abs(minor);
  const whole = Math.floor(abs / 10 ** exp);
  const frac = exp > 0 ? '.' + String(abs % 10 ** exp).padStart(exp, '0') : '';
  const grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${frac} ${currency}`;
}

/** Everything but the last `keep` characters replaced by `*`. */
export function mask(value: string, keep = 4): string {
  const shown = Math.min(keep, Math.floor(value.length / 2));
  return '*'.repeat(value.length - shown) + value.slice(value.length - shown);
}

function row(left: string, right: string): string {
  const space = RECEIPT_WIDTH - left.length - right.length;
  return space >= 1
    ? left + ' '.repeat(space) + right
    : `${left}\n${' '.repeat(Math.max(0, RECEIPT_WIDTH - right.length))}${right}`;
}

function centre(text: string): string {
  return ' '.repeat(Math.max(0, Math.floor((RECEIPT_WIDTH - text.length) / 2))) + text;
}

export function renderReceipt(r: ReceiptData): string {
  const out: string[] = [];
  const rule = '-'.repeat(RECEIPT_WIDTH);
  const merchantLine = `Merchant ${r.merchantCode}`;
  // A shop without a name of its own is named by its merchant code: once is enough.
  out.push(...(r.shopName === merchantLine ? [] : [centre(r.shopName)]), centre(merchantLine), rule);
  out.push(row(`Sale ${r.saleId}`, `Terminal ${r.terminalId}`), r.at, rule);
  let tax = 0;
  for (const l of r.lines) {
    out.push(l.goods.slice(0, RECEIPT_WIDTH));
    out.push(
      row(
        `  ${l.quantity} x ${formatAmount(l.unitPrice, r.currency)}`,
        formatAmount(l.quantity * l.unitPrice, r.currency),
      ),
    );
    tax += l.tax;
  }
  out.push(
    rule,
    row('Tax', formatAmount(tax, r.currency)),
    row('TOTAL', formatAmount(r.total, r.currency)),
    rule,
  );
  out.push(row('Payment', r.embodiment === 1 ? 'Phone (payment gateway)' : 'Card via gateway'));
  if (r.userId) out.push(row('User', mask(r.userId, 2)));
  if (r.encryptedPan) out.push(row('Card ref', mask(r.encryptedPan)));
  if (r.method) out.push(row('Method', PAYMENT_METHOD_NAMES[r.method] ?? r.method));
  if (r.transactionId) out.push(row('Transaction', r.transactionId));
  // An approval later reversed is not one the customer should keep.
  if (r.outcome === 'completed' && r.approvalCode) out.push(row('Approval code', r.approvalCode));
  if (r.outcome === 'completed' && r.rrn) out.push(row('RRN', r.rrn));
  out.push(rule);
  if (r.outcome === 'completed') out.push(centre('APPROVED'));
  else {
    out.push(centre(r.outcome === 'declined' ? 'DECLINED' : 'NOT PAID'));
    if (r.reason) out.push(centre(`(${r.reason})`));
    else if (r.detail) out.push(centre(`(${r.detail.slice(0, RECEIPT_WIDTH - 2)})`));
  }
  return out.join('\n') + '\n';
}
