/**
 * Test parts for the Scanner driver: a real pseudo-terminal whose master plays the scanner, and a log of the
 * driver's events. No timing thresholds: waits are bounded only so that a broken driver fails instead of hanging.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import type { Scanner } from '../../../../host/drivers/scanner/index.js';
import type { DataEvent, ErrorEvent, StatusUpdateEvent } from '../../../../host/drivers/scanner/index.js';
import {
  SsiDeframer,
  SsiOpcode,
  SsiSource,
  encodeSsi,
  ssiPacket,
} from '../../../../firmware-sim/scanner/ssi.js';
import type { SsiPacket } from '../../../../firmware-sim/scanner/ssi.js';

interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
}

const require = createRequire(import.meta.url);
const native = require('node-pty/build/Release/pty.node') as NativePty;

/** Long enough for any loaded machine; only a broken driver ever reaches it. */
export const GUARD_MS = 15_000;

export async function until(what: string, cond: () => boolean, guardMs = GUARD_MS): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > guardMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One PTY pair: the test holds the master (the scanner's side) and keeps the slave fd open, unread. */
export class PtyPeer {
  readonly ptsPath: string;
  private readonly masterFd: number;
  private readonly master: tty.ReadStream;
  private readonly slave: tty.ReadStream;
  private chunks: Buffer[] = [];
  private closed = false;
  private writing: Promise<void> = Promise.resolve();
  /** Called with every chunk the host writes. */
  onHostBytes: ((chunk: Buffer) => void) | undefined;

  constructor() {
    const { master, slave, pty } = native.open(80, 24);
    this.ptsPath = pty;
    this.masterFd = master;
    this.master = new tty.ReadStream(master);
    this.master.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.onHostBytes?.(chunk);
    });
    // Errors (EIO once the host side goes) are expected here and mean nothing to the test.
    this.master.on('error', () => {});
    // Raw from the start, so nothing echoes or translates before the host has configured the port.
    this.slave = new tty.ReadStream(slave);
    this.slave.setRawMode(true);
    this.slave.on('error', () => {});
  }

  /** Everything the host has written so far. */
  get fromHost(): Buffer {
    return Buffer.concat(this.chunks);
  }

  clearFromHost(): void {
    this.chunks = [];
  }

  /** Writes device bytes, in order, without blocking the event loop on a full PTY buffer. */
  write(bytes: Uint8Array | string): Promise<void> {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
    this.writing = this.writing.then(() => this.writeAll(buf));
    return this.writing;
  }

  /** Writes `bytes` cut into `pieces` chunks with a pause between them. */
  async writeChunked(bytes: Uint8Array | string, chunkSize: number, pauseMs: number): Promise<void> {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
    for (let i = 0; i < buf.length; i += chunkSize) {
      await this.write(buf.subarray(i, i + chunkSize));
      if (pauseMs > 0) await sleep(pauseMs);
    }
  }

  private async writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length && !this.closed) {
      let n = 0;
      try {
        n = fs.writeSync(this.masterFd, buf, off, buf.length - off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      off += n;
      if (off < buf.length) await sleep(1);
    }
  }

  /** The device disappears: master destroyed, slave closed; the host's port hangs up. */
  vanish(): void {
    if (this.closed) return;
    this.closed = true;
    this.master.destroy();
    this.slave.destroy();
  }
}

/** A symlink standing for a stable device path (/dev/serial/by-id/…) that can be pointed at a new PTY. */
export class DeviceLink {
  readonly dir: string;
  readonly path: string;

  constructor(target: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-scanner-'));
    this.path = path.join(this.dir, 'scanner');
    fs.symlinkSync(target, this.path);
  }

  retarget(target: string): void {
    fs.unlinkSync(this.path);
    fs.symlinkSync(target, this.path);
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export type Logged =
  | { kind: 'data'; status: number; scanData: string; label: string; type: number; dataEventEnabled: boolean }
  | { kind: 'error'; errorCode: number; errorCodeExtended: number; locus: number; state: number }
  | { kind: 'status'; status: number };

/** Records the driver's events, with the properties as the DataEvent handler sees them. */
export class EventLog {
  readonly events: Logged[] = [];
  readonly traces: string[] = [];
  /** Set dataEventEnabled again after each DataEvent (the usual application loop). */
  reenable = true;
  /** What the ErrorEvent handler answers; undefined leaves the default. */
  errorResponse: number | undefined;

  constructor(private readonly scanner: Scanner) {
    scanner.on('dataEvent', (e: DataEvent) => {
      this.events.push({
        kind: 'data',
        status: e.status,
        scanData: scanner.scanData.toString('latin1'),
        label: scanner.scanDataLabel.toString('latin1'),
        type: scanner.scanDataType,
        dataEventEnabled: scanner.dataEventEnabled,
      });
      if (this.reenable) scanner.dataEventEnabled = true;
    });
    scanner.on('errorEvent', (e: ErrorEvent) => {
      this.events.push({
        kind: 'error',
        errorCode: e.errorCode,
        errorCodeExtended: e.errorCodeExtended,
        locus: e.errorLocus,
        state: scanner.state,
      });
      if (this.errorResponse !== undefined)
        e.errorResponse = this.errorResponse as ErrorEvent['errorResponse'];
    });
    scanner.on('statusUpdateEvent', (e: StatusUpdateEvent) =>
      this.events.push({ kind: 'status', status: e.status }),
    );
    scanner.on('trace', (m: string) => this.traces.push(m));
  }

  get data(): Extract<Logged, { kind: 'data' }>[] {
    return this.events.filter((e): e is Extract<Logged, { kind: 'data' }> => e.kind === 'data');
  }

  get errors(): Extract<Logged, { kind: 'error' }>[] {
    return this.events.filter((e): e is Extract<Logged, { kind: 'error' }> => e.kind === 'error');
  }

  get statuses(): number[] {
    return this.events.flatMap((e) => (e.kind === 'status' ? [e.status] : []));
  }

  waitData(n: number): Promise<void> {
    return until(`${n} DataEvents`, () => this.data.length >= n);
  }

  waitTrace(re: RegExp): Promise<void> {
    return until(`trace ${re}`, () => this.traces.some((t) => re.test(t)));
  }
}

/**
 * A scripted SSI decoder on a PtyPeer: it parses what the host sends with the shared deframer and answers
 * host commands with CMD_ACK unless told otherwise.
 */
export class SsiPeer {
  readonly fromHost: SsiPacket[] = [];
  private readonly deframer = new SsiDeframer();
  /** How to answer a host command (not ACK/NAK); undefined: stay silent. */
  answer: (p: SsiPacket) => SsiPacket | undefined = () => ssiPacket(SsiOpcode.CMD_ACK, SsiSource.DECODER);

  constructor(readonly pty: PtyPeer) {
    pty.onHostBytes = (chunk) => {
      for (const f of this.deframer.push(chunk)) {
        if (f.kind !== 'packet') continue;
        this.fromHost.push(f.packet);
        const op = f.packet.opcode;
        if (op === SsiOpcode.CMD_ACK || op === SsiOpcode.CMD_NAK) continue;
        const reply = this.answer(f.packet);
        if (reply) void pty.write(encodeSsi(reply));
      }
    };
  }

  count(opcode: number): number {
    return this.fromHost.filter((p) => p.opcode === opcode).length;
  }

  send(packet: SsiPacket): Promise<void> {
    return this.pty.write(encodeSsi(packet));
  }
}
