/**
 * The web shop's checkout (host/pos/web-shop-source.ts): real HTTPS on loopback with a certificate from the
 * bench's own CA (services/ca) naming shop.benchtwin.test, and Node's https client checking it by name as
 * the phone does.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { CertificateAuthority } from '../../../services/ca/authority.js';
import { SourceAbortedError } from '../../../host/pos/user-id-source.js';
import {
  CHECKOUT_PATH,
  WEB_SHOP_HOST,
  WebShopSource,
  type WebShopExchange,
} from '../../../host/pos/web-shop-source.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-web-shop-'));
const clock = new SystemClock();
let ca: CertificateAuthority;
let shop: WebShopSource;
const exchanges: WebShopExchange[] = [];

beforeAll(async () => {
  ca = CertificateAuthority.create({ dir, clock, epochAtClockZero: Date.now() - clock.now() });
  const id = ca.issueServerCertificate({ commonName: WEB_SHOP_HOST, dnsNames: [WEB_SHOP_HOST] });
  shop = await WebShopSource.open({ tls: { key: id.key, cert: `${id.cert}${id.chain}` }, clock });
  shop.on('exchange', (e) => exchanges.push(e));
});
afterAll(async () => {
  await shop.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One request as the phone makes it: the bench root as trust store, the shop's name checked. */
function post(
  body: string | Buffer,
  options: { method?: string; path?: string; ca?: string; servername?: string } = {},
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: shop.port,
        method: options.method ?? 'POST',
        path: options.path ?? CHECKOUT_PATH,
        servername: options.servername ?? WEB_SHOP_HOST,
        ca: options.ca ?? ca.trustAnchors(),
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('WebShopSource: the checkout over HTTPS (bench CA certificate)', () => {
  it('a user id posted while the checkout waits is taken (202) and becomes the sale’s user id', async () => {
    const ctl = new AbortController();
    const waiting = shop.waitForUserId(ctl.signal);
    const r = await post(JSON.stringify({ userId: '00001' }));
    expect(r).toEqual({ status: 202, json: { status: 'accepted' } });
    expect(await waiting).toEqual({ userId: '00001' });
    expect(exchanges.at(-1)).toMatchObject({
      method: 'POST',
      path: CHECKOUT_PATH,
      request: { userId: '00001' },
      status: 202,
    });
    expect(shop.kind).toBe('web-shop');
    expect(await shop.confirm('AGREED', '100001')).toBe('OK');
  });

  it('no open checkout: 409, and the id is not kept for a later checkout', async () => {
    expect(await post(JSON.stringify({ userId: '00002' }))).toMatchObject({ status: 409 });
    const ctl = new AbortController();
    const waiting = shop.waitForUserId(ctl.signal);
    expect((await post(JSON.stringify({ userId: '00003' }))).status).toBe(202);
    expect(await waiting).toEqual({ userId: '00003' });
  });

  it('a given-up checkout rejects with AbortError and takes no more ids', async () => {
    const ctl = new AbortController();
    const waiting = shop.waitForUserId(ctl.signal);
    ctl.abort();
    await expect(waiting).rejects.toBeInstanceOf(SourceAbortedError);
    expect((await post(JSON.stringify({ userId: '00001' }))).status).toBe(409);
  });

  it('bad requests get their HTTP error as JSON: not JSON 400, not a user id 400, GET 405, another page 404, too large 413', async () => {
    expect((await post('{"userId":')).status).toBe(400);
    expect((await post(JSON.stringify({ userId: '0000-1' }))).status).toBe(400);
    expect((await post(JSON.stringify({ userId: 'x'.repeat(17) }))).status).toBe(400);
    expect((await post('', { method: 'GET' })).status).toBe(405);
    expect((await post('{}', { path: '/admin' })).status).toBe(404);
    expect((await post(Buffer.alloc(5000, 0x20))).status).toBe(413);
  });

  it('a phone that does not trust the CA, or asks for another name, gets no connection (nothing sent)', async () => {
    const other = CertificateAuthority.create({
      dir: path.join(dir, 'other'),
      clock,
      epochAtClockZero: Date.now() - clock.now(),
    });
    const before = exchanges.length;
    await expect(post(JSON.stringify({ userId: '00001' }), { ca: other.trustAnchors() })).rejects.toThrow();
    await expect(
      post(JSON.stringify({ userId: '00001' }), { servername: 'gateway.benchtwin.test' }),
    ).rejects.toThrow();
    expect(exchanges.length).toBe(before);
  });

  it('property: any body gets a JSON answer of 400, 409 or 413 when no checkout waits (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const r = await post(Buffer.from(bytes));
        expect([400, 409, 413]).toContain(r.status);
        expect(typeof (r.json as { error?: unknown }).error).toBe('string');
      }),
      { numRuns: 40 },
    );
  });

  it('fuzz: mutated checkout bodies (seeded, 150) never break the shop; a valid id is still taken afterwards', async () => {
    const rand = mulberry32(2026);
    const seed = Buffer.from(JSON.stringify({ userId: '00001' }));
    for (let i = 0; i < 150; i++) {
      const b = Buffer.from(seed);
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const r = await post(b);
      // A mutation may still be a valid user id: then no checkout waits (409).
      expect([400, 409]).toContain(r.status);
    }
    const ctl = new AbortController();
    const waiting = shop.waitForUserId(ctl.signal);
    expect((await post(seed)).status).toBe(202);
    expect(await waiting).toEqual({ userId: '00001' });
  });
});
