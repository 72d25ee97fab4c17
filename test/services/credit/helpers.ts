/** A raw ISO 8583 peer for credit-server tests: writes any bytes, reads framed answers or the close. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FrameReader, frameMessage } from '../../../devices/cat/iso8583-link.js';
import type { AuthorizationRequest } from '../../../firmware-sim/cat/credit-host.js';
import {
  decodeMessage,
  encodeMessage,
  type Iso8583Message,
} from '../../../firmware-sim/cat/iso8583/index.js';

export const CARDS_FILE = path.join(import.meta.dirname, '../../../fixtures/seed001/cardholders.yaml');

export type Answer = Iso8583Message | 'closed';

export class RawPeer {
  private readonly reader = new FrameReader();
  private readonly answers: Answer[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const frame of this.reader.push(chunk)) {
        const r = decodeMessage(frame);
        if (!r.ok) throw new Error(`credit server sent an undecodable frame: ${r.error.reason}`);
        this.answers.push(r.message);
      }
      this.waiter?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.answers.push('closed');
      this.waiter?.();
    });
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  send(message: Iso8583Message): void {
    this.socket.write(frameMessage(encodeMessage(message)));
  }

  sendRaw(body: Uint8Array): void {
    this.socket.write(frameMessage(body));
  }

  /** The next answer (or 'closed'); fails after `timeoutMs` of wall time so a test never hangs. */
  async next(timeoutMs = 10_000): Promise<Answer> {
    const deadline = Date.now() + timeoutMs;
    while (this.answers.length === 0) {
      if (Date.now() > deadline) throw new Error('no answer from the credit server');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.answers.shift()!;
  }

  /** Sends and waits for the answer. */
  async call(message: Iso8583Message): Promise<Iso8583Message> {
    this.send(message);
    const a = await this.next();
    if (a === 'closed') throw new Error('credit server closed the connection');
    return a;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function tempDir(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-credit-'));
  return {
    dir,
    file: (name) => path.join(dir, name),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export const AT = new Date(Date.UTC(2026, 6, 3, 10, 20, 0));

export function authRequest(stan: number, over: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return {
    pan: '1234223432344234',
    expiry: '2812',
    amountMinor: 1000,
    currencyNumeric: '392',
    stan,
    terminalId: 'GW01',
    merchantId: '1111111111',
    paymentMethod: 'L',
    transactionNumber: `T${stan}`,
    at: AT,
    ...over,
  };
}
