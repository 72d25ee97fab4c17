/**
 * The PC/SC binding runs on a worker thread of its own. Several of its calls are synchronous (listing
 * readers, card status, disconnect) and libpcsclite may wait inside them for pcscd, which in turn may be
 * waiting for the card. When the card is a twin bridged into pcscd from this same process (devices/
 * smartcard/vpcd.ts), a wait on the main thread stops the bridge from answering: a deadlock. On a worker,
 * the main event loop — and any bridge on it — keeps running.
 */
import { Worker } from 'node:worker_threads';

/** The worker's code: plain JavaScript, so it runs the same from source (tests) and from dist/. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const pcsc = createRequire(workerData.base)('smartcard');
const cards = new Map();
let nextHandle = 1;

function statusOf(card) {
  let atr = card.atr;
  let protocol = card.protocol;
  try {
    const s = card.getStatus();
    atr = s.atr;
    protocol = s.protocol;
  } catch {}
  return { atr: atr ? Uint8Array.from(atr) : new Uint8Array(0), protocol };
}

function held(handle) {
  const c = cards.get(handle);
  if (!c) throw new Error('Not connected: invalid handle');
  return c;
}

const ops = {
  async list() {
    const ctx = new pcsc.Context();
    try {
      return ctx.listReaders().map((r) => ({ name: r.name, state: r.state, atr: r.atr ? Uint8Array.from(r.atr) : null }));
    } finally {
      ctx.close();
    }
  },
  async connect({ reader, share, protocols }) {
    const ctx = new pcsc.Context();
    try {
      const readers = ctx.listReaders();
      const found = readers.find((r) => r.name === reader);
      if (!found) {
        ctx.close();
        return { unknownReader: true, readers: readers.map((r) => r.name) };
      }
      const card = await found.connect(share, protocols);
      const handle = nextHandle++;
      cards.set(handle, { ctx, card });
      return { handle, ...statusOf(card) };
    } catch (err) {
      ctx.close();
      throw err;
    }
  },
  async transmit({ handle, command, maxRecvLength }) {
    const response = await held(handle).card.transmit(Buffer.from(command), { maxRecvLength });
    return Uint8Array.from(response);
  },
  async reconnect({ handle, share, protocols, initialization }) {
    const c = held(handle);
    await c.card.reconnect(share, protocols, initialization);
    return statusOf(c.card);
  },
  async disconnect({ handle, disposition }) {
    const c = cards.get(handle);
    if (!c) return;
    cards.delete(handle);
    try {
      c.card.disconnect(disposition);
    } catch {
      // The card or pcscd is gone already; the context still needs closing.
    } finally {
      c.ctx.close();
    }
  },
};

parentPort.on('message', async ({ id, op, args }) => {
  try {
    parentPort.postMessage({ id, ok: true, value: await ops[op](args) });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: err && err.message ? err.message : String(err) });
  }
});
`;

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

export class PcscWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** `base`: a module URL from which the worker resolves the `smartcard` package. */
  constructor(private readonly base: string) {}

  call<T>(
    op: 'list' | 'connect' | 'transmit' | 'reconnect' | 'disconnect',
    args: Record<string, unknown> = {},
  ): Promise<T> {
    const worker = this.start();
    const id = this.nextId++;
    worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op, args });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { base: this.base } });
    worker.unref();
    worker.on('message', (m: { id: number; ok: boolean; value?: unknown; message?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.message));
    });
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the PC/SC worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
