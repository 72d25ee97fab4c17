/**
 * The credit link on TCP: each ISO 8583 message framed by a 2-byte big-endian length, requests matched to
 * their responses by message class, terminal id (41) and STAN (11), a timeout per request on the injected
 * Clock. `Iso8583Client` carries `CreditHost`'s business operations over it; an authorization or reversal
 * left unanswered is sent again with the same STAN as a repeat (0101 / 0401), which the issuer answers
 * from its journal, so a retry never authorizes twice.
 */
import net from 'node:net';
import { holdClock, type Clock, type TimerHandle } from '../../firmware-sim/clock.js';
import type {
  AuthorizationRequest,
  AuthorizationResponse,
  CreditHost,
  KeyDelivery,
  ReversalRequest,
} from '../../firmware-sim/cat/credit-host.js';
import {
  buildAuthorizationRequest,
  buildKeyDelivery,
  buildNetworkManagementRequest,
  buildReversalRequest,
  decodeMessage,
  encodeMessage,
  NetworkManagementCode,
  readResponse,
  type Iso8583DecodeError,
  type Iso8583Message,
} from '../../firmware-sim/cat/iso8583/index.js';
import { TcpCapture, type TcpSide, type TcpStreamCapture } from '../capture/tcp-pcap.js';

/** Largest message a 2-byte length prefix can announce. */
export const MAX_FRAME = 0xffff;
/** Real time a request may hold a virtual clock while it waits for its answer. */
const HOLD_GUARD_MS = 2000;

/** One message with its 2-byte big-endian length prefix. */
export function frameMessage(message: Uint8Array): Buffer {
  if (message.length > MAX_FRAME) throw new RangeError(`ISO 8583 message of ${message.length} bytes`);
  const out = Buffer.alloc(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}

/** Splits a TCP byte stream into length-prefixed frames, however the bytes arrive. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Uint8Array[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : Buffer.from(chunk);
    const frames: Uint8Array[] = [];
    while (this.buffered.length >= 2) {
      const n = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + n) break;
      frames.push(Uint8Array.from(this.buffered.subarray(2, 2 + n)));
      this.buffered = this.buffered.subarray(2 + n);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting. */
  get pending(): number {
    return this.buffered.length;
  }
}

/** No answer came in time: the outcome at the issuer is unknown. */
export class CreditHostTimeoutError extends Error {
  constructor(
    readonly mti: string,
    readonly stan: string,
  ) {
    super(`no answer to ${mti} STAN ${stan}`);
    this.name = 'CreditHostTimeoutError';
  }
}

/** The connection ended before the answer: the outcome at the issuer is unknown. */
export class CreditHostConnectionError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CreditHostConnectionError';
  }
}

/** The issuer answered a network management request with something other than 00. */
export class CreditHostRefusedError extends Error {
  constructor(
    readonly responseCode: string,
    what: string,
  ) {
    super(`${what}: response code ${responseCode}`);
    this.name = 'CreditHostRefusedError';
  }
}

/** Matching key of a request or its response: message class, terminal id, STAN. */
export function matchKey(message: Iso8583Message): string | undefined {
  const stan = message.fields[11];
  const terminal = message.fields[41];
  if (stan === undefined || terminal === undefined) return undefined;
  return `${message.mti[1]}|${terminal.trimEnd()}|${stan}`;
}

export interface Iso8583LinkOptions {
  clock: Clock;
  /** Records both directions of the connection; this end is `side`. */
  capture?: { stream: TcpStreamCapture; side: TcpSide };
  /** A message that answers no pending request (on a server: every request). */
  onMessage?: (message: Iso8583Message) => void;
  /** A frame that did not decode. */
  onDecodeError?: (error: Iso8583DecodeError, frame: Uint8Array) => void;
  onClose?: () => void;
  /**
   * How long the rest of a started frame may take before the connection is ended (a peer that announced
   * more bytes than it sends would otherwise hold the connection for ever); default: no limit.
   */
  partialFrameTimeoutMs?: number;
  /** Called before the connection is ended for a frame left incomplete. */
  onPartialFrameTimeout?: (pendingBytes: number) => void;
}

interface Pending {
  resolve: (m: Iso8583Message) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

export class Iso8583Link {
  private readonly reader = new FrameReader();
  private readonly pending = new Map<string, Pending>();
  private isClosed = false;
  private partialTimer: TimerHandle | undefined;

  constructor(
    readonly socket: net.Socket,
    private readonly o: Iso8583LinkOptions,
  ) {
    socket.on('data', (chunk: Buffer) => {
      o.clock.touch();
      o.capture?.stream.data(o.capture.side === 'client' ? 'server' : 'client', chunk);
      for (const frame of this.reader.push(chunk)) this.receive(frame);
      this.watchPartialFrame();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.onClosed('connection closed'));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends a message that expects no answer (or is one). */
  send(message: Iso8583Message): void {
    this.write(frameMessage(encodeMessage(message)));
  }

  /** Writes raw bytes (for fault injection and fuzzing). */
  write(bytes: Uint8Array): void {
    if (this.isClosed) return;
    this.o.capture?.stream.data(this.o.capture.side, bytes);
    this.socket.write(bytes);
  }

  /** Sends a request and resolves with the response that matches it (class, 41, 11). */
  request(message: Iso8583Message, timeoutMs: number): Promise<Iso8583Message> {
    const key = matchKey(message);
    if (!key) return Promise.reject(new RangeError('a request needs fields 11 and 41'));
    if (this.isClosed) return Promise.reject(new CreditHostConnectionError('connection closed'));
    if (this.pending.has(key)) return Promise.reject(new RangeError(`request ${key} already waiting`));
    const bytes = frameMessage(encodeMessage(message));
    return new Promise<Iso8583Message>((resolve, reject) => {
      // A self-advancing virtual clock must not jump to this request's timeout while the message is merely
      // in flight; a real-time guard lets go of an issuer that never answers, so the timeout still comes.
      const release = holdClock(this.o.clock);
      const guard = setTimeout(release, HOLD_GUARD_MS);
      guard.unref();
      const letGo = (): void => {
        clearTimeout(guard);
        release();
      };
      const timer = this.o.clock.setTimeout(() => {
        this.pending.delete(key);
        letGo();
        reject(new CreditHostTimeoutError(message.mti, message.fields[11]!));
      }, timeoutMs);
      this.pending.set(key, {
        resolve: (m) => {
          letGo();
          resolve(m);
        },
        reject: (e) => {
          letGo();
          reject(e);
        },
        timer,
      });
      this.write(bytes);
    });
  }

  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  /** Ends the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  private receive(frame: Uint8Array): void {
    const result = decodeMessage(frame);
    if (!result.ok) {
      this.o.onDecodeError?.(result.error, frame);
      return;
    }
    const message = result.message;
    const key = message.mti[2] === '1' ? matchKey(message) : undefined;
    const waiting = key ? this.pending.get(key) : undefined;
    if (key && waiting) {
      this.pending.delete(key);
      this.o.clock.clearTimeout(waiting.timer);
      waiting.resolve(message);
      return;
    }
    this.o.onMessage?.(message);
  }

  private watchPartialFrame(): void {
    const limit = this.o.partialFrameTimeoutMs;
    if (limit === undefined || this.isClosed) return;
    this.o.clock.clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
    if (this.reader.pending === 0) return;
    this.partialTimer = this.o.clock.setTimeout(() => {
      this.partialTimer = undefined;
      if (this.reader.pending === 0 || this.isClosed) return;
      this.o.onPartialFrameTimeout?.(this.reader.pending);
      this.socket.destroy();
    }, limit);
  }

  private onClosed(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.o.clock.clearTimeout(this.partialTimer);
    this.o.capture?.stream.end(this.o.capture.side);
    for (const p of this.pending.values()) {
      this.o.clock.clearTimeout(p.timer);
      p.reject(new CreditHostConnectionError(reason));
    }
    this.pending.clear();
    this.o.onClose?.();
  }
}

export interface ConnectCreditHostOptions {
  host: string;
  port: number;
  clock: Clock;
  /** Field 41 of the network management messages (and the default of nothing else: requests carry theirs). */
  terminalId: string;
  /** Wait for each answer, default 30 s. */
  timeoutMs?: number;
  /** Repeats (0101 / 0401, same STAN) after a timeout before giving up; default 1. */
  retries?: number;
  /** A pcapng file to write, or a capture shared with others. */
  capture?: string | TcpCapture;
  /** Epoch ms at clock time 0 (field 7 of network management messages). */
  epochAtClockZero?: number;
  /** Send 0200 financial transactions instead of 0100 authorizations. */
  financial?: boolean;
}

function connectSocket(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** `CreditHost` over ISO 8583 on TCP. Reconnects on the next call after the connection was lost. */
export class Iso8583Client implements CreditHost {
  private link: Iso8583Link | undefined;
  private connecting: Promise<Iso8583Link> | undefined;
  private readonly capture: TcpCapture | undefined;
  private readonly ownCapture: boolean;
  private readonly epoch: number;
  private networkStan = 0;
  /** Requests sent without an answer: sending one again makes it a repeat. */
  private readonly unanswered = new Set<string>();
  private isClosed = false;

  private constructor(private readonly o: ConnectCreditHostOptions) {
    this.ownCapture = typeof o.capture === 'string';
    this.capture = typeof o.capture === 'string' ? new TcpCapture(o.capture) : o.capture;
    this.epoch = o.epochAtClockZero ?? (o.clock.virtual ? Date.UTC(2026, 0, 1) : Date.now() - o.clock.now());
  }

  static async connect(o: ConnectCreditHostOptions): Promise<Iso8583Client> {
    const client = new Iso8583Client(o);
    await client.ensureLink();
    return client;
  }

  private get timeoutMs(): number {
    return this.o.timeoutMs ?? 30_000;
  }

  private ensureLink(): Promise<Iso8583Link> {
    if (this.isClosed) return Promise.reject(new CreditHostConnectionError('client closed'));
    if (this.link && !this.link.closed) return Promise.resolve(this.link);
    this.connecting ??= connectSocket(this.o.host, this.o.port)
      .then((socket) => {
        const stream = this.capture?.openStream(
          { address: socket.localAddress ?? '127.0.0.1', port: socket.localPort ?? 0 },
          { address: socket.remoteAddress ?? '127.0.0.1', port: socket.remotePort ?? this.o.port },
        );
        this.link = new Iso8583Link(socket, {
          clock: this.o.clock,
          ...(stream ? { capture: { stream, side: 'client' as const } } : {}),
        });
        return this.link;
      })
      .catch((e: Error) => {
        throw new CreditHostConnectionError(`cannot connect to ${this.o.host}:${this.o.port}: ${e.message}`);
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private nextNetworkStan(): number {
    this.networkStan = (this.networkStan % 999_999) + 1;
    return this.networkStan;
  }

  private async networkManagement(code: string, what: string): Promise<void> {
    const request = buildNetworkManagementRequest({
      code,
      stan: this.nextNetworkStan(),
      at: new Date(this.epoch + this.o.clock.now()),
      terminalId: this.o.terminalId,
    });
    const link = await this.ensureLink();
    const response = readResponse(await link.request(request, this.timeoutMs));
    if (!response.ok) throw new CreditHostRefusedError('30', `${what}: ${response.reason}`);
    if (!response.value.approved) throw new CreditHostRefusedError(response.value.responseCode, what);
  }

  signOn(): Promise<void> {
    return this.networkManagement(NetworkManagementCode.SignOn, 'sign-on');
  }

  echo(): Promise<void> {
    return this.networkManagement(NetworkManagementCode.EchoTest, 'echo test');
  }

  /**
   * Sends `build(repeat)` until an answer comes: first as an original (or as a repeat when an earlier call
   * went unanswered), then as repeats, `retries` times.
   */
  private async exchange(build: (repeat: boolean) => Iso8583Message): Promise<AuthorizationResponse> {
    const original = build(false);
    const key = `${original.fields[41]!.trimEnd()}|${original.mti}|${original.fields[11]}`;
    let repeat = this.unanswered.has(key);
    let lastError: Error = new CreditHostConnectionError('not sent');
    for (let attempt = 0; attempt <= (this.o.retries ?? 1); attempt++) {
      let link: Iso8583Link;
      try {
        link = await this.ensureLink();
      } catch (e) {
        lastError = e as Error;
        continue;
      }
      this.unanswered.add(key);
      try {
        const answer = readResponse(await link.request(build(repeat), this.timeoutMs));
        this.unanswered.delete(key);
        if (!answer.ok) return { responseCode: '30', approved: false };
        const { responseCode, approved, approvalCode, rrn } = answer.value;
        return {
          responseCode,
          approved,
          ...(approvalCode !== undefined ? { approvalCode } : {}),
          ...(rrn !== undefined ? { rrn } : {}),
        };
      } catch (e) {
        if (!(e instanceof CreditHostTimeoutError || e instanceof CreditHostConnectionError)) throw e;
        lastError = e;
        repeat = true;
      }
    }
    throw lastError;
  }

  authorize(request: AuthorizationRequest): Promise<AuthorizationResponse> {
    const financial = this.o.financial ?? false;
    return this.exchange((repeat) => buildAuthorizationRequest(request, { financial, repeat }));
  }

  reverse(request: ReversalRequest): Promise<AuthorizationResponse> {
    const originalMti = this.o.financial ? '0200' : '0100';
    return this.exchange((repeat) => buildReversalRequest(request, { repeat, originalMti }));
  }

  deliverKey(delivery: KeyDelivery): Promise<AuthorizationResponse> {
    return this.exchange(() => buildKeyDelivery(delivery, this.o.terminalId));
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await this.link?.close();
    if (this.ownCapture) this.capture?.close();
  }
}

export function connectCreditHost(options: ConnectCreditHostOptions): Promise<Iso8583Client> {
  return Iso8583Client.connect(options);
}
