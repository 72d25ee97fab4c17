/**
 * Test helpers for the POS: bench certificates made with the `openssl` CLI, and a "(stand-in gateway)":
 * a real HTTPS server on loopback implementing the POS routes of firmware-sim/payment/gateway-api.ts
 * minimally (idempotent creation, long poll, cancel, embodiment-2 credit requests and result reports).
 * The real gateway (services/gateway/) is another helper's part; this stands in for it in POS tests only.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { whileHeld, type Clock } from '../../../firmware-sim/clock.js';
import { opensslCa, opensslLeaf } from '../../openssl-pki.js';
import type {
  AbortReason,
  CardlessCreditRequest,
  CreditResultReport,
  PaymentMethod,
  PosCreditRequest,
  PosTransaction,
  TransactionNumberRequest,
} from '../../../firmware-sim/payment/gateway-api.js';

export const GATEWAY_HOST = 'gateway.benchtwin.test';

export interface BenchCertificates {
  caCert: string;
  serverKey: string;
  serverCert: string;
  /** A CA the POS does not trust, and a gateway certificate from it. */
  otherCaCert: string;
  otherServerKey: string;
  otherServerCert: string;
}

/** A root CA and a server certificate naming `gateway.benchtwin.test`, made with the openssl CLI. */
export function makeCertificates(dir: string): BenchCertificates {
  const make = (prefix: string) => {
    const ca = opensslCa(dir, `${prefix}-ca`, { subject: `/CN=benchtwin ${prefix} root`, days: 2 });
    const server = opensslLeaf(dir, `${prefix}-ca`, `${prefix}-server`, {
      san: `DNS:${GATEWAY_HOST}`,
      subject: `/CN=${GATEWAY_HOST}`,
      days: 1,
    });
    return { ca: ca.cert, key: server.key, cert: server.cert };
  };
  const bench = make('bench');
  const other = make('other');
  return {
    caCert: bench.ca,
    serverKey: bench.key,
    serverCert: bench.cert,
    otherCaCert: other.ca,
    otherServerKey: other.key,
    otherServerCert: other.cert,
  };
}

export interface LoggedRequest {
  method: string;
  path: string;
  idempotencyKey?: string;
  body?: unknown;
}

interface StandInTransaction extends PosTransaction {
  key: string;
  request: TransactionNumberRequest;
}

interface StandInCreditRequest extends PosCreditRequest {
  key: string;
  request: CardlessCreditRequest;
  reports: CreditResultReport[];
}

type Waiter = () => void;

/** The stand-in gateway. Its clock is the bench's; each request's handling is held on it. */
export class StandInGateway {
  readonly log: LoggedRequest[] = [];
  readonly transactions = new Map<string, StandInTransaction>();
  readonly creditRequests = new Map<string, StandInCreditRequest>();
  /** Known user ids (others get 404 unknown-user). */
  users = new Set(['00001', '00002', '00003']);
  /** Called after a creation was stored, before it is answered. */
  onCreate: ((id: string) => void) | undefined;
  /** Drop the connection instead of answering the next n creations (the answer is lost, not the work). */
  loseCreateAnswers = 0;
  /** TLS handshakes the server completed (connections the clients opened). */
  handshakes = 0;
  private readonly waiters = new Map<string, Set<Waiter>>();
  private next = 1;
  private server: https.Server | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly tls: { key: string; cert: string },
  ) {}

  async listen(): Promise<number> {
    this.server = https.createServer({ key: this.tls.key, cert: this.tls.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void whileHeld(this.clock, async () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
      });
    });
    this.server.on('secureConnection', () => this.handshakes++);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  creations(): LoggedRequest[] {
    return this.log.filter((l) => l.method === 'POST' && /^\/pos\/v[12]\/[a-z-]+$/.test(l.path));
  }

  complete(id: string, r: { method: PaymentMethod; approvalCode: string; rrn: string }): void {
    const t = this.transactions.get(id)!;
    Object.assign(t, { status: 'completed', ...r, completedAt: new Date().toISOString() });
    this.wake(id);
  }

  abort(id: string, reason: AbortReason): void {
    const t = this.transactions.get(id)!;
    Object.assign(t, { status: 'aborted', reason, completedAt: new Date().toISOString() });
    this.wake(id);
  }

  ready(id: string, card: { encryptedPan: string; expiry: string; issuerCode: string }): void {
    Object.assign(this.creditRequests.get(id)!, { status: 'ready', ...card });
    this.wake(id);
  }

  reject(id: string, reason: AbortReason): void {
    Object.assign(this.creditRequests.get(id)!, { status: 'rejected', reason });
    this.wake(id);
  }

  private wake(id: string): void {
    for (const w of this.waiters.get(id) ?? []) w();
    this.waiters.delete(id);
  }

  private handle(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
    text: string,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://x');
    const key = req.headers['idempotency-key'] as string | undefined;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return this.send(res, 400, { error: 'body is not JSON' });
    }
    this.log.push({
      method: req.method ?? '',
      path: url.pathname,
      ...(key ? { idempotencyKey: key } : {}),
      body,
    });
    const parts = url.pathname.split('/').filter(Boolean); // pos v1 transactions {id} [cancel]
    const waitMs = Number(url.searchParams.get('waitMs') ?? 0);
    if (parts[0] !== 'pos') return this.send(res, 404, { error: 'no such route' });
    if (parts[1] === 'v1' && parts[2] === 'transactions') {
      if (req.method === 'POST' && parts.length === 3) return this.create(res, key, body, 1);
      const t = this.transactions.get(parts[3] ?? '');
      if (!t) return this.send(res, 404, { error: 'no such transaction' });
      if (req.method === 'GET' && parts.length === 4)
        return this.answerWhen(
          res,
          t.transactionId,
          waitMs,
          () => t.status !== 'pending',
          () => view(t),
        );
      if (req.method === 'POST' && parts[4] === 'cancel') {
        if (t.status === 'completed') return this.send(res, 409, { error: 'already completed' });
        if (t.status === 'pending') this.abort(t.transactionId, 'cancelled');
        return this.send(res, 200, view(t));
      }
    }
    if (parts[1] === 'v2' && parts[2] === 'credit-requests') {
      if (req.method === 'POST' && parts.length === 3) return this.create(res, key, body, 2);
      const c = this.creditRequests.get(parts[3] ?? '');
      if (!c) return this.send(res, 404, { error: 'no such credit request' });
      if (req.method === 'GET' && parts.length === 4)
        return this.answerWhen(
          res,
          c.transactionId,
          waitMs,
          () => c.status !== 'awaiting-confirmation',
          () => view(c),
        );
      if (req.method === 'POST' && parts[4] === 'result') {
        if (c.status !== 'ready' && c.status !== 'closed')
          return this.send(res, 409, { error: `credit request is ${c.status}` });
        const report = body as CreditResultReport;
        c.reports.push(report);
        if (c.status === 'ready') Object.assign(c, { status: 'closed', result: report });
        return this.send(res, 200, view(c));
      }
      if (req.method === 'POST' && parts[4] === 'cancel') {
        if (c.status === 'closed') return this.send(res, 409, { error: 'already closed' });
        if (c.status === 'awaiting-confirmation' || c.status === 'ready')
          Object.assign(c, { status: 'cancelled', reason: 'cancelled' });
        this.wake(c.transactionId);
        return this.send(res, 200, view(c));
      }
    }
    return this.send(res, 404, { error: 'no such route' });
  }

  private create(
    res: import('node:http').ServerResponse,
    key: string | undefined,
    body: unknown,
    embodiment: 1 | 2,
  ): Promise<void> {
    if (!key) return this.send(res, 400, { error: 'Idempotency-Key required' });
    const request = body as TransactionNumberRequest;
    const existing =
      embodiment === 1
        ? [...this.transactions.values()].find((t) => t.key === key)
        : [...this.creditRequests.values()].find((c) => c.key === key);
    if (existing) return this.send(res, 200, view(existing));
    if (!this.users.has(request.userId))
      return this.send(res, 404, { error: 'unknown user', reason: 'unknown-user' });
    const total = request.items.reduce((s, l) => s + l.quantity * l.unitPrice + l.tax, 0);
    if (total !== request.total) return this.send(res, 422, { error: 'total does not add up' });
    const id = `TX${String(this.next++).padStart(8, '0')}`;
    const createdAt = new Date().toISOString();
    if (embodiment === 1)
      this.transactions.set(id, { transactionId: id, status: 'pending', createdAt, key, request });
    else
      this.creditRequests.set(id, {
        transactionId: id,
        status: 'awaiting-confirmation',
        createdAt,
        key,
        request,
        reports: [],
      });
    this.onCreate?.(id);
    if (this.loseCreateAnswers > 0) {
      this.loseCreateAnswers--;
      res.socket?.destroy();
      return Promise.resolve();
    }
    return this.send(
      res,
      201,
      view(embodiment === 1 ? this.transactions.get(id)! : this.creditRequests.get(id)!),
    );
  }

  /**
   * Long poll: answer at once when `ready()`, else when it becomes so or `waitMs` has passed on the clock.
   * The wait itself is not held on the clock (only the handling is), so a virtual clock can jump over it.
   */
  private answerWhen(
    res: import('node:http').ServerResponse,
    id: string,
    waitMs: number,
    ready: () => boolean,
    answer: () => unknown,
  ): Promise<void> {
    if (ready() || waitMs <= 0) return this.send(res, 200, answer());
    const done = () => {
      this.clock.clearTimeout(timer);
      this.waiters.get(id)?.delete(done);
      void whileHeld(this.clock, () => this.send(res, 200, answer()));
    };
    const timer = this.clock.setTimeout(done, waitMs);
    if (!this.waiters.has(id)) this.waiters.set(id, new Set());
    this.waiters.get(id)!.add(done);
    res.on('close', () => {
      this.clock.clearTimeout(timer);
      this.waiters.get(id)?.delete(done);
    });
    return Promise.resolve();
  }

  private send(res: import('node:http').ServerResponse, status: number, body: unknown): Promise<void> {
    if (res.writableEnded || res.destroyed) return Promise.resolve();
    return new Promise((r) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body), () => r());
    });
  }
}

function view(v: StandInTransaction | StandInCreditRequest): PosTransaction | PosCreditRequest {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { key, request, ...wire } = v as StandInCreditRequest;
  delete (wire as Partial<StandInCreditRequest>).reports;
  return wire as PosTransaction | PosCreditRequest;
}
