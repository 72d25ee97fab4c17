/**
 * The mobile terminal of seed 001 (device 17): a PDA or laptop that takes the user id from the phone over
 * Bluetooth LE and hands it to the POS over RS-232C. Its BLE side is a central running the PhoneLink
 * driver (so a real dongle works the same), its serial side is the RS-232C port the POS opens: an
 * emulated PTY on a bench. Line protocol: mobile-terminal-protocol.ts, docs/MOBILE-TERMINAL.md.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../firmware-sim/clock.js';
import type { EmulatedSerialPort } from '../../devices/serial/port.js';
import { AttError } from '../../devices/ble/payment-service.js';
import { BlePhoneLink, PhoneLinkError } from '../drivers/phone/ble-phonelink.js';
import {
  LineFramer,
  encodeTerminalMessage,
  parsePosCommand,
  type ConfirmResult,
  type PosCommand,
  type TerminalErrorReason,
  type TerminalMessage,
} from './mobile-terminal-protocol.js';

export interface MobileTerminalOptions {
  link: BlePhoneLink;
  /** The terminal's RS-232C port toward the POS (opened by the terminal; the POS opens its `path`). */
  port: EmulatedSerialPort;
  clock: Clock;
  /** `poll`: a user id waits for the POS's POLL (the seed's POS polls). `push`: sent as soon as read. */
  mode?: 'poll' | 'push';
  /** Length of one scan for phones, and the pause after a failed attempt. */
  scanWindowMs?: number;
  retryDelayMs?: number;
}

export interface MobileTerminalEvents {
  userId: [userId: string, phone: string];
  line: [direction: 'toPos' | 'fromPos', text: string];
}

const RESULT: Record<ConfirmResult, 'Agreed' | 'Declined' | 'Aborted'> = {
  AGREED: 'Agreed',
  DECLINED: 'Declined',
  ABORTED: 'Aborted',
};

export class MobileTerminal extends EventEmitter<MobileTerminalEvents> {
  private readonly link: BlePhoneLink;
  private readonly port: EmulatedSerialPort;
  private readonly clock: Clock;
  private readonly mode: 'poll' | 'push';
  private readonly scanWindowMs: number;
  private readonly retryDelayMs: number;
  private readonly framer = new LineFramer();
  /** User ids read and not yet taken by a POLL (poll mode). */
  private readonly waiting: { userId: string; phone: string }[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private linkedPhone: string | undefined;
  private tx: Promise<void> = Promise.resolve();

  constructor(options: MobileTerminalOptions) {
    super();
    this.link = options.link;
    this.port = options.port;
    this.clock = options.clock;
    this.mode = options.mode ?? 'poll';
    this.scanWindowMs = options.scanWindowMs ?? 2000;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.port.on('data', (bytes) => {
      for (const text of this.framer.push(bytes)) void this.onLine(text);
    });
    this.link.on('gone', () => {
      this.linkedPhone = undefined;
    });
  }

  /** Start waiting for phones. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.link.disconnect().catch(() => undefined);
    await this.tx;
  }

  /** The phone the terminal is linked to (after reading its user id), if any. */
  get phone(): string | undefined {
    return this.linkedPhone;
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.linkedPhone && this.link.connected) {
        await this.sleep(this.scanWindowMs);
        continue;
      }
      this.linkedPhone = undefined;
      const phones = await this.link.discover({ timeoutMs: this.scanWindowMs, count: 1 }).catch(() => []);
      const phone = phones[0];
      if (!phone || !this.running) continue;
      try {
        await this.link.connect(phone);
        await this.link.pair();
        const userId = await this.link.readUserId();
        this.linkedPhone = phone.address;
        await this.link.subscribeTransactions((t) =>
          this.send({
            kind: 'TXN',
            transactionId: t.transactionId,
            amountMinor: t.amountMinor,
            currency: t.currency,
          }),
        );
        this.emit('userId', userId, phone.address);
        if (this.mode === 'push') this.send({ kind: 'UID', userId, phone: phone.address });
        else this.waiting.push({ userId, phone: phone.address });
      } catch (e) {
        this.send({ kind: 'ERR', reason: reasonOf(e), phone: phone.address });
        await this.link.disconnect().catch(() => undefined);
        await this.sleep(this.retryDelayMs);
      }
    }
  }

  private async onLine(text: string | undefined): Promise<void> {
    if (text !== undefined) this.emit('line', 'fromPos', text);
    const parsed = text === undefined ? undefined : parsePosCommand(text);
    if (!parsed?.ok) return this.send({ kind: 'ERR', reason: 'CMD' });
    await this.answer(parsed.value);
  }

  private async answer(c: PosCommand): Promise<void> {
    if (c.kind === 'POLL') {
      const next = this.waiting.shift();
      return this.send(next ? { kind: 'UID', ...next } : { kind: 'NONE' });
    }
    if (!this.linkedPhone || !this.link.connected) return this.send({ kind: 'ERR', reason: 'NOPHONE' });
    try {
      await this.link.writeConfirmation({ result: RESULT[c.result], transactionId: c.transactionId });
      this.send({ kind: 'OK' });
    } catch (e) {
      this.send({ kind: 'ERR', reason: reasonOf(e), phone: this.linkedPhone });
    }
  }

  /** Lines go out one after another, each whole. */
  private send(m: TerminalMessage): void {
    const bytes = encodeTerminalMessage(m);
    this.emit('line', 'toPos', bytes.toString('latin1').trimEnd());
    this.tx = this.tx.then(() => this.port.write(bytes)).catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.clock.setTimeout(r, ms));
  }
}

function reasonOf(e: unknown): TerminalErrorReason {
  if (!(e instanceof PhoneLinkError)) return 'LINK';
  switch (e.code) {
    case 'PairingFailed':
      return 'PAIRING';
    case 'Timeout':
      return 'TIMEOUT';
    case 'BadValue':
      return 'VALUE';
    case 'AttError':
      return e.attError === AttError.NoAuthenticatedUser ? 'NOUSER' : 'VALUE';
    default:
      return 'LINK';
  }
}
