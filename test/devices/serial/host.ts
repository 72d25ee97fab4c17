/** Host-side helpers for the serial tests: a real `serialport` on the emulated port's path. */
import { SerialPort } from 'serialport';
import { EventEmitter } from 'node:events';

export async function openHost(path: string, baudRate = 9600): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

export async function closeHost(port: SerialPort | undefined): Promise<void> {
  if (!port?.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}

export function hostWrite(port: SerialPort, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(Buffer.from(bytes), (err) => (err ? reject(err) : port.drain(() => resolve())));
  });
}

/** Accumulates the 'data' events of a host port or an emulated device, with arrival times. */
export class ByteCollector {
  chunks: Buffer[] = [];
  times: number[] = [];
  private waiters: (() => void)[] = [];

  constructor(source: EventEmitter | SerialPort) {
    source.on('data', (chunk: Buffer) => {
      this.chunks.push(Buffer.from(chunk));
      this.times.push(performance.now());
      for (const w of this.waiters.splice(0)) w();
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  clear(): void {
    this.chunks = [];
    this.times = [];
  }

  /** Resolve once `n` bytes have arrived; reject after `timeoutMs` (so a test fails rather than hangs). */
  async waitFor(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = performance.now() + timeoutMs;
    while (this.bytes.length < n) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`expected ${n} bytes, got ${this.bytes.length} after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.bytes;
  }
}
