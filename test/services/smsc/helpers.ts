/** An ESME built on the smpp package's client side, and small waits for SMSC tests. */
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import smpp from 'smpp';
import type { Pdu, Session } from 'smpp';

export class Esme {
  readonly received: Pdu[] = [];
  closed = false;
  private constructor(readonly session: Session) {
    session.on('deliver_sm', (pdu: Pdu) => {
      this.received.push(pdu);
      session.send(pdu.response());
    });
    session.on('close', () => (this.closed = true));
    session.on('error', () => {});
  }

  static async connect(port: number): Promise<Esme> {
    const session = smpp.connect({ host: '127.0.0.1', port });
    await once(session, 'connect');
    return new Esme(session);
  }

  call(command: string, options: Record<string, unknown> = {}): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      if (!this.session.send(new smpp.PDU(command, options), resolve))
        reject(new Error('session not writable'));
    });
  }

  close(): void {
    this.session.destroy();
  }
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function tempDb(): { file: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-smsc-'));
  return {
    file: path.join(dir, 'smsc.sqlite'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
