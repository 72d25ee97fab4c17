/**
 * Where the POS gets the user id of seed 001 step 2–3 ([0091]–[0092]; embodiment 2 [0154]): from its
 * mobile terminal over RS-232C (POLL until a UID arrives), from the phone directly over Bluetooth LE (the
 * direct variant), or typed by the clerk. One interface, so the sale flow does not care which; and each
 * source works the same with a real device or its emulated twin (a serial path, a BLE transport).
 */
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { Clock, TimerHandle } from '../../firmware-sim/clock.js';
import type { BlePhoneLink } from '../drivers/phone/ble-phonelink.js';
import {
  LineFramer,
  encodePosCommand,
  parseTerminalMessage,
  type ConfirmResult,
  type PosCommand,
  type TerminalMessage,
} from './mobile-terminal-protocol.js';

export type { ConfirmResult };

export interface UserIdArrival {
  userId: string;
  /** The phone's Bluetooth address, when the id came from a phone. */
  phone?: string;
}

export interface UserIdSource {
  readonly kind: 'mobile-terminal' | 'ble' | 'typed' | 'web-shop';
  /** Resolves with the next user id; rejects with an AbortError when `signal` fires. */
  waitForUserId(signal: AbortSignal): Promise<UserIdArrival>;
  /**
   * Tell the phone how the sale ended (CONFIRM / the Confirmation characteristic). Resolves with what
   * happened (`OK`, or the terminal's / link's error), never rejects: the sale is already decided.
   */
  confirm(result: ConfirmResult, transactionId: string): Promise<string>;
  close(): Promise<void>;
}

export const USER_ID_PATTERN = /^[0-9A-Za-z]{1,16}$/;

export class SourceAbortedError extends Error {
  override readonly name = 'AbortError';
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new SourceAbortedError('waiting for a user id: given up'));
    const t = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(t);
      reject(new SourceAbortedError('waiting for a user id: given up'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

// ---- mobile terminal over RS-232C ----

export interface MobileTerminalSourceOptions {
  /** The serial port the terminal is on: `/dev/ttyUSB0`, or an emulated terminal's PTY path. */
  path: string;
  baudRate?: number;
  clock: Clock;
  /** Pause between POLLs while no user id is waiting ([0092]: "repeats accessing periodically"). */
  pollIntervalMs?: number;
  /** How long to wait for the terminal's answer to one command. */
  answerTimeoutMs?: number;
}

export interface MobileTerminalSourceEvents {
  line: [direction: 'toTerminal' | 'fromTerminal', text: string];
  /** An unsolicited line: a phone's transaction (TXN) or a failed read (ERR <reason> <phone>). */
  unsolicited: [message: TerminalMessage];
}

/**
 * The POS side of docs/MOBILE-TERMINAL.md. One command at a time; UID lines are taken whenever they come
 * (a push-mode terminal sends them unasked), TXN and ERR-with-a-phone are unsolicited unless a CONFIRM
 * waits for its answer.
 */
export class MobileTerminalSource extends EventEmitter<MobileTerminalSourceEvents> implements UserIdSource {
  readonly kind = 'mobile-terminal';
  private readonly port: SerialPort;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly answerTimeoutMs: number;
  private readonly framer = new LineFramer();
  private readonly arrived: UserIdArrival[] = [];
  private arrivalWaiter: (() => void) | undefined;
  private answerWaiter: { command: PosCommand; done: (m: TerminalMessage | undefined) => void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(port: SerialPort, options: MobileTerminalSourceOptions) {
    super();
    this.port = port;
    this.clock = options.clock;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.answerTimeoutMs = options.answerTimeoutMs ?? 2000;
    port.on('data', (d: Buffer) => {
      for (const text of this.framer.push(d)) if (text !== undefined) this.onLine(text);
    });
  }

  static async open(options: MobileTerminalSourceOptions): Promise<MobileTerminalSource> {
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate ?? 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new MobileTerminalSource(port, options);
  }

  async waitForUserId(signal: AbortSignal): Promise<UserIdArrival> {
    for (;;) {
      const ready = this.arrived.shift();
      if (ready) return ready;
      if (signal.aborted) throw new SourceAbortedError('waiting for a user id: given up');
      const answer = await this.command({ kind: 'POLL' });
      if (answer?.kind === 'UID') continue; // queued by onLine
      if (this.arrived.length === 0) await this.pauseOrArrival(signal);
    }
  }

  async confirm(result: ConfirmResult, transactionId: string): Promise<string> {
    let answer: TerminalMessage | undefined;
    try {
      answer = await this.command({ kind: 'CONFIRM', result, transactionId });
    } catch (e) {
      return `ERR ${(e as Error).message}`;
    }
    if (!answer) return 'ERR TIMEOUT';
    return answer.kind === 'ERR' ? `ERR ${answer.reason}` : answer.kind;
  }

  async close(): Promise<void> {
    this.answerWaiter?.done(undefined);
    if (this.port.isOpen) await new Promise<void>((r) => this.port.close(() => r()));
  }

  /** Send one command and wait for its answer (undefined when none came in time). */
  private command(c: PosCommand): Promise<TerminalMessage | undefined> {
    const run = () =>
      new Promise<TerminalMessage | undefined>((resolve) => {
        const bytes = encodePosCommand(c);
        const timer: TimerHandle = this.clock.setTimeout(() => finish(undefined), this.answerTimeoutMs);
        const finish = (m: TerminalMessage | undefined) => {
          this.clock.clearTimeout(timer);
          this.answerWaiter = undefined;
          resolve(m);
        };
        this.answerWaiter = { command: c, done: finish };
        this.emit('line', 'toTerminal', bytes.toString('latin1').trimEnd());
        this.port.write(bytes);
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private onLine(text: string): void {
    this.emit('line', 'fromTerminal', text);
    const parsed = parseTerminalMessage(text);
    if (!parsed.ok) return; // not a line of the protocol: ignored, the command times out
    const m = parsed.value;
    if (m.kind === 'UID') {
      this.arrived.push({ userId: m.userId, phone: m.phone });
      this.arrivalWaiter?.();
    }
    const waiter = this.answerWaiter;
    const isAnswer =
      waiter !== undefined &&
      (waiter.command.kind === 'POLL'
        ? m.kind === 'UID' || m.kind === 'NONE' || (m.kind === 'ERR' && m.phone === undefined)
        : m.kind === 'OK' || m.kind === 'ERR');
    if (isAnswer) waiter.done(m);
    else if (m.kind === 'TXN' || m.kind === 'ERR') this.emit('unsolicited', m);
  }

  private pauseOrArrival(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        this.clock.clearTimeout(t);
        this.arrivalWaiter = undefined;
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const t = this.clock.setTimeout(() => done(resolve), this.pollIntervalMs);
      const onAbort = () => done(() => reject(new SourceAbortedError('waiting for a user id: given up')));
      this.arrivalWaiter = () => done(resolve);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

// ---- the phone directly over Bluetooth LE ----

export interface BlePhoneSourceOptions {
  /** An open PhoneLink (`BlePhoneLink.open({ transport: 'ble:hci0' | a controller, clock })`). */
  link: BlePhoneLink;
  clock: Clock;
  /** One scan for phones offering the payment service. */
  scanWindowMs?: number;
  /** Pause after a failed attempt (a phone whose user has not passed the UIM check yet). */
  retryDelayMs?: number;
}

export interface BlePhoneSourceEvents {
  /** An attempt failed; the source tries again after the pause. */
  attemptFailed: [error: Error, phone: string | undefined];
}

/** The direct variant: the POS is the BLE central (scan, connect, pair, read UserId; Confirmation). */
export class BlePhoneSource extends EventEmitter<BlePhoneSourceEvents> implements UserIdSource {
  readonly kind = 'ble';
  private readonly link: BlePhoneLink;
  private readonly clock: Clock;
  private readonly scanWindowMs: number;
  private readonly retryDelayMs: number;

  constructor(options: BlePhoneSourceOptions) {
    super();
    this.link = options.link;
    this.clock = options.clock;
    this.scanWindowMs = options.scanWindowMs ?? 2000;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
  }

  async waitForUserId(signal: AbortSignal): Promise<UserIdArrival> {
    // The previous sale's phone stays linked until its Confirmation; a new sale starts from a scan.
    await this.link.disconnect().catch(() => undefined);
    for (;;) {
      if (signal.aborted) throw new SourceAbortedError('waiting for a user id: given up');
      const phones = await this.link.discover({ timeoutMs: this.scanWindowMs, count: 1 }).catch(() => []);
      const phone = phones[0];
      if (!phone) continue;
      if (signal.aborted) throw new SourceAbortedError('waiting for a user id: given up');
      try {
        await this.link.connect(phone);
        await this.link.pair();
        const userId = await this.link.readUserId();
        return { userId, phone: phone.address };
      } catch (e) {
        this.emit('attemptFailed', e as Error, phone.address);
        await this.link.disconnect().catch(() => undefined);
        await sleep(this.clock, this.retryDelayMs, signal);
      }
    }
  }

  async confirm(result: ConfirmResult, transactionId: string): Promise<string> {
    if (!this.link.connected) return 'ERR NOPHONE';
    const value = { AGREED: 'Agreed', DECLINED: 'Declined', ABORTED: 'Aborted' } as const;
    try {
      await this.link.writeConfirmation({ result: value[result], transactionId });
      return 'OK';
    } catch (e) {
      return `ERR ${(e as { code?: string }).code ?? 'LINK'}`;
    } finally {
      await this.link.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.link.disconnect().catch(() => undefined);
  }
}

// ---- typed by the clerk ----

/** The clerk types the user id ([0154]: "a user inputs a user ID with the input device"). */
export class TypedSource implements UserIdSource {
  readonly kind = 'typed';
  private readonly entered: string[] = [];
  private waiter: (() => void) | undefined;

  /** The clerk's entry; a user id is 1–16 letters or digits. */
  enter(userId: string): void {
    if (!USER_ID_PATTERN.test(userId)) throw new RangeError('a user id is 1-16 letters or digits');
    this.entered.push(userId);
    this.waiter?.();
  }

  async waitForUserId(signal: AbortSignal): Promise<UserIdArrival> {
    for (;;) {
      const next = this.entered.shift();
      if (next !== undefined) return { userId: next };
      if (signal.aborted) throw new SourceAbortedError('waiting for a user id: given up');
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.waiter = undefined;
          reject(new SourceAbortedError('waiting for a user id: given up'));
        };
        this.waiter = () => {
          this.waiter = undefined;
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** No phone to tell. */
  confirm(): Promise<string> {
    return Promise.resolve('OK');
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
