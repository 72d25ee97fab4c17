/**
 * The gateway's tables from fixtures/seed001: the values of FIG. 7, 9 and 10, the ranges added for FIG. 7's
 * card numbers, loader errors that name the file, the path and what was expected, and the store's reading
 * of those tables.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GatewayFixtureError,
  issuerOf,
  loadGatewayFixtures,
  methodsFor,
  SEED001_FIXTURES_DIR,
} from '../../../services/gateway/fixtures.js';
import { loadCardFixtures } from '../../../devices/profiles/cards.js';
import Database from 'better-sqlite3';
import { GatewayStore } from '../../../services/gateway/store.js';
import { tempDir } from './helpers.js';

const f = loadGatewayFixtures();

describe('seed-001 gateway fixtures', () => {
  it("FIG. 7: users 00001–00003 with password, device id and card number; 00001 is the phone fixture's", () => {
    const rows = f.users.slice(0, 3).map((u) => [u.userId, u.password, u.deviceId, u.cardNumber]);
    expect(rows).toEqual([
      ['00001', 'ABCDEF', '1234567', '1234-2234-3234-4234'],
      ['00002', 'FEDCBA', '2234567', '2234-3234-4234-5234'],
      ['00003', 'CDEFAB', '3345678', '3234-4234-5234-6234'],
    ]);
    const card = fs.readFileSync(path.join(SEED001_FIXTURES_DIR, '..', 'cards', 'usim-seed001.yaml'), 'utf8');
    const u1 = f.users[0]!;
    expect(card).toContain(`deviceId: '${u1.deviceId}'`);
    expect(card).toContain(`number: '${u1.msisdn}'`);
    expect(card).toContain(`authKey: ${u1.authKey}`);
  });

  it("each seed-001 phone card is reached at its user's MSISDN; the foreign card differs only by device id", () => {
    // The gateway pushes to the MSISDN of its user table: a card with another number never gets the mail.
    const cards = Object.values(loadCardFixtures()).filter((c) => c.name.startsWith('usim-seed001'));
    const byId = new Map(f.users.map((u) => [u.userId, u]));
    const known = cards.filter((c) => byId.has(c.payment!.users[0]!.userId));
    expect(known.map((c) => c.name).sort()).toEqual([
      'usim-seed001',
      'usim-seed001-expired',
      'usim-seed001-foreign',
      'usim-seed001-user2',
      'usim-seed001-user3',
    ]);
    for (const c of known) {
      const u = byId.get(c.payment!.users[0]!.userId)!;
      expect(c.msisdn?.number, c.name).toBe(u.msisdn);
      expect(c.payment!.authKey?.toUpperCase(), c.name).toBe(u.authKey?.toUpperCase());
      expect(c.payment!.deviceId === u.deviceId, c.name).toBe(c.name !== 'usim-seed001-foreign');
    }
  });

  it("FIG. 9: ranges → issuers, prefix rule; the additions cover FIG. 7's cards", () => {
    expect(issuerOf(f.issuers, '1525000000123456')?.issuerName).toBe('A');
    expect(issuerOf(f.issuers, '1525059999000000')?.issuerName).toBe('A');
    expect(issuerOf(f.issuers, '1525060000000000')).toBeUndefined();
    expect(issuerOf(f.issuers, '1452590000000000')?.issuerCode).toBe('2a22222');
    expect(issuerOf(f.issuers, '1539960100000005')?.issuerCode).toBe('2s33333');
    expect(issuerOf(f.issuers, '1355012345678901')?.issuerCode).toBe('2a11111');
    expect(issuerOf(f.issuers, '1360012345678901')?.issuerCode).toBe('2s44444');
    expect(issuerOf(f.issuers, '1361012345678901')).toBeUndefined();
    const additions = f.issuers.filter((r) => r.addition);
    expect(additions.map((r) => r.from)).toEqual(['1234', '2234', '3234', '4234']);
    expect(f.users.slice(0, 3).map((u) => issuerOf(f.issuers, u.cardNumber!)?.issuerName)).toEqual([
      'A',
      'B',
      'D',
    ]);
  });

  it('FIG. 10: merchant 1111111111 takes A with L, I, R; 2222222222 takes B (L, I, pB, R) and D (L, B)', () => {
    const m = new Map(f.merchants.map((x) => [x.code, x]));
    expect(methodsFor(m.get('1111111111')!, '2a11111')).toEqual(['L', 'I', 'R']);
    expect(methodsFor(m.get('1111111111')!, '2a22222')).toBeUndefined();
    expect(methodsFor(m.get('2222222222')!, '2a22222')).toEqual(['L', 'I', 'pB', 'R']);
    expect(methodsFor(m.get('2222222222')!, '2s44444')).toEqual(['L', 'B']);
  });

  it('issuerOf never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), (s) => (issuerOf(f.issuers, s), true)));
  });

  const broken = (file: string, edit: (text: string) => string): GatewayFixtureError => {
    const t = tempDir();
    try {
      for (const n of ['users.yaml', 'issuers.yaml', 'merchants.yaml']) {
        const text = fs.readFileSync(path.join(SEED001_FIXTURES_DIR, n), 'utf8');
        fs.writeFileSync(path.join(t.dir, n), n === file ? edit(text) : text);
      }
      try {
        loadGatewayFixtures(t.dir);
      } catch (e) {
        if (e instanceof GatewayFixtureError) return e;
        throw e;
      }
      throw new Error('loaded');
    } finally {
      t.remove();
    }
  };

  it('errors name the file, the path and what was expected', () => {
    const e1 = broken('users.yaml', (t) => t.replace("expiry: '2812'", "expiry: '2813'"));
    expect(e1.file).toMatch(/users\.yaml$/);
    expect(e1.at).toBe('users.0.expiry');
    expect(e1.expected).toContain('YYMM');
    expect(e1.message).toMatch(/users\.yaml:\d+: users\.0\.expiry: expected an expiry YYMM/);
    const e2 = broken('merchants.yaml', (t) => t.replace('[L, I, R]', '[L, X]'));
    expect(e2.at).toBe('merchants.0.accepts.0.methods.1');
    const e3 = broken('users.yaml', (t) => t.replace("userId: '00002'", "userId: '00001'"));
    expect(e3.at).toBe('users.1.userId');
    const e4 = broken('users.yaml', (t) => t.replace('issuerCode: 2a22222', 'issuerCode: 2a11111'));
    expect(e4.at).toBe('users.1.issuerCode');
    const e5 = broken('issuers.yaml', (t) => t.replace("to: '1525059999'", "to: '1524'"));
    expect(e5.at).toBe('ranges.0.to');
    const e6 = broken('issuers.yaml', () => 'ranges: [');
    expect(e6.expected).toContain('well-formed YAML');
  });
});

describe('the gateway store reads FIG. 7, 9 and 10 once per load', () => {
  it('what it hands out is what the file holds, after a reload too; changing a copy changes nothing', () => {
    const t = tempDir();
    const store = new GatewayStore(t.file);
    try {
      store.loadFixtures(f);
      const fresh = (): Database.Database => new Database(t.file, { readonly: true });
      const db = fresh();
      const userRow = db.prepare('SELECT card_number FROM users WHERE user_id = ?').pluck().get('00001');
      db.close();
      const u = store.user('00001')!;
      expect(u.cardNumber).toBe(userRow);
      u.cardNumber = 'changed';
      expect(store.user('00001')!.cardNumber).toBe(userRow);
      expect(store.user('99999')).toBeUndefined();
      const m = store.merchant('1111111111')!;
      m.accepts.length = 0;
      expect(store.merchant('1111111111')!.accepts.length).toBeGreaterThan(0);
      expect(store.issuerRanges()).toEqual(
        f.issuers.map(({ from, to, issuerCode, issuerName, addition }) => ({
          from,
          to,
          issuerCode,
          issuerName,
          ...(addition ? { addition: true } : {}),
        })),
      );
      // A reload starts afresh: a user added, another gone, a merchant renamed.
      const extra = { ...f.users[0]!, userId: '99999' };
      store.loadFixtures({
        ...f,
        users: [extra, ...f.users.slice(1)],
        merchants: f.merchants.map((x) => ({ ...x, name: `${x.name} (renamed)` })),
      });
      expect(store.user('99999')?.cardNumber).toBe(extra.cardNumber);
      expect(store.user('00001')).toBeUndefined();
      expect(store.merchant('1111111111')!.name).toMatch(/\(renamed\)$/);
    } finally {
      store.close();
      t.remove();
    }
  });
});
