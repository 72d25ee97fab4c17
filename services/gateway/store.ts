/**
 * The gateway's durable state in SQLite (WAL with group commit): the tables of FIG. 7–10 loaded from the
 * fixtures, the transactions (FIG. 8, both embodiments), the mailboxes of the direction server, stored
 * answers for idempotency, and the pushes and reversals still to send. Every method that changes state
 * commits before it returns, and the gateway awaits `durable()` before an answer or a message leaves it,
 * so nothing it reported can be undone by a crash or a power cut.
 */
import Database from 'better-sqlite3';
import type { Clock } from '../../firmware-sim/clock.js';
import { GroupCommit } from '../../devices/sqlite-group-commit.js';
import { statementCache } from '../../devices/sqlite-statements.js';
import type { AbortReason, LineItem, PaymentMethod } from '../../firmware-sim/payment/gateway-api.js';
import type { GatewayFixtures, GatewayUser, IssuerRange, Merchant } from './fixtures.js';

/** Embodiment 1: created → authenticated → agreed → authorizing → completed | aborted. */
export type PaymentState = 'created' | 'authenticated' | 'agreed' | 'authorizing' | 'completed' | 'aborted';
/** Embodiment 2: awaiting-confirmation → delivering-key → ready → closed; or cancelled | rejected. */
export type CreditState =
  'awaiting-confirmation' | 'delivering-key' | 'ready' | 'closed' | 'cancelled' | 'rejected';
export type TransactionState = PaymentState | CreditState;

export const FINAL_STATES: ReadonlySet<TransactionState> = new Set([
  'completed',
  'aborted',
  'closed',
  'cancelled',
  'rejected',
]);

export interface TransactionRow {
  id: string;
  embodiment: 1 | 2;
  state: TransactionState;
  reason: AbortReason | null;
  userId: string;
  merchantCode: string;
  terminalId: string;
  items: LineItem[];
  currency: string;
  total: number;
  /** Epoch ms (gateway calendar time). */
  createdAt: number;
  /** Epoch ms after which a transaction still waiting for the phone is ended. */
  deadline: number | null;
  completedAt: number | null;
  issuerCode: string | null;
  method: PaymentMethod | null;
  installments: number | null;
  session: string | null;
  /** STAN of the authorization (emb. 1) or key delivery (emb. 2), recorded before it is sent. */
  stan: number | null;
  /** The request sent to the credit server, JSON, recorded with the STAN. */
  creditRequest: string | null;
  responseCode: string | null;
  approvalCode: string | null;
  rrn: string | null;
  encryptedPan: string | null;
  expiry: string | null;
  keyHex: string | null;
  result: string | null;
}

export interface StoredAnswer {
  requestHash: string;
  status: number;
  body: string;
}

export interface MailRow {
  messageId: string;
  deviceId: string;
  transactionId: string;
  /** The whole Mail, JSON. */
  mail: string;
}

export interface PushRow {
  id: number;
  transactionId: string;
  msisdn: string;
  href: string;
  text: string;
}

export interface ReversalRow {
  id: number;
  transactionId: string;
  request: string;
}

const COLUMNS: Record<keyof TransactionRow, string> = {
  id: 'id',
  embodiment: 'embodiment',
  state: 'state',
  reason: 'reason',
  userId: 'user_id',
  merchantCode: 'merchant_code',
  terminalId: 'terminal_id',
  items: 'items',
  currency: 'currency',
  total: 'total',
  createdAt: 'created_at',
  deadline: 'deadline',
  completedAt: 'completed_at',
  issuerCode: 'issuer_code',
  method: 'method',
  installments: 'installments',
  session: 'session',
  stan: 'stan',
  creditRequest: 'credit_request',
  responseCode: 'response_code',
  approvalCode: 'approval_code',
  rrn: 'rrn',
  encryptedPan: 'encrypted_pan',
  expiry: 'expiry',
  keyHex: 'key_hex',
  result: 'result',
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  user_id TEXT PRIMARY KEY, password TEXT NOT NULL, device_id TEXT NOT NULL, card_number TEXT,
  expiry TEXT, issuer_code TEXT, name TEXT NOT NULL, msisdn TEXT NOT NULL, email TEXT NOT NULL,
  auth_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS issuer_ranges (
  seq INTEGER PRIMARY KEY, range_from TEXT NOT NULL, range_to TEXT NOT NULL, issuer_code TEXT NOT NULL,
  issuer_name TEXT NOT NULL, addition INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS merchants (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS merchant_methods (
  merchant_code TEXT NOT NULL, issuer_code TEXT NOT NULL, issuer_name TEXT NOT NULL, methods TEXT NOT NULL,
  PRIMARY KEY (merchant_code, issuer_code));
CREATE TABLE IF NOT EXISTS transactions (
  id TEXT PRIMARY KEY, embodiment INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT,
  user_id TEXT NOT NULL, merchant_code TEXT NOT NULL, terminal_id TEXT NOT NULL, items TEXT NOT NULL,
  currency TEXT NOT NULL, total INTEGER NOT NULL, created_at INTEGER NOT NULL, deadline INTEGER,
  completed_at INTEGER, issuer_code TEXT, method TEXT, installments INTEGER, session TEXT, stan INTEGER,
  credit_request TEXT, response_code TEXT, approval_code TEXT, rrn TEXT, encrypted_pan TEXT, expiry TEXT,
  key_hex TEXT, result TEXT);
CREATE INDEX IF NOT EXISTS transactions_user ON transactions (user_id, created_at);
CREATE INDEX IF NOT EXISTS transactions_open ON transactions (state);
CREATE TABLE IF NOT EXISTS idempotency (
  scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, transaction_id TEXT NOT NULL,
  PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS answers (
  transaction_id TEXT NOT NULL, step TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL,
  body TEXT NOT NULL, PRIMARY KEY (transaction_id, step));
CREATE TABLE IF NOT EXISTS mails (
  message_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, transaction_id TEXT NOT NULL, mail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS mails_device ON mails (device_id);
CREATE TABLE IF NOT EXISTS pushes (
  id INTEGER PRIMARY KEY, transaction_id TEXT NOT NULL, msisdn TEXT NOT NULL, href TEXT NOT NULL,
  text TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS pushes_unsent ON pushes (id) WHERE sent = 0;
CREATE TABLE IF NOT EXISTS reversals (
  id INTEGER PRIMARY KEY, transaction_id TEXT NOT NULL, request TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS reversals_pending ON reversals (id) WHERE done = 0;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

type Raw = Record<string, unknown>;

const emptyTables = () => ({
  users: new Map<string, GatewayUser | undefined>(),
  merchants: new Map<string, Merchant | undefined>(),
  ranges: undefined as IssuerRange[] | undefined,
});

const copy = <T extends object>(v: T | undefined): T | undefined => (v ? { ...v } : undefined);

function toRow(r: Raw): TransactionRow {
  const out: Record<string, unknown> = {};
  for (const [k, col] of Object.entries(COLUMNS)) out[k] = r[col] ?? null;
  out.items = JSON.parse(r.items as string) as LineItem[];
  return out as unknown as TransactionRow;
}

export class GatewayStore {
  private readonly db: Database.Database;
  private readonly prepare: (sql: string) => Database.Statement;
  private readonly commits: GroupCommit;
  /**
   * Rows of FIG. 7, 9 and 10 as read (absent ones too). Only loadFixtures writes those tables, and it
   * starts afresh; every request reads them several times.
   */
  private tables = emptyTables();

  /** `clock`: held while the disk is flushed (see GroupCommit). */
  constructor(file: string, clock?: Clock) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    this.commits = new GroupCommit(this.db, file, clock);
    this.prepare = statementCache(this.db);
  }

  /** Resolves once every commit so far is on disk: the gateway awaits it before anything leaves it. */
  durable(): Promise<void> {
    return this.commits.durable();
  }

  close(): void {
    this.commits.close();
    if (this.db.open) this.db.close();
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /** Replaces the tables of FIG. 7, 9 and 10 with the fixtures' contents. */
  loadFixtures(f: GatewayFixtures): void {
    this.tables = emptyTables();
    this.transaction(() => {
      this.db.exec(
        'DELETE FROM users; DELETE FROM issuer_ranges; DELETE FROM merchants; DELETE FROM merchant_methods;',
      );
      const u = this.prepare(
        `INSERT INTO users VALUES (@userId, @password, @deviceId, @cardNumber, @expiry, @issuerCode, @name,
         @msisdn, @email, @authKey)`,
      );
      for (const user of f.users) {
        u.run({
          cardNumber: null,
          expiry: null,
          issuerCode: null,
          ...user,
          authKey: user.authKey.toUpperCase(),
        });
      }
      const r = this.prepare('INSERT INTO issuer_ranges VALUES (?, ?, ?, ?, ?, ?)');
      f.issuers.forEach((x, i) => r.run(i, x.from, x.to, x.issuerCode, x.issuerName, x.addition ? 1 : 0));
      const m = this.prepare('INSERT INTO merchants VALUES (?, ?)');
      const mm = this.prepare('INSERT INTO merchant_methods VALUES (?, ?, ?, ?)');
      for (const x of f.merchants) {
        m.run(x.code, x.name);
        for (const a of x.accepts) mm.run(x.code, a.issuerCode, a.issuerName, JSON.stringify(a.methods));
      }
    });
  }

  user(userId: string): GatewayUser | undefined {
    if (this.tables.users.has(userId)) return copy(this.tables.users.get(userId));
    const user = this.readUser(userId);
    this.tables.users.set(userId, user);
    return copy(user);
  }

  private readUser(userId: string): GatewayUser | undefined {
    const r = this.prepare('SELECT * FROM users WHERE user_id = ?').get(userId) as Raw | undefined;
    if (!r) return undefined;
    const user: GatewayUser = {
      userId: r.user_id as string,
      password: r.password as string,
      deviceId: r.device_id as string,
      name: r.name as string,
      msisdn: r.msisdn as string,
      email: r.email as string,
      authKey: r.auth_key as string,
    };
    if (r.card_number != null) user.cardNumber = r.card_number as string;
    if (r.expiry != null) user.expiry = r.expiry as string;
    if (r.issuer_code != null) user.issuerCode = r.issuer_code as string;
    return user;
  }

  issuerRanges(): IssuerRange[] {
    this.tables.ranges ??= this.readIssuerRanges();
    return this.tables.ranges.map((r) => ({ ...r }));
  }

  private readIssuerRanges(): IssuerRange[] {
    return (this.prepare('SELECT * FROM issuer_ranges ORDER BY seq').all() as Raw[]).map((r) => ({
      from: r.range_from as string,
      to: r.range_to as string,
      issuerCode: r.issuer_code as string,
      issuerName: r.issuer_name as string,
      ...(r.addition ? { addition: true } : {}),
    }));
  }

  merchant(code: string): Merchant | undefined {
    if (!this.tables.merchants.has(code)) this.tables.merchants.set(code, this.readMerchant(code));
    const m = this.tables.merchants.get(code);
    return m && structuredClone(m);
  }

  private readMerchant(code: string): Merchant | undefined {
    const m = this.prepare('SELECT * FROM merchants WHERE code = ?').get(code) as Raw | undefined;
    if (!m) return undefined;
    const accepts = (
      this.prepare('SELECT * FROM merchant_methods WHERE merchant_code = ? ORDER BY issuer_code').all(
        code,
      ) as Raw[]
    ).map((a) => ({
      issuerCode: a.issuer_code as string,
      issuerName: a.issuer_name as string,
      methods: JSON.parse(a.methods as string) as PaymentMethod[],
    }));
    return { code, name: m.name as string, accepts };
  }

  /** Next value of a counter, starting at `first`, wrapping after `last` back to `first`. */
  next(name: string, first: number, last: number): number {
    const r = this.prepare('SELECT value FROM counters WHERE name = ?').get(name) as
      { value: number } | undefined;
    const value = r === undefined || r.value >= last ? first : r.value + 1;
    this.prepare(
      'INSERT INTO counters VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    ).run(name, value);
    return value;
  }

  insertTransaction(t: TransactionRow): void {
    const cols = Object.values(COLUMNS);
    const stmt = this.prepare(
      `INSERT INTO transactions (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
    );
    const params: Record<string, unknown> = {};
    for (const [k, col] of Object.entries(COLUMNS))
      params[col] = (t as unknown as Record<string, unknown>)[k];
    params.items = JSON.stringify(t.items);
    stmt.run(params);
  }

  /** Sets columns of a transaction; `from` (when given) must be its state, else nothing changes (false). */
  updateTransaction(
    id: string,
    set: Partial<TransactionRow>,
    from?: TransactionState | TransactionState[],
  ): boolean {
    const entries = Object.entries(set).filter(([k]) => k !== 'id' && k in COLUMNS);
    if (entries.length === 0) return true;
    const assignments = entries.map(([k]) => `${COLUMNS[k as keyof TransactionRow]} = @${k}`).join(', ');
    const params: Record<string, unknown> = { id };
    for (const [k, v] of entries) params[k] = k === 'items' ? JSON.stringify(v) : v;
    let where = 'id = @id';
    if (from !== undefined) {
      const states = Array.isArray(from) ? from : [from];
      states.forEach((s, i) => (params[`s${i}`] = s));
      where += ` AND state IN (${states.map((_, i) => `@s${i}`).join(', ')})`;
    }
    return this.prepare(`UPDATE transactions SET ${assignments} WHERE ${where}`).run(params).changes === 1;
  }

  transactionById(id: string): TransactionRow | undefined {
    const r = this.prepare('SELECT * FROM transactions WHERE id = ?').get(id) as Raw | undefined;
    return r && toRow(r);
  }

  openTransactions(): TransactionRow[] {
    const finals = [...FINAL_STATES].map((s) => `'${s}'`).join(', ');
    return (
      this.prepare(`SELECT * FROM transactions WHERE state NOT IN (${finals}) ORDER BY id`).all() as Raw[]
    ).map(toRow);
  }

  transactionsOfUser(userId: string): TransactionRow[] {
    return (
      this.prepare('SELECT * FROM transactions WHERE user_id = ? ORDER BY created_at, id').all(
        userId,
      ) as Raw[]
    ).map(toRow);
  }

  allTransactions(): TransactionRow[] {
    return (this.prepare('SELECT * FROM transactions ORDER BY id').all() as Raw[]).map(toRow);
  }

  idempotent(scope: string, key: string): { requestHash: string; transactionId: string } | undefined {
    const r = this.prepare('SELECT * FROM idempotency WHERE scope = ? AND key = ?').get(scope, key) as
      Raw | undefined;
    return r && { requestHash: r.request_hash as string, transactionId: r.transaction_id as string };
  }

  rememberIdempotent(scope: string, key: string, requestHash: string, transactionId: string): void {
    this.prepare('INSERT INTO idempotency VALUES (?, ?, ?, ?)').run(scope, key, requestHash, transactionId);
  }

  answer(transactionId: string, step: string): StoredAnswer | undefined {
    const r = this.prepare('SELECT * FROM answers WHERE transaction_id = ? AND step = ?').get(
      transactionId,
      step,
    ) as Raw | undefined;
    return r && { requestHash: r.request_hash as string, status: r.status as number, body: r.body as string };
  }

  rememberAnswer(transactionId: string, step: string, a: StoredAnswer): void {
    this.prepare('INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)').run(
      transactionId,
      step,
      a.requestHash,
      a.status,
      a.body,
    );
  }

  insertMail(m: MailRow): void {
    this.prepare('INSERT INTO mails VALUES (?, ?, ?, ?)').run(
      m.messageId,
      m.deviceId,
      m.transactionId,
      m.mail,
    );
  }

  mail(messageId: string): MailRow | undefined {
    const r = this.prepare('SELECT * FROM mails WHERE message_id = ?').get(messageId) as Raw | undefined;
    return (
      r && {
        messageId: r.message_id as string,
        deviceId: r.device_id as string,
        transactionId: r.transaction_id as string,
        mail: r.mail as string,
      }
    );
  }

  /** Mails of a mailbox whose transaction is still open, oldest first. */
  openMails(deviceId: string): MailRow[] {
    const finals = [...FINAL_STATES].map((s) => `'${s}'`).join(', ');
    return (
      this.prepare(
        `SELECT m.* FROM mails m JOIN transactions t ON t.id = m.transaction_id
           WHERE m.device_id = ? AND t.state NOT IN (${finals}) ORDER BY m.rowid`,
      ).all(deviceId) as Raw[]
    ).map((r) => ({
      messageId: r.message_id as string,
      deviceId: r.device_id as string,
      transactionId: r.transaction_id as string,
      mail: r.mail as string,
    }));
  }

  insertPush(p: Omit<PushRow, 'id'>): number {
    return Number(
      this.prepare('INSERT INTO pushes (transaction_id, msisdn, href, text) VALUES (?, ?, ?, ?)').run(
        p.transactionId,
        p.msisdn,
        p.href,
        p.text,
      ).lastInsertRowid,
    );
  }

  pendingPushes(): PushRow[] {
    return (this.prepare('SELECT * FROM pushes WHERE sent = 0 ORDER BY id').all() as Raw[]).map((r) => ({
      id: r.id as number,
      transactionId: r.transaction_id as string,
      msisdn: r.msisdn as string,
      href: r.href as string,
      text: r.text as string,
    }));
  }

  /** sent: 1 delivered to the push sender, 2 given up (its transaction ended first). */
  markPush(id: number, sent: 1 | 2): void {
    this.prepare('UPDATE pushes SET sent = ? WHERE id = ?').run(sent, id);
  }

  insertReversal(transactionId: string, request: string): number {
    return Number(
      this.prepare('INSERT INTO reversals (transaction_id, request) VALUES (?, ?)').run(
        transactionId,
        request,
      ).lastInsertRowid,
    );
  }

  pendingReversals(): ReversalRow[] {
    return (this.prepare('SELECT * FROM reversals WHERE done = 0 ORDER BY id').all() as Raw[]).map((r) => ({
      id: r.id as number,
      transactionId: r.transaction_id as string,
      request: r.request as string,
    }));
  }

  markReversalDone(id: number): void {
    this.prepare('UPDATE reversals SET done = 1 WHERE id = ?').run(id);
  }
}
