/**
 * HTTP plumbing of the gateway: bodies read with a size limit, JSON checked by zod, and every failure
 * turned into the API's own error (`ApiError`: 4xx `{error, reason?}`), never a thrown exception.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { AbortReason, ApiError } from '../../firmware-sim/payment/gateway-api.js';

export const MAX_BODY_BYTES = 64 * 1024;

export interface Answer {
  status: number;
  /** JSON body (an object), or a string with `contentType`. */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A request the gateway refuses: becomes `{error, reason?}` with the status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason?: AbortReason,
    readonly headers?: Record<string, string>,
  ) {
    super(error);
  }

  answer(): Answer {
    const body: ApiError = { error: this.error, ...(this.reason ? { reason: this.reason } : {}) };
    return { status: this.status, body, ...(this.headers ? { headers: this.headers } : {}) };
  }
}

/** Reads the whole body, refusing more than `limit` bytes with 413 (the rest is not read). */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new HttpError(413, `body larger than ${limit} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `body larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => reject(new HttpError(400, 'request aborted')));
  });
}

/** Parses a JSON body against `schema`; 400 names the first problem and where it is. */
export function parseJson<S extends z.ZodType>(body: Buffer, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = issue.path.length ? issue.path.map(String).join('.') : 'body';
  throw new HttpError(400, `${at}: ${issue.message}`);
}

/** A stable hash of a request for idempotency checks (same key, different request → 409). */
export const requestHash = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** `?waitMs=n` of a long poll, bounded by `max`; 0 when absent. */
export function waitMsOf(url: URL, max: number): number {
  const raw = url.searchParams.get('waitMs');
  if (raw === null) return 0;
  if (!/^\d{1,9}$/.test(raw)) throw new HttpError(400, 'waitMs must be a whole number of milliseconds');
  return Math.min(Number(raw), max);
}

/** `Authorization: Basic` user and password, or undefined. */
export function basicCredentials(req: IncomingMessage): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  const m = h && /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h);
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** `Authorization: Bearer` token, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,200})$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}
