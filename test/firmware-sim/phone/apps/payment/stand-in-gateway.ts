/**
 * A minimal stand-in of the seed-001 gateway for the phone application's tests (the real one is
 * services/gateway/, built elsewhere): the direction server's mailbox and reply route and the phone API of
 * payment/gateway-api.ts, on a real HTTPS listener on loopback, with certificates made by the openssl
 * command line (a CA the phone trusts, the gateway's certificate, and the forgers' certificates).
 */
import { sign, type KeyObject, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type {
  AbortReason,
  AgreementAnswer,
  Mail,
  MailKind,
  PaymentOutcome,
  PhoneAuthentication,
  TransactionDetails,
} from '../../../../../firmware-sim/payment/gateway-api.js';
import { canonicalMailBody } from '../../../../../firmware-sim/payment/gateway-api.js';
import { hasOpenssl, opensslCa, opensslLeaf } from '../../../../openssl-pki.js';
import { checkAuthResult, decodeAuthResult } from '../../../../../firmware-sim/uim/payment.js';

export const HOST = 'gateway.benchtwin.test';
export const DEVICE_ID = '1234567';
/** The authKey of fixtures/cards/usim-seed001.yaml, shared by card and gateway. */
export const AUTH_KEY = Buffer.from(
  '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
  'hex',
);
export const MAILBOX = `https://${HOST}/mail/v1/mailboxes/${DEVICE_ID}/messages`;
export const PAYMENT_SERVER = `https://${HOST}/phone/v1`;

export { hasOpenssl };

export interface Signer {
  cert: string;
  key: KeyObject;
}

export interface Pki {
  dir: string;
  caPem: string;
  /** The gateway's certificate (bench CA, names gateway.benchtwin.test): TLS and mail signatures. */
  gateway: Signer & { keyPem: string };
  /** Names the gateway host, but from a CA the phone does not trust. */
  otherCa: Signer;
  /** From the bench CA, but names another host. */
  wrongHost: Signer;
}

export function makePki(): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-payapp-'));
  opensslCa(dir, 'bench-ca');
  opensslCa(dir, 'other-ca');
  opensslLeaf(dir, 'bench-ca', 'gateway', { san: `DNS:${HOST}`, subject: `/CN=${HOST}` });
  opensslLeaf(dir, 'other-ca', 'forger', { san: `DNS:${HOST}`, subject: `/CN=${HOST}` });
  opensslLeaf(dir, 'bench-ca', 'wronghost', {
    san: 'DNS:shop.benchtwin.test',
    subject: '/CN=shop.benchtwin.test',
  });
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const signer = (n: string): Signer => ({ cert: read(`${n}.pem`), key: createPrivateKey(read(`${n}.key`)) });
  return {
    dir,
    caPem: read('bench-ca.pem'),
    gateway: { ...signer('gateway'), keyPem: read('gateway.key') },
    otherCa: signer('forger'),
    wrongHost: signer('wronghost'),
  };
}

/** A mail as the direction server makes it: signed over canonicalMailBody by `signer`. */
export function signedMail(
  signer: Signer,
  messageId: string,
  kind: MailKind,
  commands: Mail['commands'],
  sentAt = '2026-01-01T00:00:00Z',
): Mail {
  const body = { messageId, kind, from: HOST, sentAt, commands };
  const signature = sign('sha256', Buffer.from(canonicalMailBody(body), 'utf8'), signer.key).toString(
    'base64',
  );
  return { ...body, certificate: signer.cert, signature };
}

export const payCommands = (transactionId: string, paymentServer = PAYMENT_SERVER): Mail['commands'] => ({
  application: 'seed001-payment',
  action: 'pay',
  transactionId,
  paymentServer,
});

export const DETAILS = {
  merchantCode: '1111111111',
  merchantName: 'A',
  items: [
    { goods: 'Coffee', quantity: 2, unitPrice: 500, tax: 100 },
    { goods: 'Cake', quantity: 1, unitPrice: 300, tax: 30 },
  ],
  currency: 'JPY',
  total: 1430,
};

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
}

export class StandInGateway {
  readonly requests: Recorded[] = [];
  mails: Mail[] = [];
  /** A 403 reason the authenticate route answers with instead of the details. */
  authenticateReason: AbortReason | undefined;
  /** The authenticate route takes the request and never answers (the two-minute timeout). */
  hangAuthenticate = false;
  /** The outcome of the method route: completed, or aborted with this reason. */
  methodReason: AbortReason | undefined;
  /** The password embodiment 2 replies must carry (user 00001's). */
  replyPassword = 'ABCDEF';
  /** The web-shop variant: what the stand-in shop's checkout (`POST /checkout/v1/user-id`) answers. */
  checkoutAnswer: { status: number; body: unknown } = { status: 202, body: { status: 'accepted' } };
  /** A right reply is answered `{status: 'rejected', reason}` (the gateway's card check) instead of accepted. */
  replyRejection: AbortReason | undefined;
  private server: https.Server | undefined;
  private readonly hanging: ServerResponse[] = [];

  /** `epochMs` gives the stand-in's calendar time (it shares the phone's virtual clock). */
  constructor(
    private readonly pki: Pki,
    private readonly epochMs: () => number,
  ) {}

  async listen(): Promise<number> {
    this.server = https.createServer({ key: this.pki.gateway.keyPem, cert: this.pki.gateway.cert }, (q, r) =>
      this.handle(q, r),
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  paths(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const p = (req.url ?? '').split('?')[0]!;
      this.requests.push({
        method: req.method ?? '',
        path: p,
        body,
        authorization: req.headers.authorization,
      });
      this.route(req.method ?? '', p, body, req.headers.authorization, res);
    });
  }

  private send(res: ServerResponse, status: number, json: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(json));
  }

  private route(
    method: string,
    p: string,
    body: unknown,
    auth: string | undefined,
    res: ServerResponse,
  ): void {
    if (method === 'POST' && p === '/checkout/v1/user-id')
      return this.send(res, this.checkoutAnswer.status, this.checkoutAnswer.body);
    const mailbox = `/mail/v1/mailboxes/${DEVICE_ID}/messages`;
    if (method === 'GET' && p === mailbox) return this.send(res, 200, { messages: this.mails });
    const reply = new RegExp(`^${mailbox}/([^/]+)/reply$`).exec(p);
    if (method === 'POST' && reply) {
      const ok = (body as { password?: unknown })?.password === this.replyPassword;
      if (ok && this.replyRejection)
        return this.send(res, 200, { status: 'rejected', reason: this.replyRejection });
      return ok
        ? this.send(res, 200, { status: 'ready' })
        : this.send(res, 403, { error: 'wrong password', reason: 'wrong-password' });
    }
    const m = /^\/phone\/v1\/transactions\/([^/]+)\/(authenticate|agreement|method)$/.exec(p);
    if (method !== 'POST' || !m) return this.send(res, 404, { error: 'not found' });
    const [, txn, step] = m;
    if (step === 'authenticate') {
      if (this.hangAuthenticate) {
        this.hanging.push(res);
        return;
      }
      const a = body as PhoneAuthentication;
      const decoded = decodeAuthResult(Buffer.from(String(a?.authResult), 'hex'));
      if (!decoded.ok || !decoded.value || decoded.value.userId !== a.userId)
        return this.send(res, 403, { error: 'forbidden', reason: 'auth-invalid' });
      const check = checkAuthResult(decoded.value, AUTH_KEY, a.deviceId, Math.floor(this.epochMs() / 1000));
      if (check === 'expired') return this.send(res, 403, { error: 'forbidden', reason: 'auth-expired' });
      if (check !== 'valid') return this.send(res, 403, { error: 'forbidden', reason: 'auth-invalid' });
      if (a.deviceId !== DEVICE_ID)
        return this.send(res, 403, { error: 'forbidden', reason: 'device-mismatch' });
      if (this.authenticateReason)
        return this.send(res, 403, { error: 'forbidden', reason: this.authenticateReason });
      const details: TransactionDetails = { session: 'S-1', transactionId: txn!, ...DETAILS };
      return this.send(res, 200, details);
    }
    if (auth !== 'Bearer S-1') return this.send(res, 401, { error: 'no session' });
    if (step === 'agreement') {
      const agree = (body as { agree?: unknown })?.agree === true;
      const answer: AgreementAnswer = agree
        ? { status: 'choose-method', methods: ['L', 'I', 'R'] }
        : { status: 'aborted', reason: 'not-agreed' };
      return this.send(res, 200, answer);
    }
    const outcome: PaymentOutcome = this.methodReason
      ? { status: 'aborted', reason: this.methodReason, message: 'declined' }
      : { status: 'completed', approvalCode: 'AP1234', message: 'Payment has now been completed' };
    return this.send(res, 200, outcome);
  }
}
