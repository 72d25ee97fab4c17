/**
 * The credit server's state in SQLite (WAL with group commit): cardholders with their used credit, the
 * authorization journal keyed by (terminal id, STAN) so a repeated request gets the stored answer,
 * reversals, and the keys of encrypted card numbers delivered by the gateway (seed 001, FIG. 24B–24C).
 * Every decision is one transaction; the server awaits `durable()` before the answer leaves.
 */
import Database from 'better-sqlite3';
import type { Clock } from '../../firmware-sim/clock.js';
import { GroupCommit } from '../../devices/sqlite-group-commit.js';
import type { Cardholder } from './cardholders.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cardholders (
  pan TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  address TEXT,
  expiry TEXT NOT NULL,
  credit_limit INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS authorizations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  terminal_id TEXT NOT NULL,
  stan INTEGER NOT NULL,
  mti TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  pan TEXT,
  encrypted_pan TEXT,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  payment_method TEXT NOT NULL,
  installments INTEGER,
  transaction_number TEXT NOT NULL,
  transmitted_at TEXT NOT NULL,
  response_code TEXT NOT NULL,
  approval_code TEXT,
  rrn TEXT NOT NULL,
  reversed INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  UNIQUE (terminal_id, stan)
);
CREATE TABLE IF NOT EXISTS reversals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  terminal_id TEXT NOT NULL,
  stan INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  original_mti TEXT NOT NULL,
  original_stan INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  restored INTEGER NOT NULL,
  response_code TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  UNIQUE (terminal_id, stan)
);
CREATE INDEX IF NOT EXISTS reversals_original ON reversals(terminal_id, original_stan);
CREATE TABLE IF NOT EXISTS keys (
  encrypted_pan TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  transaction_number TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  stan INTEGER NOT NULL,
  used_by TEXT,
  delivered_at INTEGER NOT NULL
);
`;

export interface CardholderRow {
  pan: string;
  name: string;
  expiry: string;
  creditLimit: number;
  used: number;
}

export interface AuthorizationRow {
  id: number;
  terminalId: string;
  stan: number;
  mti: string;
  fingerprint: string;
  pan: string | null;
  encryptedPan: string | null;
  amount: number;
  currency: string;
  merchantId: string;
  paymentMethod: string;
  installments: number | null;
  transactionNumber: string;
  transmittedAt: string;
  responseCode: string;
  approvalCode: string | null;
  rrn: string;
  reversed: boolean;
  createdAt: number;
  /** Position in the journal, shared with reversals. */
  seq: number;
}

export interface ReversalRow {
  id: number;
  terminalId: string;
  stan: number;
  fingerprint: string;
  originalMti: string;
  originalStan: number;
  amount: number;
  restored: boolean;
  responseCode: string;
  createdAt: number;
  seq: number;
}

export interface KeyRow {
  encryptedPan: string;
  key: string;
  transactionNumber: string;
  terminalId: string;
  stan: number;
  usedBy: string | null;
  deliveredAt: number;
}

type Raw = Record<string, unknown>;

const authorizationOf = (r: Raw): AuthorizationRow => ({
  id: r.id as number,
  terminalId: r.terminal_id as string,
  stan: r.stan as number,
  mti: r.mti as string,
  fingerprint: r.fingerprint as string,
  pan: r.pan as string | null,
  encryptedPan: r.encrypted_pan as string | null,
  amount: r.amount as number,
  currency: r.currency as string,
  merchantId: r.merchant_id as string,
  paymentMethod: r.payment_method as string,
  installments: r.installments as number | null,
  transactionNumber: r.transaction_number as string,
  transmittedAt: r.transmitted_at as string,
  responseCode: r.response_code as string,
  approvalCode: r.approval_code as string | null,
  rrn: r.rrn as string,
  reversed: r.reversed === 1,
  createdAt: r.created_at as number,
  seq: r.seq as number,
});

const reversalOf = (r: Raw): ReversalRow => ({
  id: r.id as number,
  terminalId: r.terminal_id as string,
  stan: r.stan as number,
  fingerprint: r.fingerprint as string,
  originalMti: r.original_mti as string,
  originalStan: r.original_stan as number,
  amount: r.amount as number,
  restored: r.restored === 1,
  responseCode: r.response_code as string,
  createdAt: r.created_at as number,
  seq: r.seq as number,
});

export class CreditStore {
  readonly db: Database.Database;
  private readonly stmts;
  private readonly commits: GroupCommit;

  /** `clock`: held while the disk is flushed (see GroupCommit). */
  constructor(file: string, clock?: Clock) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    // An answered request survives a power cut, not only a killed process: see durable().
    this.commits = new GroupCommit(this.db, file, clock);
    this.stmts = {
      upsertCardholder: this.db.prepare(
        `INSERT INTO cardholders (pan, name, address, expiry, credit_limit) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(pan) DO UPDATE SET name = excluded.name, address = excluded.address,
           expiry = excluded.expiry, credit_limit = excluded.credit_limit`,
      ),
      cardholder: this.db.prepare('SELECT * FROM cardholders WHERE pan = ?'),
      addUsed: this.db.prepare('UPDATE cardholders SET used = used + ? WHERE pan = ?'),
      authorization: this.db.prepare('SELECT * FROM authorizations WHERE terminal_id = ? AND stan = ?'),
      nextAuthorizationId: this.db.prepare('SELECT COALESCE(MAX(id), 0) + 1 AS n FROM authorizations'),
      insertAuthorization: this.db.prepare(
        `INSERT INTO authorizations (terminal_id, stan, mti, fingerprint, pan, encrypted_pan, amount, currency,
           merchant_id, payment_method, installments, transaction_number, transmitted_at, response_code,
           approval_code, rrn, created_at, seq)
         VALUES (@terminalId, @stan, @mti, @fingerprint, @pan, @encryptedPan, @amount, @currency, @merchantId,
           @paymentMethod, @installments, @transactionNumber, @transmittedAt, @responseCode, @approvalCode,
           @rrn, @createdAt, (SELECT COALESCE(MAX(seq), 0) + 1 FROM
             (SELECT seq FROM authorizations UNION ALL SELECT seq FROM reversals)))`,
      ),
      markReversed: this.db.prepare('UPDATE authorizations SET reversed = 1 WHERE id = ?'),
      reversal: this.db.prepare('SELECT * FROM reversals WHERE terminal_id = ? AND stan = ?'),
      reversalOf: this.db.prepare(
        'SELECT * FROM reversals WHERE terminal_id = ? AND original_stan = ? LIMIT 1',
      ),
      insertReversal: this.db.prepare(
        `INSERT INTO reversals (terminal_id, stan, fingerprint, original_mti, original_stan, amount, restored,
           response_code, created_at, seq)
         VALUES (@terminalId, @stan, @fingerprint, @originalMti, @originalStan, @amount, @restored,
           @responseCode, @createdAt, (SELECT COALESCE(MAX(seq), 0) + 1 FROM
             (SELECT seq FROM authorizations UNION ALL SELECT seq FROM reversals)))`,
      ),
      key: this.db.prepare('SELECT * FROM keys WHERE encrypted_pan = ?'),
      insertKey: this.db.prepare(
        `INSERT INTO keys (encrypted_pan, key, transaction_number, terminal_id, stan, delivered_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      useKey: this.db.prepare('UPDATE keys SET used_by = ? WHERE encrypted_pan = ? AND used_by IS NULL'),
      allAuthorizations: this.db.prepare('SELECT * FROM authorizations ORDER BY id'),
      allReversals: this.db.prepare('SELECT * FROM reversals ORDER BY id'),
    };
  }

  /** Adds the cards or updates their details; the credit already used is kept. */
  loadCardholders(cards: readonly Cardholder[]): void {
    this.db.transaction(() => {
      for (const c of cards) {
        this.stmts.upsertCardholder.run(c.pan, c.name, c.address ?? null, c.expiry, c.creditLimit);
      }
    })();
  }

  cardholder(pan: string): CardholderRow | undefined {
    const r = this.stmts.cardholder.get(pan) as Raw | undefined;
    return r
      ? {
          pan: r.pan as string,
          name: r.name as string,
          expiry: r.expiry as string,
          creditLimit: r.credit_limit as number,
          used: r.used as number,
        }
      : undefined;
  }

  addUsed(pan: string, amount: number): void {
    this.stmts.addUsed.run(amount, pan);
  }

  authorization(terminalId: string, stan: number): AuthorizationRow | undefined {
    const r = this.stmts.authorization.get(terminalId, stan) as Raw | undefined;
    return r ? authorizationOf(r) : undefined;
  }

  nextAuthorizationId(): number {
    return (this.stmts.nextAuthorizationId.get() as { n: number }).n;
  }

  insertAuthorization(row: Omit<AuthorizationRow, 'id' | 'reversed' | 'seq'>): void {
    this.stmts.insertAuthorization.run(row);
  }

  markReversed(id: number): void {
    this.stmts.markReversed.run(id);
  }

  reversal(terminalId: string, stan: number): ReversalRow | undefined {
    const r = this.stmts.reversal.get(terminalId, stan) as Raw | undefined;
    return r ? reversalOf(r) : undefined;
  }

  /** A reversal that names (terminal, STAN) as its original. */
  reversalOf(terminalId: string, originalStan: number): ReversalRow | undefined {
    const r = this.stmts.reversalOf.get(terminalId, originalStan) as Raw | undefined;
    return r ? reversalOf(r) : undefined;
  }

  insertReversal(row: Omit<ReversalRow, 'id' | 'restored' | 'seq'> & { restored: number }): void {
    this.stmts.insertReversal.run(row);
  }

  key(encryptedPan: string): KeyRow | undefined {
    const r = this.stmts.key.get(encryptedPan) as Raw | undefined;
    return r
      ? {
          encryptedPan: r.encrypted_pan as string,
          key: r.key as string,
          transactionNumber: r.transaction_number as string,
          terminalId: r.terminal_id as string,
          stan: r.stan as number,
          usedBy: r.used_by as string | null,
          deliveredAt: r.delivered_at as number,
        }
      : undefined;
  }

  insertKey(k: Omit<KeyRow, 'usedBy'>): void {
    this.stmts.insertKey.run(k.encryptedPan, k.key, k.transactionNumber, k.terminalId, k.stan, k.deliveredAt);
  }

  /** Marks a key used by one authorization; false when it was used already. */
  useKey(encryptedPan: string, by: string): boolean {
    return this.stmts.useKey.run(by, encryptedPan).changes === 1;
  }

  authorizations(): AuthorizationRow[] {
    return (this.stmts.allAuthorizations.all() as Raw[]).map(authorizationOf);
  }

  reversals(): ReversalRow[] {
    return (this.stmts.allReversals.all() as Raw[]).map(reversalOf);
  }

  /** Runs `work` as one transaction: committed (and fsynced) when it returns. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /** Resolves once every decision so far is on disk (one flush for all the answers waiting). */
  durable(): Promise<void> {
    return this.commits.durable();
  }

  close(): void {
    this.commits.close();
    if (this.db.open) this.db.close();
  }
}
