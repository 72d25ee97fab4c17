/**
 * The POS journal on disk: SQLite WAL with group commit, reopened by a second connection as after a
 * restart; counters (sale numbers, ISO 8583 STANs n6) survive and wrap; sales round-trip (fast-check).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { LineItem } from '../../../firmware-sim/payment/gateway-api.js';
import { PosJournal, type SaleRecord, type SaleUpdate } from '../../../host/pos/journal.js';
import { formatAmount, mask, renderReceipt } from '../../../host/pos/receipt.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-pos-journal-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => path.join(dir, `j-${++n}.db`);

const LINES: LineItem[] = [{ goods: 'Tea', quantity: 1, unitPrice: 150, tax: 12 }];

describe('PosJournal (SQLite on disk)', () => {
  it('opens in WAL mode with group commit (synchronous=NORMAL, the WAL flushed by durable())', async () => {
    const f = file();
    const j = new PosJournal(f);
    j.createSale({
      idempotencyKey: 'k',
      terminalId: 'T',
      merchantCode: 'M',
      lines: LINES,
      total: 162,
      currency: 'JPY',
      embodiment: 1,
      at: '2026-01-01T00:00:00.000Z',
    });
    await j.durable();
    j.close();
    const db = new Database(f, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    // synchronous is per connection: check the journal's own.
    const j2 = new PosJournal(f);
    expect((j2 as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true })).toBe(1);
    j2.close();
  });

  it('a sale and its state changes survive a reopen; unfinished() lists what resume() must continue', () => {
    const f = file();
    const j = new PosJournal(f);
    const a = j.createSale({
      idempotencyKey: 'key-a',
      terminalId: 'POS11',
      merchantCode: '1111111111',
      lines: LINES,
      total: 162,
      currency: 'JPY',
      embodiment: 1,
      at: '2026-01-01T00:00:00.000Z',
    });
    const b = j.createSale({
      idempotencyKey: 'key-b',
      terminalId: 'POS11',
      merchantCode: '1111111111',
      lines: LINES,
      total: 162,
      currency: 'JPY',
      embodiment: 2,
      method: 'R',
      at: '2026-01-01T00:00:01.000Z',
    });
    expect([a.saleId, b.saleId]).toEqual(['POS11-000001', 'POS11-000002']);
    j.update(a.saleId, { state: 'requesting', userId: '00001', updatedAt: '2026-01-01T00:00:02.000Z' });
    j.update(a.saleId, { state: 'pending', transactionId: 'TX1', updatedAt: '2026-01-01T00:00:03.000Z' });
    j.update(b.saleId, {
      state: 'done',
      outcome: 'aborted',
      reason: 'cancelled',
      updatedAt: '2026-01-01T00:00:04.000Z',
    });
    j.close();

    const again = new PosJournal(f);
    expect(again.unfinished().map((s) => [s.saleId, s.state, s.idempotencyKey, s.transactionId])).toEqual([
      ['POS11-000001', 'pending', 'key-a', 'TX1'],
    ]);
    expect(again.get(b.saleId)).toMatchObject({
      embodiment: 2,
      method: 'R',
      outcome: 'aborted',
      reason: 'cancelled',
      cancelRequested: false,
    });
    expect(again.historyOf(a.saleId).map((h) => h.state)).toEqual([
      'awaiting-user-id',
      'requesting',
      'pending',
    ]);
    const c = again.createSale({
      idempotencyKey: 'key-c',
      terminalId: 'POS11',
      merchantCode: '1111111111',
      lines: LINES,
      total: 162,
      currency: 'JPY',
      embodiment: 1,
      at: '2026-01-01T00:00:05.000Z',
    });
    expect(c.saleId).toBe('POS11-000003');
    expect(() =>
      again.createSale({
        idempotencyKey: 'key-c',
        terminalId: 'POS11',
        merchantCode: 'x',
        lines: LINES,
        total: 1,
        currency: 'JPY',
        embodiment: 1,
        at: 'x',
      }),
    ).toThrow();
    again.close();
  });

  it('the STAN counter (ISO 8583 field 11, n6) is persistent and wraps from 999999 to 1', () => {
    const f = file();
    const j = new PosJournal(f);
    expect(j.nextCounter('stan:T', 999_999)).toBe(1);
    j.close();
    const db = new Database(f);
    db.prepare("UPDATE counters SET value = 999998 WHERE name = 'stan:T'").run();
    db.close();
    const j2 = new PosJournal(f);
    expect([j2.nextCounter('stan:T', 999_999), j2.nextCounter('stan:T', 999_999)]).toEqual([999_999, 1]);
    j2.close();
  });

  it('property: any clerk entry round-trips through the file (lines, total, currency)', () => {
    const f = file();
    const j = new PosJournal(f);
    const line = fc.record({
      goods: fc.string({ minLength: 1, maxLength: 40 }),
      quantity: fc.integer({ min: 1, max: 999 }),
      unitPrice: fc.integer({ min: 0, max: 10_000_000 }),
      tax: fc.integer({ min: 0, max: 1_000_000 }),
    });
    let k = 0;
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('JPY', 'USD', 'EUR'),
        (lines, currency) => {
          const total = lines.reduce((s, l) => s + l.quantity * l.unitPrice + l.tax, 0);
          const s = j.createSale({
            idempotencyKey: `p-${++k}`,
            terminalId: 'P',
            merchantCode: 'M',
            lines,
            total,
            currency,
            embodiment: 1,
            at: 't',
          });
          const back = j.get(s.saleId)!;
          expect(back.lines).toEqual(lines);
          expect(back.total).toBe(total);
          expect(back.currency).toBe(currency);
        },
      ),
      { numRuns: 100, seed: 1 },
    );
    j.close();
  });
});

describe('PosJournal: the records it keeps in memory', () => {
  it('property: after any updates, what update() and get() return is what a fresh connection reads from the file', () => {
    const f = file();
    const j = new PosJournal(f);
    const change = fc.record(
      {
        state: fc.constantFrom('requesting', 'pending', 'finishing', 'done'),
        transactionId: fc.string({ minLength: 1, maxLength: 12 }),
        outcome: fc.constantFrom('completed', 'aborted', 'declined'),
        stan: fc.integer({ min: 1, max: 999_999 }),
        cancelRequested: fc.boolean(),
        detail: fc.string({ maxLength: 30 }),
        receipt: fc.string({ maxLength: 60 }),
      },
      { requiredKeys: [] },
    );
    let k = 0;
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 6 }), (changes) => {
        const { saleId } = j.createSale({
          idempotencyKey: `m-${++k}`,
          terminalId: 'Q',
          merchantCode: 'M',
          lines: LINES,
          total: 162,
          currency: 'JPY',
          embodiment: 1,
          at: 't',
        });
        let last: SaleRecord | undefined;
        for (const c of changes) last = j.update(saleId, { ...(c as SaleUpdate), updatedAt: `u${k}` });
        const fresh = new PosJournal(f);
        try {
          expect(last).toEqual(fresh.get(saleId));
          expect(j.get(saleId)).toEqual(fresh.get(saleId));
        } finally {
          fresh.close();
        }
      }),
      { numRuns: 60, seed: 2 },
    );
    j.close();
  });
});

describe('receipt', () => {
  it('amounts in the currency minor units (ISO 4217 exponents: JPY 0, USD 2)', () => {
    expect(formatAmount(1200, 'JPY')).toBe('1,200 JPY');
    expect(formatAmount(1250, 'USD')).toBe('12.50 USD');
    expect(formatAmount(5, 'EUR')).toBe('0.05 EUR');
    expect(formatAmount(1234567, 'JPY')).toBe('1,234,567 JPY');
  });

  it('property: formatAmount keeps every digit (digits of the text = the minor amount)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('JPY', 'USD', 'EUR'),
        (minor, cur) => {
          expect(Number(formatAmount(minor, cur).replace(/[^0-9]/g, ''))).toBe(minor);
        },
      ),
      { seed: 2 },
    );
  });

  it('property: masking shows at most half of a value, and only its end', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 32 }), fc.integer({ min: 0, max: 8 }), (v, keep) => {
        const m = mask(v, keep);
        expect(m.length).toBe(v.length);
        const shown = m.replace(/^\*+/, '');
        expect(v.endsWith(shown) || shown === '').toBe(true);
        expect(m.length - m.replace(/^\*+/, '').length).toBeGreaterThanOrEqual(Math.ceil(v.length / 2));
      }),
      { seed: 3 },
    );
  });

  it('a receipt of 40 columns with lines, tax, total, method, approval code and transaction number', () => {
    const text = renderReceipt({
      shopName: 'Shop A',
      merchantCode: '1111111111',
      terminalId: 'POS11',
      saleId: 'POS11-000001',
      at: '2026-01-01T10:00:00.000Z',
      lines: [{ goods: 'Green tea', quantity: 2, unitPrice: 150, tax: 24 }],
      currency: 'JPY',
      total: 324,
      embodiment: 2,
      outcome: 'completed',
      method: 'R',
      approvalCode: 'C00001',
      transactionId: 'TX00000001',
      userId: '00001',
      encryptedPan: '8625963631625653',
    });
    for (const l of text.trimEnd().split('\n')) expect(l.length).toBeLessThanOrEqual(40);
    expect(text).toMatch(/Tax +24 JPY/);
    expect(text).toMatch(/TOTAL +324 JPY/);
    expect(text).toMatch(/Method +Revolving/);
    expect(text).toMatch(/Approval code +C00001/);
    expect(text).toMatch(/Transaction +TX00000001/);
    expect(text).toMatch(/Card ref +\*{12}5653/);
    expect(text).not.toContain('8625963631625653');
    expect(text).toMatch(/Shop A/);
    // A shop named by its merchant code alone prints that line once.
    const unnamed = renderReceipt({
      shopName: 'Merchant 1111111111',
      merchantCode: '1111111111',
      terminalId: 'POS11',
      saleId: 'POS11-000002',
      at: '2026-01-01T10:00:00.000Z',
      lines: [{ goods: 'Green tea', quantity: 1, unitPrice: 150, tax: 12 }],
      currency: 'JPY',
      total: 162,
      embodiment: 1,
      outcome: 'aborted',
    });
    expect(unnamed.match(/Merchant 1111111111/g)).toHaveLength(1);
  });
});
