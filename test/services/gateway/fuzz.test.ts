/**
 * The gateway's request parsers under random input: a seeded fuzz run over every POST route (random bytes,
 * random JSON, valid bodies with one field mutated or dropped) must get 4xx answers — never a 5xx, never a
 * crash — and the gateway must go on answering. Plus fast-check properties of the body parser alone.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { HttpError, MAX_BODY_BYTES, parseJson } from '../../../services/gateway/http.js';
import { saleRequestSchema } from '../../../services/gateway/requests.js';
import { makeTls, tempDir, type TlsMaterial } from './helpers.js';
import { authBody, createTransaction, openGateway, sale, upToMethods, type Harness } from './harness.js';

let tls: TlsMaterial;
let db: ReturnType<typeof tempDir>;
let h: Harness;

beforeAll(async () => {
  tls = makeTls();
  db = tempDir();
  h = await openGateway({ dbFile: db.file, tls });
});
afterAll(async () => {
  await h.gw.close();
  db.remove();
  fs.rmSync(tls.dir, { recursive: true, force: true });
});

function randomJson(rnd: () => number, depth = 0): unknown {
  const pick = Math.floor(rnd() * (depth > 2 ? 5 : 7));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rnd() < 0.5;
    case 2:
      return [0, -1, 1e300, 0.5, 2 ** 53 + 1, Math.floor(rnd() * 1e6)][Math.floor(rnd() * 6)];
    case 3:
      return ['', 'L', 'I', '00001', 'ABCDEF', '\u0000', 'x'.repeat(200), 'ä€😀'][Math.floor(rnd() * 8)];
    case 4:
      return Math.floor(rnd() * 1e12);
    case 5:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomJson(rnd, depth + 1));
    default: {
      const keys = [
        'merchantCode',
        'userId',
        'items',
        'total',
        'agree',
        'method',
        'password',
        'approved',
        'authResult',
        '__proto__',
        'constructor',
      ];
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 5); i > 0; i--)
        o[keys[Math.floor(rnd() * keys.length)]!] = randomJson(rnd, depth + 1);
      return o;
    }
  }
}

function mutate(rnd: () => number, valid: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
  const keys = Object.keys(copy);
  const k = keys[Math.floor(rnd() * keys.length)]!;
  if (rnd() < 0.3) delete copy[k];
  else copy[k] = randomJson(rnd);
  return copy;
}

describe('gateway fuzz run (stand-in credit server)', () => {
  it('600 random or mutated requests over every POST route: 4xx, never 5xx; the gateway still answers', async () => {
    const rnd = mulberry32(0x5eed001);
    const id = await createTransaction(h, '00001');
    const { session } = await upToMethods(h, id, '00001');
    const v2 = await h.client.post('/pos/v2/credit-requests', sale('00001'), {
      'idempotency-key': 'fuzz-v2',
    });
    const mail = (await h.client.get('/mail/v1/mailboxes/1234567/messages')).json.messages.find(
      (m: { kind: string }) => m.kind === 'confirmation-request',
    );
    const routes: { path: string; valid: Record<string, unknown>; headers?: Record<string, string> }[] = [
      { path: '/pos/v1/transactions', valid: sale('00001') },
      { path: '/pos/v2/credit-requests', valid: sale('00001') },
      { path: `/pos/v1/transactions/${id}/cancel`, valid: {} },
      {
        path: `/pos/v2/credit-requests/${v2.json.transactionId}/result`,
        valid: { approved: true, responseCode: '00' },
      },
      { path: `/mail/v1/mailboxes/1234567/messages/${mail.messageId}/reply`, valid: { password: 'ABCDEF' } },
      { path: '/phone/v1/transactions/999999/authenticate', valid: authBody(h.clock, '00001') },
      {
        path: `/phone/v1/transactions/${id}/agreement`,
        valid: { agree: true },
        headers: { authorization: `Bearer ${session}` },
      },
      {
        path: `/phone/v1/transactions/${id}/method`,
        valid: { method: 'L' },
        headers: { authorization: `Bearer ${session}` },
      },
      { path: '/pos/v1/transactions/%E0%A4%A/cancel', valid: {} },
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const route = routes[Math.floor(rnd() * routes.length)]!;
      const kind = Math.floor(rnd() * 3);
      let body: unknown;
      if (kind === 0)
        body = Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
      else if (kind === 1) body = randomJson(rnd);
      else body = mutate(rnd, route.valid);
      // Mutations of the method call would pay: the method route gets only bytes and random JSON.
      if (route.path.endsWith('/method') && kind === 2) body = { method: 'X' };
      const r = await h.client.request('POST', route.path, {
        body,
        headers: { 'idempotency-key': `fuzz-${i}`, ...route.headers },
      });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      expect(r.status, `${route.path} ${JSON.stringify(body)?.slice(0, 200)}`).toBeLessThan(500);
      // The cancel takes no body, so bytes are as good as none there.
      if (kind === 0 && r.status !== 404 && !route.path.endsWith('/cancel'))
        expect([400, 401, 409]).toContain(r.status);
      if (r.status >= 400) expect(typeof r.json?.error).toBe('string');
    }
    expect([...statuses.keys()].filter((s) => s >= 400 && s < 500).length).toBeGreaterThan(1);
    // Still answering, and the transaction under way is intact.
    const after = await h.client.get(`/pos/v1/transactions/${id}`);
    expect(after.status).toBe(200);
  });

  it('a body over the limit → 413; a malformed Authorization, path or waitMs → 4xx', async () => {
    const big = await h.client.request('POST', '/pos/v1/transactions', {
      body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20),
      headers: { 'idempotency-key': 'big' },
    });
    expect(big.status).toBe(413);
    expect((await h.client.get('/history/v1/users/00001', { authorization: 'Basic !!!' })).status).toBe(401);
    expect((await h.client.get('/pos/v1/transactions/1?waitMs=-5')).status).toBe(400);
    expect((await h.client.get('/nothing/here')).status).toBe(404);
    expect((await h.client.get('/mail/v1/mailboxes/%ZZ/messages')).status).toBe(400);
  });
});

describe('gateway body parser properties', () => {
  it('arbitrary bytes: parseJson returns a checked value or throws an HttpError 400, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          const v = parseJson(Buffer.from(bytes), saleRequestSchema);
          return saleRequestSchema.safeParse(v).success;
        } catch (e) {
          return e instanceof HttpError && e.status === 400;
        }
      }),
    );
  });

  it('arbitrary JSON values: the sale schema never throws out of parseJson except as 400', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseJson(Buffer.from(JSON.stringify(value) ?? 'null'), saleRequestSchema);
          return true;
        } catch (e) {
          return e instanceof HttpError && e.status === 400;
        }
      }),
    );
  });
});
