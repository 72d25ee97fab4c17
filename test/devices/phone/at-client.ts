/**
 * A minimal AT client as ModemManager or Gammu frame it: write "<command>\r", split what comes back into
 * lines on CR/LF (whatever the chunking), and stop at the first final result code. Shared by the PTY
 * tests and the round-trip benchmark.
 */
import type { SerialPort } from 'serialport';

const FINAL = /^(OK|ERROR|NO CARRIER|BUSY|NO ANSWER|NO DIALTONE|CONNECT.*|\+CME ERROR: .*|\+CMS ERROR: .*)$/;

export interface AtAnswer {
  /** Information text lines, empty lines dropped. */
  lines: string[];
  final: string;
}

export class AtClient {
  private buffer = '';
  private waiter: (() => void) | undefined;

  constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.waiter?.();
    });
  }

  /** Sends one command line and resolves with its answer; rejects after `timeoutMs`. */
  async command(line: string, timeoutMs = 5000): Promise<AtAnswer> {
    this.buffer = '';
    await new Promise<void>((resolve, reject) =>
      this.port.write(`${line}\r`, (err) => (err ? reject(err) : resolve())),
    );
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const lines = this.buffer.split(/\r\n|\r|\n/);
      // The last piece may be an unfinished line.
      const complete = lines.slice(0, -1).filter((l) => l.length > 0);
      const end = complete.findIndex((l) => FINAL.test(l));
      if (end >= 0) {
        this.buffer = '';
        return { lines: complete.slice(0, end), final: complete[end]! };
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no final result code for ${line}: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}
