/**
 * Embodiment 2 (claims 22–33) through the gateway: the POS's credit request, the confirmation mail and its
 * reply, the card lookup, the per-transaction key and encrypted number, key delivery to a stand-in credit
 * server, `ready`, the POS's result. The card number and the key never reach the POS.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConfirmationRequestCommands, Mail } from '../../../firmware-sim/payment/gateway-api.js';
import { mailSignatureValid } from '../../../services/gateway/mail.js';
import { makeTls, tempDir, waitFor, type TlsMaterial } from './helpers.js';
import { ITEMS, newKey, openGateway, sale, type Harness } from './harness.js';

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

async function request(userId: string, merchant = '1111111111'): Promise<{ id: string; mail?: Mail }> {
  const r = await h.client.post('/pos/v2/credit-requests', sale(userId, merchant), {
    'idempotency-key': newKey(),
  });
  expect(r.status).toBe(201);
  const id = r.json.transactionId as string;
  const device = { '00001': '1234567', '00004': '4455667', '00005': '5000005', '00006': '6000006' }[userId];
  if (!device) return { id };
  const box = await h.client.get(`/mail/v1/mailboxes/${device}/messages`);
  return { id, mail: (box.json.messages as Mail[]).find((m) => m.commands.transactionId === id) };
}

const reply = (deviceId: string, mail: Mail, password: string) =>
  h.client.post(`/mail/v1/mailboxes/${deviceId}/messages/${mail.messageId}/reply`, { password });

describe('gateway embodiment 2 (stand-in credit server)', () => {
  it('steps 1–6: confirmation mail, password reply, key delivery, ready with an encrypted number, result closes', async () => {
    const key = newKey();
    const r = await h.client.post('/pos/v2/credit-requests', sale('00001'), { 'idempotency-key': key });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ status: 'awaiting-confirmation' });
    const id = r.json.transactionId as string;
    const again = await h.client.post('/pos/v2/credit-requests', sale('00001'), { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.json.transactionId).toBe(id);
    const box = await h.client.get('/mail/v1/mailboxes/1234567/messages');
    const mail = (box.json.messages as Mail[])[0]!;
    expect(mail.kind).toBe('confirmation-request');
    expect(mailSignatureValid(mail)).toBe(true);
    const c = mail.commands as ConfirmationRequestCommands;
    expect(c).toMatchObject({
      action: 'confirm',
      transactionId: id,
      merchantName: 'A',
      items: ITEMS,
      total: 825,
    });
    expect(c.replyBy).toBe('2026-01-01T00:05:00.000Z');
    await waitFor('the push', () => h.push.pushes.length === 1);
    const poll = h.client.get(`/pos/v2/credit-requests/${id}?waitMs=60000`);
    const ok = await reply('1234567', mail, 'ABCDEF');
    expect(ok.json).toEqual({ status: 'confirmed' });
    expect((await reply('1234567', mail, 'ABCDEF')).json).toEqual(ok.json);
    const ready = await poll;
    expect(ready.json).toMatchObject({
      transactionId: id,
      status: 'ready',
      expiry: '2812',
      issuerCode: '2a11111',
    });
    const enc = ready.json.encryptedPan as string;
    expect(enc).toMatch(/^\d{16}$/);
    expect(enc).not.toBe('1234223432344234');
    // The issuer got the key and gets the card number back with it.
    expect(h.credit.deliveries).toHaveLength(1);
    expect(h.credit.deliveries[0]).toMatchObject({ encryptedPan: enc, transactionNumber: id });
    expect(h.credit.deliveries[0]!.key).toMatch(/^[0-9a-f]{64}$/);
    expect(h.credit.decrypt(enc)).toBe('1234223432344234');
    const result = { approved: true, responseCode: '00', approvalCode: 'X12345' };
    const closed = await h.client.post(`/pos/v2/credit-requests/${id}/result`, result);
    expect(closed.json).toMatchObject({ status: 'closed', result });
    expect((await h.client.post(`/pos/v2/credit-requests/${id}/result`, result)).json).toEqual(closed.json);
    expect(
      (await h.client.post(`/pos/v2/credit-requests/${id}/result`, { ...result, approved: false })).status,
    ).toBe(409);
    // Nothing POS-facing holds the card number or the key.
    const key32 = h.credit.deliveries[0]!.key;
    for (const text of [r.text, again.text, ready.text, closed.text]) {
      expect(text).not.toContain('1234223432344234');
      expect(text.toLowerCase()).not.toContain(key32);
    }
  });

  it('a second request for the same card gets a fresh key and another encrypted number', async () => {
    const nums: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { id, mail } = await request('00001');
      await reply('1234567', mail!, 'ABCDEF');
      await waitFor('ready', () => h.credit.deliveries.length === i + 1);
      nums.push(
        (await h.client.get(`/pos/v2/credit-requests/${id}?waitMs=10000`)).json.encryptedPan as string,
      );
    }
    expect(nums[0]).not.toBe(nums[1]);
    expect(h.credit.deliveries[0]!.key).not.toBe(h.credit.deliveries[1]!.key);
  });

  it('a wrong password → cancelled wrong-password (403 to the phone, repeatable)', async () => {
    const { id, mail } = await request('00001');
    const r = await reply('1234567', mail!, 'WRONG');
    expect(r.status).toBe(403);
    expect(r.json.reason).toBe('wrong-password');
    expect((await reply('1234567', mail!, 'WRONG')).json).toEqual(r.json);
    expect((await reply('1234567', mail!, 'ABCDEF')).status).toBe(409);
    expect((await h.client.get(`/pos/v2/credit-requests/${id}`)).json).toMatchObject({
      status: 'cancelled',
      reason: 'wrong-password',
    });
    expect(h.credit.deliveries).toEqual([]);
  });

  it('no reply by replyBy → cancelled no-confirmation', async () => {
    const { id } = await request('00001');
    const poll = h.client.get(`/pos/v2/credit-requests/${id}?waitMs=120000`);
    await waitFor('the long poll to wait', () => h.clock.pending >= 2);
    h.clock.advance(5 * 60_000);
    expect((await poll).json).toMatchObject({ status: 'cancelled', reason: 'no-confirmation' });
  });

  for (const [userId, reason] of [
    ['00004', 'declined-expired-card'],
    ['00006', 'declined-unknown-card'],
    ['00005', 'issuer-not-accepted'],
  ] as const) {
    it(`card lookup: user ${userId} → rejected ${reason}, no key delivered`, async () => {
      const { id, mail } = await request(userId);
      const pw = { '00004': 'BCDEFA', '00005': 'ISSUEC', '00006': 'NOCARD' }[userId];
      const r = await reply(deviceOf(userId), mail!, pw);
      expect(r.json).toEqual({ status: 'rejected', reason });
      expect((await h.client.get(`/pos/v2/credit-requests/${id}`)).json).toMatchObject({
        status: 'rejected',
        reason,
      });
      expect(h.credit.deliveries).toEqual([]);
    });
  }

  it('unknown user → rejected unknown-user at once', async () => {
    const r = await h.client.post('/pos/v2/credit-requests', sale('77777'), { 'idempotency-key': newKey() });
    expect(r.json).toMatchObject({ status: 'rejected', reason: 'unknown-user' });
  });

  it('reply errors: another mailbox → 404; result before ready → 409; a v1 id on the v2 route → 404', async () => {
    const { id, mail } = await request('00001');
    expect((await reply('2234567', mail!, 'ABCDEF')).status).toBe(404);
    const res = await h.client.post(`/pos/v2/credit-requests/${id}/result`, {
      approved: true,
      responseCode: '00',
    });
    expect(res.status).toBe(409);
    const v1 = await h.client.post('/pos/v1/transactions', sale('00001'), { 'idempotency-key': newKey() });
    expect((await h.client.get(`/pos/v2/credit-requests/${v1.json.transactionId}`)).status).toBe(404);
    // A payment-request mail asks for no reply.
    const box = await h.client.get('/mail/v1/mailboxes/1234567/messages');
    const pay = (box.json.messages as Mail[]).find((m) => m.kind === 'payment-request')!;
    expect((await reply('1234567', pay, 'ABCDEF')).status).toBe(409);
  });

  it('key delivery unanswered three times → rejected credit-unavailable', async () => {
    h.credit.unreachable = 3;
    const { id, mail } = await request('00001');
    await reply('1234567', mail!, 'ABCDEF');
    const r = await h.client.get(`/pos/v2/credit-requests/${id}?waitMs=10000`);
    expect(r.json).toMatchObject({ status: 'rejected', reason: 'credit-unavailable' });
    expect(new Set(h.credit.deliveries.map((d) => d.stan)).size).toBe(1);
  });
});

function deviceOf(userId: string): string {
  return { '00004': '4455667', '00005': '5000005', '00006': '6000006' }[userId] ?? '';
}
