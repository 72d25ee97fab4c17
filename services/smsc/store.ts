/**
 * The SMSC's queue in SQLite (WAL). Every state change is committed before anything is acknowledged: a
 * submit_sm_resp follows the INSERT's commit, a message counts as delivered only after the subscriber's
 * acknowledgement is committed. Callers group changes that arrive together into one transaction (group
 * commit), so a burst costs one fsync, not one per message. A restarted SMSC reads the same rows.
 *
 * `mt_messages`: mobile-terminated messages from ESMEs to phones (state queued → delivered | failed).
 * `esme_outbox`: deliver_sm PDUs owed to ESMEs (mobile-originated messages and delivery receipts).
 */
import Database from 'better-sqlite3';

export interface MtMessage {
  id: number;
  systemId: string;
  source: string;
  destination: string;
  /** Encoded SMS-DELIVER TPDUs, one per part. */
  tpdus: Uint8Array[];
  registeredDelivery: number;
  submittedAt: number;
  attempts: number;
  nextAttemptAt: number;
  /** First 20 characters of the text, for the receipt's text: field. */
  preview: string;
}

export interface OutboxRow {
  id: number;
  /** The ESME the PDU is for, or '' for any bound receiver (mobile-originated messages). */
  systemId: string;
  kind: 'mo' | 'receipt';
  source: string;
  destination: string;
  esmClass: number;
  dataCoding: number;
  payload: Uint8Array;
  receiptedMessageId: string;
  messageState: number;
  /** TP-MR of a phone's SMS-SUBMIT that asked for a status report (TP-SRR). */
  statusReportMr?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mt_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  system_id TEXT NOT NULL,
  client_ref INTEGER,
  source TEXT NOT NULL,
  destination TEXT NOT NULL,
  tpdus BLOB NOT NULL,
  registered_delivery INTEGER NOT NULL,
  submitted_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  done_at INTEGER,
  preview TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS mt_client_ref ON mt_messages(system_id, client_ref) WHERE client_ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS mt_queue ON mt_messages(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS esme_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  system_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  destination TEXT NOT NULL,
  esm_class INTEGER NOT NULL,
  data_coding INTEGER NOT NULL,
  payload BLOB NOT NULL,
  receipted_message_id TEXT NOT NULL DEFAULT '',
  message_state INTEGER NOT NULL DEFAULT 0,
  status_report_mr INTEGER,
  state TEXT NOT NULL DEFAULT 'queued'
);
CREATE INDEX IF NOT EXISTS outbox_queue ON esme_outbox(state, id);
`;

/** TPDUs in one blob: a 2-byte length before each. */
function packTpdus(tpdus: Uint8Array[]): Buffer {
  return Buffer.concat(tpdus.flatMap((t) => [Buffer.from([t.length >> 8, t.length & 0xff]), Buffer.from(t)]));
}

function unpackTpdus(blob: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at + 2 <= blob.length;) {
    const n = (blob[at]! << 8) | blob[at + 1]!;
    out.push(Uint8Array.from(blob.subarray(at + 2, at + 2 + n)));
    at += 2 + n;
  }
  return out;
}

interface MtRow {
  id: number;
  system_id: string;
  source: string;
  destination: string;
  tpdus: Buffer;
  registered_delivery: number;
  submitted_at: number;
  attempts: number;
  next_attempt_at: number;
  preview: string;
}

export class SmscStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed row survives a power cut, not only a killed process.
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    this.stmts = {
      insertMt: this.db.prepare(
        `INSERT INTO mt_messages (system_id, client_ref, source, destination, tpdus, registered_delivery,
           submitted_at, next_attempt_at, preview) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byClientRef: this.db.prepare('SELECT id FROM mt_messages WHERE system_id = ? AND client_ref = ?'),
      due: this.db.prepare(
        `SELECT * FROM mt_messages WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
      ),
      nextDue: this.db.prepare(`SELECT MIN(next_attempt_at) AS t FROM mt_messages WHERE state = 'queued'`),
      finish: this.db.prepare(
        `UPDATE mt_messages SET state = ?, done_at = ?, attempts = attempts + 1 WHERE id = ? AND state = 'queued'`,
      ),
      retry: this.db.prepare(
        `UPDATE mt_messages SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND state = 'queued'`,
      ),
      insertOutbox: this.db.prepare(
        `INSERT INTO esme_outbox (system_id, kind, source, destination, esm_class, data_coding, payload,
           receipted_message_id, message_state, status_report_mr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      outboxQueued: this.db.prepare(`SELECT * FROM esme_outbox WHERE state = 'queued' ORDER BY id LIMIT ?`),
      outboxDone: this.db.prepare(`UPDATE esme_outbox SET state = 'delivered' WHERE id = ?`),
      maxId: this.db.prepare('SELECT MAX(id) AS id FROM mt_messages'),
      counts: this.db.prepare(`SELECT state, COUNT(*) AS n FROM mt_messages GROUP BY state`),
    };
  }

  /** Runs `fn` in one transaction: one commit (one fsync) for a batch of state changes. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Stores a submitted message; with a client reference already seen, returns the earlier id instead. */
  insertMt(m: Omit<MtMessage, 'id' | 'attempts' | 'nextAttemptAt'> & { clientRef?: number }): {
    id: number;
    duplicate: boolean;
  } {
    if (m.clientRef !== undefined) {
      const seen = this.stmts.byClientRef.get(m.systemId, m.clientRef) as { id: number } | undefined;
      if (seen) return { id: seen.id, duplicate: true };
    }
    const r = this.stmts.insertMt.run(
      m.systemId,
      m.clientRef ?? null,
      m.source,
      m.destination,
      packTpdus(m.tpdus),
      m.registeredDelivery,
      m.submittedAt,
      m.submittedAt,
      m.preview,
    );
    return { id: Number(r.lastInsertRowid), duplicate: false };
  }

  dueMt(now: number, limit: number): MtMessage[] {
    return (this.stmts.due.all(now, limit) as MtRow[]).map((r) => ({
      id: r.id,
      systemId: r.system_id,
      source: r.source,
      destination: r.destination,
      tpdus: unpackTpdus(r.tpdus),
      registeredDelivery: r.registered_delivery,
      submittedAt: r.submitted_at,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      preview: r.preview,
    }));
  }

  nextDueAt(): number | undefined {
    return (this.stmts.nextDue.get() as { t: number | null }).t ?? undefined;
  }

  /** Final state and, in the same transaction, the receipt owed to the submitter. */
  finishMt(id: number, state: 'delivered' | 'failed', at: number, receipt?: Omit<OutboxRow, 'id'>): void {
    this.db.transaction(() => {
      const changed = this.stmts.finish.run(state, at, id).changes;
      if (changed && receipt) this.insertOutboxRow(receipt);
    })();
  }

  retryMt(id: number, at: number): void {
    this.stmts.retry.run(at, id);
  }

  insertOutbox(row: Omit<OutboxRow, 'id'>): number {
    return this.insertOutboxRow(row);
  }

  private insertOutboxRow(row: Omit<OutboxRow, 'id'>): number {
    const r = this.stmts.insertOutbox.run(
      row.systemId,
      row.kind,
      row.source,
      row.destination,
      row.esmClass,
      row.dataCoding,
      Buffer.from(row.payload),
      row.receiptedMessageId,
      row.messageState,
      row.statusReportMr ?? null,
    );
    return Number(r.lastInsertRowid);
  }

  queuedOutbox(limit: number): OutboxRow[] {
    return (this.stmts.outboxQueued.all(limit) as Record<string, unknown>[]).map((r) => ({
      id: r.id as number,
      systemId: r.system_id as string,
      kind: r.kind as 'mo' | 'receipt',
      source: r.source as string,
      destination: r.destination as string,
      esmClass: r.esm_class as number,
      dataCoding: r.data_coding as number,
      payload: Uint8Array.from(r.payload as Buffer),
      receiptedMessageId: r.receipted_message_id as string,
      messageState: r.message_state as number,
      ...(r.status_report_mr === null ? {} : { statusReportMr: r.status_report_mr as number }),
    }));
  }

  outboxDelivered(id: number): void {
    this.stmts.outboxDone.run(id);
  }

  maxMtId(): number {
    return (this.stmts.maxId.get() as { id: number | null }).id ?? 0;
  }

  /** Messages per state, for tests and the control API. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.stmts.counts.all() as { state: string; n: number }[]) out[r.state] = r.n;
    return out;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
