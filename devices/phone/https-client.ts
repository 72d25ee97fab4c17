/**
 * The handset's HTTPS client for mobile data, on Node's `https`: its own trust store (the PEM CA
 * certificates it is given, never the system's), certificate chain and host name validation (RFC 6125 as
 * Node's `checkServerIdentity` applies it), a deadline per request, a bound on the answer's size and JSON
 * helpers. Failures are `HttpsError`s with a code an application can act on (FLOWS seed 001 step 6: the
 * phone verifies the gateway's certificate before it sends anything).
 *
 * `hosts` plays the bench's DNS and NAT: `gateway.benchtwin.test` can point at a loopback address, or at
 * an address and port (`127.0.0.1:43121`, a service on an ephemeral port), while the TLS layer still checks
 * the certificate against the name in the URL and the Host header keeps the URL's authority.
 */
import dns from 'node:dns';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { HttpsError } from '../../firmware-sim/phone/handset/https.js';
import type {
  HttpsClient,
  HttpsRequest,
  HttpsResponse,
  JsonResponse,
} from '../../firmware-sim/phone/handset/https.js';

export { HttpsError };
export type { HttpsErrorCode } from '../../firmware-sim/phone/handset/https.js';

export interface HttpsClientOptions {
  /** PEM CA certificates: the whole trust store. Empty trusts nothing. */
  trustedCas: readonly string[];
  /** Deadline of a request from connect to the last byte of the answer (default 30 s). */
  timeoutMs?: number;
  /** Largest answer body accepted (default 4 MiB). */
  maxResponseBytes?: number;
  /**
   * Host name → IP address (`127.0.0.1`), or address and port (`127.0.0.1:43121`, `[::1]:43121`) that
   * replace the URL's port; consulted before the system resolver.
   */
  hosts?: Readonly<Record<string, string>>;
  /** A client certificate, for device authentication by certificate (seed 001 variant). */
  clientCertificate?: { cert: string; key: string };
  userAgent?: string;
  /** Where the TLS secrets of each connection go (NSS key log), so a capture of the bench can be decrypted. */
  keyLog?: { attachSocket(socket: TLSSocket): unknown };
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Idle kept-alive connections per host; a phone talks to one gateway. */
const MAX_FREE_SOCKETS = 2;

export interface HostAddress {
  address: string;
  port?: number;
}

/** `127.0.0.1`, `::1`, `127.0.0.1:443`, `[::1]:443` → address and port; a RangeError for anything else. */
export function parseHostAddress(text: string): HostAddress {
  if (isIP(text)) return { address: text };
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !isIP(m[1]!) || port < 1 || port > 65_535) {
    throw new RangeError(`hosts: "${text}" is not an IP address or IP address:port`);
  }
  return { address: m[1]!, port };
}
const DEFAULT_MAX_RESPONSE = 4 << 20;

/** OpenSSL / Node verification codes that mean "this chain is not trusted". */
const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

/** The typed error for what Node reported. */
export function classifyError(err: unknown, url: string): HttpsError {
  if (err instanceof HttpsError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const c = typeof code === 'string' ? code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (c === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new HttpsError('host-mismatch', `${url}: the certificate does not name this host (${message})`, c);
  }
  if (c && UNTRUSTED.has(c)) {
    return new HttpsError('untrusted-certificate', `${url}: certificate not trusted: ${c} (${message})`, c);
  }
  if (c === 'ECONNREFUSED') return new HttpsError('connection-refused', `${url}: connection refused`, c);
  if (c === 'ENOTFOUND' || c === 'EAI_AGAIN')
    return new HttpsError('host-not-found', `${url}: host not found`, c);
  return new HttpsError('network', `${url}: ${message}`, c);
}

export class NodeHttpsClient implements HttpsClient {
  private readonly ca: string[];
  private readonly timeoutMs: number;
  private readonly maxResponse: number;
  private dataLinkUp = true;
  /** Requests under way, each with what turns it into one whose packets go nowhere. */
  private readonly inFlight = new Set<() => void>();
  /**
   * Keeps the TLS connection to a host open between requests, as a phone's browser stack does: the
   * gateway's steps are a handful of requests in a row, each a full handshake otherwise. A connection is
   * reused only for the same host, port and TLS options (trust store, server name, client certificate).
   */
  private readonly agent = new https.Agent({ keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS });
  private readonly keyLogged = new WeakSet<object>();

  constructor(private readonly options: HttpsClientOptions) {
    this.ca = [...options.trustedCas];
    // A bad entry is refused now, not at the first request that meets it.
    for (const address of Object.values(options.hosts ?? {})) parseHostAddress(address);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxResponse = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
  }

  /** The table read at each request: a bench publishes services as they start (and restart). */
  private get hosts(): ReadonlyMap<string, HostAddress> {
    return new Map(
      Object.entries(this.options.hosts ?? {}).map(([name, a]) => [name.toLowerCase(), parseHostAddress(a)]),
    );
  }

  /**
   * Mobile data on or off, as a fault: while it is off nothing goes out and nothing comes back, so a request
   * (also one under way when the link went) ends only at its deadline — as on a phone that lost its bearer.
   */
  setDataLink(up: boolean): void {
    this.dataLinkUp = up;
    if (!up) {
      for (const blackhole of this.inFlight) blackhole();
      // A lost bearer takes the kept-alive connections with it.
      this.agent.destroy();
    }
  }

  /** Closes the kept-alive connections (they never keep a process alive: the agent unrefs them). */
  close(): void {
    this.agent.destroy();
  }

  get dataLink(): boolean {
    return this.dataLinkUp;
  }

  async request(req: HttpsRequest): Promise<HttpsResponse> {
    try {
      return await this.send(req);
    } catch (err) {
      // A kept-alive connection the server closed as it was reused: the request never reached the
      // server's application, so it goes again on a new connection (once).
      if (err instanceof StaleConnectionError) return this.send(req, true);
      throw err;
    }
  }

  private send(req: HttpsRequest, fresh = false): Promise<HttpsResponse> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return Promise.reject(new HttpsError('bad-url', `${req.url}: not a URL`));
    }
    if (url.protocol !== 'https:') {
      return Promise.reject(
        new HttpsError('bad-url', `${req.url}: only https: URLs (mobile data is TLS only)`),
      );
    }
    const body =
      req.body === undefined
        ? undefined
        : typeof req.body === 'string'
          ? Buffer.from(req.body, 'utf8')
          : Buffer.from(req.body);
    const headers: Record<string, string> = {
      ...(this.options.userAgent ? { 'user-agent': this.options.userAgent } : {}),
      ...req.headers,
    };
    if (body) headers['content-length'] = String(body.length);
    const mapped = this.hosts.get(url.hostname.toLowerCase());
    // NAT: the connection goes to the mapped port, the request still names the URL's authority.
    if (mapped?.port !== undefined) headers['host'] = url.host;
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;

    const timedOut = (): HttpsError =>
      new HttpsError('timeout', `${req.url}: no complete answer within ${timeoutMs} ms`);
    if (!this.dataLinkUp) {
      return new Promise<HttpsResponse>((_resolve, reject) =>
        setTimeout(() => reject(timedOut()), timeoutMs),
      );
    }
    return new Promise<HttpsResponse>((resolve, reject) => {
      let settled = false;
      let answered = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.inFlight.delete(blackhole);
        const code = (err as { code?: unknown } | null)?.code;
        if (request.reusedSocket && !answered && !fresh && (code === 'ECONNRESET' || code === 'EPIPE'))
          reject(new StaleConnectionError());
        else reject(classifyError(err, req.url));
      };
      // The link went down: whatever the socket does now never reaches the application; the deadline ends it.
      const blackhole = (): void => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(blackhole);
        request.destroy();
      };
      const request = https.request(
        url,
        {
          method: req.method,
          headers,
          // An empty list replaces the system store too: `ca` is the whole trust store.
          ca: this.ca,
          rejectUnauthorized: true,
          agent: fresh ? false : this.agent,
          lookup: this.lookup(),
          ...(mapped?.port !== undefined ? { port: mapped.port, servername: url.hostname } : {}),
          ...(this.options.clientCertificate
            ? { cert: this.options.clientCertificate.cert, key: this.options.clientCertificate.key }
            : {}),
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxResponse) {
              fail(
                new HttpsError('bad-response', `${req.url}: answer larger than ${this.maxResponse} bytes`),
              );
              request.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', fail);
          res.on('aborted', () => fail(new HttpsError('network', `${req.url}: answer cut off`)));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(deadline);
            this.inFlight.delete(blackhole);
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: out,
              body: new Uint8Array(Buffer.concat(chunks)),
            });
          });
        },
      );
      const deadline = setTimeout(() => {
        // Settled here means black-holed: success and failure both clear this timer.
        if (settled) reject(timedOut());
        else request.destroy(timedOut());
      }, timeoutMs);
      this.inFlight.add(blackhole);
      const keyLog = this.options.keyLog;
      if (keyLog) {
        request.on('socket', (socket) => {
          if (this.keyLogged.has(socket)) return;
          this.keyLogged.add(socket);
          keyLog.attachSocket(socket as TLSSocket);
        });
      }
      request.on('error', fail);
      request.end(body);
    });
  }

  async getJson<T = unknown>(
    url: string,
    options: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<JsonResponse<T>> {
    const res = await this.request({
      method: 'GET',
      url,
      headers: { accept: 'application/json', ...options.headers },
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    return parseJson<T>(url, res);
  }

  async postJson<T = unknown>(
    url: string,
    body: unknown,
    options: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<JsonResponse<T>> {
    const res = await this.request({
      method: 'POST',
      url,
      headers: { accept: 'application/json', 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    return parseJson<T>(url, res);
  }

  private lookup(): LookupFunction | undefined {
    const hosts = this.hosts;
    if (hosts.size === 0) return undefined;
    return (hostname, options, callback) => {
      const address = hosts.get(hostname.toLowerCase())?.address;
      if (address === undefined) {
        // Not a bench name: the system resolver, as without the table.
        dns.lookup(hostname, options, callback as never);
        return;
      }
      const family = isIP(address);
      if (options.all)
        (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
          { address, family },
        ]);
      else callback(null, address, family);
    };
  }
}

/** A reused connection failed before any answer (internal: the request is sent again). */
class StaleConnectionError extends Error {}

function parseJson<T>(url: string, res: HttpsResponse): JsonResponse<T> {
  const text = Buffer.from(res.body).toString('utf8');
  try {
    return { status: res.status, headers: res.headers, json: JSON.parse(text) as T };
  } catch {
    throw new HttpsError('bad-response', `${url}: HTTP ${res.status} answer is not JSON`);
  }
}
