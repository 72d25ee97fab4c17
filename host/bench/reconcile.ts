/**
 * Reconciliation of seed 001 after a run: the POS journal, the gateway's transactions and the issuers'
 * authorization journals must tell the same story of every payment — completed exactly once (one
 * approved, unreversed authorization at the issuer, the same approval code everywhere) or aborted with no
 * charge left standing. Any other combination is a lost or doubled payment, and is reported.
 */
import type { SaleRecord } from '../pos/journal.js';
import type { JournalEntry } from '../../services/gateway/gateway.js';
import type { JournalRow } from '../../services/credit/credit-server.js';

export type Verdict = 'completed' | 'aborted' | 'open';

export interface ReconciledPayment {
  transactionId: string;
  embodiment: 1 | 2;
  pos: string;
  gateway: string;
  /** Approved, unreversed authorizations at the issuers naming this transaction. */
  charges: number;
  verdict: Verdict;
}

export interface Reconciliation {
  payments: ReconciledPayment[];
  problems: string[];
}

const GATEWAY_DONE: Record<string, Verdict> = {
  completed: 'completed',
  aborted: 'aborted',
  cancelled: 'aborted',
  rejected: 'aborted',
};

/** The gateway's view in embodiment 2: `closed` carries the result the POS reported. */
function gatewayVerdict(g: JournalEntry | undefined): Verdict {
  if (!g) return 'open';
  if (g.state === 'closed') return g.responseCode === '00' ? 'completed' : 'aborted';
  return GATEWAY_DONE[g.state] ?? 'open';
}

function posVerdict(s: SaleRecord): Verdict {
  if (s.outcome === 'completed') return 'completed';
  if (s.outcome === 'aborted' || s.outcome === 'declined') return 'aborted';
  return 'open';
}

export function reconcile(
  sales: readonly SaleRecord[],
  gateway: readonly JournalEntry[],
  issuers: readonly JournalRow[],
): Reconciliation {
  const problems: string[] = [];
  const payments: ReconciledPayment[] = [];
  const byTxn = new Map(gateway.map((g) => [g.transactionId, g]));
  const charged = (tid: string): JournalRow[] =>
    issuers.filter(
      (r) => r.kind !== 'reversal' && r.transactionNumber === tid && r.responseCode === '00' && !r.reversed,
    );
  const seen = new Set<string>();
  for (const s of sales) {
    const tid = s.transactionId;
    if (!tid) {
      // The gateway never gave this sale a number: nothing may have been charged for it.
      if (posVerdict(s) === 'open')
        problems.push(`sale ${s.saleId}: unfinished and never reached the gateway`);
      continue;
    }
    seen.add(tid);
    const g = byTxn.get(tid);
    const charges = charged(tid);
    const pos = posVerdict(s);
    const gw = gatewayVerdict(g);
    const verdict: Verdict = pos === gw ? pos : 'open';
    payments.push({
      transactionId: tid,
      embodiment: s.embodiment,
      pos: s.outcome ?? s.state,
      gateway: g ? g.state : 'unknown to the gateway',
      charges: charges.length,
      verdict,
    });
    if (!g) problems.push(`${tid}: the POS has it, the gateway does not`);
    if (pos === 'open') problems.push(`${tid}: the POS sale ${s.saleId} is not finished (${s.state})`);
    if (g && gw === 'open') problems.push(`${tid}: the gateway left it ${g.state}`);
    if (pos !== 'open' && gw !== 'open' && pos !== gw)
      problems.push(`${tid}: the POS says ${pos}, the gateway ${gw}`);
    const expected = pos === 'completed' || gw === 'completed' ? 1 : 0;
    if (charges.length !== expected) {
      problems.push(
        `${tid}: ${charges.length} approved unreversed authorization(s) at the issuer, expected ${expected}`,
      );
    }
    const codes = new Set(
      [s.approvalCode, g?.approvalCode, ...charges.map((c) => c.approvalCode)].filter(
        (c): c is string => c !== undefined,
      ),
    );
    if (pos === 'completed' && codes.size > 1)
      problems.push(`${tid}: approval codes differ: ${[...codes].join(', ')}`);
  }
  for (const g of gateway) {
    if (seen.has(g.transactionId)) continue;
    // A transaction the POS never learned of (its request was lost with its answer) must not be charged.
    const charges = charged(g.transactionId);
    payments.push({
      transactionId: g.transactionId,
      embodiment: g.embodiment,
      pos: 'unknown to the POS',
      gateway: g.state,
      charges: charges.length,
      verdict: charges.length === 0 && gatewayVerdict(g) !== 'completed' ? 'aborted' : 'open',
    });
    if (charges.length > 0 || gatewayVerdict(g) === 'completed')
      problems.push(`${g.transactionId}: charged or completed at the gateway, unknown to the POS`);
  }
  for (const r of issuers) {
    if (r.kind === 'reversal' || r.responseCode !== '00' || r.reversed) continue;
    if (!r.transactionNumber || !byTxn.has(r.transactionNumber))
      problems.push(
        `issuer ${r.issuerCode}: approved authorization STAN ${r.stan} names no known transaction (${r.transactionNumber ?? 'none'})`,
      );
  }
  return { payments, problems };
}
