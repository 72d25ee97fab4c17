/**
 * Helpers of the gateway tests: TLS material made with the openssl CLI, an HTTPS client that trusts it, a
 * stand-in credit server (the real one is another helper's part) and a recording push sender, and the
 * UIM's authentication result as firmware-sim/uim/payment.ts builds it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type {
  AuthorizationRequest,
  AuthorizationResponse,
  CreditHost,
  KeyDelivery,
  ReversalRequest,
} from '../../../firmware-sim/cat/credit-host.js';
import { decryptPan } from '../../../firmware-sim/payment/pan-encryption.js';
import { authResultMac, encodeAuthResult, type AuthResult } from '../../../firmware-sim/uim/payment.js';
import type { PushSender, WapPushRequest } from '../../../services/gateway/push.js';

export const HOST_NAME = 'gateway.benchtwin.test';
/** Gateway calendar time at clock 0 in the tests: 2026-01-01. */
export const EPOCH = Date.UTC(2026, 0, 1);

export interface TlsMaterial {
  dir: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  /** A client certificate whose subject CN is `deviceId` (device authentication by certificate). */
  client(deviceId: string): { key: string; cert: string };
}

/** A CA, the gateway's server certificate (SAN gateway.benchtwin.test) and client certificates, by openssl. */
export function makeTls(): TlsMaterial {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-gateway-tls-'));
  const f = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '3650',
    '-subj',
    '/CN=benchtwin test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const issue = (name: string, subject: string, ext: string): void => {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
      '-subj',
      subject,
    );
    fs.writeFileSync(f(`${name}.ext`), ext);
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.pem`),
      '-days',
      '825',
      '-extfile',
      f(`${name}.ext`),
    );
  };
  issue('server', `/CN=${HOST_NAME}`, `subjectAltName=DNS:${HOST_NAME}\nextendedKeyUsage=serverAuth\n`);
  const read = (n: string): string => fs.readFileSync(f(n), 'utf8');
  return {
    dir,
    caCert: read('ca.pem'),
    serverKey: read('server.key'),
    serverCert: read('server.pem'),
    client(deviceId) {
      const name = `device-${deviceId}`;
      if (!fs.existsSync(f(`${name}.pem`))) issue(name, `/CN=${deviceId}`, 'extendedKeyUsage=clientAuth\n');
      return { key: read(`${name}.key`), cert: read(`${name}.pem`) };
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** A JSON value, or raw bytes sent as they are. */
  body?: unknown;
  clientCert?: { key: string; cert: string };
}

/** A real HTTPS client (Node https) trusting the test CA and checking the gateway's host name. */
export class GatewayClient {
  constructor(
    readonly port: number,
    private readonly ca: string,
  ) {}

  request(method: string, pathName: string, o: RequestOptions = {}): Promise<HttpAnswer> {
    const payload =
      o.body === undefined
        ? undefined
        : Buffer.isBuffer(o.body)
          ? o.body
          : Buffer.from(JSON.stringify(o.body));
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: this.port,
          servername: HOST_NAME,
          ca: this.ca,
          method,
          path: pathName,
          agent: false,
          headers: {
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
              : {}),
            ...o.headers,
          },
          ...(o.clientCert ? { key: o.clientCert.key, cert: o.clientCert.cert } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  post(pathName: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return this.request('POST', pathName, { body, headers });
  }

  get(pathName: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return this.request('GET', pathName, { headers });
  }
}

export interface StandInCard {
  expiry: string;
  limit: number;
}

/**
 * A stand-in credit server: the issuer's decisions of docs/SEED-001.md (unknown card 14, expired 54,
 * over the limit 51, else 00), answers stored per (terminal id, STAN) so a repeat gets the same answer.
 */
export class StandInCredit implements CreditHost {
  readonly authorizations: AuthorizationRequest[] = [];
  readonly deliveries: KeyDelivery[] = [];
  readonly reversals: ReversalRequest[] = [];
  readonly answers = new Map<string, AuthorizationResponse>();
  readonly keys = new Map<string, string>();
  /** Calls to fail (as a lost connection) before answering again. */
  unreachable = 0;
  /** While set, authorize and deliverKey wait for it before answering. */
  gate: Promise<void> | undefined;
  private approvals = 0;

  constructor(readonly cards: Map<string, StandInCard>) {}

  async signOn(): Promise<void> {}
  async echo(): Promise<void> {}
  async close(): Promise<void> {}

  async authorize(r: AuthorizationRequest): Promise<AuthorizationResponse> {
    this.authorizations.push(r);
    if (this.unreachable > 0) {
      this.unreachable--;
      throw new Error('no answer (stand-in)');
    }
    if (this.gate) await this.gate;
    const k = `${r.terminalId}:${r.stan}`;
    const stored = this.answers.get(k);
    if (stored) return stored;
    const card = this.cards.get(r.pan);
    const now = r.at.toISOString().slice(2, 7).replace('-', '');
    let answer: AuthorizationResponse;
    if (!card) answer = { responseCode: '14', approved: false };
    else if (card.expiry !== r.expiry || card.expiry < now) answer = { responseCode: '54', approved: false };
    else if (r.amountMinor > card.limit) answer = { responseCode: '51', approved: false };
    else {
      this.approvals++;
      answer = {
        responseCode: '00',
        approved: true,
        approvalCode: `A${String(this.approvals).padStart(5, '0')}`,
        rrn: String(100000000000 + r.stan),
      };
      card.limit -= r.amountMinor;
    }
    this.answers.set(k, answer);
    return answer;
  }

  async reverse(r: ReversalRequest): Promise<AuthorizationResponse> {
    this.reversals.push(r);
    return { responseCode: '00', approved: true };
  }

  async deliverKey(d: KeyDelivery): Promise<AuthorizationResponse> {
    this.deliveries.push(d);
    if (this.unreachable > 0) {
      this.unreachable--;
      throw new Error('no answer (stand-in)');
    }
    if (this.gate) await this.gate;
    this.keys.set(d.encryptedPan, d.key);
    return { responseCode: '00', approved: true };
  }

  /** What the issuer gets back from an encrypted number with the delivered key. */
  decrypt(encryptedPan: string): string | undefined {
    const key = this.keys.get(encryptedPan);
    return key === undefined ? undefined : decryptPan(encryptedPan, Buffer.from(key, 'hex'));
  }
}

/** The stand-in issuer's cardholders: the fixture users' cards, limit 100 000 minor units. */
export function standInCards(): Map<string, StandInCard> {
  return new Map([
    ['1234223432344234', { expiry: '2812', limit: 100_000 }],
    ['2234323442345234', { expiry: '2906', limit: 100_000 }],
    ['3234423452346234', { expiry: '2703', limit: 100_000 }],
    ['4234523462347239', { expiry: '2012', limit: 100_000 }],
    ['1539960100000005', { expiry: '2812', limit: 100_000 }],
  ]);
}

/** A push sender that records the pushes (stand-in for the SMPP one, tested on its own). */
export class RecordingPush implements PushSender {
  readonly pushes: WapPushRequest[] = [];
  failures = 0;
  async sendWapPush(p: WapPushRequest): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('SMSC unreachable (stand-in)');
    }
    this.pushes.push(p);
  }
}

/** EF_PAY_AUTH in hex as the UIM writes it after VERIFY PAYMENT PASSWORD. */
export function authResultHex(o: {
  userId: string;
  deviceId: string;
  authKey: string;
  issuedAtS: number;
  validityS?: number;
  sequence?: number;
}): string {
  const result: AuthResult = {
    authenticated: true,
    userRecord: 1,
    userId: o.userId,
    issuedAt: o.issuedAtS,
    expiresAt: o.issuedAtS + (o.validityS ?? 3600),
    sequence: o.sequence ?? 1,
  };
  result.mac = authResultMac(Buffer.from(o.authKey, 'hex'), o.deviceId, result);
  return Buffer.from(encodeAuthResult(result)).toString('hex');
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function tempDir(): { dir: string; file: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-gateway-'));
  return {
    dir,
    file: path.join(dir, 'gateway.sqlite'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
