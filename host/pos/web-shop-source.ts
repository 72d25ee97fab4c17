/**
 * The web-shop variant of seed 001 (FLOWS.md: "a web shop replaces POS + mobile terminal; user id sent over
 * the mobile network"): the shop's checkout takes the user id from the shopper's phone over HTTPS instead of
 * from a mobile terminal. After the user has authenticated on the phone against the UIM (step 2), the
 * phone's payment application posts the user id to the shop's checkout endpoint; the rest of the sale (the
 * gateway, the mail, the payment on the phone) is that of the POS.
 *
 *   POST /checkout/v1/user-id   {"userId": "00001"}
 *     202 {"status": "accepted"}          a checkout was waiting: the sale goes on with this user id
 *     409 {"error": "…"}                  no checkout is open (the phone says so; nothing is kept)
 *     400 / 404 / 405 / 413 {"error": "…"}  not JSON, not a user id, another path or method, too large
 *
 * The shop serves TLS with its own certificate (on the bench one from the bench CA naming
 * `shop.benchtwin.test`); the phone checks it like any HTTPS peer. Each request is handled with the clock
 * held, so a self-advancing virtual clock does not jump over it.
 */
import { EventEmitter } from 'node:events';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { whileHeld, type Clock } from '../../firmware-sim/clock.js';
import {
  SourceAbortedError,
  USER_ID_PATTERN,
  type ConfirmResult,
  type UserIdArrival,
  type UserIdSource,
} from './user-id-source.js';

export const WEB_SHOP_HOST = 'shop.benchtwin.test';
export const CHECKOUT_PATH = '/checkout/v1/user-id';

export interface WebShopSourceOptions {
  /** The shop's TLS key and certificate chain (PEM). */
  tls: { key: string; cert: string };
  clock: Clock;
  /** Listening address (default 127.0.0.1) and port (default 0: ephemeral, see `port`). */
  host?: string;
  port?: number;
  /** Largest request body accepted (default 4 KiB). */
  maxBodyBytes?: number;
}

/** One request to the checkout endpoint and the shop's answer, for a transcript. */
export interface WebShopExchange {
  method: string;
  path: string;
  request?: unknown;
  status: number;
  response: unknown;
}

export interface WebShopSourceEvents {
  exchange: [exchange: WebShopExchange];
  /** How the sale ended, as the shop shows it on its order page. */
  confirm: [result: ConfirmResult, transactionId: string];
}

interface Waiter {
  resolve: (a: UserIdArrival) => void;
}

export class WebShopSource extends EventEmitter<WebShopSourceEvents> implements UserIdSource {
  readonly kind = 'web-shop';
  private waiter: Waiter | undefined;
  private boundPort = 0;
  private readonly maxBody: number;

  private constructor(
    private readonly server: https.Server,
    private readonly o: WebShopSourceOptions,
  ) {
    super();
    this.maxBody = o.maxBodyBytes ?? 4096;
  }

  static async open(o: WebShopSourceOptions): Promise<WebShopSource> {
    const server = https.createServer({ key: o.tls.key, cert: o.tls.cert });
    const source = new WebShopSource(server, o);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void whileHeld(o.clock, () => source.handle(req, res));
    });
    // A client that fails the handshake (an untrusted shop to it) is its own business.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    source.boundPort = (server.address() as AddressInfo).port;
    return source;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The next user id a phone posts while this checkout waits. */
  waitForUserId(signal: AbortSignal): Promise<UserIdArrival> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new SourceAbortedError('waiting for a user id: given up'));
      const waiter: Waiter = {
        resolve: (a) => {
          signal.removeEventListener('abort', onAbort);
          resolve(a);
        },
      };
      const onAbort = () => {
        if (this.waiter === waiter) this.waiter = undefined;
        reject(new SourceAbortedError('waiting for a user id: given up'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = waiter;
    });
  }

  /** The order page shows the result; the phone hears it from the gateway (there is no link back to it). */
  confirm(result: ConfirmResult, transactionId: string): Promise<string> {
    this.emit('confirm', result, transactionId);
    return Promise.resolve('OK');
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '';
    const answer = (status: number, body: unknown, request?: unknown): void => {
      const bytes = Buffer.from(JSON.stringify(body), 'utf8');
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
      res.end(bytes);
      this.emit('exchange', {
        method: req.method ?? '',
        path,
        ...(request !== undefined ? { request } : {}),
        status,
        response: body,
      });
    };
    const body = await readBody(req, this.maxBody);
    if (path !== CHECKOUT_PATH) return answer(404, { error: 'no such page' });
    if (req.method !== 'POST') return answer(405, { error: 'POST a user id here' });
    if (body === undefined) return answer(413, { error: `a body of at most ${this.maxBody} bytes` });
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return answer(400, { error: 'the body is not JSON' });
    }
    const userId = (json as { userId?: unknown } | null)?.userId;
    if (typeof userId !== 'string' || !USER_ID_PATTERN.test(userId))
      return answer(400, { error: 'userId: 1-16 letters or digits' }, json);
    const waiter = this.waiter;
    if (!waiter) return answer(409, { error: 'no checkout is open at this shop' }, json);
    this.waiter = undefined;
    answer(202, { status: 'accepted' }, json);
    waiter.resolve({ userId });
  }
}

/** The whole body, or undefined when it is larger than `max` (the rest is drained). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}
