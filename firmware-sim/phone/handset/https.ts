/**
 * What a phone application sees of mobile data: an HTTPS client with the handset's own trust store. The
 * firmware only knows this interface; `devices/phone/https-client.ts` implements it on Node's TLS, and a
 * handset without mobile data has none (`ctx.https` undefined).
 */

export type HttpsMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpsRequest {
  method: HttpsMethod;
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Overrides the client's timeout for this request (ms). */
  timeoutMs?: number;
}

export interface HttpsResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  json: T;
}

/**
 * Why a request failed. `untrusted-certificate`: the chain does not lead to a CA of the trust store (or a
 * certificate in it is expired or not yet valid, see the message); `host-mismatch`: the certificate does not
 * name the host; `bad-response`: not HTTP, too large, or not the JSON asked for.
 */
export type HttpsErrorCode =
  | 'untrusted-certificate'
  | 'host-mismatch'
  | 'timeout'
  | 'connection-refused'
  | 'host-not-found'
  | 'bad-url'
  | 'bad-response'
  | 'network';

export class HttpsError extends Error {
  constructor(
    readonly code: HttpsErrorCode,
    message: string,
    /** The platform's own code (e.g. OpenSSL's `UNABLE_TO_VERIFY_LEAF_SIGNATURE`), when there is one. */
    readonly platformCode?: string,
  ) {
    super(message);
    this.name = 'HttpsError';
  }
}

export interface HttpsClient {
  request(request: HttpsRequest): Promise<HttpsResponse>;
  /** GET with `Accept: application/json`; a body that is not JSON is a `bad-response` error. */
  getJson<T = unknown>(
    url: string,
    options?: { headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<JsonResponse<T>>;
  /** POST of a JSON body, JSON answer expected. */
  postJson<T = unknown>(
    url: string,
    body: unknown,
    options?: { headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<JsonResponse<T>>;
}
