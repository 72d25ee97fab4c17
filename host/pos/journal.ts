/**
 * The POS journal (seed 001 [0093]–[0094], steps Sd6–Sd7; embodiment 2 [0162]): one row per sale in
 * SQLite on disk, WAL with group commit, so a sale survives a power cut at any step. The application
 * commits every state change and awaits `durable()` before it takes the next external step (a request, a
 * print, a CONFIRM), which is what lets `resume()` finish a sale with the same idempotency key and never
 * pay twice.
 *
 * No card number is ever written here: embodiment 2 keeps only the per-transaction encrypted number.
 */
import Database from 'better-sqlite3';
import type { Clock } from '../../firmware-sim/clock.js';
import { GroupCommit } from '../../devices/sqlite-group-commit.js';
import { statementCache } from '../../devices/sqlite-statements.js';
import type { AbortReason, LineItem, PaymentMethod } from '../../firmware-sim/payment/gateway-api.js';

/**
 * Where a sale stands. `awaiting-user-id` → `requesting` → embodiment 1: `pending` (transaction number
 * known, waiting for the completion); embodiment 2: `awaiting-card` → `authorizing` → `reporting`.
 * Every path ends in `finishing` (outcome known: receipt and CONFIRM still to do) → `done`.
 */
export type SaleState =
  | 'awaiting-user-id'
  | 'requesting'
  | 'pending'
  | 'awaiting-card'
  | 'authorizing'
  | 'reporting'
  | 'reversing'
  | 'finishing'
  | 'done';

export type SaleOutcome = 'completed' | 'aborted' | 'declined';

export interface SaleRecord {
  saleId: string;
  idempotencyKey: string;
  terminalId: string;
  merchantCode: string;
  lines: LineItem[];
  total: number;
  currency: string;
  embodiment: 1 | 2;
  state: SaleState;
  /** The gateway's transaction number (or credit-request id in embodiment 2). */
  transactionId?: string;
  userId?: string;
  /** Bluetooth address of the phone the user id came from, when it came from a phone. */
  phone?: string;
  outcome?: SaleOutcome;
  reason?: AbortReason;
  /** A gateway or issuer error that has no AbortReason (kept for the clerk). */
  detail?: string;
  /** Embodiment 2: the method the clerk asked for; embodiment 1: the one the user chose. */
  method?: PaymentMethod;
  approvalCode?: string;
  rrn?: string;
  responseCode?: string;
  encryptedPan?: string;
  expiry?: string;
  issuerCode?: string;
  /** ISO 8583 field 11 of the authorization, fixed before it is first sent (repeats reuse it). */
  stan?: number;
  /** Transmission time of the authorization (ISO 8601), fixed with the STAN. */
  authorizationAt?: string;
  /** Field 11 of the 0400 that undoes an approval the gateway would not take. */
  reversalStan?: number;
  cancelRequested: boolean;
  cancelSent: boolean;
  receipt?: string;
  confirmResult?: string;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  printedAt?: string;
  confirmedAt?: string;
}

/** Columns a step may change, in the record's names. */
export type SaleUpdate = Partial<
  Omit<SaleRecord, 'saleId' | 'idempotencyKey' | 'terminalId' | 'merchantCode' | 'lines' | 'total'>
>;

const COLUMNS: Record<keyof SaleRecord, string> = {
  saleId: 'sale_id',
  idempotencyKey: 'idempotency_key',
  terminalId: 'terminal_id',
  merchantCode: 'merchant_code',
  lines: 'lines',
  total: 'total',
  currency: 'currency',
  embodiment: 'embodiment',
  state: 'state',
  transactionId: 'transaction_id',
  userId: 'user_id',
  phone: 'phone',
  outcome: 'outcome',
  reason: 'reason',
  detail: 'detail',
  method: 'method',
  approvalCode: 'approval_code',
  rrn: 'rrn',
  responseCode: 'response_code',
  encryptedPan: 'encrypted_pan',
  expiry: 'expiry',
  issuerCode: 'issuer_code',
  stan: 'stan',
  authorizationAt: 'authorization_at',
  reversalStan: 'reversal_stan',
  cancelRequested: 'cancel_requested',
  cancelSent: 'cancel_sent',
  receipt: 'receipt',
  confirmResult: 'confirm_result',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  completedAt: 'completed_at',
  printedAt: 'printed_at',
  confirmedAt: 'confirmed_at',
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sales (
  sale_id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  terminal_id TEXT NOT NULL,
  merchant_code TEXT NOT NULL,
  lines TEXT NOT NULL,
  total INTEGER NOT NULL,
  currency TEXT NOT NULL,
  embodiment INTEGER NOT NULL CHECK (embodiment IN (1, 2)),
  state TEXT NOT NULL,
  transaction_id TEXT,
  user_id TEXT,
  phone TEXT,
  outcome TEXT,
  reason TEXT,
  detail TEXT,
  method TEXT,
  approval_code TEXT,
  rrn TEXT,
  response_code TEXT,
  encrypted_pan TEXT,
  expiry TEXT,
  issuer_code TEXT,
  stan INTEGER,
  authorization_at TEXT,
  reversal_stan INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  cancel_sent INTEGER NOT NULL DEFAULT 0,
  receipt TEXT,
  confirm_result TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  completed_at TEXT,
  printed_at TEXT,
  confirmed_at TEXT
);
CREATE TABLE IF NOT EXISTS sale_history (
  sale_id TEXT NOT NULL REFERENCES sales(sale_id),
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  state TEXT NOT NULL,
  note TEXT,
  PRIMARY KEY (sale_id, seq)
);
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;

export interface NewSale {
  idempotencyKey: string;
  terminalId: string;
  merchantCode: string;
  lines: LineItem[];
  total: number;
  currency: string;
  embodiment: 1 | 2;
  method?: PaymentMethod;
  at: string;
}

type Row = Record<string, unknown>;

/** Sales kept in memory for reading (a POS runs a few at a time). */
const RECENT_SALES = 64;

export class PosJournal {
  private readonly db: Database.Database;
  private readonly prepare: (sql: string) => Database.Statement;
  private readonly commits: GroupCommit;
  /** The sales read or written lately, as committed: a sale's steps read it again and again. */
  private readonly recent = new Map<string, SaleRecord>();

  /** `clock`: held while the disk is flushed (see GroupCommit). */
  constructor(file: string, clock?: Clock) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    this.commits = new GroupCommit(this.db, file, clock);
    this.prepare = statementCache(this.db);
  }

  /** Resolves once every change so far is on disk; the application awaits it before each external step. */
  durable(): Promise<void> {
    return this.commits.durable();
  }

  /** The next value of a persistent counter (sale numbers, STANs), committed before it is used. */
  nextCounter(name: string, wrapAt = Number.MAX_SAFE_INTEGER): number {
    return this.db.transaction(() => {
      const row = this.prepare('SELECT value FROM counters WHERE name = ?').get(name) as
        { value: number } | undefined;
      const value = row && row.value < wrapAt ? row.value + 1 : 1;
      this.prepare('INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)').run(name, value);
      return value;
    })();
  }

  /** Record a new sale in `awaiting-user-id`, under a sale id `<terminal>-<n>`. */
  createSale(sale: NewSale): SaleRecord {
    const saleId = this.db.transaction(() => {
      const n = this.nextCounter(`sale:${sale.terminalId}`);
      const id = `${sale.terminalId}-${String(n).padStart(6, '0')}`;
      this.prepare(
        `INSERT INTO sales (sale_id, idempotency_key, terminal_id, merchant_code, lines, total, currency,
             embodiment, state, method, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'awaiting-user-id', ?, ?, ?)`,
      ).run(
        id,
        sale.idempotencyKey,
        sale.terminalId,
        sale.merchantCode,
        JSON.stringify(sale.lines),
        sale.total,
        sale.currency,
        sale.embodiment,
        sale.method ?? null,
        sale.at,
        sale.at,
      );
      this.history(id, 'awaiting-user-id', sale.at, 'entered');
      return id;
    })();
    return this.get(saleId)!;
  }

  /** Apply a step's changes in one transaction (and a history line when the state moves). */
  update(saleId: string, change: SaleUpdate & { updatedAt: string }, note?: string): SaleRecord {
    const entries = Object.entries(change).filter(([, v]) => v !== undefined);
    const sets = entries.map(([k]) => `${COLUMNS[k as keyof SaleRecord]} = ?`);
    const values = entries.map(([, v]) => (typeof v === 'boolean' ? (v ? 1 : 0) : (v as unknown)));
    const sale = this.db.transaction(() => {
      const before = this.get(saleId);
      const r = this.prepare(`UPDATE sales SET ${sets.join(', ')} WHERE sale_id = ?`).run(...values, saleId);
      if (r.changes !== 1 || !before) throw new Error(`journal: no sale ${saleId}`);
      // What the row now holds: an update only sets values (SaleUpdate has no nulls).
      const after = { ...before, ...Object.fromEntries(entries) } as SaleRecord;
      if (change.state !== undefined || note !== undefined)
        this.history(saleId, after.state, change.updatedAt, note);
      return after;
    })();
    this.remember(sale);
    return { ...sale };
  }

  get(saleId: string): SaleRecord | undefined {
    const known = this.recent.get(saleId);
    if (known) return { ...known };
    const row = this.prepare('SELECT * FROM sales WHERE sale_id = ?').get(saleId) as Row | undefined;
    if (!row) return undefined;
    const sale = fromRow(row);
    this.remember(sale);
    return { ...sale };
  }

  /** Keeps a committed record for the next reads (this connection is the journal's only writer). */
  private remember(sale: SaleRecord): void {
    this.recent.delete(sale.saleId);
    if (this.recent.size >= RECENT_SALES) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(sale.saleId, sale);
  }

  /** Sales not yet `done`, oldest first. */
  unfinished(): SaleRecord[] {
    return (
      this.prepare("SELECT * FROM sales WHERE state != 'done' ORDER BY created_at, sale_id").all() as Row[]
    ).map(fromRow);
  }

  all(): SaleRecord[] {
    return (this.prepare('SELECT * FROM sales ORDER BY created_at, sale_id').all() as Row[]).map(fromRow);
  }

  /** State changes of a sale, in order (for transcripts and the clerk's screen). */
  historyOf(saleId: string): { at: string; state: SaleState; note?: string }[] {
    const rows = this.prepare('SELECT at, state, note FROM sale_history WHERE sale_id = ? ORDER BY seq').all(
      saleId,
    ) as { at: string; state: SaleState; note: string | null }[];
    return rows.map((r) => ({ at: r.at, state: r.state, ...(r.note !== null ? { note: r.note } : {}) }));
  }

  close(): void {
    this.commits.close();
    if (this.db.open) this.db.close();
  }

  private history(saleId: string, state: string, at: string, note: string | undefined): void {
    this.prepare(
      `INSERT INTO sale_history (sale_id, seq, at, state, note)
         SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM sale_history WHERE sale_id = ?`,
    ).run(saleId, at, state, note ?? null, saleId);
  }
}

function fromRow(row: Row): SaleRecord {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(COLUMNS)) {
    const v = row[column];
    if (v === null || v === undefined) continue;
    out[key] = v;
  }
  out.lines = JSON.parse(row.lines as string) as LineItem[];
  out.cancelRequested = row.cancel_requested === 1;
  out.cancelSent = row.cancel_sent === 1;
  return out as unknown as SaleRecord;
}
