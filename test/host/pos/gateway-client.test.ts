/**
 * The POS's gateway client against a "(stand-in gateway)" over real TLS on loopback, with certificates
 * made by the openssl CLI: name checking, trust, idempotent retries, long poll, typed errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import type { TransactionNumberRequest } from '../../../firmware-sim/payment/gateway-api.js';
import {
  GatewayClient,
  GatewayError,
  type GatewayExchange,
  isPosCreditRequest,
  isPosTransaction,
} from '../../../host/pos/gateway-client.js';
import {
  GATEWAY_HOST,
  StandInGateway,
  makeCertificates,
  type BenchCertificates,
} from './stand-in-gateway.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-pos-gw-'));
let certs: BenchCertificates;
let clock: VirtualClock;
let gateway: StandInGateway;
let port: number;

beforeAll(async () => {
  certs = makeCertificates(dir);
  clock = new VirtualClock({ autoAdvance: { quietMs: 20 } });
  gateway = new StandInGateway(clock, { key: certs.serverKey, cert: certs.serverCert });
  port = await gateway.listen();
});
afterAll(async () => {
  await gateway.close();
  clock.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

function client(options: Partial<ConstructorParameters<typeof GatewayClient>[0]> = {}): GatewayClient {
  return new GatewayClient({
    baseUrl: `https://${GATEWAY_HOST}`,
    ca: certs.caCert,
    hosts: { [GATEWAY_HOST]: `127.0.0.1:${port}` },
    clock,
    retry: { attempts: 2, delayMs: 100 },
    ...options,
  });
}

const sale: TransactionNumberRequest = {
  merchantCode: '1111111111',
  terminalId: 'POS11',
  userId: '00001',
  items: [{ goods: 'Green tea', quantity: 2, unitPrice: 500, tax: 100 }],
  currency: 'JPY',
  total: 1100,
};

describe('GatewayClient (stand-in gateway) over real TLS on loopback, openssl certificates', () => {
  it('creates a transaction with an Idempotency-Key; the same key again gives the same transaction number', async () => {
    const c = client();
    const a = await c.createTransaction('key-same', sale);
    const b = await c.createTransaction('key-same', sale);
    expect(a.status).toBe('pending');
    expect(b.transactionId).toBe(a.transactionId);
    expect(gateway.creations().filter((l) => l.idempotencyKey === 'key-same')).toHaveLength(2);
    expect([...gateway.transactions.values()].filter((t) => t.key === 'key-same')).toHaveLength(1);
  });

  it('an answer lost on the way back is retried with the same key: one transaction at the gateway', async () => {
    const c = client();
    gateway.loseCreateAnswers = 1;
    const t = await c.createTransaction('key-lost', sale);
    const sent = gateway.creations().filter((l) => l.idempotencyKey === 'key-lost');
    expect(sent).toHaveLength(2);
    expect(
      [...gateway.transactions.values()].filter((x) => x.key === 'key-lost').map((x) => x.transactionId),
    ).toEqual([t.transactionId]);
  });

  it('long poll: GET ?waitMs= answers when the gateway completes the transaction, and pending when the wait ends', async () => {
    const c = client();
    const t = await c.createTransaction('key-poll', sale);
    const t0 = clock.now();
    const timedOut = await c.getTransaction(t.transactionId, 20_000);
    expect(timedOut.status).toBe('pending');
    expect(clock.now() - t0).toBeGreaterThanOrEqual(20_000);
    const polled = c.getTransaction(t.transactionId, 20_000);
    await new Promise((r) => setTimeout(r, 5));
    gateway.complete(t.transactionId, { method: 'L', approvalCode: 'A12345', rrn: '000000000001' });
    expect(await polled).toMatchObject({ status: 'completed', approvalCode: 'A12345', method: 'L' });
  });

  it('keep-alive: the calls of a sale share one TLS connection, and a long poll on it lets go of the virtual clock once sent', async () => {
    const c = client();
    const before = gateway.handshakes;
    const t = await c.createTransaction('key-keepalive', sale);
    expect((await c.getTransaction(t.transactionId)).status).toBe('pending');
    const logged = gateway.log.length;
    const polled = c.getTransaction(t.transactionId, 20_000);
    // The reused connection has no secureConnect: the hold must end when the request is sent, or the
    // clock could not reach the gateway's wait timer until the real-time guard.
    for (let i = 0; i < 200 && !(gateway.log.length > logged && clock.held === 0); i++)
      await new Promise((r) => setTimeout(r, 2));
    expect(gateway.log.length).toBeGreaterThan(logged);
    expect(clock.held).toBe(0);
    expect((await polled).status).toBe('pending');
    expect(gateway.handshakes - before).toBe(1);
    c.close();
  });

  it('a 4xx is a typed http error with the contract reason, and is not retried', async () => {
    const c = client();
    const before = gateway.creations().length;
    const e = await c
      .createTransaction('key-unknown-user', { ...sale, userId: '99999' })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GatewayError);
    expect(e).toMatchObject({ code: 'http', status: 404, api: { reason: 'unknown-user' } });
    expect((e as GatewayError).transient).toBe(false);
    expect(gateway.creations().length - before).toBe(1);
  });

  it('a certificate from a CA the POS does not trust: tls error, nothing created', async () => {
    const c = client({ ca: certs.otherCaCert });
    const before = gateway.log.length;
    await expect(c.createTransaction('key-untrusted', sale)).rejects.toMatchObject({ code: 'tls' });
    expect(gateway.log.length).toBe(before);
  });

  it('a name the certificate does not carry (servername checked, whatever the address): tls error', async () => {
    const c = new GatewayClient({
      baseUrl: 'https://shop.benchtwin.test',
      ca: certs.caCert,
      hosts: { 'shop.benchtwin.test': `127.0.0.1:${port}` },
      clock,
      retry: { attempts: 0, delayMs: 0 },
    });
    await expect(c.createTransaction('key-name', sale)).rejects.toMatchObject({ code: 'tls' });
  });

  it('no gateway listening: network error after the retries (virtual clock)', async () => {
    const c = new GatewayClient({
      baseUrl: `https://${GATEWAY_HOST}`,
      ca: certs.caCert,
      hosts: { [GATEWAY_HOST]: '127.0.0.1:1' },
      clock,
      retry: { attempts: 2, delayMs: 1000 },
    });
    const t0 = clock.now();
    await expect(c.createTransaction('key-down', sale)).rejects.toMatchObject({ code: 'network' });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(2000);
  });

  it('embodiment 2: credit request, ready with the encrypted number, result report, cancel of another', async () => {
    const c = client();
    const cr = await c.createCreditRequest('key-v2', sale);
    expect(cr.status).toBe('awaiting-confirmation');
    gateway.ready(cr.transactionId, {
      encryptedPan: '9876543210987654',
      expiry: '2812',
      issuerCode: '2a11111',
    });
    const ready = await c.getCreditRequest(cr.transactionId, 10_000);
    expect(ready).toMatchObject({ status: 'ready', encryptedPan: '9876543210987654', issuerCode: '2a11111' });
    const closed = await c.reportCreditResult(
      cr.transactionId,
      { approved: true, responseCode: '00', approvalCode: 'B54321' },
      'key-v2:result',
    );
    expect(closed).toMatchObject({ status: 'closed', result: { approved: true, responseCode: '00' } });
    const other = await c.createCreditRequest('key-v2b', sale);
    expect(await c.cancelCreditRequest(other.transactionId)).toMatchObject({ status: 'cancelled' });
  });
});

describe('GatewayClient exchanges (stand-in gateway)', () => {
  it('onExchange reports each exchange as sent and read: body, key, status and answer; a refusal with its error; an untrusted gateway with none', async () => {
    const seen: GatewayExchange[] = [];
    const c = client({ onExchange: (e) => seen.push(e) });
    const cr = await c.createCreditRequest('key-exchange', sale);
    gateway.ready(cr.transactionId, {
      encryptedPan: '9876543210987654',
      expiry: '2812',
      issuerCode: '2a11111',
    });
    await c.getCreditRequest(cr.transactionId, 10_000);
    await c.createTransaction('key-exchange-404', { ...sale, userId: '99999' }).catch(() => undefined);
    expect(seen.map((e) => [e.method, e.path, e.status])).toEqual([
      ['POST', '/pos/v2/credit-requests', 201],
      ['GET', `/pos/v2/credit-requests/${cr.transactionId}?waitMs=10000`, 200],
      ['POST', '/pos/v1/transactions', 404],
    ]);
    expect(seen[0]).toMatchObject({ idempotencyKey: 'key-exchange', request: sale, response: cr });
    expect(seen[1]!.request).toBeUndefined();
    expect(seen[1]!.response).toMatchObject({ status: 'ready', encryptedPan: '9876543210987654' });
    expect(seen[2]).toMatchObject({
      response: { reason: 'unknown-user' },
      error: expect.stringContaining('404'),
    });
    const untrusted: GatewayExchange[] = [];
    await client({ ca: certs.otherCaCert, onExchange: (e) => untrusted.push(e) })
      .createTransaction('key-exchange-tls', sale)
      .catch(() => undefined);
    expect(untrusted).toHaveLength(1);
    expect(untrusted[0]).toMatchObject({ status: 0, error: expect.any(String) });
    expect(untrusted[0]!.response).toBeUndefined();
  });
});

describe('GatewayClient on answers that are not the contract', () => {
  it('property: the answer checks never throw on arbitrary JSON values, and accept the contract shapes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(typeof isPosTransaction(v)).toBe('boolean');
        expect(typeof isPosCreditRequest(v)).toBe('boolean');
      }),
      { seed: 4 },
    );
    expect(isPosTransaction({ transactionId: 'T1', status: 'pending', createdAt: 'x' })).toBe(true);
    expect(isPosTransaction({ transactionId: 'T1', status: 'paid' })).toBe(false);
    expect(
      isPosCreditRequest({
        transactionId: 'T1',
        status: 'closed',
        result: { approved: 'yes', responseCode: '00' },
      }),
    ).toBe(false);
  });

  it('fuzz: a server answering random status lines, bodies and cut-offs gives only GatewayErrors (seeded, 150 answers)', async () => {
    const rnd = mulberry32(0x9a7e);
    const bodies = (): Buffer => {
      const kind = Math.floor(rnd() * 4);
      if (kind === 0)
        return Buffer.from(JSON.stringify({ transactionId: rnd() < 0.5 ? 7 : '', status: 'pending' }));
      if (kind === 1) return Buffer.from('{"transactionId":"T","status":"pend');
      const b = Buffer.alloc(Math.floor(rnd() * 64));
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
      return b;
    };
    const server = https.createServer({ key: certs.serverKey, cert: certs.serverCert }, (req, res) => {
      req.resume();
      req.on('end', () => {
        if (rnd() < 0.15) return res.socket?.destroy();
        const status = [200, 201, 400, 404, 409, 500][Math.floor(rnd() * 6)]!;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(bodies());
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = new GatewayClient({
      baseUrl: `https://${GATEWAY_HOST}`,
      ca: certs.caCert,
      hosts: { [GATEWAY_HOST]: `127.0.0.1:${(server.address() as AddressInfo).port}` },
      clock,
      retry: { attempts: 0, delayMs: 0 },
    });
    const codes = new Set<string>();
    try {
      for (let i = 0; i < 150; i++) {
        const e = await c.createTransaction(`fuzz-${i}`, sale).then(
          () => undefined,
          (x: unknown) => x,
        );
        if (e === undefined) continue;
        expect(e).toBeInstanceOf(GatewayError);
        codes.add((e as GatewayError).code);
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect([...codes].sort()).toEqual(expect.arrayContaining([]));
    expect([...codes].filter((code) => !['bad-response', 'http', 'network'].includes(code))).toEqual([]);
    expect(codes.has('bad-response')).toBe(true);
  });
});
