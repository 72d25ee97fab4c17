/**
 * Embodiment 1 through the gateway's HTTPS routes (docs/SEED-001.md "Embodiment 1, over the wires"): every
 * step, every failure branch, and a repeat of every POST. The issuer is a stand-in credit server; pushes
 * go to a recording stand-in (the SMPP sender has its own test against the real SMSC).
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Mail } from '../../../firmware-sim/payment/gateway-api.js';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { mailSignatureValid } from '../../../services/gateway/mail.js';
import { makeTls, tempDir, waitFor, type TlsMaterial } from './helpers.js';
import {
  authBody,
  bearer,
  createTransaction,
  newKey,
  openGateway,
  poll,
  sale,
  upToMethods,
  userOf,
  type Harness,
} from './harness.js';

let tls: TlsMaterial;
let db: ReturnType<typeof tempDir>;
let h: Harness;

beforeAll(() => {
  tls = makeTls();
});
afterAll(() => fs.rmSync(tls.dir, { recursive: true, force: true }));
beforeEach(async () => {
  db = tempDir();
  h = await openGateway({ dbFile: db.file, tls });
});
afterEach(async () => {
  await h.gw.close();
  db.remove();
});

describe('gateway embodiment 1 (stand-in credit server)', () => {
  it('steps 3–12: transaction, signed mail + WAP push, authenticate, agree, methods, authorization, completion to phone and POS', async () => {
    const key = newKey();
    const created = await h.client.post('/pos/v1/transactions', sale('00001'), { 'idempotency-key': key });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: 'pending', createdAt: '2026-01-01T00:00:00.000Z' });
    const id = created.json.transactionId as string;
    expect(id).toMatch(/^\d{6,}$/);
    // Repeat with the same Idempotency-Key: 200, the same transaction.
    const repeat = await h.client.post('/pos/v1/transactions', sale('00001'), { 'idempotency-key': key });
    expect(repeat.status).toBe(200);
    expect(repeat.json.transactionId).toBe(id);
    // Step 5: the reception notice goes to the user's MSISDN with the mailbox URL.
    await waitFor('the push', () => h.push.pushes.length === 1);
    expect(h.push.pushes[0]).toMatchObject({
      msisdn: '+447700900123',
      href: 'https://gateway.benchtwin.test/mail/v1/mailboxes/1234567/messages',
    });
    const box = await h.client.get('/mail/v1/mailboxes/1234567/messages');
    expect(box.status).toBe(200);
    const mails = box.json.messages as Mail[];
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({
      kind: 'payment-request',
      commands: {
        application: 'seed001-payment',
        action: 'pay',
        transactionId: id,
        paymentServer: 'https://gateway.benchtwin.test/phone/v1',
      },
    });
    expect(mailSignatureValid(mails[0]!)).toBe(true);
    expect(mailSignatureValid({ ...mails[0]!, sentAt: '2026-01-01T00:00:01.000Z' })).toBe(false);
    expect(h.push.pushes[0]!.siId).toBe(mails[0]!.messageId);
    // Steps 6–8.
    const auth = authBody(h.clock, '00001');
    const a = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, auth);
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({
      transactionId: id,
      merchantCode: '1111111111',
      merchantName: 'A',
      currency: 'JPY',
      total: 825,
    });
    const again = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, auth);
    expect(again.json.session).toBe(a.json.session);
    const session = a.json.session as string;
    // Step 9: merchant A, issuer A (2a11111) → L, I, R (FIG. 10).
    const g = await h.client.post(`/phone/v1/transactions/${id}/agreement`, { agree: true }, bearer(session));
    expect(g.json).toEqual({ status: 'choose-method', methods: ['L', 'I', 'R'] });
    const g2 = await h.client.post(
      `/phone/v1/transactions/${id}/agreement`,
      { agree: true },
      bearer(session),
    );
    expect(g2.json).toEqual(g.json);
    // The POS's long poll is answered by the completion.
    const longPoll = poll(h, id, 60_000);
    const m = await h.client.post(
      `/phone/v1/transactions/${id}/method`,
      { method: 'I', installments: 3 },
      bearer(session),
    );
    expect(m.status).toBe(200);
    expect(m.json).toEqual({
      status: 'completed',
      approvalCode: 'A00001',
      message: 'Payment has now been completed',
    });
    const lp = await longPoll;
    expect(lp.json).toMatchObject({
      transactionId: id,
      status: 'completed',
      method: 'I',
      approvalCode: 'A00001',
    });
    expect(lp.json.rrn).toMatch(/^\d{12}$/);
    // Steps 10–11: the authorization the issuer got.
    expect(h.credit.authorizations).toHaveLength(1);
    expect(h.credit.authorizations[0]).toMatchObject({
      pan: '1234223432344234',
      expiry: '2812',
      amountMinor: 825,
      currencyNumeric: '392',
      merchantId: '1111111111',
      paymentMethod: 'I',
      installments: 3,
      transactionNumber: id,
    });
    // Repeats: the same answer, no second authorization; the mailbox no longer lists the closed mail.
    const m2 = await h.client.post(
      `/phone/v1/transactions/${id}/method`,
      { method: 'I', installments: 3 },
      bearer(session),
    );
    expect(m2.json).toEqual(m.json);
    expect(h.credit.authorizations).toHaveLength(1);
    expect((await h.client.get('/mail/v1/mailboxes/1234567/messages')).json.messages).toEqual([]);
    // A POS answer never holds the card number.
    expect(JSON.stringify(lp.json) + repeat.text).not.toContain('1234223432344234');
    expect(h.gw.journal()).toEqual([
      expect.objectContaining({
        transactionId: id,
        state: 'completed',
        stan: 1,
        approvalCode: 'A00001',
        total: 825,
      }),
    ]);
  });

  it('POS request errors: missing Idempotency-Key, reused key, wrong total, unknown merchant → 4xx', async () => {
    const no = await h.client.post('/pos/v1/transactions', sale('00001'));
    expect(no.status).toBe(400);
    const key = newKey();
    expect(
      (await h.client.post('/pos/v1/transactions', sale('00001'), { 'idempotency-key': key })).status,
    ).toBe(201);
    const reused = await h.client.post('/pos/v1/transactions', sale('00002', '2222222222'), {
      'idempotency-key': key,
    });
    expect(reused.status).toBe(409);
    const wrong = await h.client.post(
      '/pos/v1/transactions',
      { ...sale('00001'), total: 1 },
      { 'idempotency-key': newKey() },
    );
    expect(wrong.status).toBe(422);
    const merchant = await h.client.post('/pos/v1/transactions', sale('00001', '9999999999'), {
      'idempotency-key': newKey(),
    });
    expect(merchant.status).toBe(422);
    expect(merchant.json.reason).toBe('unknown-merchant');
    expect((await h.client.get('/pos/v1/transactions/nope')).status).toBe(404);
    expect((await h.client.request('DELETE', '/pos/v1/transactions')).status).toBe(405);
  });

  it('unknown user: the transaction is recorded aborted unknown-user and no mail is sent', async () => {
    const r = await h.client.post('/pos/v1/transactions', sale('99999'), { 'idempotency-key': newKey() });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ status: 'aborted', reason: 'unknown-user' });
    expect(h.push.pushes).toEqual([]);
  });

  const refused = async (id: string, body: object, reason: string): Promise<void> => {
    const r = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, body);
    expect(r.status).toBe(403);
    expect(r.json.reason).toBe(reason);
    // The same call again: the same answer; the POS sees the payment stopped.
    const again = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, body);
    expect(again.status).toBe(403);
    expect(again.json).toEqual(r.json);
    expect((await poll(h, id)).json).toMatchObject({ status: 'aborted', reason });
  };

  it('step 7: a MAC under another key → 403 auth-invalid', async () => {
    const id = await createTransaction(h, '00001');
    await refused(id, authBody(h.clock, '00001', { authKey: userOf('00002').authKey }), 'auth-invalid');
  });

  it('step 7: an authentication result past its hour → 403 auth-expired', async () => {
    h.clock.advance(2 * 3600_000);
    const id2 = await createTransaction(h, '00001');
    await refused(
      id2,
      authBody(h.clock, '00001', { issuedAtS: Math.floor(Date.UTC(2026, 0, 1) / 1000) }),
      'auth-expired',
    );
  });

  it('step 7: a result MACed for another device id → 403 device-mismatch', async () => {
    const id = await createTransaction(h, '00001');
    await refused(id, authBody(h.clock, '00001', { deviceId: '7654321' }), 'device-mismatch');
  });

  it("step 7: a user id other than the transaction's → 403 unknown-user", async () => {
    const id = await createTransaction(h, '00001');
    await refused(id, authBody(h.clock, '00002'), 'unknown-user');
  });

  it('step 8: Not agree → aborted not-agreed, POS told', async () => {
    const id = await createTransaction(h, '00001');
    const a = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, authBody(h.clock, '00001'));
    const g = await h.client.post(
      `/phone/v1/transactions/${id}/agreement`,
      { agree: false },
      bearer(a.json.session),
    );
    expect(g.json).toEqual({ status: 'aborted', reason: 'not-agreed' });
    expect((await poll(h, id)).json).toMatchObject({ status: 'aborted', reason: 'not-agreed' });
    const m = await h.client.post(
      `/phone/v1/transactions/${id}/method`,
      { method: 'L' },
      bearer(a.json.session),
    );
    expect(m.status).toBe(409);
  });

  it("step 9: the merchant does not accept the card's issuer → aborted issuer-not-accepted", async () => {
    const id = await createTransaction(h, '00005'); // issuer C at merchant A
    const a = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, authBody(h.clock, '00005'));
    const g = await h.client.post(
      `/phone/v1/transactions/${id}/agreement`,
      { agree: true },
      bearer(a.json.session),
    );
    expect(g.json).toEqual({ status: 'aborted', reason: 'issuer-not-accepted' });
  });

  it('step 9: a method the merchant does not allow → 422 method-not-allowed, then an allowed one completes', async () => {
    const id = await createTransaction(h, '00003', '2222222222'); // issuer D at merchant B: L, B
    const { session, methods } = await upToMethods(h, id, '00003');
    expect(methods).toEqual(['L', 'B']);
    const bad = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'R' }, bearer(session));
    expect(bad.status).toBe(422);
    expect(bad.json.reason).toBe('method-not-allowed');
    const ok = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'B' }, bearer(session));
    expect(ok.json.status).toBe('completed');
  });

  it('phone calls without the session → 401; out of order → 409', async () => {
    const id = await createTransaction(h, '00001');
    expect((await h.client.post(`/phone/v1/transactions/${id}/agreement`, { agree: true })).status).toBe(401);
    const a = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, authBody(h.clock, '00001'));
    expect(
      (await h.client.post(`/phone/v1/transactions/${id}/agreement`, { agree: true }, bearer('x'))).status,
    ).toBe(401);
    expect(
      (await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(a.json.session)))
        .status,
    ).toBe(409);
  });

  for (const [userId, responseCode, reason, amountBoost] of [
    ['00004', '54', 'declined-expired-card', 0],
    ['00002', '51', 'declined-over-limit', 1],
  ] as const) {
    it(`steps 10–11: response code ${responseCode} → aborted ${reason}`, async () => {
      const merchant = userId === '00002' ? '2222222222' : '1111111111';
      if (amountBoost) h.credit.cards.get('2234323442345234')!.limit = 100;
      const id = await createTransaction(h, userId, merchant);
      const { session } = await upToMethods(h, id, userId);
      const m = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session));
      expect(m.json).toMatchObject({ status: 'aborted', reason });
      expect((await poll(h, id)).json).toMatchObject({ status: 'aborted', reason });
    });
  }

  it('steps 10–11: response code 14 (card unknown to the issuer) → aborted declined-unknown-card', async () => {
    h.credit.cards.delete('1234223432344234');
    const id = await createTransaction(h, '00001');
    const { session } = await upToMethods(h, id, '00001');
    const m = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session));
    expect(m.json).toMatchObject({ status: 'aborted', reason: 'declined-unknown-card' });
  });

  it('no answer from the issuer: retried with the same STAN, then aborted credit-unavailable and reversed', async () => {
    h.credit.unreachable = 3;
    const id = await createTransaction(h, '00001');
    const { session } = await upToMethods(h, id, '00001');
    const m = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session));
    expect(m.json).toMatchObject({ status: 'aborted', reason: 'credit-unavailable' });
    expect(new Set(h.credit.authorizations.map((a) => a.stan)).size).toBe(1);
    await waitFor('the reversal', () => h.credit.reversals.length === 1);
    expect(h.credit.reversals[0]!.original.stan).toBe(h.credit.authorizations[0]!.stan);
  });

  it('one lost answer: the repeat with the same STAN completes, one approval', async () => {
    h.credit.unreachable = 1;
    const id = await createTransaction(h, '00001');
    const { session } = await upToMethods(h, id, '00001');
    const m = await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'L' }, bearer(session));
    expect(m.json.status).toBe('completed');
    expect(h.credit.authorizations.map((a) => a.stan)).toEqual([1, 1]);
  });

  it('phone timeout: no method chosen within the limit → aborted phone-timeout', async () => {
    const id = await createTransaction(h, '00001');
    await upToMethods(h, id, '00001');
    const p = poll(h, id, 120_000);
    await waitFor('the long poll to wait', () => h.clock.pending >= 2);
    h.clock.advance(5 * 60_000);
    expect((await p).json).toMatchObject({ status: 'aborted', reason: 'phone-timeout' });
  });

  it('POS cancel: aborts before authorization (repeatable), 409 once authorizing or completed', async () => {
    const id = await createTransaction(h, '00001');
    const c = await h.client.post(`/pos/v1/transactions/${id}/cancel`, {});
    expect(c.json).toMatchObject({ status: 'aborted', reason: 'cancelled' });
    expect((await h.client.post(`/pos/v1/transactions/${id}/cancel`, {})).json).toEqual(c.json);
    const a = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, authBody(h.clock, '00001'));
    expect(a.status).toBe(409);
    // Authorizing: the issuer holds its answer.
    let open!: () => void;
    h.credit.gate = new Promise((r) => (open = r));
    const id2 = await createTransaction(h, '00001');
    const { session } = await upToMethods(h, id2, '00001');
    const m = h.client.post(`/phone/v1/transactions/${id2}/method`, { method: 'L' }, bearer(session));
    await waitFor('the authorization', () => h.credit.authorizations.length === 1);
    expect((await h.client.post(`/pos/v1/transactions/${id2}/cancel`, {})).status).toBe(409);
    // Another method while the first is out: 409; the same one again waits for the same answer.
    const other = await h.client.post(
      `/phone/v1/transactions/${id2}/method`,
      { method: 'R' },
      bearer(session),
    );
    expect(other.status).toBe(409);
    const same = h.client.post(`/phone/v1/transactions/${id2}/method`, { method: 'L' }, bearer(session));
    open();
    expect((await m).json.status).toBe('completed');
    expect((await same).json).toEqual((await m).json);
    expect(h.credit.authorizations).toHaveLength(1);
    expect((await h.client.post(`/pos/v1/transactions/${id2}/cancel`, {})).status).toBe(409);
  });

  it('a push the SMSC refused is sent again later', async () => {
    h.push.failures = 1;
    await createTransaction(h, '00001');
    await waitFor('the first attempt', () => h.push.failures === 0);
    expect(h.push.pushes).toEqual([]);
    h.clock.advance(30_000);
    await waitFor('the retry', () => h.push.pushes.length === 1);
  });

  it("history page: 401 without or with wrong credentials; the user's transactions as HTML (FIG. 8 columns)", async () => {
    const id = await createTransaction(h, '00001');
    const { session } = await upToMethods(h, id, '00001');
    await h.client.post(`/phone/v1/transactions/${id}/method`, { method: 'R' }, bearer(session));
    const other = await createTransaction(h, '00002', '2222222222');
    const basic = (u: string, p: string): Record<string, string> => ({
      authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
    });
    expect((await h.client.get('/history/v1/users/00001')).status).toBe(401);
    const wrong = await h.client.get('/history/v1/users/00001', basic('00001', 'WRONG'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await h.client.get('/history/v1/users/00001', basic('00002', 'FEDCBA'))).status).toBe(401);
    const page = await h.client.get('/history/v1/users/00001', basic('00001', 'ABCDEF'));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain(`<td class="transaction">${id}</td>`);
    expect(page.text).toContain('<td class="date">2026/1/1 00:00</td>');
    expect(page.text).toContain('<td class="merchant">1111111111</td>');
    expect(page.text).toContain('<span class="goods">Green tea</span>, quantity 2, price 300, tax 60');
    expect(page.text).toContain('<span class="method">Revolving</span>');
    expect(page.text).not.toContain(`>${other}<`);
  });
});

describe('gateway device authentication by client certificate ([0115])', () => {
  let hc: Harness;
  let dbc: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    dbc = tempDir();
    hc = await openGateway({ dbFile: dbc.file, tls, withClientCa: true });
  });
  afterEach(async () => {
    await hc.gw.close();
    dbc.remove();
  });

  it("a certificate whose CN is the user's device id passes; one naming another device → 403 device-mismatch", async () => {
    const id = await createTransaction(hc, '00001');
    const ok = await hc.client.request('POST', `/phone/v1/transactions/${id}/authenticate`, {
      body: authBody(hc.clock, '00001'),
      clientCert: tls.client('1234567'),
    });
    expect(ok.status).toBe(200);
    const id2 = await createTransaction(hc, '00001');
    const bad = await hc.client.request('POST', `/phone/v1/transactions/${id2}/authenticate`, {
      body: authBody(hc.clock, '00001'),
      clientCert: tls.client('2234567'),
    });
    expect(bad.status).toBe(403);
    expect(bad.json.reason).toBe('device-mismatch');
  });
});

describe('gateway on a self-advancing virtual clock', () => {
  it('long polls do not hold the clock: the 5-minute phone timeout passes in virtual time and ends the wait', async () => {
    const dbv = tempDir();
    const clock = new VirtualClock({ autoAdvance: { quietMs: 20 } });
    const hv = await openGateway({ dbFile: dbv.file, tls, clock });
    try {
      const id = await createTransaction(hv, '00001');
      let seen: string | undefined;
      for (let i = 0; i < 5 && seen !== 'aborted'; i++)
        seen = (await poll(hv, id, 120_000)).json.status as string;
      expect(seen).toBe('aborted');
      expect((await poll(hv, id)).json.reason).toBe('phone-timeout');
      expect(clock.now()).toBeGreaterThanOrEqual(5 * 60_000);
      expect(clock.held).toBe(0);
    } finally {
      await hv.gw.close();
      clock.dispose();
      dbv.remove();
    }
  });
});
