/**
 * The seed-001 POS application (POS terminal 11, FIG. 18 steps Sd1–Sd7; POS terminal 11A of embodiment 2,
 * FIG. 23 and [0154]–[0163]). Host software a POS vendor would write: it takes a user id from a
 * `UserIdSource` (mobile terminal, BLE, keyboard), asks the gateway for a transaction number, waits for
 * the completion, stores it, prints a receipt and tells the phone. In embodiment 2 it receives the
 * per-transaction encrypted card number and asks the issuer's credit server itself (ISO 8583 through a
 * `CreditHost`), then reports the answer to the gateway.
 *
 * Each sale is a state machine over the journal (journal.ts): a step reads the sale, does one external
 * thing, and commits the result, which is on disk before the next; `resume()` after a restart runs the same
 * machine from what was committed, with the same idempotency key and the same STAN, so nothing is paid
 * twice.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../../firmware-sim/clock.js';
import type { AuthorizationRequest, CreditHost } from '../../firmware-sim/cat/credit-host.js';
import {
  ABORT_REASONS,
  type AbortReason,
  type LineItem,
  type PaymentMethod,
  type PosCreditRequest,
  type PosTransaction,
} from '../../firmware-sim/payment/gateway-api.js';
import { GatewayError, type GatewayClient } from './gateway-client.js';
import { PosJournal, type SaleOutcome, type SaleRecord, type SaleUpdate } from './journal.js';
import { renderReceipt } from './receipt.js';
import type { ConfirmResult, UserIdSource } from './user-id-source.js';

/** FIG. 23 / FIG. 24A: per accepted issuer, the methods this shop offers and its merchant code for credit. */
export interface CreditTableEntry {
  issuerCode: string;
  methods: PaymentMethod[];
  merchantCodeForCredit: string;
}

export interface PosOpenOptions {
  dbFile: string;
  clock: Clock;
  /** Also ISO 8583 field 41 in embodiment 2: at most 8 characters. */
  terminalId: string;
  merchantCode: string;
  shopName?: string;
  gateway: GatewayClient;
  userIdSource: UserIdSource;
  /** Embodiment 2: the issuer's credit server for an issuer code (the application closes it). */
  creditHost?: (issuerCode: string) => CreditHost;
  /** Embodiment 2: FIG. 23 / 24A. Without it every issuer is accepted with every method. */
  creditTable?: CreditTableEntry[];
  printer?: (receipt: string) => void;
  /** Epoch ms at clock time 0, for the dates on receipts and in the journal. */
  epochAtClockZero?: number;
  /** Wait of one long poll (default 25 s). */
  longPollMs?: number;
  /** Pause before repeating a step after a transient failure (default 1 s). */
  retryDelayMs?: number;
  /** Sends of one authorization (same STAN) before its outcome is left unknown (default 3). */
  authorizeAttempts?: number;
}

export interface SaleRequest {
  items: LineItem[];
  currency: string;
  embodiment: 1 | 2;
  /** Embodiment 2: the method the customer asked for at the counter (default L, lump sum). */
  method?: PaymentMethod;
  installments?: number;
}

export interface SaleResult {
  saleId: string;
  /** `unknown`: the issuer did not answer the authorization; `resume()` asks again with the same STAN. */
  outcome: SaleOutcome | 'unknown';
  reason?: AbortReason;
  transactionId?: string;
  method?: PaymentMethod;
  approvalCode?: string;
  receipt?: string;
  record: SaleRecord;
}

export type PosStepName =
  | 'entered'
  | 'user-id'
  | 'transaction-number'
  | 'credit-request'
  | 'card-ready'
  | 'authorization-sent'
  | 'authorization'
  | 'outcome-unknown'
  | 'result-reported'
  | 'result-refused'
  | 'reversal-sent'
  | 'reversal'
  | 'cancel-requested'
  | 'cancel-sent'
  | 'cancel-refused'
  | 'completed'
  | 'aborted'
  | 'declined'
  | 'receipt'
  | 'confirmed'
  | 'retry'
  | 'resumed';

export interface PosStep {
  saleId: string;
  step: PosStepName;
  /** ISO 8601 (epochAtClockZero + clock). */
  at: string;
  detail?: Record<string, unknown>;
}

export interface PosApplicationEvents {
  step: [step: PosStep];
}

/** The application was closed while a sale ran; the sale is left in the journal for `resume()`. */
export class PosClosedError extends Error {
  override readonly name = 'PosClosedError';
}

/** ISO 4217 numeric codes for ISO 8583 field 49. */
const CURRENCY_NUMERIC: Readonly<Record<string, string>> = {
  JPY: '392',
  USD: '840',
  EUR: '978',
  GBP: '826',
  KRW: '410',
};

/** The issuer's ISO 8583 response code as the abort reason of the contract. */
function declineReason(responseCode: string): AbortReason {
  switch (responseCode) {
    case '54':
      return 'declined-expired-card';
    case '51':
      return 'declined-over-limit';
    case '14':
      return 'declined-unknown-card';
    case '91':
    case '96':
      return 'credit-unavailable';
    default:
      return 'declined';
  }
}

function asReason(v: unknown): AbortReason | undefined {
  return typeof v === 'string' && (ABORT_REASONS as readonly string[]).includes(v)
    ? (v as AbortReason)
    : undefined;
}

interface Runner {
  ctl: AbortController;
  done: Promise<SaleResult>;
}

export class PosApplication extends EventEmitter<PosApplicationEvents> {
  readonly journal: PosJournal;
  private readonly o: PosOpenOptions;
  private readonly epoch: number;
  private readonly longPollMs: number;
  private readonly retryDelayMs: number;
  private readonly authorizeAttempts: number;
  private readonly running = new Map<string, Runner>();
  private readonly hosts = new Map<string, CreditHost>();
  private closed = false;

  private constructor(options: PosOpenOptions) {
    super();
    if (options.terminalId.length === 0 || options.terminalId.length > 8)
      throw new RangeError('terminalId: 1-8 characters (ISO 8583 field 41)');
    this.o = options;
    this.journal = new PosJournal(options.dbFile, options.clock);
    const c = options.clock;
    this.epoch = options.epochAtClockZero ?? (c.virtual ? Date.UTC(2026, 0, 1) : Date.now() - c.now());
    this.longPollMs = options.longPollMs ?? 25_000;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.authorizeAttempts = options.authorizeAttempts ?? 3;
  }

  static open(options: PosOpenOptions): PosApplication {
    return new PosApplication(options);
  }

  /** Record the sale (Sd1) and run it; `done` settles with the outcome. */
  startSale(request: SaleRequest): { saleId: string; done: Promise<SaleResult> } {
    if (this.closed) throw new PosClosedError('the POS application is closed');
    const total = checkSale(request);
    if (request.embodiment === 2 && !this.o.creditHost)
      throw new RangeError('embodiment 2 needs creditHost (the issuer client)');
    const record = this.journal.createSale({
      idempotencyKey: randomUUID(),
      terminalId: this.o.terminalId,
      merchantCode: this.o.merchantCode,
      lines: request.items,
      total,
      currency: request.currency,
      embodiment: request.embodiment,
      method: request.embodiment === 2 ? (request.method ?? 'L') : undefined,
      at: this.now(),
    });
    this.step(record.saleId, 'entered', {
      total,
      currency: request.currency,
      embodiment: request.embodiment,
    });
    return { saleId: record.saleId, done: this.run(record.saleId) };
  }

  sale(request: SaleRequest): Promise<SaleResult> {
    return this.startSale(request).done;
  }

  /** Continue every sale the journal holds unfinished (after a restart), with its stored key and STAN. */
  resume(): Promise<SaleResult[]> {
    const runs = this.journal
      .unfinished()
      .filter((s) => !this.running.has(s.saleId))
      .map((s) => {
        this.step(s.saleId, 'resumed', { state: s.state });
        return this.run(s.saleId);
      });
    return Promise.all(runs);
  }

  /**
   * The clerk cancels. Before the gateway knows the sale, it ends here; after, the gateway is asked to
   * cancel and has the last word (a payment already completed stays completed). Once the embodiment-2
   * authorization has been sent, a cancel is refused (the issuer may have approved it).
   */
  cancel(saleId: string): void {
    const s = this.journal.get(saleId);
    if (!s) throw new RangeError(`no sale ${saleId}`);
    if (
      s.state === 'finishing' ||
      s.state === 'done' ||
      s.state === 'authorizing' ||
      s.state === 'reporting' ||
      s.state === 'reversing'
    ) {
      this.step(saleId, 'cancel-refused', { state: s.state });
      return;
    }
    if (!s.cancelRequested)
      this.journal.update(saleId, { cancelRequested: true, updatedAt: this.now() }, 'cancel requested');
    this.step(saleId, 'cancel-requested', { state: s.state });
    this.running.get(saleId)?.ctl.abort();
  }

  /** Stop every running sale where it stands (they stay in the journal), close the issuer clients. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.running.values()) r.ctl.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    for (const h of this.hosts.values()) await h.close().catch(() => undefined);
    this.journal.close();
  }

  // ---- the machine ----

  private run(saleId: string): Promise<SaleResult> {
    const runner: Runner = { ctl: new AbortController(), done: Promise.resolve(undefined as never) };
    runner.done = this.drive(saleId, runner).finally(() => this.running.delete(saleId));
    this.running.set(saleId, runner);
    return runner.done;
  }

  private async drive(saleId: string, runner: Runner): Promise<SaleResult> {
    for (;;) {
      if (this.closed) throw new PosClosedError(`closed with sale ${saleId} under way`);
      let s = this.journal.get(saleId)!;
      // A step that sends, prints or answers starts from a state on disk, since what it does depends on
      // it; waiting for the user id or a long poll (a read) need not wait for the disk.
      if (!waitsOnly(s)) {
        await this.durable(saleId);
        s = this.journal.get(saleId)!;
      }
      if (s.state === 'done') return this.result(s);
      if (runner.ctl.signal.aborted) runner.ctl = new AbortController();
      const signal = runner.ctl.signal;
      try {
        const settled = await this.advance(s, signal);
        if (settled) {
          await this.durable(saleId);
          return settled;
        }
      } catch (e) {
        if (signal.aborted || this.closed) continue;
        if (e instanceof GatewayError && e.transient) {
          this.step(saleId, 'retry', { state: s.state, error: e.message });
          await this.pause(this.retryDelayMs, signal);
          continue;
        }
        throw e;
      }
    }
  }

  /** One step of a sale; a result when the sale stops without being done (outcome unknown). */
  private async advance(s: SaleRecord, signal: AbortSignal): Promise<SaleResult | undefined> {
    switch (s.state) {
      case 'awaiting-user-id':
        return this.awaitUserId(s, signal);
      case 'requesting':
        return this.request(s, signal);
      case 'pending':
        return this.followTransaction(s, signal);
      case 'awaiting-card':
        return this.followCreditRequest(s, signal);
      case 'authorizing':
        return this.authorize(s, signal);
      case 'reporting':
        return this.report(s, signal);
      case 'reversing':
        return this.reverse(s, signal);
      case 'finishing':
        return this.finishSale(s);
      case 'done':
        return this.result(s);
    }
  }

  /** Sd4: ask the source until a user id arrives. */
  private async awaitUserId(s: SaleRecord, signal: AbortSignal): Promise<undefined> {
    if (s.cancelRequested) return this.conclude(s, { outcome: 'aborted', reason: 'cancelled' });
    const arrival = await this.o.userIdSource.waitForUserId(signal);
    this.journal.update(
      s.saleId,
      { state: 'requesting', userId: arrival.userId, phone: arrival.phone, updatedAt: this.now() },
      `user id from ${this.o.userIdSource.kind}`,
    );
    this.step(s.saleId, 'user-id', {
      userId: arrival.userId,
      phone: arrival.phone,
      source: this.o.userIdSource.kind,
    });
  }

  /** Sd5 / S01: the request to the gateway, under the sale's idempotency key. */
  private async request(s: SaleRecord, signal: AbortSignal): Promise<undefined> {
    const body = {
      merchantCode: s.merchantCode,
      terminalId: s.terminalId,
      userId: s.userId!,
      items: s.lines,
      currency: s.currency,
      total: s.total,
    };
    try {
      if (s.embodiment === 1) {
        const tx = await this.o.gateway.createTransaction(s.idempotencyKey, body, signal);
        this.journal.update(
          s.saleId,
          { state: 'pending', transactionId: tx.transactionId, updatedAt: this.now() },
          'transaction number',
        );
        this.step(s.saleId, 'transaction-number', { transactionId: tx.transactionId, status: tx.status });
      } else {
        const cr = await this.o.gateway.createCreditRequest(s.idempotencyKey, body, signal);
        this.journal.update(
          s.saleId,
          { state: 'awaiting-card', transactionId: cr.transactionId, updatedAt: this.now() },
          'credit request',
        );
        this.step(s.saleId, 'credit-request', { transactionId: cr.transactionId, status: cr.status });
      }
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'http' && !e.transient) return this.refused(s, e);
      throw e;
    }
  }

  /** Sd6–Sd7: the long poll until the gateway forwards the completion (or the abort). */
  private async followTransaction(s: SaleRecord, signal: AbortSignal): Promise<undefined> {
    const id = s.transactionId!;
    let tx: PosTransaction;
    try {
      if (s.cancelRequested && !s.cancelSent)
        tx = await this.sendCancel(s, () => this.o.gateway.cancelTransaction(id, signal));
      else tx = await this.o.gateway.getTransaction(id, this.longPollMs, signal);
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'http' && !e.transient) return this.refused(s, e);
      throw e;
    }
    if (tx.status === 'completed')
      return this.conclude(s, {
        outcome: 'completed',
        method: tx.method,
        approvalCode: tx.approvalCode,
        rrn: tx.rrn,
      });
    if (tx.status === 'aborted')
      return this.conclude(s, { outcome: 'aborted', reason: tx.reason ?? 'cancelled' });
  }

  /** Embodiment 2, S12/S15: wait for the encrypted card number; check the issuer against FIG. 23. */
  private async followCreditRequest(s: SaleRecord, signal: AbortSignal): Promise<undefined> {
    const id = s.transactionId!;
    let cr: PosCreditRequest;
    try {
      if (s.cancelRequested && !s.cancelSent)
        cr = await this.sendCancel(s, () => this.o.gateway.cancelCreditRequest(id, signal));
      else cr = await this.o.gateway.getCreditRequest(id, this.longPollMs, signal);
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'http' && !e.transient) return this.refused(s, e);
      throw e;
    }
    switch (cr.status) {
      case 'awaiting-confirmation':
        return;
      case 'cancelled':
      case 'rejected':
        // A reason the POS set itself (issuer not accepted here) wins over the gateway's `cancelled`.
        return this.conclude(s, { outcome: 'aborted', reason: s.reason ?? cr.reason ?? 'cancelled' });
      case 'closed':
        // Reported before a restart: the gateway holds the issuer's answer.
        return this.conclude(s, {
          outcome: cr.result?.approved ? 'completed' : 'declined',
          responseCode: cr.result?.responseCode,
          approvalCode: cr.result?.approvalCode,
          ...(cr.result?.approved ? {} : { reason: declineReason(cr.result?.responseCode ?? '') }),
        });
      case 'ready': {
        if (!cr.encryptedPan || !cr.expiry || !cr.issuerCode) {
          this.journal.update(s.saleId, {
            cancelRequested: true,
            detail: 'ready without card data',
            updatedAt: this.now(),
          });
          return;
        }
        const refusal = this.acceptance(cr.issuerCode, s.method ?? 'L');
        if (refusal) {
          this.journal.update(
            s.saleId,
            { cancelRequested: true, reason: refusal, issuerCode: cr.issuerCode, updatedAt: this.now() },
            refusal,
          );
          this.step(s.saleId, 'cancel-requested', { reason: refusal });
          return;
        }
        // The STAN and time are fixed before the first send: a repeat is the same message to the issuer.
        const stan = this.journal.nextCounter(`stan:${this.o.terminalId}`, 999_999);
        this.journal.update(
          s.saleId,
          {
            state: 'authorizing',
            encryptedPan: cr.encryptedPan,
            expiry: cr.expiry,
            issuerCode: cr.issuerCode,
            stan,
            authorizationAt: this.now(),
            updatedAt: this.now(),
          },
          'encrypted card number',
        );
        this.step(s.saleId, 'card-ready', { issuerCode: cr.issuerCode, stan });
        return;
      }
    }
  }

  /** Embodiment 2, S16–S21: the 0100 to the issuer; repeats keep the STAN (the issuer answers a repeat from its journal). */
  private async authorize(s: SaleRecord, signal: AbortSignal): Promise<SaleResult | undefined> {
    const host = this.hostFor(s.issuerCode!);
    const request = this.authorizationOf(s);
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.authorizeAttempts; attempt++) {
      this.step(s.saleId, 'authorization-sent', { stan: request.stan, attempt });
      try {
        const answer = await abortable(host.authorize(request), signal);
        const approved = answer.approved && answer.responseCode === '00';
        this.journal.update(
          s.saleId,
          {
            state: 'reporting',
            outcome: approved ? 'completed' : 'declined',
            responseCode: answer.responseCode,
            approvalCode: answer.approvalCode,
            rrn: answer.rrn,
            ...(approved ? {} : { reason: declineReason(answer.responseCode) }),
            updatedAt: this.now(),
          },
          `issuer answered ${answer.responseCode}`,
        );
        this.step(s.saleId, 'authorization', { responseCode: answer.responseCode, approved });
        return;
      } catch (e) {
        if (signal.aborted) throw e;
        lastError = e;
        if (attempt < this.authorizeAttempts) await this.pause(this.retryDelayMs, signal);
      }
    }
    this.journal.update(
      s.saleId,
      { detail: `no answer from the issuer: ${String(lastError)}`, updatedAt: this.now() },
      'outcome unknown',
    );
    this.step(s.saleId, 'outcome-unknown', { stan: request.stan });
    return this.result(this.journal.get(s.saleId)!);
  }

  /** Embodiment 2: the issuer's answer to the gateway (keyed, so a repeat after a restart is harmless). */
  private async report(s: SaleRecord, signal: AbortSignal): Promise<undefined> {
    const report = {
      approved: s.outcome === 'completed',
      responseCode: s.responseCode!,
      ...(s.approvalCode ? { approvalCode: s.approvalCode } : {}),
    };
    let detail: string | undefined;
    try {
      await this.o.gateway.reportCreditResult(s.transactionId!, report, `${s.idempotencyKey}:result`, signal);
    } catch (e) {
      if (!(e instanceof GatewayError && e.code === 'http' && !e.transient)) throw e;
      if (report.approved && e.status === 409) {
        // The gateway has ended the transaction meanwhile (it will not take the result): the approval
        // is undone at the issuer, so the sale ends unpaid on both sides. The 0400's STAN is fixed first.
        const reversalStan = this.journal.nextCounter(`stan:${this.o.terminalId}`, 999_999);
        this.journal.update(
          s.saleId,
          { state: 'reversing', reversalStan, detail: e.message, updatedAt: this.now() },
          'result refused by the gateway',
        );
        this.step(s.saleId, 'result-refused', { error: e.message, reversalStan });
        return;
      }
      // A decline stands whatever the gateway says of the report; keep what it said.
      detail = e.message;
    }
    this.journal.update(
      s.saleId,
      { state: 'finishing', completedAt: this.now(), detail, updatedAt: this.now() },
      'result reported',
    );
    this.step(s.saleId, 'result-reported', {
      approved: report.approved,
      ...(detail ? { error: detail } : {}),
    });
    this.step(s.saleId, s.outcome === 'completed' ? 'completed' : 'declined', {
      transactionId: s.transactionId,
      approvalCode: s.approvalCode,
      reason: s.reason,
    });
  }

  /** 0400 for an approval the gateway refused; idempotent at the issuer, so repeated until answered. */
  private async reverse(s: SaleRecord, signal: AbortSignal): Promise<undefined> {
    const host = this.hostFor(s.issuerCode!);
    this.step(s.saleId, 'reversal-sent', { stan: s.reversalStan });
    try {
      const answer = await abortable(
        host.reverse({ original: this.authorizationOf(s), stan: s.reversalStan!, at: new Date(this.now()) }),
        signal,
      );
      this.step(s.saleId, 'reversal', { responseCode: answer.responseCode });
    } catch (e) {
      if (signal.aborted) throw e;
      this.step(s.saleId, 'retry', { state: s.state, error: String(e) });
      await this.pause(this.retryDelayMs, signal);
      return;
    }
    return this.conclude(s, { outcome: 'aborted', reason: 'cancelled' });
  }

  /** Print (Sd7: "finally prints out a receipt") and tell the phone; then the sale is done. */
  private async finishSale(s: SaleRecord): Promise<SaleResult> {
    let rec = s;
    if (!rec.printedAt) {
      const receipt =
        rec.receipt ??
        renderReceipt({
          shopName: this.o.shopName ?? `Merchant ${rec.merchantCode}`,
          merchantCode: rec.merchantCode,
          terminalId: rec.terminalId,
          saleId: rec.saleId,
          at: rec.completedAt ?? this.now(),
          lines: rec.lines,
          currency: rec.currency,
          total: rec.total,
          embodiment: rec.embodiment,
          outcome: rec.outcome ?? 'aborted',
          reason: rec.reason,
          detail: rec.detail,
          method: rec.method,
          approvalCode: rec.approvalCode,
          rrn: rec.rrn,
          transactionId: rec.transactionId,
          userId: rec.userId,
          encryptedPan: rec.encryptedPan,
        });
      // The text is on disk first; a crash between printing and the next commit reprints it.
      if (!rec.receipt) rec = this.journal.update(rec.saleId, { receipt, updatedAt: this.now() });
      await this.durable(rec.saleId);
      this.o.printer?.(receipt);
      rec = this.journal.update(
        rec.saleId,
        { printedAt: this.now(), updatedAt: this.now() },
        'receipt printed',
      );
      this.step(rec.saleId, 'receipt', { lines: receipt.split('\n').length });
    }
    if (!rec.confirmedAt) {
      const result: ConfirmResult =
        rec.outcome === 'completed'
          ? 'AGREED'
          : rec.outcome === 'declined' || rec.reason === 'not-agreed'
            ? 'DECLINED'
            : 'ABORTED';
      // The outcome is on disk (before the print): a lost `printedAt` only prints the receipt again.
      const answer =
        rec.userId === undefined
          ? 'not sent (no user id)'
          : await this.o.userIdSource.confirm(result, rec.transactionId ?? rec.saleId);
      rec = this.journal.update(
        rec.saleId,
        {
          state: 'done',
          confirmedAt: this.now(),
          confirmResult: `${result} ${answer}`,
          updatedAt: this.now(),
        },
        'confirmed',
      );
      this.step(rec.saleId, 'confirmed', { result, answer });
    } else if (rec.state !== 'done')
      rec = this.journal.update(rec.saleId, { state: 'done', updatedAt: this.now() });
    return this.result(rec);
  }

  // ---- helpers ----

  /** The journal's changes so far on disk; a POS closed meanwhile stops the sale where it stands. */
  private async durable(saleId: string): Promise<void> {
    if (!this.closed) {
      try {
        await this.journal.durable();
      } catch (e) {
        if (!this.closed) throw e;
      }
    }
    if (this.closed) throw new PosClosedError(`closed with sale ${saleId} under way`);
  }

  private conclude(
    s: SaleRecord,
    r: Pick<SaleUpdate, 'outcome' | 'reason' | 'method' | 'approvalCode' | 'rrn' | 'responseCode'>,
  ): undefined {
    this.journal.update(
      s.saleId,
      { ...r, state: 'finishing', completedAt: this.now(), updatedAt: this.now() },
      r.outcome,
    );
    this.step(s.saleId, r.outcome as PosStepName, {
      transactionId: s.transactionId,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.approvalCode ? { approvalCode: r.approvalCode } : {}),
      ...(r.method ? { method: r.method } : {}),
    });
    return undefined;
  }

  /** The gateway refused the request for good (4xx): the sale ends unpaid with its reason. */
  private refused(s: SaleRecord, e: GatewayError): undefined {
    const reason = asReason(e.api?.reason);
    this.journal.update(s.saleId, { detail: e.message, updatedAt: this.now() });
    return this.conclude(s, { outcome: 'aborted', ...(reason ? { reason } : {}) });
  }

  private async sendCancel<T>(s: SaleRecord, send: () => Promise<T>): Promise<T> {
    try {
      const answer = await send();
      this.journal.update(s.saleId, { cancelSent: true, updatedAt: this.now() }, 'cancel sent');
      this.step(s.saleId, 'cancel-sent', {});
      return answer;
    } catch (e) {
      if (!(e instanceof GatewayError && e.code === 'http' && e.status === 409)) throw e;
      // Too late: the gateway has gone past the point of cancelling. Follow the sale to its end.
      this.journal.update(
        s.saleId,
        { cancelSent: true, updatedAt: this.now() },
        'cancel refused by the gateway',
      );
      this.step(s.saleId, 'cancel-refused', { error: e.message });
      return (
        s.embodiment === 1
          ? this.o.gateway.getTransaction(s.transactionId!)
          : this.o.gateway.getCreditRequest(s.transactionId!)
      ) as Promise<T>;
    }
  }

  /** The 0100 of a sale, rebuilt identically from the journal (a repeat is the same message). */
  private authorizationOf(s: SaleRecord): AuthorizationRequest {
    const entry = this.o.creditTable?.find((e) => e.issuerCode === s.issuerCode);
    return {
      pan: s.encryptedPan!,
      expiry: s.expiry!,
      amountMinor: s.total,
      currencyNumeric: CURRENCY_NUMERIC[s.currency] ?? '000',
      stan: s.stan!,
      terminalId: s.terminalId,
      merchantId: entry?.merchantCodeForCredit ?? s.merchantCode,
      paymentMethod: s.method ?? 'L',
      transactionNumber: s.transactionId!,
      at: new Date(s.authorizationAt!),
    };
  }

  /** FIG. 23: is the issuer accepted here, with this method? */
  private acceptance(issuerCode: string, method: PaymentMethod): AbortReason | undefined {
    if (!this.o.creditTable) return undefined;
    const entry = this.o.creditTable.find((e) => e.issuerCode === issuerCode);
    if (!entry) return 'issuer-not-accepted';
    return entry.methods.includes(method) ? undefined : 'method-not-allowed';
  }

  private hostFor(issuerCode: string): CreditHost {
    let h = this.hosts.get(issuerCode);
    if (!h) {
      h = this.o.creditHost!(issuerCode);
      this.hosts.set(issuerCode, h);
    }
    return h;
  }

  private result(s: SaleRecord): SaleResult {
    const unknown = s.state === 'authorizing';
    return {
      saleId: s.saleId,
      outcome: unknown ? 'unknown' : (s.outcome ?? 'aborted'),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.transactionId ? { transactionId: s.transactionId } : {}),
      ...(s.method ? { method: s.method } : {}),
      ...(s.approvalCode && s.outcome === 'completed' ? { approvalCode: s.approvalCode } : {}),
      ...(s.receipt ? { receipt: s.receipt } : {}),
      record: s,
    };
  }

  private now(): string {
    return new Date(this.epoch + this.o.clock.now()).toISOString();
  }

  private step(saleId: string, step: PosStepName, detail?: Record<string, unknown>): void {
    this.emit('step', { saleId, step, at: this.now(), ...(detail ? { detail } : {}) });
  }

  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const t = this.o.clock.setTimeout(done, ms);
      const clock = this.o.clock;
      function done() {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }
      function onAbort() {
        clock.clearTimeout(t);
        done();
      }
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** A step that only waits (for the user id, or a long poll that reads the gateway's state). */
function waitsOnly(s: SaleRecord): boolean {
  if (s.state === 'awaiting-user-id') return !s.cancelRequested;
  if (s.state === 'pending' || s.state === 'awaiting-card') return !(s.cancelRequested && !s.cancelSent);
  return false;
}

/** The clerk's entry, checked; returns the total the gateway will check (Σ quantity × unit price + tax). */
function checkSale(r: SaleRequest): number {
  if (r.embodiment !== 1 && r.embodiment !== 2) throw new RangeError('embodiment 1 or 2');
  if (!/^[A-Z]{3}$/.test(r.currency)) throw new RangeError('currency: ISO 4217 alphabetic code');
  if (r.items.length === 0) throw new RangeError('a sale has at least one line');
  let total = 0;
  for (const l of r.items) {
    if (!l.goods || !Number.isSafeInteger(l.quantity) || l.quantity <= 0)
      throw new RangeError('each line: goods and a positive whole quantity');
    if (!Number.isSafeInteger(l.unitPrice) || l.unitPrice < 0 || !Number.isSafeInteger(l.tax) || l.tax < 0)
      throw new RangeError('each line: unit price and tax in whole minor units');
    total += l.quantity * l.unitPrice + l.tax;
  }
  if (!Number.isSafeInteger(total)) throw new RangeError('total too large');
  return total;
}

/** Stop waiting for `p` when `signal` fires (the work itself goes on; its answer is dropped). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
