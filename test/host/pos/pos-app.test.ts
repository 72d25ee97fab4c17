/**
 * The POS application end to end against a "(stand-in gateway)" (real HTTPS on loopback, openssl
 * certificates) and, for embodiment 2, a "(stand-in credit server)" CreditHost; the journal is SQLite on
 * disk; the user id is typed by the clerk (the serial and BLE sources have their own tests). Time runs on
 * a self-advancing virtual clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import type { LineItem } from '../../../firmware-sim/payment/gateway-api.js';
import { GatewayClient } from '../../../host/pos/gateway-client.js';
import {
  PosApplication,
  PosClosedError,
  type PosOpenOptions,
  type PosStep,
} from '../../../host/pos/pos-app.js';
import { TypedSource } from '../../../host/pos/user-id-source.js';
import { StandInCreditHost, standInEncrypt } from './stand-in-credit.js';
import {
  GATEWAY_HOST,
  StandInGateway,
  makeCertificates,
  type BenchCertificates,
} from './stand-in-gateway.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-pos-app-'));
let certs: BenchCertificates;
beforeAll(() => {
  certs = makeCertificates(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** User 00001's card (FIG. 7 / FLOWS.md): the gateway and issuer hold it, the POS never may. */
const PAN = '1234223432344234';
const EXPIRY = '2812';

const ITEMS: LineItem[] = [
  { goods: 'Green tea 500ml', quantity: 2, unitPrice: 150, tax: 24 },
  { goods: 'Rice ball', quantity: 3, unitPrice: 120, tax: 28 },
];
const TOTAL = 2 * 150 + 24 + 3 * 120 + 28;

interface Rig {
  clock: VirtualClock;
  gateway: StandInGateway;
  client: GatewayClient;
  source: TypedSource;
  credit: StandInCreditHost;
  printed: string[];
  steps: PosStep[];
  dbFile: string;
  open(extra?: Partial<PosOpenOptions>): PosApplication;
  close(): Promise<void>;
}

let rigN = 0;
const apps: PosApplication[] = [];
let rig: Rig | undefined;
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  await rig?.close();
  rig = undefined;
});

async function start(): Promise<Rig> {
  const clock = new VirtualClock({ autoAdvance: { quietMs: 20 } });
  const gateway = new StandInGateway(clock, { key: certs.serverKey, cert: certs.serverCert });
  const port = await gateway.listen();
  const client = new GatewayClient({
    baseUrl: `https://${GATEWAY_HOST}`,
    ca: certs.caCert,
    hosts: { [GATEWAY_HOST]: `127.0.0.1:${port}` },
    clock,
  });
  const source = new TypedSource();
  const credit = new StandInCreditHost();
  credit.cards.set(PAN, { expiry: EXPIRY, limit: 100_000 });
  const printed: string[] = [];
  const steps: PosStep[] = [];
  const dbFile = path.join(dir, `journal-${++rigN}.db`);
  return {
    clock,
    gateway,
    client,
    source,
    credit,
    printed,
    steps,
    dbFile,
    open(extra = {}) {
      const app = PosApplication.open({
        dbFile,
        clock,
        terminalId: 'POS11',
        merchantCode: '1111111111',
        shopName: 'Shop A',
        gateway: client,
        userIdSource: source,
        creditHost: () => credit,
        creditTable: [
          { issuerCode: '2a11111', methods: ['L', 'I', 'R'], merchantCodeForCredit: 'A-CREDIT-0001' },
        ],
        printer: (r) => printed.push(r),
        longPollMs: 10_000,
        retryDelayMs: 500,
        ...extra,
      });
      app.on('step', (s) => steps.push(s));
      apps.push(app);
      return app;
    },
    async close() {
      await gateway.close();
      clock.dispose();
    },
  };
}

function nextStep(app: PosApplication, name: PosStep['step']): Promise<PosStep> {
  return new Promise((resolve) => {
    const on = (s: PosStep) => {
      if (s.step !== name) return;
      app.off('step', on);
      resolve(s);
    };
    app.on('step', on);
  });
}

/** The gateway's side of embodiment 2 step 4: encrypt under a fresh key, tell the issuer, answer ready. */
function readyCard(r: Rig, id: string, key = '7391'): string {
  const encryptedPan = standInEncrypt(PAN, key);
  r.credit.deliver(encryptedPan, key);
  r.gateway.ready(id, { encryptedPan, expiry: EXPIRY, issuerCode: '2a11111' });
  return encryptedPan;
}

describe('POS application, embodiment 1 (stand-in gateway)', () => {
  it('FIG. 18 Sd4–Sd7: user id, transaction number, completion by long poll, journal, receipt', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 1 });
    const numbered = nextStep(app, 'transaction-number');
    r.source.enter('00001');
    const { detail } = await numbered;
    const txId = detail!.transactionId as string;
    r.gateway.complete(txId, { method: 'I', approvalCode: 'A00042', rrn: '123456789012' });
    const result = await sale.done;

    expect(result).toMatchObject({
      outcome: 'completed',
      transactionId: txId,
      approvalCode: 'A00042',
      method: 'I',
    });
    const stored = app.journal.get(sale.saleId)!;
    expect(stored).toMatchObject({ state: 'done', userId: '00001', total: TOTAL, rrn: '123456789012' });
    expect(r.gateway.creations()).toHaveLength(1);
    expect(r.gateway.creations()[0]!.idempotencyKey).toBe(stored.idempotencyKey);
    expect(r.gateway.creations()[0]!.body).toMatchObject({
      userId: '00001',
      total: TOTAL,
      merchantCode: '1111111111',
    });
    expect(r.printed).toHaveLength(1);
    const receipt = r.printed[0]!;
    for (const text of [
      'Shop A',
      'Green tea 500ml',
      'Tax',
      '52 JPY',
      'TOTAL',
      `${TOTAL} JPY`,
      'Installments',
      'A00042',
      txId,
    ])
      expect(receipt).toContain(text);
    expect(receipt).toMatch(/User +\*{3}01\n/);
    expect(receipt).not.toMatch(/User +00001/);
    expect(r.steps.filter((s) => s.saleId === sale.saleId).map((s) => s.step)).toEqual([
      'entered',
      'user-id',
      'transaction-number',
      'completed',
      'receipt',
      'confirmed',
    ]);
    expect(app.journal.historyOf(sale.saleId).map((h) => h.state)).toEqual([
      'awaiting-user-id',
      'requesting',
      'pending',
      'finishing',
      'finishing',
      'done',
    ]);
  });

  it('restart after the gateway accepted: close, reopen the journal, resume — one completion, no new key', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 1 });
    const numbered = nextStep(app, 'transaction-number');
    r.source.enter('00002');
    const txId = (await numbered).detail!.transactionId as string;
    await app.close();
    await expect(sale.done).rejects.toBeInstanceOf(PosClosedError);

    r.gateway.complete(txId, { method: 'L', approvalCode: 'A00077', rrn: '000000000077' });
    const reopened = r.open();
    expect(reopened.journal.unfinished().map((s) => s.state)).toEqual(['pending']);
    const results = await reopened.resume();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ saleId: sale.saleId, outcome: 'completed', transactionId: txId });
    expect(r.gateway.creations()).toHaveLength(1);
    expect(r.gateway.transactions.size).toBe(1);
    expect(r.printed).toHaveLength(1);
    expect(reopened.journal.all().filter((s) => s.outcome === 'completed')).toHaveLength(1);
  });

  it('restart while the creation was under way (answer never arrived): resume repeats the same key, one transaction', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    let closing: Promise<void> | undefined;
    r.gateway.onCreate = () => {
      r.gateway.onCreate = undefined;
      r.gateway.loseCreateAnswers = 1;
      closing = app.close();
    };
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 1 });
    r.source.enter('00001');
    await expect(sale.done).rejects.toBeInstanceOf(PosClosedError);
    await closing;
    const reopened = r.open();
    expect(reopened.journal.get(sale.saleId)!.state).toBe('requesting');
    const resumed = reopened.resume();
    const numbered = await nextStep(reopened, 'transaction-number');
    r.gateway.complete(numbered.detail!.transactionId as string, {
      method: 'L',
      approvalCode: 'A1',
      rrn: '1',
    });
    const [result] = await resumed;
    expect(result!.outcome).toBe('completed');
    const keys = r.gateway.creations().map((c) => c.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
    expect(r.gateway.transactions.size).toBe(1);
  });

  it('a sale aborted by the gateway (the user did not agree): not paid, receipt says so, phone told DECLINED', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 1 });
    const numbered = nextStep(app, 'transaction-number');
    r.source.enter('00003');
    r.gateway.abort((await numbered).detail!.transactionId as string, 'not-agreed');
    const result = await sale.done;
    expect(result).toMatchObject({ outcome: 'aborted', reason: 'not-agreed' });
    expect(r.printed[0]).toContain('NOT PAID');
    expect(r.printed[0]).toContain('not-agreed');
    expect(app.journal.get(sale.saleId)!.confirmResult).toBe('DECLINED OK');
  });

  it('an unknown user: the gateway answers 404 unknown-user, the sale ends unpaid with that reason', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 1 });
    r.source.enter('77777');
    expect(await sale.done).toMatchObject({ outcome: 'aborted', reason: 'unknown-user' });
    expect(r.gateway.transactions.size).toBe(0);
  });

  it('clerk cancel before the user id: no request reaches the gateway', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 1 });
    app.cancel(sale.saleId);
    expect(await sale.done).toMatchObject({ outcome: 'aborted', reason: 'cancelled' });
    expect(r.gateway.log).toHaveLength(0);
  });

  it('clerk cancel while the gateway waits for the phone: the gateway cancels, the sale ends cancelled', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 1 });
    const numbered = nextStep(app, 'transaction-number');
    r.source.enter('00001');
    const txId = (await numbered).detail!.transactionId as string;
    app.cancel(sale.saleId);
    expect(await sale.done).toMatchObject({ outcome: 'aborted', reason: 'cancelled' });
    expect(r.gateway.transactions.get(txId)!.status).toBe('aborted');
    expect(r.gateway.log.some((l) => l.path.endsWith('/cancel'))).toBe(true);
  });

  it('clerk cancel after the completion is refused: the payment stays', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 1 });
    const numbered = nextStep(app, 'transaction-number');
    r.source.enter('00001');
    r.gateway.complete((await numbered).detail!.transactionId as string, {
      method: 'L',
      approvalCode: 'A9',
      rrn: '9',
    });
    await sale.done;
    app.cancel(sale.saleId);
    expect(app.journal.get(sale.saleId)).toMatchObject({ outcome: 'completed', cancelRequested: false });
    expect(r.steps.at(-1)!.step).toBe('cancel-refused');
  });
});

describe('POS application, embodiment 2 (stand-in gateway) (stand-in credit server)', () => {
  it('[0154]–[0163]: credit request, encrypted number, 0100 to the issuer, result reported; no card number in the journal file', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 2, method: 'I' });
    const requested = nextStep(app, 'credit-request');
    r.source.enter('00001');
    const crId = (await requested).detail!.transactionId as string;
    const encryptedPan = readyCard(r, crId);
    const result = await sale.done;

    expect(result).toMatchObject({ outcome: 'completed', approvalCode: 'C00001', transactionId: crId });
    expect(r.credit.authorizations).toHaveLength(1);
    expect(r.credit.authorizations[0]).toMatchObject({
      pan: encryptedPan,
      expiry: EXPIRY,
      amountMinor: TOTAL,
      currencyNumeric: '392',
      terminalId: 'POS11',
      merchantId: 'A-CREDIT-0001',
      paymentMethod: 'I',
      transactionNumber: crId,
    });
    expect(r.credit.charged).toEqual([{ pan: PAN, amountMinor: TOTAL, stan: 1 }]);
    expect(r.gateway.creditRequests.get(crId)).toMatchObject({
      status: 'closed',
      result: { approved: true, responseCode: '00', approvalCode: 'C00001' },
    });
    expect(app.journal.get(sale.saleId)!.encryptedPan).toBe(encryptedPan);
    expect(r.printed[0]).toContain('C00001');
    expect(r.printed[0]).not.toContain(encryptedPan);

    await app.close();
    const bytes = ['', '-wal', '-shm']
      .map((suffix) => r.dbFile + suffix)
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f).toString('latin1'))
      .join('');
    expect(bytes).toContain(encryptedPan);
    expect(bytes).not.toContain(PAN);
    expect(bytes).not.toContain('1234-2234-3234-4234');
  });

  it('restart while the issuer has not answered: resume sends the same STAN, the issuer answers from its journal, charged once', async () => {
    rig = await start();
    const r = rig;
    r.credit.hang = 1;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 2 });
    const requested = nextStep(app, 'credit-request');
    r.source.enter('00001');
    const crId = (await requested).detail!.transactionId as string;
    const sent = nextStep(app, 'authorization-sent');
    readyCard(r, crId);
    await sent;
    await app.close();
    await expect(sale.done).rejects.toBeInstanceOf(PosClosedError);

    const reopened = r.open();
    expect(reopened.journal.get(sale.saleId)!.state).toBe('authorizing');
    const [result] = await reopened.resume();
    expect(result!.outcome).toBe('completed');
    expect(r.credit.authorizations.map((a) => a.stan)).toEqual([1, 1]);
    expect(r.credit.charged).toHaveLength(1);
    expect(r.gateway.creations()).toHaveLength(1);
  });

  it('the issuer answers are lost (client timeouts): repeats keep the STAN; outcome unknown; resume gets the stored answer, charged once', async () => {
    rig = await start();
    const r = rig;
    r.credit.loseAnswers = 2;
    const app = r.open({ authorizeAttempts: 2 });
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 2 });
    const requested = nextStep(app, 'credit-request');
    r.source.enter('00001');
    readyCard(r, (await requested).detail!.transactionId as string);
    const first = await sale.done;
    expect(first.outcome).toBe('unknown');
    expect(first.record.state).toBe('authorizing');
    expect(r.printed).toHaveLength(0);
    const [result] = await app.resume();
    expect(result!.outcome).toBe('completed');
    expect(r.credit.authorizations.map((a) => a.stan)).toEqual([1, 1, 1]);
    expect(r.credit.charged).toHaveLength(1);
    expect(r.printed).toHaveLength(1);
  });

  it('restart after the issuer answered but before the report: resume reports it once, no second authorization', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 2 });
    const requested = nextStep(app, 'credit-request');
    r.source.enter('00001');
    const crId = (await requested).detail!.transactionId as string;
    let closing: Promise<void> | undefined;
    app.on('step', (s) => {
      if (s.step === 'authorization') closing = app.close();
    });
    readyCard(r, crId);
    await expect(sale.done).rejects.toBeInstanceOf(PosClosedError);
    await closing;
    const reopened = r.open();
    expect(reopened.journal.get(sale.saleId)).toMatchObject({ state: 'reporting', outcome: 'completed' });
    const [result] = await reopened.resume();
    expect(result).toMatchObject({ outcome: 'completed', approvalCode: 'C00001' });
    expect(r.credit.authorizations).toHaveLength(1);
    expect(r.gateway.creditRequests.get(crId)!.reports).toEqual([
      { approved: true, responseCode: '00', approvalCode: 'C00001' },
    ]);
  });

  it('clerk cancel while the user has not confirmed by mail: the credit request is cancelled, no issuer asked', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 2 });
    const requested = nextStep(app, 'credit-request');
    r.source.enter('00001');
    const crId = (await requested).detail!.transactionId as string;
    app.cancel(sale.saleId);
    expect(await sale.done).toMatchObject({ outcome: 'aborted', reason: 'cancelled' });
    expect(r.gateway.creditRequests.get(crId)!.status).toBe('cancelled');
    expect(r.credit.authorizations).toHaveLength(0);
  });

  it('the gateway ended the credit request before the approval was reported (409): the approval is reversed (0400), the sale ends unpaid', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 2 });
    const requested = nextStep(app, 'credit-request');
    r.source.enter('00001');
    const crId = (await requested).detail!.transactionId as string;
    app.on('step', (s) => {
      if (s.step === 'authorization-sent')
        Object.assign(r.gateway.creditRequests.get(crId)!, { status: 'cancelled', reason: 'phone-timeout' });
    });
    readyCard(r, crId);
    const result = await sale.done;
    expect(result).toMatchObject({ outcome: 'aborted', reason: 'cancelled' });
    expect(result.approvalCode).toBeUndefined();
    expect(r.credit.reversals).toHaveLength(1);
    expect(r.credit.reversals[0]!.original.stan).toBe(1);
    expect(r.credit.reversals[0]!.stan).toBe(2);
    expect(r.credit.charged).toEqual([]);
    expect(r.printed[0]).toContain('NOT PAID');
    expect(r.printed[0]).not.toContain('C00001');
  });

  it('an issuer not in the shop table (FIG. 23): the credit request is cancelled as issuer-not-accepted, nothing sent to an issuer', async () => {
    rig = await start();
    const r = rig;
    const app = r.open({
      creditTable: [{ issuerCode: '2s44444', methods: ['L'], merchantCodeForCredit: 'D-1' }],
    });
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 2 });
    const requested = nextStep(app, 'credit-request');
    r.source.enter('00001');
    const crId = (await requested).detail!.transactionId as string;
    readyCard(r, crId);
    expect(await sale.done).toMatchObject({ outcome: 'aborted', reason: 'issuer-not-accepted' });
    expect(r.credit.authorizations).toHaveLength(0);
    expect(r.gateway.creditRequests.get(crId)!.status).toBe('cancelled');
  });

  it('the issuer declines over the limit (51): declined, reported to the gateway as not approved', async () => {
    rig = await start();
    const r = rig;
    r.credit.cards.set(PAN, { expiry: EXPIRY, limit: 100 });
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 2 });
    const requested = nextStep(app, 'credit-request');
    r.source.enter('00001');
    const crId = (await requested).detail!.transactionId as string;
    readyCard(r, crId);
    expect(await sale.done).toMatchObject({ outcome: 'declined', reason: 'declined-over-limit' });
    expect(r.gateway.creditRequests.get(crId)).toMatchObject({
      status: 'closed',
      result: { approved: false, responseCode: '51' },
    });
    expect(r.printed[0]).toContain('DECLINED');
  });

  it('the gateway rejects (no card for the user): the sale ends unpaid with the reason', async () => {
    rig = await start();
    const r = rig;
    const app = r.open();
    const sale = app.startSale({ items: ITEMS, currency: 'JPY', embodiment: 2 });
    const requested = nextStep(app, 'credit-request');
    r.source.enter('00002');
    r.gateway.reject((await requested).detail!.transactionId as string, 'declined-expired-card');
    expect(await sale.done).toMatchObject({ outcome: 'aborted', reason: 'declined-expired-card' });
    expect(r.credit.authorizations).toHaveLength(0);
  });
});
