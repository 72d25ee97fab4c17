/**
 * The POS's HTTPS client of the payment gateway's POS API (firmware-sim/payment/gateway-api.ts): Node's
 * `https` with the bench's root CA as the whole trust store and the gateway's host name checked against
 * its certificate (`servername`), whatever address the name is mapped to. `hosts` plays the bench's DNS
 * (name → `ip:port`), so `https://gateway.benchtwin.test` reaches a loopback port while TLS still checks
 * the name.
 *
 * Every POST that creates something carries an `Idempotency-Key`; a retry after a lost answer sends the
 * same key, so the gateway answers with what it already did instead of doing it again.
 */
import https from 'node:https';
import { holdClock, type Clock } from '../../firmware-sim/clock.js';
import type {
  ApiError,
  CardlessCreditRequest,
  CreditResultReport,
  PosCreditRequest,
  PosTransaction,
  TransactionNumberRequest,
} from '../../firmware-sim/payment/gateway-api.js';
import { classifyError } from '../../devices/phone/https-client.js';

/**
 * `network`: no answer (refused, reset, cut off) — the request may or may not have been done;
 * `timeout`: no complete answer by the deadline — same; `tls`: the certificate is not trusted or does
 * not name the host — nothing was sent; `http`: the gateway answered 4xx/5xx (`status`, `api`);
 * `bad-response`: not the JSON of the contract; `aborted`: the caller gave up (its AbortSignal).
 */
export type GatewayErrorCode = 'network' | 'timeout' | 'tls' | 'http' | 'bad-response' | 'aborted';

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly status?: number,
    readonly api?: ApiError,
  ) {
    super(message);
  }

  /** Worth repeating with the same key: the request may not have arrived, or the gateway was down. */
  get transient(): boolean {
    return (
      this.code === 'network' ||
      this.code === 'timeout' ||
      (this.code === 'http' && (this.status ?? 0) >= 500)
    );
  }
}

export interface GatewayClientOptions {
  /** `https://gateway.benchtwin.test` (a path prefix is kept). */
  baseUrl: string;
  /** PEM of the bench's root CA (or several): the whole trust store. */
  ca: string | readonly string[];
  /** Host name → `ip:port` (or `ip`, keeping the URL's port), consulted instead of DNS. */
  hosts?: Readonly<Record<string, string>>;
  clock: Clock;
  /** Deadline of one request on the clock, beyond any long-poll wait (default 15 s). */
  timeoutMs?: number;
  /** Repeats of a request that failed transiently, and the pause before each (default 2 × 500 ms). */
  retry?: { attempts: number; delayMs: number };
  /** Largest answer accepted (default 1 MiB). */
  maxResponseBytes?: number;
  /** Each HTTP exchange as sent and received (after TLS): for a transcript of the POS's side. */
  onExchange?: (exchange: GatewayExchange) => void;
}

/** One request and what came back: the parsed JSON answer, or the error when none was read. */
export interface GatewayExchange {
  method: 'GET' | 'POST';
  /** Path and query, as sent. */
  path: string;
  idempotencyKey?: string;
  request?: unknown;
  /** HTTP status; 0 when no answer was read. */
  status: number;
  response?: unknown;
  error?: string;
}

/** Real time a request may hold a virtual clock while it waits for the first byte of the answer. */
const HOLD_GUARD_MS = 2000;

interface Call {
  method: 'GET' | 'POST';
  /** The contract's shape of a 2xx answer; anything else is a `bad-response`. */
  shape: (v: unknown) => boolean;
  path: string;
  body?: unknown;
  idempotencyKey?: string;
  /** Extra deadline for a long poll. */
  waitMs?: number;
  signal?: AbortSignal;
}

export class GatewayClient {
  private readonly base: URL;
  private readonly ca: string[];
  private readonly timeoutMs: number;
  private readonly retry: { attempts: number; delayMs: number };
  private readonly maxResponse: number;
  /**
   * One kept-alive TLS connection (or a few, for long polls beside other calls) to the gateway instead of a
   * handshake per call. A call that fails on a connection the gateway had closed is a transient `network`
   * error and is repeated (same Idempotency-Key), like any other.
   */
  private readonly agent = new https.Agent({ keepAlive: true, maxFreeSockets: 4 });

  constructor(private readonly options: GatewayClientOptions) {
    this.base = new URL(options.baseUrl);
    if (this.base.protocol !== 'https:') throw new RangeError('gateway: only https: URLs');
    this.ca = typeof options.ca === 'string' ? [options.ca] : [...options.ca];
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.retry = options.retry ?? { attempts: 2, delayMs: 500 };
    this.maxResponse = options.maxResponseBytes ?? 1 << 20;
  }

  /** Closes the kept-alive connections (idle ones never keep a process alive: the agent unrefs them). */
  close(): void {
    this.agent.destroy();
  }

  // ---- embodiment 1 ----

  /** POST /pos/v1/transactions: ask for a transaction number (201 new, 200 the same key again). */
  createTransaction(
    key: string,
    request: TransactionNumberRequest,
    signal?: AbortSignal,
  ): Promise<PosTransaction> {
    return this.call<PosTransaction>({
      shape: isPosTransaction,
      method: 'POST',
      path: '/pos/v1/transactions',
      body: request,
      idempotencyKey: key,
      ...opt(signal),
    });
  }

  /** GET /pos/v1/transactions/{id}?waitMs=: the gateway answers when the state changes or the wait ends. */
  getTransaction(id: string, waitMs?: number, signal?: AbortSignal): Promise<PosTransaction> {
    return this.call<PosTransaction>({
      shape: isPosTransaction,
      method: 'GET',
      path: `/pos/v1/transactions/${enc(id)}${wait(waitMs)}`,
      ...opt(signal, waitMs),
    });
  }

  /** POST /pos/v1/transactions/{id}/cancel: the clerk cancels; the answer is the transaction as it ends. */
  cancelTransaction(id: string, signal?: AbortSignal): Promise<PosTransaction> {
    return this.call<PosTransaction>({
      shape: isPosTransaction,
      method: 'POST',
      path: `/pos/v1/transactions/${enc(id)}/cancel`,
      body: {},
      ...opt(signal),
    });
  }

  // ---- embodiment 2 ----

  /** POST /pos/v2/credit-requests: the user id and merchant code (step S01). */
  createCreditRequest(
    key: string,
    request: CardlessCreditRequest,
    signal?: AbortSignal,
  ): Promise<PosCreditRequest> {
    return this.call<PosCreditRequest>({
      shape: isPosCreditRequest,
      method: 'POST',
      path: '/pos/v2/credit-requests',
      body: request,
      idempotencyKey: key,
      ...opt(signal),
    });
  }

  getCreditRequest(id: string, waitMs?: number, signal?: AbortSignal): Promise<PosCreditRequest> {
    return this.call<PosCreditRequest>({
      shape: isPosCreditRequest,
      method: 'GET',
      path: `/pos/v2/credit-requests/${enc(id)}${wait(waitMs)}`,
      ...opt(signal, waitMs),
    });
  }

  /** POST /pos/v2/credit-requests/{id}/result: the issuer's answer as the POS got it. */
  reportCreditResult(
    id: string,
    report: CreditResultReport,
    key: string,
    signal?: AbortSignal,
  ): Promise<PosCreditRequest> {
    return this.call<PosCreditRequest>({
      shape: isPosCreditRequest,
      method: 'POST',
      path: `/pos/v2/credit-requests/${enc(id)}/result`,
      body: report,
      idempotencyKey: key,
      ...opt(signal),
    });
  }

  cancelCreditRequest(id: string, signal?: AbortSignal): Promise<PosCreditRequest> {
    return this.call<PosCreditRequest>({
      shape: isPosCreditRequest,
      method: 'POST',
      path: `/pos/v2/credit-requests/${enc(id)}/cancel`,
      body: {},
      ...opt(signal),
    });
  }

  // ---- transport ----

  /** One call with retries of transient failures (same body, same key). */
  private async call<T>(c: Call): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(c);
      } catch (e) {
        const err = e instanceof GatewayError ? e : new GatewayError('network', String(e));
        if (!err.transient || attempt >= this.retry.attempts || c.signal?.aborted) throw err;
        await this.pause(this.retry.delayMs, c.signal);
      }
    }
  }

  private once<T>(c: Call): Promise<T> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + c.path, this.base);
    const servername = url.hostname;
    const { host, port } = this.resolve(url);
    const body = c.body === undefined ? undefined : Buffer.from(JSON.stringify(c.body), 'utf8');
    const headers: Record<string, string> = { host: url.host, accept: 'application/json' };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    if (c.idempotencyKey) headers['idempotency-key'] = c.idempotencyKey;
    const clock = this.options.clock;
    const what = `${c.method} ${url.pathname}`;

    return new Promise<T>((resolve, reject) => {
      let settled = false;
      // A self-advancing virtual clock must not jump to this request's deadline while the exchange is
      // merely in flight (TLS handshake, the gateway parsing): the request holds the clock until the answer
      // starts. A long poll holds it only until it is sent, so the clock can reach the gateway's wait
      // timer. A real-time guard lets go of a peer that never answers, so its deadline still comes.
      const longPoll = (c.waitMs ?? 0) > 0;
      let release: (() => void) | undefined = holdClock(clock);
      const guard = setTimeout(() => letGo(), HOLD_GUARD_MS);
      guard.unref();
      const letGo = () => {
        clearTimeout(guard);
        release?.();
        release = undefined;
      };
      let status = 0;
      let answer: unknown;
      const settle = (fn: () => void, error?: GatewayError) => {
        if (settled) return;
        settled = true;
        this.options.onExchange?.({
          method: c.method,
          path: url.pathname + url.search,
          ...(c.idempotencyKey ? { idempotencyKey: c.idempotencyKey } : {}),
          ...(c.body !== undefined ? { request: c.body } : {}),
          status,
          ...(answer !== undefined ? { response: answer } : {}),
          ...(error ? { error: error.message } : {}),
        });
        letGo();
        clock.clearTimeout(deadline);
        c.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const fail = (e: unknown) => {
        const err = toGatewayError(e, what);
        settle(() => reject(err), err);
      };
      const req = https.request(
        {
          method: c.method,
          host,
          port,
          path: url.pathname + url.search,
          servername,
          headers,
          ca: this.ca,
          rejectUnauthorized: true,
          agent: this.agent,
        },
        (res) => {
          letGo();
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxResponse) {
              fail(new GatewayError('bad-response', `${what}: answer larger than ${this.maxResponse} bytes`));
              req.destroy();
            } else chunks.push(chunk);
          });
          res.on('error', fail);
          res.on('aborted', () => fail(new GatewayError('network', `${what}: answer cut off`)));
          res.on('end', () => {
            status = res.statusCode ?? 0;
            let json: unknown;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              answer = json;
            } catch {
              return fail(
                new GatewayError('bad-response', `${what}: HTTP ${status} answer is not JSON`, status),
              );
            }
            if (status >= 200 && status < 300) {
              if (!c.shape(json))
                return fail(
                  new GatewayError(
                    'bad-response',
                    `${what}: HTTP ${status} answer is not of the contract`,
                    status,
                  ),
                );
              return settle(() => resolve(json as T));
            }
            const api = isApiError(json) ? json : undefined;
            fail(
              new GatewayError(
                'http',
                `${what}: HTTP ${status}${api ? ` ${api.error}${api.reason ? ` (${api.reason})` : ''}` : ''}`,
                status,
                api,
              ),
            );
          });
        },
      );
      const deadline = clock.setTimeout(
        () => {
          fail(new GatewayError('timeout', `${what}: no complete answer in time`));
          req.destroy();
        },
        this.timeoutMs + (c.waitMs ?? 0),
      );
      const onAbort = () => {
        fail(new GatewayError('aborted', `${what}: given up`));
        req.destroy();
      };
      if (c.signal?.aborted) return onAbort();
      c.signal?.addEventListener('abort', onAbort, { once: true });
      if (longPoll)
        req.on('socket', (socket) => {
          const sent = () => (req.writableFinished ? letGo() : req.once('finish', letGo));
          // A kept-alive connection is already secure: no secureConnect comes.
          if (req.reusedSocket) sent();
          else socket.once('secureConnect', sent);
        });
      req.on('error', fail);
      req.end(body);
    });
  }

  private resolve(url: URL): { host: string; port: number } {
    const port = Number(url.port || 443);
    const mapped = this.options.hosts?.[url.hostname];
    if (mapped === undefined) return { host: url.hostname, port };
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(mapped);
    if (!m) throw new RangeError(`hosts: ${url.hostname} → ${mapped} is not ip[:port]`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : port };
  }

  private pause(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const t = this.options.clock.setTimeout(done, ms);
      function done() {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
      const onAbort = () => {
        this.options.clock.clearTimeout(t);
        done();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function toGatewayError(e: unknown, what: string): GatewayError {
  if (e instanceof GatewayError) return e;
  const classified = classifyError(e, what);
  switch (classified.code) {
    case 'untrusted-certificate':
    case 'host-mismatch':
      return new GatewayError('tls', classified.message);
    case 'timeout':
      return new GatewayError('timeout', classified.message);
    default:
      return new GatewayError('network', classified.message);
  }
}

const TRANSACTION_STATUSES: readonly string[] = ['pending', 'completed', 'aborted'];
const CREDIT_STATUSES: readonly string[] = [
  'awaiting-confirmation',
  'ready',
  'cancelled',
  'rejected',
  'closed',
];

function optionalString(o: Record<string, unknown>, k: string): boolean {
  return o[k] === undefined || typeof o[k] === 'string';
}

/** The fields the POS relies on, with their types (extra fields are the gateway's business). */
export function isPosTransaction(v: unknown): v is PosTransaction {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.transactionId === 'string' &&
    o.transactionId.length > 0 &&
    TRANSACTION_STATUSES.includes(o.status as string) &&
    ['reason', 'method', 'approvalCode', 'rrn'].every((k) => optionalString(o, k))
  );
}

export function isPosCreditRequest(v: unknown): v is PosCreditRequest {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const result = o.result as Record<string, unknown> | undefined;
  return (
    typeof o.transactionId === 'string' &&
    o.transactionId.length > 0 &&
    CREDIT_STATUSES.includes(o.status as string) &&
    ['reason', 'encryptedPan', 'expiry', 'issuerCode'].every((k) => optionalString(o, k)) &&
    (result === undefined ||
      (typeof result === 'object' &&
        result !== null &&
        typeof result.approved === 'boolean' &&
        typeof result.responseCode === 'string'))
  );
}

function isApiError(v: unknown): v is ApiError {
  return typeof v === 'object' && v !== null && typeof (v as { error?: unknown }).error === 'string';
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function wait(waitMs: number | undefined): string {
  return waitMs === undefined ? '' : `?waitMs=${Math.max(0, Math.floor(waitMs))}`;
}

function opt(signal: AbortSignal | undefined, waitMs?: number): { signal?: AbortSignal; waitMs?: number } {
  return { ...(signal ? { signal } : {}), ...(waitMs !== undefined ? { waitMs } : {}) };
}
