/**
 * Puts a SmartCard into pcscd through vsmartcard's vpcd driver: the bridge connects to the TCP port pcscd's
 * vpcd driver listens on (one port per reader slot), and from then on any PC/SC client — opensc-tool,
 * pcsc_scan, a host driver — sees the card in "Virtual PCD 00 0n", exactly as a card in a USB reader.
 * A lost connection (pcscd stopped or restarted) is a card pulled from the reader: the card loses power
 * and the bridge dials again with backoff until close().
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { SmartCard } from '../../firmware-sim/uim/card.js';
import { VPCD_DEFAULT_PORT, VpcdControl, VpcdDecoder, encodeVpcdMessage } from './vpcd-framing.js';
import type { VpcdMessage } from './vpcd-framing.js';

export interface VpcdBridgeOptions {
  /** pcscd's host. vpcd listens on 0.0.0.0; connect to loopback, never to another machine by default. */
  host?: string;
  /** The slot's port: 35963 (0x8C7B) for slot 0, 35964 for slot 1, … */
  port?: number;
  /** The reader name pcscd shows for this slot, when it is not the default naming (readerNameForPort). */
  readerName?: string;
  /** First wait before dialling again after a failure or a lost connection; doubles up to maxReconnectMs. */
  reconnectMs?: number;
  maxReconnectMs?: number;
}

export interface VpcdBridgeEvents {
  /** The TCP connection to pcscd's vpcd driver is up: the card is in the reader. */
  connected: [];
  /** The connection ended (reason says why); the bridge dials again unless closed. */
  disconnected: [reason: string];
  /** A control code from the reader (power off/on, reset, get ATR, or an unknown one, which is ignored). */
  control: [code: number];
  /** One command APDU and the card's response. */
  exchange: [command: Uint8Array, response: Uint8Array];
  /** The reader's stream broke vpcd's framing; the bridge drops the connection and dials again. */
  framingError: [message: string];
}

export const DEFAULT_RECONNECT_MS = 200;
/** vpcd serves up to 10 slots per DEVICENAME (pcscd's 16 reader contexts less 6); Debian's build shows 2. */
export const VPCD_MAX_SLOTS = 10;
export const DEFAULT_MAX_RECONNECT_MS = 5_000;

/** What the card answers when it cannot answer (ISO 7816-4 6F00: no precise diagnosis). */
const SW_NO_DIAGNOSIS = Uint8Array.of(0x6f, 0x00);

/**
 * The PC/SC reader name pcscd gives a vpcd slot with this repository's /etc/reader.conf.d/vpcd
 * (FRIENDLYNAME "Virtual PCD", DEVICENAME /dev/null:0x8C7B): pcscd names a reader
 * "<friendly name> <reader index> <slot>" in two-digit hex, and vpcd serves slot n on base port + n.
 * The reader index is 00 unless pcscd has another reader of the same friendly name.
 */
export function readerNameForPort(
  port: number,
  options: { basePort?: number; friendlyName?: string; readerIndex?: number } = {},
): string {
  const basePort = options.basePort ?? VPCD_DEFAULT_PORT;
  const slot = port - basePort;
  if (!Number.isInteger(port) || slot < 0 || slot > 0xff) {
    throw new RangeError(`vpcd port ${port}: expected ${basePort} (slot 0) up to ${basePort + 0xff}`);
  }
  return `${options.friendlyName ?? 'Virtual PCD'} ${hex2(options.readerIndex ?? 0)} ${hex2(slot)}`;
}

/** The inverse of readerNameForPort for the default naming: undefined for a name that is not a vpcd slot. */
export function portForReaderName(name: string, basePort = VPCD_DEFAULT_PORT): number | undefined {
  const match = /^Virtual PCD [0-9A-F]{2} ([0-9A-F]{2})$/.exec(name);
  return match?.[1] === undefined ? undefined : basePort + parseInt(match[1], 16);
}

export class VpcdBridge extends EventEmitter<VpcdBridgeEvents> {
  readonly card: SmartCard;
  readonly host: string;
  readonly port: number;
  /** The reader name pcscd gives this slot (see readerNameForPort). */
  readonly readerName: string;
  private readonly reconnectMs: number;
  private readonly maxReconnectMs: number;
  private readonly decoder = new VpcdDecoder();
  private socket: net.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private state: 'idle' | 'connecting' | 'connected' | 'closed' = 'idle';
  private lastFailure: string | undefined;
  private connections = 0;
  /** Rejecters of pending waitConnected() calls, run by close(). */
  private readonly waiters = new Set<(err: Error) => void>();

  constructor(card: SmartCard, options: VpcdBridgeOptions = {}) {
    super();
    this.card = card;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? VPCD_DEFAULT_PORT;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 0xffff) {
      throw new RangeError(`vpcd port ${String(options.port)}: expected 1..65535`);
    }
    this.reconnectMs = Math.max(1, options.reconnectMs ?? DEFAULT_RECONNECT_MS);
    this.maxReconnectMs = Math.max(this.reconnectMs, options.maxReconnectMs ?? DEFAULT_MAX_RECONNECT_MS);
    this.backoffMs = this.reconnectMs;
    const slot = this.port - VPCD_DEFAULT_PORT;
    this.readerName =
      options.readerName ??
      (slot >= 0 && slot < VPCD_MAX_SLOTS ? readerNameForPort(this.port) : `vpcd port ${this.port}`);
    this.dial();
  }

  /** True while pcscd's vpcd driver holds the connection (the card is in the reader). */
  get connected(): boolean {
    return this.state === 'connected';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Why the last connection attempt failed or the last connection ended. */
  get lastError(): string | undefined {
    return this.lastFailure;
  }

  /** How many times the bridge has connected (1 after the first connection, 2 after a reconnect, …). */
  get connectionCount(): number {
    return this.connections;
  }

  /** Resolves once connected (at once when already); rejects after timeoutMs or on close(). */
  waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`vpcd bridge to ${this.endpoint}: closed`));
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('connected', onConnected);
        this.waiters.delete(onClosed);
      };
      const onConnected = (): void => {
        done();
        resolve();
      };
      const onClosed = (err: Error): void => {
        done();
        reject(err);
      };
      const timer = setTimeout(() => {
        done();
        const why = this.lastFailure ? ` (last error: ${this.lastFailure})` : '';
        reject(new Error(`vpcd bridge to ${this.endpoint}: not connected after ${timeoutMs} ms${why}`));
      }, timeoutMs);
      this.once('connected', onConnected);
      this.waiters.add(onClosed);
    });
  }

  /** Take the card out of the reader for good: ends the connection and stops dialling. Idempotent. */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.removeCard();
    for (const reject of [...this.waiters]) reject(new Error(`vpcd bridge to ${this.endpoint}: closed`));
    if (wasConnected) this.emit('disconnected', 'closed');
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  private dial(): void {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    this.decoder.reset();
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      this.state = 'connected';
      this.lastFailure = undefined;
      this.connections++;
      this.backoffMs = this.reconnectMs;
      this.emit('connected');
    });
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.lastFailure = err.code ? `${err.code}: ${err.message}` : err.message;
    });
    socket.on('close', () => this.onClose(socket));
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    const { messages, error } = this.decoder.push(chunk);
    for (const message of messages) {
      const reply = this.answer(message);
      if (reply && !socket.destroyed) socket.write(reply);
    }
    if (error !== undefined) {
      this.lastFailure = `framing error: ${error}`;
      this.emit('framingError', error);
      socket.destroy();
    }
  }

  /** The framed reply to one message, or undefined for the control codes vpcd expects no answer to. */
  private answer(message: VpcdMessage): Uint8Array | undefined {
    if (message.kind === 'control') {
      this.emit('control', message.code);
      switch (message.code) {
        case VpcdControl.POWER_OFF:
          this.safely(() => this.card.powerOff());
          return undefined;
        case VpcdControl.POWER_ON:
          this.safely(() => this.card.powerOn());
          return undefined;
        case VpcdControl.RESET:
          this.safely(() => this.card.reset());
          return undefined;
        case VpcdControl.GET_ATR: {
          const atr = this.safely(() => this.card.atr);
          // vpcd waits for an answer; an ATR is at least TS and T0, so a card without one answers 3B 00.
          return encodeVpcdMessage(atr && atr.length > 0 ? atr : Uint8Array.of(0x3b, 0x00));
        }
        default:
          return undefined;
      }
    }
    let response = this.safely(() => this.card.transmit(message.apdu));
    // A response is at least SW1 SW2; one a 2-byte length cannot carry is a card fault.
    if (!response || response.length < 2 || response.length > 0xffff) response = SW_NO_DIAGNOSIS;
    this.emit('exchange', message.apdu, response);
    return encodeVpcdMessage(response);
  }

  /** SmartCard methods promise not to throw; a card that does anyway must not take the bridge down. */
  private safely<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch {
      return undefined;
    }
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    const wasConnected = this.state === 'connected';
    if (this.state === 'closed') return;
    this.state = 'idle';
    if (wasConnected) {
      this.removeCard();
      this.emit('disconnected', this.lastFailure ?? 'connection closed by pcscd');
    }
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.maxReconnectMs, this.backoffMs * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dial();
    }, wait);
  }

  /** Out of the reader, a card has no power: volatile state (selected files, verified PINs) is gone. */
  private removeCard(): void {
    if (this.safely(() => this.card.powered)) this.safely(() => this.card.powerOff());
  }
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
