/**
 * The seed-001 payment gateway: payment server 150 and direction server 160 on one HTTPS listener, state in
 * SQLite (store.ts). Routes and types are those of `firmware-sim/payment/gateway-api.ts`; docs/GATEWAY.md
 * has the state table and the recovery rules.
 *
 * Exactly once: a state change is committed before the answer that reports it; POS POSTs are keyed by
 * `Idempotency-Key` and phone calls by (transaction, step), a repeat getting the stored answer; the intent
 * of an authorization or key delivery (its STAN and request) is committed before it is sent, and a
 * restarted gateway re-sends it with the same STAN, the issuer answering a repeat with its stored answer.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type {
  AuthorizationRequest,
  AuthorizationResponse,
  CreditHost,
  KeyDelivery,
  ReversalRequest,
} from '../../firmware-sim/cat/credit-host.js';
import { ResponseCode } from '../../firmware-sim/cat/credit-host.js';
import { whileHeld, type Clock, type TimerHandle } from '../../firmware-sim/clock.js';
import type {
  AbortReason,
  AgreementAnswer,
  ConfirmationRequestCommands,
  CreditRequestStatus,
  Mail,
  MailKind,
  PaymentMethod,
  PaymentOutcome,
  PaymentRequestCommands,
  PosCreditRequest,
  PosTransaction,
  TransactionDetails,
  TransactionStatus,
} from '../../firmware-sim/payment/gateway-api.js';
import { encryptPan } from '../../firmware-sim/payment/pan-encryption.js';
import { checkAuthResult, decodeAuthResult } from '../../firmware-sim/uim/payment.js';
import { issuerOf, methodsFor, panDigits, type GatewayFixtures, type GatewayUser } from './fixtures.js';
import { historyPage } from './history.js';
import {
  basicCredentials,
  bearerToken,
  HttpError,
  parseJson,
  readBody,
  requestHash,
  waitMsOf,
  type Answer,
} from './http.js';
import { signedMailAsync, type MailFields, type MailSigner } from './mail.js';
import type { PushSender } from './push.js';
import {
  agreementSchema,
  confirmationReplySchema,
  creditResultSchema,
  CURRENCY_NUMERIC,
  IDEMPOTENCY_KEY,
  methodChoiceSchema,
  phoneAuthenticationSchema,
  saleRequestSchema,
  type SaleRequest,
} from './requests.js';
import { FINAL_STATES, GatewayStore, type TransactionRow, type TransactionState } from './store.js';

export interface GatewayLimits {
  /** Embodiment 1: the phone must have chosen a method within this time of the transaction's creation. */
  phoneTimeoutMs?: number;
  /** Embodiment 2: the user must reply to the confirmation mail within this time (its `replyBy`). */
  confirmationTimeoutMs?: number;
  /** Longest `waitMs` of a long poll. */
  maxWaitMs?: number;
  /** Wait before a push or a reversal that failed is tried again. */
  retryMs?: number;
}

export interface GatewayStartOptions {
  dbFile: string;
  clock: Clock;
  /** Epoch ms at clock time 0; default 2026-01-01 on a virtual clock, the wall clock otherwise. */
  epochAtClockZero?: number;
  /** `ca` given: clients may present a certificate from it (device authentication, [0115]). */
  tls: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer };
  hostName: string;
  port?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  creditHosts: (issuerCode: string) => CreditHost;
  push: PushSender;
  fixtures: GatewayFixtures;
  limits?: GatewayLimits;
  mailSigner: MailSigner;
  /** Field 41 of the gateway's own ISO 8583 messages (its STANs are unique per this id). */
  terminalId?: string;
  /** Receives the TLS secrets of every connection (an NSS key log), so captures of the bench decrypt. */
  keyLog?: { attachServer(server: https.Server): unknown };
}

/** One transaction as reconciliation sees it: no card number, no key. */
export interface JournalEntry {
  transactionId: string;
  embodiment: 1 | 2;
  state: TransactionState;
  reason?: AbortReason;
  userId: string;
  merchantCode: string;
  terminalId: string;
  currency: string;
  total: number;
  method?: string;
  installments?: number;
  issuerCode?: string;
  stan?: number;
  responseCode?: string;
  approvalCode?: string;
  rrn?: string;
  createdAt: string;
  completedAt?: string;
}

/** A handler's result: an answer, or a wait (not holding the clock) after which the answer is built. */
type Outcome = Answer | { wait: Promise<unknown>; next: () => Outcome };

const PRE_AUTHORIZING: TransactionState[] = ['created', 'authenticated', 'agreed'];
const MAX_CREDIT_ATTEMPTS = 3;
const COMPLETED_MESSAGE = 'Payment has now been completed';

const DECLINE_REASONS: Readonly<Record<string, AbortReason>> = {
  [ResponseCode.ExpiredCard]: 'declined-expired-card',
  [ResponseCode.NotSufficientFunds]: 'declined-over-limit',
  [ResponseCode.InvalidCardNumber]: 'declined-unknown-card',
  [ResponseCode.IssuerUnavailable]: 'credit-unavailable',
  [ResponseCode.SystemMalfunction]: 'credit-unavailable',
};

const ABORT_MESSAGES: Partial<Record<AbortReason, string>> = {
  'declined-expired-card': 'The card has expired. The payment was not made.',
  'declined-over-limit': 'The credit limit is exceeded. The payment was not made.',
  'declined-unknown-card': 'The card was not accepted. The payment was not made.',
  'credit-unavailable': 'The card issuer could not be reached. The payment was not made.',
};
const abortMessage = (reason: AbortReason): string =>
  ABORT_MESSAGES[reason] ?? `The payment was stopped (${reason}).`;

const sha = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const sameSecret = (a: string, b: string): boolean => timingSafeEqual(sha(a), sha(b));
const iso = (ms: number): string => new Date(ms).toISOString();

function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'malformed path');
  }
}

export class Gateway {
  private o!: GatewayStartOptions;
  private store!: GatewayStore;
  private started = false;
  private server!: https.Server;
  private epoch = 0;
  private closed = false;
  private readonly sockets = new Set<Socket>();
  private readonly deadlines = new Map<string, TimerHandle>();
  private readonly retryTimers = new Set<TimerHandle>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Authorizations and key deliveries under way, by transaction id. */
  private readonly credit = new Map<string, Promise<void>>();
  private readonly pushesInFlight = new Set<number>();
  private readonly reversalsInFlight = new Set<number>();

  /** Opens the database, loads the fixtures, listens, and finishes what a previous run left under way. */
  async start(options: GatewayStartOptions): Promise<number> {
    if (this.started) throw new Error('a Gateway starts once; make a new one to restart');
    this.started = true;
    this.o = options;
    this.epoch =
      options.epochAtClockZero ??
      (options.clock.virtual ? Date.UTC(2026, 0, 1) : Date.now() - options.clock.now());
    this.store = new GatewayStore(options.dbFile, options.clock);
    this.store.loadFixtures(options.fixtures);
    await this.store.durable();
    this.server = https.createServer(
      {
        key: options.tls.key,
        cert: options.tls.cert,
        ...(options.tls.ca ? { ca: options.tls.ca, requestCert: true, rejectUnauthorized: false } : {}),
      },
      (req, res) => void this.onRequest(req, res),
    );
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('data', () => this.o.clock.touch());
    });
    this.server.on('tlsClientError', () => {});
    options.keyLog?.attachServer(this.server);
    this.server.on('clientError', (_e, socket) => socket.destroy());
    const port = await new Promise<number>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () =>
        resolve((this.server.address() as AddressInfo).port),
      );
    });
    this.recover();
    return port;
  }

  /** Stops at once, as a killed process would: nothing under way is waited for. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.server) return; // never got as far as listening
    for (const t of this.deadlines.values()) this.o.clock.clearTimeout(t);
    for (const t of this.retryTimers) this.o.clock.clearTimeout(t);
    for (const set of this.waiters.values()) for (const w of set) w();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.store.close();
  }

  /** Every transaction, for reconciliation with the issuers' and the POS's journals. */
  journal(): JournalEntry[] {
    return this.store.allTransactions().map((t) => ({
      transactionId: t.id,
      embodiment: t.embodiment,
      state: t.state,
      ...(t.reason ? { reason: t.reason } : {}),
      userId: t.userId,
      merchantCode: t.merchantCode,
      terminalId: t.terminalId,
      currency: t.currency,
      total: t.total,
      ...(t.method ? { method: t.method } : {}),
      ...(t.installments ? { installments: t.installments } : {}),
      ...(t.issuerCode ? { issuerCode: t.issuerCode } : {}),
      ...(t.stan !== null ? { stan: t.stan } : {}),
      ...(t.responseCode ? { responseCode: t.responseCode } : {}),
      ...(t.approvalCode ? { approvalCode: t.approvalCode } : {}),
      ...(t.rrn ? { rrn: t.rrn } : {}),
      createdAt: iso(t.createdAt),
      ...(t.completedAt !== null ? { completedAt: iso(t.completedAt) } : {}),
    }));
  }

  private now(): number {
    return this.epoch + this.o.clock.now();
  }

  private get terminalId(): string {
    return this.o.terminalId ?? 'GW000001';
  }

  private get limits(): Required<GatewayLimits> {
    return {
      phoneTimeoutMs: 5 * 60_000,
      confirmationTimeoutMs: 5 * 60_000,
      maxWaitMs: 120_000,
      retryMs: 30_000,
      ...this.o.limits,
    };
  }

  // ----------------------------------------------------------------------------------------------------
  // HTTP
  // ----------------------------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
      let outcome = await whileHeld(this.o.clock, async () => this.dispatch(req, body));
      // Waiting for a peer (the issuer, a long poll) never holds the clock.
      while ('wait' in outcome) {
        await outcome.wait;
        const next = outcome.next;
        outcome = await whileHeld(this.o.clock, async () =>
          this.closed ? new HttpError(503, 'closing').answer() : next(),
        );
      }
      answer = outcome;
    } catch (e) {
      answer = e instanceof HttpError ? e.answer() : { status: 500, body: { error: 'internal error' } };
    }
    // Whatever this answer says (or a read of it shows) must survive a crash first: one flush is shared
    // by every request that committed meanwhile.
    try {
      if (!this.closed) await this.store.durable();
    } catch {
      answer = { status: 503, body: { error: 'storage unavailable' } };
    }
    if (this.closed || res.destroyed) return;
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': answer.contentType ?? 'application/json',
      'cache-control': 'no-store',
      ...answer.headers,
    });
    res.end(text);
  }

  private dispatch(req: IncomingMessage, body: Buffer): Outcome {
    if (this.closed) throw new HttpError(503, 'closing');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://gateway.invalid');
    } catch {
      throw new HttpError(400, 'malformed request target');
    }
    const method = req.method ?? 'GET';
    const p = url.pathname;
    const routes: [RegExp, string, (m: string[]) => Outcome][] = [
      [/^\/pos\/v1\/transactions$/, 'POST', () => this.createSale(1, req, body)],
      [/^\/pos\/v1\/transactions\/([^/]+)$/, 'GET', ([id]) => this.pollSale(1, segment(id!), url)],
      [/^\/pos\/v1\/transactions\/([^/]+)\/cancel$/, 'POST', ([id]) => this.cancel(segment(id!))],
      [/^\/pos\/v2\/credit-requests$/, 'POST', () => this.createSale(2, req, body)],
      [/^\/pos\/v2\/credit-requests\/([^/]+)$/, 'GET', ([id]) => this.pollSale(2, segment(id!), url)],
      [
        /^\/pos\/v2\/credit-requests\/([^/]+)\/result$/,
        'POST',
        ([id]) => this.creditResult(segment(id!), body),
      ],
      [/^\/mail\/v1\/mailboxes\/([^/]+)\/messages$/, 'GET', ([d]) => this.mailbox(segment(d!))],
      [
        /^\/mail\/v1\/mailboxes\/([^/]+)\/messages\/([^/]+)\/reply$/,
        'POST',
        ([d, m]) => this.reply(segment(d!), segment(m!), body),
      ],
      [
        /^\/phone\/v1\/transactions\/([^/]+)\/(authenticate|agreement|method)$/,
        'POST',
        ([id, step]) => this.phoneStep(req, segment(id!), step as PhoneStep, body),
      ],
      [/^\/history\/v1\/users\/([^/]+)$/, 'GET', ([u]) => this.history(req, segment(u!))],
    ];
    for (const [re, verb, handler] of routes) {
      const m = re.exec(p);
      if (!m) continue;
      if (method !== verb) throw new HttpError(405, `use ${verb}`, undefined, { allow: verb });
      return handler(m.slice(1));
    }
    throw new HttpError(404, 'no such resource');
  }

  // ----------------------------------------------------------------------------------------------------
  // POS: creation, long poll, cancel, result
  // ----------------------------------------------------------------------------------------------------

  private createSale(embodiment: 1 | 2, req: IncomingMessage, body: Buffer): Outcome {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
      throw new HttpError(400, 'an Idempotency-Key header of 1 to 100 visible characters is required');
    }
    const sale = parseJson(body, saleRequestSchema);
    const scope = `pos-v${embodiment}`;
    const hash = requestHash(sale);
    const prior = this.store.idempotent(scope, key);
    if (prior) {
      if (prior.requestHash !== hash)
        throw new HttpError(409, 'Idempotency-Key already used for another request');
      return { status: 200, body: this.posView(this.row(prior.transactionId)) };
    }
    const sum = sale.items.reduce((s, i) => s + i.quantity * i.unitPrice + i.tax, 0);
    if (sum !== sale.total)
      throw new HttpError(422, `total ${sale.total} is not the sum of the items (${sum})`);
    if (!Number.isSafeInteger(sum) || sum > 999_999_999_999) throw new HttpError(422, 'total too large');
    const merchant = this.store.merchant(sale.merchantCode);
    if (!merchant) throw new HttpError(422, 'unknown merchant code', 'unknown-merchant');
    const user = this.store.user(sale.userId);
    const now = this.now();
    // The transaction number first (its own commit): the signed mail names it.
    const id = this.store.transaction(() => String(this.store.next('transaction', 100001, 999_999_999)));
    if (!user) return this.insertSale(embodiment, scope, key, hash, sale, id, now, undefined);
    const fields = this.mailFields(embodiment, id, now, sale, merchant.name);
    let mail: Mail | undefined;
    // The signature is made off the thread; the clock waits for it like any work under way.
    const signing = whileHeld(this.o.clock, () => signedMailAsync(this.o.mailSigner, fields)).then((m) => {
      mail = m;
    });
    return {
      wait: signing,
      next: () => {
        // A repeat of this request may have been answered while the mail was signed.
        const again = this.store.idempotent(scope, key);
        if (again) {
          if (again.requestHash !== hash)
            throw new HttpError(409, 'Idempotency-Key already used for another request');
          return { status: 200, body: this.posView(this.row(again.transactionId)) };
        }
        return this.insertSale(embodiment, scope, key, hash, sale, id, now, { user, mail: mail! });
      },
    };
  }

  /** The mail of a new transaction ([0074] payment request, or the embodiment-2 confirmation request). */
  private mailFields(
    embodiment: 1 | 2,
    id: string,
    now: number,
    sale: SaleRequest,
    merchantName: string,
  ): MailFields {
    const kind: MailKind = embodiment === 1 ? 'payment-request' : 'confirmation-request';
    const commands: PaymentRequestCommands | ConfirmationRequestCommands =
      embodiment === 1
        ? {
            application: 'seed001-payment',
            action: 'pay',
            transactionId: id,
            paymentServer: `https://${this.o.hostName}/phone/v1`,
          }
        : {
            application: 'seed001-payment',
            action: 'confirm',
            transactionId: id,
            merchantName,
            items: sale.items,
            currency: sale.currency,
            total: sale.total,
            replyBy: iso(this.deadlineOf(embodiment, now)),
          };
    return {
      messageId: `${id}-${randomBytes(6).toString('hex')}`,
      kind,
      from: `payments@${this.o.hostName}`,
      sentAt: iso(now),
      commands,
    };
  }

  private deadlineOf(embodiment: 1 | 2, now: number): number {
    return now + (embodiment === 1 ? this.limits.phoneTimeoutMs : this.limits.confirmationTimeoutMs);
  }

  /** Stores the transaction with its idempotency key, its mail and push (when the user is known). */
  private insertSale(
    embodiment: 1 | 2,
    scope: string,
    key: string,
    hash: string,
    sale: SaleRequest,
    id: string,
    now: number,
    to: { user: GatewayUser; mail: Mail } | undefined,
  ): Answer {
    this.store.transaction(() => {
      const deadline = this.deadlineOf(embodiment, now);
      const row: TransactionRow = {
        id,
        embodiment,
        state: embodiment === 1 ? 'created' : 'awaiting-confirmation',
        reason: null,
        userId: sale.userId,
        merchantCode: sale.merchantCode,
        terminalId: sale.terminalId,
        items: sale.items,
        currency: sale.currency,
        total: sale.total,
        createdAt: now,
        deadline,
        completedAt: null,
        issuerCode: null,
        method: null,
        installments: null,
        session: null,
        stan: null,
        creditRequest: null,
        responseCode: null,
        approvalCode: null,
        rrn: null,
        encryptedPan: null,
        expiry: null,
        keyHex: null,
        result: null,
      };
      if (!to) {
        // [0152]: no such user — the POS is told at once; the row keeps the attempt on record.
        Object.assign(row, {
          state: embodiment === 1 ? 'aborted' : 'rejected',
          reason: 'unknown-user',
          deadline: null,
          completedAt: now,
        });
      }
      this.store.insertTransaction(row);
      this.store.rememberIdempotent(scope, key, hash, id);
      if (to) {
        this.store.insertMail({
          messageId: to.mail.messageId,
          deviceId: to.user.deviceId,
          transactionId: id,
          mail: JSON.stringify(to.mail),
        });
        this.store.insertPush({
          transactionId: id,
          msisdn: to.user.msisdn,
          href: `https://${this.o.hostName}/mail/v1/mailboxes/${encodeURIComponent(to.user.deviceId)}/messages`,
          text: embodiment === 1 ? 'Payment request: open to pay' : 'Please confirm the payment',
        });
      }
    });
    const row = this.row(id);
    this.armDeadline(row);
    this.kickPushes();
    return { status: 201, body: this.posView(row) };
  }

  /** The transaction, ended first if its deadline has passed (a timer may not have run yet). */
  private row(id: string): TransactionRow {
    let row = this.store.transactionById(id);
    if (!row) throw new HttpError(404, 'no such transaction');
    if (row.deadline !== null && this.now() >= row.deadline && this.deadlines.has(id)) {
      this.clearDeadline(id);
      this.expire(id);
      row = this.store.transactionById(id)!;
    }
    return row;
  }

  private posView(row: TransactionRow): PosTransaction | PosCreditRequest {
    return row.embodiment === 1 ? this.posTransaction(row) : this.posCreditRequest(row);
  }

  private posTransaction(t: TransactionRow): PosTransaction {
    const status: TransactionStatus =
      t.state === 'completed' ? 'completed' : t.state === 'aborted' ? 'aborted' : 'pending';
    return {
      transactionId: t.id,
      status,
      ...(t.reason ? { reason: t.reason } : {}),
      ...(t.method ? { method: t.method } : {}),
      ...(t.state === 'completed' && t.approvalCode ? { approvalCode: t.approvalCode } : {}),
      ...(t.state === 'completed' && t.rrn ? { rrn: t.rrn } : {}),
      createdAt: iso(t.createdAt),
      ...(t.completedAt !== null ? { completedAt: iso(t.completedAt) } : {}),
    };
  }

  private posCreditRequest(t: TransactionRow): PosCreditRequest {
    const status: CreditRequestStatus =
      t.state === 'delivering-key' ? 'awaiting-confirmation' : (t.state as CreditRequestStatus);
    const out: PosCreditRequest = {
      transactionId: t.id,
      status,
      ...(t.reason ? { reason: t.reason } : {}),
      createdAt: iso(t.createdAt),
    };
    if (t.state === 'ready') {
      out.encryptedPan = t.encryptedPan!;
      out.expiry = t.expiry!;
      out.issuerCode = t.issuerCode!;
    }
    if (t.state === 'closed' && t.result) out.result = JSON.parse(t.result) as PosCreditRequest['result'];
    return out;
  }

  /** GET of either embodiment's resource, waiting up to `waitMs` while the POS has nothing new to see. */
  private pollSale(embodiment: 1 | 2, id: string, url: URL): Outcome {
    const waitMs = waitMsOf(url, this.limits.maxWaitMs);
    const row = this.row(id);
    if (row.embodiment !== embodiment) throw new HttpError(404, 'no such transaction');
    const waiting = (t: TransactionRow): boolean =>
      embodiment === 1
        ? !FINAL_STATES.has(t.state)
        : t.state === 'awaiting-confirmation' || t.state === 'delivering-key';
    if (waitMs === 0 || !waiting(row)) return { status: 200, body: this.posView(row) };
    return {
      wait: this.changeOf(id, waitMs),
      next: () => ({ status: 200, body: this.posView(this.row(id)) }),
    };
  }

  /** Resolves at the next state change of `id`, or after `ms` on the clock. */
  private changeOf(id: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const done = (): void => {
        this.o.clock.clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
        resolve();
      };
      const timer = this.o.clock.setTimeout(done, ms);
      set.add(done);
    });
  }

  private changed(id: string): void {
    for (const w of [...(this.waiters.get(id) ?? [])]) w();
  }

  private cancel(id: string): Outcome {
    const row = this.row(id);
    if (row.embodiment !== 1) throw new HttpError(404, 'no such transaction');
    if (row.state === 'aborted') return { status: 200, body: this.posTransaction(row) };
    if (!PRE_AUTHORIZING.includes(row.state)) {
      throw new HttpError(
        409,
        row.state === 'completed' ? 'the payment is completed' : 'the payment is being authorized',
      );
    }
    this.end(id, 'aborted', 'cancelled', PRE_AUTHORIZING);
    return { status: 200, body: this.posTransaction(this.row(id)) };
  }

  private creditResult(id: string, body: Buffer): Outcome {
    const report = parseJson(body, creditResultSchema);
    const row = this.row(id);
    if (row.embodiment !== 2) throw new HttpError(404, 'no such credit request');
    const text = JSON.stringify({
      approved: report.approved,
      responseCode: report.responseCode,
      ...(report.approvalCode ? { approvalCode: report.approvalCode } : {}),
    });
    if (row.state === 'closed') {
      if (row.result !== text) throw new HttpError(409, 'a different result was reported already');
      return { status: 200, body: this.posCreditRequest(row) };
    }
    if (row.state !== 'ready')
      throw new HttpError(409, `the credit request is ${this.posCreditRequest(row).status}`);
    // The key has done its work once the issuer answered the POS: it is not kept.
    this.store.updateTransaction(
      id,
      { state: 'closed', result: text, keyHex: null, completedAt: this.now() },
      'ready',
    );
    this.changed(id);
    return { status: 200, body: this.posCreditRequest(this.row(id)) };
  }

  // ----------------------------------------------------------------------------------------------------
  // Direction server: mailboxes, embodiment 2's reply
  // ----------------------------------------------------------------------------------------------------

  private mailbox(deviceId: string): Outcome {
    const messages = this.store.openMails(deviceId).map((m) => JSON.parse(m.mail) as Mail);
    return { status: 200, body: { messages } };
  }

  private reply(deviceId: string, messageId: string, body: Buffer): Outcome {
    const { password } = parseJson(body, confirmationReplySchema);
    const stored = this.store.mail(messageId);
    if (!stored || stored.deviceId !== deviceId) throw new HttpError(404, 'no such message');
    const mail = JSON.parse(stored.mail) as Mail;
    if (mail.kind !== 'confirmation-request') throw new HttpError(409, 'the message asks for no reply');
    const id = stored.transactionId;
    // Keyed by the message id, so the stored hash is not a bare hash of the password.
    const hash = requestHash({ messageId, password });
    const prior = this.store.answer(id, 'reply');
    if (prior) {
      if (prior.requestHash !== hash) throw new HttpError(409, 'the message was answered already');
      return { status: prior.status, body: JSON.parse(prior.body) as unknown };
    }
    const row = this.row(id);
    if (row.state !== 'awaiting-confirmation') {
      throw new HttpError(409, 'the transaction has ended', row.reason ?? undefined);
    }
    const user = this.store.user(row.userId)!;
    // The state change and the stored answer commit together: a repeat after a crash gets this answer.
    const answer = this.store.transaction((): Answer => {
      let a: Answer;
      if (!sameSecret(password, user.password)) {
        this.end(id, 'cancelled', 'wrong-password', 'awaiting-confirmation');
        a = new HttpError(403, 'wrong password', 'wrong-password').answer();
      } else {
        const rejection = this.cardCheck(row);
        if (rejection) {
          this.end(id, 'rejected', rejection, 'awaiting-confirmation');
          a = { status: 200, body: { status: 'rejected', reason: rejection } };
        } else {
          this.prepareKeyDelivery(row);
          a = { status: 200, body: { status: 'confirmed' } };
        }
      }
      this.store.rememberAnswer(id, 'reply', {
        requestHash: hash,
        status: a.status,
        body: JSON.stringify(a.body),
      });
      return a;
    });
    const after = this.row(id);
    if (after.state === 'delivering-key') {
      this.clearDeadline(id);
      this.startCredit(id);
    }
    return answer;
  }

  /** Embodiment 2 step 3 ([0157]): a card for the user, not expired, of an issuer the merchant takes. */
  private cardCheck(row: TransactionRow): AbortReason | undefined {
    const user = this.store.user(row.userId)!;
    if (!user.cardNumber || !user.expiry) return 'declined-unknown-card';
    const now = new Date(this.now());
    const yymm = `${String(now.getUTCFullYear() % 100).padStart(2, '0')}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    if (user.expiry < yymm) return 'declined-expired-card';
    const issuer = issuerOf(this.store.issuerRanges(), user.cardNumber);
    const merchant = this.store.merchant(row.merchantCode);
    if (!issuer || !merchant || !methodsFor(merchant, issuer.issuerCode)) return 'issuer-not-accepted';
    return undefined;
  }

  /** Key, encrypted number and the key delivery's STAN, committed before anything is sent. */
  private prepareKeyDelivery(row: TransactionRow): void {
    const user = this.store.user(row.userId)!;
    const issuer = issuerOf(this.store.issuerRanges(), user.cardNumber!)!;
    const key = randomBytes(32);
    const encryptedPan = encryptPan(panDigits(user.cardNumber!), key);
    const stan = this.store.next('stan', 1, 999_999);
    const delivery = {
      encryptedPan,
      key: key.toString('hex'),
      transactionNumber: row.id,
      stan,
      at: iso(this.now()),
    };
    this.store.updateTransaction(
      row.id,
      {
        state: 'delivering-key',
        issuerCode: issuer.issuerCode,
        encryptedPan,
        expiry: user.expiry!,
        keyHex: delivery.key,
        stan,
        creditRequest: JSON.stringify(delivery),
      },
      'awaiting-confirmation',
    );
  }

  // ----------------------------------------------------------------------------------------------------
  // Phone API (embodiment 1, steps 6–12)
  // ----------------------------------------------------------------------------------------------------

  private phoneStep(req: IncomingMessage, id: string, step: PhoneStep, body: Buffer): Outcome {
    const row = this.row(id);
    if (row.embodiment !== 1) throw new HttpError(404, 'no such transaction');
    if (step !== 'authenticate') {
      const token = bearerToken(req);
      if (!token || !row.session || !sameSecret(token, row.session)) {
        throw new HttpError(401, 'a session from authenticate is required', undefined, {
          'www-authenticate': 'Bearer realm="phone"',
        });
      }
    }
    const parsed =
      step === 'authenticate'
        ? parseJson(body, phoneAuthenticationSchema)
        : step === 'agreement'
          ? parseJson(body, agreementSchema)
          : parseJson(body, methodChoiceSchema);
    const hash = requestHash(parsed);
    const prior = this.store.answer(id, step);
    if (prior) {
      if (prior.requestHash !== hash)
        throw new HttpError(409, `${step} was answered already for another request`);
      return { status: prior.status, body: JSON.parse(prior.body) as unknown };
    }
    if (step === 'method' && row.state === 'authorizing') {
      if (hash !== this.methodHash(row)) throw new HttpError(409, 'another method is being authorized');
      // A repeat while the issuer has not answered yet: the same answer, once there is one.
      return {
        wait: this.credit.get(id) ?? this.changeOf(id, this.limits.maxWaitMs),
        next: () => this.storedOr(id, 'method'),
      };
    }
    if (FINAL_STATES.has(row.state))
      throw new HttpError(409, 'the transaction has ended', row.reason ?? undefined);
    const expected: Record<PhoneStep, TransactionState> = {
      authenticate: 'created',
      agreement: 'authenticated',
      method: 'agreed',
    };
    if (row.state !== expected[step]) throw new HttpError(409, `${step} does not follow ${row.state}`);
    const store = (answer: Answer): Answer => {
      this.store.rememberAnswer(id, step, {
        requestHash: hash,
        status: answer.status,
        body: JSON.stringify(answer.body),
      });
      return answer;
    };
    switch (step) {
      case 'authenticate':
        return this.store.transaction(() => store(this.authenticate(req, row, parsed as AuthenticateBody)));
      case 'agreement':
        return this.store.transaction(() => store(this.agreement(row, (parsed as { agree: boolean }).agree)));
      case 'method':
        return this.method(row, parsed as MethodBody);
    }
  }

  private storedOr(id: string, step: PhoneStep): Answer {
    const a = this.store.answer(id, step);
    if (a) return { status: a.status, body: JSON.parse(a.body) as unknown };
    return new HttpError(503, 'the issuer has not answered yet; repeat the request').answer();
  }

  /** Steps 6–7 ([0097]–[0098]): the UIM's authentication result, then the device id. */
  private authenticate(req: IncomingMessage, row: TransactionRow, a: AuthenticateBody): Answer {
    const refuse = (reason: AbortReason, error: string): Answer => {
      this.end(row.id, 'aborted', reason, 'created');
      return new HttpError(403, error, reason).answer();
    };
    const user = this.store.user(a.userId);
    if (!user || a.userId !== row.userId) return refuse('unknown-user', 'not the user of this transaction');
    const decoded = decodeAuthResult(Buffer.from(a.authResult, 'hex'));
    if (!decoded.ok || !decoded.value || decoded.value.userId !== a.userId) {
      return refuse('auth-invalid', 'no authentication result for this user');
    }
    const nowS = Math.floor(this.now() / 1000);
    const check = checkAuthResult(decoded.value, Buffer.from(user.authKey, 'hex'), a.deviceId, nowS);
    if (check === 'bad-mac' || check === 'not-yet-valid')
      return refuse('auth-invalid', `authentication result: ${check}`);
    if (check === 'expired') return refuse('auth-expired', 'the authentication result has expired');
    if (a.deviceId !== user.deviceId)
      return refuse('device-mismatch', 'not the device registered for the user');
    // [0115]: with a client certificate, its subject CN is the device id and must be the user's.
    const cn = this.clientDeviceId(req);
    if (cn !== undefined && cn !== user.deviceId)
      return refuse('device-mismatch', 'the client certificate names another device');
    const merchant = this.store.merchant(row.merchantCode)!;
    const session = randomBytes(24).toString('base64url');
    this.store.updateTransaction(row.id, { state: 'authenticated', session }, 'created');
    const details: TransactionDetails = {
      session,
      transactionId: row.id,
      merchantCode: row.merchantCode,
      merchantName: merchant.name,
      items: row.items,
      currency: row.currency,
      total: row.total,
    };
    return { status: 200, body: details };
  }

  /** The subject CN of a client certificate the gateway's CA issued; undefined without one. */
  private clientDeviceId(req: IncomingMessage): string | undefined {
    const socket = req.socket as TLSSocket;
    if (!this.o.tls.ca || !socket.authorized) return undefined;
    const cn = socket.getPeerCertificate()?.subject?.CN;
    return typeof cn === 'string' ? cn : Array.isArray(cn) ? cn[0] : undefined;
  }

  /** Steps 8–9 ([0099]–[0101]): Not agree stops; Agree gets the methods of (merchant, card's issuer). */
  private agreement(row: TransactionRow, agree: boolean): Answer {
    const aborted = (reason: AbortReason): Answer => {
      this.end(row.id, 'aborted', reason, 'authenticated');
      const body: AgreementAnswer = { status: 'aborted', reason };
      return { status: 200, body };
    };
    if (!agree) return aborted('not-agreed');
    const user = this.store.user(row.userId)!;
    const issuer = user.cardNumber ? issuerOf(this.store.issuerRanges(), user.cardNumber) : undefined;
    const merchant = this.store.merchant(row.merchantCode);
    const methods = issuer && merchant ? methodsFor(merchant, issuer.issuerCode) : undefined;
    if (!issuer || !methods) return aborted('issuer-not-accepted');
    this.store.updateTransaction(row.id, { state: 'agreed', issuerCode: issuer.issuerCode }, 'authenticated');
    const body: AgreementAnswer = { status: 'choose-method', methods };
    return { status: 200, body };
  }

  /** Steps 9–10 ([0102]): the chosen method, then the authorization, its intent committed first. */
  private method(row: TransactionRow, choice: MethodBody): Outcome {
    const merchant = this.store.merchant(row.merchantCode)!;
    const allowed = methodsFor(merchant, row.issuerCode!) ?? [];
    if (!allowed.includes(choice.method)) {
      throw new HttpError(422, `method ${choice.method} is not allowed here`, 'method-not-allowed');
    }
    const user = this.store.user(row.userId)!;
    this.store.transaction(() => {
      const stan = this.store.next('stan', 1, 999_999);
      const request: AuthorizationRequest = {
        pan: panDigits(user.cardNumber!),
        expiry: user.expiry!,
        amountMinor: row.total,
        currencyNumeric: CURRENCY_NUMERIC[row.currency]!,
        stan,
        terminalId: this.terminalId,
        merchantId: row.merchantCode,
        paymentMethod: choice.method,
        ...(choice.installments !== undefined ? { installments: choice.installments } : {}),
        transactionNumber: row.id,
        at: new Date(this.now()),
      };
      this.store.updateTransaction(
        row.id,
        {
          state: 'authorizing',
          method: choice.method,
          installments: choice.installments ?? null,
          stan,
          creditRequest: JSON.stringify(request),
        },
        'agreed',
      );
    });
    this.clearDeadline(row.id);
    const done = this.startCredit(row.id);
    return { wait: done, next: () => this.storedOr(row.id, 'method') };
  }

  // ----------------------------------------------------------------------------------------------------
  // Issuer: authorization (emb. 1), key delivery (emb. 2), reversals
  // ----------------------------------------------------------------------------------------------------

  /** Sends the recorded request of a transaction in `authorizing` or `delivering-key` (once at a time). */
  private startCredit(id: string): Promise<void> {
    const running = this.credit.get(id);
    if (running) return running;
    const p = this.runCredit(id)
      .catch(() => {})
      .finally(() => this.credit.delete(id));
    this.credit.set(id, p);
    return p;
  }

  private async runCredit(id: string): Promise<void> {
    const row = this.store.transactionById(id);
    if (!row || (row.state !== 'authorizing' && row.state !== 'delivering-key')) return;
    let host: CreditHost | undefined;
    try {
      host = this.o.creditHosts(row.issuerCode!);
    } catch {
      host = undefined;
    }
    const send = (): Promise<AuthorizationResponse> => {
      if (row.state === 'authorizing') {
        const r = JSON.parse(row.creditRequest!) as AuthorizationRequest & { at: string };
        return host!.authorize({ ...r, at: new Date(r.at) });
      }
      const d = JSON.parse(row.creditRequest!) as KeyDelivery & { at: string };
      return host!.deliverKey({ ...d, at: new Date(d.at) });
    };
    let response: AuthorizationResponse | undefined;
    // The request (and its STAN) is on disk before the issuer can act on it.
    if (host) await this.store.durable();
    // The same STAN on every attempt: the issuer answers a repeat with the answer it gave.
    for (let attempt = 0; host && attempt < MAX_CREDIT_ATTEMPTS && !response && !this.closed; attempt++) {
      try {
        response = await send();
      } catch {
        response = undefined;
      }
    }
    if (this.closed) return;
    if (row.state === 'authorizing') this.finishAuthorization(row, response, host !== undefined);
    else this.finishKeyDelivery(row, response);
  }

  private finishAuthorization(
    row: TransactionRow,
    r: AuthorizationResponse | undefined,
    sent: boolean,
  ): void {
    let outcome: PaymentOutcome;
    this.store.transaction(() => {
      if (r?.approved) {
        outcome = { status: 'completed', approvalCode: r.approvalCode ?? '', message: COMPLETED_MESSAGE };
        this.store.updateTransaction(
          row.id,
          {
            state: 'completed',
            responseCode: r.responseCode,
            approvalCode: r.approvalCode ?? '',
            rrn: r.rrn ?? null,
            completedAt: this.now(),
            deadline: null,
          },
          'authorizing',
        );
      } else {
        const reason: AbortReason = r
          ? (DECLINE_REASONS[r.responseCode] ?? 'declined')
          : 'credit-unavailable';
        outcome = { status: 'aborted', reason, message: abortMessage(reason) };
        this.store.updateTransaction(
          row.id,
          {
            state: 'aborted',
            reason,
            responseCode: r?.responseCode ?? null,
            completedAt: this.now(),
            deadline: null,
          },
          'authorizing',
        );
        // No answer: the issuer may have approved; a reversal (idempotent there) makes sure it did not stick.
        if (!r && sent) {
          const original = JSON.parse(row.creditRequest!) as AuthorizationRequest;
          const reversal = { original, stan: this.store.next('stan', 1, 999_999), at: iso(this.now()) };
          this.store.insertReversal(row.id, JSON.stringify(reversal));
        }
      }
      const hash = this.store.answer(row.id, 'method')?.requestHash ?? this.methodHash(row);
      this.store.rememberAnswer(row.id, 'method', {
        requestHash: hash,
        status: 200,
        body: JSON.stringify(outcome),
      });
    });
    this.changed(row.id);
    this.kickReversals();
  }

  /** The request hash of the method call that led to `row` (the phone's body, as parsed). */
  private methodHash(row: TransactionRow): string {
    return requestHash(
      methodChoiceSchema.parse({
        method: row.method,
        ...(row.installments !== null ? { installments: row.installments } : {}),
      }),
    );
  }

  private finishKeyDelivery(row: TransactionRow, r: AuthorizationResponse | undefined): void {
    if (r?.approved) {
      this.store.updateTransaction(
        row.id,
        { state: 'ready', responseCode: r.responseCode },
        'delivering-key',
      );
    } else {
      this.store.updateTransaction(
        row.id,
        {
          state: 'rejected',
          reason: r ? 'declined' : 'credit-unavailable',
          responseCode: r?.responseCode ?? null,
          keyHex: null,
          completedAt: this.now(),
        },
        'delivering-key',
      );
    }
    this.changed(row.id);
  }

  private kickReversals(): void {
    if (this.closed) return;
    for (const rev of this.store.pendingReversals()) {
      if (this.reversalsInFlight.has(rev.id)) continue;
      const row = this.store.transactionById(rev.transactionId)!;
      this.reversalsInFlight.add(rev.id);
      const r = JSON.parse(rev.request) as {
        original: AuthorizationRequest & { at: string };
        stan: number;
        at: string;
      };
      const request: ReversalRequest = {
        original: { ...r.original, at: new Date(r.original.at) },
        stan: r.stan,
        at: new Date(r.at),
      };
      void (async () => {
        let ok = false;
        try {
          await this.store.durable();
          await this.o.creditHosts(row.issuerCode!).reverse(request);
          ok = true;
        } catch {
          ok = false;
        }
        this.reversalsInFlight.delete(rev.id);
        if (this.closed) return;
        if (ok) this.store.markReversalDone(rev.id);
        else this.retryLater(() => this.kickReversals());
      })();
    }
  }

  // ----------------------------------------------------------------------------------------------------
  // Pushes, deadlines, recovery
  // ----------------------------------------------------------------------------------------------------

  private kickPushes(): void {
    if (this.closed) return;
    for (const p of this.store.pendingPushes()) {
      if (this.pushesInFlight.has(p.id)) continue;
      const row = this.store.transactionById(p.transactionId);
      if (!row || FINAL_STATES.has(row.state)) {
        this.store.markPush(p.id, 2);
        continue;
      }
      this.pushesInFlight.add(p.id);
      const mail = this.store
        .openMails(this.store.user(row.userId)!.deviceId)
        .find((m) => m.transactionId === row.id);
      // The mail the push announces is on disk before the phone can come for it.
      this.store
        .durable()
        .then(() =>
          this.o.push.sendWapPush({
            msisdn: p.msisdn,
            href: p.href,
            text: p.text,
            ...(mail ? { siId: mail.messageId } : {}),
          }),
        )
        .then(
          () => {
            this.pushesInFlight.delete(p.id);
            if (!this.closed) this.store.markPush(p.id, 1);
          },
          () => {
            this.pushesInFlight.delete(p.id);
            this.retryLater(() => this.kickPushes());
          },
        );
    }
  }

  private retryLater(fn: () => void): void {
    if (this.closed) return;
    const t = this.o.clock.setTimeout(() => {
      this.retryTimers.delete(t);
      fn();
    }, this.limits.retryMs);
    this.retryTimers.add(t);
  }

  private armDeadline(row: TransactionRow): void {
    if (row.deadline === null || FINAL_STATES.has(row.state)) return;
    if (row.state === 'authorizing' || row.state === 'delivering-key' || row.state === 'ready') return;
    this.clearDeadline(row.id);
    const t = this.o.clock.setTimeout(
      () => {
        this.deadlines.delete(row.id);
        this.expire(row.id);
      },
      Math.max(0, row.deadline - this.now()),
    );
    this.deadlines.set(row.id, t);
  }

  private clearDeadline(id: string): void {
    const t = this.deadlines.get(id);
    if (t) this.o.clock.clearTimeout(t);
    this.deadlines.delete(id);
  }

  private expire(id: string): void {
    if (this.closed) return;
    const row = this.store.transactionById(id);
    if (!row) return;
    if (row.embodiment === 1) this.end(id, 'aborted', 'phone-timeout', PRE_AUTHORIZING);
    else this.end(id, 'cancelled', 'no-confirmation', 'awaiting-confirmation');
  }

  /** Ends a transaction that is still in one of `from`; tells the waiting POS. */
  private end(
    id: string,
    state: TransactionState,
    reason: AbortReason,
    from: TransactionState | TransactionState[],
  ): void {
    const changed = this.store.updateTransaction(
      id,
      { state, reason, completedAt: this.now(), deadline: null },
      from,
    );
    if (!changed) return;
    this.clearDeadline(id);
    queueMicrotask(() => this.changed(id));
  }

  /** After a restart: timers re-armed from the database, recorded credit requests re-sent. */
  private recover(): void {
    for (const row of this.store.openTransactions()) {
      if (row.state === 'authorizing' || row.state === 'delivering-key') this.startCredit(row.id);
      else if (row.deadline !== null && row.deadline <= this.now()) this.expire(row.id);
      else this.armDeadline(row);
    }
    this.kickPushes();
    this.kickReversals();
  }

  // ----------------------------------------------------------------------------------------------------
  // History ([0120])
  // ----------------------------------------------------------------------------------------------------

  private history(req: IncomingMessage, userId: string): Outcome {
    const credentials = basicCredentials(req);
    const user = this.store.user(userId);
    const challenge = { 'www-authenticate': 'Basic realm="transaction history", charset="UTF-8"' };
    if (
      !credentials ||
      !user ||
      credentials.user !== userId ||
      !sameSecret(credentials.password, user.password)
    ) {
      throw new HttpError(401, 'user id and password required', undefined, challenge);
    }
    return {
      status: 200,
      body: historyPage(userId, this.store.transactionsOfUser(userId)),
      contentType: 'text/html; charset=utf-8',
    };
  }
}

type PhoneStep = 'authenticate' | 'agreement' | 'method';
type AuthenticateBody = { userId: string; deviceId: string; authResult: string };
type MethodBody = { method: PaymentMethod; installments?: number };
