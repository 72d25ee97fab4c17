/**
 * The transaction history page ([0120]): a user's rows of the transaction table (FIG. 8 — transaction id,
 * date/time, merchant number, details: goods, quantity, price, tax, payment method) as HTML.
 */
import { PAYMENT_METHOD_NAMES, type PaymentMethod } from '../../firmware-sim/payment/gateway-api.js';
import type { TransactionRow } from './store.js';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** FIG. 8's date/time, "2001/7/3 10:20", in UTC. */
function figureDate(epochMs: number): string {
  const d = new Date(epochMs);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCFullYear()}/${d.getUTCMonth() + 1}/${d.getUTCDate()} ${hh}:${mm}`;
}

function outcome(t: TransactionRow): string {
  if (t.reason) return `${t.state} (${t.reason})`;
  return t.state;
}

export function historyPage(userId: string, rows: readonly TransactionRow[]): string {
  const body = rows
    .map((t) => {
      const method = t.method ? PAYMENT_METHOD_NAMES[t.method as PaymentMethod] : '';
      const details = t.items
        .map(
          (i) =>
            `<li><span class="goods">${escapeHtml(i.goods)}</span>, quantity ${i.quantity}, price ${i.unitPrice}, tax ${i.tax}</li>`,
        )
        .join('');
      return [
        '<tr>',
        `<td class="transaction">${escapeHtml(t.id)}</td>`,
        `<td class="date">${figureDate(t.createdAt)}</td>`,
        `<td class="merchant">${escapeHtml(t.merchantCode)}</td>`,
        `<td class="details"><ul>${details}</ul>total ${t.total} ${escapeHtml(t.currency)}`,
        method ? `; payment method: <span class="method">${escapeHtml(method)}</span>` : '',
        '</td>',
        `<td class="status">${escapeHtml(outcome(t))}</td>`,
        '</tr>',
      ].join('');
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Transactions of user ${escapeHtml(userId)}</title></head>
<body><h1>Transactions of user ${escapeHtml(userId)}</h1>
<table>
<thead><tr><th>Transaction ID</th><th>Date/time</th><th>Merchant number</th><th>Transaction details</th><th>Status</th></tr></thead>
<tbody>
${body}
</tbody></table></body></html>
`;
}
